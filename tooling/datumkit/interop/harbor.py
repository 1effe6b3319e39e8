"""A datum as a Harbor task directory, and back (README, "Harbor").

Harbor (task.toml schema 1.4, checked by `harbor lint`) runs a task as: build
`environment/Dockerfile`, let the agent work in it, then run `tests/test.sh`, which writes
`/logs/verifier/reward.txt`. A datum maps onto it as:

- `instruction.md` <- `lm.instructions`;
- `task.toml`: `[task]` name `datums/<name>`, description = title, keywords = tags;
  `[metadata]` the datum's provenance (git URL, branch, baseline SHA, patched tree id and patch
  sha256 from datum.lock, subdir, sensitivity, title, summary, rubrics, how it is graded);
  `[verifier]` the tests' timeout, in a *separate* verifier environment (so the agent's sandbox
  never holds the tests), which receives the agent's task directory as an artifact;
  `[agent]`/`[environment]` timeouts and resources (documented defaults; a datum has none);
- `environment/Dockerfile`: the baseline stage only (:mod:`datumkit.interop.baseline_image`);
- `solution/solve.sh` applies `solution/diff.patch` (the datum's whole patch);
- `tests/test.sh` restores the patch's test files over the agent's work (as SWE-bench applies
  its test_patch), runs `evaluation.tests.command` and writes the reward with `tests/grade.py`
  from `tests/tests.json`; a rubric-only datum's test.sh says it is graded by rubrics.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from datumkit.errors import DatumError
from datumkit.fsio import staged_directory, write_atomic
from datumkit.generate.lock import parse_lock
from datumkit.generate.quoting import sh_quote
from datumkit.interop.baseline_image import render_baseline_dockerfile, task_directory
from datumkit.interop.patchsections import paths_of
from datumkit.model.datumdir import LOCK_FILE, PATCH_FILE, DatumSource
from datumkit.model.testsplit import split_patch

SCHEMA_VERSION = "1.4"
ORG = "datums"
#: Harbor's defaults where a datum says nothing (README, "Harbor")
AGENT_TIMEOUT_SEC = 3600.0
VERIFIER_TIMEOUT_SEC = 1800.0
BUILD_TIMEOUT_SEC = 1800.0
CPUS = 1
MEMORY_MB = 4096
STORAGE_MB = 10240
GRADE_SCRIPT = "grade.py"
TESTS_SPEC = "tests.json"
TESTS_PATCH = "tests.patch"
SOLUTION_PATCH = "diff.patch"
REWARD = "/logs/verifier/reward.txt"


@dataclass(frozen=True)
class HarborTask:
    """The files of one Harbor task directory, by relative path; `executable` ones get 0o755."""

    name: str
    files: dict[str, bytes]
    executable: frozenset[str]


def _grade_script() -> bytes:
    return (resources.files("datumkit.interop") / "templates" / "harbor_grade.py.tmpl").read_bytes()


def task_config(source: DatumSource) -> dict[str, Any]:
    """task.toml as data, in Harbor's TaskConfig shape (schema 1.4)."""
    datum = source.datum
    lock_text = source.read(LOCK_FILE)
    if lock_text is None:
        raise DatumError(
            "missing",
            file=source.display(LOCK_FILE),
            hint=f"run `datum generate {source.name}` with the upstream's mirror present",
        )
    lock = parse_lock(lock_text)
    tests = datum.evaluation.tests
    metadata: dict[str, Any] = {
        "title": datum.metadata.title,
        "summary": datum.metadata.summary,
        "git_url": datum.repo.git_url,
        "branch": datum.repo.branch,
        "baseline_sha": datum.repo.start_commit_sha,
        "patched_tree": lock.get("patched_tree", ""),
        "patch_sha256": lock.get("patch_sha256", ""),
        "subdir": datum.repo.subdir,
        "sensitivity": datum.sensitivity.level,
        "grading": "tests" if tests is not None and _has_tests(source) else "rubrics",
        "rubrics": [rubric.model_dump() for rubric in datum.evaluation.rubrics],
    }
    if tests is not None:
        metadata["tests"] = tests.model_dump(mode="json", exclude_none=True)
    if datum.repo.sparse_checkout:
        metadata["sparse_checkout"] = list(datum.repo.sparse_checkout)
    timeout = float(tests.timeout_sec) if tests is not None else VERIFIER_TIMEOUT_SEC
    workdir = task_directory(datum)
    return {
        "schema_version": SCHEMA_VERSION,
        # the agent's task directory is handed to the separate verifier
        "artifacts": [{"source": datum.environment.workdir, "exclude": [".git"]}],
        "task": {
            "name": f"{ORG}/{source.name}",
            "description": datum.metadata.title,
            "keywords": list(datum.metadata.tags),
        },
        "metadata": metadata,
        "verifier": {"timeout_sec": timeout, "environment_mode": "separate"},
        "agent": {"timeout_sec": AGENT_TIMEOUT_SEC},
        "environment": {
            "build_timeout_sec": BUILD_TIMEOUT_SEC,
            "cpus": CPUS,
            "memory_mb": MEMORY_MB,
            "storage_mb": STORAGE_MB,
            "workdir": workdir,
        },
    }


def _has_tests(source: DatumSource) -> bool:
    tests = source.datum.evaluation.tests
    return tests is not None and bool(tests.fail_to_pass or tests.pass_to_pass)


def _test_script(source: DatumSource, test_files: list[str]) -> str:
    datum = source.datum
    tests = datum.evaluation.tests
    workdir = sh_quote(datum.environment.workdir)
    header = [
        "#!/bin/bash",
        f"# The verifier of datum {source.name}, written by `datum export harbor`.",
    ]
    if tests is None or not _has_tests(source):
        return "\n".join(
            [
                *header,
                "# This datum is graded by rubrics ([metadata].rubrics of task.toml), not by",
                "# tests: a reviewer or a judge model scores the agent's work against them.",
                "mkdir -p /logs/verifier",
                f"echo 'datum {source.name} declares no tests: it is graded by the rubrics in"
                " task.toml [metadata].rubrics'",
                f"echo 0 > {REWARD}",
                "",
            ]
        )
    sha = datum.repo.start_commit_sha
    files = " ".join(sh_quote(path) for path in test_files)
    return "\n".join(
        [
            *header,
            "# It restores the datum's test files over the agent's work (as SWE-bench applies its",
            "# test_patch), runs the declared test command and writes the reward.",
            "set -uo pipefail",
            "mkdir -p /logs/verifier",
            f"echo 0 > {REWARD}",
            f"cd {workdir}",
            f"for file in {files}; do",
            f'  git checkout --quiet {sha} -- "$file" 2>/dev/null || rm -f -- "$file"',
            "done",
            f"if ! git apply --whitespace=nowarn /tests/{TESTS_PATCH}; then",
            "  echo \"the datum's test files do not apply over the agent's changes\"",
            "  exit 0",
            "fi",
            f"cd {sh_quote(task_directory(datum))}",
            f"timeout {tests.timeout_sec} bash -c {sh_quote(tests.command or 'false')}",
            "status=$?",
            f'python3 /tests/{GRADE_SCRIPT} /tests/{TESTS_SPEC} "$status" || echo 0 > {REWARD}',
            "",
        ]
    )


def export_task(source: DatumSource) -> HarborTask:
    """The Harbor task directory of a datum (files in memory)."""
    datum = source.datum
    patch = source.read(PATCH_FILE)
    if patch is None:
        raise DatumError("missing", file=source.display(PATCH_FILE), hint="add the patch")
    config = task_config(source)
    files: dict[str, bytes] = {
        "instruction.md": datum.lm.instructions.encode("utf-8"),
        "task.toml": tomli_w.dumps(config).encode("utf-8"),
        "environment/Dockerfile": render_baseline_dockerfile(
            source,
            comment=f"The baseline environment of datum {source.name}: no solution, no tests.\n"
            "Written by `datum export harbor`.",
        ).encode("utf-8"),
        f"solution/{SOLUTION_PATCH}": patch,
        "solution/solve.sh": _solve_script(source).encode("utf-8"),
    }
    test_files: list[str] = []
    tests = datum.evaluation.tests
    if tests is not None and _has_tests(source):
        test_patch = split_patch(patch, tests.test_paths).tests
        test_files = paths_of(test_patch) if test_patch else []
        files[f"tests/{TESTS_PATCH}"] = test_patch
        spec = {
            "fail_to_pass": list(tests.fail_to_pass),
            "pass_to_pass": list(tests.pass_to_pass),
            "junit_paths": list(tests.results.junit_paths),
            "exit_code": tests.results.exit_code,
        }
        files[f"tests/{TESTS_SPEC}"] = (json.dumps(spec, indent=2) + "\n").encode("utf-8")
        files[f"tests/{GRADE_SCRIPT}"] = _grade_script()
    files["tests/test.sh"] = _test_script(source, test_files).encode("utf-8")
    return HarborTask(
        name=source.name,
        files=files,
        executable=frozenset({"solution/solve.sh", "tests/test.sh"}),
    )


def _solve_script(source: DatumSource) -> str:
    workdir = sh_quote(source.datum.environment.workdir)
    return "\n".join(
        [
            "#!/bin/bash",
            f"# The reference solution of datum {source.name}: its diff.patch.",
            "set -euo pipefail",
            f"cd {workdir}",
            f"git apply --whitespace=nowarn /solution/{SOLUTION_PATCH}",
            "",
        ]
    )


def read_task_toml(text: bytes, file: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise DatumError(f"not valid TOML: {exc}", file=file, hint="fix task.toml") from None
    return data


def write_tasks(tasks: list[HarborTask], out: Path, *, replace: bool) -> None:
    """`out` becomes a directory of Harbor tasks, one per datum, complete or not at all."""
    with staged_directory(out, replace=replace) as staging:
        for task in tasks:
            for relative, content in task.files.items():
                mode = 0o755 if relative in task.executable else 0o644
                write_atomic(staging / task.name / relative, content, mode=mode)
