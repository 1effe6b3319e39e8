"""Every datum is untrusted input: one test per class of attack, each run against real files.

Each test here failed before the hardening (a crash, a write outside the datum, a silent
acceptance) and passes now; the per-field hostile values are in the corpus (tests/corpus/).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest

from datumkit.bounded import TooDeep, TooLarge, loads_json
from datumkit.errors import DatumError, UsageProblem
from datumkit.fsio import OutsideRoot, staged_directory
from datumkit.git.binary import BinaryPatchError, inflate
from datumkit.git.errors import UnsafePath
from datumkit.git.patchparse import parse_patch
from datumkit.model.datum import DatumInvalid, validate_datum
from datumkit.model.datumdir import check_datum_name, list_datum_names
from datumkit.model.yamlio import load_plain, load_roundtrip
from datumkit.session.capture import CaptureFailed, CaptureRequest, capture
from datumkit.session.traces import TraceInvalid, load_trace_dir
from helpers.repo import CliRun
from helpers.workspace import run_git, write

DATUM_BIN = Path(sys.executable).with_name("datum")


def _yaml(project: Path) -> Path:
    return project / "datums" / "banking77" / "datum.yaml"


# --- names and anchored patterns ----------------------------------------------------------------


def test_a_trailing_newline_is_not_part_of_a_valid_name() -> None:
    check_datum_name("banking77")
    with pytest.raises(UsageProblem, match="not a valid datum name"):
        check_datum_name("banking77\n")


def test_a_trailing_newline_in_task_id_is_refused(project: Path) -> None:
    from datumkit.model.yamlio import load_plain as load

    data = load(_yaml(project).read_bytes(), file="datum.yaml")
    data["task_id"] = "re-bench-banking77\n"
    with pytest.raises(DatumInvalid, match="task_id"):
        validate_datum(data, name="banking77", file="datum.yaml")


# --- one bad directory never stops the others -------------------------------------------------


def test_invalid_directory_name_is_a_finding_not_a_crash(project: Path, run_cli: CliRun) -> None:
    bad = project / "datums" / "Bad.Name"
    bad.mkdir()
    text = _yaml(project).read_text("utf-8").replace("re-bench-banking77", "re-bench-Bad.Name")
    (bad / "datum.yaml").write_text(text, encoding="utf-8")
    for args in (("check", "--all"), ("list",)):
        result = run_cli(*args)
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        ), result.output
    result = run_cli("check", "--all")
    assert result.exit_code == 1
    assert "datums/Bad.Name: 'Bad.Name' is not a valid datum name (rename the directory" in (
        result.output
    )
    assert "[2/2] banking77: ok" in result.output or "banking77: ok" in result.output


def test_a_name_with_a_dot_gets_its_tb_meta_json(project: Path, run_cli: CliRun) -> None:
    """'a.b' is a valid datum name; the tb_meta projection used to refuse its task id."""
    dotted = project / "datums" / "bank.ing77"
    (project / "datums" / "banking77").rename(dotted)
    text = (dotted / "datum.yaml").read_text("utf-8")
    (dotted / "datum.yaml").write_text(text.replace("re-bench-banking77", "re-bench-bank.ing77"))
    result = run_cli("generate", "bank.ing77")
    assert result.exit_code == 0, result.output
    assert json.loads((dotted / "tb_meta.json").read_bytes())["task_id"] == "re-bench-bank.ing77"


def test_staging_leftovers_are_not_datums_and_are_cleaned(project: Path, run_cli: CliRun) -> None:
    leftover = project / "datums" / ".banking77.staging-abc123"
    leftover.mkdir()
    (leftover / "datum.yaml").write_bytes(_yaml(project).read_bytes())
    assert list_datum_names(project) == ["banking77"]
    assert "staging" not in run_cli("list").output
    with staged_directory(project / "datums" / "banking77", replace=True) as staging:
        for path in (project / "datums" / "banking77").iterdir():
            if path.is_file():
                (staging / path.name).write_bytes(path.read_bytes())
    assert not leftover.exists()


def test_temp_files_of_an_interrupted_generate_are_removed(project: Path, run_cli: CliRun) -> None:
    overlay = project / "datums" / "banking77" / "overlay_files"
    stale = overlay / ".tb_meta.json.x1y2z3.tmp"
    stale.write_bytes(b"half")
    checked = run_cli("check", "banking77")
    assert "overlay_files/.tb_meta.json.x1y2z3.tmp: left by an interrupted write" in checked.output
    result = run_cli("generate", "banking77")
    assert result.exit_code == 0, result.output
    assert not stale.exists()
    assert run_cli("check", "banking77").exit_code == 0


# --- numbers, depth and size ------------------------------------------------------------------


def test_a_5000_digit_weight_is_an_error_not_a_crash(project: Path, run_cli: CliRun) -> None:
    path = _yaml(project)
    path.write_text(path.read_text("utf-8").replace("weight: 0.5", "weight: " + "9" * 5000))
    for command in ("check", "generate"):
        result = run_cli(command, "banking77")
        assert result.exit_code == 1, result.output
        assert "datums/banking77/datum.yaml: line " in result.output
        assert "a number of 5000 characters (write a short number" in result.output


def test_deeply_nested_yaml_is_refused_without_crashing_the_process(project: Path) -> None:
    """libyaml-built objects overflow the C stack at this depth: the old loader segfaulted."""
    _yaml(project).write_text("metadata: " + "[" * 100_000 + "]" * 100_000 + "\n")
    result = subprocess.run(
        [str(DATUM_BIN), "--root", str(project), "check", "banking77"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "nests deeper than 64 levels" in result.stdout + result.stderr


@pytest.mark.parametrize("loader", [load_plain, load_roundtrip])
def test_yaml_loaders_bound_depth_aliases_and_numbers(loader: object) -> None:
    load = loader  # both loaders run the same bounds first
    cases = {
        "a: " + "[" * 65 + "]" * 65: "nests deeper than 64 levels",
        "a: &x [1]\nb: [" + ", ".join(["*x"] * 101) + "]": "more than 100 aliases",
        "w: 1" + "0" * 200: "a number of 201 characters",
    }
    for text, message in cases.items():
        with pytest.raises(DatumError, match=message):
            load(text.encode(), file="datum.yaml")  # type: ignore[operator]


def test_deep_json_is_an_error_at_any_depth() -> None:
    for depth in (65, 5_000, 200_000):
        with pytest.raises(TooDeep, match="nests deeper than 64 levels"):
            loads_json("[" * depth + "]" * depth, "x.json")
    assert loads_json("[[1]]", "x.json") == [[1]]


def test_deep_trace_json_is_a_trace_problem(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    trace.mkdir()
    (trace / "session_id.txt").write_text("sess_1\n")
    (trace / "session_clean.json").write_text("[" * 10_000 + "]" * 10_000)
    with pytest.raises(TraceInvalid, match="nests deeper than 64 levels"):
        load_trace_dir(trace)


def test_import_of_a_huge_tb_meta_json_is_refused_by_its_size(
    tmp_path: Path, run_cli: CliRun
) -> None:
    seed = tmp_path / "seed"
    seed.mkdir()
    with open(seed / "tb_meta.json", "wb") as handle:  # sparse: 200 MB without the disk space
        handle.truncate(200 * 1024 * 1024)
    started = time.monotonic()
    result = run_cli("import", str(seed))
    assert result.exit_code == 1, result.output
    assert "is 209715200 bytes, over the 16777216-byte cap for JSON files" in result.output
    assert time.monotonic() - started < 30  # not a timing claim: the old code took minutes


def test_import_of_deeply_nested_tb_meta_json(tmp_path: Path, run_cli: CliRun) -> None:
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "tb_meta.json").write_text('{"a": ' + "[" * 5000 + "]" * 5000 + "}")
    result = run_cli("import", str(seed))
    assert result.exit_code == 1, result.output
    assert "tb_meta.json: nests deeper than 64 levels" in result.output


def test_oversized_source_file_is_a_finding_of_the_check(
    project: Path, run_cli: CliRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datumkit.model.datumdir as datumdir

    monkeypatch.setattr(datumdir, "MAX_FILE_BYTES", 1000)
    result = run_cli("check", "banking77")
    assert result.exit_code == 1, result.output
    assert "datums/banking77/datum.yaml: is " in result.output
    assert "over the 1000-byte cap for files" in result.output


# --- patches ----------------------------------------------------------------------------------


def test_a_zlib_bomb_stops_at_the_declared_size() -> None:
    bomb = zlib.compress(b"\0" * (64 * 1024 * 1024), 9)  # ~64 KiB that inflate to 64 MiB
    tracemalloc.start()
    try:
        with pytest.raises(BinaryPatchError, match="more than the 1000 bytes the header says"):
            inflate(bomb, 1000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


def test_a_declared_binary_size_over_the_cap_is_refused() -> None:
    with pytest.raises(BinaryPatchError, match="over the 67108864-byte cap for binary files"):
        inflate(zlib.compress(b"x"), 10**12)


def test_a_nul_byte_in_a_patch_path_is_refused() -> None:
    patch = (
        b'diff --git "a/x\\000y" "b/x\\000y"\nnew file mode 100644\n--- /dev/null\n'
        b'+++ "b/x\\000y"\n@@ -0,0 +1 @@\n+a\n'
    )
    with pytest.raises(UnsafePath, match="NUL byte in path"):
        parse_patch(patch)


def test_huge_numbers_in_hunk_headers_are_malformed_not_a_crash() -> None:
    patch = b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1," + b"9" * 5000 + b" +1 @@\n-a\n+b\n"
    with pytest.raises(DatumError, match="patch ends inside the hunk"):
        parse_patch(patch)


# --- no write or read outside its place -------------------------------------------------------


def _overlay_files_pointing_elsewhere(project: Path, tmp_path: Path) -> Path:
    """Replace banking77's overlay_files/ with a committed-style symlink to an empty directory."""
    victim = tmp_path / "victim"
    victim.mkdir()
    overlay = project / "datums" / "banking77" / "overlay_files"
    for path in overlay.iterdir():
        path.unlink()
    overlay.rmdir()
    overlay.symlink_to(victim)
    return victim


def test_symlinked_overlay_files_cannot_redirect_generate(
    project: Path, tmp_path: Path, run_cli: CliRun
) -> None:
    victim = _overlay_files_pointing_elsewhere(project, tmp_path)
    result = run_cli("generate", "banking77")
    assert result.exit_code == 1, result.output
    assert "refused: overlay_files is a symlink" in result.output
    assert list(victim.iterdir()) == []


def test_symlinked_overlay_files_cannot_redirect_the_fix_hook(
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from datumkit_hooks.main import main

    victim = _overlay_files_pointing_elsewhere(project, tmp_path)
    monkeypatch.chdir(project)
    assert main(["generated", "--fix", "datums/banking77/datum.yaml"]) == 1
    assert list(victim.iterdir()) == []
    assert "refused: overlay_files is a symlink" in capsys.readouterr().out


def _seed_with_symlink(tmp_path: Path, secret: Path) -> Path:
    from helpers.repo import BANKING77

    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "tb_meta.json").write_bytes((BANKING77 / "tb_meta.json").read_bytes())
    (seed / "diff.patch").write_bytes((BANKING77 / "diff.patch").read_bytes())
    (seed / "notes.md").symlink_to(secret)
    return seed


def test_import_does_not_follow_symlinks_out_of_the_source(
    tmp_path: Path, project: Path, run_cli: CliRun
) -> None:
    secret = tmp_path / "host-secret.txt"
    secret.write_text("host file\n")
    seed = _seed_with_symlink(tmp_path, secret)
    result = run_cli("import", str(seed), "--name", "imported")
    assert result.exit_code == 1, result.output
    assert "notes.md: is a symlink" in result.output
    assert not (project / "datums" / "imported").exists()


def test_capture_trace_does_not_follow_symlinks(tmp_path: Path) -> None:
    secret = tmp_path / "host.json"
    secret.write_text("{}")
    trace = tmp_path / "trace"
    trace.mkdir()
    (trace / "session_id.txt").write_text("sess_1\n")
    (trace / "session_clean.json").symlink_to(secret)
    with pytest.raises(TraceInvalid, match=r"session_clean\.json: is a symlink"):
        load_trace_dir(trace)


def test_redact_refuses_a_symlink_and_leaves_link_and_target(
    tmp_path: Path, run_cli: CliRun
) -> None:
    target = tmp_path / "real.txt"
    key = "AKIA" + "Z7Q2XJ4K8M3N5P6R"
    target.write_text(f"aws_access_key_id = {key}\n")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    result = run_cli("redact", str(link))
    assert result.exit_code == 2, result.output
    assert "is a symbolic link" in result.output
    assert link.is_symlink()
    assert key in target.read_text()


def test_inside_refuses_dotdot_absolute_and_symlinks(tmp_path: Path) -> None:
    from datumkit.fsio import inside

    (tmp_path / "out").mkdir()
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "link").symlink_to(tmp_path / "out")
    for relative in ("../x", "/etc/passwd", "a/../../x", "link/x", "a\x00b", "", "a//b"):
        with pytest.raises(OutsideRoot):
            inside(tmp_path / "root", relative)
    assert inside(tmp_path / "root", "a/b") == tmp_path / "root" / "a" / "b"


# --- atomic and recoverable -------------------------------------------------------------------


def test_a_failed_generate_keeps_the_previous_files_and_names_the_file(
    project: Path, run_cli: CliRun
) -> None:
    directory = project / "datums" / "banking77"
    before = {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}
    path = _yaml(project)
    path.write_text(path.read_text("utf-8").replace("Re-Bench: banking77", "Re-Bench: bank77"))
    overlay = directory / "overlay_files"
    for file in overlay.iterdir():
        file.unlink()
    overlay.rmdir()
    overlay.write_bytes(b"in the way\n")  # a file where a directory must be: the write fails
    result = run_cli("generate", "banking77")
    assert result.exit_code == 1, result.output
    assert "overlay_files/box_bootstrap.sh: could not be written" in result.output
    after = {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}
    for name in ("Dockerfile", "tb_meta.json", "baseline_sha.txt"):
        assert after[name] == before[name]


def test_capture_refuses_an_untracked_nested_repository(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    run_git(root, "init", "-q")
    write(root, "a.txt", "a\n")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "one")
    nested = root / "vendor" / "lib"
    nested.mkdir(parents=True)
    run_git(nested, "init", "-q")
    write(nested, "code.py", "print('lost')\n")
    run_git(nested, "add", "-A")
    run_git(nested, "commit", "-q", "-m", "inner")
    write(root, "a.txt", "b\n")
    out = tmp_path / "out"
    with pytest.raises(CaptureFailed, match="untracked nested git repository: vendor/lib"):
        capture(CaptureRequest(root, "HEAD", "T"), out)
    assert not out.exists()


def test_mcp_server_answers_malformed_json_rpc(tmp_path: Path) -> None:
    lines = ["not json", '{"foo": 1}', '{"jsonrpc":"2.0","id":7,"method":"ping"}']
    process = subprocess.Popen(
        [str(DATUM_BIN), "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "DATUMKIT_STATE_DIR": str(tmp_path / "state")},
    )
    watchdog = threading.Timer(60, process.kill)  # a hung server fails the test, never CI
    watchdog.start()
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("\n".join(lines) + "\n")
        process.stdin.flush()
        answers = [json.loads(process.stdout.readline()) for _ in lines]
    finally:
        watchdog.cancel()
        if process.stdin is not None:
            process.stdin.close()
        process.wait(timeout=30)
    assert [a.get("error", {}).get("code") for a in answers] == [-32700, -32600, None]
    assert answers[0]["id"] is None and answers[2] == {"jsonrpc": "2.0", "id": 7, "result": {}}


def test_read_capped_refuses_before_reading(tmp_path: Path) -> None:
    from datumkit.bounded import read_capped

    path = tmp_path / "big"
    with open(path, "wb") as handle:
        handle.truncate(10_000)
    with pytest.raises(TooLarge, match="is 10000 bytes, over the 100-byte cap"):
        read_capped(path, 100)
    assert read_capped(path, 10_000) == b"\0" * 10_000


def test_read_capped_reads_past_a_stale_size_and_stops_at_the_cap(tmp_path: Path) -> None:
    """The first read asks for the size fstat gave; a file that grew since is read on, in
    chunks, to its end or to cap + 1 bytes, never more."""
    from datumkit.bounded import _read_up_to

    path = tmp_path / "grown"
    content = bytes(range(256)) * 1000  # 256,000 bytes
    path.write_bytes(content)
    with open(path, "rb", buffering=0) as handle:
        assert _read_up_to(handle.fileno(), len(content) + 1, 10) == content  # fstat said 9 bytes
    with open(path, "rb", buffering=0) as handle:  # the cap's extra byte:
        assert _read_up_to(handle.fileno(), 100_001, 10) == content[:100_001]
    with open(path, "rb", buffering=0) as handle:
        assert _read_up_to(handle.fileno(), 5, 10) == content[:5]
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with open(empty, "rb", buffering=0) as handle:
        assert _read_up_to(handle.fileno(), 101, 1) == b""


def test_a_delta_of_copies_stops_at_its_declared_size() -> None:
    """Each 1-byte copy instruction repeats 64 KiB of the base: 2,000 of them made 131 MB."""
    from datumkit.git.binary import apply_delta

    base = b"x" * 0x10000
    delta = b"\x80\x80\x04" + b"\xe8\x07" + b"\x80" * 2000  # base 65536, target 1000, copies
    tracemalloc.start()
    try:
        with pytest.raises(BinaryPatchError, match="header says 1000"):
            apply_delta(base, delta)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


def test_terminal_output_escapes_control_characters(project: Path, run_cli: CliRun) -> None:
    hostile = project / "datums" / "x\x1b]0;owned\x07"
    hostile.mkdir()
    (hostile / "datum.yaml").write_bytes(_yaml(project).read_bytes())
    result = run_cli("check", "--all")
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "datums/x\\x1b]0;owned\\x07" in result.output


@pytest.mark.parametrize(
    "path",
    [
        *(".git./config", ".GIT /hooks/x", "git~1/config", ".git::$INDEX_ALLOCATION/x"),
        *("a/.git\\x", ".g\u200cit/config", ".gi\ufefft/hooks/pre-commit"),
    ],
)
def test_patch_paths_git_reads_as_dot_git_are_refused(path: str) -> None:
    patch = (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        "@@ -0,0 +1 @@\n+x\n"
    ).encode()
    with pytest.raises(UnsafePath, match="protectNTFS/protectHFS"):
        parse_patch(patch)
