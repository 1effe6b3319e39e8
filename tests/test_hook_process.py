"""The pre-commit hook's process: what it imports, and its checks split over two processes.

A commit's hook run is mostly interpreter start-up and imports (benchmarks/precommit.py times
it); these tests pin the structure that keeps it small, never a time. Each runs the hook in a
fresh interpreter and reads its `sys.modules`, or compares the split run with the plain one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from datumkit_hooks import split

HEAVY = ("pydantic", "pygit2", "detect_secrets", "ruamel.yaml", "requests", "urllib3")

#: runs the hook's main() with argv[1:] and prints its exit code and which HEAVY it imported;
#: DATUMKIT_TEST_SPLIT=never|always decides the split instead of the machine's load
HOOK_PROBE = f"""
import json, os, sys
from datumkit_hooks import split
decided = {{"never": False, "always": True}}.get(os.environ.get("DATUMKIT_TEST_SPLIT", ""))
if decided is not None:
    split.can_split = lambda names, **kw: decided and 0 < len(names) < 8
from datumkit_hooks.main import main
code = main(sys.argv[1:])
print(json.dumps({{"code": code, "imported": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def run_probe(cwd: Path, *args: str, split_run: str = "") -> tuple[dict[str, object], str]:
    env = {**os.environ, "DATUMKIT_TEST_SPLIT": split_run}
    result = subprocess.run(
        [sys.executable, "-c", HOOK_PROBE, *args], cwd=cwd, capture_output=True, text=True, env=env
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


@pytest.mark.parametrize("split_run", ["never", "always"])
def test_every_check_runs_without_importing_requests(project: Path, split_run: str) -> None:
    """detect-secrets imports requests only to verify secrets, which datumkit never does.

    Split, the parent imports neither detect-secrets nor pygit2: the child scans for secrets
    and applies the patch, whose result the patch and leaks checks use here."""
    notes = project / "datums/banking77/notes.md"
    key = "AKIA" + "ZQ3DRPXNV7K2HM5T"
    notes.write_text(notes.read_text() + f"\naws_access_key_id = {key}\n")
    (project / "datums/banking77/baseline_sha.txt").write_text("0" * 40 + "\n")

    outcome, printed = run_probe(project, "all", "datums/banking77/notes.md", split_run=split_run)

    assert outcome["code"] == 1
    imported = outcome["imported"]
    assert isinstance(imported, list)
    assert "requests" not in imported and "urllib3" not in imported
    if split_run == "never":
        assert {"pydantic", "pygit2", "detect_secrets", "ruamel.yaml"} <= set(imported)
    else:
        assert sorted(imported) == ["pydantic", "ruamel.yaml"]
    assert "datums/banking77/notes.md: line" in printed and "AWS Access Key" in printed
    assert "datums/banking77/baseline_sha.txt: line 1: expected" in printed  # generated ran
    assert key not in printed


def test_the_command_leaving_without_teardown_still_flushes_and_exits_with_the_code(
    project: Path,
) -> None:
    """`datum-hook` ends with os._exit after main(): its findings still reach a pipe, its exit
    code is main's, and a usage error still exits 2 with argparse's message."""
    command = [sys.executable, "-m", "datumkit_hooks.main", "all", "datums/banking77/notes.md"]

    def hook(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command[:3], *args], cwd=project, capture_output=True, text=True)

    passed = hook(*command[3:])
    assert (passed.returncode, passed.stdout, passed.stderr) == (0, "", "")
    (project / "datums/banking77/baseline_sha.txt").write_text("0" * 40 + "\n")
    failed = hook(*command[3:])
    assert failed.returncode == 1
    assert "datums/banking77/baseline_sha.txt: line 1: expected" in failed.stdout
    usage = hook("nonsense")
    assert usage.returncode == 2 and "invalid choice" in usage.stderr


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
    _assert_probe_prints_ok(DEFERRED_PROBE)


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
    _assert_probe_prints_ok(ALREADY_PROBE)


SPLIT_PROBE = """
import json, sys
from pathlib import Path
from datumkit.checks.runner import check_many
from datumkit.model.project import Project
from datumkit_hooks.split import check_split
context = Project(root=Path.cwd())
names = sys.argv[1:]
def plain(reports):
    return [[r.name, list(r.checks_run), [list(vars(f).values()) for f in r.findings]]
            for r in reports]
split = plain(check_split(context, names))
alone = plain(check_many(context, names))
print(json.dumps({"split": split, "alone": alone}))
"""


def split_and_alone(project: Path, *names: str) -> tuple[list[object], list[object]]:
    result = subprocess.run(
        [sys.executable, "-c", SPLIT_PROBE, *names], cwd=project, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    both = json.loads(result.stdout)
    return both["split"], both["alone"]


def test_the_split_run_reports_what_one_process_reports(project: Path) -> None:
    """Findings of every check, from both halves, in the checks' order, for two datums."""
    shutil.copytree(project / "datums/banking77", project / "datums/second")
    notes = project / "datums/banking77/notes.md"
    notes.write_text(notes.read_text() + "\naws_access_key_id = AKIA" + "ZQ3DRPXNV7K2HM5T\n")
    patch = project / "datums/banking77/diff.patch"
    patch.write_text(
        patch.read_text().replace(" from __future__ import annotations\n", " import os\n")
    )
    (project / "datums/banking77/baseline_sha.txt").write_text("0" * 40 + "\n")

    split, alone = split_and_alone(project, "banking77", "second")

    assert split == alone
    checks = [finding[0] for finding in alone[0][2]]  # type: ignore[index]
    assert {"generated", "patch", "secrets"} <= set(checks)
    assert alone[0][1] == ["schema", "generated", "patch", "secrets", "leaks", "verified"]  # type: ignore[index]


def test_the_split_run_reports_an_invalid_datum_once(project: Path) -> None:
    path = project / "datums/banking77/datum.yaml"
    path.write_text(path.read_text().replace("level: safe", "level: public"))
    split, alone = split_and_alone(project, "banking77")
    assert split == alone
    assert [finding[0] for finding in alone[0][2]] == ["schema"]  # type: ignore[index]


def test_the_split_run_reports_an_invalid_and_a_valid_datum_as_alone(project: Path) -> None:
    """The first datum does not validate, the second does: the model is built on the second."""
    shutil.copytree(project / "datums/banking77", project / "datums/second")
    path = project / "datums/second/datum.yaml"
    path.write_text(path.read_text().replace("level: safe", "level: public"))
    notes = project / "datums/banking77/notes.md"
    notes.write_text(notes.read_text() + "\naws_access_key_id = AKIA" + "ZQ3DRPXNV7K2HM5T\n")
    split, alone = split_and_alone(project, "second", "banking77")
    assert split == alone
    assert {finding[0] for finding in alone[0][2]} == {"schema"}  # type: ignore[index]
    assert "secrets" in [finding[0] for finding in alone[1][2]]  # type: ignore[index]


def test_the_split_run_reports_a_broken_datum_yaml_once(project: Path) -> None:
    """The child reads datum.yaml before anything validates it: a file that is not YAML, or
    whose upstream is not a string, is left to the schema check, reported once from here."""
    path = project / "datums/banking77/datum.yaml"
    text = path.read_text()
    path.write_text(text.replace("repo:", "repo: [unclosed", 1))
    split, alone = split_and_alone(project, "banking77")
    assert split == alone
    assert [finding[0] for finding in alone[0][2]] == ["schema"]  # type: ignore[index]

    path.write_text(text.replace("  git_url:", "  git_url: [1, 2]\n  old_git_url:", 1))
    split, alone = split_and_alone(project, "banking77")
    assert split == alone
    assert alone[0][2] and {finding[0] for finding in alone[0][2]} == {"schema"}  # type: ignore[index]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("git_url", '"../../../../tmp/x\\n$(touch pwned)"'),
        ("git_url", '"file:///etc"'),
        ("git_url", '"https://example.invalid/a/../../b.git; touch pwned"'),
        ("start_commit_sha", '"HEAD~1"'),
        ("start_commit_sha", '"$(touch pwned)"'),
    ],
)
def test_the_child_applies_nothing_for_hostile_upstream_values(
    project: Path, field: str, value: str
) -> None:
    """The child reads repo.git_url and repo.start_commit_sha before validation: a hostile
    value opens nothing outside the mirrors, runs nothing, and reports exactly as alone."""
    path = project / "datums/banking77/datum.yaml"
    lines = path.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith(f"  {field}:"))
    lines[at] = f"  {field}: {value}\n"
    path.write_text("".join(lines))
    split, alone = split_and_alone(project, "banking77")
    assert split == alone
    assert alone[0][2]  # type: ignore[index]
    assert not list(project.rglob("pwned")) and not Path("pwned").exists()


def test_a_patch_applied_elsewhere_is_used_only_for_the_same_inputs(project: Path) -> None:
    """What the child sends is keyed by mirror, upstream, baseline and the patch's bytes."""
    import dataclasses

    from datumkit.model.applied import apply_datum_patch, clear_mirror_cache, remember_applied
    from datumkit.model.project import Project

    context = Project(root=project)
    source, locator = context.load("banking77"), context.locator()
    repo = source.datum.repo
    assert source.patch is not None
    try:
        real = apply_datum_patch(dataclasses.replace(source), locator)
        fake = dataclasses.replace(real, lines_added=real.lines_added + 1000)
        remember_applied(locator, repo.git_url, repo.start_commit_sha, source.patch + b" ", fake)
        remember_applied(locator, repo.git_url, "0" * 40, source.patch, fake)
        assert apply_datum_patch(dataclasses.replace(source), locator) == real
        remember_applied(locator, repo.git_url, repo.start_commit_sha, source.patch, fake)
        assert apply_datum_patch(dataclasses.replace(source), locator) is fake
    finally:
        clear_mirror_cache()


def test_the_object_type_numbers_written_out_are_libgit2s() -> None:
    import pygit2

    from datumkit.git.tree import _TYPE_NAMES

    assert _TYPE_NAMES == {
        pygit2.GIT_OBJECT_BLOB: "blob",
        pygit2.GIT_OBJECT_TREE: "tree",
        pygit2.GIT_OBJECT_COMMIT: "commit",
        pygit2.GIT_OBJECT_TAG: "tag",
    }


PLUGIN_PROBE = """
import os, sys
from datumkit_hooks import main
os.environ["PYDANTIC_DISABLE_PLUGINS"] = sys.argv[1]
main._skip_plugin_loader()
from pydantic import BaseModel
class Model(BaseModel):
    value: int
assert Model.model_validate({"value": 1}).value == 1  # the validator was built
from pydantic.plugin._loader import get_plugins
print(list(get_plugins()), "importlib.metadata" in sys.modules)
from pydantic.plugin._loader import PYDANTIC_ENTRY_POINT_GROUP  # not stood in for: the real one
print(PYDANTIC_ENTRY_POINT_GROUP)
"""


@pytest.mark.parametrize("value", ["__all__", "some_plugin"])
def test_the_plugin_loader_stand_in_only_when_every_plugin_is_disabled(value: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PLUGIN_PROBE, value], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert first == ("[] False" if value == "__all__" else "[] True")
    assert second == "pydantic"


STUCK_CHILD_PROBE = """
import json, os, sys, time
from pathlib import Path
from datumkit.model.project import Project
from datumkit_hooks import split
def stuck(context, names, write_end):  # a child busy for an hour (a huge patch, say)
    time.sleep(3600)
    os._exit(0)
split._child = stuck
reports = split.check_split(Project(root=Path.cwd()), ["banking77"])
print(json.dumps([[r.name, list(r.checks_run), [f.check for f in r.findings]] for r in reports]))
"""


def test_an_invalid_datum_does_not_wait_for_the_child(project: Path) -> None:
    """Nothing of the child's is reported for a datum.yaml that does not validate, so the
    hook ends it instead of waiting (the timeout only keeps a regression from hanging)."""
    path = project / "datums/banking77/datum.yaml"
    path.write_text(path.read_text().replace("level: safe", "level: public"))
    result = subprocess.run(
        [sys.executable, "-c", STUCK_CHILD_PROBE],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [["banking77", ["schema"], ["schema"]]]


FAILED_CHILD_PROBE = """
import json, os, sys
from pathlib import Path
from datumkit.model.project import Project
from datumkit_hooks import split
split._child = lambda *args: os._exit(3)  # a child that dies before sending anything
reports = split.check_split(Project(root=Path.cwd()), ["banking77"])
print(json.dumps([[r.name, list(r.checks_run), [f.check for f in r.findings]] for r in reports]))
"""


def test_a_failed_child_has_its_checks_run_here(project: Path) -> None:
    (project / "datums/banking77/baseline_sha.txt").write_text("0" * 40 + "\n")
    patch = project / "datums/banking77/diff.patch"
    patch.write_text(
        patch.read_text().replace(" from __future__ import annotations\n", " import os\n")
    )
    result = subprocess.run(
        [sys.executable, "-c", FAILED_CHILD_PROBE], cwd=project, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    [[name, ran, checks]] = json.loads(result.stdout)
    assert name == "banking77"
    assert ran == ["schema", "generated", "patch", "secrets", "leaks", "verified"]
    assert "generated" in checks and "patch" in checks


def test_the_split_needs_a_second_core_and_a_few_datums() -> None:
    forks = sys.platform != "darwin"
    assert split.can_split(["a"], cores=2, load=0.4) is forks
    assert split.can_split(["a", "b"], cores=8, load=6.5) is forks
    assert split.can_split(["a"], cores=2, load=1.5) is forks  # two processes still get more
    assert not split.can_split(["a"], cores=2, load=3.0)  # a core's worth of load beyond them
    assert not split.can_split(["a"], cores=1, load=0.0)
    assert not split.can_split([], cores=2, load=0.0)
    assert not split.can_split([f"d{n}" for n in range(8)], cores=8, load=0.0)  # the pool's job


def _assert_probe_prints_ok(probe: str) -> None:
    """Run `probe` in a fresh interpreter (imports start empty) and expect it to print ok."""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"
