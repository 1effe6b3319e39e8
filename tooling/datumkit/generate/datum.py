"""Everything generation writes for one datum, datum.lock included when the mirror allows.

`datum generate`, `datum bundle` and the `datum-generated --fix` hook all write the same set of
files; they differ only in what they do when the lock cannot be made (no mirror, or a patch that
does not apply), so that decision is returned, not taken here.
"""

from __future__ import annotations

from dataclasses import dataclass

from datumkit.errors import DatumError
from datumkit.generate import render_all
from datumkit.generate.lock import render_lock
from datumkit.git.mirrors import MirrorLocator
from datumkit.model.applied import apply_datum_patch
from datumkit.model.datumdir import LOCK_FILE, DatumSource


@dataclass(frozen=True)
class Generated:
    """The files to write, and why datum.lock is not among them (None: it is)."""

    files: dict[str, bytes]
    lock_problem: DatumError | None


def generate_datum(source: DatumSource, locator: MirrorLocator) -> Generated:
    files = render_all(source)
    try:
        files[LOCK_FILE] = render_lock(source, apply_datum_patch(source, locator))
    except DatumError as problem:
        return Generated(files, problem)
    return Generated(files, None)
