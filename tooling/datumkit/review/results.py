"""What review finds, as plain data: one :class:`DatumReview` per changed datum, in a
:class:`Review` of the whole range. The renderers (text, markdown, JSON) read only these types."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

from datumkit.model.datumdir import (
    DATUMS_DIR,
    PATCH_FILE,
)
from datumkit.review.fields import (
    FieldChange,
    RubricChanges,
)
from datumkit.review.interdiff import PatchDiff
from datumkit.review.upstream import (
    ApplyCheck,
    ApplyStatus,
    BaselineMove,
)

Status = Literal["added", "removed", "renamed", "modified"]
GeneratedKind = Literal["hand-edited", "stale", "missing", "not-generated"]


@dataclass(frozen=True)
class Revision:
    """One side of the review as the user named it, and the commit it is (None: the index)."""

    label: str
    commit: str | None


@dataclass(frozen=True)
class GeneratedIssue:
    """A GENERATED file at HEAD that is not what generation writes.

    ``kind``: "hand-edited" (changed in the range, but not to what generation writes), "stale"
    (not changed in the range although its source did, or already out of sync at BASE),
    "missing", or "not-generated" (a file in overlay_files/ that no generator writes).
    """

    path: str
    kind: GeneratedKind
    detail: str | None = None


@dataclass(frozen=True)
class GeneratedReview:
    """GENERATED files: regenerated in the range (nothing to read) and problems at HEAD."""

    regenerated: tuple[str, ...]
    issues: tuple[GeneratedIssue, ...]


@dataclass(frozen=True)
class LockState:
    """datum.lock on one side: whether there is one, and the patched tree id it records."""

    present: bool
    patched_tree: str | None


@dataclass(frozen=True)
class LockChange:
    """datum.lock before and after (None: the datum does not exist on that side)."""

    before: LockState | None
    after: LockState | None


@dataclass(frozen=True)
class FileStatus:
    """Another SOURCE file of the datum (notes.md, trace/...) that changed."""

    path: str
    status: Literal["added", "removed", "modified"]


@dataclass(frozen=True)
class DatumReview:
    """Everything that changed in one datum between BASE and HEAD."""

    #: the name at HEAD (at BASE for a removed datum)
    name: str
    status: Status
    #: the name at BASE of a renamed datum
    old_name: str | None = None
    #: how alike the renamed directories are, in percent
    similarity: int | None = None
    title: str | None = None
    #: the baseline at HEAD (at BASE for a removed datum), when datum.yaml states one
    baseline_sha: str | None = None
    fields: tuple[FieldChange, ...] = ()
    rubrics: RubricChanges | None = None
    baseline: BaselineMove | None = None
    patch: PatchDiff | None = None
    applies: ApplyCheck | None = None
    #: the apply status at BASE, looked up only when the patch fails at HEAD
    applied_at_base: ApplyStatus | None = None
    generated: GeneratedReview | None = None
    lock: LockChange | None = None
    files: tuple[FileStatus, ...] = ()
    #: why the datum is invalid at HEAD, one line each
    invalid: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: the solution leaks into what the agent is given at HEAD (the `leaks` check), one line each
    leaks: tuple[str, ...] = ()

    @property
    def directory(self) -> str:
        return f"{DATUMS_DIR}/{self.name}"

    @property
    def blocking(self) -> tuple[str, ...]:
        """Problems at HEAD that should stop a merge, one line each."""
        problems = list(self.invalid)
        if self.applies is not None and self.applies.status == "fails":
            problems.append(f"{self.directory}/{PATCH_FILE}: {apply_failure(self)}")
        if self.generated is not None:
            problems += [
                f"{self.directory}/{i.path}: {i.kind}" + (f": {i.detail}" if i.detail else "")
                for i in self.generated.issues
            ]
        return (*problems, *self.leaks)


def apply_failure_verb(review: DatumReview) -> str:
    """The one wording of a patch that fails at HEAD: a regression, or a failure BASE had too."""
    return "still does not apply" if review.applied_at_base == "fails" else "no longer applies"


def apply_failure(review: DatumReview) -> str:
    """'no longer applies at <sha>: <file>: <hunk>: <why>' (or 'does not apply' when it
    did not apply at BASE either)."""
    check = review.applies
    assert check is not None
    where = ": ".join(p for p in (check.file, check.hunk) if p)
    text = f"{apply_failure_verb(review)} at baseline {check.baseline[:12]}"
    why = (check.message or "").removeprefix("does not apply: ")
    return f"{text}: {where}: {why}" if where else f"{text}: {why}"


@dataclass(frozen=True)
class Review:
    """The review of a range: both sides and every datum that changed, by name."""

    base: Revision
    head: Revision
    spec: str
    datums: tuple[DatumReview, ...]

    @property
    def ok(self) -> bool:
        return not any(d.blocking for d in self.datums)

    def counts(self) -> dict[str, int]:
        """How many datums were added, removed, renamed and modified."""
        found = Counter(d.status for d in self.datums)
        return {s: found[s] for s in ("added", "removed", "renamed", "modified")}
