"""The words a review is written in, shared by the terminal and the markdown renderers.

Both formats say the same things ("moved forward 2 commits", "no longer applies at ..."), so the
phrases are made once here and each renderer only adds its layout (colour, tables, details).
"""

from __future__ import annotations

import json
from typing import Any

from datumkit.review.interdiff import FileInterdiff, HunkChange, PatchDiff, PatchStats
from datumkit.review.results import (
    DatumReview,
    LockChange,
    LockState,
    Review,
    apply_failure_verb,
)
from datumkit.review.upstream import BaselineMove

#: Hunk bodies longer than this are cut in human-readable output (JSON keeps everything).
MAX_HUNK_LINES = 40
#: Values longer than this are cut in one-line output.
MAX_VALUE_CHARS = 100


def short(sha: str | None) -> str:
    return "-" if sha is None else sha[:7]


def value(value: Any, *, limit: int = MAX_VALUE_CHARS) -> str:
    """A datum.yaml value on one line: JSON (strings quoted), '(absent)' for a missing field."""
    if value is None:
        return "(absent)"
    text = json.dumps(value, ensure_ascii=False, sort_keys=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def weight_sums(before: float | None, after: float | None) -> str:
    """'weight sum 1 -> 0.9', or just 'weight sum 1' for a new datum."""
    if before is None:
        return f"weight sum {'-' if after is None else weight(after)}"
    return f"weight sum {weight(before)} -> {'-' if after is None else weight(after)}"


def weight(number: Any) -> str:
    if isinstance(number, float):
        return f"{number:g}"
    return value(number)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def change(review: DatumReview) -> str:
    """'modified', 'added', 'removed', or 'renamed from old-name (92% similar)'."""
    if review.status == "renamed":
        return f"renamed from {review.old_name} ({review.similarity}% similar)"
    return review.status


def headline(review: Review) -> str:
    """'3 datums changed (1 added, 2 modified)' or 'no datum changed'."""
    if not review.datums:
        return "no datum changed"
    parts = [f"{n} {status}" for status, n in review.counts().items() if n]
    return f"{plural(len(review.datums), 'datum')} changed ({', '.join(parts)})"


def verdict(review: Review) -> str:
    problems = sum(len(d.blocking) for d in review.datums)
    return "no blocking problems" if not problems else f"{plural(problems, 'blocking problem')}"


def stats(found: PatchStats | None) -> str:
    if found is None:
        return "none"
    return f"{plural(found.files, 'file')} +{found.lines_added} -{found.lines_removed}"


def patch(diff: PatchDiff) -> str:
    """'2 files +10 -3 -> 3 files +14 -3'; one side only for an added or removed datum."""
    if diff.before is None:
        return stats(diff.after)
    if diff.after is None:
        return stats(diff.before)
    return f"{stats(diff.before)} -> {stats(diff.after)}"


def baseline(move: BaselineMove) -> str:
    text = f"{short(move.old)} -> {short(move.new)}: {move.describe()}"
    return text if move.note is None else f"{text} ({move.note})"


def applies(review: DatumReview) -> str:
    check = review.applies
    if check is None:
        return "not checked (datum invalid at HEAD)"
    if check.status == "applies":
        return f"applies at {short(check.baseline)} (patched tree {short(check.patched_tree)})"
    if check.status == "fails":  # the whole message is among the blocking problems
        where = " ".join(p for p in (check.file, check.hunk) if p)
        return f"{apply_failure_verb(review)} at {short(check.baseline)}" + (
            f": {where}" if where else ""
        )
    return f"not checked: {check.message}"


def _lock_side(state: LockState | None) -> str:
    if state is None or not state.present:
        return "no lock"
    return short(state.patched_tree) if state.patched_tree else "lock without patched_tree"


def lock(change: LockChange | None) -> str:
    """'abc1234 -> def5678', 'no lock -> abc1234', or 'abc1234 (unchanged)'."""
    if change is None:
        return "no lock"
    before, after = _lock_side(change.before), _lock_side(change.after)
    if change.before is None or change.after is None:
        return after if change.before is None else before
    return f"{after} (unchanged)" if before == after else f"{before} -> {after}"


def lock_changed(change: LockChange | None) -> bool:
    return change is not None and change.before != change.after


def file_summary(item: FileInterdiff) -> str:
    """One line for a file of the interdiff."""
    counts = {"new": 0, "gone": 0, "changed": 0}
    for hunk in item.hunks:
        counts[hunk.kind] += 1
    if item.change == "added":
        text = f"now in the patch ({item.new_status}, +{item.after[0] if item.after else 0} "
        text += f"-{item.after[1] if item.after else 0})"
    elif item.change == "dropped":
        text = f"no longer in the patch (was {item.old_status})"
    else:
        parts = [f"{n} {kind}" for kind, n in counts.items() if n]
        if item.shifted:
            parts.append(f"{item.shifted} shifted")
        text = f"hunks: {', '.join(parts)}" if parts else "metadata changed"
        if item.before and item.after and item.before != item.after:
            text += f" (+{item.before[0]} -{item.before[1]} -> +{item.after[0]} -{item.after[1]})"
    return "; ".join([text, *item.notes])


def hunk_title(hunk: HunkChange) -> str:
    if hunk.kind == "new":
        return f"new hunk {hunk.new_header}"
    if hunk.kind == "gone":
        return f"gone hunk {hunk.old_header}"
    if hunk.old_header == hunk.new_header:
        return f"changed hunk {hunk.new_header}"
    return f"changed hunk {hunk.old_header} -> {hunk.new_header}"


def hunk_lines(hunk: HunkChange, *, limit: int = MAX_HUNK_LINES) -> list[str]:
    """The hunk's lines, cut after `limit` with a note of how many more there are."""
    lines = list(hunk.lines)
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"... {len(lines) - limit} more lines (see --format json)"]


def generated(review: DatumReview) -> str:
    found = review.generated
    if found is None:
        return "not checked"
    if found.issues:
        kinds = sorted({i.kind for i in found.issues})
        return f"{plural(len(found.issues), 'problem')} ({', '.join(kinds)})"
    if found.regenerated:
        return f"in sync ({len(found.regenerated)} regenerated)"
    return "in sync"
