"""What the pre-commit hook process imports: only what the touched datums need.

A commit's hook run is mostly interpreter start-up and imports (benchmarks/precommit.py times
it); these tests pin the structure that keeps it small, never a time. Each runs the hook in a
fresh interpreter and reads its `sys.modules`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("pydantic", "pygit2", "detect_secrets", "ruamel.yaml", "requests", "urllib3")

#: runs the hook's main() with argv[1:] and prints its exit code and which HEAVY it imported
HOOK_PROBE = f"""
import json, sys
from datumkit_hooks.main import main
code = main(sys.argv[1:])
print(json.dumps({{"code": code, "imported": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def run_probe(cwd: Path, *args: str) -> tuple[dict[str, object], str]:
    result = subprocess.run(
        [sys.executable, "-c", HOOK_PROBE, *args], cwd=cwd, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    *printed, last = result.stdout.splitlines()
    outcome: dict[str, object] = json.loads(last)
    return outcome, "\n".join(printed)


def test_a_commit_touching_no_datum_imports_no_library(project: Path) -> None:
    (project / "README.md").write_text("hello\n")
    outcome, printed = run_probe(project, "all", "README.md", "pyproject.toml")
    assert outcome == {"code": 0, "imported": []}
    assert printed == ""


def test_the_schema_hook_imports_neither_git_nor_the_secret_scanner(project: Path) -> None:
    outcome, _ = run_probe(project, "schema", "datums/banking77/datum.yaml")
    assert outcome["code"] == 0
    assert outcome["imported"] == ["pydantic", "ruamel.yaml"]


def test_every_check_runs_without_importing_requests(project: Path) -> None:
    """detect-secrets imports requests only to verify secrets, which datumkit never does."""
    notes = project / "datums/banking77/notes.md"
    key = "AKIA" + "ZQ3DRPXNV7K2HM5T"
    notes.write_text(notes.read_text() + f"\naws_access_key_id = {key}\n")
    (project / "datums/banking77/baseline_sha.txt").write_text("0" * 40 + "\n")

    outcome, printed = run_probe(project, "all", "datums/banking77/notes.md")

    assert outcome["code"] == 1
    assert outcome["imported"] == ["pydantic", "pygit2", "detect_secrets", "ruamel.yaml"]
    assert "datums/banking77/notes.md: line" in printed and "AWS Access Key" in printed
    assert "datums/banking77/baseline_sha.txt: line 1: expected" in printed  # generated ran
    assert key not in printed


DEFERRED_PROBE = """
import sys
from datumkit.secrets.deferred import import_detect_secrets
import_detect_secrets()
assert "requests" not in sys.modules, "requests was imported"
import detect_secrets.plugins.aws as aws
import requests
assert hasattr(requests, "Session"), "import requests gave the stand-in"
# what detect-secrets holds forwards to the real library once used
assert aws.requests.exceptions.RequestException is requests.exceptions.RequestException
assert aws.requests.Response is requests.Response
print("ok")
"""


def test_the_stand_in_for_requests_leaves_and_forwards_to_the_real_library() -> None:
    result = subprocess.run([sys.executable, "-c", DEFERRED_PROBE], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"


ALREADY_PROBE = """
import sys
import requests
from datumkit.secrets.deferred import import_detect_secrets
import_detect_secrets()
import detect_secrets.plugins.aws as aws
assert aws.requests is requests, "an imported requests is used as it is"
print("ok")
"""


def test_an_already_imported_requests_is_used_as_it_is() -> None:
    result = subprocess.run([sys.executable, "-c", ALREADY_PROBE], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"
