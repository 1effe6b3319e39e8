"""The consumers' own tools accept what datumkit exports: `harbor lint` and Harbor's task model
on exported tasks; swebench's loaders, its harness's TestSpec and `swebench dataset check` on an
exported task repository and rows. The tools run offline from their own Python 3.12 venv
(tests/helpers/consumers.py); when it cannot be built these tests fail, they never skip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from datumkit.cli.main import cli
from helpers.consumers import consumers_venv, run_python, run_tool
from helpers.interop import Upstream, build_upstream, datum_repo, instance, write_jsonl


@pytest.fixture(scope="module")
def tools() -> Path:
    return consumers_venv()  # raises (fails the test) with the reason when it cannot be built


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two datums from SWE-bench rows (one with tests, one rubric-only), exported every way."""
    base = tmp_path_factory.mktemp("consumers")
    upstream: Upstream = build_upstream(base)
    root = datum_repo(base / "datum-repo", upstream)
    rows = [instance(upstream, "acme__calc-1"), instance(upstream, "acme__calc-2")]
    assert (
        datum(root, "import", "swebench", str(write_jsonl(base / "rows.jsonl", rows))).exit_code
        == 0
    )
    swe_repo, swe_rows = base / "swe-repo", base / "rows-out.jsonl"
    assert datum(root, "export", "swebench", "--all", "--out", str(swe_repo)).exit_code == 0
    assert datum(root, "export", "swebench", "--all", "--out", str(swe_rows)).exit_code == 0
    yaml_path = root / "datums/acme-calc-2/datum.yaml"
    text = yaml_path.read_text()
    yaml_path.write_text(text[: text.index("  tests:")])  # acme-calc-2 becomes rubric-only
    harbor = base / "harbor"
    assert datum(root, "export", "harbor", "--all", "--out", str(harbor)).exit_code == 0
    (base / "rows.json").write_text(json.dumps(rows))
    return {
        "swe_repo": swe_repo,
        "swe_rows": swe_rows,
        "harbor": harbor,
        "rows": base / "rows.json",
    }


def datum(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def test_harbor_lint_reports_no_finding(tools: Path, exported: dict[str, Path]) -> None:
    tasks = sorted(str(p) for p in exported["harbor"].iterdir())
    assert len(tasks) == 2
    code, output = run_tool(tools, "harbor", "lint", "--json", *tasks)
    assert code == 0, output
    assert json.loads(output) == []


def test_harbor_lint_would_catch_a_leak(
    tools: Path, exported: dict[str, Path], tmp_path: Path
) -> None:
    """The check is real: a Dockerfile that copies the tests into the agent's image is refused."""
    import shutil

    task = tmp_path / "leaky"
    shutil.copytree(exported["harbor"] / "acme-calc-1", task)
    dockerfile = task / "environment/Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "COPY tests/test.sh /tmp/test.sh\n")
    code, output = run_tool(tools, "harbor", "lint", str(task))
    assert code == 1 and "agent-image-test-leak" in output


HARBOR_LOAD = """
import sys, json
from pathlib import Path
from harbor.models.task.config import TaskConfig
from harbor.models.task.task import Task
out = []
for path in sys.argv[1:]:
    config = TaskConfig.model_validate_toml(Path(path, "task.toml").read_text())
    task = Task(path)
    out.append({"name": config.task.name, "timeout": config.verifier.timeout_sec,
                "mode": str(config.verifier.environment_mode.value),
                "grading": config.metadata["grading"], "instruction": task.instruction})
print(json.dumps(out))
"""


def test_harbor_model_loads_every_task(tools: Path, exported: dict[str, Path]) -> None:
    tasks = sorted(str(p) for p in exported["harbor"].iterdir())
    code, output = run_python(tools, HARBOR_LOAD, *tasks)
    assert code == 0, output
    loaded = json.loads(output.strip().splitlines()[-1])
    assert [t["name"] for t in loaded] == ["datums/acme-calc-1", "datums/acme-calc-2"]
    assert [t["grading"] for t in loaded] == ["tests", "rubrics"]
    assert all(t["mode"] == "separate" for t in loaded)
    assert loaded[0]["instruction"].startswith("div(1, 0)")


def test_swebench_dataset_check_passes(tools: Path, exported: dict[str, Path]) -> None:
    code, output = run_tool(tools, "swebench", "dataset", "check", str(exported["swe_repo"]))
    assert code == 0, output
    assert "looks well formed" in output


SWEBENCH_LOAD = """
import sys, json
from swebench.task.repo import load_task_repo
from swebench.harness.utils import load_swebench_dataset, make_test_spec
repo = load_task_repo(sys.argv[1])
specs = [make_test_spec(i).instance_id for i in repo]
rows = load_swebench_dataset(sys.argv[2])
print(json.dumps({"repo": repo, "rows": rows, "specs": specs}))
"""


def test_swebench_loaders_read_the_same_instances(tools: Path, exported: dict[str, Path]) -> None:
    code, output = run_python(
        tools, SWEBENCH_LOAD, str(exported["swe_repo"]), str(exported["swe_rows"])
    )
    assert code == 0, output
    loaded = json.loads(output.strip().splitlines()[-1])
    original = json.loads(exported["rows"].read_text())
    assert loaded["rows"] == original  # rows: field for field
    assert loaded["specs"] == ["acme__calc-1", "acme__calc-2"]  # the harness accepts them
    for row, task in zip(original, loaded["repo"], strict=True):
        for key in (
            "instance_id",
            "repo",
            "base_commit",
            "patch",
            "test_patch",
            "problem_statement",
            "hints_text",
            "version",
            "created_at",
        ):
            assert task[key] == row[key], key
        assert task["FAIL_TO_PASS"] == json.loads(row["FAIL_TO_PASS"])
        assert task["PASS_TO_PASS"] == json.loads(row["PASS_TO_PASS"])


REJECTED_TOML = {
    "unknown key": ('schema_version = "1.4"\nbogus = 1\n', "unknown-config-field"),
    "bad task name": ('schema_version = "1.4"\n[task]\nname = "no-org"\n', "invalid-task-config"),
    "malformed toml": ("[task\n", "invalid-task-config"),
}


@pytest.mark.parametrize("case", sorted(REJECTED_TOML))
def test_harbor_rejects_what_datum_import_harbor_refuses(
    case: str, tools: Path, exported: dict[str, Path], tmp_path: Path
) -> None:
    """The task.toml problems `datum import harbor` refuses are ones Harbor's own lint reports."""
    import shutil

    text, rule = REJECTED_TOML[case]
    task = tmp_path / "task"
    shutil.copytree(exported["harbor"] / "acme-calc-1", task)
    (task / "task.toml").write_text(text)
    code, output = run_tool(tools, "harbor", "lint", str(task))
    assert code == 1 and f"[{rule}]" in output, output
    root = tmp_path / "repo"
    (root / "datums").mkdir(parents=True)
    refused = datum(root, "import", "harbor", str(task))
    assert refused.exit_code == 1 and "task.toml" in refused.output
    assert list((root / "datums").iterdir()) == []
