"""The patch check, datum.lock, `datum fetch` and `datum materialize` on real mirrors."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helpers.dockersim import SimulatedBuild
from helpers.repo import BANKING77, BANKING77_BASELINE, BANKING77_URL, CliRun, git, write_pyproject

DATUM = "datums/banking77"
FIRST_COMMIT = "603446e78ae753f00814098e19b8103755ba7431"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_example_passes_every_check(run_cli: CliRun) -> None:
    result = run_cli("check", "banking77")
    assert result.exit_code == 0, result.output


def test_lock_records_what_the_patch_produces(project: Path, banking77_upstream: Path) -> None:
    lock = (project / DATUM / "datum.lock").read_text()
    patch = (project / DATUM / "diff.patch").read_bytes()
    head = project.parent / "head"
    git(project.parent, "clone", "-q", str(banking77_upstream), str(head))
    git(head, "apply", "--index", str(project / DATUM / "diff.patch"))
    assert f"patched_tree: {git(head, 'write-tree').strip()}\n" in lock
    assert f"baseline_sha: {BANKING77_BASELINE}\n" in lock
    assert f"patch_sha256: {hashlib.sha256(patch).hexdigest()}\n" in lock
    assert lock.endswith(
        "files_touched: 3\nlines_added: 65\nlines_removed: 20\nfiles:\n"
        "  M README.md\n  M banking77/classifier.py\n  M tests/test_classifier.py\n"
    )


def test_no_mirror_is_a_finding_and_no_network_is_tried(
    project: Path, run_cli: CliRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_pyproject(project, {})  # no configured mirror: the (empty) cache is all there is

    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("validation tried the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    result = run_cli("check", "banking77")
    assert result.exit_code == 1
    assert f"{DATUM}/datum.yaml: repo: no local mirror of {BANKING77_URL}" in result.output
    assert "run `datum fetch banking77`" in result.output


def test_missing_baseline_commit_is_a_finding(project: Path, run_cli: CliRun) -> None:
    sha = "1" * 40
    assert run_cli("set", "banking77", "repo.start_commit_sha", sha).exit_code == 0
    result = run_cli("check", "banking77", "--only", "patch")
    assert result.exit_code == 1
    assert f"{DATUM}/datum.yaml: repo: " in result.output
    assert sha in result.output
    assert "datum fetch banking77" in result.output


def test_patch_that_does_not_apply_names_file_and_hunk(project: Path, run_cli: CliRun) -> None:
    edit(project / DATUM / "diff.patch", " from __future__ import annotations\n", " import os\n")
    result = run_cli("check", "banking77", "--only", "patch")
    assert result.exit_code == 1
    (line,) = [x for x in result.output.splitlines() if x.startswith(f"{DATUM}/diff.patch")]
    assert line.startswith(f"{DATUM}/diff.patch: banking77/classifier.py: @@ -1,31 +1,58 @@")
    assert "'import os'" in line
    assert "from __future__ import annotations" in line


def test_baseline_moved_so_the_patch_no_longer_applies(project: Path, run_cli: CliRun) -> None:
    """The first upstream commit has no classifier yet: the patch cannot apply there."""
    assert run_cli("set", "banking77", "repo.start_commit_sha", FIRST_COMMIT).exit_code == 0
    result = run_cli("check", "banking77", "--only", "patch")
    assert result.exit_code == 1
    assert f"{DATUM}/diff.patch: banking77/classifier.py: " in result.output


def test_already_applied_patch(project: Path, run_cli: CliRun, banking77_upstream: Path) -> None:
    upstream = project.parent / "work"
    git(project.parent, "clone", "-q", str(banking77_upstream), str(upstream))
    git(upstream, "apply", str(project / DATUM / "diff.patch"))
    git(upstream, "commit", "-qam", "applied")
    git(upstream, "push", "-q", "origin", "HEAD:refs/heads/applied")
    applied = git(upstream, "rev-parse", "HEAD").strip()
    assert run_cli("set", "banking77", "repo.start_commit_sha", applied).exit_code == 0
    result = run_cli("check", "banking77", "--only", "patch")
    assert result.exit_code == 1
    assert "already" in result.output


def test_empty_patch(project: Path, run_cli: CliRun) -> None:
    (project / DATUM / "diff.patch").write_bytes(b"")
    result = run_cli("check", "banking77", "--only", "patch")
    assert result.exit_code == 1
    assert f"{DATUM}/diff.patch: patch contains no file changes (regenerate it" in result.output


def test_missing_patch(project: Path, run_cli: CliRun) -> None:
    (project / DATUM / "diff.patch").unlink()
    result = run_cli("check", "banking77", "--only", "patch")
    assert result.exit_code == 1
    assert f"{DATUM}/diff.patch: missing (add the change" in result.output


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("repo.subdir", "data"), "changes a file outside repo.subdir 'data'"),
        (
            ("repo.sparse_checkout", "[data, README.md]"),
            "changes a file outside repo.sparse_checkout",
        ),
    ],
)
def test_patch_must_stay_inside_subdir_and_sparse_checkout(
    project: Path, run_cli: CliRun, fields: tuple[str, str], message: str
) -> None:
    result = run_cli("set", "banking77", *fields, "--yaml")
    assert result.exit_code == 0, result.output
    check = run_cli("check", "banking77", "--only", "patch")
    assert check.exit_code == 1
    assert f"{DATUM}/diff.patch: banking77/classifier.py: {message}" in check.output
    if "sparse" in message:
        assert "README.md: " not in check.output  # listed in sparse_checkout: fine


def test_stale_or_missing_lock(project: Path, run_cli: CliRun) -> None:
    lock = project / DATUM / "datum.lock"
    edit(lock, "lines_added: 65", "lines_added: 64")
    stale = run_cli("check", "banking77")
    assert stale.exit_code == 1
    assert (
        f"{DATUM}/datum.lock: line 10: expected 'lines_added: 65', found 'lines_added: 64': "
        "does not match diff.patch applied to the baseline (run `datum generate banking77`)"
    ) in stale.output
    lock.unlink()
    assert "datum.lock: missing" in run_cli("check", "banking77").output
    regenerated = run_cli("generate", "banking77")
    assert regenerated.output == f"wrote {DATUM}/datum.lock\n"
    assert run_cli("check", "banking77").exit_code == 0


def test_generate_without_mirror_keeps_the_lock_and_warns(project: Path, run_cli: CliRun) -> None:
    write_pyproject(project, {})
    lock = (project / DATUM / "datum.lock").read_bytes()
    result = run_cli("generate", "banking77")
    assert result.exit_code == 0
    assert f"{DATUM}/datum.lock: not updated: no local mirror of {BANKING77_URL}" in result.output
    assert (project / DATUM / "datum.lock").read_bytes() == lock


def test_generate_reports_a_patch_that_does_not_apply(project: Path, run_cli: CliRun) -> None:
    edit(project / DATUM / "diff.patch", " from __future__ import annotations\n", " import os\n")
    result = run_cli("generate", "banking77")
    assert result.exit_code == 1
    assert f"{DATUM}/diff.patch: banking77/classifier.py: @@ -1,31 +1,58 @@" in result.output


def test_validation_leaves_the_mirror_byte_identical(
    project: Path, run_cli: CliRun, banking77_upstream: Path, snapshot: Callable[[Path], Any]
) -> None:
    before = snapshot(banking77_upstream)
    assert run_cli("check", "banking77").exit_code == 0
    assert run_cli("materialize", "banking77", str(project.parent / "m")).exit_code == 0
    assert snapshot(banking77_upstream) == before


# --- fetch ---------------------------------------------------------------------------------


def test_fetch_creates_a_mirror_from_a_file_url(
    project: Path, run_cli: CliRun, banking77_upstream: Path, tmp_path: Path
) -> None:
    url = f"file://{banking77_upstream}"
    write_pyproject(project, {})
    assert run_cli("set", "banking77", "repo.git_url", url).exit_code == 0
    assert run_cli("generate", "banking77").exit_code == 0  # Dockerfile names the new URL
    cache = tmp_path / "cache"
    before = run_cli("--cache", str(cache), "check", "banking77")
    assert before.exit_code == 1
    assert "run `datum fetch banking77`" in before.output
    fetched = run_cli("--cache", str(cache), "fetch", "banking77")
    assert fetched.exit_code == 0, fetched.output
    assert f"{url}: created " in fetched.output
    after = run_cli("--cache", str(cache), "check", "banking77")
    assert after.exit_code == 0, after.output


def test_fetch_reports_a_baseline_the_upstream_does_not_have(
    project: Path, run_cli: CliRun, banking77_upstream: Path, tmp_path: Path
) -> None:
    write_pyproject(project, {})
    sha = "2" * 40
    result = run_cli("set", "banking77", "repo.git_url", str(banking77_upstream))
    assert result.exit_code == 0
    assert run_cli("set", "banking77", "repo.start_commit_sha", sha).exit_code == 0
    fetched = run_cli("--cache", str(tmp_path / "c"), "fetch", "--all")
    assert fetched.exit_code == 1
    assert f"baseline {sha} of banking77 is not in the upstream" in fetched.output


def test_fetch_failure_exits_3(project: Path, run_cli: CliRun, tmp_path: Path) -> None:
    write_pyproject(project, {})
    missing = tmp_path / "nowhere.git"
    assert run_cli("set", "banking77", "repo.git_url", str(missing)).exit_code == 0
    fetched = run_cli("--cache", str(tmp_path / "c"), "fetch", "banking77")
    assert fetched.exit_code == 3
    assert str(missing) in fetched.output


# --- materialize ---------------------------------------------------------------------------


def _files(directory: Path) -> dict[str, tuple[bytes, bool]]:
    return {
        p.relative_to(directory).as_posix(): (p.read_bytes(), os.access(p, os.X_OK))
        for p in sorted(directory.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(directory).parts
    }


def test_materialize_equals_what_the_dockerfile_builds(
    project: Path, run_cli: CliRun, banking77_upstream: Path, tmp_path: Path
) -> None:
    build = SimulatedBuild(tmp_path / "image", BANKING77, {"REPO_URL": str(banking77_upstream)})
    build.run((BANKING77 / "Dockerfile").read_bytes())
    out = tmp_path / "patched"
    result = run_cli("materialize", "banking77", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("wrote 9 files of the patched tree ")
    assert _files(out) == _files(build.sandbox / "app")


def test_materialize_baseline_and_patched_differ_by_the_patch(
    run_cli: CliRun, tmp_path: Path
) -> None:
    assert run_cli("materialize", "banking77", str(tmp_path / "b"), "--baseline").exit_code == 0
    assert run_cli("materialize", "banking77", str(tmp_path / "p")).exit_code == 0
    baseline, patched = _files(tmp_path / "b"), _files(tmp_path / "p")
    assert set(baseline) == set(patched)
    changed = sorted(path for path in baseline if baseline[path] != patched[path])
    assert changed == ["README.md", "banking77/classifier.py", "tests/test_classifier.py"]


def test_materialize_honours_sparse_checkout(run_cli: CliRun, tmp_path: Path) -> None:
    result = run_cli(
        "set", "banking77", "repo.sparse_checkout", "[banking77, tests, README.md]", "--yaml"
    )
    assert result.exit_code == 0
    assert run_cli("materialize", "banking77", str(tmp_path / "s")).exit_code == 0
    assert sorted(_files(tmp_path / "s")) == [
        "README.md",
        "banking77/__init__.py",
        "banking77/classifier.py",
        "banking77/data.py",
        "banking77/evaluate.py",
        "tests/test_classifier.py",
    ]


def test_materialize_refuses_a_non_empty_directory(run_cli: CliRun, tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "mine.txt").write_text("keep me")
    result = run_cli("materialize", "banking77", str(target))
    assert result.exit_code == 2
    assert "exists and is not an empty directory" in result.output
    assert (target / "mine.txt").read_text() == "keep me"
    assert sorted(p.name for p in target.iterdir()) == ["mine.txt"]


def test_materialize_into_an_existing_empty_directory(run_cli: CliRun, tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    assert run_cli("materialize", "banking77", str(target)).exit_code == 0
    assert (target / "banking77/classifier.py").is_file()
    shutil.rmtree(target)
