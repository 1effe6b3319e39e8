"""Authoring without friction: filling a skeleton step by step, starting from a patch, hints
that name the real cause, a quick `datum list`, and reviews of formatting-only edits."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pygit2
import pytest

from datumkit.git.apply import MalformedPatch, PatchDoesNotApply, apply_patch_in_memory
from helpers.repo import CliRun, git
from helpers.reviewrepo import DatumRepo

pytest_plugins = ["helpers.review_fixtures"]  # the datum_repo and upstream fixtures

SHA = "e381612f0c6c0bb11edf17545e6a4ae08240de09"


# --- datum set --allow-invalid -----------------------------------------------------------------


def test_set_on_a_skeleton_needs_allow_invalid_then_lists_what_is_left(
    project: Path, run_cli: CliRun
) -> None:
    assert run_cli("new", "draft").exit_code == 0
    path = project / "datums/draft/datum.yaml"
    before = path.read_bytes()
    refused = run_cli("set", "draft", "metadata.title", "Draft")
    assert refused.exit_code == 1
    assert path.read_bytes() == before  # nothing written without the flag
    assert "metadata.summary: is empty" in refused.stderr
    assert "nothing written" in refused.stderr and "--allow-invalid" in refused.stderr
    result = run_cli("set", "draft", "metadata.title", "Draft", "--allow-invalid")
    assert result.exit_code == 0, result.output
    assert 'title: "Draft"' in path.read_text()
    assert "still to fill in or fix" in result.stderr
    assert "metadata.summary: is empty" in result.stderr
    assert "metadata.title" not in result.stderr  # the field just set is fine now


def test_allow_invalid_still_refuses_a_bad_value_for_the_field_being_set(
    project: Path, run_cli: CliRun
) -> None:
    run_cli("new", "draft")
    path = project / "datums/draft/datum.yaml"
    before = path.read_bytes()
    result = run_cli("set", "draft", "repo.start_commit_sha", "abc123", "--allow-invalid")
    assert result.exit_code == 1
    assert "repo.start_commit_sha: 'abc123' is not a full commit SHA" in result.stderr
    assert "metadata.summary" not in result.stderr  # only the problem with what was typed
    assert path.read_bytes() == before


def test_filling_the_skeleton_field_by_field_ends_valid(project: Path, run_cli: CliRun) -> None:
    run_cli("new", "draft")
    steps = [
        ("metadata.title", "Draft"),
        ("metadata.summary", "A summary"),
        ("repo.git_url", "https://example.invalid/datumkit/banking77-upstream.git"),
        ("repo.start_commit_sha", SHA),
        ("lm.instructions", "Do it.\nWell."),
        ("evaluation.rubrics[0].criterion", "It is done"),
        ("evaluation.rubrics[0].evaluation_criteria[0]", "Done"),
    ]
    for field, value in steps:
        result = run_cli("set", "draft", field, value, "--allow-invalid")
        assert result.exit_code == 0, result.output
    assert "still to fill in" not in result.stderr
    assert "datum generate draft" in result.stdout


# --- datum new / check on a directory without datum.yaml ---------------------------------------


def test_new_fills_a_directory_that_holds_only_the_patch(project: Path, run_cli: CliRun) -> None:
    directory = project / "datums/started"
    directory.mkdir()
    (directory / "diff.patch").write_bytes(b"diff --git a/x b/x\n")
    check = run_cli("check", "started")
    assert check.exit_code == 2
    assert "datums/started has no datum.yaml yet" in check.stderr
    assert "run `datum new started`" in check.stderr
    created = run_cli("new", "started")
    assert created.exit_code == 0, created.output
    assert (directory / "datum.yaml").is_file()
    assert (directory / "diff.patch").read_bytes() == b"diff --git a/x b/x\n"
    assert "add datums/started/diff.patch" not in created.stdout
    again = run_cli("new", "started")
    assert again.exit_code == 2
    assert "already exists" in again.stderr


# --- hints for patches made with -U0 or --no-prefix --------------------------------------------


@pytest.fixture
def small_repo(tmp_path: Path) -> tuple[pygit2.Repository, str, Path]:
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q")
    (work / "f.txt").write_text("a\nb\nc\nd\ne\nf\n")
    (work / "src").mkdir()
    (work / "src/g.py").write_text("x\ny\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "base")
    (work / "f.txt").write_text("a\nB\nc\nd\ne\nf\n")
    (work / "src/g.py").write_text("x\nY\n")
    return pygit2.Repository(str(work)), git(work, "rev-parse", "HEAD").strip(), work


def _diff(work: Path, *options: str) -> bytes:
    return subprocess.run(
        ["git", "diff", *options], cwd=work, check=True, capture_output=True
    ).stdout


@pytest.mark.parametrize(
    ("options", "error", "cause"),
    [
        (("-U0",), PatchDoesNotApply, "made with `git diff -U0`"),
        (("--no-prefix",), MalformedPatch, "made with `git diff --no-prefix`"),
        (("--no-prefix", "--", "src"), PatchDoesNotApply, "made with `git diff --no-prefix`"),
    ],
)
def test_patch_style_is_named_with_the_command_that_regenerates_it(
    small_repo: tuple[pygit2.Repository, str, Path],
    options: tuple[str, ...],
    error: type[Exception],
    cause: str,
) -> None:
    repo, baseline, work = small_repo
    with pytest.raises(error) as raised:
        apply_patch_in_memory(repo, baseline, _diff(work, *options))
    text = str(raised.value)
    assert cause in text
    assert "git diff --binary BASELINE HEAD" in text
    assert "rebase" not in text


def test_a_normal_patch_that_does_not_fit_keeps_the_rebase_hint(
    small_repo: tuple[pygit2.Repository, str, Path],
) -> None:
    repo, baseline, work = small_repo
    patch = _diff(work).replace(b"-b\n", b"-q\n")
    with pytest.raises(PatchDoesNotApply) as raised:
        apply_patch_in_memory(repo, baseline, patch)
    assert "rebase the patch onto the baseline" in str(raised.value)
    assert "-U0" not in str(raised.value)


def test_a_new_file_patch_is_not_mistaken_for_u0(
    small_repo: tuple[pygit2.Repository, str, Path],
) -> None:
    repo, baseline, work = small_repo
    (work / "new.txt").write_text("n\n")
    git(work, "add", "new.txt")
    patch = _diff(work, "--cached", "--", "new.txt")
    assert apply_patch_in_memory(repo, baseline, patch).files[0].path == "new.txt"


# --- datum list from the last check ------------------------------------------------------------


def test_list_shows_the_last_check_and_notices_changes(project: Path, run_cli: CliRun) -> None:
    run_cli("new", "draft")
    first = run_cli("list")
    assert first.exit_code == 0
    rows = {line.split()[0]: line.split()[1:] for line in first.output.splitlines()[1:3]}
    assert rows["banking77"][1] == "unchecked"
    assert rows["draft"][0] == "invalid"  # datum.yaml does not load: known without a check
    assert "`datum list --check` checks now" in first.output
    assert run_cli("check", "--all").exit_code == 1
    after_check = run_cli("list", "--json")
    statuses = {row["name"]: row["status"] for row in json.loads(after_check.stdout)}
    assert statuses == {"banking77": "ok", "draft": "invalid"}
    (project / "datums/banking77/notes.md").write_text("edited\n")
    changed = json.loads(run_cli("list", "--json").stdout)
    assert {r["name"]: r["status"] for r in changed}["banking77"] == "changed"
    rechecked = json.loads(run_cli("list", "--check", "--json").stdout)
    assert {r["name"]: r["status"] for r in rechecked}["banking77"] == "ok"


# --- datum review of a formatting-only edit ----------------------------------------------------


def test_review_says_formatting_only(datum_repo: DatumRepo) -> None:
    datum_repo.write("calc")
    base = datum_repo.commit("add")
    path = datum_repo.directory("calc") / "datum.yaml"
    path.write_text("# a comment added\n" + path.read_text().replace(": ", ":   ", 1))
    head = datum_repo.commit("reformat")
    result = datum_repo.review(f"{base}..{head}")
    assert "datum.yaml: formatting only: no field changed" in result.output
    assert "fields:" not in result.output


# --- mapped mirrors and the Makefile ----------------------------------------------------------


def test_a_missing_mapped_mirror_names_the_command_that_creates_it(tmp_path: Path) -> None:
    from datumkit.git.mirrors import MirrorLocator, MirrorMissing, open_mirror

    url = "https://example.invalid/org/up.git"
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.datumkit.mirrors]\n"{url}" = {{ path = "build/up.git", create = "make up" }}\n'
    )
    locator = MirrorLocator.for_project(tmp_path)
    assert locator.path_for(url) == tmp_path / "build/up.git"
    with pytest.raises(MirrorMissing) as raised:
        open_mirror(locator, url)
    assert "create it with `make up`" in str(raised.value)
    assert "git clone --mirror" not in str(raised.value)


REPO = Path(__file__).resolve().parent.parent


def _make(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`make` on this repository's Makefile with a copy of pyproject.toml in `tmp`."""
    return subprocess.run(
        ["make", "--no-print-directory", "-f", str(REPO / "Makefile"), *args],
        cwd=tmp,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_new_mirror_mapping_does_not_reinstall_the_venv(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text((REPO / "pyproject.toml").read_text())
    plan = _make(tmp_path, "-n", "setup").stdout
    stamp = next(line.split()[-1] for line in plan.splitlines() if line.startswith("touch"))
    (tmp_path / stamp).parent.mkdir()
    (tmp_path / stamp).touch()
    assert _make(tmp_path, "-q", "setup").returncode == 0  # up to date
    with pyproject.open("a") as handle:
        handle.write('"https://example.invalid/other.git" = "build/other.git"\n')
    assert _make(tmp_path, "-q", "setup").returncode == 0  # still up to date
    text = pyproject.read_text()
    assert "dependencies = [\n" in text
    pyproject.write_text(
        text.replace("dependencies = [\n", 'dependencies = [\n    "extra>=1",\n', 1)
    )
    assert _make(tmp_path, "-q", "setup").returncode == 1  # a dependency changed: reinstall


def test_make_datum_banking77_builds_the_example_upstream_on_demand() -> None:
    plan = subprocess.run(
        [
            "make",
            "-n",
            "-C",
            str(REPO),
            "--no-print-directory",
            "-W",
            "examples/build_upstream.py",
            "datum",
            "NAME=banking77",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "examples/build_upstream.py" in plan
    assert plan.index("build_upstream.py") < plan.index("datum generate banking77")
    other = subprocess.run(
        ["make", "-n", "-C", str(REPO), "--no-print-directory", "datum", "NAME=other"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "build_upstream.py" not in other


@pytest.mark.parametrize(
    "garbage",
    [b"", b"{not json", b'{"version": 1, "datums": []}', b'{"version": 1, "datums": {"x": 3}}'],
)
def test_a_damaged_last_check_file_is_an_empty_one(
    project: Path, run_cli: CliRun, garbage: bytes
) -> None:
    from datumkit.checks.lastrun import results_file

    path = results_file(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(garbage)
    result = run_cli("list", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["status"] == "unchecked"
    assert run_cli("check", "banking77").exit_code == 0
    assert json.loads(run_cli("list", "--json").stdout)[0]["status"] == "ok"


def test_last_check_results_live_in_the_git_dir_not_the_work_tree(
    project: Path, run_cli: CliRun
) -> None:
    from datumkit.checks.lastrun import results_file

    git(project, "init", "-q")
    assert results_file(project) == project / ".git/datumkit/last-check.json"

    def work_tree() -> set[Path]:
        return {p for p in project.rglob("*") if ".git" not in p.relative_to(project).parts}

    before = work_tree()
    run_cli("check", "banking77")
    assert (project / ".git/datumkit/last-check.json").is_file()
    assert work_tree() == before
