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

from datumkit.errors import DatumError

#: what `write_atomic` names its temporary files: `.<name>.<random>.tmp`
TEMP_SUFFIX = ".tmp"
#: what `staged_directory` names its directories next to the final one
STAGING_MARK = ".staging-"
RETIRED_MARK = ".old-"


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
    existing_mode = _mode_of(path) if path.exists() else None
    final_mode = mode if mode is not None else existing_mode
    temp_name = stage_file(path, content, final_mode if final_mode is not None else 0o644)
    try:
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    return True


def stage_file(path: Path, content: bytes, mode: int) -> str:
    """Write `content` to a flushed temporary file beside `path` (same filesystem, so a rename
    replaces `path` atomically); return its name. Nothing is left behind on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    return temp_name


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
    remove_stale_staging(final)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}{STAGING_MARK}", dir=final.parent))
    try:
        yield staging
        if final.exists():
            if not replace:
                raise FileExistsError(final)
            retired = Path(
                tempfile.mkdtemp(prefix=f".{final.name}{RETIRED_MARK}", dir=final.parent)
            )
            os.replace(final, retired / final.name)
            os.replace(staging, final)
            shutil.rmtree(retired)
        else:
            os.replace(staging, final)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def remove_stale_staging(final: Path) -> list[Path]:
    """Delete what an interrupted `staged_directory(final)` left (a `kill -9` mid-bundle).

    Staging directories are hidden (leading '.') so no datum listing sees them; the next run
    for the same target removes them. Returns what was removed.
    """
    removed = []
    for mark in (STAGING_MARK, RETIRED_MARK):
        for leftover in sorted(final.parent.glob(f".{final.name}{mark}*")):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
                removed.append(leftover)
    return removed


def remove_stale_temp_files(directory: Path) -> list[Path]:
    """Delete `.NAME.*.tmp` files an interrupted `write_atomic` left in `directory`."""
    removed: list[Path] = []
    if not directory.is_dir() or directory.is_symlink():
        return removed
    for leftover in sorted(directory.glob(f".*{TEMP_SUFFIX}")):
        if leftover.is_file() and not leftover.is_symlink():
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
            removed.append(leftover)
    return removed


# --- safe paths -------------------------------------------------------------------------------
# Every write into a datum (and every copy out of a source directory) goes through `inside`: a
# relative path that is absolute, climbs with '..', or passes through a symlink is refused, so a
# committed symlink `overlay_files -> /home/you` cannot make generation write outside the datum.


class OutsideRoot(DatumError):
    """A path would leave the directory it must stay in (absolute, '..', or via a symlink)."""


def unsafe_relative(relative: str) -> str | None:
    """Why `relative` (posix, inside some root) is not a plain path inside it, or None."""
    if not relative or "\x00" in relative:
        return "empty path or NUL byte"
    if relative.startswith("/") or "\\" in relative:
        return "absolute path or backslash"
    for part in relative.split("/"):
        if part in ("", ".", ".."):
            return f"{part or 'empty'!r} path component"
    return None


def inside(root: Path, relative: str, *, display: str | None = None) -> Path:
    """`root / relative`, refused (OutsideRoot) when it leaves `root` or passes a symlink.

    Every component that exists below `root` must be a real directory (the last: not a
    symlink either), so neither the datum nor an attacker-controlled tree can redirect the write
    or read. `root` itself may be a symlink: the user chose it.
    """
    shown = display or f"{root}/{relative}"
    reason = unsafe_relative(relative)
    if reason is not None:
        raise OutsideRoot(f"refused: {reason}", file=shown, hint="use a plain relative path")
    current = root
    for part in relative.split("/"):
        current = current / part
        if current.is_symlink():
            raise OutsideRoot(
                f"refused: {current.relative_to(root).as_posix()} is a symlink",
                file=shown,
                hint="datumkit never follows symlinks out of a datum or source directory; "
                "replace the link with a real file or directory",
            )
        if not current.exists():
            break
    return root / relative


def write_inside(root: Path, relative: str, content: bytes, *, mode: int | None = None) -> bool:
    """`write_atomic` of `root/relative`, after `inside` has proved the path stays in `root`."""
    return write_atomic(inside(root, relative), content, mode=mode)
