"""A session workspace with every kind of change capture must keep (shared by capture tests).

Built with the git CLI, fixed identities and dates: a baseline commit, a session commit, then
staged, unstaged, untracked, ignored, force-added, binary, renamed, chmod-ed, deleted, symlinked
and empty files on top. The module holds helpers, not tests.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pygit2

from datumkit.git.apply import PatchResult
from datumkit.git.tree import iter_tree_files
from helpers.repo import git

BINARY_V1 = bytes(range(256)) * 4
BINARY_V2 = bytes(reversed(range(256))) * 4 + b"\0tail"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
RENAMED_TEXT = "".join(f"line {n} of a file that moves\n" for n in range(30))


#: fixed identities, so module-scoped fixtures (built before conftest's autouse fixture) commit
IDENTITY = {
    "GIT_AUTHOR_NAME": "Session Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Session Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def run_git(root: Path, *args: str) -> str:
    return git(root, *args, env=IDENTITY)


@dataclass(frozen=True)
class Workspace:
    root: Path
    baseline: str
    head: str


def write(root: Path, relative: str, content: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def make_workspace(
    base: Path, *, remote: str | None = "https://example.invalid/up/stream.git"
) -> Workspace:
    """The session workspace described in the module docstring."""
    root = base / "workspace"
    root.mkdir(parents=True)
    run_git(root, "init", "-q")
    run_git(root, "config", "core.fileMode", "true")
    if remote:
        run_git(root, "remote", "add", "origin", remote)
    write(root, ".gitignore", "*.log\nbuild/\n")
    write(root, "README.md", "# upstream\n\nA tiny project.\n")
    write(root, "src/app.py", "def answer():\n    return 41\n")
    write(root, "data/blob.bin", BINARY_V1)
    write(root, "scripts/run.sh", "#!/bin/sh\necho run\n")
    write(root, "old_name.txt", RENAMED_TEXT)
    write(root, "deleted.txt", "this file goes away\n")
    write(root, "partial.txt", "version 0\n")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "baseline")
    baseline = run_git(root, "rev-parse", "HEAD").strip()

    # committed during the session
    write(root, "src/app.py", "def answer():\n    return 42\n")
    write(root, "src/committed_new.py", "NEW = True\n")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "session work")
    head = run_git(root, "rev-parse", "HEAD").strip()

    # staged
    write(root, "README.md", "# upstream\n\nA tiny project, improved.\n")
    write(root, "staged_new.txt", "staged and new\n")
    write(root, "partial.txt", "version 1 (staged)\n")
    run_git(root, "add", "README.md", "staged_new.txt", "partial.txt")
    run_git(root, "mv", "old_name.txt", "new_name.txt")
    write(root, "keep.log", "force-added although *.log is ignored\n")
    run_git(root, "add", "-f", "keep.log")
    # unstaged, on top of staged
    write(root, "partial.txt", "version 2 (unstaged, wins)\n")
    write(root, "src/app.py", "def answer():\n    return 42  # the answer\n")
    write(root, "data/blob.bin", BINARY_V2)
    (root / "scripts/run.sh").chmod(0o755)
    (root / "deleted.txt").unlink()
    # untracked
    write(root, "untracked.py", "print('hello')\n")
    write(root, "nested/deep/file.txt", "deep\n")
    write(root, "image.png", PNG)
    write(root, "empty.txt", "")
    os.symlink("src/app.py", root / "link")
    # ignored: never captured
    write(root, "debug.log", "noise\n")
    write(root, "build/out.txt", "artifact\n")
    return Workspace(root, baseline, head)


def worktree_files(root: Path) -> dict[str, tuple[int, bytes]]:
    """What the session's tree holds: every file on disk that git does not ignore."""
    ignored = set(
        subprocess.run(
            ["git", "ls-files", "--others", "--ignored", "--exclude-standard", "-z"],
            cwd=root,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if relative == ".git" or relative.startswith(".git/") or relative in ignored:
            continue
        if path.is_symlink():
            files[relative] = (0o120000, os.readlink(path).encode())
        elif path.is_file():
            mode = 0o100755 if path.stat().st_mode & 0o100 else 0o100644
            files[relative] = (mode, path.read_bytes())
    return files


def patched_files(root: Path, result: PatchResult) -> dict[str, tuple[int, bytes]]:
    """The files of the patched tree, read from the repository plus the apply's new objects."""
    repo = pygit2.Repository(str(root))
    return {
        f.path: (f.mode, f.data) for f in iter_tree_files(repo, result.patched_tree, result.objects)
    }
