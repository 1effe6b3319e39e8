"""Rendering check results for people (text) and programs (JSON, a documented stable shape)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from datumkit.checks import DatumReport

#: bumped when the JSON shape changes incompatibly (README, "JSON output").
REPORT_FORMAT_VERSION = 1


def summary_line(reports: Sequence[DatumReport]) -> str:
    failed = [r for r in reports if not r.ok]
    errors = sum(1 for r in reports for f in r.findings if f.severity == "error")
    noun = "datum" if len(reports) == 1 else "datums"
    text = (
        f"checked {len(reports)} {noun}: {len(reports) - len(failed)} passed, {len(failed)} failed"
    )
    return text if not errors else f"{text} ({errors} finding{'s' if errors != 1 else ''})"


def text_lines(reports: Sequence[DatumReport]) -> list[str]:
    """One line per finding, then the summary."""
    return [str(f) for r in reports for f in r.findings] + [summary_line(reports)]


def as_json(reports: Sequence[DatumReport]) -> dict[str, Any]:
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
        "summary": {
            "datums": len(reports),
            "passed": sum(1 for r in reports if r.ok),
            "failed": sum(1 for r in reports if not r.ok),
        },
    }
