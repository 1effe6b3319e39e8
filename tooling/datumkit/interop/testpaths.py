"""Which repository paths `evaluation.tests.test_paths` marks as tests, as one predicate.

Exports cut diff.patch into the fix and its tests with this predicate (the same gitignore
matching `datum test` uses); imports write anchored literal paths (`/tests/test_x.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from datumkit.model.testsplit import is_test_path


def matcher(patterns: Sequence[str]) -> Callable[[str], bool]:
    frozen = tuple(patterns)
    return lambda path: is_test_path(path, frozen)
