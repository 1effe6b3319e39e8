"""Checking many datums: parallel runs, sharding, --changed-since, progress and summary."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from datumkit.checks import Project
from datumkit.checks.runner import check_many
from datumkit.cli.progress import CheckProgress
from datumkit.errors import UsageProblem
from datumkit.model.selection import datums_of_paths, in_shard, parse_shard, shard
from helpers.repo import CliRun, git


def clone_datum(project: Path, run_cli: CliRun, name: str) -> None:
    shutil.copytree(project / "datums/banking77", project / f"datums/{name}")
    assert run_cli("set", name, "task_id", f"re-bench-{name}").exit_code == 0
    assert run_cli("generate", name).exit_code == 0


@pytest.fixture
def many(project: Path, run_cli: CliRun) -> list[str]:
    """Twelve datums; two of them broken in different ways."""
    names = [f"d{i:02d}" for i in range(11)]
    for name in names:
        clone_datum(project, run_cli, name)
    (project / "datums/d03/baseline_sha.txt").write_text("stale\n")
    lock = project / "datums/d07/datum.lock"
    lock.write_text(lock.read_text().replace("lines_added: 65", "lines_added: 1"))
    return sorted(["banking77", *names])


def test_parallel_and_sequential_runs_agree(project: Path, many: list[str]) -> None:
    context = Project(root=project)
    seen: list[str] = []
    parallel = check_many(context, many, jobs=2, on_report=lambda r: seen.append(r.name))
    sequential = check_many(context, many, jobs=1)
    assert [r.name for r in parallel] == many, "reports come back in the order asked"
    assert sorted(seen) == many, "the callback saw every datum once"
    assert [(r.name, r.findings) for r in parallel] == [(r.name, r.findings) for r in sequential]
    failed = {
        r.name: [f.check for f in r.findings if f.severity == "error"] for r in parallel if not r.ok
    }
    assert failed == {"d03": ["generated"], "d07": ["patch"]}


def test_worker_reports_keep_title_baseline_and_upstream_without_the_model(
    project: Path, many: list[str]
) -> None:
    """Workers send reports back without the parsed datum; what callers read of it stays."""
    context = Project(root=project)
    parallel = {r.name: r for r in check_many(context, many, jobs=2)}
    sequential = {r.name: r for r in check_many(context, many, jobs=1)}
    for name in many:
        here, there = sequential[name], parallel[name]
        assert here.datum is not None
        assert there.datum is None, "the model is not pickled back from the worker"
        assert there.title_and_baseline == here.title_and_baseline
        assert there.pin == here.pin == (here.datum.repo.git_url, here.datum.repo.start_commit_sha)


def test_check_all_prints_progress_lines_and_a_summary_table(
    run_cli: CliRun, many: list[str]
) -> None:
    result = run_cli("check", "--all", "--jobs", "2")
    assert result.exit_code == 1
    stderr = result.stderr.splitlines()
    progress = [line for line in stderr if line.startswith("[")]
    assert len(progress) == len(many)
    assert any(line.endswith("d03: FAILED (1 finding)") for line in progress)
    table = stderr[len(progress) :]
    assert table[0].split() == ["check", "ran", "passed", "failed", "findings"]
    rows = {line.split()[0]: line.split()[1:] for line in table[2:] if not line.startswith("-")}
    assert rows["generated"] == ["12", "11", "1", "1"]
    assert rows["patch"] == ["12", "11", "1", "1"]
    assert rows["all"] == ["12", "10", "2", "2"]
    assert table[-1].startswith("elapsed ")
    assert result.stdout.endswith("checked 12 datums: 10 passed, 2 failed (2 findings)\n")


def test_json_output_has_no_progress(run_cli: CliRun, many: list[str]) -> None:
    result = run_cli("check", "--all", "--json")
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report["summary"]["datums"] == 12
    assert report["summary"]["checks"]["patch"]["failed"] == 1


def test_shards_cover_every_datum_exactly_once() -> None:
    names = [f"datum-{i}" for i in range(500)]
    for total in (1, 2, 3, 7):
        shards = [shard(names, index, total) for index in range(1, total + 1)]
        flat = [name for part in shards for name in part]
        assert sorted(flat) == sorted(names)
        assert len(flat) == len(set(flat))
        if total > 1:
            assert all(len(part) > 500 / total / 2 for part in shards), "roughly balanced"


def test_a_datums_shard_does_not_depend_on_the_others() -> None:
    assert [in_shard("banking77", i, 4) for i in range(1, 5)].count(True) == 1
    before = shard(["a", "b", "c"], 2, 3)
    after = shard(["a", "b", "c", "d", "e"], 2, 3)
    assert set(before) <= set(after)


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "x", "1-4", ""])
def test_bad_shard_specs(text: str) -> None:
    with pytest.raises(UsageProblem):
        parse_shard(text)


def test_shard_option(run_cli: CliRun, many: list[str]) -> None:
    seen: list[str] = []
    for index in (1, 2, 3):
        result = run_cli("check", "--all", "--shard", f"{index}/3", "--json")
        seen += [d["name"] for d in json.loads(result.stdout)["datums"]]
    assert sorted(seen) == many
    assert run_cli("check", "--all", "--shard", "4/3").exit_code == 2


def test_changed_since(project: Path, run_cli: CliRun, many: list[str]) -> None:
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "all datums")
    nothing = run_cli("check", "--changed-since", "HEAD", "--json")
    assert json.loads(nothing.stdout)["datums"] == []
    (project / "datums/d05/notes.md").write_text("changed\n")  # unstaged
    (project / "datums/d06/trace").mkdir()
    (project / "datums/d06/trace/session_id.txt").write_text("s\n")  # untracked
    shutil.rmtree(project / "datums/d08")  # deleted: nothing left to check
    (project / "README.md").write_text("outside datums\n")
    result = run_cli("check", "--changed-since", "HEAD", "--json")
    assert [d["name"] for d in json.loads(result.stdout)["datums"]] == ["d05", "d06"]
    bad = run_cli("check", "--changed-since", "no-such-rev")
    assert bad.exit_code == 2
    assert "--changed-since 'no-such-rev' is not a revision" in bad.output
    both = run_cli("check", "d05", "--changed-since", "HEAD")
    assert both.exit_code == 2


def test_datums_of_paths(project: Path) -> None:
    paths = [
        "datums/banking77/datum.yaml",
        str(project / "datums/banking77/Dockerfile"),
        "datums/gone/datum.yaml",
        "README.md",
        "datums",
        "../elsewhere/datums/x/datum.yaml",
    ]
    assert datums_of_paths(project, paths) == ["banking77"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere(
    project: Path, many: list[str]
) -> None:
    context = Project(root=project)
    reports = check_many(context, many[:3], jobs=1)
    terminal, log = _Terminal(), io.StringIO()
    for stream in (terminal, log):
        with CheckProgress(len(reports), enabled=True, stream=stream) as progress:
            for report in reports:
                progress(report)
    assert "checking: 100%" in terminal.getvalue() and "3/3" in terminal.getvalue()
    assert log.getvalue().splitlines() == [
        "[1/3] banking77: ok",
        "[2/3] d00: ok",
        "[3/3] d01: ok",
    ]


def test_a_finding_in_json_carries_every_field() -> None:
    from dataclasses import asdict

    from datumkit.checks.findings import Finding

    finding = Finding("patch", "d", "datums/d/diff.patch", "hunk 1", "does not apply", "warning")
    assert finding.to_json() == asdict(finding)


@pytest.mark.parametrize("datums", [[], [{"name": "a", "ok": True}, {"name": "b\n", "ok": False}]])
def test_the_json_report_has_one_line_per_datum_and_parses_back(datums: list[object]) -> None:
    from datumkit.cli.commands.check import _json_text

    document = {"version": 1, "datums": datums, "summary": {"datums": 2, "checks": {"x": {}}}}
    text = _json_text(document)

    assert json.loads(text) == document
    assert [line.rstrip(",") for line in text.splitlines() if '"name"' in line] == [
        f"    {json.dumps(entry)}" for entry in datums
    ]


def test_a_symlink_in_a_datum_belongs_to_that_datum_wherever_it_points(project: Path) -> None:
    """pre-commit and `--changed-since` name the symlink itself; resolving it first mapped a
    link to /etc/passwd outside the repository, and the datum it was added to went unchecked."""
    datum = project / "datums/banking77"
    (datum / "overlay_files/evil").symlink_to("/etc/passwd")
    (datum / "up").symlink_to("../..")
    assert datums_of_paths(project, ["datums/banking77/overlay_files/evil"]) == ["banking77"]
    assert datums_of_paths(project, ["datums/banking77/up"]) == ["banking77"]
    assert datums_of_paths(project, [str(datum / "overlay_files/evil")]) == ["banking77"]
    # a path's text still cannot climb out of the datums
    assert datums_of_paths(project, ["datums/banking77/../../README.md"]) == []
    assert datums_of_paths(project, ["datums/../datums/banking77/notes.md"]) == ["banking77"]


def test_an_absolute_path_through_a_symlinked_project_still_maps(project: Path) -> None:
    alias = project.parent / "alias"
    alias.symlink_to(project)
    assert datums_of_paths(project, [str(alias / "datums/banking77/notes.md")]) == ["banking77"]
