"""The semantic diff of the datums between two revisions: what each change *means*.

For every datum directory that differs between BASE and HEAD (and no other: cost follows the
change, not the repository), this module loads both sides from git objects and says:

* added, removed, renamed (:mod:`.renames`) or modified;
* each changed datum.yaml field, old -> new (:mod:`.fields`), and the rubrics added, removed and
  reweighted with the weight sums;
* how far the baseline moved, and whether diff.patch still applies there (:mod:`.upstream`);
* how diff.patch changed, hunk by hunk (:mod:`.interdiff`);
* GENERATED files that are stale or edited by hand at HEAD (compared with ``render_all``), and
  the patched tree recorded in datum.lock on both sides.

Problems at HEAD that must stop a merge are collected in :attr:`DatumReview.blocking`.

Cost per changed datum is what a review of a large change pays, so nothing is computed twice
(:class:`_Memo`): a datum.yaml whose blob is the same on both sides is parsed and validated
once, and a patch is applied once per (upstream, baseline, diff.patch blob), the same inputs
giving the same tree whichever datum asks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from datumkit.errors import DatumError
from datumkit.generate import render_all
from datumkit.generate.drift import generated_drift
from datumkit.generate.lock import parse_lock, render_lock
from datumkit.git.apply import PatchResult
from datumkit.model.datum import DatumInvalid, validate_datum
from datumkit.model.datumdir import (
    DATUM_NAME_RULE,
    DATUM_YAML,
    DATUMS_DIR,
    GENERATED_FILES,
    LOCK_FILE,
    OVERLAY_DIR,
    PATCH_FILE,
    DatumSource,
    is_datum_name,
)
from datumkit.model.receipt import RECEIPT_FILE
from datumkit.model.yamlio import load_plain
from datumkit.review.fields import (
    FieldChange,
    field_changes,
    rubric_changes,
)
from datumkit.review.gitfiles import GitFiles, Snapshot, TreeSnapshot, changed_datum_names
from datumkit.review.interdiff import PatchDiff, interdiff, patch_stats
from datumkit.review.renames import find_renames
from datumkit.review.results import (
    DatumReview,
    FileStatus,
    GeneratedIssue,
    GeneratedKind,
    GeneratedReview,
    LockChange,
    LockState,
    Review,
    Revision,
    Status,
)
from datumkit.review.upstream import (
    ApplyCheck,
    BaselineMove,
    Mirrors,
    baseline_move,
    check_applies,
)

if TYPE_CHECKING:
    from datumkit.model.datum import Datum

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


#: datum.yaml read and validated: (plain data, the datum when valid, problems)
_Loaded = tuple[Any, "Datum | None", tuple[str, ...]]
#: whether a patch applies, and what it produced
_Applied = tuple[ApplyCheck | None, PatchResult | None]


@dataclass
class _Memo:
    """What one review has computed, keyed by content (blob ids), so equal inputs cost once.

    A datum that changed only its patch or notes has the same datum.yaml blob on both sides;
    datums of one upstream at one baseline may share one diff.patch. Results that name the
    datum (problems, failures with a `datum fetch` hint) are keyed by the datum's name too.
    """

    #: (datum name, datum.yaml blob id) -> what loading it gave
    loaded: dict[tuple[str, str], _Loaded] = field(default_factory=dict)
    #: (git_url, baseline SHA, diff.patch blob id) -> a successful apply (names no datum)
    applied: dict[tuple[str, str, str | None], _Applied] = field(default_factory=dict)


def _read_datum(name: str, raw: bytes) -> _Loaded:
    display = f"{DATUMS_DIR}/{name}/{DATUM_YAML}"
    try:
        plain = load_plain(raw, file=display)  # values only: the fast loader, as check uses
    except DatumError as error:
        return None, None, (str(error),)
    try:
        datum = validate_datum(plain, name=name, file=display)
    except DatumInvalid as error:
        return plain, None, tuple(error.lines())
    return plain, datum, ()


def _load(name: str, files: GitFiles, memo: _Memo | None = None) -> _Side:
    display = f"{DATUMS_DIR}/{name}/{DATUM_YAML}"
    if not is_datum_name(name):
        problem = f"{DATUMS_DIR}/{name}: not a valid datum name (rename it: {DATUM_NAME_RULE})"
        return _Side(name, files, None, None, (problem,))
    blob_id = files.blob_id(DATUM_YAML)
    key = (name, blob_id or "")
    loaded = None if memo is None or blob_id is None else memo.loaded.get(key)
    if loaded is None:
        raw = files.read(DATUM_YAML)
        if raw is None:
            return _Side(
                name, files, None, None, (f"{display}: missing (add it, or remove the directory)",)
            )
        loaded = _read_datum(name, raw)
        if memo is not None:
            memo.loaded[key] = loaded
    plain, datum, problems = loaded
    source = None if datum is None else DatumSource(name=name, datum=datum, files=files)
    return _Side(name, files, plain, source, problems)


def _side(snapshot: Snapshot, name: str, memo: _Memo | None = None) -> _Side | None:
    files = snapshot.files(name)
    return None if files is None or not files.blobs else _load(name, files, memo)


# --- one datum ---------------------------------------------------------------------------------


def _blob(side: _Side | None, relative: str) -> str | None:
    return None if side is None else side.files.blob_id(relative)


def lock_state(data: bytes | None) -> LockState:
    """What datum.lock says, read tolerantly (``key: value`` lines; unknown keys ignored)."""
    if data is None:
        return LockState(False, None)
    return LockState(True, parse_lock(data).get("patched_tree") or None)


@dataclass(frozen=True)
class _ExpectedFiles:
    """HEAD's files as the drift comparison reads them: a file whose blob id is the id of the
    bytes generation writes holds exactly those bytes, so it is not read from git (most
    GENERATED files of a reviewed datum are up to date)."""

    files: GitFiles
    expected: Mapping[str, bytes]

    def read(self, relative: str) -> bytes | None:
        content = self.expected.get(relative)
        if content is not None and self.files.holds(relative, content):
            return content  # kept: the leaks check and the lock state read it again
        return self.files.read(relative)

    def list(self, prefix: str = "") -> list[str]:
        return self.files.list(prefix)


def _generated(base: _Side | None, head: _Side, expected: dict[str, bytes]) -> GeneratedReview:
    """Compare HEAD's GENERATED files with what generation writes from HEAD's datum.yaml."""
    issues: list[GeneratedIssue] = []
    for drift in generated_drift(expected, _ExpectedFiles(head.files, expected)):
        if drift.kind == "missing":
            issues.append(GeneratedIssue(drift.path, "missing", "generation writes it"))
        elif drift.kind == "differs":
            stale = _blob(head, drift.path) == _blob(base, drift.path)
            kind: GeneratedKind = "stale" if stale else "hand-edited"
            issues.append(GeneratedIssue(drift.path, kind, drift.detail))
        else:
            issues.append(GeneratedIssue(drift.path, "not-generated", "no generator writes it"))
    drifted = {issue.path for issue in issues}
    regenerated = [
        path for path in expected if path not in drifted and _blob(head, path) != _blob(base, path)
    ]
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


def _applies(side: _Side, mirrors: Mirrors, memo: _Memo | None = None) -> _Applied:
    """Whether the side's patch applies; a success is shared by every datum with the same
    upstream, baseline and diff.patch blob (a failure may name the datum, so it is not)."""
    if side.source is None:
        return None, None
    repo = side.source.datum.repo
    key = (repo.git_url, repo.start_commit_sha, side.files.blob_id(PATCH_FILE))
    found = None if memo is None else memo.applied.get(key)
    if found is None:
        found = check_applies(side.source, mirrors.locator)
        if memo is not None and found[1] is not None:
            memo.applied[key] = found
    return found


def review_datum(
    base: _Side | None,
    head: _Side | None,
    mirrors: Mirrors,
    *,
    renamed_from: tuple[str, int] | None = None,
    memo: _Memo | None = None,
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
    patch: PatchDiff | None = None
    if base is None:
        patch = _patch_summary(None, head.read(PATCH_FILE))
    else:
        fields = tuple(field_changes(base.plain, head.plain))
        if _blob(base, DATUM_YAML) != _blob(head, DATUM_YAML) and base.plain == head.plain:
            notes.append(f"{DATUM_YAML}: formatting only: no field changed")
        found = rubric_changes(base.plain, head.plain)
        rubrics = found if found is not None and found.changed else None
        move = _baseline(base, head, mirrors, notes)
        if _blob(base, PATCH_FILE) != _blob(head, PATCH_FILE):
            patch = interdiff(base.read(PATCH_FILE), head.read(PATCH_FILE))
    applies, applied = _applies(head, mirrors, memo)
    applied_at_base = None
    if applies is not None and applies.status == "fails" and base is not None:
        same = _blob(base, PATCH_FILE) == _blob(head, PATCH_FILE) and all(
            base.text(key) == head.text(key) for key in (_URL, _SHA)
        )
        before = applies if same else _applies(base, mirrors, memo)[0]
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
    leaks: tuple[str, ...] = ()
    if head.source is not None:
        from datumkit.checks.leaks import find_leaks

        leaks = tuple(  # the apply's parsed patch is reused: diff.patch is parsed once
            str(f)
            for f in find_leaks(head.source, mirrors.locator, applied)
            if f.severity == "error"
        )
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
        lock=_lock_change(base, head),
        files=_other_files(base, head, expected),
        invalid=tuple(invalid),
        notes=tuple(notes),
        leaks=leaks,
    )


def _lock_change(base: _Side | None, head: _Side) -> LockChange:
    """datum.lock on both sides; a lock this change did not touch is read once."""
    after = lock_state(head.read(LOCK_FILE))
    if base is None:
        return LockChange(None, after)
    same = _blob(base, LOCK_FILE) == _blob(head, LOCK_FILE)
    return LockChange(after if same else lock_state(base.read(LOCK_FILE)), after)


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
    return baseline_move(mirrors, url, old, new, datum=head.name)


# --- the whole range ---------------------------------------------------------------------------


def review_range(base: TreeSnapshot, head: Snapshot, mirrors: Mirrors, *, spec: str) -> Review:
    """Review every datum that differs between `base` and `head`; unchanged ones are not read."""
    memo = _Memo()
    before: dict[str, _Side] = {}
    after: dict[str, _Side] = {}
    for name in changed_datum_names(base, head):
        old, new = _side(base, name, memo), _side(head, name, memo)
        if all(side is None or side.files.blob_id(DATUM_YAML) is None for side in (old, new)):
            continue  # not a datum on either side (no datum.yaml), e.g. shared files
        if old is not None:
            before[name] = old
        if new is not None:
            after[name] = new
    removed = {n: s for n, s in before.items() if n not in after}
    added = {n: s for n, s in after.items() if n not in before}
    renames = find_renames(
        {n: s.files for n, s in removed.items()}, {n: s.files for n, s in added.items()}
    )
    renamed_old = {old for old, _ in renames.values()}
    reviews = []
    for name in sorted(before.keys() | after.keys()):
        if name in renamed_old:
            continue
        if name in renames:
            old_name, score = renames[name]
            old, new = before[old_name], after[name]
            reviews.append(
                review_datum(old, new, mirrors, renamed_from=(old_name, score), memo=memo)
            )
        else:
            old, new = before.get(name), after.get(name)
            reviews.append(review_datum(old, new, mirrors, memo=memo))
        for side in (old, new):
            if side is not None:
                side.files.forget()  # the bytes are in the review now; keep memory flat
    return Review(
        Revision(base.label, base.commit), Revision(head.label, head.commit), spec, tuple(reviews)
    )
