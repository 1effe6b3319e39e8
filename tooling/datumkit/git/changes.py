"""Which files changed since a revision: what `--changed-since REV` and CI use to pick datums.

Compares REV's tree with the working tree (committed, staged and unstaged changes, plus untracked
files that are not ignored), reading only; neither the index nor the working tree is written.
"""

from __future__ import annotations

from pathlib import Path

import pygit2

from datumkit.errors import UsageProblem
from datumkit.git.revisions import RevisionNotFound, find_commit


def changed_paths_since(project_root: Path, revision: str) -> list[str]:
    """Paths (relative to `project_root`) that differ between `revision` and the working tree."""
    found = pygit2.discover_repository(str(project_root))
    if found is None:
        raise UsageProblem(
            f"{project_root} is not in a git repository", hint="--changed-since needs git history"
        )
    repo = pygit2.Repository(found)
    try:
        tree = find_commit(repo, revision).tree
    except RevisionNotFound:
        raise UsageProblem(
            f"--changed-since {revision!r} is not a revision of {repo.workdir}",
            hint="use a commit, branch or tag, e.g. origin/main",
        ) from None
    flags = (
        pygit2.enums.DiffOption.INCLUDE_UNTRACKED | pygit2.enums.DiffOption.RECURSE_UNTRACKED_DIRS
    )
    diff = tree.diff_to_workdir(flags=flags)
    workdir = Path(repo.workdir).resolve()
    root = project_root.resolve()
    paths = set()
    for delta in diff.deltas:
        for name in {delta.old_file.path, delta.new_file.path}:
            absolute = workdir / name
            if absolute.is_relative_to(root):
                paths.add(absolute.relative_to(root).as_posix())
    return sorted(paths)
