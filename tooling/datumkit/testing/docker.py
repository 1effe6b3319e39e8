"""`datum test --docker`: the same runs inside the datum's own image.

The baseline side is the Dockerfile's `baseline` stage; the patched side is its `solution`
stage (a Dockerfile from before the two stages is refused: regenerate it). Each
run is a fresh container: for the baseline, the patch's test files are applied first with
`git apply` (like SWE-bench's test_patch); then the test command and the metric command run in
the task directory, and the task directory is copied out (`docker cp`) to read the JUnit files.
The image's `ENV` is the environment: nothing of the user's reaches the container.

Every value of the datum reaches the container's shell through `shlex.quote` (ARCHITECTURE.md
invariant 6).
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from datumkit.errors import DatumError, OperationFailed
from datumkit.model.datum import EXIT_CODE_TEST_ID, TestSpec
from datumkit.model.datumdir import DATUM_YAML
from datumkit.model.project import Project
from datumkit.testing.metric import MetricUnreadable, metric_value
from datumkit.testing.results import ResultsUnreadable, junit_files, merge, read_junit
from datumkit.testing.run import SIDES, DatumTestReport, Step, require_spec
from datumkit.testing.trees import materialize_sides
from datumkit.testing.verdict import RunResult, decide

_STAGE_RE = re.compile(r"^FROM\s+\S+\s+AS\s+(\S+)\s*$", re.IGNORECASE | re.MULTILINE)
_ENGINE_TIMEOUT_SEC = 30


def require_engine() -> str:
    """The docker executable, after proving the engine answers; exit 3 naming what is missing."""
    executable = shutil.which("docker")
    if executable is None:
        raise OperationFailed(
            "--docker: no `docker` command on PATH",
            hint="install Docker (or Podman's docker command), or run `datum test` without "
            "--docker to use a virtual environment",
        )
    try:
        result = subprocess.run(
            [executable, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=_ENGINE_TIMEOUT_SEC,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise OperationFailed(
            f"--docker: the Docker engine did not answer within {_ENGINE_TIMEOUT_SEC} s",
            hint="start the Docker daemon, or run without --docker",
        ) from None
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        reason = lines[-1] if lines else "no answer"
        raise OperationFailed(
            f"--docker: the Docker engine is not reachable: {reason}",
            hint="start the Docker daemon (or set DOCKER_HOST), or run without --docker",
        )
    return executable


def _docker(
    executable: str, *args: str, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [executable, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def _build(executable: str, context: Path, tag: str, *, baseline: bool) -> None:
    dockerfile = (context / "Dockerfile").read_text(encoding="utf-8")
    stages = {name.lower() for name in _STAGE_RE.findall(dockerfile)}
    if not {"baseline", "solution"} <= stages:
        raise DatumError(
            "has no `baseline` and `solution` stages (a Dockerfile from before datumkit's "
            "two-stage images)",
            file=f"datums/{context.name}/Dockerfile",
            hint=f"run `datum generate {context.name}`",
        )
    args = ["build", "--quiet", "-t", tag, "--target", "baseline" if baseline else "solution"]
    result = _docker(executable, *args, str(context))
    if result.returncode != 0:
        tail = " | ".join(result.stderr.strip().splitlines()[-3:])
        raise DatumError(
            f"docker build of the {'baseline' if baseline else 'solution'} image failed: {tail}",
            file=f"datums/{context.name}/Dockerfile",
            hint="build it yourself to see the full log",
        )


def _script(spec: TestSpec, workdir: str, subdir: str, *, apply_tests: bool) -> str:
    q = shlex.quote
    lines = ["set -u", f"cd {q(workdir)}"]
    if apply_tests:
        lines.append("git apply --whitespace=nowarn /datumkit-in/tests.patch || exit 97")
    if subdir:
        lines.append(f"cd {q(subdir)}")
    if spec.command is not None:
        lines.append(f"/bin/sh -c {q(spec.command)} </dev/null >/tmp/datumkit-test.out 2>&1")
        lines.append("echo $? >/tmp/datumkit-test.status")
    if spec.metric is not None:
        lines.append(
            f"/bin/sh -c {q(spec.metric.command)} </dev/null "
            ">/tmp/datumkit-metric.out 2>/tmp/datumkit-metric.err"
        )
        lines.append("echo $? >/tmp/datumkit-metric.status")
    return "\n".join(lines)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def _one_run(
    executable: str,
    image: str,
    spec: TestSpec,
    script: str,
    inputs: Path,
    out: Path,
    workdir: str,
    subdir: str,
) -> RunResult:
    created = _docker(
        executable, "create", "-v", f"{inputs}:/datumkit-in:ro", image, "/bin/sh", "-c", script
    )
    if created.returncode != 0:
        raise OperationFailed(f"docker create failed: {created.stderr.strip()[-200:]}")
    container = created.stdout.strip()
    problems: list[str] = []
    try:
        try:
            _docker(executable, "start", "-a", container, timeout=spec.timeout_sec)
        except subprocess.TimeoutExpired:
            _docker(executable, "kill", container)
            return RunResult(
                {},
                None,
                (
                    f"the run timed out after {spec.timeout_sec} s and its container was killed "
                    "(raise evaluation.tests.timeout_sec if it needs longer)",
                ),
            )
        task = f"{workdir.rstrip('/')}/{subdir}" if subdir else workdir
        for remote, local in (
            (f"{task}/.", out / "task"),
            ("/tmp/datumkit-test.status", out / "test.status"),
            ("/tmp/datumkit-test.out", out / "test.out"),
            ("/tmp/datumkit-metric.status", out / "metric.status"),
            ("/tmp/datumkit-metric.out", out / "metric.out"),
        ):
            _docker(executable, "cp", f"{container}:{remote}", str(local))
    finally:
        _docker(executable, "rm", "-f", container)
    outcomes: dict[str, str] = {}
    if spec.command is not None:
        status = _read(out / "test.status").strip()
        if spec.results.exit_code:
            outcomes[EXIT_CODE_TEST_ID] = "passed" if status == "0" else "failed"
        found = (
            junit_files(out / "task", spec.results.junit_paths) if (out / "task").is_dir() else []
        )
        if spec.results.junit_paths and not found:
            problems.append(
                f"no file matched results.junit_paths {list(spec.results.junit_paths)} "
                f"after the test command (exit {status or 'unknown'})"
            )
        for path in found:
            try:
                merge(outcomes, read_junit(path, display=path.relative_to(out / "task").as_posix()))  # type: ignore[arg-type]
            except ResultsUnreadable as error:
                problems.append(str(error))
    value = None
    if spec.metric is not None:
        if _read(out / "metric.status").strip() != "0":
            problems.append("the metric command failed in the container")
        else:
            try:
                value = metric_value(_read(out / "metric.out"), spec.metric.key)
            except MetricUnreadable as error:
                problems.append(f"the metric command {error}")
    return RunResult(outcomes, value, tuple(problems))


def verify_datum_in_docker(
    project: Project, name: str, *, repeat: int = 1, on_step: Step | None = None
) -> DatumTestReport:
    step = on_step or (lambda _name, _message: None)
    executable = require_engine()
    source = project.load(name)
    spec = require_spec(source)
    context = project.directory(name)
    if not (context / "Dockerfile").is_file():
        raise DatumError(
            "has no Dockerfile",
            file=source.display(DATUM_YAML),
            hint=f"run `datum generate {name}`",
        )
    datum = source.datum
    runs: dict[str, list[RunResult]] = {side: [] for side in SIDES}
    timings: dict[str, list[float]] = {side: [] for side in SIDES}
    with tempfile.TemporaryDirectory(prefix=f"datum-test-{name}-") as temporary:
        root = Path(temporary)
        trees = materialize_sides(
            source, project.locator(), root / "baseline" / "tree", root / "patched" / "tree"
        )
        inputs = root / "in"
        inputs.mkdir()
        (inputs / "tests.patch").write_bytes(trees.test_patch)
        for side in SIDES:
            tag = f"datumkit-test/{name}:{side}"
            step(name, f"{side}: docker build")
            _build(executable, context, tag, baseline=side == "baseline")
            script = _script(
                spec,
                datum.environment.workdir,
                datum.repo.subdir,
                apply_tests=side == "baseline" and bool(trees.test_patch),
            )
            for index in range(repeat):
                step(name, f"{side}: run {index + 1} of {repeat} in a container")
                out = root / f"{side}-out-{index}"
                out.mkdir()
                started = time.monotonic()
                runs[side].append(
                    _one_run(
                        executable,
                        tag,
                        spec,
                        script,
                        inputs,
                        out,
                        datum.environment.workdir,
                        datum.repo.subdir,
                    )
                )
                timings[side].append(time.monotonic() - started)
    verdict = decide(spec, runs["baseline"], runs["patched"])
    return DatumTestReport(name, verdict, trees, "docker", repeat, timings)
