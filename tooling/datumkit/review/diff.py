"""The semantic diff of the datums between two revisions: what each change *means*.

For every datum directory that differs between BASE and HEAD (and no other: cost follows the
change, not the repository), this module loads both sides from git objects and says:

* added, removed, renamed (a removed and an added directory whose datum.yaml and diff.patch are
  mostly the same lines) or modified;
* each changed datum.yaml field, old -> new (:mod:`.fields`), and the rubrics added, removed and
  reweighted with the weight sums;
* how far the baseline moved, and whether diff.patch still applies there (:mod:`.upstream`);
* how diff.patch changed, hunk by hunk (:mod:`.interdiff`);
* GENERATED files that are stale or edited by hand at HEAD (compared with ``render_all``), and
  the patched tree recorded in datum.lock on both sides.

Problems at HEAD that must stop a merge are collected in :attr:`DatumReview.blocking`.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from datumkit.checks.generated import first_difference
from datumkit.errors import DatumError
from datumkit.generate import render_all
from datumkit.generate.lock import parse_lock, render_lock
from datumkit.git.apply import PatchResult
from datumkit.model.datum import DatumInvalid, validate_datum
from datumkit.model.datumdir import (
    DATUM_YAML,
    DATUMS_DIR,
    GENERATED_FILES,
    LOCK_FILE,
    OVERLAY_DIR,
    PATCH_FILE,
    DatumSource,
)
from datumkit.model.receipt import RECEIPT_FILE
from datumkit.model.yamlio import load_roundtrip, to_plain
from datumkit.review.fields import (
    FieldChange,
    RubricChanges,
    field_changes,
    rubric_changes,
)
from datumkit.review.gitfiles import GitFiles, Snapshot, TreeSnapshot, changed_datum_names
from datumkit.review.interdiff import PatchDiff, interdiff, patch_stats
from datumkit.review.upstream import (
    ApplyCheck,
    ApplyStatus,
    BaselineMove,
    Mirrors,
    baseline_move,
    check_applies,
)

Status = Literal["added", "removed", "renamed", "modified"]
GeneratedKind = Literal["hand-edited", "stale", "missing", "not-generated"]

#: A removed and an added datum are one renamed datum at this similarity (percent) or more.
RENAME_THRESHOLD = 50


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
        return tuple(problems)


def apply_failure(review: DatumReview) -> str:
    """'no longer applies at <sha>: <file>: <hunk>: <why>' (or 'does not apply' when it
    did not apply at BASE either)."""
    check = review.applies
    assert check is not None
    verb = "still does not apply" if review.applied_at_base == "fails" else "no longer applies"
    where = ": ".join(p for p in (check.file, check.hunk) if p)
    text = f"{verb} at baseline {check.baseline[:12]}"
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


# --- one side of a datum -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Side:
    """A datum directory at one revision: its files, datum.yaml as plain data, and the
    validated source when it is valid."""

    name: str
    files: GitFiles
    plain: Any
    source: DatumSource | None
    problems: tuple[str, ...]

    def read(self, relative: str) -> bytes | None:
        return self.files.read(relative)

    def text(self, path: tuple[str, ...]) -> str | None:
        value = self.plain
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value if isinstance(value, str) else None


def _load(name: str, files: GitFiles) -> _Side:
    display = f"{DATUMS_DIR}/{name}/{DATUM_YAML}"
    raw = files.read(DATUM_YAML)
    if raw is None:
        return _Side(
            name, files, None, None, (f"{display}: missing (add it, or remove the directory)",)
        )
    try:
        plain = to_plain(load_roundtrip(raw, file=display).data)
    except DatumError as error:
        return _Side(name, files, None, None, (str(error),))
    try:
        datum = validate_datum(plain, name=name, file=display)
    except DatumInvalid as error:
        return _Side(name, files, plain, None, tuple(error.lines()))
    return _Side(name, files, plain, DatumSource(name=name, datum=datum, files=files), ())


def _side(snapshot: Snapshot, name: str) -> _Side | None:
    files = snapshot.files(name)
    return None if files is None or not files.blobs else _load(name, files)


# --- renames -----------------------------------------------------------------------------------


def _yaml_lines(files: GitFiles) -> Counter[bytes]:
    """datum.yaml lines that carry a value (not bare keys, comments or blank lines)."""
    lines = (line.strip() for line in (files.read(DATUM_YAML) or b"").splitlines())
    return Counter(s for s in lines if s and not s.startswith(b"#") and not s.endswith(b":"))


def _patch_lines(files: GitFiles) -> Counter[bytes]:
    """The changed lines of diff.patch (not its context, which is the upstream's code)."""
    lines = (files.read(PATCH_FILE) or b"").splitlines()
    return Counter(
        s for s in lines if s[:1] in (b"+", b"-") and not s.startswith((b"+++ ", b"--- "))
    )


def _share(a: Counter[bytes], b: Counter[bytes]) -> int:
    total = sum(a.values()) + sum(b.values())
    return 100 if total == 0 else math.floor(200 * sum((a & b).values()) / total)


_Fingerprint = tuple[Counter[bytes], Counter[bytes]]


def _fingerprint(files: GitFiles) -> _Fingerprint:
    return _yaml_lines(files), _patch_lines(files)


def _alike(old: _Fingerprint, new: _Fingerprint) -> int:
    return min(_share(old[0], new[0]), _share(old[1], new[1]))


def similarity(old: GitFiles, new: GitFiles) -> int:
    """How alike two datum directories are, in percent, scored like git scores a renamed file:
    the share of lines both have. datum.yaml and diff.patch must *both* be alike (the lower
    score counts): datums made from one template share most of their YAML, and datums of one
    upstream may share patch lines, but a renamed datum keeps both."""
    return _alike(_fingerprint(old), _fingerprint(new))


def _renames(base: dict[str, _Side], head: dict[str, _Side]) -> dict[str, tuple[str, int]]:
    """new name -> (old name, similarity) for removed/added pairs that are one datum renamed."""
    before = {name: _fingerprint(side.files) for name, side in base.items()}
    after = {name: _fingerprint(side.files) for name, side in head.items()}
    scored = [
        (_alike(old, new), old_name, new_name)
        for old_name, old in before.items()
        for new_name, new in after.items()
    ]
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    found: dict[str, tuple[str, int]] = {}
    taken: set[str] = set()
    for score, old_name, new_name in scored:
        if score >= RENAME_THRESHOLD and old_name not in taken and new_name not in found:
            found[new_name] = (old_name, score)
            taken.add(old_name)
    return found


# --- one datum ---------------------------------------------------------------------------------


def _blob(side: _Side | None, relative: str) -> str | None:
    return None if side is None else side.files.blob_id(relative)


def lock_state(data: bytes | None) -> LockState:
    """What datum.lock says, read tolerantly (``key: value`` lines; unknown keys ignored)."""
    if data is None:
        return LockState(False, None)
    return LockState(True, parse_lock(data).get("patched_tree") or None)


def _generated(base: _Side | None, head: _Side, expected: dict[str, bytes]) -> GeneratedReview:
    """Compare HEAD's GENERATED files with what generation writes from HEAD's datum.yaml."""
    regenerated: list[str] = []
    issues: list[GeneratedIssue] = []
    for path, content in expected.items():
        now, before = _blob(head, path), _blob(base, path)
        actual = head.read(path)
        if actual is None:
            issues.append(GeneratedIssue(path, "missing", "generation writes it"))
        elif actual == content:
            if now != before:
                regenerated.append(path)
        else:
            kind: GeneratedKind = "stale" if now == before else "hand-edited"
            issues.append(GeneratedIssue(path, kind, first_difference(content, actual)))
    for path in head.files.list(f"{OVERLAY_DIR}/"):
        if path not in expected:
            issues.append(GeneratedIssue(path, "not-generated", "no generator writes it"))
    return GeneratedReview(tuple(sorted(regenerated)), tuple(issues))


def _other_files(
    base: _Side | None, head: _Side | None, generated: Iterable[str]
) -> tuple[FileStatus, ...]:
    skip = {DATUM_YAML, PATCH_FILE, *GENERATED_FILES, *generated}
    paths = set(base.files.blobs if base else ()) | set(head.files.blobs if head else ())
    changes = []
    for path in sorted(paths):
        if path in skip or path.startswith(f"{OVERLAY_DIR}/"):
            continue
        before, after = _blob(base, path), _blob(head, path)
        if before == after:
            continue
        status: Literal["added", "removed", "modified"] = (
            "added" if before is None else "removed" if after is None else "modified"
        )
        changes.append(FileStatus(path, status))
    return tuple(changes)


_URL = ("repo", "git_url")
_SHA = ("repo", "start_commit_sha")
_TITLE = ("metadata", "title")


def _applies(side: _Side, mirrors: Mirrors) -> tuple[ApplyCheck | None, PatchResult | None]:
    if side.source is None:
        return None, None
    return check_applies(side.source, mirrors.locator)


def review_datum(
    base: _Side | None,
    head: _Side | None,
    mirrors: Mirrors,
    *,
    renamed_from: tuple[str, int] | None = None,
) -> DatumReview:
    """Compare one datum's two sides (None: absent on that side)."""
    if head is None:
        assert base is not None
        return DatumReview(
            base.name,
            "removed",
            title=base.text(_TITLE),
            baseline_sha=base.text(_SHA),
            patch=_patch_summary(base.read(PATCH_FILE), None),
            lock=LockChange(lock_state(base.read(LOCK_FILE)), None),
            files=_other_files(base, None, ()),
        )
    status: Status = "added" if base is None else "renamed" if renamed_from else "modified"
    notes: list[str] = []
    if base is not None and base.problems:
        notes.append(f"invalid at BASE ({len(base.problems)} problem(s)); compared as written")
    fields: tuple[FieldChange, ...] = ()
    rubrics = rubric_changes(None, head.plain) if base is None else None
    move = None
    patch: PatchDiff | None = _patch_summary(None, head.read(PATCH_FILE))
    if base is not None:
        fields = tuple(field_changes(base.plain, head.plain))
        found = rubric_changes(base.plain, head.plain)
        rubrics = found if found is not None and found.changed else None
        move = _baseline(base, head, mirrors, notes)
        if _blob(base, PATCH_FILE) != _blob(head, PATCH_FILE):
            patch = interdiff(base.read(PATCH_FILE), head.read(PATCH_FILE))
        else:
            patch = None
    applies, applied = _applies(head, mirrors)
    applied_at_base = None
    if applies is not None and applies.status == "fails" and base is not None:
        same = _blob(base, PATCH_FILE) == _blob(head, PATCH_FILE) and all(
            base.text(key) == head.text(key) for key in (_URL, _SHA)
        )
        before = applies if same else _applies(base, mirrors)[0]
        applied_at_base = None if before is None else before.status
    if applied is not None:
        notes += [f"patch: {warning}" for warning in applied.warnings]
    if head.source is not None:
        from datumkit.review.verification import verification_notes

        notes += verification_notes(head.source, None if base is None else base.read(RECEIPT_FILE))
    invalid = list(head.problems)
    generated = None
    expected: dict[str, bytes] = {}
    if head.source is not None:
        try:
            expected = render_all(head.source)
        except DatumError as error:
            invalid.append(str(error))
        else:
            if applied is not None:  # datum.lock can only be checked when the patch applies
                expected[LOCK_FILE] = render_lock(head.source, applied)
            generated = _generated(base, head, expected)
    return DatumReview(
        head.name,
        status,
        old_name=renamed_from[0] if renamed_from else None,
        similarity=renamed_from[1] if renamed_from else None,
        title=head.text(_TITLE),
        baseline_sha=head.text(_SHA),
        fields=fields,
        rubrics=rubrics,
        baseline=move,
        patch=patch,
        applies=applies,
        applied_at_base=applied_at_base,
        generated=generated,
        lock=LockChange(
            None if base is None else lock_state(base.read(LOCK_FILE)),
            lock_state(head.read(LOCK_FILE)),
        ),
        files=_other_files(base, head, expected),
        invalid=tuple(invalid),
        notes=tuple(notes),
    )


def _patch_summary(old: bytes | None, new: bytes | None) -> PatchDiff:
    """Sizes only: for a datum that appears or disappears, the whole patch is new or gone."""
    return PatchDiff(patch_stats(old), patch_stats(new), (), 0)


def _baseline(base: _Side, head: _Side, mirrors: Mirrors, notes: list[str]) -> BaselineMove | None:
    old, new = base.text(_SHA), head.text(_SHA)
    if old is None or new is None or old == new:
        return None
    url = head.text(_URL)
    if url is None:
        return BaselineMove(old, new, note="repo.git_url is not set at HEAD")
    if base.text(_URL) != url:
        notes.append(f"repo.git_url changed; the baselines are compared in the mirror of {url}")
    move = baseline_move(mirrors, url, old, new)
    if move.note is None:
        return move
    return dataclasses.replace(move, note=move.note.replace("<name>", head.name))


# --- the whole range ---------------------------------------------------------------------------


def review_range(base: TreeSnapshot, head: Snapshot, mirrors: Mirrors, *, spec: str) -> Review:
    """Review every datum that differs between `base` and `head`; unchanged ones are not read."""
    before: dict[str, _Side] = {}
    after: dict[str, _Side] = {}
    for name in changed_datum_names(base, head):
        old, new = _side(base, name), _side(head, name)
        if all(side is None or side.files.blob_id(DATUM_YAML) is None for side in (old, new)):
            continue  # not a datum on either side (no datum.yaml), e.g. shared files
        if old is not None:
            before[name] = old
        if new is not None:
            after[name] = new
    removed = {n: s for n, s in before.items() if n not in after}
    added = {n: s for n, s in after.items() if n not in before}
    renames = _renames(removed, added)
    renamed_old = {old for old, _ in renames.values()}
    reviews = []
    for name in sorted(before.keys() | after.keys()):
        if name in renamed_old:
            continue
        if name in renames:
            old_name, score = renames[name]
            reviews.append(
                review_datum(before[old_name], after[name], mirrors, renamed_from=(old_name, score))
            )
        else:
            reviews.append(review_datum(before.get(name), after.get(name), mirrors))
    return Review(
        Revision(base.label, base.commit), Revision(head.label, head.commit), spec, tuple(reviews)
    )
