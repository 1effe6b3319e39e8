"""`datum test`'s parts on hostile input: JUnit, metric output, environments, Docker script."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from datumkit.errors import DatumError
from datumkit.model.datum import TestSpec
from datumkit.testing.docker import _script
from datumkit.testing.metric import MetricUnreadable, metric_value
from datumkit.testing.results import ResultsUnreadable, junit_files, read_junit
from datumkit.testing.sandbox import clean_environment

CASES = (
    "<testsuites><testsuite name='s'>"
    "<testcase classname='pkg.T' name='ok'/>"
    "<testcase classname='pkg.T' name='bad'><failure message='x'/></testcase>"
    "<testcase classname='pkg.T' name='boom'><error message='x'/></testcase>"
    "<testcase name='bare'><skipped/></testcase>"
    "<testcase classname='pkg.T' name='twice'/>"
    "<testcase classname='pkg.T' name='twice'><failure/></testcase>"
    "</testsuite></testsuites>"
)


def test_junit_outcomes_and_ids(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(CASES)
    assert read_junit(path, display="junit.xml") == {
        "pkg.T::ok": "passed",
        "pkg.T::bad": "failed",
        "pkg.T::boom": "error",
        "bare": "skipped",
        "pkg.T::twice": "failed",  # the worst outcome of a repeated id counts
    }


def test_a_single_testsuite_root_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text("<testsuite name='s'><testcase classname='a' name='b'/></testsuite>")
    assert read_junit(path, display="j") == {"a::b": "passed"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><testsuites/>',
            "j.xml: declares a DOCTYPE or entities, which JUnit XML never needs",
        ),
        ("not xml at all", "j.xml: is not JUnit XML: "),
        ("<html/>", "j.xml: is not JUnit XML: "),
    ],
)
def test_hostile_or_broken_junit_is_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "j.xml"
    path.write_text(content)
    with pytest.raises(ResultsUnreadable) as caught:
        read_junit(path, display="j.xml")
    assert str(caught.value).startswith(message)


def test_junit_globs_never_follow_symlinks_out_of_the_tree(tmp_path: Path) -> None:
    task = tmp_path / "task"
    (task / "build").mkdir(parents=True)
    secret = tmp_path / "secret.xml"
    secret.write_text(CASES)
    (task / "build" / "junit.xml").symlink_to(secret)
    (task / "linked").symlink_to(tmp_path, target_is_directory=True)
    (task / "build" / "real.xml").write_text(CASES)
    assert junit_files(task, ["build/*.xml", "**/*.xml"]) == [task / "build" / "real.xml"]


@pytest.mark.parametrize(
    ("stdout", "key", "expected"),
    [
        ('{"accuracy": 0.5}', "accuracy", 0.5),
        ('loading...\nsteps 3\n{"scores": {"f1": 1}}\n', "scores.f1", 1.0),
    ],
)
def test_metric_values(stdout: str, key: str, expected: float) -> None:
    assert metric_value(stdout, key) == expected


@pytest.mark.parametrize(
    ("stdout", "message"),
    [
        ("accuracy: 0.9", "printed no JSON object (the whole output or its last line)"),
        ('{"acc": 0.9}', "printed JSON without the key 'accuracy'"),
        ('{"accuracy": "high"}', "printed 'accuracy' = \"high\", not a finite number"),
        ('{"accuracy": true}', "printed 'accuracy' = true, not a finite number"),
        ('{"accuracy": NaN}', "printed 'accuracy' = NaN, not a finite number"),
        ("[" * 100_000, "printed no JSON object (the whole output or its last line)"),
    ],
)
def test_unusable_metric_output(stdout: str, message: str) -> None:
    with pytest.raises(MetricUnreadable) as caught:
        metric_value(stdout, "accuracy")
    assert str(caught.value) == message


def test_the_clean_environment_drops_credentials_and_refuses_nul(tmp_path: Path) -> None:
    outside = {
        "PATH": "/usr/bin",
        "HOME": "/home/me",
        "GITHUB_TOKEN": "ghp_x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "SSH_AUTH_SOCK": "/tmp/agent",
        "PIP_INDEX_URL": "https://pypi.example/simple",
        "KEEP_ME": "1",
    }
    env = clean_environment(
        home=tmp_path / "h",
        tmpdir=tmp_path / "t",
        venv=tmp_path / "v",
        datum_env={"PYTHONHASHSEED": "0"},
        pass_env=["KEEP_ME"],
        source=outside,
    )
    assert not {"GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "SSH_AUTH_SOCK"} & set(env)
    assert env["HOME"] == str(tmp_path / "h") and env["TMPDIR"] == str(tmp_path / "t")
    assert env["PATH"] == f"{tmp_path / 'v' / 'bin'}{os.pathsep}/usr/bin"
    assert env["KEEP_ME"] == "1" and env["PYTHONHASHSEED"] == "0"
    assert env["PIP_INDEX_URL"] == "https://pypi.example/simple"
    with pytest.raises(DatumError) as caught:
        clean_environment(
            home=tmp_path, tmpdir=tmp_path, venv=None, datum_env={"X": "a\x00b"}, source={}
        )
    assert str(caught.value) == (
        "environment.env.X: contains a NUL character (remove it; no process can receive it)"
    )


@pytest.mark.parametrize(
    "hostile", ["pytest $(touch /tmp/pwned)", "a'b\"c", "x; rm -rf /", "`id`", "--junitxml=$HOME"]
)
def test_the_docker_script_quotes_every_datum_value(hostile: str, tmp_path: Path) -> None:
    spec = TestSpec.model_validate(
        {
            "command": hostile,
            "results": {"exit_code": True},
            "pass_to_pass": ["exit_code"],
            "metric": {"command": hostile, "key": "k", "patched_at_least": 1},
        }
    )
    script = _script(spec, "/app", "sub dir/$(x)", apply_tests=True)
    assert subprocess.run(["sh", "-n", "-c", script], check=False).returncode == 0
    assert f"/bin/sh -c {shlex.quote(hostile)} " in script
    assert "cd '/app'" in script or "cd /app" in script
    assert f"cd {shlex.quote('sub dir/$(x)')}" in script
