"""Writing a tree (baseline or patched) of a datum into a directory, without git or Docker.

This is what the Dockerfile would check out, byte for byte in the files: the same tree, limited
to the same sparse checkout, so a user can run the upstream's tests on the datum directly.
Files come from the mirror plus the in-memory objects of the patch; nothing is written to the
mirror. The directory appears complete or not at all (built aside, then renamed into place).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pygit2

from datumkit.errors import UsageProblem
from datumkit.fsio import staged_directory
from datumkit.git.apply import iter_tree_files
from datumkit.git.tree import EXECUTABLE_MODE, GITLINK_MODE, SYMLINK_MODE


@dataclass(frozen=True)
class Materialized:
    directory: Path
    tree_id: str
    files: int
    submodules: tuple[str, ...]


def _check_target(directory: Path) -> None:
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise UsageProblem(
            f"{directory} exists and is not an empty directory",
            hint="give a new or empty directory; nothing was written",
        )


def materialize_tree(
    repo: pygit2.Repository,
    tree_id: str,
    directory: Path,
    *,
    objects: Mapping[str, tuple[str, bytes]] | None = None,
    sparse_checkout: Sequence[str] = (),
) -> Materialized:
    """Write every file of `tree_id` (limited to `sparse_checkout` when given) into `directory`."""
    _check_target(directory)
    count = 0
    submodules = []
    with staged_directory(directory, replace=directory.exists()) as staging:
        staging.chmod(0o755)
        for entry in iter_tree_files(repo, tree_id, objects):
            if sparse_checkout and not in_sparse_checkout(entry.path, sparse_checkout):
                continue
            target = staging / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            if entry.mode == GITLINK_MODE:
                target.mkdir()  # git leaves an empty directory for an uninitialised submodule
                submodules.append(entry.path)
                continue
            if entry.mode == SYMLINK_MODE:
                os.symlink(entry.data.decode("utf-8", "surrogateescape"), target)
            else:
                target.write_bytes(entry.data)
                target.chmod(0o755 if entry.mode == EXECUTABLE_MODE else 0o644)
            count += 1
    return Materialized(directory, tree_id, count, tuple(submodules))


def in_sparse_checkout(path: str, patterns: Iterable[str]) -> bool:
    """Whether a non-cone sparse checkout of `patterns` contains `path` (dir or glob patterns)."""
    for pattern in patterns:
        stripped = pattern.strip("/")
        if path == stripped or path.startswith(stripped + "/"):
            return True
        if fnmatch.fnmatchcase(path, stripped):
            return True
    return False
