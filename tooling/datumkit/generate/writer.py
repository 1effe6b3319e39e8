"""Writing GENERATED files of a datum to disk: atomically, only when they change, all or none.

Generation is the one place datumkit writes into a datum directory, and it only writes the files
generation owns (ARCHITECTURE.md invariant 1); SOURCE files are never opened for writing here.

Writes happen in two phases: every changed file is first written to a temporary file next to it
(and flushed); only when all of them are written are they renamed into place. A full disk or an
unwritable file therefore leaves the previous set intact and the error names the file. Every path
goes through :func:`datumkit.fsio.inside`, so a committed symlink (``overlay_files -> /etc``)
cannot send a write outside the datum; temporary files an interrupted run left are removed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

from datumkit.errors import OperationFailed
from datumkit.fsio import inside, remove_stale_temp_files, stage_file
from datumkit.generate import executable


def _unchanged(path: Path, content: bytes, mode: int) -> bool:
    try:
        return path.read_bytes() == content and path.stat().st_mode & 0o777 == mode
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False


def write_outputs(directory: Path, outputs: Mapping[str, bytes]) -> list[str]:
    """Write each output under `directory`; return the relative paths whose bytes changed.

    Raises OutsideRoot for a path that leaves `directory` (nothing is written then) and
    OperationFailed naming the file that could not be written (nothing is replaced then).
    """
    targets = {relative: inside(directory, relative) for relative in outputs}
    for parent in sorted({path.parent for path in targets.values()}):
        remove_stale_temp_files(parent)
    staged: list[tuple[str, str, Path]] = []
    try:
        for relative, content in outputs.items():
            mode = 0o755 if executable(relative) else 0o644
            path = targets[relative]
            if _unchanged(path, content, mode):
                continue
            try:
                staged.append((relative, stage_file(path, content, mode), path))
            except OSError as error:
                raise OperationFailed(
                    f"could not be written: {error.strerror or error}",
                    file=str(path),
                    hint="free disk space or fix permissions, then generate again; "
                    "the previous files are unchanged",
                ) from None
    except BaseException:
        for _, temp_name, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
        raise
    for _, temp_name, path in staged:
        os.replace(temp_name, path)
    return [relative for relative, _, _ in staged]
