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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

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
    if not is_datum_name(name):
        problem = f"{DATUMS_DIR}/{name}: not a valid datum name (rename it: {DATUM_NAME_RULE})"
        return _Side(name, files, None, None, (problem,))
    raw = files.read(DATUM_YAML)
    if raw is None:
        return _Side(
            name, files, None, None, (f"{display}: missing (add it, or remove the directory)",)
        )
    try:
        plain = load_plain(raw, file=display)  # values only: the fast loader, as check uses
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
    issues: list[GeneratedIssue] = []
    for drift in generated_drift(expected, head.files):
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
        if _blob(base, DATUM_YAML) != _blob(head, DATUM_YAML) and base.plain == head.plain:
            notes.append(f"{DATUM_YAML}: formatting only: no field changed")
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
    leaks: tuple[str, ...] = ()
    if head.source is not None:
        from datumkit.checks.leaks import find_leaks

        leaks = tuple(
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
        lock=LockChange(
            None if base is None else lock_state(base.read(LOCK_FILE)),
            lock_state(head.read(LOCK_FILE)),
        ),
        files=_other_files(base, head, expected),
        invalid=tuple(invalid),
        notes=tuple(notes),
        leaks=leaks,
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
    return baseline_move(mirrors, url, old, new, datum=head.name)


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
            reviews.append(
                review_datum(before[old_name], after[name], mirrors, renamed_from=(old_name, score))
            )
        else:
            reviews.append(review_datum(before.get(name), after.get(name), mirrors))
    return Review(
        Revision(base.label, base.commit), Revision(head.label, head.commit), spec, tuple(reviews)
    )
