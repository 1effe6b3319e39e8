"""`datum bundle`: a created-task directory becomes a generated, checked datum, or nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from datumkit.checks import DatumReport, Finding
from datumkit.cli.main import cli
from datumkit.generate.writer import write_outputs
from datumkit.git.apply import PatchDoesNotApply
from datumkit.session.capture import CaptureRequest, capture
from helpers.repo import write_pyproject
from helpers.workspace import make_workspace, run_git

UPSTREAM_URL = "https://example.invalid/up/stream.git"
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
TRACE = {"session_id.txt": b"sess_0123abcd\n", "session_clean.json": b'{"messages": []}\n'}
Snapshot = Callable[[Path], dict[str, tuple[bytes, int]]]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(created-task directory, bare mirror of the upstream): captured once, copied per test."""
    base = tmp_path_factory.mktemp("bundle")
    workspace = make_workspace(base, remote=UPSTREAM_URL)
    mirror = base / "upstream.git"
    run_git(base, "clone", "-q", "--bare", str(workspace.root), str(mirror))
    trace = base / "trace"
    trace.mkdir()
    for name, content in TRACE.items():
        (trace / name).write_bytes(content)
    request = CaptureRequest(
        workspace.root,
        workspace.baseline,
        "Improve the answer",
        summary="The answer is 42.",
        labels=("re-bench",),
        trace_dir=trace,
    )
    created = base / "created"
    capture(request, created)
    return created, mirror


@pytest.fixture
def created(session: tuple[Path, Path], tmp_path: Path) -> Path:
    copy = tmp_path / "created" / "improve-the-answer"
    shutil.copytree(session[0], copy)
    return copy


@pytest.fixture
def root(session: tuple[Path, Path], tmp_path: Path) -> Path:
    """A datum repository whose mirror of the session's upstream is configured."""
    project = tmp_path / "repo"
    (project / "datums").mkdir(parents=True)
    write_pyproject(project, {UPSTREAM_URL: session[1]})
    return project


def datum(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2))


def listing(directory: Path) -> list[str]:
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())


def test_bundle_creates_a_generated_checked_datum(root: Path, created: Path) -> None:
    result = datum(root, "bundle", str(created), "--name", "answer")
    assert result.exit_code == 0, result.output
    assert f"created datums/answer from {created}; checks passed: schema" in result.output
    assert "note: evaluation.rubrics[0].criterion: still a placeholder, fill it in" in result.output
    assert "note: environment is the default" in result.output
    directory = root / "datums" / "answer"
    assert listing(directory) == [
        "Dockerfile",
        "baseline_sha.txt",
        "datum.lock",
        "datum.yaml",
        "diff.patch",
        "notes.md",
        "overlay_files/box_bootstrap.sh",
        "overlay_files/tb_meta.json",
        "tb_meta.json",
        "trace/session_clean.json",
        "trace/session_id.txt",
    ]
    assert (directory / "diff.patch").read_bytes() == (created / "diff.patch").read_bytes()
    text = (directory / "datum.yaml").read_text()
    assert text.startswith("# datum.yaml of datum 'answer', bundled from a recorded session")
    assert "task_id: re-bench-answer\n" in text
    assert f"git_url: {UPSTREAM_URL}\n" in text
    check = datum(root, "check", "answer")
    assert check.exit_code == 0, check.output
    assert [p.name for p in (root / "datums").iterdir()] == ["answer"]


def test_existing_datum_is_replaced_only_with_force(root: Path, created: Path) -> None:
    assert datum(root, "bundle", str(created), "--name", "answer").exit_code == 0
    refused = datum(root, "bundle", str(created), "--name", "answer")
    assert refused.exit_code == 2
    assert "datums/answer already exists (pass --force to replace it" in refused.output
    edit_json(created / "tb_meta.json", lambda d: d["metadata"].update(title="Second take"))
    replaced = datum(root, "bundle", str(created), "--name", "answer", "--force")
    assert replaced.exit_code == 0, replaced.output
    assert "replaced datums/answer" in replaced.output
    assert "Second take" in (root / "datums/answer/tb_meta.json").read_text()


def failing_write_outputs(directory: Path, outputs: Mapping[str, bytes]) -> list[str]:
    """Write the first generated file, then fail like a full disk would."""
    first = dict(list(outputs.items())[:1])
    write_outputs(directory, first)
    raise OSError(28, "No space left on device", str(directory / "Dockerfile"))


def failing_lock(source: object, result: object) -> bytes:
    raise PatchDoesNotApply("src/app.py", "context differs", hunk_header="@@ -1,2 +1,2 @@")


def failing_checks(name: str, files: object, context: object) -> DatumReport:
    finding = Finding("patch", name, f"datums/{name}/diff.patch", "@@ -1 +1 @@", "does not apply")
    return DatumReport(name, ("schema", "patch"), (finding,))


@pytest.mark.parametrize(
    ("step", "replacement", "code", "message"),
    [
        (
            "datumkit.session.bundle.write_outputs",
            failing_write_outputs,
            3,
            "No space left on device",
        ),
        ("datumkit.generate.datum.render_lock", failing_lock, 1, "does not apply"),
        (
            "datumkit.session.bundle.check_datum",
            failing_checks,
            1,
            "fails 1 check(s); nothing was written",
        ),
    ],
)
def test_a_failing_step_leaves_no_half_written_datum(
    root: Path,
    created: Path,
    snapshot: Snapshot,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    replacement: Callable[..., Any],
    code: int,
    message: str,
) -> None:
    assert datum(root, "bundle", str(created), "--name", "answer").exit_code == 0
    before = snapshot(root / "datums")
    edit_json(created / "tb_meta.json", lambda d: d["metadata"].update(title="Second take"))
    monkeypatch.setattr(step, replacement)

    replacing = datum(root, "bundle", str(created), "--name", "answer", "--force")
    assert replacing.exit_code == code, replacing.output
    assert message in replacing.output
    assert snapshot(root / "datums") == before  # the old datum, byte for byte
    fresh = datum(root, "bundle", str(created), "--name", "fresh")
    assert fresh.exit_code == code
    assert sorted(p.name for p in (root / "datums").iterdir()) == ["answer"]  # no leftovers


def test_credentials_stop_the_bundle_until_redacted(root: Path, created: Path) -> None:
    (created / "trace/session_clean.json").write_text(json.dumps({"env": f"KEY={AWS_KEY}"}))
    refused = datum(root, "bundle", str(created), "--name", "answer")
    assert refused.exit_code == 1
    shown = f"{created}/trace/session_clean.json:1: AWS Access Key (hash "
    assert shown in refused.output
    assert "1 credential(s) would enter the datum (run `datum redact`" in refused.output
    assert AWS_KEY not in refused.output
    assert not (root / "datums/answer").exists()

    redacted = datum(root, "redact", str(created / "trace"))
    assert redacted.exit_code == 0, redacted.output
    assert f"{created}/trace/session_clean.json:1: AWS Access Key -> <REDACTED:AWS Access Key:" in (
        redacted.output
    )
    assert "replaced 1 credential(s) in 1 file(s)" in redacted.output
    assert AWS_KEY not in redacted.output
    assert json.loads((created / "trace/session_clean.json").read_text())["env"].startswith(
        "KEY=<REDACTED:AWS Access Key:"
    )
    assert datum(root, "bundle", str(created), "--name", "answer").exit_code == 0


def test_allowlisted_credentials_enter_with_their_allowlist(root: Path, created: Path) -> None:
    (created / "notes.md").write_text(f"AWS's documented example key: {AWS_KEY}\n")
    refused = datum(root, "bundle", str(created), "--name", "answer")
    full_hash = hashlib.sha1(AWS_KEY.encode()).hexdigest()
    assert (
        f"{created}/notes.md:1: AWS Access Key (hash {full_hash[:8]}): not bundled (if it is no "
        f"real credential, add `{full_hash} notes.md # <why this is not a real secret>` to "
        "secrets.allowlist)"
    ) in refused.output

    (created / "secrets.allowlist").write_text(f"{full_hash} notes.md\n")
    unexplained = datum(root, "bundle", str(created), "--name", "answer")
    assert unexplained.exit_code == 1
    assert f"{created}/secrets.allowlist: line 1: entry has no reason" in unexplained.output

    (created / "secrets.allowlist").write_text(f"{full_hash} notes.md # AWS docs example\n")
    accepted = datum(root, "bundle", str(created), "--name", "answer")
    assert accepted.exit_code == 0, accepted.output
    assert (root / "datums/answer/secrets.allowlist").read_text().endswith("# AWS docs example\n")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda c: (c / "trace/session_clean.json").write_text("{"),
            "trace/session_clean.json: line 1 column 2: is not valid JSON",
        ),
        (
            lambda c: edit_json(
                c / "tb_meta.json", lambda d: d["evaluation"]["rubrics"][0].update(weight=0.5)
            ),
            "tb_meta.json: evaluation.rubrics: weights sum to 0.5, not 1",
        ),
        (
            lambda c: edit_json(c / "repo_info.json", lambda d: d.update(baseline_sha="0" * 40)),
            "make them agree before importing",
        ),
        (lambda c: (c / "diff.patch").unlink(), "diff.patch: missing"),
    ],
)
def test_problems_are_named_and_nothing_is_written(
    root: Path, created: Path, change: Callable[[Path], Any], message: str
) -> None:
    change(created)
    result = datum(root, "bundle", str(created), "--name", "answer")
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert not (root / "datums/answer").exists()


def test_repository_facts_come_from_repo_info(root: Path, created: Path) -> None:
    edit_json(created / "tb_meta.json", lambda d: d["repo"].pop("git_url"))
    result = datum(root, "bundle", str(created), "--name", "answer")
    assert result.exit_code == 0, result.output
    assert "note: repo.git_url taken from repo_info.json" in result.output
    assert f"git_url: {UPSTREAM_URL}" in (root / "datums/answer/datum.yaml").read_text()


def test_missing_mirror_is_explained_and_fetch_fills_it(
    session: tuple[Path, Path], created: Path, tmp_path: Path
) -> None:
    upstream = session[1]
    edit_json(created / "tb_meta.json", lambda d: d["repo"].update(git_url=str(upstream)))
    root = tmp_path / "no-mirrors"
    (root / "datums").mkdir(parents=True)
    missing = datum(root, "bundle", str(created), "--name", "answer")
    assert missing.exit_code == 1
    assert "no local mirror of" in missing.output and "(pass --fetch" in missing.output
    assert not (root / "datums/answer").exists()
    fetched = datum(root, "bundle", str(created), "--name", "answer", "--fetch")
    assert fetched.exit_code == 0, fetched.output
    assert datum(root, "check", "answer").exit_code == 0
