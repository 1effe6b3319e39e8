"""The `secrets` check on a datum: what it scans, what it skips, and the reviewed allowlist."""

from __future__ import annotations

import re
from pathlib import Path

from helpers.repo import CliRun

DATUM = "datums/banking77"
KEY = "AKIA" + "ZQ3DRPXNV7K2HM5T"  # split so this file itself is not a finding


def plant(project: Path, relative: str, text: str) -> int:
    """Append `text` to a datum file; return its line number."""
    path = project / DATUM / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    before = path.read_text() if path.exists() else ""
    path.write_text(before + text + "\n")
    return before.count("\n") + 1


def finding_hash(output: str) -> str:
    match = re.search(r"add `([0-9a-f]{40}) ", output)
    assert match, output
    return match.group(1)


def test_clean_datum_passes(run_cli: CliRun) -> None:
    assert run_cli("check", "banking77", "--only", "secrets").exit_code == 0


def test_credential_in_a_trace_names_file_and_line_never_the_secret(
    project: Path, run_cli: CliRun
) -> None:
    (project / DATUM / "trace").mkdir()
    (project / DATUM / "trace/session_id.txt").write_text("s-1\n")
    line = plant(
        project, "trace/session_clean.json", '{"env": {"AWS_ACCESS_KEY_ID": "' + KEY + '"}}'
    )
    result = run_cli("check", "banking77", "--only", "secrets")
    assert result.exit_code == 1
    assert f"{DATUM}/trace/session_clean.json: line {line}: AWS Access Key (hash " in result.output
    assert KEY not in result.output


def test_only_added_patch_lines_count(project: Path, run_cli: CliRun) -> None:
    patch = project / DATUM / "diff.patch"
    text = patch.read_text()
    # the context line becomes a removed and an added line: the hunk's counts stay right
    removed = text.replace(
        " from __future__ import annotations\n",
        f"-token = '{KEY}'\n+from __future__ import annotations\n",
        1,
    )
    patch.write_text(removed)
    assert "AWS" not in run_cli("check", "banking77", "--only", "secrets").output
    added = text.replace(" from __future__ import annotations\n", f"+token = '{KEY}'\n", 1)
    patch.write_text(added)
    result = run_cli("check", "banking77", "--only", "secrets")
    assert result.exit_code == 1
    assert f"{DATUM}/diff.patch: line " in result.output


def test_generated_files_and_shas_are_not_findings(project: Path, run_cli: CliRun) -> None:
    """datum.lock, baseline_sha.txt and the patch's index lines are full of hex ids."""
    lock = (project / DATUM / "datum.lock").read_text()
    assert re.search(r"[0-9a-f]{40}", lock)
    assert run_cli("check", "banking77", "--only", "secrets").exit_code == 0


def test_allowlist_accepts_a_reviewed_false_positive(project: Path, run_cli: CliRun) -> None:
    plant(project, "notes.md", f"example key from the AWS docs: {KEY}")
    first = run_cli("check", "banking77", "--only", "secrets")
    assert first.exit_code == 1
    hashed = finding_hash(first.output)
    (project / DATUM / "secrets.allowlist").write_text(f"{hashed} notes.md # the AWS docs' key\n")
    assert run_cli("check", "banking77", "--only", "secrets").exit_code == 0
    # the same credential in another file is not covered by that entry
    plant(project, "trace/session_clean.json", '{"key": "' + KEY + '"}')
    assert run_cli("check", "banking77", "--only", "secrets").exit_code == 1


def test_allowlist_entry_needs_a_reason(project: Path, run_cli: CliRun) -> None:
    plant(project, "notes.md", f"key: {KEY}")
    hashed = finding_hash(run_cli("check", "banking77", "--only", "secrets").output)
    (project / DATUM / "secrets.allowlist").write_text(f"# reviewed\n{hashed} notes.md\n")
    result = run_cli("check", "banking77", "--only", "secrets")
    assert result.exit_code == 1
    assert f"{DATUM}/secrets.allowlist: line 2: entry has no reason" in result.output


def test_stale_allowlist_entry_is_a_warning(project: Path, run_cli: CliRun) -> None:
    (project / DATUM / "secrets.allowlist").write_text(f"{'a' * 40} notes.md # old fixture\n")
    result = run_cli("check", "banking77", "--only", "secrets")
    assert result.exit_code == 0
    assert "secrets.allowlist: line 1: allows a secret that is no longer there" in result.output


def test_secrets_are_found_even_when_datum_yaml_is_invalid(project: Path, run_cli: CliRun) -> None:
    path = project / DATUM / "datum.yaml"
    path.write_text(path.read_text().replace("level: safe", "level: public"))
    plant(project, "notes.md", f"key: {KEY}")
    result = run_cli("check", "banking77", "--only", "secrets")
    assert result.exit_code == 1
    assert "AWS Access Key" in result.output
    assert "sensitivity.level" not in result.output
