"""The Dockerfile's `baseline` stage is the agent's environment: it never contains the answer.

The stage is executed for real (tests/helpers/dockersim.py) against a mirror whose branch has
moved on past the baseline: the next commit on `main` *is* the datum's solution, another branch
and a tag point past the baseline too. Two servers: one that serves a bare SHA (what GitHub
does), and one that refuses it (protocol v0 with `uploadpack.allow*SHA1InWant=false`, the
refusal many self-hosted servers give), which forces the branch-fetch fallback that used to
leave the whole future in `/app/.git`. Either way, the stage must end holding the baseline commit
and nothing else: no later commit, no remote, no ref, no reflog, no unreachable object, and no
byte of the patch's added lines anywhere in its file system.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from helpers.dockersim import SimulatedBuild
from helpers.repo import BANKING77, BANKING77_BASELINE, CliRun, git

REFUSAL = b"does not allow request for unadvertised object"
#: the client speaks protocol v0, where the server's uploadpack.* settings decide
PROTOCOL_V0 = {
    "GIT_CONFIG_COUNT": "1",
    "GIT_CONFIG_KEY_0": "protocol.version",
    "GIT_CONFIG_VALUE_0": "0",
}


def _added_lines(patch: bytes, baseline: Path) -> list[bytes]:
    """The patch's added lines that are specific to the solution (not already in the baseline)."""
    existing = b"\n".join(p.read_bytes() for p in baseline.rglob("*") if p.is_file())
    added = [
        line[1:].strip()
        for line in patch.splitlines()
        if line.startswith(b"+") and not line.startswith(b"+++")
    ]
    return [line for line in added if len(line) >= 20 and line not in existing]


@pytest.fixture(scope="module")
def future_mirror(tmp_path_factory: pytest.TempPathFactory, banking77_upstream: Path) -> Path:
    """A bare mirror where main has the solution committed after the baseline, plus a branch
    and a tag past it."""
    root = tmp_path_factory.mktemp("future")
    work = root / "work"
    git(root, "clone", "-q", str(banking77_upstream), str(work))
    git(work, "apply", "--index", str(BANKING77 / "diff.patch"))
    git(work, "commit", "-qm", "the fix (the answer)")
    git(work, "tag", "v-fixed")
    git(work, "checkout", "-qb", "feature")
    (work / "LATER.md").write_text("later work\n")
    git(work, "add", "LATER.md")
    git(work, "commit", "-qm", "later")
    mirror = root / "mirror.git"
    git(root, "clone", "-q", "--bare", str(work), str(mirror))
    assert BANKING77_BASELINE not in git(mirror, "show-ref"), "the baseline must not be a tip"
    assert git(mirror, "rev-parse", "main~1").strip() == BANKING77_BASELINE
    return mirror


@pytest.fixture(scope="module")
def refusing_mirror(tmp_path_factory: pytest.TempPathFactory, future_mirror: Path) -> Path:
    mirror = tmp_path_factory.mktemp("refusing") / "mirror.git"
    shutil.copytree(future_mirror, mirror)
    for key in ("allowReachableSHA1InWant", "allowAnySHA1InWant", "allowTipSHA1InWant"):
        git(mirror, "config", f"uploadpack.{key}", "false")
    return mirror


def _build_baseline(sandbox: Path, mirror: Path, refuse: bool) -> SimulatedBuild:
    trace = sandbox.parent / "git-trace.log"
    build = SimulatedBuild(
        sandbox,
        BANKING77,
        {"REPO_URL": f"file://{mirror}"},
        run_env={**(PROTOCOL_V0 if refuse else {}), "GIT_TRACE": str(trace)},
    )
    build.run((BANKING77 / "Dockerfile").read_bytes(), target="baseline")
    # the fallback (a whole-branch fetch) ran exactly when the server refused the bare SHA
    assert ("refs/heads/main" in trace.read_text()) is refuse
    return build


def test_the_refusing_mirror_refuses_a_bare_sha(tmp_path: Path, refusing_mirror: Path) -> None:
    git(tmp_path, "init", "-q", "client")
    refused = subprocess.run(
        ["git", "fetch", "--depth", "1", f"file://{refusing_mirror}", BANKING77_BASELINE],
        cwd=tmp_path / "client",
        env={**os.environ, **PROTOCOL_V0},
        capture_output=True,
    )
    assert refused.returncode != 0
    assert REFUSAL in refused.stderr


@pytest.mark.parametrize("refuse", [False, True], ids=["serves-sha", "refuses-sha"])
def test_baseline_stage_holds_the_baseline_commit_and_nothing_else(
    tmp_path: Path, future_mirror: Path, refusing_mirror: Path, refuse: bool
) -> None:
    build = _build_baseline(
        tmp_path / "image", refusing_mirror if refuse else future_mirror, refuse
    )
    app = build.sandbox / "app"

    assert git(app, "rev-parse", "HEAD").strip() == BANKING77_BASELINE
    assert git(app, "rev-list", "--all").split() == [BANKING77_BASELINE]
    assert git(app, "remote") == ""
    assert git(app, "for-each-ref") == ""
    assert git(app, "reflog", "--all") == ""
    assert git(app, "stash", "list") == ""
    assert not (app / ".git" / "logs").exists()
    assert not (app / ".git" / "FETCH_HEAD").exists()
    assert "remote" not in (app / ".git" / "config").read_text()
    assert git(app, "fsck", "--unreachable", "--no-reflogs", "--no-progress") == ""
    # every object in the store is one the baseline reaches: nothing after it survives anywhere
    stored = set(git(app, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)").split())
    reachable = {
        line.split()[0] for line in git(app, "rev-list", "--objects", "--all").split("\n") if line
    }
    assert stored == reachable
    assert git(app, "status", "--porcelain") == ""
    assert build.copied == [], "the baseline stage copies nothing from the build context"


def _contents(root: Path) -> list[tuple[str, bytes]]:
    """Every file under root, raw and (for git's zlib-compressed loose objects) inflated."""
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found.append((str(path), data))
            with contextlib.suppress(zlib.error):
                found.append((f"{path} (inflated)", zlib.decompress(data)))
    return found


@pytest.mark.parametrize("refuse", [False, True], ids=["serves-sha", "refuses-sha"])
def test_no_file_of_the_baseline_stage_holds_the_solution(
    tmp_path: Path, future_mirror: Path, refusing_mirror: Path, refuse: bool
) -> None:
    build = _build_baseline(
        tmp_path / "image", refusing_mirror if refuse else future_mirror, refuse
    )
    app = build.sandbox / "app"
    answer = _added_lines((BANKING77 / "diff.patch").read_bytes(), app)
    assert len(answer) >= 5, "the check needs enough of the solution to look for"
    # packed objects are deltified and compressed: read every object through git as well
    objects = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"],
        cwd=app,
        capture_output=True,
        check=True,
    ).stdout
    haystacks = [*_contents(build.sandbox), ("git objects", objects)]
    leaks = [(where, line) for where, data in haystacks for line in answer if line in data]
    assert leaks == []


def test_the_leak_check_would_see_the_solution_in_the_mirror(
    tmp_path: Path, future_mirror: Path
) -> None:
    """The negative control: the same search finds the answer where it is (the mirror)."""
    baseline = tmp_path / "baseline"
    git(tmp_path, "clone", "-q", str(future_mirror), str(baseline))
    git(baseline, "checkout", "-q", BANKING77_BASELINE)
    answer = _added_lines((BANKING77 / "diff.patch").read_bytes(), baseline)
    objects = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"],
        cwd=future_mirror,
        capture_output=True,
        check=True,
    ).stdout
    assert all(line in objects for line in answer)


def test_sparse_baseline_stage_checks_out_only_the_patterns(
    tmp_path: Path, project: Path, run_cli: CliRun, refusing_mirror: Path
) -> None:
    patterns = "[banking77, README.md, '-not-an-option']"
    assert run_cli("set", "banking77", "repo.sparse_checkout", patterns, "--yaml").exit_code == 0
    run_cli("generate", "banking77")  # the lock fails (the patch leaves the patterns): not needed
    context = project / "datums/banking77"
    assert "git sparse-checkout set --no-cone --stdin" in (context / "Dockerfile").read_text()
    build = SimulatedBuild(
        tmp_path / "image", context, {"REPO_URL": f"file://{refusing_mirror}"}, run_env=PROTOCOL_V0
    )
    build.run((context / "Dockerfile").read_bytes(), target="baseline")
    app = build.sandbox / "app"
    assert sorted(p.name for p in app.iterdir()) == [".git", "README.md", "banking77"]
    assert git(app, "rev-list", "--all").split() == [BANKING77_BASELINE]
