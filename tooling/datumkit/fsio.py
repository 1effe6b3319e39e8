"""Writing files and directories so that a crash or a full disk never leaves one half-written.

Every write goes to a temporary file in the same directory, is flushed to disk, and then replaces
the target with one atomic rename. A reader (another process, an editor, git) sees the old bytes or
the new bytes, never a mix.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def write_atomic(path: Path, content: bytes, *, mode: int | None = None) -> bool:
    """Write `content` to `path` atomically; return False (and touch nothing) when already equal.

    Skipping identical content keeps mtimes stable, so running generation twice changes nothing,
    not even timestamps that make or pre-commit look at.
    """
    try:
        if path.read_bytes() == content and (mode is None or _mode_of(path) == mode):
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    existing_mode = _mode_of(path) if path.exists() else None
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        final_mode = mode if mode is not None else existing_mode
        os.chmod(temp_name, final_mode if final_mode is not None else 0o644)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    return True


def _mode_of(path: Path) -> int:
    return path.stat().st_mode & 0o777


# --- whole directories ----------------------------------------------------------------------
# Creating a whole datum directory at once: build it aside, then move it into place.
#
# Import (and later bundle) create several files; a failure halfway must not leave a datum that
# looks real but is missing half its files. The directory is assembled next to its final place
# (same filesystem, so the rename is atomic) and renamed only when complete. With `replace`, the
# old directory stays in place until the new one is complete.


@contextlib.contextmanager
def staged_directory(final: Path, *, replace: bool = False) -> Iterator[Path]:
    """Yield an empty directory to fill; on success it becomes `final`, on error it vanishes."""
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.staging-", dir=final.parent))
    try:
        yield staging
        if final.exists():
            if not replace:
                raise FileExistsError(final)
            retired = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
            os.replace(final, retired / final.name)
            os.replace(staging, final)
            shutil.rmtree(retired)
        else:
            os.replace(staging, final)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
