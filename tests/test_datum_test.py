"""`datum test` end to end on a tiny real upstream: each way a datum can fail to prove itself
gives a failing verdict with a one-line reason; a passing one writes a receipt `datum check`
accepts, until diff.patch changes."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from datumkit.cli.main import cli
from helpers.datumtest import ADD, NAME, NEG, good_tests, make_project


def datum(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def report(result: Result) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(result.stdout)
    (entry,) = document["datums"]
    return entry


def reasons(entry: dict[str, Any]) -> list[str]:
    lines = list(entry.get("problems", []))
    lines += [
        f"{t['id']}: {t['reason']}"
        for t in entry.get("tests", [])
        if not t["ok"] and not t["blocked"]
    ]
    if entry.get("metric") and not entry["metric"]["ok"]:
        lines.append(f"metric: {entry['metric']['reason']}")
    return lines


def _ends(pid: int) -> bool:
    """Whether process `pid` is gone (or a zombie) within a few seconds of being killed."""
    for _ in range(100):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False


def test_a_good_datum_is_verified_and_its_receipt_checked(tmp_path: Path) -> None:
    root = make_project(tmp_path, good_tests())
    result = datum(root, "test", NAME)
    assert result.exit_code == 0, result.output
    assert f"{NAME}: verified (1 run per side, venv)" in result.stdout
    assert f"  {ADD}  failed    passed   fail_to_pass" in result.stdout
    receipt_path = root / "datums" / NAME / "verification.json"
    receipt = json.loads(receipt_path.read_text())
    assert receipt["tests"] == [
        {"id": ADD, "expected": "fail_to_pass", "baseline": "failed", "patched": "passed"},
        {"id": NEG, "expected": "pass_to_pass", "baseline": "passed", "patched": "passed"},
    ]
    assert receipt["metric"]["baseline"] == [0.0] and receipt["metric"]["patched"] == [1.0]
    assert receipt["test_files"] == ["tests/test_calc.py"]
    first = receipt_path.read_bytes()
    assert datum(root, "test", NAME).exit_code == 0
    assert receipt_path.read_bytes() == first, "the receipt is deterministic"
    checked = datum(root, "check", NAME, "--only", "verified")
    assert checked.exit_code == 0, checked.output

    # a stale receipt: diff.patch edited after verification
    patch = root / "datums" / NAME / "diff.patch"
    patch.write_bytes(patch.read_bytes().replace(b"a + b", b"b + a"))
    stale = datum(root, "check", NAME, "--only", "verified")
    assert stale.exit_code == 1
    assert (
        f"datums/{NAME}/verification.json: stale: diff.patch changed since verification "
        f"(run `datum test {NAME}` and commit verification.json)"
    ) in stale.output


def test_no_receipt_is_a_warning_unless_verification_is_required(tmp_path: Path) -> None:
    root = make_project(tmp_path, good_tests())
    result = datum(root, "check", NAME, "--only", "verified", "--json")
    assert result.exit_code == 0, result.output
    (finding,) = json.loads(result.stdout)["datums"][0]["findings"]
    assert finding["severity"] == "warning"
    assert finding["message"].startswith("not verified: no receipt")
    with open(root / "pyproject.toml", "a", encoding="utf-8") as handle:
        handle.write("\n[tool.datumkit]\nrequire_verification = true\n")
    from datumkit.checks.verified import verification_required

    verification_required.cache_clear()
    assert datum(root, "check", NAME, "--only", "verified").exit_code == 1


@pytest.mark.parametrize(
    "receipt", [b"[" * 100_000, b'{"format": 1, "x": ' + b"[" * 5_000, b"\xff\xfe", b"{}"]
)
def test_a_hostile_receipt_is_a_finding_not_a_crash(tmp_path: Path, receipt: bytes) -> None:
    """verification.json comes in a pull request too: deep nesting, junk bytes, a wrong shape."""
    root = make_project(tmp_path, good_tests())
    (root / "datums" / NAME / "verification.json").write_bytes(receipt)
    result = datum(root, "check", NAME, "--only", "verified")
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"datums/{NAME}/verification.json: " in result.output


def test_pytest_node_ids_as_swebench_writes_them_are_found(tmp_path: Path) -> None:
    """An imported SWE-bench datum declares `tests/test_calc.py::CalcTest::test_add`."""
    tests = {
        **good_tests(),
        "fail_to_pass": ["tests/test_calc.py::CalcTest::test_add"],
        "pass_to_pass": ["tests/test_calc.py::CalcTest::test_neg"],
    }
    root = make_project(tmp_path, tests)
    result = datum(root, "test", NAME, "--json")
    assert result.exit_code == 0, result.output
    assert [row["ok"] for row in report(result)["tests"]] == [True, True]


def test_a_fail_to_pass_test_that_already_passes_at_the_baseline(tmp_path: Path) -> None:
    tests = {**good_tests(), "fail_to_pass": [ADD, NEG], "pass_to_pass": []}
    result = datum(make_project(tmp_path, tests), "test", NAME, "--json")
    assert result.exit_code == 1
    assert reasons(report(result)) == [
        f"{NEG}: already passes at the baseline, so it does not test the fix"
    ]
    assert not (tmp_path / "project" / "datums" / NAME / "verification.json").exists()


def test_a_declared_test_that_does_not_exist(tmp_path: Path) -> None:
    ghost = "tests.test_calc.CalcTest::test_ad"
    tests = {**good_tests(), "fail_to_pass": [ADD, ghost]}
    result = datum(make_project(tmp_path, tests), "test", NAME, "--json")
    assert result.exit_code == 1
    assert reasons(report(result)) == [
        f"{ghost}: test not found: no run reported this id (ids are JUnit classname::name; "
        f"closest reported id: '{ADD}')"
    ]


def test_a_pass_to_pass_test_broken_by_the_patch(tmp_path: Path) -> None:
    tests = {k: v for k, v in good_tests().items() if k != "metric"}
    result = datum(make_project(tmp_path, tests, breaking=True), "test", NAME, "--json")
    assert result.exit_code == 1
    assert reasons(report(result)) == [f"{NEG}: broken by the patch: failed on the patched tree"]
    assert "FAIL: broken by the patch" in datum(tmp_path / "project", "test", NAME).stdout


def test_a_flaky_test_is_caught_by_repeat(tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    tests = {
        "command": "python run_tests.py flaky_counter.py",
        "results": {"junit_paths": ["build/junit.xml"]},
        "pass_to_pass": ["tests.flaky_counter.FlakyTest::test_counter"],
    }
    root = make_project(tmp_path, tests, env={"COUNTER_FILE": str(counter)})
    result = datum(root, "test", NAME, "--repeat", "3", "--json")
    assert result.exit_code == 1
    assert reasons(report(result)) == [
        "tests.flaky_counter.FlakyTest::test_counter: flaky at the baseline: passed, failed, passed"
    ]
    counter.unlink()
    once = datum(root, "test", NAME, "--json")  # one run per side cannot see it
    assert reasons(report(once)) == [
        "tests.flaky_counter.FlakyTest::test_counter: broken by the patch: "
        "failed on the patched tree"
    ]


def test_a_missed_metric_bound(tmp_path: Path) -> None:
    tests = good_tests()
    tests["metric"] = {**tests["metric"], "baseline_below": 1.5, "patched_at_least": 1.5}
    result = datum(make_project(tmp_path, tests), "test", NAME, "--json")
    assert result.exit_code == 1
    assert reasons(report(result)) == ["metric: score = 1 on the patched tree, below 1.5"]


def test_a_hanging_test_is_stopped_by_its_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    tests = {
        "command": "python run_tests.py hang_forever.py",
        "results": {"junit_paths": ["build/junit.xml"]},
        "pass_to_pass": ["tests.hang_forever.HangTest::test_hangs"],
        "timeout_sec": 2,
    }
    root = make_project(tmp_path, tests, env={"CHILD_PID_FILE": str(pid_file)})
    result = datum(root, "test", NAME, "--json")
    assert result.exit_code == 1
    stopped = (
        "the test command timed out after 2 s and was stopped "
        "(raise evaluation.tests.timeout_sec if it needs longer)"
    )
    entry = report(result)
    assert reasons(entry) == [f"baseline: {stopped}", f"patched: {stopped}"]
    assert entry["tests"][0]["reason"] == "no result: a run failed (see the problems)"
    assert _ends(int(pid_file.read_text())), "the test's own child must go with its group"


def test_the_datums_commands_get_a_clean_environment(tmp_path: Path) -> None:
    tests = {
        "command": "env > build/env.txt; python run_tests.py test_calc.py",
        "results": {"junit_paths": ["build/junit.xml"]},
        "fail_to_pass": [ADD],
    }
    root = make_project(tmp_path, tests, env={"FROM_DATUM": "yes"})
    from datumkit.model.project import Project
    from datumkit.testing import sandbox

    seen: dict[str, str] = {}
    real = sandbox.clean_environment

    def spy(**kwargs: Any) -> dict[str, str]:
        env = real(**kwargs, source={**os.environ, "AWS_SECRET_ACCESS_KEY": "x", "LANG": "C"})
        seen.update(env)
        return env

    sandbox_module_attr = "clean_environment"
    import datumkit.testing.run as run_module

    original = getattr(run_module, sandbox_module_attr)
    setattr(run_module, sandbox_module_attr, spy)
    try:
        report_ = run_module.verify_datum(Project(root), NAME)
    finally:
        setattr(run_module, sandbox_module_attr, original)
    assert report_.ok, report_.verdict.reasons()
    assert "AWS_SECRET_ACCESS_KEY" not in seen
    assert seen["FROM_DATUM"] == "yes" and seen["LANG"] == "C"
    assert seen["HOME"] != os.environ.get("HOME")
    assert seen["PATH"].split(os.pathsep)[0].endswith("venv/bin")


def test_a_datum_without_tests_is_refused_by_name_and_skipped_by_all(tmp_path: Path) -> None:
    root = make_project(tmp_path, good_tests())
    yaml_path = root / "datums" / NAME / "datum.yaml"
    document = json.loads(yaml_path.read_text())
    del document["evaluation"]["tests"]
    yaml_path.write_text(json.dumps(document))
    named = datum(root, "test", NAME)
    assert named.exit_code == 1
    assert (
        f"datums/{NAME}/datum.yaml: evaluation.tests: declares no tests (add evaluation.tests"
        in named.output
    )
    every = datum(root, "test", "--all")
    assert every.exit_code == 0
    assert f"{NAME}: skipped (declares no evaluation.tests)" in every.output


def test_docker_without_an_engine_is_an_outside_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path, good_tests())
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    result = datum(root, "test", NAME, "--docker")
    assert result.exit_code == 3
    assert result.output.startswith("--docker: no `docker` command on PATH (install Docker")


def test_review_shows_a_receipt_made_stale_by_the_change(tmp_path: Path) -> None:
    from helpers.gitrepo import git

    root = make_project(tmp_path, good_tests())
    assert datum(root, "test", NAME).exit_code == 0
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "verified datum")
    patch = root / "datums" / NAME / "diff.patch"
    patch.write_bytes(patch.read_bytes().replace(b"a + b", b"b + a"))
    git(root, "commit", "-q", "-am", "edit the patch")
    result = datum(root, "review", "HEAD~1..HEAD", "--format", "json")
    assert "verification: stale: diff.patch changed since verification" in result.stdout

    # re-verified with more repeats: the review says what the new receipt says differently
    assert datum(root, "test", NAME, "--repeat", "2").exit_code == 0
    git(root, "commit", "-q", "-am", "re-verify")
    notes = datum(root, "review", "HEAD~1..HEAD").stdout
    assert "verification: verification.json rewritten in this change: verified (2 test(s)" in notes
    assert "verification: repeat: 1 -> 2" in notes
    assert "verification: metric score: [0.0]/[1.0] -> [0.0, 0.0]/[1.0, 1.0]" in notes


def test_the_exit_code_as_the_result(tmp_path: Path) -> None:
    tests = {
        "command": "python run_tests.py test_calc.py",
        "results": {"exit_code": True},
        "fail_to_pass": ["exit_code"],
    }
    result = datum(make_project(tmp_path, tests), "test", NAME, "--json")
    assert result.exit_code == 0, result.output
    (row,) = report(result)["tests"]
    assert (row["baseline"], row["patched"]) == (["failed"], ["passed"])


def test_changed_since_selects_the_changed_datum(tmp_path: Path) -> None:
    from helpers.gitrepo import git

    root = make_project(tmp_path, good_tests())
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "datum")
    assert "no datum selected" in datum(root, "test", "--changed-since", "HEAD").output
    (root / "datums" / NAME / "notes.md").write_text("notes\n")
    result = datum(root, "test", "--changed-since", "HEAD", "--json")
    assert result.exit_code == 0, result.output
    assert [d["name"] for d in json.loads(result.stdout)["datums"]] == [NAME]


def test_docker_with_an_engine_that_does_not_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path, good_tests())
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "docker"
    fake.write_text(
        "#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///x.sock' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    result = datum(root, "test", NAME, "--docker")
    assert result.exit_code == 3
    assert result.output.strip() == (
        "--docker: the Docker engine is not reachable: Cannot connect to the Docker daemon at "
        "unix:///x.sock (start the Docker daemon (or set DOCKER_HOST), or run without --docker)"
    )


@pytest.mark.parametrize("stages", ["generated", "minimal"])
def test_the_docker_runner_flow_against_a_stand_in_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stages: str
) -> None:
    from helpers.fakedocker import install_fake_docker

    root = make_project(tmp_path, good_tests())
    assert datum(root, "generate", NAME).exit_code == 0, "writes the Dockerfile"
    if stages == "minimal":  # any Dockerfile with a baseline stage and a solution stage
        (root / "datums" / NAME / "Dockerfile").write_text(
            "FROM python:3.11-slim AS baseline\nRUN true\nFROM baseline AS solution\n"
        )
    home = tmp_path / "docker-home"
    install_fake_docker(tmp_path / "bin", home)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    result = datum(root, "test", NAME, "--docker", "--json")
    assert result.exit_code == 0, result.output
    entry = report(result)
    assert entry["runner"] == "docker"
    assert [(t["baseline"], t["patched"]) for t in entry["tests"]] == [
        (["failed"], ["passed"]),
        (["passed"], ["passed"]),
    ]
    calls = [json.loads(line) for line in (home / "calls.log").read_text().splitlines()]
    builds = [c for c in calls if c[0] == "build"]
    tag = f"datumkit-test/{NAME}"
    assert builds[0][1:-1] == ["--quiet", "-t", f"{tag}:baseline", "--target", "baseline"]
    assert builds[1][1:-1] == ["--quiet", "-t", f"{tag}:patched", "--target", "solution"]
    creates = [c for c in calls if c[0] == "create"]
    assert creates[0][-1].splitlines()[2] == (
        "git apply --whitespace=nowarn /datumkit-in/tests.patch || exit 97"
    ), "the baseline container gets the patch's test files first"
    assert "git apply" not in creates[1][-1]
    receipt = json.loads((root / "datums" / NAME / "verification.json").read_text())
    assert receipt["runner"] == "docker"


def test_the_docker_runner_refuses_a_single_stage_dockerfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Dockerfile from before the two stages would hand the agent's side the solution."""
    from helpers.fakedocker import install_fake_docker

    root = make_project(tmp_path, good_tests())
    assert datum(root, "generate", NAME).exit_code == 0
    (root / "datums" / NAME / "Dockerfile").write_text("FROM python:3.11-slim\nRUN true\n")
    install_fake_docker(tmp_path / "bin", tmp_path / "docker-home")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    result = datum(root, "test", NAME, "--docker")
    assert result.exit_code != 0
    assert f"datums/{NAME}/Dockerfile: has no `baseline` and `solution` stages" in result.output
    assert f"run `datum generate {NAME}`" in result.output
