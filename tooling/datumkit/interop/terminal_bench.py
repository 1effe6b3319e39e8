"""A datum in the older Terminal-Bench task layout (`datum export harbor --terminal-bench`).

Terminal-Bench 1 tasks are a directory with `task.yaml` (instruction, timeouts, parser),
`Dockerfile`, `docker-compose.yaml` (one `client` service, built from the Dockerfile, with the
harness's log volumes), `solution.sh`, `run-tests.sh` and `tests/`. The tests run in the agent's
container after it finishes; the harness reads the outcome from pytest's `-rA` summary
(`parser_name: pytest`). The pieces are the Harbor export's: the baseline image, the patch
applied by the solution, the patch's test files restored before the declared command runs.
"""

from __future__ import annotations

from datumkit.errors import DatumError
from datumkit.generate.quoting import sh_quote
from datumkit.interop.baseline_image import render_baseline_dockerfile, task_directory
from datumkit.interop.harbor import (
    AGENT_TIMEOUT_SEC,
    TESTS_PATCH,
    VERIFIER_TIMEOUT_SEC,
    HarborTask,
)
from datumkit.interop.patchsections import paths_of
from datumkit.interop.swebench_repo import dump_yaml
from datumkit.model.datumdir import PATCH_FILE, DatumSource
from datumkit.model.testsplit import split_patch

COMPOSE = """services:
  client:
    build:
      dockerfile: Dockerfile
    image: ${T_BENCH_TASK_DOCKER_CLIENT_IMAGE_NAME}
    container_name: ${T_BENCH_TASK_DOCKER_CLIENT_CONTAINER_NAME}
    command: [ "sh", "-c", "sleep infinity" ]
    environment:
      - TEST_DIR=${T_BENCH_TEST_DIR}
    volumes:
      - ${T_BENCH_TASK_LOGS_PATH}:${T_BENCH_CONTAINER_LOGS_PATH}
      - ${T_BENCH_TASK_AGENT_LOGS_PATH}:${T_BENCH_CONTAINER_AGENT_LOGS_PATH}
"""


def export_terminal_bench(source: DatumSource) -> HarborTask:
    datum = source.datum
    patch = source.read(PATCH_FILE)
    if patch is None:
        raise DatumError("missing", file=source.display(PATCH_FILE), hint="add the patch")
    tests = datum.evaluation.tests
    if tests is None or not (tests.fail_to_pass or tests.pass_to_pass) or not tests.command:
        raise DatumError(
            "declares no tests",
            file=source.display("datum.yaml"),
            location="evaluation.tests",
            hint="Terminal-Bench grades by tests only: declare them, or export to Harbor",
        )
    test_patch = split_patch(patch, tests.test_paths).tests
    workdir = sh_quote(datum.environment.workdir)
    sha = datum.repo.start_commit_sha
    files = " ".join(sh_quote(p) for p in (paths_of(test_patch) if test_patch else []))
    task = {
        "instruction": datum.lm.instructions,
        "author_email": "unknown",
        "difficulty": "medium",
        "category": "software-engineering",
        "tags": list(datum.metadata.tags),
        "parser_name": "pytest",
        "max_agent_timeout_sec": AGENT_TIMEOUT_SEC,
        "max_test_timeout_sec": float(tests.timeout_sec or VERIFIER_TIMEOUT_SEC),
        "run_tests_in_same_shell": False,
    }
    run_tests = "\n".join(
        [
            "#!/bin/bash",
            f"# The tests of datum {source.name}, by `datum export harbor --terminal-bench`.",
            f"cd {workdir}",
            f"for file in {files}; do",
            f'  git checkout --quiet {sha} -- "$file" 2>/dev/null || rm -f -- "$file"',
            "done",
            f'git apply --whitespace=nowarn "$TEST_DIR/{TESTS_PATCH}"',
            f"cd {sh_quote(task_directory(datum))}",
            tests.command,
            "",
        ]
    )
    solution = "\n".join(
        [
            "#!/bin/bash",
            f"# The reference solution of datum {source.name}: its diff.patch, inlined.",
            "set -euo pipefail",
            f"cd {workdir}",
            f"git apply --whitespace=nowarn - <<'{_delimiter(patch)}'",
            patch.decode("utf-8").rstrip("\n"),
            _delimiter(patch),
            "",
        ]
    )
    return HarborTask(
        name=source.name,
        files={
            "task.yaml": dump_yaml(task),
            "Dockerfile": render_baseline_dockerfile(
                source, comment=f"The baseline environment of datum {source.name}."
            ).encode("utf-8"),
            "docker-compose.yaml": COMPOSE.encode("utf-8"),
            "solution.sh": solution.encode("utf-8"),
            "run-tests.sh": run_tests.encode("utf-8"),
            f"tests/{TESTS_PATCH}": test_patch,
        },
        executable=frozenset({"solution.sh", "run-tests.sh"}),
    )


def _delimiter(patch: bytes) -> str:
    delimiter = "EOF_DATUMKIT_PATCH"
    while delimiter.encode() in patch:
        delimiter += "_"
    return delimiter
