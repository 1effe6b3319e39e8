"""How diff.patch changed, as an interdiff: per file, which hunks are new, gone or changed.

A diff of two patches (``git diff`` of diff.patch) interleaves ``+``/``-`` markers of two levels
and is unreadable. Instead both patches are parsed (:func:`datumkit.git.apply.parse_patch`) and
compared per file the way ``git range-diff`` compares commits: a hunk with the same body in both
is the same hunk, even when the baseline moved and its line numbers shifted; the remaining hunks
are paired when they cover overlapping baseline lines or mostly agree, and what is left over is
new or gone. A changed hunk is shown as a diff of its two bodies.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from datumkit.git.apply import ParsedFile, ParsedHunk, ParsedPatch, PatchError, parse_patch

HunkKind = Literal["new", "gone", "changed"]
FileKind = Literal["added", "dropped", "changed", "shifted"]

#: Unpaired hunks count as one changed hunk when their bodies agree at least this much.
PAIRING_SIMILARITY = 0.5


@dataclass(frozen=True)
class PatchStats:
    """Size of one patch: files touched, lines added and removed."""

    files: int
    lines_added: int
    lines_removed: int


@dataclass(frozen=True)
class HunkChange:
    """One hunk that differs between the patches.

    ``lines`` is the hunk body for a new or gone hunk, and for a changed hunk a diff of the two
    bodies: each body line gets a second marker in front (`` ``, ``-`` gone, ``+`` new).
    """

    kind: HunkKind
    old_header: str | None
    new_header: str | None
    lines: tuple[str, ...]


@dataclass(frozen=True)
class FileInterdiff:
    """A file whose part of the patch changed.

    ``change``: "added" (the patch now touches the file), "dropped" (it no longer does),
    "changed" (hunks or file metadata differ) or "shifted" (the same hunks at other lines).
    ``before``/``after`` are (lines added, lines removed) of the file in each patch.
    """

    path: str
    change: FileKind
    old_status: str | None
    new_status: str | None
    before: tuple[int, int] | None
    after: tuple[int, int] | None
    hunks: tuple[HunkChange, ...]
    #: hunks with the same body at other line numbers (the baseline moved around them)
    shifted: int
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PatchDiff:
    """diff.patch before and after: sizes, and the files whose part changed."""

    before: PatchStats | None
    after: PatchStats | None
    files: tuple[FileInterdiff, ...]
    #: files touched the same way by both patches
    unchanged_files: int
    #: a side that does not parse, e.g. "HEAD: diff.patch line 12: ..."; then files is empty
    error: str | None = None


@dataclass(frozen=True)
class _File:
    """All sections of one path in a patch (a format-patch series may touch a path twice)."""

    sections: tuple[ParsedFile, ...]

    @property
    def hunks(self) -> tuple[ParsedHunk, ...]:
        return tuple(h for s in self.sections for h in s.hunks)

    @property
    def status(self) -> str:
        return self.sections[0].status

    @property
    def counts(self) -> tuple[int, int]:
        return (
            sum(s.lines_added for s in self.sections),
            sum(s.lines_removed for s in self.sections),
        )

    def metadata(self) -> tuple[object, ...]:
        return tuple(
            (
                s.status,
                s.old_path,
                s.new_path,
                s.old_mode,
                s.new_mode,
                s.binary,
                s.forward_binary.data if s.forward_binary else None,
            )
            for s in self.sections
        )


def _by_path(patch: ParsedPatch) -> dict[str, _File]:
    grouped: dict[str, list[ParsedFile]] = {}
    for section in patch.files:
        grouped.setdefault(section.path, []).append(section)
    return {path: _File(tuple(sections)) for path, sections in grouped.items()}


def _stats(patch: ParsedPatch) -> PatchStats:
    return PatchStats(len(_by_path(patch)), patch.lines_added, patch.lines_removed)


def _text(line: bytes) -> str:
    text = line.decode("utf-8", "replace")
    return text[:-1] if text.endswith("\n") else text


def _body(hunk: ParsedHunk) -> tuple[str, ...]:
    return tuple(_text(line) for line in hunk.lines)


def body_diff(old: Sequence[str], new: Sequence[str], *, context: int = 3) -> tuple[str, ...]:
    """A diff of two hunk bodies: each line marked ' ', '-' or '+', far context elided."""
    lines: list[str] = []
    for line in difflib.unified_diff(list(old), list(new), n=context, lineterm=""):
        if line.startswith(("--- ", "+++ ")):
            continue
        if line.startswith("@@"):
            if lines:
                lines.append(" ...")
            continue
        lines.append(line)
    return tuple(lines)


def _overlaps(old: ParsedHunk, new: ParsedHunk) -> bool:
    """Both hunks cover some common line of the baseline file."""
    old_end = old.old_start + max(old.old_lines, 1)
    new_end = new.old_start + max(new.old_lines, 1)
    return old.old_start < new_end and new.old_start < old_end


def _pair(
    old: list[ParsedHunk], new: list[ParsedHunk]
) -> list[tuple[ParsedHunk | None, ParsedHunk | None]]:
    """Pair unmatched hunks: overlapping baseline lines first, then similar bodies."""
    scored = []
    for i, before in enumerate(old):
        for j, after in enumerate(new):
            ratio = difflib.SequenceMatcher(None, _body(before), _body(after)).ratio()
            if _overlaps(before, after) or ratio >= PAIRING_SIMILARITY:
                scored.append((_overlaps(before, after), ratio, -i, -j))
    used_old: set[int] = set()
    used_new: set[int] = set()
    pairs: list[tuple[ParsedHunk | None, ParsedHunk | None]] = []
    for _, _, i, j in sorted(scored, reverse=True):
        if -i not in used_old and -j not in used_new:
            used_old.add(-i)
            used_new.add(-j)
            pairs.append((old[-i], new[-j]))
    pairs += [(h, None) for k, h in enumerate(old) if k not in used_old]
    pairs += [(None, h) for k, h in enumerate(new) if k not in used_new]
    return pairs


def _position(pair: tuple[ParsedHunk | None, ParsedHunk | None]) -> tuple[int, int]:
    old, new = pair
    if new is not None:
        return (new.old_start, 1)
    assert old is not None
    return (old.old_start, 0)


def _hunk_changes(
    old: tuple[ParsedHunk, ...], new: tuple[ParsedHunk, ...]
) -> tuple[list[HunkChange], int]:
    """The hunk changes between two versions of one file's part, and how many merely moved."""
    remaining_new = list(new)
    unmatched_old: list[ParsedHunk] = []
    shifted = 0
    for hunk in old:
        twin = next((h for h in remaining_new if h.lines == hunk.lines), None)
        if twin is None:
            unmatched_old.append(hunk)
            continue
        remaining_new.remove(twin)
        if twin.header != hunk.header:
            shifted += 1
    changes = []
    for before, after in sorted(_pair(unmatched_old, remaining_new), key=_position):
        if before is None and after is not None:
            changes.append(HunkChange("new", None, after.header, _body(after)))
        elif after is None and before is not None:
            changes.append(HunkChange("gone", before.header, None, _body(before)))
        elif before is not None and after is not None:
            lines = body_diff(_body(before), _body(after))
            changes.append(HunkChange("changed", before.header, after.header, lines))
    return changes, shifted


def _notes(old: _File, new: _File) -> tuple[str, ...]:
    notes = []
    if old.status != new.status:
        notes.append(f"the patch now {new.status} the file (was: {old.status})")
    first_old, first_new = old.sections[0], new.sections[0]
    if (first_old.old_mode, first_old.new_mode) != (first_new.old_mode, first_new.new_mode):
        notes.append(f"new mode {_mode(first_new.new_mode)} (was {_mode(first_old.new_mode)})")
    if first_old.old_path != first_new.old_path and "renamed" in (old.status, new.status):
        notes.append(f"renamed from {first_new.old_path} (was: {first_old.old_path})")
    if old.sections[0].binary or new.sections[0].binary:
        notes.append("binary content changed")
    return tuple(notes)


def _mode(mode: int | None) -> str:
    return "unchanged" if mode is None else f"{mode:o}"


def _compare_file(path: str, old: _File | None, new: _File | None) -> FileInterdiff | None:
    if new is None:
        assert old is not None
        gone = [HunkChange("gone", h.header, None, _body(h)) for h in old.hunks]
        return FileInterdiff(path, "dropped", old.status, None, old.counts, None, tuple(gone), 0)
    if old is None:
        fresh = [HunkChange("new", None, h.header, _body(h)) for h in new.hunks]
        return FileInterdiff(path, "added", None, new.status, None, new.counts, tuple(fresh), 0)
    hunks, shifted = _hunk_changes(old.hunks, new.hunks)
    same_metadata = old.metadata() == new.metadata()
    if same_metadata and not hunks and not shifted:
        return None
    kind: FileKind = "changed" if hunks or not same_metadata else "shifted"
    notes = () if same_metadata else _notes(old, new)
    return FileInterdiff(
        path, kind, old.status, new.status, old.counts, new.counts, tuple(hunks), shifted, notes
    )


def _parse(patch: bytes | None, side: str) -> tuple[ParsedPatch | None, str | None]:
    if patch is None:
        return None, None
    try:
        return parse_patch(patch), None
    except PatchError as error:
        return None, f"{side}: diff.patch does not parse: {error}"


def interdiff(old: bytes | None, new: bytes | None) -> PatchDiff:
    """Compare two versions of diff.patch (None: the datum has none on that side)."""
    before, old_error = _parse(old, "BASE")
    after, new_error = _parse(new, "HEAD")
    stats_before = None if before is None else _stats(before)
    stats_after = None if after is None else _stats(after)
    error = new_error or old_error
    if error is not None or (before is None and after is None):
        return PatchDiff(stats_before, stats_after, (), 0, error)
    old_files = {} if before is None else _by_path(before)
    new_files = {} if after is None else _by_path(after)
    files = []
    unchanged = 0
    for path in [*new_files, *(p for p in old_files if p not in new_files)]:
        change = _compare_file(path, old_files.get(path), new_files.get(path))
        if change is None:
            unchanged += 1
        else:
            files.append(change)
    return PatchDiff(stats_before, stats_after, tuple(files), unchanged)


def patch_stats(patch: bytes | None) -> PatchStats | None:
    """Files touched and lines +/- of one patch, or None when absent or unparsable."""
    parsed, _ = _parse(patch, "")
    return None if parsed is None else _stats(parsed)
