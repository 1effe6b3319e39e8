"""From outcomes to a verdict: SWE-bench's FAIL_TO_PASS / PASS_TO_PASS rules, the metric bounds,
missing tests and flaky tests, each with a one-line reason.

Pure functions over plain data, so every rule is tested without running anything.

- FAIL_TO_PASS: fails, errors or is missing at the baseline (with the patch's test files), and
  passes on the patched tree;
- PASS_TO_PASS: passes on both sides;
- a declared id that no run reports at all is "test not found", never a pass;
- with `--repeat K`, a test whose outcome differs between the K runs of one side is flaky, which
  fails the verdict even when every outcome would be acceptable;
- metric: every baseline value below `baseline_below`, every patched value at least
  `patched_at_least`.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from datumkit.model.datum import TestMetric, TestSpec
from datumkit.testing.results import by_node_id

MISSING = "missing"
Expected = Literal["fail_to_pass", "pass_to_pass"]


@dataclass(frozen=True)
class RunResult:
    """One run of one side: outcome by test id, the metric value, what went wrong."""

    outcomes: dict[str, str]
    metric: float | None = None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    test_id: str
    expected: Expected
    baseline: tuple[str, ...]
    patched: tuple[str, ...]
    reason: str = ""
    #: no result only because a run failed (timeout, setup): the run's problem is the reason
    blocked: bool = False

    @property
    def ok(self) -> bool:
        return not self.reason


@dataclass(frozen=True)
class MetricRow:
    key: str
    baseline: tuple[float | None, ...]
    patched: tuple[float | None, ...]
    baseline_below: float | None
    patched_at_least: float | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason

    def facts(self) -> dict[str, object]:
        """What was measured and the bounds, as the receipt and `--json` both record them."""
        return {
            "key": self.key,
            "baseline": list(self.baseline),
            "patched": list(self.patched),
            "baseline_below": self.baseline_below,
            "patched_at_least": self.patched_at_least,
        }


@dataclass(frozen=True)
class Verdict:
    rows: tuple[Row, ...]
    metric: MetricRow | None
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return (
            not self.problems
            and all(row.ok for row in self.rows)
            and (self.metric is None or self.metric.ok)
        )

    def reasons(self) -> list[str]:
        """Every failure, one line each: run problems, then rows, then the metric."""
        lines = list(self.problems)
        lines += [
            f"{row.test_id}: {row.reason}" for row in self.rows if not row.ok and not row.blocked
        ]
        if self.metric is not None and not self.metric.ok:
            lines.append(f"metric {self.metric.key}: {self.metric.reason}")
        return lines


def summarize(outcomes: Sequence[str]) -> str:
    """`failed` when every run agrees; `passed, failed, passed` when they do not."""
    if not outcomes:
        return MISSING
    if len(set(outcomes)) == 1:
        return outcomes[0]
    return ", ".join(outcomes)


def _flaky(outcomes: Sequence[str]) -> bool:
    return len(set(outcomes)) > 1


def _closest(test_id: str, known: set[str]) -> str:
    match = difflib.get_close_matches(test_id, sorted(known), n=1, cutoff=0.5)
    return f"; closest reported id: {match[0]!r}" if match else ""


def _row(
    test_id: str,
    expected: Expected,
    base: tuple[str, ...],
    patched: tuple[str, ...],
    known: set[str],
    blocked: bool = False,
) -> Row:
    def reason() -> str:
        if blocked:
            return "no result: a run failed (see the problems)"
        if all(o == MISSING for o in (*base, *patched)):
            return (
                "test not found: no run reported this id (ids are JUnit classname::name"
                f"{_closest(test_id, known)})"
            )
        if _flaky(base):
            return f"flaky at the baseline: {summarize(base)}"
        if _flaky(patched):
            return f"flaky on the patched tree: {summarize(patched)}"
        before, after = base[0], patched[0]
        if after == MISSING:
            return "test not found in the patched run (the patch removes or renames it?)"
        if expected == "fail_to_pass":
            if before == "passed":
                return "already passes at the baseline, so it does not test the fix"
            if before == "skipped":
                return "skipped at the baseline, so it does not show the fix is missing there"
            if after != "passed":
                return f"does not pass on the patched tree ({after})"
            return ""
        if before == MISSING:
            return "test not found at the baseline (a new test belongs in fail_to_pass)"
        if before != "passed":
            return f"does not pass at the baseline ({before})"
        if after != "passed":
            return f"broken by the patch: {after} on the patched tree"
        return ""

    return Row(test_id, expected, base, patched, reason(), blocked)


def _fmt(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def _metric_row(
    metric: TestMetric, base: tuple[float | None, ...], patched: tuple[float | None, ...]
) -> MetricRow:
    reason = ""
    if any(v is None for v in (*base, *patched)):
        reason = "no value on every run (see the problems above)"
    elif metric.baseline_below is not None and any(
        v is not None and v >= metric.baseline_below for v in base
    ):
        worst = max(v for v in base if v is not None)
        reason = (
            f"{metric.key} = {_fmt(worst)} at the baseline, not below {_fmt(metric.baseline_below)}"
            " (the baseline already reaches the bar)"
        )
    elif metric.patched_at_least is not None and any(
        v is not None and v < metric.patched_at_least for v in patched
    ):
        worst = min(v for v in patched if v is not None)
        reason = (
            f"{metric.key} = {_fmt(worst)} on the patched tree, below "
            f"{_fmt(metric.patched_at_least)}"
        )
    return MetricRow(
        metric.key, base, patched, metric.baseline_below, metric.patched_at_least, reason
    )


def decide(
    spec: TestSpec,
    baseline: Sequence[RunResult],
    patched: Sequence[RunResult],
    problems: Sequence[str] = (),
) -> Verdict:
    """The verdict for K runs per side (K >= 1; a side that could not run has no runs)."""
    known: set[str] = set()
    for run in (*baseline, *patched):
        known.update(run.outcomes)
    run_problems = list(problems)
    for side, runs in (("baseline", baseline), ("patched", patched)):
        for index, run in enumerate(runs, 1):
            prefix = f"{side} run {index}: " if len(runs) > 1 else f"{side}: "
            run_problems += [prefix + p for p in run.problems]
    rows = []
    declared: list[tuple[str, Expected]] = [(t, "fail_to_pass") for t in spec.fail_to_pass]
    declared += [(t, "pass_to_pass") for t in spec.pass_to_pass]
    if baseline and patched:
        aliases = {id(run): by_node_id(run.outcomes) for run in (*baseline, *patched)}

        def outcome_of(run: RunResult, test_id: str) -> str:
            """The run's outcome for a JUnit id, or for a pytest node id naming the same case."""
            if test_id in run.outcomes:
                return run.outcomes[test_id]
            return run.outcomes.get(aliases[id(run)].get(test_id, ""), MISSING)

        for test_id, expected in declared:
            base = tuple(outcome_of(run, test_id) for run in baseline)
            after = tuple(outcome_of(run, test_id) for run in patched)
            # a side whose run failed outright (timeout) reports nothing; the run's problem
            # says why, so "test not found" would only mislead
            blocked = any(
                run.problems and not run.outcomes and outcome == MISSING
                for runs, outcomes in ((baseline, base), (patched, after))
                for run, outcome in zip(runs, outcomes, strict=True)
            )
            rows.append(_row(test_id, expected, base, after, known, blocked))
    metric = None
    if spec.metric is not None and baseline and patched:
        metric = _metric_row(
            spec.metric,
            tuple(run.metric for run in baseline),
            tuple(run.metric for run in patched),
        )
    return Verdict(tuple(rows), metric, tuple(dict.fromkeys(run_problems)))
