"""`datum export harbor` / `datum import harbor`: the task directory Harbor's model describes,
the round trip back to the same datum, tasks made elsewhere, and refusals that write nothing."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from datumkit.cli.main import cli
from datumkit.model.datumdir import load_from_disk
from helpers.interop import GITHUB_URL, Upstream, build_upstream, datum_repo, instance, write_jsonl


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    return build_upstream(tmp_path_factory.mktemp("harbor"))


@pytest.fixture
def root(tmp_path: Path, upstream: Upstream) -> Path:
    """A datum repository holding one datum, acme-calc-1, imported from a SWE-bench row."""
    repo = datum_repo(tmp_path / "datum-repo", upstream)
    source = write_jsonl(tmp_path / "rows.jsonl", [instance(upstream)])
    assert datum(repo, "import", "swebench", str(source)).exit_code == 0
    return repo


def datum(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def make_rubric_only(root: Path) -> None:
    yaml_path = root / "datums/acme-calc-1/datum.yaml"
    text = yaml_path.read_text()
    yaml_path.write_text(text[: text.index("  tests:")])


def test_export_writes_harbors_layout(root: Path, upstream: Upstream, tmp_path: Path) -> None:
    out = tmp_path / "tasks"
    result = datum(root, "export", "harbor", "acme-calc-1", "--out", str(out))
    assert result.exit_code == 0, result.output
    task = out / "acme-calc-1"
    assert sorted(p.relative_to(task).as_posix() for p in task.rglob("*") if p.is_file()) == [
        "environment/Dockerfile",
        "instruction.md",
        "solution/diff.patch",
        "solution/solve.sh",
        "task.toml",
        "tests/grade.py",
        "tests/test.sh",
        "tests/tests.json",
        "tests/tests.patch",
    ]
    config = tomllib.loads((task / "task.toml").read_text())
    assert config["schema_version"] == "1.4"
    assert config["task"]["name"] == "datums/acme-calc-1"
    meta = config["metadata"]
    assert meta["git_url"] == GITHUB_URL and meta["baseline_sha"] == upstream.base
    lock = (root / "datums/acme-calc-1/datum.lock").read_text()
    assert f"patched_tree: {meta['patched_tree']}" in lock
    assert meta["grading"] == "tests"
    assert config["verifier"]["environment_mode"] == "separate"
    assert (task / "instruction.md").read_text() == instance(upstream)["problem_statement"]
    assert (task / "solution/diff.patch").read_bytes() == (
        root / "datums/acme-calc-1/diff.patch"
    ).read_bytes()
    assert (task / "tests/tests.patch").read_text() == upstream.test_patch
    for script in ("solution/solve.sh", "tests/test.sh"):
        assert (task / script).stat().st_mode & stat.S_IXUSR
    dockerfile = (task / "environment/Dockerfile").read_text()
    # the agent's image: the baseline only (no patch, no tests, no remote, no later history)
    assert upstream.base in dockerfile
    assert "COPY" not in dockerfile and "diff.patch" not in dockerfile
    assert "git remote" not in dockerfile and "git rev-list --all" in dockerfile
    assert "test_div_zero" not in dockerfile
    test_sh = (task / "tests/test.sh").read_text()
    assert "/logs/verifier/reward.txt" in test_sh
    spec = json.loads((task / "tests/tests.json").read_text())
    assert spec["fail_to_pass"] == ["tests/test_calc.py::test_div_zero"]


def test_export_is_deterministic(root: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert datum(root, "export", "harbor", "--all", "--out", str(first)).exit_code == 0
    assert datum(root, "export", "harbor", "--all", "--out", str(second)).exit_code == 0
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes()


def test_round_trip_gives_the_same_datum(root: Path, upstream: Upstream, tmp_path: Path) -> None:
    out = tmp_path / "tasks"
    assert datum(root, "export", "harbor", "--all", "--out", str(out)).exit_code == 0
    other = datum_repo(tmp_path / "other", upstream)
    result = datum(other, "import", "harbor", str(out))
    assert result.exit_code == 0, result.output
    before = load_from_disk(root, "acme-calc-1")
    after = load_from_disk(other, "acme-calc-1")
    assert after.datum.model_dump() == before.datum.model_dump()
    assert after.read("diff.patch") == before.read("diff.patch")


def test_rubric_only_datum_says_so(root: Path, upstream: Upstream, tmp_path: Path) -> None:
    make_rubric_only(root)
    out = tmp_path / "tasks"
    assert datum(root, "export", "harbor", "--all", "--out", str(out)).exit_code == 0
    task = out / "acme-calc-1"
    config = tomllib.loads((task / "task.toml").read_text())
    assert config["metadata"]["grading"] == "rubrics"
    assert [r["id"] for r in config["metadata"]["rubrics"]] == ["fail-to-pass", "pass-to-pass"]
    test_sh = (task / "tests/test.sh").read_text()
    assert "graded by rubrics" in test_sh and "echo 0 > /logs/verifier/reward.txt" in test_sh
    assert not (task / "tests/tests.json").exists()
    # and it comes back rubric-only
    other = datum_repo(tmp_path / "other", upstream)
    assert datum(other, "import", "harbor", str(task)).exit_code == 0
    assert load_from_disk(other, "acme-calc-1").datum.evaluation.tests is None


def foreign_task(base: Path, upstream: Upstream, **overrides: str) -> Path:
    """A Harbor task written by hand: clone + checkout in the Dockerfile, a patch file."""
    task = base / "fix-div"
    files = {
        "task.toml": 'schema_version = "1.4"\n\n[task]\nname = "acme/fix-div"\n'
        'description = "Fix division by zero"\nkeywords = ["calc"]\n\n'
        "[verifier]\ntimeout_sec = 120.0\n",
        "instruction.md": "Make div(1, 0) explain itself.\n",
        "environment/Dockerfile": "FROM python:3.12-slim\nRUN apt-get update && apt-get install"
        " -y git\n"
        f"RUN git clone {GITHUB_URL} /app && cd /app && git checkout {upstream.base}\n"
        "WORKDIR /app\nRUN pip install pytest==8.3.3\n",
        "solution/fix.patch": upstream.gold,
        "solution/solve.sh": "#!/bin/bash\ngit apply /solution/fix.patch\n",
        "tests/test.sh": "#!/bin/bash\necho 1 > /logs/verifier/reward.txt\n",
    }
    files.update(overrides)
    for relative, content in files.items():
        if content:
            (task / relative).parent.mkdir(parents=True, exist_ok=True)
            (task / relative).write_text(content)
    return task


def test_a_task_made_elsewhere_becomes_a_datum(upstream: Upstream, tmp_path: Path) -> None:
    repo = datum_repo(tmp_path / "repo", upstream)
    task = foreign_task(tmp_path / "harbor", upstream)
    result = datum(repo, "import", "harbor", str(task.parent))
    assert result.exit_code == 0, result.output
    assert "tests/test.sh not imported" in result.output
    loaded = load_from_disk(repo, "fix-div").datum
    assert loaded.repo.git_url == GITHUB_URL
    assert loaded.repo.start_commit_sha == upstream.base
    assert loaded.environment.base_image == "python:3.12-slim"
    assert loaded.environment.install == ["pip install pytest==8.3.3"]
    assert loaded.metadata.title == "Fix division by zero"
    assert (repo / "datums/fix-div/diff.patch").read_text() == upstream.gold


BAD_TASKS = {
    "unknown key": ({"task.toml": 'schema_version = "1.4"\nbogus = 1\n'}, "unknown key 'bogus'"),
    "bad task name": (
        {"task.toml": '[task]\nname = "no-org"\n'},
        "[task] name 'no-org' is not org/name",
    ),
    "malformed toml": ({"task.toml": "[task\n"}, "not valid TOML"),
    "no baseline": (
        {"environment/Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\n"},
        "checks out no baseline commit",
    ),
    "solution is a script": (
        {"solution/fix.patch": ""},
        "the solution is not a patch",
    ),
    "no instruction": ({"instruction.md": ""}, "instruction.md: missing"),
}


@pytest.mark.parametrize("case", sorted(BAD_TASKS))
def test_bad_tasks_get_one_line_and_write_nothing(
    case: str, upstream: Upstream, tmp_path: Path
) -> None:
    overrides, expected = BAD_TASKS[case]
    repo = datum_repo(tmp_path / "repo", upstream)
    task = foreign_task(tmp_path / "harbor", upstream, **overrides)
    result = datum(repo, "import", "harbor", str(task))
    assert result.exit_code == 1, result.output
    skipped = [line for line in result.output.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 1 and expected in skipped[0], result.output
    assert list((repo / "datums").iterdir()) == []


def test_terminal_bench_layout(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "tb"
    result = datum(root, "export", "harbor", "--all", "--terminal-bench", "--out", str(out))
    assert result.exit_code == 0, result.output
    task = out / "acme-calc-1"
    from ruamel.yaml import YAML

    meta = YAML(typ="safe").load((task / "task.yaml").read_text())
    assert meta["parser_name"] == "pytest" and meta["instruction"].startswith("div(1, 0)")
    for name in ("Dockerfile", "docker-compose.yaml", "solution.sh", "run-tests.sh"):
        assert (task / name).is_file(), name
    assert "diff.patch" not in (task / "Dockerfile").read_text()


def test_export_refuses_an_existing_out_and_writes_nothing_on_error(
    root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "tasks"
    out.mkdir()
    (out / "keep").write_text("mine")
    result = datum(root, "export", "harbor", "--all", "--out", str(out))
    assert result.exit_code == 2 and "already exists" in result.output
    assert (out / "keep").read_text() == "mine"
    (root / "datums/acme-calc-1/datum.lock").unlink()
    fresh = tmp_path / "fresh"
    result = datum(root, "export", "harbor", "--all", "--out", str(fresh))
    assert result.exit_code == 1
    assert "datums/acme-calc-1/datum.lock: missing" in result.output
    assert not fresh.exists()


def test_hostile_values_stay_inside_their_strings(root: Path, tmp_path: Path) -> None:
    """Quotes, newlines, $(...) and TOML syntax in datum text reach task.toml as one string and
    test.sh as one quoted word; nothing runs, nothing new appears in the TOML."""
    import shlex

    command = 'pytest -k "a or b" $(touch pwned) \'q\' `id`; echo """]]'
    assert datum(root, "set", "acme-calc-1", "evaluation.tests.command", command).exit_code == 0
    title = 'T" ]] [evil] pwned = true """'  # one line: the model refuses newlines in titles
    assert datum(root, "set", "acme-calc-1", "metadata.title", title).exit_code == 0
    summary = 'S" \n[evil]\npwned = true\n"""'  # prose may hold newlines
    assert datum(root, "set", "acme-calc-1", "metadata.summary", summary).exit_code == 0
    out = tmp_path / "tasks"
    result = datum(root, "export", "harbor", "--all", "--out", str(out))
    assert result.exit_code == 0, result.output
    task = out / "acme-calc-1"
    config = tomllib.loads((task / "task.toml").read_text())
    assert "evil" not in config and set(config) >= {"task", "metadata"}
    metadata = load_from_disk(root, "acme-calc-1").datum.metadata
    assert config["metadata"]["title"] == metadata.title
    assert config["metadata"]["title"].startswith(title)
    assert config["metadata"]["summary"] == metadata.summary
    assert config["metadata"]["tests"]["command"] == command
    line = next(
        line
        for line in (task / "tests/test.sh").read_text().splitlines()
        if line.startswith("timeout ")
    )
    assert shlex.split(line) == ["timeout", "1800", "bash", "-c", command]
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_symlinks_and_huge_nesting_are_refused(upstream: Upstream, tmp_path: Path) -> None:
    repo = datum_repo(tmp_path / "repo", upstream)
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me\n")
    task = foreign_task(tmp_path / "harbor", upstream, **{"instruction.md": ""})
    (task / "instruction.md").symlink_to(secret)
    result = datum(repo, "import", "harbor", str(task))
    assert result.exit_code == 1
    assert "instruction.md: missing" in result.output
    assert "do not read me" not in result.output
    deep = foreign_task(tmp_path / "deep", upstream, **{"task.toml": "a = " + "[" * 50000 + "\n"})
    result = datum(repo, "import", "harbor", str(deep))
    assert result.exit_code == 1 and "not valid TOML" in result.output
    assert list((repo / "datums").iterdir()) == []


def test_the_exported_grader_scores_real_test_runs(
    root: Path, upstream: Upstream, tmp_path: Path
) -> None:
    """tests/grade.py on the JUnit XML of real pytest runs: the baseline with the datum's tests
    scores 0, the patched tree scores 1 (what test.sh does in Harbor's verifier)."""
    import subprocess
    import sys

    out = tmp_path / "tasks"
    assert datum(root, "export", "harbor", "--all", "--out", str(out)).exit_code == 0
    task = out / "acme-calc-1"
    spec = json.loads((task / "tests/tests.json").read_text())
    command = json.loads(json.dumps(tomllib.loads((task / "task.toml").read_text())))
    command = command["metadata"]["tests"]["command"].replace("python", sys.executable, 1)
    rewards = {}
    for side in ("baseline", "patched"):
        tree = tmp_path / side
        subprocess.run(["git", "clone", "-q", str(upstream.mirror), str(tree)], check=True)
        patch = "tests/tests.patch" if side == "baseline" else "solution/diff.patch"
        subprocess.run(["git", "apply", str(task / patch)], cwd=tree, check=True)
        status = subprocess.run(command, shell=True, cwd=tree, capture_output=True).returncode
        reward = tmp_path / f"{side}.txt"
        graded = subprocess.run(
            [
                sys.executable,
                str(task / "tests/grade.py"),
                str(task / "tests/tests.json"),
                str(status),
                str(reward),
            ],
            cwd=tree,
            capture_output=True,
            text=True,
            check=True,
        )
        rewards[side] = reward.read_text().strip()
        assert spec["fail_to_pass"][0] in graded.stdout
    assert rewards == {"baseline": "0", "patched": "1"}


@pytest.mark.parametrize("format_", ["harbor", "swebench"])
def test_a_filter_that_is_not_a_regex_is_a_usage_error(
    root: Path, tmp_path: Path, format_: str
) -> None:
    """Both imports share one --filter option: a bad pattern is exit 2 and one line, no trace."""
    source = tmp_path / "empty"
    source.mkdir()
    result = datum(root, "import", format_, str(source), "--filter", "[")
    assert result.exit_code == 2
    assert "Invalid value for '--filter': unterminated character set" in result.output
    assert "Traceback" not in result.output
