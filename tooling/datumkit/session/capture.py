"""Session workspace -> created-task directory: the seed guide's Phase 4, as one function.

A coding session leaves its work in a git repository: commits since the baseline, staged and
unstaged edits, new files. Capture turns all of it into ``diff.patch`` (plus ``repo_info.json``,
a ``tb_meta.json`` skeleton, ``notes.md`` and the session's ``trace/``) without changing the
session's repository in any way: no stash, no checkout, no index write, no new object in its
``.git``.

How: git itself snapshots the working tree, but into a scratch area. ``GIT_INDEX_FILE`` points at
a copy of the index in a temporary directory and ``GIT_OBJECT_DIRECTORY`` at an empty object
store there (the repository's own objects stay readable as an alternate), so ``git add --all``
and ``git write-tree`` hash the working tree, honouring .gitignore, attributes and filters
exactly as a commit would, while everything they write lands in the temporary directory. Then
``git diff --binary -M baseline <that tree>`` is the patch, and applying it in memory to the
baseline (:func:`datumkit.git.apply.apply_patch_in_memory`) must give that tree id back, which
proves byte for byte that the patch reproduces the session.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pygit2

from datumkit import __version__
from datumkit.checks.secrets import scan_datum_files
from datumkit.errors import DatumError, OperationFailed, UsageProblem
from datumkit.fsio import staged_directory, write_inside
from datumkit.git.apply import PatchError, PatchResult, apply_patch_in_memory
from datumkit.git.urls import redact_url
from datumkit.interop.seed import TB_META
from datumkit.model.datum import SENSITIVITY_LEVELS, TASK_ID_PREFIX
from datumkit.model.datumdir import NOTES_FILE, PATCH_FILE, TRACE_DIR
from datumkit.secrets.scan import SecretHit
from datumkit.session.traces import load_trace_dir

REPO_INFO = "repo_info.json"
CREATED_DIR_ENV = "DATUMKIT_CREATED_DIR"
#: where created-task directories go inside a datum repository (the seed guide's layout)
CREATED_SUBDIR = Path("data", "tasks", "created")
DEFAULT_SENSITIVITY = "internal"
TODO = "TODO"
#: a patch larger than this is usually a dataset or build output that slipped past .gitignore
LARGE_PATCH_BYTES = 10 * 1024 * 1024
_SLUG_MAX = 48

#: git environment that would point commands at another repository, index or object store
_GIT_LOCATION_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_CEILING_DIRECTORIES",
)
#: options that make `git diff` output independent of the user's diff configuration
_DIFF_OPTIONS = (
    "-c",
    "diff.noprefix=false",
    "-c",
    "diff.mnemonicPrefix=false",
    "-c",
    "diff.suppressBlankEmpty=false",
    "-c",
    "core.quotePath=true",
    "diff",
    "--binary",
    "--full-index",  # abbreviated ids would depend on the repository's size, not its content
    "--find-renames",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-relative",
    "--submodule=short",
    "--diff-algorithm=myers",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "-O/dev/null",
)


class CaptureFailed(DatumError):
    """The session cannot be captured as asked (no changes, a bad baseline, ...)."""


@dataclass(frozen=True)
class SessionDiff:
    """Everything the session changed since its baseline, read without writing to the repo."""

    workspace: Path
    baseline_sha: str
    head_sha: str
    #: tree id of the working tree as `git add --all` would record it
    tree_id: str
    patch: bytes
    #: working tree or index differ from HEAD
    dirty: bool
    applied: PatchResult = field(repr=False)


@dataclass(frozen=True)
class CaptureRequest:
    """What to capture and how to describe it; only workspace, baseline and title are needed."""

    workspace: Path
    baseline: str
    title: str
    summary: str = ""
    labels: Sequence[str] = ()
    notes: str = ""
    trace_dir: Path | None = None
    slug: str | None = None
    sensitivity: str = DEFAULT_SENSITIVITY
    max_trace_bytes: int | None = None
    run_id: str | None = None


@dataclass(frozen=True)
class CaptureResult:
    """The created-task directory and what went into it."""

    directory: Path
    files: tuple[str, ...]
    diff: SessionDiff
    repo_info: Mapping[str, Any]
    #: credentials found in diff.patch, notes.md or trace/ (reported, never printed)
    secrets: tuple[SecretHit, ...] = ()
    notes: tuple[str, ...] = ()


# --- reading the session ----------------------------------------------------------------------


def _git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _GIT_LOCATION_VARIABLES}
    # Never let a read refresh the real index's stat data (git status/diff do by default).
    env["GIT_OPTIONAL_LOCKS"] = "0"
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.update(extra or {})
    return env


def _git(cwd: Path, *args: str, env: Mapping[str, str] | None = None, check: bool = True) -> bytes:
    """Run git in `cwd`; stdout as bytes; OperationFailed (exit 3) naming the command on error."""
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, env=_git_env(env), capture_output=True, check=False
        )
    except FileNotFoundError:
        raise OperationFailed("git is not installed", hint="install git") from None
    if check and result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OperationFailed(
            f"`git {' '.join(args[:3])}` failed: {message[-1] if message else 'no output'}",
            file=str(cwd),
            hint="check that the workspace is a healthy git repository",
        )
    return result.stdout


def _git_text(cwd: Path, *args: str) -> str | None:
    """One line of git output, or None when git exits non-zero (a missing ref, config key)."""
    out = _git(cwd, *args, check=False).decode("utf-8", "replace").strip()
    return out or None


def workspace_root(workspace: Path) -> Path:
    """The top of the git working tree that contains `workspace`."""
    if not workspace.is_dir():
        raise UsageProblem(f"{workspace} is not a directory", hint="give the session's workspace")
    top = _git_text(workspace, "rev-parse", "--show-toplevel")
    if top is None:
        raise UsageProblem(
            f"{workspace} is not inside a git working tree",
            hint="capture works on the git repository the session changed",
        )
    return Path(top)


def resolve_commit(workspace: Path, revision: str) -> str:
    """The full SHA of `revision` in the workspace's repository."""
    sha = _git_text(workspace, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if sha is None:
        raise UsageProblem(
            f"baseline {revision!r} is not a commit of {workspace}",
            hint="give the commit the session started from (a SHA, tag or branch)",
        )
    return sha


def session_is_dirty(root: Path) -> bool:
    """Whether the working tree or index differ from HEAD (untracked, not ignored files count)."""
    status = _git(root, "status", "--porcelain", "--untracked-files=normal", "--ignore-submodules")
    return bool(status.strip())


def session_diff(workspace: Path, baseline: str) -> SessionDiff:
    """The patch from `baseline` to the session's working tree, verified by an in-memory apply.

    Covers commits since the baseline, staged and unstaged changes and untracked files that are
    not ignored; binary files as git binary patches; renames and mode changes as such. Writes
    only to a temporary directory.
    """
    root = workspace_root(workspace)
    baseline_sha = resolve_commit(root, baseline)
    head_sha = resolve_commit(root, "HEAD")
    tree_id, patch = _snapshot_and_diff(root, baseline_sha)
    if not patch.strip():
        raise CaptureFailed(
            f"nothing changed since the baseline {baseline_sha[:12]}",
            file=str(root),
            hint="the working tree is identical to the baseline: is this the right workspace?",
        )
    head_tree = _git_text(root, "rev-parse", "HEAD^{tree}")
    applied = verify_patch(root, baseline_sha, patch, tree_id)
    return SessionDiff(
        workspace=root,
        baseline_sha=baseline_sha,
        head_sha=head_sha,
        tree_id=tree_id,
        patch=patch,
        dirty=tree_id != head_tree,
        applied=applied,
    )


def _snapshot_and_diff(root: Path, baseline_sha: str) -> tuple[str, bytes]:
    """Hash the working tree into a scratch index and object store; diff baseline..tree."""
    objects = _git_text(root, "rev-parse", "--path-format=absolute", "--git-path", "objects")
    index = _git_text(root, "rev-parse", "--path-format=absolute", "--git-path", "index")
    if objects is None or index is None:
        raise OperationFailed("cannot locate the repository's object store", file=str(root))
    with tempfile.TemporaryDirectory(prefix="datumkit-capture-") as scratch_name:
        scratch = Path(scratch_name)
        (scratch / "objects").mkdir()
        scratch_index = scratch / "index"
        if Path(index).is_file():
            # A copy keeps what is staged (even force-added ignored files) as git add's start.
            # copy2 keeps the mtime: entries git wrote in the same second as the index stay
            # "racily clean" and are re-read, as in the real repository.
            shutil.copy2(index, scratch_index)
        env = {
            "GIT_INDEX_FILE": str(scratch_index),
            "GIT_OBJECT_DIRECTORY": str(scratch / "objects"),
            "GIT_ALTERNATE_OBJECT_DIRECTORIES": objects,
        }
        _git(root, "add", "--all", "--", ":/", env=env)
        _refuse_nested_repositories(root, env)
        tree_id = _git(root, "write-tree", env=env).decode("ascii").strip()
        patch = _git(root, *_DIFF_OPTIONS, baseline_sha, tree_id, "--", env=env)
    return tree_id, patch


def _gitlinks(root: Path, env: Mapping[str, str] | None = None) -> set[bytes]:
    """Paths the index (the real one, or the scratch one of `env`) records as gitlinks."""
    listing = _git(root, "ls-files", "-s", "-z", env=env)
    return {
        entry.split(b"\t", 1)[1]
        for entry in listing.split(b"\0")
        if entry.startswith(b"160000 ") and b"\t" in entry
    }


def _refuse_nested_repositories(root: Path, env: Mapping[str, str]) -> None:
    """`git add --all` turns an untracked directory holding its own .git into a gitlink: the
    patch would carry one commit id and none of the directory's files. Refuse it clearly."""
    nested = sorted(_gitlinks(root, env) - _gitlinks(root))
    if nested:
        shown = ", ".join(path.decode("utf-8", "backslashreplace") for path in nested)
        raise CaptureFailed(
            f"untracked nested git repository: {shown}; its files cannot be captured "
            "(they would become a bare commit reference)",
            file=str(root),
            hint="remove its .git directory to capture the files, add it to .gitignore to leave "
            "it out, or register it as a submodule",
        )


def verify_patch(root: Path, baseline_sha: str, patch: bytes, tree_id: str) -> PatchResult:
    """Apply `patch` to the baseline in memory; it must produce exactly `tree_id`."""
    repo = pygit2.Repository(str(root))
    try:
        result = apply_patch_in_memory(repo, baseline_sha, patch)
    except PatchError as error:
        raise CaptureFailed(
            f"the captured patch does not apply to its own baseline: {error}",
            file=str(root),
            hint="please report this; the session cannot be captured reliably",
        ) from None
    if result.patched_tree != tree_id:
        raise CaptureFailed(
            f"the captured patch rebuilds tree {result.patched_tree[:12]}, "
            f"not the session's tree {tree_id[:12]}",
            file=str(root),
            hint="please report this; the session cannot be captured reliably",
        )
    return result


# --- describing the session -------------------------------------------------------------------


def slugify(text: str) -> str:
    """A directory and task-id friendly slug: lowercase words joined by '-' (at most 48 chars)."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    slug = "-".join(words)[:_SLUG_MAX].strip("-")
    return slug or "task"


def _remote_and_branch(root: Path, baseline: str) -> tuple[str | None, str | None, str | None]:
    """(remote URL without credentials, current local branch, upstream branch with the baseline).

    The upstream branch is what a datum's `repo.branch` must name: a branch of the remote that
    contains the baseline commit (a session's local branch, e.g. `work`, does not exist
    upstream). Preference: the branch the current one tracks, then the remote's default branch
    (`<remote>/HEAD`), then the first other remote branch by name; None when no remote branch
    contains the baseline.
    """
    branch = _git_text(root, "symbolic-ref", "--quiet", "--short", "HEAD")
    remote = None
    if branch is not None:
        remote = _git_text(root, "config", "--get", f"branch.{branch}.remote")
    if remote is None or remote == ".":
        remotes = (_git_text(root, "remote") or "").split()
        remote = "origin" if "origin" in remotes else (remotes[0] if remotes else None)
    url = _git_text(root, "config", "--get", f"remote.{remote}.url") if remote else None
    return (
        (redact_url(url) if url else None),
        branch,
        _upstream_branch(root, remote, branch, baseline),
    )


def _upstream_branch(
    root: Path, remote: str | None, branch: str | None, baseline: str
) -> str | None:
    if remote is None:
        return None
    prefix = f"refs/remotes/{remote}/"
    listed = _git(
        root, "for-each-ref", "--format=%(refname)", "--contains", baseline, prefix, check=False
    ).decode("utf-8", "replace")
    containing = [ref.removeprefix(prefix) for ref in listed.split() if ref != f"{prefix}HEAD"]
    if not containing:
        return None
    preferred = []
    if branch is not None:
        merge = _git_text(root, "config", "--get", f"branch.{branch}.merge")
        if merge and _git_text(root, "config", "--get", f"branch.{branch}.remote") == remote:
            preferred.append(merge.removeprefix("refs/heads/"))
    default = _git_text(root, "symbolic-ref", "--quiet", f"{prefix}HEAD")
    if default:
        preferred.append(default.removeprefix(prefix))
    for name in (*preferred, *sorted(containing)):
        if name in containing:
            return name
    return None


def captured_at() -> str:
    """Now in UTC (or SOURCE_DATE_EPOCH, for reproducible runs), ISO 8601 to the second."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = int(epoch) if epoch and epoch.isdigit() else int(time.time())
    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")


def repo_info(diff: SessionDiff, *, run_id: str | None = None) -> dict[str, Any]:
    """repo_info.json: where the session ran and what it started from and ended with."""
    url, branch, upstream = _remote_and_branch(diff.workspace, diff.baseline_sha)
    return {
        "remote_url": url,
        "branch": branch,
        "upstream_branch": upstream,
        "baseline_sha": diff.baseline_sha,
        "head_sha": diff.head_sha,
        "tree_sha": diff.tree_id,
        "dirty": diff.dirty,
        "files_changed": len(diff.applied.files),
        "lines_added": diff.applied.lines_added,
        "lines_removed": diff.applied.lines_removed,
        "workspace": str(diff.workspace),
        "run_id": run_id,
        "captured_at": captured_at(),
        "tool": f"datumkit {__version__}",
    }


def tb_meta_skeleton(request: CaptureRequest, slug: str, info: Mapping[str, Any]) -> dict[str, Any]:
    """A tb_meta.json that validates, with TODO markers where only a person can decide."""
    labels = list(dict.fromkeys(label.strip() for label in request.labels if label.strip()))
    instructions = request.title.strip()
    if request.notes.strip():
        instructions += "\n\n" + request.notes.strip()
    return {
        "task_id": TASK_ID_PREFIX + slug,
        "metadata": {
            "title": request.title.strip(),
            "summary": request.summary.strip() or request.title.strip(),
            "tags": labels,
        },
        "repo": {
            "git_url": info["remote_url"] or str(info["workspace"]),
            "branch": info["upstream_branch"] or "main",
            "start_commit_sha": info["baseline_sha"],
            "subdir": "",
            "sparse_checkout": [],
        },
        "sensitivity": {"level": request.sensitivity},
        "lm": {"instructions": instructions},
        "evaluation": {
            "rubrics": [
                {
                    "id": "task-completed",
                    "criterion": f"{TODO}: what a successful solution achieves",
                    "weight": 1.0,
                    "evaluation_criteria": [f"{TODO}: a check a grader can verify"],
                }
            ]
        },
    }


def notes_markdown(request: CaptureRequest, info: Mapping[str, Any]) -> str:
    """notes.md: the task, the session's own notes and summary, and the capture's facts."""
    lines = [f"# {request.title.strip()}", ""]
    if request.summary.strip():
        lines += ["## Summary", "", request.summary.strip(), ""]
    if request.notes.strip():
        lines += ["## Notes", "", request.notes.strip(), ""]
    head = info["head_sha"] + (" + uncommitted changes" if info["dirty"] else "")
    lines += [
        "## Session",
        "",
        f"- baseline: `{info['baseline_sha']}`",
        f"- end: `{head}`",
        f"- change: {info['files_changed']} file(s), +{info['lines_added']} "
        f"-{info['lines_removed']} lines",
        f"- captured: {info['captured_at']} by {info['tool']}",
        "",
    ]
    return "\n".join(lines)


def _json_bytes(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# --- writing the created-task directory -------------------------------------------------------


def default_created_parent(project_root: Path | None) -> Path:
    """Where created-task directories go: $DATUMKIT_CREATED_DIR, else <repo>/data/tasks/created."""
    configured = os.environ.get(CREATED_DIR_ENV)
    if configured:
        return Path(configured)
    if project_root is None:
        raise UsageProblem(
            "no place for the created-task directory",
            hint=f"pass --out DIR, set {CREATED_DIR_ENV}, or run inside a datum repository",
        )
    return project_root / CREATED_SUBDIR


def unique_directory(parent: Path, slug: str) -> Path:
    """`parent/slug`, or `parent/slug-2`, `-3`, ... when taken (sessions never overwrite)."""
    candidate, number = parent / slug, 2
    while candidate.exists():
        candidate, number = parent / f"{slug}-{number}", number + 1
    return candidate


def capture(request: CaptureRequest, out: Path, *, force: bool = False) -> CaptureResult:
    """Capture the session into the created-task directory `out` (complete, or not at all).

    Refuses to replace an existing `out` unless `force`; with `force` the old directory stays
    until the new one is complete. The trace is validated (shape and size) before anything is
    written; credentials are reported in the result, not refused: the created directory is a
    private working copy, and `datum bundle` refuses them before they enter a datum.
    """
    if request.sensitivity not in SENSITIVITY_LEVELS:
        raise UsageProblem(
            f"sensitivity {request.sensitivity!r} is not a level",
            hint=f"use one of: {', '.join(SENSITIVITY_LEVELS)}",
        )
    if not request.title.strip():
        raise UsageProblem("the task title is empty", hint="give the task a title")
    if out.exists() and not force:
        raise UsageProblem(
            f"{out} already exists", hint="pass --force to replace it, or choose another --out"
        )
    trace: dict[str, bytes] = {}
    if request.trace_dir is not None:
        trace = load_trace_dir(request.trace_dir, max_bytes=request.max_trace_bytes)

    diff = session_diff(request.workspace, request.baseline)
    slug = request.slug or slugify(request.title)
    info = repo_info(diff, run_id=request.run_id)
    files: dict[str, bytes] = {
        PATCH_FILE: diff.patch,
        REPO_INFO: _json_bytes(info),
        TB_META: _json_bytes(tb_meta_skeleton(request, slug, info)),
        NOTES_FILE: notes_markdown(request, info).encode("utf-8"),
    }
    for name, content in trace.items():
        files[f"{TRACE_DIR}/{name}"] = content

    with staged_directory(out, replace=force) as staging:
        for relative, content in files.items():
            write_inside(staging, relative, content)

    notes = []
    if info["remote_url"] is None:
        notes.append("the workspace has no remote: repo.git_url is its local path; set the URL")
    if info["upstream_branch"] is None:
        notes.append(
            "no upstream branch contains the baseline: repo.branch is left as 'main'; "
            "push the baseline or set repo.branch to the upstream branch that has it"
        )
    if len(diff.patch) > LARGE_PATCH_BYTES:
        notes.append(
            f"diff.patch is {len(diff.patch) / 2**20:.1f} MiB: look for data, build outputs or "
            "model files that should be in .gitignore"
        )
    if diff.applied.warnings:
        notes += [f"patch: {warning}" for warning in diff.applied.warnings]
    return CaptureResult(
        directory=out,
        files=tuple(sorted(files)),
        diff=diff,
        repo_info=info,
        secrets=tuple(scan_created_files(files, display_dir=str(out))),
        notes=tuple(notes),
    )


def scan_created_files(files: Mapping[str, bytes], *, display_dir: str) -> list[SecretHit]:
    """Credentials in the files that end up in a datum: the datum scan of the secrets check."""
    return [hit for _, hit in scan_datum_files(sorted(files.items()), display_dir=display_dir)]
