"""`datum review --format markdown`: a pull-request comment.

A summary table comes first (one row per datum, the verdicts a reviewer scans), then one
collapsed ``<details>`` section per datum with every change. The first line is a hidden marker
the GitHub workflow uses to find and update its own comment. GitHub refuses comments over
65536 characters, so when the details would not fit, the last datums keep their summary row
and lose their details (the JSON output always has everything).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from datumkit.review import phrases
from datumkit.review.interdiff import PatchDiff
from datumkit.review.results import DatumReview, Review, apply_failure_verb

#: The hidden first line that identifies the review comment on a pull request.
MARKER = "<!-- datum-review -->"
#: Leave room under GitHub's 65536-character limit for a comment.
MAX_COMMENT_CHARS = 60_000

_OK, _BAD, _WARN = "✅", "❌", "⚠️"


def _plain(text: str) -> str:
    """Text from files or messages, made inert: no HTML tag can close our <details>."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(text: str) -> str:
    return text.replace("\n", " ").replace("|", "\\|")


def _code(text: str) -> str:
    """Inline code that survives backticks and table pipes in `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _fence(lines: Sequence[str], language: str = "") -> list[str]:
    longest = max((len(run) for line in lines for run in re.findall(r"`{3,}", line)), default=2)
    fence = "`" * (longest + 1)
    return [f"{fence}{language}", *lines, fence]


def _baseline_cell(review: DatumReview) -> str:
    move = review.baseline
    if move is None:
        return "—" if review.baseline_sha is None else _code(phrases.short(review.baseline_sha))
    text = f"{_code(phrases.short(move.old))} → {_code(phrases.short(move.new))}"
    if move.ahead is None or move.behind is None:
        return f"{text} (?)"
    counts = [f"+{move.ahead}" if move.ahead else "", f"-{move.behind}" if move.behind else ""]
    return f"{text} ({' '.join(c for c in counts if c) or '0'})"


def _applies_cell(review: DatumReview) -> str:
    check = review.applies
    if review.status == "removed":
        return "—"
    if check is None:
        return f"{_WARN} not checked"
    if check.status == "applies":
        return f"{_OK} applies"
    if check.status == "fails":
        return f"{_BAD} {apply_failure_verb(review)}"
    return f"{_WARN} not checked"


def _generated_cell(review: DatumReview) -> str:
    if review.status == "removed":
        return "—"
    if review.generated is None:
        return f"{_WARN} not checked"
    icon = _BAD if review.generated.issues else _OK
    return f"{icon} {phrases.generated(review)}"


def _shas(text: str) -> str:
    """`text` with commit and tree ids as inline code and arrows drawn."""
    return re.sub(r"\b([0-9a-f]{7,40})\b", lambda m: _code(m.group(1)), text).replace("->", "→")


def _lock_cell(review: DatumReview) -> str:
    return _shas(phrases.lock(review.lock))


def _change_cell(review: DatumReview) -> str:
    text = phrases.change(review)
    if review.fields:
        text += f", {phrases.plural(len(review.fields), 'field')}"
    if review.invalid:
        text += f", {_BAD} invalid"
    return text


def summary_table(review: Review) -> list[str]:
    rows = [
        "| datum | change | baseline | patch | applies at HEAD | generated | lock (patched tree) |",
        "|---|---|---|---|---|---|---|",
    ]
    for datum in review.datums:
        patch = "unchanged" if datum.patch is None else phrases.patch(datum.patch)
        cells = [
            _code(datum.name),
            _change_cell(datum),
            _baseline_cell(datum),
            patch.replace("->", "→"),
            _applies_cell(datum),
            _generated_cell(datum),
            _lock_cell(datum),
        ]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return rows


def _fields(review: DatumReview) -> Iterator[str]:
    plain = [f for f in review.fields if f.diff is None]
    texts = [f for f in review.fields if f.diff is not None]
    if not review.fields:
        return
    yield "**Fields**"
    yield ""
    if plain:
        yield "| field | old | new |"
        yield "|---|---|---|"
        for change in plain:
            label = _code(change.path) + (f" ({change.rubric})" if change.rubric else "")
            old, new = _code(phrases.value(change.old)), _code(phrases.value(change.new))
            yield f"| {_cell(label)} | {_cell(old)} | {_cell(new)} |"
        yield ""
    for change in texts:
        yield _code(change.path) + (f" ({change.rubric})" if change.rubric else "") + ":"
        yield ""
        yield from _fence((change.diff or "").splitlines(), "diff")
        yield ""


def _rubrics(review: DatumReview) -> Iterator[str]:
    rubrics = review.rubrics
    if rubrics is None:
        return
    sums = phrases.weight_sums(rubrics.sum_before, rubrics.sum_after).replace("->", "→")
    yield f"**Rubrics** ({sums})"
    yield ""
    for r in rubrics.added:
        yield f"- added {_code(r.id)} (weight {phrases.weight(r.weight)})"
    for r in rubrics.removed:
        yield f"- removed {_code(r.id)} (weight {phrases.weight(r.weight)})"
    for w in rubrics.reweighted:
        yield f"- reweighted {_code(w.id)}: {phrases.weight(w.old)} → {phrases.weight(w.new)}"
    yield ""


def _baseline(review: DatumReview) -> Iterator[str]:
    move = review.baseline
    if move is None:
        return
    old = _code(move.old[:12]) + (f" {move.old_subject}" if move.old_subject else "")
    new = _code(move.new[:12]) + (f" {move.new_subject}" if move.new_subject else "")
    yield f"**Baseline** {move.describe()}" + (f" ({move.note})" if move.note else "")
    yield ""
    yield f"- from {old}"
    yield f"- to {new}"
    yield ""


def _patch(diff: PatchDiff, *, hunks: bool) -> Iterator[str]:
    yield f"**Patch** {phrases.patch(diff).replace('->', '→')}"
    yield ""
    if diff.error:
        yield f"{_BAD} {_plain(diff.error)}"
        yield ""
    for item in diff.files:
        yield f"- {_code(item.path)}: {_plain(phrases.file_summary(item)).replace('-&gt;', '→')}"
    if diff.unchanged_files and diff.files:
        yield f"- {phrases.plural(diff.unchanged_files, 'other file')} unchanged"
    if diff.files:
        yield ""
    if not hunks:
        return
    for item in diff.files:
        if item.change in ("added", "dropped") or not item.hunks:
            continue
        lines: list[str] = []
        for hunk in item.hunks:
            lines += [f"# {phrases.hunk_title(hunk)}", *phrases.hunk_lines(hunk)]
        yield f"{_code(item.path)}:"
        yield ""
        yield from _fence(lines, "diff")
        yield ""


def _state(review: DatumReview) -> Iterator[str]:
    if review.status == "removed":
        return
    check = review.applies
    icon = {"applies": _OK, "fails": _BAD}.get(check.status if check else "", _WARN)
    yield f"**Applies at HEAD's baseline** {icon} {_shas(phrases.applies(review))}"
    if check is not None and check.status == "fails" and check.message:
        yield ""
        yield f"> {_plain(check.message)}"
    yield ""
    generated = review.generated
    yield f"**Generated files** {_generated_cell(review)}"
    yield ""
    if generated is not None:
        for issue in generated.issues:
            detail = f": {issue.detail}" if issue.detail else ""
            yield f"- {_BAD} {_code(issue.path)} {issue.kind}{_plain(detail)}"
        if generated.regenerated:
            yield "- regenerated: " + ", ".join(_code(p) for p in generated.regenerated)
        if generated.issues or generated.regenerated:
            yield ""


def datum_details(review: DatumReview) -> list[str]:
    """The collapsible section of one datum."""
    summary = f"<b>{review.name}</b>: {phrases.change(review)}"
    if review.title:
        summary += f": {_plain(review.title)}"
    lines = ["<details>", f"<summary>{_cell(summary)}</summary>", ""]
    if review.invalid:
        lines += ["**Invalid at HEAD**", ""]
        lines += [f"- {_BAD} {_plain(problem)}" for problem in review.invalid]
        lines.append("")
    for note in review.notes:
        lines += [f"{_WARN} {_plain(note)}", ""]
    lines += _fields(review)
    lines += _rubrics(review)
    lines += _baseline(review)
    if review.patch is not None:
        lines += _patch(review.patch, hunks=review.status in ("modified", "renamed"))
    lines += _state(review)
    lines += [f"**Lock (patched tree)** {_lock_cell(review)}", ""]
    if review.files:
        files = ", ".join(f"{_code(f.path)} ({f.status})" for f in review.files)
        lines += [f"**Other files** {files}", ""]
    lines += ["</details>", ""]
    return lines


def render(review: Review, *, limit: int = MAX_COMMENT_CHARS) -> str:
    """The review as a GitHub-flavoured markdown comment."""
    base = _code(phrases.short(review.base.commit)) if review.base.commit else "empty"
    head = _code(phrases.short(review.head.commit)) if review.head.commit else "the index"
    verdict = f"{_OK if review.ok else _BAD} {phrases.verdict(review)}"
    lines = [
        MARKER,
        f"### datum review {_code(review.spec)}",
        "",
        f"{base} → {head}: {phrases.headline(review)} · {verdict}",
        "",
    ]
    if review.datums:
        lines += [*summary_table(review), ""]
    blocking = [f"- {_BAD} {_plain(problem)}" for d in review.datums for problem in d.blocking]
    if blocking:
        lines += ["**Blocking problems**", "", *blocking, ""]
    used = sum(len(line) + 1 for line in lines)
    omitted = []
    for datum in review.datums:
        details = datum_details(datum)
        size = sum(len(line) + 1 for line in details)
        if used + size > limit:
            omitted.append(datum.name)
            continue
        lines += details
        used += size
    if omitted:
        names = ", ".join(_code(n) for n in omitted)
        lines += [
            f"{_WARN} details of {names} left out to fit a comment; "
            f"run {_code(f'datum review {review.spec}')} for them.",
            "",
        ]
    return "\n".join(lines).rstrip("\n") + "\n"
