"""What the upstream mirror says about a datum: how far the baseline moved, whether the patch
still applies, which tree it produces.

Only local mirrors are read (:func:`datumkit.git.mirrors.open_mirror`); review never fetches. When a
mirror or a commit is missing the answer is "unknown" with a note saying why and how to get it,
never an error: a reviewer still gets everything the datum repository itself can tell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pygit2

from datumkit.errors import DatumError, detail_for_datum
from datumkit.git.apply import PatchAlreadyApplied, PatchDoesNotApply, PatchResult
from datumkit.git.mirrors import MirrorLocator, SourceError, resolve_commit
from datumkit.model.applied import apply_datum_patch, cached_mirror
from datumkit.model.datumdir import DatumSource


class Mirrors:
    """The local mirrors one review reads, each opened at most once; never fetches."""

    def __init__(self, locator: MirrorLocator) -> None:
        self.locator = locator
        self._opened: dict[str, pygit2.Repository | DatumError] = {}

    def open(self, git_url: str) -> pygit2.Repository | DatumError:
        """The mirror of `git_url`, or the error that says why there is none."""
        if git_url not in self._opened:
            try:
                self._opened[git_url] = cached_mirror(self.locator, git_url)
            except DatumError as error:
                self._opened[git_url] = error
        return self._opened[git_url]

    def commit(self, git_url: str, sha: str) -> pygit2.Commit | DatumError:
        """Commit `sha` of `git_url` from its mirror, or the error that says why it is unknown."""
        repo = self.open(git_url)
        if isinstance(repo, DatumError):
            return repo
        try:
            return resolve_commit(repo, sha, git_url)
        except DatumError as error:
            return error


@dataclass(frozen=True)
class BaselineMove:
    """The baseline SHA moved from `old` to `new`.

    `ahead` counts commits reachable from the new baseline but not the old one, `behind` the
    reverse (a forward move is ahead > 0 and behind == 0); both None when the mirror cannot tell,
    and `note` then says why. Subjects are the first lines of the commit messages, when known.
    """

    old: str
    new: str
    ahead: int | None = None
    behind: int | None = None
    old_subject: str | None = None
    new_subject: str | None = None
    note: str | None = None

    def describe(self) -> str:
        """`moved forward 2 commits`, `moved back 1 commit`, or why it cannot be counted."""
        if self.ahead is None or self.behind is None:
            return "commits between them not counted"
        if self.behind == 0:
            return f"moved forward {_commits(self.ahead)}"
        if self.ahead == 0:
            return f"moved back {_commits(self.behind)}"
        return f"moved to another line of history: {self.ahead} ahead, {self.behind} behind"


def _commits(count: int) -> str:
    return f"{count} commit" if count == 1 else f"{count} commits"


def _subject(commit: pygit2.Commit) -> str:
    lines = commit.message.splitlines()
    return lines[0] if lines else ""


def baseline_move(
    mirrors: Mirrors, git_url: str, old: str, new: str, *, datum: str
) -> BaselineMove:
    """Count the commits between two baselines of `git_url` in its mirror (HEAD's URL)."""
    before, after = mirrors.commit(git_url, old), mirrors.commit(git_url, new)
    missing = next((c for c in (after, before) if isinstance(c, DatumError)), None)
    if missing is not None:
        return BaselineMove(
            old,
            new,
            old_subject=None if isinstance(before, DatumError) else _subject(before),
            new_subject=None if isinstance(after, DatumError) else _subject(after),
            note=detail_for_datum(missing, datum),
        )
    assert isinstance(before, pygit2.Commit) and isinstance(after, pygit2.Commit)
    repo = mirrors.open(git_url)
    assert isinstance(repo, pygit2.Repository)
    ahead, behind = repo.ahead_behind(after.id, before.id)
    return BaselineMove(old, new, ahead, behind, _subject(before), _subject(after))


ApplyStatus = Literal["applies", "fails", "unknown"]


@dataclass(frozen=True)
class ApplyCheck:
    """Whether diff.patch applies at the baseline (in memory, against the mirror).

    ``status`` is "applies" (``patched_tree`` set), "fails" (``message`` says why; ``file`` and
    ``hunk`` say where, when the failure is about one), or "unknown" (``message`` says why it
    could not be checked: no mirror, or the baseline is not in the mirror).
    """

    status: ApplyStatus
    baseline: str
    patched_tree: str | None = None
    file: str | None = None
    hunk: str | None = None
    message: str | None = None


def check_applies(
    source: DatumSource, locator: MirrorLocator
) -> tuple[ApplyCheck, PatchResult | None]:
    """Apply the datum's diff.patch at its baseline in memory, exactly as `datum check` does
    (:func:`datumkit.model.applied.apply_datum_patch`); never raises for a datum problem."""
    baseline = source.datum.repo.start_commit_sha
    try:
        result = apply_datum_patch(source, locator)
    except SourceError as error:
        return ApplyCheck("unknown", baseline, message=error.detail), None
    except (PatchDoesNotApply, PatchAlreadyApplied) as error:
        failure = ApplyCheck(
            "fails", baseline, file=error.path, hunk=error.hunk_header, message=error.detail
        )
        return failure, None
    except DatumError as error:  # malformed, empty or unsafe patch; no diff.patch at all
        return ApplyCheck("fails", baseline, hunk=error.location, message=error.detail), None
    return ApplyCheck("applies", baseline, patched_tree=result.patched_tree), result
