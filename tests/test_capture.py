"""`datum capture`: a session workspace becomes a created-task directory; the repo is only read."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from datumkit.cli.main import cli
from datumkit.model.datum import validate_tb_meta
from datumkit.session.capture import CaptureRequest, capture, redact_url, session_diff, slugify
from helpers.workspace import (
    Workspace,
    make_workspace,
    patched_files,
    run_git,
    worktree_files,
    write,
)

TRACE = {"session_id.txt": b"sess_0123abcd\n", "session_clean.json": b'{"messages": []}\n'}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """Built once: capture never changes it (test_capture_never_changes_the_repository)."""
    return make_workspace(tmp_path_factory.mktemp("session"))


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def make_trace(directory: Path, files: dict[str, bytes] = TRACE) -> Path:
    directory.mkdir(parents=True)
    for name, content in files.items():
        (directory / name).write_bytes(content)
    return directory


def test_patch_rebuilds_the_session_tree_byte_for_byte(workspace: Workspace) -> None:
    diff = session_diff(workspace.root, workspace.baseline)
    expected = worktree_files(workspace.root)
    assert patched_files(workspace.root, diff.applied) == expected
    # what the fixture promises is really in there
    assert "debug.log" not in expected and "build/out.txt" not in expected
    assert "keep.log" in expected and expected["link"] == (0o120000, b"src/app.py")
    assert expected["scripts/run.sh"][0] == 0o100755
    statuses = {change.path: change.status for change in diff.applied.files}
    assert statuses["new_name.txt"] == "renamed"
    assert statuses["deleted.txt"] == "deleted"
    assert {c.path for c in diff.applied.files if c.binary} == {"data/blob.bin", "image.png"}
    assert b"rename from old_name.txt" in diff.patch
    assert b"old mode 100644\nnew mode 100755" in diff.patch
    assert (
        diff.dirty and diff.baseline_sha == workspace.baseline and diff.head_sha == workspace.head
    )


def test_git_apply_agrees(workspace: Workspace, tmp_path: Path) -> None:
    """Independent of our in-memory apply: git itself applies the patch to the same tree."""
    diff = session_diff(workspace.root, workspace.baseline)
    clone = tmp_path / "clone"
    run_git(tmp_path, "clone", "-q", str(workspace.root), str(clone))
    run_git(clone, "checkout", "-q", workspace.baseline)
    (tmp_path / "diff.patch").write_bytes(diff.patch)
    run_git(clone, "apply", "--index", str(tmp_path / "diff.patch"))
    assert run_git(clone, "write-tree").strip() == diff.tree_id


def test_capture_never_changes_the_repository(
    workspace: Workspace,
    tmp_path: Path,
    snapshot: Callable[[Path], dict[str, tuple[bytes, int]]],
) -> None:
    git_dir = workspace.root / ".git"
    before = snapshot(git_dir)
    index_mtime = (git_dir / "index").stat().st_mtime_ns
    tree_before = snapshot(workspace.root)
    request = CaptureRequest(workspace.root, workspace.baseline, "Improve the answer")
    capture(request, tmp_path / "created")
    assert snapshot(git_dir) == before
    assert (git_dir / "index").stat().st_mtime_ns == index_mtime
    assert snapshot(workspace.root) == tree_before
    status = run_git(workspace.root, "status", "--porcelain")
    assert "R  old_name.txt -> new_name.txt" in status  # still staged, as the session left it


def test_cli_writes_the_created_task_directory(workspace: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "created" / "answer"
    trace = make_trace(tmp_path / "trace")
    result = invoke(
        "capture",
        str(workspace.root / "src"),  # any directory inside the workspace will do
        "--baseline",
        workspace.baseline,
        "--title",
        "Improve the answer",
        "--summary",
        "The answer is 42 now.",
        "--label",
        "re-bench",
        "--label",
        "answer",
        "--notes",
        "Change the constant.",
        "--trace",
        str(trace),
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "verified" in result.output
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "diff.patch",
        "notes.md",
        "repo_info.json",
        "tb_meta.json",
        "trace/session_clean.json",
        "trace/session_id.txt",
    ]
    info = json.loads((out / "repo_info.json").read_text())
    assert info["remote_url"] == "https://example.invalid/up/stream.git"
    assert info["branch"] == "main"
    assert (info["baseline_sha"], info["head_sha"]) == (workspace.baseline, workspace.head)
    assert info["dirty"] is True and info["files_changed"] == 15
    assert info["tool"].startswith("datumkit ")
    tb_meta = validate_tb_meta(json.loads((out / "tb_meta.json").read_text()), file="tb_meta")
    assert tb_meta.task_id == "re-bench-improve-the-answer"
    assert tb_meta.metadata.tags == ["re-bench", "answer"]
    assert tb_meta.metadata.summary == "The answer is 42 now."
    assert tb_meta.repo.start_commit_sha == workspace.baseline
    assert tb_meta.repo.git_url == "https://example.invalid/up/stream.git"
    assert tb_meta.sensitivity.level == "internal"
    assert tb_meta.evaluation.rubrics[0].criterion.startswith("TODO")
    notes = (out / "notes.md").read_text()
    assert notes.startswith("# Improve the answer\n")
    assert "The answer is 42 now." in notes and "Change the constant." in notes
    assert (out / "trace/session_id.txt").read_bytes() == TRACE["session_id.txt"]
    assert (out / "diff.patch").read_bytes() == session_diff(
        workspace.root, workspace.baseline
    ).patch


def test_existing_directory_needs_force(workspace: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "created"
    args = ["capture", str(workspace.root), "--baseline", workspace.baseline, "--title", "T"]
    assert invoke(*args, "--out", str(out)).exit_code == 0
    (out / "stale.txt").write_text("old\n")
    refused = invoke(*args, "--out", str(out))
    assert refused.exit_code == 2
    assert "already exists (pass --force" in refused.output
    assert (out / "stale.txt").exists()
    assert invoke(*args, "--out", str(out), "--force").exit_code == 0
    assert not (out / "stale.txt").exists()


def test_default_location_and_slug(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATUMKIT_CREATED_DIR", str(tmp_path / "created"))
    result = invoke(
        "capture", str(workspace.root), "--baseline", workspace.baseline, "--title", "Fix: X & Y!"
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "created" / "fix-x-y" / "diff.patch").is_file()
    assert slugify("  ") == "task"
    assert slugify("A" * 80) == "a" * 48


def test_credentials_in_the_trace_are_reported_never_printed(
    workspace: Workspace, tmp_path: Path
) -> None:
    key = "AKIA" + "IOSFODNN7EXAMPLE"
    trace = make_trace(
        tmp_path / "trace",
        {**TRACE, "session_clean.json": json.dumps({"env": f"AWS_KEY={key}"}).encode()},
    )
    out = tmp_path / "created"
    result = invoke(
        "capture",
        str(workspace.root),
        "--baseline",
        workspace.baseline,
        "--title",
        "T",
        "--trace",
        str(trace),
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert f"{out}/trace/session_clean.json:1: AWS Access Key (hash " in result.output
    assert f"datum redact {out}" in result.output
    assert key not in result.output


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ("baseline", 2, "baseline 'no-such-rev' is not a commit"),
        ("trace", 1, "session_clean.json: line 1 column 2: is not valid JSON"),
        ("nothing", 1, "nothing changed since the baseline"),
        ("not-git", 2, "is not inside a git working tree"),
    ],
)
def test_failures_write_nothing(tmp_path: Path, change: str, code: int, message: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    run_git(root, "init", "-q")
    write(root, "a.txt", "a\n")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "one")
    if change != "nothing":
        write(root, "a.txt", "b\n")
    baseline = "no-such-rev" if change == "baseline" else "HEAD"
    args = ["capture", str(root), "--baseline", baseline, "--title", "T"]
    if change == "trace":
        args += [
            "--trace",
            str(make_trace(tmp_path / "trace", {**TRACE, "session_clean.json": b"{x"})),
        ]
    if change == "not-git":
        args[1] = str(tmp_path / "trace")
        (tmp_path / "trace").mkdir()
    out = tmp_path / "out"
    result = invoke(*args, "--out", str(out))
    assert result.exit_code == code, result.output
    assert message in result.output
    assert not out.exists()


def test_remote_credentials_stay_out(tmp_path: Path) -> None:
    assert redact_url("https://user:t0ken@github.com/o/r.git") == "https://github.com/o/r.git"
    assert redact_url("git@github.com:o/r.git") == "git@github.com:o/r.git"
    root = tmp_path / "repo"
    root.mkdir()
    run_git(root, "init", "-q")
    run_git(root, "remote", "add", "origin", "https://bot:s3cretvalue@example.invalid/r.git")
    write(root, "a.txt", "a\n")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "one")
    write(root, "a.txt", "b\n")
    result = capture(CaptureRequest(root, "HEAD", "T"), tmp_path / "out")
    assert result.repo_info["remote_url"] == "https://example.invalid/r.git"
    assert b"s3cretvalue" not in (tmp_path / "out" / "tb_meta.json").read_bytes()
    assert subprocess.run(["git", "-C", str(root), "diff", "--quiet"]).returncode == 1
