"""Real git repositories for tests, built with the git CLI: deterministic commits, bare mirrors.

Tests that prove something about git behaviour must use git itself to make the commits and the
patches (never hand-written objects), so these helpers drive the ``git`` command with a fixed
identity and clock: the same test run twice makes the same SHAs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from helpers.repo import run_git
from helpers.snapshot import snapshot

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Fixture Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Fixture Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.invalid",
    "GIT_AUTHOR_DATE": "2024-01-02T03:04:05+00:00",
    "GIT_COMMITTER_DATE": "2024-01-02T03:04:05+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "LC_ALL": "C",
}

REGULAR = 0o100644
EXECUTABLE = 0o100755
SYMLINK = 0o120000


@dataclass(frozen=True)
class File:
    """Content and git mode of a file to write; for a symlink ``data`` is the target."""

    data: bytes
    mode: int = REGULAR


#: ``None`` in a change set deletes the path.
Changes = Mapping[str, File | None]


def git(
    cwd: Path, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None
) -> bytes:
    """Run git in ``cwd`` with the fixture identity; return stdout, raise on failure."""
    return run_git(cwd, *args, input=input, env={**GIT_ENV, **(env or {})})


class GitRepo:
    """A non-bare repository whose work tree the test edits and commits."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, path: Path) -> GitRepo:
        path.mkdir(parents=True)
        git(path, "init", "-q", "-b", "main")
        git(path, "config", "core.autocrlf", "false")
        git(path, "config", "core.symlinks", "true")
        return cls(path)

    def git(self, *args: str, input: bytes | None = None) -> bytes:
        return git(self.path, *args, input=input)

    def write(self, changes: Changes) -> None:
        """Make the work tree files match ``changes`` (write, chmod, symlink, delete)."""
        for rel, spec in changes.items():
            target = self.path / rel
            if target.is_symlink() or target.is_file():
                target.unlink()
            elif target.is_dir():
                shutil.rmtree(target)
            if spec is None:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if spec.mode == SYMLINK:
                target.symlink_to(spec.data.decode())
            else:
                target.write_bytes(spec.data)
                target.chmod(0o755 if spec.mode == EXECUTABLE else 0o644)

    def commit(self, changes: Changes, message: str, *, parent: str | None = None) -> str:
        """Commit ``changes`` on top of ``parent`` (default: current HEAD); return the SHA."""
        if parent is not None:
            self.git("checkout", "-q", "--detach", parent)
        self.write(changes)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.rev("HEAD")

    def rev(self, spec: str) -> str:
        return self.git("rev-parse", spec).decode().strip()

    def tree(self, commit: str) -> str:
        return self.rev(f"{commit}^{{tree}}")

    def export(self, commit: str, destination: Path) -> Path:
        """The files of ``commit`` in a plain directory (like a release tarball)."""
        destination.mkdir(parents=True)
        archive = self.git("archive", "--format=tar", commit)
        subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)
        return destination

    def bare_clone(self, destination: Path, *, branch: str | None = None) -> Path:
        """A bare mirror (only ``branch``'s history when given)."""
        args = ["clone", "-q", "--bare", "--no-local"]  # --no-local: copy only what is reachable
        if branch is not None:
            args += ["--single-branch", "--no-tags", "--branch", branch]
        git(self.path.parent, *args, str(self.path), str(destination))
        return destination


__all__ = ["GIT_ENV", "File", "GitRepo", "git", "snapshot"]
