"""`datum review` in a terminal: one block per datum, problems in red when colour is on.

Colour is decided by the caller (a TTY without NO_COLOR, or --color); this module only paints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import click

from datumkit.review import phrases
from datumkit.review.fields import FieldChange
from datumkit.review.interdiff import PatchDiff
from datumkit.review.results import DatumReview, Review

Paint = Callable[..., str]
_INDENT = "  "


def _painter(color: bool) -> Paint:
    def paint(text: str, **style: Any) -> str:
        return click.style(text, **style) if color else text

    return paint


def _diff_line(line: str, paint: Paint) -> str:
    if line.startswith("+"):
        return paint(line, fg="green")
    if line.startswith("-"):
        return paint(line, fg="red")
    if line.startswith("@@"):
        return paint(line, fg="cyan")
    return line


def _field(change: FieldChange, paint: Paint) -> Iterator[str]:
    label = change.path + (f" (rubric {change.rubric})" if change.rubric else "")
    if change.diff is not None:
        yield f"{label}:"
        for line in change.diff.splitlines():
            yield _INDENT + _diff_line(line, paint)
    else:
        yield f"{label}: {phrases.value(change.old)} -> {phrases.value(change.new)}"


def _patch(diff: PatchDiff, paint: Paint, *, hunks: bool) -> Iterator[str]:
    yield f"patch: {phrases.patch(diff)}"
    if diff.error:
        yield _INDENT + paint(diff.error, fg="red")
    for item in diff.files:
        yield f"{_INDENT}{paint(item.path, bold=True)}: {phrases.file_summary(item)}"
        if not hunks or item.change in ("added", "dropped"):
            continue
        for hunk in item.hunks:
            yield _INDENT * 2 + paint(phrases.hunk_title(hunk), fg="cyan")
            for line in phrases.hunk_lines(hunk):
                yield _INDENT * 3 + _diff_line(line, paint)
    if diff.unchanged_files and diff.files:
        yield f"{_INDENT}(+ {phrases.plural(diff.unchanged_files, 'file')} unchanged)"


def datum_lines(review: DatumReview, paint: Paint) -> Iterator[str]:
    """The block of one datum: headline, then one section per kind of change."""
    title = f"  {review.title!r}" if review.title else ""
    yield f"{paint(review.name, bold=True)}  {phrases.change(review)}{title}"
    body: list[str] = []
    for problem in review.blocking:
        body.append(paint(f"BLOCKING {problem}", fg="red", bold=True))
    for note in review.notes:
        body.append(paint(f"note: {note}", fg="yellow"))
    if review.fields:
        body.append("fields:")
        body += [_INDENT + line for change in review.fields for line in _field(change, paint)]
    if review.rubrics is not None:
        rubrics = review.rubrics
        body.append(f"rubrics: {phrases.weight_sums(rubrics.sum_before, rubrics.sum_after)}")
        body += [f"{_INDENT}+ {r.id} ({phrases.weight(r.weight)})" for r in rubrics.added]
        body += [f"{_INDENT}- {r.id} ({phrases.weight(r.weight)})" for r in rubrics.removed]
        body += [
            f"{_INDENT}~ {r.id}: {phrases.weight(r.old)} -> {phrases.weight(r.new)}"
            for r in rubrics.reweighted
        ]
    if review.baseline is not None:
        body.append(f"baseline: {phrases.baseline(review.baseline)}")
    if review.patch is not None:
        body += _patch(review.patch, paint, hunks=review.status in ("modified", "renamed"))
    if review.status != "removed":
        check = review.applies
        color = {"applies": "green", "fails": "red"}.get(check.status if check else "", "yellow")
        body.append("applies: " + paint(phrases.applies(review), fg=color))
        body.append(f"generated: {phrases.generated(review)}")
        if review.generated is not None and review.generated.regenerated:
            body.append(f"{_INDENT}regenerated: {', '.join(review.generated.regenerated)}")
    if phrases.lock_changed(review.lock) or review.status == "added":
        body.append(f"lock: {phrases.lock(review.lock)}")
    if review.files:
        body.append("other files: " + ", ".join(f"{f.path} ({f.status})" for f in review.files))
    yield from (_INDENT + line for line in body)


def render(review: Review, *, color: bool = False) -> str:
    """The whole review as terminal text."""
    paint = _painter(color)
    base = phrases.short(review.base.commit) if review.base.commit else "empty"
    head = phrases.short(review.head.commit) if review.head.commit else "index"
    lines = [f"datum review {review.spec} ({base}..{head}): {phrases.headline(review)}"]
    for datum in review.datums:
        lines += ["", *datum_lines(datum, paint)]
    verdict = phrases.verdict(review)
    lines += ["", paint(verdict, fg="green" if review.ok else "red", bold=not review.ok)]
    return "\n".join(lines) + "\n"
