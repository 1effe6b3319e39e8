"""`datum capture` records as repo.branch the upstream branch that contains the baseline, not the
session's local branch (which usually does not exist upstream)."""

from __future__ import annotations

import json
from pathlib import Path

from datumkit.session.capture import CaptureRequest, capture
from helpers.workspace import Workspace, make_workspace, run_git


def _remote_branch(workspace: Workspace, name: str, commit: str) -> None:
    run_git(workspace.root, "update-ref", f"refs/remotes/origin/{name}", commit)


def _captured(workspace: Workspace, out: Path) -> tuple[dict[str, str], str, tuple[str, ...]]:
    result = capture(CaptureRequest(workspace.root, workspace.baseline, "T"), out)
    info = json.loads((out / "repo_info.json").read_text())
    tb_meta = json.loads((out / "tb_meta.json").read_text())
    return info, tb_meta["repo"]["branch"], result.notes


def test_a_local_branch_is_recorded_as_the_upstream_branch_with_the_baseline(
    tmp_path: Path,
) -> None:
    workspace = make_workspace(tmp_path)
    run_git(workspace.root, "checkout", "-q", "-b", "work")
    _remote_branch(workspace, "release-1", workspace.baseline)
    _remote_branch(
        workspace,
        "unrelated",
        run_git(
            workspace.root, "commit-tree", "-m", "x", "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        ).strip(),
    )
    info, branch, notes = _captured(workspace, tmp_path / "out")
    assert (info["branch"], info["upstream_branch"], branch) == ("work", "release-1", "release-1")
    assert not any("no upstream branch" in note for note in notes)


def test_the_remote_default_branch_is_preferred(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    run_git(workspace.root, "checkout", "-q", "-b", "work")
    for name in ("aaa", "main", "zzz"):
        _remote_branch(workspace, name, workspace.head)
    run_git(workspace.root, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    info, branch, _ = _captured(workspace, tmp_path / "out")
    assert (info["upstream_branch"], branch) == ("main", "main")


def test_the_tracked_branch_is_preferred_when_it_has_the_baseline(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    for name in ("main", "topic"):
        _remote_branch(workspace, name, workspace.head)
    run_git(workspace.root, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    run_git(workspace.root, "checkout", "-q", "-b", "work")
    run_git(workspace.root, "branch", "--set-upstream-to=origin/topic")
    info, branch, _ = _captured(workspace, tmp_path / "out")
    assert (info["upstream_branch"], branch) == ("topic", "topic")


def test_no_upstream_branch_with_the_baseline_says_so(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    run_git(workspace.root, "checkout", "-q", "-b", "work")
    info, branch, notes = _captured(workspace, tmp_path / "out")
    assert (info["branch"], info["upstream_branch"], branch) == ("work", None, "main")
    assert any(note.startswith("no upstream branch contains the baseline") for note in notes)
