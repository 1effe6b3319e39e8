"""Revision -> commit, one way for every command: a baseline SHA, `--changed-since REV`,
`datum review BASE..HEAD`, `datum materialize`.

Each caller words its own error (a baseline that is not in the mirror is not the same mistake
as a review range that names no commit), so this raises :class:`RevisionNotFound` carrying the
revision and git's reason, and nothing else.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pygit2

_FULL_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


class RevisionNotFound(Exception):
    """`revision` names no commit of the repository; `reason` says what git found instead."""

    def __init__(self, revision: str, reason: str) -> None:
        super().__init__(f"{revision}: {reason}")
        self.revision = revision
        self.reason = reason


def find_commit(repo: pygit2.Repository, revision: str) -> pygit2.Commit:
    """The commit `revision` names: a full id, or anything ``git rev-parse`` accepts (peeled)."""
    import pygit2  # already imported by whoever opened `repo`

    if _FULL_SHA.fullmatch(revision):
        # A full id needs no rev-parse, which would first look for refs of that name (reading
        # packed-refs: milliseconds in a mirror with thousands of tags). git prefers the id too.
        direct = repo.get(revision)
        if isinstance(direct, pygit2.Commit):
            return direct
    try:
        found = repo.revparse_single(revision)
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError) as exc:
        raise RevisionNotFound(revision, str(exc) or "unknown revision") from None
    try:
        commit = found.peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
        raise RevisionNotFound(revision, f"it names a {found.type_str}") from None
    if not isinstance(commit, pygit2.Commit):
        raise RevisionNotFound(revision, f"it names a {found.type_str}")
    return commit
