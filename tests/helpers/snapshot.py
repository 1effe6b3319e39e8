"""The one snapshot helper: proves "nothing was touched" by comparing two snapshots."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def snapshot(root: Path) -> dict[str, str]:
    """Every path under ``root``: a digest and the mode of each file, the target of each link,
    and each directory. Two equal snapshots mean nothing was written, created, removed or
    chmod-ed, lock files included."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[relative] = "link:" + os.readlink(path)
        elif path.is_dir():
            found[relative] = "dir"
        else:
            mode = path.stat().st_mode & 0o7777
            found[relative] = f"{mode:o}:{hashlib.sha256(path.read_bytes()).hexdigest()}"
    return found
