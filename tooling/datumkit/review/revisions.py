"""What the user asked to review: ``BASE..HEAD``, ``BASE...HEAD``, ``BASE`` or ``--staged``.

The two sides become snapshots read from git objects; nothing is checked out, so a bare
repository works as well as a clone. Every unreadable revision is a usage error (exit 2) naming
what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pygit2

from datumkit.errors import UsageProblem
from datumkit.git.revisions import RevisionNotFound, find_commit
from datumkit.model.datumdir import DATUMS_DIR
from datumkit.review.gitfiles import IndexSnapshot, Snapshot, TreeSnapshot

_REVISION_HINT = "use a commit, branch or tag, e.g. main..my-branch or origin/main...HEAD"


@dataclass(frozen=True)
class ReviewRange:
    """The two sides of a review: `base` is what the change starts from, `head` where it ends."""

    base: TreeSnapshot
    head: Snapshot
    #: how the user wrote it, e.g. ``main..topic`` or ``--staged``
    spec: str


def open_repository(start: Path) -> pygit2.Repository:
    """The git repository holding `start` (a work tree, or a bare repository's directory)."""
    found = pygit2.discover_repository(str(start))
    if found is None:
        raise UsageProblem(
            f"{start} is not in a git repository",
            hint="review runs on git history; pass --root with a clone or a bare repository",
        )
    return pygit2.Repository(found)


def datums_path(repo: pygit2.Repository, project_root: Path) -> str:
    """Where datum directories live inside the repository (``datums`` unless nested deeper)."""
    if repo.workdir is None:
        return DATUMS_DIR
    workdir = Path(repo.workdir).resolve()
    root = project_root.resolve()
    if root == workdir or not root.is_relative_to(workdir):
        return DATUMS_DIR
    return f"{root.relative_to(workdir).as_posix()}/{DATUMS_DIR}"


def _commit(repo: pygit2.Repository, revision: str) -> pygit2.Commit:
    try:
        return find_commit(repo, revision)
    except RevisionNotFound:
        raise UsageProblem(
            f"{revision!r} is not a commit of this repository", hint=_REVISION_HINT
        ) from None


def _snapshot(
    repo: pygit2.Repository, label: str, commit: pygit2.Commit, where: str
) -> TreeSnapshot:
    return TreeSnapshot(repo, label, str(commit.id), commit.tree, where)


def resolve_range(
    repo: pygit2.Repository, spec: str | None, *, staged: bool, where: str = DATUMS_DIR
) -> ReviewRange:
    """Turn what the user typed into two snapshots.

    ``A..B`` compares A with B; ``A...B`` compares B with the merge base of A and B (what a pull
    request shows); a single ``A`` means ``A..HEAD``; an empty side means ``HEAD``.
    ``--staged`` compares HEAD with the index (an unborn HEAD counts as empty).
    """
    if staged:
        if spec:
            raise UsageProblem("give REVISIONS or --staged, not both")
        return ReviewRange(
            _head_snapshot(repo, where), IndexSnapshot(repo, datums_path=where), "--staged"
        )
    if not spec:
        raise UsageProblem(
            "nothing to review", hint="give BASE..HEAD (e.g. main..my-branch) or --staged"
        )
    symmetric = "..." in spec
    left, sep, right = spec.partition("..." if symmetric else "..")
    if not sep:
        left, right = spec, "HEAD"
    left, right = left or "HEAD", right or "HEAD"
    base_commit, head_commit = _commit(repo, left), _commit(repo, right)
    base_label = left
    if symmetric:
        merge_base = repo.merge_base(base_commit.id, head_commit.id)
        if merge_base is None:
            raise UsageProblem(
                f"{left!r} and {right!r} have no common ancestor", hint="use BASE..HEAD instead"
            )
        merged = repo[merge_base]
        assert isinstance(merged, pygit2.Commit)
        base_commit, base_label = merged, f"merge base of {left} and {right}"
    return ReviewRange(
        _snapshot(repo, base_label, base_commit, where),
        _snapshot(repo, right, head_commit, where),
        spec,
    )


def _head_snapshot(repo: pygit2.Repository, where: str) -> TreeSnapshot:
    if repo.head_is_unborn:
        return TreeSnapshot(repo, "HEAD", None, None, where)
    return _snapshot(repo, "HEAD", _commit(repo, "HEAD"), where)
