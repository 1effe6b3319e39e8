"""The paths a patch writes or removes, in patch order (git's own parser).

SWE-bench's `test_patch` names a datum's test files; cutting diff.patch into the fix and its
tests is :func:`datumkit.model.testsplit.split_patch`'s job.
"""

from __future__ import annotations

from datumkit.git.patchparse import parse_patch


def paths_of(patch: bytes) -> list[str]:
    """The path each file section writes (or removes, when deleted), in patch order."""
    return [
        f.new_path if f.new_path is not None else (f.old_path or "")
        for f in parse_patch(patch).files
    ]
