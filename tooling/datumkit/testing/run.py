"""`datum test` for one datum: both trees, their environments, K runs per side, the verdict.

Without Docker (the default), each side is a materialized tree in a temporary directory with its
own virtual environment (`python -m venv`, no system site-packages), where `environment.install`
and then the test command run with a clean environment (sandbox.py) under the timeout. This is
isolation from the user's Python and credentials, not a security sandbox: the datum's commands
run as the user. Use `--docker` for datums you do not trust.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from datumkit.errors import DatumError
from datumkit.model.datum import EXIT_CODE_TEST_ID, TestSpec
from datumkit.model.datumdir import DATUM_YAML, DatumSource
from datumkit.model.project import Project
from datumkit.testing.metric import MetricUnreadable, metric_value
from datumkit.testing.results import (
    ResultsUnreadable,
    clear_junit_files,
    junit_files,
    merge,
    read_junit,
)
from datumkit.testing.sandbox import (
    CommandResult,
    clean_environment,
    create_venv,
    run_command,
)
from datumkit.testing.trees import DatumTrees, materialize_sides
from datumkit.testing.verdict import RunResult, Verdict, decide

SIDES = ("baseline", "patched")
#: `on_step(datum, message)`: progress for a terminal
Step = Callable[[str, str], None]


@dataclass
class DatumTestReport:
    """Everything `datum test` learnt about one datum; `timings` never reach the receipt."""

    name: str
    verdict: Verdict
    trees: DatumTrees | None
    runner: str
    repeat: int
    timings: dict[str, list[float]] = field(default_factory=dict)
    receipt_written: bool = False

    @property
    def ok(self) -> bool:
        return self.verdict.ok


def require_spec(source: DatumSource) -> TestSpec:
    spec = source.datum.evaluation.tests
    if spec is None:
        raise DatumError(
            "declares no tests",
            file=source.display(DATUM_YAML),
            location="evaluation.tests",
            hint="add evaluation.tests (command, results, fail_to_pass/pass_to_pass or metric)",
        )
    return spec


def _failure(what: str, result: CommandResult, timeout: int) -> str:
    if result.timed_out:
        return (
            f"{what} timed out after {timeout} s and was stopped "
            "(raise evaluation.tests.timeout_sec if it needs longer)"
        )
    tail = result.tail()
    return f"{what} exited with status {result.exit_code}" + (f": {tail}" if tail else "")


@dataclass(frozen=True)
class SideContext:
    """One prepared side: its task directory and the environment its commands get."""

    task_dir: Path
    env: dict[str, str]
    logs: Path


def prepare_side(
    source: DatumSource,
    spec: TestSpec,
    side_dir: Path,
    *,
    pass_env: Sequence[str],
) -> tuple[SideContext, str | None]:
    """A venv and the install steps for one side; the second value is why it failed, if it did."""
    environment = source.datum.environment
    tree = side_dir / "tree"
    task_dir = tree / source.datum.repo.subdir if source.datum.repo.subdir else tree
    for name in ("home", "tmp", "logs"):
        (side_dir / name).mkdir()
    venv = create_venv(side_dir / "venv", with_pip=bool(environment.install))
    env = clean_environment(
        home=side_dir / "home",
        tmpdir=side_dir / "tmp",
        venv=venv,
        datum_env=environment.env,
        pass_env=pass_env,
    )
    context = SideContext(task_dir, env, side_dir / "logs")
    if not task_dir.is_dir():
        return context, f"the task directory {source.datum.repo.subdir!r} is not in the tree"
    for index, step in enumerate(environment.install):
        result = run_command(
            step,
            cwd=task_dir,
            env=env,
            timeout=spec.timeout_sec,
            log=context.logs / f"install{index}",
        )
        if not result.ok:
            return context, _failure(f"environment.install[{index}]", result, spec.timeout_sec)
    return context, None


def run_once(spec: TestSpec, context: SideContext, index: int) -> tuple[RunResult, float]:
    """The test command, its results and the metric, once."""
    problems: list[str] = []
    outcomes: dict[str, str] = {}
    started = time.monotonic()
    patterns = spec.results.junit_paths
    if spec.command is not None:
        clear_junit_files(context.task_dir, patterns)
        result = run_command(
            spec.command,
            cwd=context.task_dir,
            env=context.env,
            timeout=spec.timeout_sec,
            log=context.logs / f"test{index}",
        )
        if result.timed_out:
            problems.append(_failure("the test command", result, spec.timeout_sec))
        else:
            if spec.results.exit_code:
                outcomes[EXIT_CODE_TEST_ID] = "passed" if result.exit_code == 0 else "failed"
            if patterns:
                found = junit_files(context.task_dir, patterns)
                if not found:
                    problems.append(
                        "no file matched results.junit_paths "
                        f"{list(patterns)} after the test command "
                        f"({_failure('which', result, spec.timeout_sec)})"
                    )
                for path in found:
                    display = path.relative_to(context.task_dir).as_posix()
                    try:
                        merge(outcomes, read_junit(path, display=display))  # type: ignore[arg-type]
                    except ResultsUnreadable as error:
                        problems.append(str(error))
    value = None
    if spec.metric is not None:
        result = run_command(
            spec.metric.command,
            cwd=context.task_dir,
            env=context.env,
            timeout=spec.timeout_sec,
            log=context.logs / f"metric{index}",
        )
        if not result.ok:
            problems.append(_failure("the metric command", result, spec.timeout_sec))
        else:
            try:
                value = metric_value(result.stdout, spec.metric.key)
            except MetricUnreadable as error:
                problems.append(f"the metric command {error}")
    return RunResult(outcomes, value, tuple(problems)), time.monotonic() - started


def verify_datum(
    project: Project,
    name: str,
    *,
    repeat: int = 1,
    pass_env: Sequence[str] = (),
    on_step: Step | None = None,
) -> DatumTestReport:
    """Run datum `name`'s declared tests on both sides, `repeat` times each (venv runner)."""
    step = on_step or (lambda _name, _message: None)
    source = project.load(name)
    spec = require_spec(source)
    with tempfile.TemporaryDirectory(prefix=f"datum-test-{name}-") as temporary:
        root = Path(temporary)
        step(name, "materializing the baseline (+ the patch's test files) and the patched tree")
        trees = materialize_sides(
            source, project.locator(), root / "baseline" / "tree", root / "patched" / "tree"
        )
        runs: dict[str, list[RunResult]] = {side: [] for side in SIDES}
        timings: dict[str, list[float]] = {side: [] for side in SIDES}
        problems: list[str] = []
        for side in SIDES:
            step(name, f"{side}: creating the virtual environment and installing")
            started = time.monotonic()
            context, failed = prepare_side(source, spec, root / side, pass_env=pass_env)
            timings[f"{side}_setup"] = [time.monotonic() - started]
            if failed is not None:
                problems.append(f"{side}: {failed}")
                continue
            for index in range(repeat):
                step(name, f"{side}: run {index + 1} of {repeat}")
                result, elapsed = run_once(spec, context, index)
                runs[side].append(result)
                timings[side].append(elapsed)
    verdict = decide(spec, runs["baseline"], runs["patched"], problems)
    return DatumTestReport(name, verdict, trees, "venv", repeat, timings)
