"""`datum review --format json`: the review as a stable, documented JSON document.

The shape is documented in the README ("Reviewing a datum PR"); ``version`` is bumped on any
incompatible change. Keys are always present (null when a section does not apply), so a
consumer never has to guess between "absent" and "unchanged".
"""

from __future__ import annotations

import json
from typing import Any

from datumkit.review.interdiff import FileInterdiff, PatchDiff, PatchStats
from datumkit.review.results import DatumReview, LockState, Review

#: bumped when the JSON shape changes incompatibly (README, "Reviewing a datum PR").
REVIEW_FORMAT_VERSION = 1


def _stats(stats: PatchStats | None) -> dict[str, int] | None:
    if stats is None:
        return None
    return {
        "files": stats.files,
        "lines_added": stats.lines_added,
        "lines_removed": stats.lines_removed,
    }


def _counts(counts: tuple[int, int] | None) -> dict[str, int] | None:
    return None if counts is None else {"lines_added": counts[0], "lines_removed": counts[1]}


def _file(item: FileInterdiff) -> dict[str, Any]:
    return {
        "path": item.path,
        "change": item.change,
        "old_status": item.old_status,
        "new_status": item.new_status,
        "before": _counts(item.before),
        "after": _counts(item.after),
        "shifted_hunks": item.shifted,
        "notes": list(item.notes),
        "hunks": [
            {
                "kind": h.kind,
                "old_header": h.old_header,
                "new_header": h.new_header,
                "lines": list(h.lines),
            }
            for h in item.hunks
        ],
    }


def _patch(diff: PatchDiff | None) -> dict[str, Any] | None:
    if diff is None:
        return None
    return {
        "before": _stats(diff.before),
        "after": _stats(diff.after),
        "unchanged_files": diff.unchanged_files,
        "error": diff.error,
        "files": [_file(f) for f in diff.files],
    }


def _lock(state: LockState | None) -> dict[str, Any] | None:
    return None if state is None else {"present": state.present, "patched_tree": state.patched_tree}


def datum_json(review: DatumReview) -> dict[str, Any]:
    """One datum's review as JSON-ready data."""
    rubrics = review.rubrics
    move = review.baseline
    check = review.applies
    return {
        "name": review.name,
        "status": review.status,
        "old_name": review.old_name,
        "similarity": review.similarity,
        "title": review.title,
        "baseline_sha": review.baseline_sha,
        "blocking": list(review.blocking),
        "invalid": list(review.invalid),
        "notes": list(review.notes),
        "fields": [
            {"path": f.path, "old": f.old, "new": f.new, "diff": f.diff, "rubric": f.rubric}
            for f in review.fields
        ],
        "rubrics": None
        if rubrics is None
        else {
            "added": [{"id": r.id, "weight": r.weight} for r in rubrics.added],
            "removed": [{"id": r.id, "weight": r.weight} for r in rubrics.removed],
            "reweighted": [{"id": r.id, "old": r.old, "new": r.new} for r in rubrics.reweighted],
            "weight_sum": {"before": rubrics.sum_before, "after": rubrics.sum_after},
        },
        "baseline": None
        if move is None
        else {
            "old": move.old,
            "new": move.new,
            "ahead": move.ahead,
            "behind": move.behind,
            "old_subject": move.old_subject,
            "new_subject": move.new_subject,
            "note": move.note,
        },
        "patch": _patch(review.patch),
        "applies": None
        if check is None
        else {
            "status": check.status,
            "baseline": check.baseline,
            "patched_tree": check.patched_tree,
            "file": check.file,
            "hunk": check.hunk,
            "message": check.message,
            "at_base": review.applied_at_base,
        },
        "generated": None
        if review.generated is None
        else {
            "regenerated": list(review.generated.regenerated),
            "issues": [
                {"path": i.path, "kind": i.kind, "detail": i.detail}
                for i in review.generated.issues
            ],
        },
        "lock": None
        if review.lock is None
        else {"before": _lock(review.lock.before), "after": _lock(review.lock.after)},
        "files": [{"path": f.path, "status": f.status} for f in review.files],
    }


def review_json(review: Review) -> dict[str, Any]:
    """The whole review as JSON-ready data (README: "JSON output of datum review")."""
    return {
        "version": REVIEW_FORMAT_VERSION,
        "range": review.spec,
        "base": {"label": review.base.label, "commit": review.base.commit},
        "head": {"label": review.head.label, "commit": review.head.commit},
        "ok": review.ok,
        "summary": {
            "datums": len(review.datums),
            **review.counts(),
            "blocking": sum(len(d.blocking) for d in review.datums),
        },
        "datums": [datum_json(d) for d in review.datums],
    }


def render(review: Review) -> str:
    """The JSON text, indented, with a final newline."""
    return json.dumps(review_json(review), indent=2, ensure_ascii=False) + "\n"
