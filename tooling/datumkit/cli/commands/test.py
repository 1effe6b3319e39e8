"""`datum test NAME...|--all|--changed-since REV [--repeat K] [--jobs N] [--docker] [--json]`.

Runs each datum's declared tests on the baseline (with the patch's test files) and on the
patched tree, prints a table per datum, and writes `verification.json` for every datum that
passes. Exit codes as for `datum check`: 0 all verified, 1 a verdict failed (or a datum is
invalid), 2 usage, 3 an outside failure (no Docker engine, no venv module).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from datumkit.cli.commands import EXIT_FAILED, EXIT_FINDINGS, EXIT_OK
from datumkit.cli.output import say, warn
from datumkit.errors import DatumError
from datumkit.model.project import Project
from datumkit.model.receipt import RECEIPT_FILE
from datumkit.testing.run import DatumTestReport
from datumkit.testing.verdict import MetricRow, summarize

JSON_VERSION = 1


@dataclass
class Outcome:
    """One datum's result: a report, or the error that stopped it, or a skip."""

    name: str
    report: DatumTestReport | None = None
    error: DatumError | None = None
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and (self.report is None or self.report.ok)


def _run_one(
    project: Project,
    name: str,
    *,
    repeat: int,
    docker: bool,
    pass_env: Sequence[str],
    explicit: bool,
    progress: bool,
) -> Outcome:
    from datumkit.testing.receipt import write_receipt

    def step(datum: str, message: str) -> None:
        if progress:
            warn(f"{datum}: {message}")

    try:
        source = project.load(name)
        if source.datum.evaluation.tests is None and not explicit:
            return Outcome(name, skipped="declares no evaluation.tests")
        if docker:
            from datumkit.testing.docker import verify_datum_in_docker

            report = verify_datum_in_docker(project, name, repeat=repeat, on_step=step)
        else:
            from datumkit.testing.run import verify_datum

            report = verify_datum(project, name, repeat=repeat, pass_env=pass_env, on_step=step)
        if report.ok:
            write_receipt(project, report)
            report.receipt_written = True
        return Outcome(name, report)
    except DatumError as error:
        if error.exit_code == EXIT_FAILED:
            raise
        return Outcome(name, error=error)


def _fmt(values: Sequence[float | None]) -> str:
    shown = ["none" if v is None else f"{v:g}" for v in values]
    return shown[0] if len(set(shown)) == 1 else ", ".join(shown)


def _bounds(metric: MetricRow) -> str:
    parts = []
    if metric.baseline_below is not None:
        parts.append(f"base < {metric.baseline_below:g}")
    if metric.patched_at_least is not None:
        parts.append(f"patched >= {metric.patched_at_least:g}")
    return ", ".join(parts)


def table_lines(report: DatumTestReport) -> list[str]:
    """The per-datum table: test id, baseline, patched, expected, verdict."""
    rows = [("test id", "baseline", "patched", "expected", "verdict")]
    for row in report.verdict.rows:
        rows.append(
            (
                row.test_id,
                summarize(row.baseline),
                summarize(row.patched),
                row.expected,
                "ok" if row.ok else f"FAIL: {row.reason}",
            )
        )
    metric = report.verdict.metric
    if metric is not None:
        rows.append(
            (
                f"metric {metric.key}",
                _fmt(metric.baseline),
                _fmt(metric.patched),
                _bounds(metric),
                "ok" if metric.ok else f"FAIL: {metric.reason}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return [
        "  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:4])) + "  " + r[4]
        for r in rows
    ]


def text_lines(outcome: Outcome) -> list[str]:
    if outcome.skipped:
        return [f"{outcome.name}: skipped ({outcome.skipped})"]
    if outcome.error is not None:
        return [
            f"{outcome.name}: FAILED",
            *(f"  {line}" for line in str(outcome.error).splitlines()),
        ]
    report = outcome.report
    assert report is not None
    runs = f"{report.repeat} run{'s' if report.repeat != 1 else ''} per side, {report.runner}"
    if report.ok:
        head = f"{report.name}: verified ({runs}); wrote datums/{report.name}/{RECEIPT_FILE}"
    else:
        head = f"{report.name}: FAILED ({runs})"
    lines = [head, *table_lines(report)]
    lines += [f"  problem: {problem}" for problem in report.verdict.problems]
    timing = _timing(report)
    if timing:
        lines.append(f"  time: {timing}")
    return lines


def _timing(report: DatumTestReport) -> str:
    """Setup and run seconds per side: for the terminal and --json only, never the receipt."""
    parts = []
    for side in ("baseline", "patched"):
        setup = sum(report.timings.get(f"{side}_setup", []))
        runs = report.timings.get(side, [])
        if setup or runs:
            parts.append(f"{side} {setup:.1f} s setup + {sum(runs):.1f} s in {len(runs)} run(s)")
    return "; ".join(parts)


def _json(outcome: Outcome) -> dict[str, Any]:
    document: dict[str, Any] = {"name": outcome.name, "ok": outcome.ok}
    if outcome.skipped:
        document["skipped"] = outcome.skipped
        return document
    if outcome.error is not None:
        document["problems"] = str(outcome.error).splitlines()
        return document
    report = outcome.report
    assert report is not None
    verdict = report.verdict
    metric = verdict.metric
    document.update(
        {
            "runner": report.runner,
            "repeat": report.repeat,
            "trees": None
            if report.trees is None
            else {
                "baseline": report.trees.baseline_tree,
                "baseline_with_tests": report.trees.baseline_with_tests_tree,
                "patched": report.trees.patched_tree,
            },
            "tests": [
                {
                    "id": row.test_id,
                    "expected": row.expected,
                    "baseline": list(row.baseline),
                    "patched": list(row.patched),
                    "ok": row.ok,
                    "reason": row.reason,
                    "blocked": row.blocked,
                }
                for row in verdict.rows
            ],
            "metric": None
            if metric is None
            else {**metric.facts(), "ok": metric.ok, "reason": metric.reason},
            "problems": list(verdict.problems),
            "receipt": f"datums/{report.name}/{RECEIPT_FILE}" if report.receipt_written else None,
            "timings_s": {k: [round(v, 3) for v in vs] for k, vs in report.timings.items()},
        }
    )
    return document


def test(
    project: Project,
    names: Sequence[str],
    *,
    explicit: bool,
    repeat: int = 1,
    jobs: int = 1,
    docker: bool = False,
    pass_env: Sequence[str] = (),
    json_output: bool = False,
) -> int:
    if docker:
        from datumkit.testing.docker import require_engine

        require_engine()
    progress = not json_output and sys.stderr.isatty()
    started = time.perf_counter()

    def one(name: str) -> Outcome:
        return _run_one(
            project,
            name,
            repeat=repeat,
            docker=docker,
            pass_env=pass_env,
            explicit=explicit,
            progress=progress,
        )

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outcomes = list(pool.map(one, names))
    elapsed = time.perf_counter() - started
    if json_output:
        document = {
            "version": JSON_VERSION,
            "datums": [_json(o) for o in outcomes],
            "summary": {
                "datums": len(outcomes),
                "passed": sum(1 for o in outcomes if o.ok and not o.skipped),
                "failed": sum(1 for o in outcomes if not o.ok),
                "skipped": sum(1 for o in outcomes if o.skipped),
                "elapsed_s": round(elapsed, 2),
            },
        }
        say(json.dumps(document, indent=2))
    else:
        for outcome in outcomes:
            for line in text_lines(outcome):
                say(line)
        if not outcomes:
            say("no datum selected")
        failed = sum(1 for o in outcomes if not o.ok)
        say(f"{len(outcomes) - failed} of {len(outcomes)} datum(s) verified in {elapsed:.1f} s")
    return EXIT_OK if all(o.ok for o in outcomes) else EXIT_FINDINGS
