"""Rendering check results for people (text) and programs (JSON, a documented stable shape)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from datumkit.checks import CHECK_NAMES, DatumReport

#: bumped when the JSON shape changes incompatibly (README, "JSON output of datum check").
REPORT_FORMAT_VERSION = 1


def _errors(report: DatumReport) -> int:
    return sum(1 for f in report.findings if f.severity == "error")


def summary_line(reports: Sequence[DatumReport]) -> str:
    failed = sum(1 for r in reports if not r.ok)
    errors = sum(_errors(r) for r in reports)
    noun = "datum" if len(reports) == 1 else "datums"
    text = f"checked {len(reports)} {noun}: {len(reports) - failed} passed, {failed} failed"
    return text if not errors else f"{text} ({errors} finding{'s' if errors != 1 else ''})"


def per_check(reports: Sequence[DatumReport]) -> dict[str, dict[str, int]]:
    """For each check: how many datums it ran on, passed and failed, and its findings."""
    table: dict[str, dict[str, int]] = {}
    for check in CHECK_NAMES:
        ran = [r for r in reports if check in r.checks_run]
        findings = Counter(f.datum for r in ran for f in r.findings if f.check == check)
        table[check] = {
            "ran": len(ran),
            "passed": sum(1 for r in ran if findings[r.name] == 0),
            "failed": sum(1 for r in ran if findings[r.name] > 0),
            "findings": sum(findings.values()),
        }
    return table


def summary_table(reports: Sequence[DatumReport], elapsed_s: float) -> list[str]:
    """The table printed after a multi-datum check: one row per check, then the totals."""
    rows: list[tuple[str, ...]] = [("check", "ran", "passed", "failed", "findings")]
    for check, counts in per_check(reports).items():
        rows.append((check, *(str(counts[k]) for k in ("ran", "passed", "failed", "findings"))))
    failed = sum(1 for r in reports if not r.ok)
    rows.append(
        (
            "all",
            str(len(reports)),
            str(len(reports) - failed),
            str(failed),
            str(sum(_errors(r) for r in reports)),
        )
    )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(-1, "  ".join("-" * w for w in widths))
    return [*lines, f"elapsed {elapsed_s:.2f}s"]


def text_lines(reports: Sequence[DatumReport]) -> list[str]:
    """One line per finding, then the summary."""
    return [str(f) for r in reports for f in r.findings] + [summary_line(reports)]


def as_json(reports: Sequence[DatumReport], elapsed_s: float | None = None) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "datums": len(reports),
        "passed": sum(1 for r in reports if r.ok),
        "failed": sum(1 for r in reports if not r.ok),
        "checks": per_check(reports),
        "cached": sum(1 for r in reports if r.cached),  # stored passes reused, not re-checked
    }
    if elapsed_s is not None:
        summary["elapsed_s"] = round(elapsed_s, 3)
    return {
        "version": REPORT_FORMAT_VERSION,
        "datums": [
            {
                "name": r.name,
                "ok": r.ok,
                "checks": list(r.checks_run),
                "findings": [f.to_json() for f in r.findings],
            }
            for r in reports
        ],
        "summary": summary,
    }
