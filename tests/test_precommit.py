"""Real `pre-commit run` and `git commit` in temporary datum repositories, with datumkit's hooks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.repo import BANKING77, BANKING77_URL, REPO_ROOT, git, write_pyproject

BIN = Path(sys.executable).parent
PRE_COMMIT = BIN / "pre-commit"
HOOK = BIN / "datum-hook"
MANIFEST = REPO_ROOT / ".pre-commit-hooks.yaml"
HOOK_IDS = ("datum-schema", "datum-generated", "datum-patch", "datum-secrets", "datum-leaks")


def manifest_filters(hook_id: str) -> list[str]:
    """The file filters `.pre-commit-hooks.yaml` gives `hook_id`, as config lines: the tests'
    local hooks select the files the published hooks select."""
    from ruamel.yaml import YAML

    (hook,) = [h for h in YAML(typ="safe").load(MANIFEST.read_text()) if h["id"] == hook_id]
    keys = ("files", "exclude", "types", "types_or", "exclude_types", "require_serial")
    return [f"        {key}: {json.dumps(hook[key])}" for key in keys if key in hook]


def hooks_config(fix: bool) -> str:
    """This checkout's hooks as `repo: local`, run from the test's own venv (no installs)."""
    lines = ["repos:", "  - repo: local", "    hooks:"]
    for hook_id in HOOK_IDS:
        name = hook_id.removeprefix("datum-")
        extra = " --fix" if fix and name == "generated" else ""
        lines += [
            f"      - id: {hook_id}",
            f"        name: {hook_id}",
            f"        entry: {HOOK} {name}{extra}",
            "        language: unsupported",
            *manifest_filters(hook_id),
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def datum_repo(tmp_path: Path, banking77_upstream: Path) -> Path:
    """A git repository of datums with the banking77 datum committed and hooks configured."""
    root = tmp_path / "datums-repo"
    (root / "datums").mkdir(parents=True)
    shutil.copytree(BANKING77, root / "datums/banking77")
    write_pyproject(root, {BANKING77_URL: banking77_upstream})
    (root / ".pre-commit-config.yaml").write_text(hooks_config(fix=True))
    git(tmp_path, "init", "-q", str(root))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "datums")
    return root


def pre_commit(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(root.parent / "pre-commit-home")}
    return subprocess.run(
        [str(PRE_COMMIT), *args], cwd=root, env=env, capture_output=True, text=True
    )


def datum_files(root: Path) -> list[str]:
    return [
        p.relative_to(root).as_posix()
        for p in (root / "datums/banking77").rglob("*")
        if p.is_file()
    ]


def test_passing_datum(datum_repo: Path) -> None:
    result = pre_commit(datum_repo, "run", "--files", *datum_files(datum_repo))
    assert result.returncode == 0, result.stdout
    for hook_id in HOOK_IDS:
        assert f"{hook_id}" in result.stdout
    assert "Failed" not in result.stdout


def test_bad_schema_fails_the_schema_hook_only(datum_repo: Path) -> None:
    path = datum_repo / "datums/banking77/datum.yaml"
    path.write_text(path.read_text().replace("level: safe", "level: public"))
    result = pre_commit(datum_repo, "run", "--files", "datums/banking77/datum.yaml")
    assert result.returncode == 1
    assert "datums/banking77/datum.yaml: sensitivity.level: Input should be" in result.stdout
    schema_section = result.stdout.split("datum-generated")[0]
    assert "Failed" in schema_section
    assert result.stdout.count("Failed") == 1, "other hooks skip an invalid datum"


def test_stale_generated_file_is_rewritten_then_the_commit_passes(datum_repo: Path) -> None:
    assert pre_commit(datum_repo, "install").returncode == 0
    path = datum_repo / "datums/banking77/datum.yaml"
    path.write_text(path.read_text().replace('title: "Re-Bench:', 'title: "Re-Bench (v2):'))
    git(datum_repo, "add", "datums/banking77/datum.yaml")
    env = {**os.environ, "PRE_COMMIT_HOME": str(datum_repo.parent / "pre-commit-home")}
    first = subprocess.run(
        ["git", "commit", "-m", "retitle"], cwd=datum_repo, env=env, capture_output=True, text=True
    )
    assert first.returncode != 0
    assert "rewrote datums/banking77/tb_meta.json" in first.stdout + first.stderr
    assert "(v2)" in (datum_repo / "datums/banking77/tb_meta.json").read_text()
    git(datum_repo, "add", "-A")
    second = subprocess.run(
        ["git", "commit", "-m", "retitle"], cwd=datum_repo, env=env, capture_output=True, text=True
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert git(datum_repo, "status", "--porcelain") == ""


def test_a_changed_patch_gets_its_lock_rewritten_by_fix(datum_repo: Path) -> None:
    patch = datum_repo / "datums/banking77/diff.patch"
    text = patch.read_text()
    assert "+| keyword rules (baseline) | 0.4167 |\n" in text
    patch.write_text(
        text.replace("+| keyword rules (baseline) | 0.4167 |\n", "+| keywords | 0.42 |\n")
    )
    first = pre_commit(datum_repo, "run", "--files", "datums/banking77/diff.patch")
    assert first.returncode == 1
    assert "rewrote datums/banking77/datum.lock" in first.stdout
    git(datum_repo, "add", "-A")
    second = pre_commit(datum_repo, "run", "--files", *datum_files(datum_repo))
    assert second.returncode == 0, second.stdout


def test_stale_generated_file_without_fix_fails(datum_repo: Path) -> None:
    (datum_repo / ".pre-commit-config.yaml").write_text(hooks_config(fix=False))
    (datum_repo / "datums/banking77/baseline_sha.txt").write_text("0" * 40 + "\n")
    result = pre_commit(datum_repo, "run", "--files", "datums/banking77/baseline_sha.txt")
    assert result.returncode == 1
    assert "datums/banking77/baseline_sha.txt: line 1: expected" in result.stdout
    assert (datum_repo / "datums/banking77/baseline_sha.txt").read_text() == "0" * 40 + "\n"


def test_patch_that_no_longer_applies(datum_repo: Path) -> None:
    path = datum_repo / "datums/banking77/diff.patch"
    path.write_text(
        path.read_text().replace(" from __future__ import annotations\n", " import os\n")
    )
    result = pre_commit(datum_repo, "run", "--files", "datums/banking77/diff.patch")
    assert result.returncode == 1
    assert (
        "datums/banking77/diff.patch: banking77/classifier.py: @@ -1,31 +1,58 @@" in result.stdout
    )


def test_planted_credential(datum_repo: Path) -> None:
    notes = datum_repo / "datums/banking77/notes.md"
    key = "AKIA" + "ZQ3DRPXNV7K2HM5T"
    notes.write_text(notes.read_text() + f"\naws_access_key_id = {key}\n")
    line = notes.read_text().splitlines().index(f"aws_access_key_id = {key}") + 1
    result = pre_commit(datum_repo, "run", "--files", "datums/banking77/notes.md")
    assert result.returncode == 1
    assert f"datums/banking77/notes.md: line {line}: AWS Access Key (hash " in result.stdout
    assert key not in result.stdout, "a finding never prints the secret"


def test_planted_leak_fails_the_leaks_hook(datum_repo: Path) -> None:
    yaml = datum_repo / "datums/banking77/datum.yaml"
    answer = "self.priors = {label: math.log(n / len(examples)) for label, n in labels.items()}"
    yaml.write_text(
        yaml.read_text().replace(
            "    behaviour, and record", f"    behaviour ({answer}), and record"
        )
    )
    line = next(n for n, text in enumerate(yaml.read_text().splitlines(), 1) if answer in text)
    git(datum_repo, "add", "-A")
    result = pre_commit(datum_repo, "run", "--files", "datums/banking77/datum.yaml")
    assert result.returncode == 1
    leaks_section = result.stdout.partition("datum-leaks")[2]
    assert "Failed" in leaks_section
    assert (
        f"datums/banking77/datum.yaml: line {line} (lm.instructions): quotes the solution"
        in leaks_section
    )


def test_files_outside_datums_are_ignored(datum_repo: Path) -> None:
    (datum_repo / "README.md").write_text("hello\n")
    result = pre_commit(datum_repo, "run", "--files", "README.md")
    assert result.returncode == 0
    assert "(no files to check)Skipped" in result.stdout


def test_manifest_is_valid_for_other_repositories() -> None:
    result = subprocess.run(
        [str(PRE_COMMIT), "validate-manifest", str(MANIFEST)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def one_hook_config(fix: bool) -> str:
    """The `datum-check` hook alone: every check of the changed datums in one process."""
    lines = [
        "repos:",
        "  - repo: local",
        "    hooks:",
        "      - id: datum-check",
        "        name: datum-check",
        f"        entry: {HOOK} all{' --fix' if fix else ''}",
        "        language: unsupported",
        *manifest_filters("datum-check"),
    ]
    return "\n".join(lines) + "\n"


def test_the_one_process_hook_passes_a_good_datum(datum_repo: Path) -> None:
    (datum_repo / ".pre-commit-config.yaml").write_text(one_hook_config(fix=False))
    result = pre_commit(datum_repo, "run", "--files", *datum_files(datum_repo))
    assert result.returncode == 0, result.stdout
    assert "datum-check" in result.stdout and "Passed" in result.stdout


def test_the_one_process_hook_reports_every_check_at_once(datum_repo: Path) -> None:
    (datum_repo / ".pre-commit-config.yaml").write_text(one_hook_config(fix=False))
    notes = datum_repo / "datums/banking77/notes.md"
    key = "AKIA" + "ZQ3DRPXNV7K2HM5T"
    notes.write_text(notes.read_text() + f"\naws_access_key_id = {key}\n")
    patch = datum_repo / "datums/banking77/diff.patch"
    patch.write_text(
        patch.read_text().replace(" from __future__ import annotations\n", " import os\n")
    )
    (datum_repo / "datums/banking77/baseline_sha.txt").write_text("0" * 40 + "\n")

    result = pre_commit(datum_repo, "run", "--files", *datum_files(datum_repo))

    assert result.returncode == 1
    assert "datums/banking77/notes.md: line" in result.stdout  # secrets
    assert "datums/banking77/diff.patch: banking77/classifier.py: @@" in result.stdout  # patch
    assert "datums/banking77/baseline_sha.txt: line 1: expected" in result.stdout  # generated
    assert key not in result.stdout


def test_the_one_process_hook_reports_an_invalid_datum_once(datum_repo: Path) -> None:
    (datum_repo / ".pre-commit-config.yaml").write_text(one_hook_config(fix=True))
    path = datum_repo / "datums/banking77/datum.yaml"
    path.write_text(path.read_text().replace("level: safe", "level: public"))
    result = pre_commit(datum_repo, "run", "--files", "datums/banking77/datum.yaml")
    assert result.returncode == 1
    assert result.stdout.count("sensitivity.level: Input should be") == 1
    assert "rewrote" not in result.stdout


def test_the_one_process_hook_fixes_generated_files(datum_repo: Path) -> None:
    (datum_repo / ".pre-commit-config.yaml").write_text(one_hook_config(fix=True))
    (datum_repo / "datums/banking77/baseline_sha.txt").write_text("0" * 40 + "\n")
    first = pre_commit(datum_repo, "run", "--files", "datums/banking77/baseline_sha.txt")
    assert first.returncode == 1
    assert "rewrote datums/banking77/baseline_sha.txt" in first.stdout
    second = pre_commit(datum_repo, "run", "--files", *datum_files(datum_repo))
    assert second.returncode == 0, second.stdout


def test_manifest_offers_the_one_process_hook() -> None:
    manifest = MANIFEST.read_text()
    assert "- id: datum-check\n" in manifest
    assert "  entry: datum-hook all\n" in manifest
    for hook_id in HOOK_IDS:
        assert f"- id: {hook_id}\n" in manifest  # the single-check ids keep working


SCAFFOLD_CONFIG = REPO_ROOT / "tooling/datumkit/generate/templates/init/pre-commit-config.yaml"


def scaffold_settings_with_local_hook() -> str:
    """`datum init`'s .pre-commit-config.yaml with its own top-level settings (minimum version,
    any exclude) and its hook list swapped for this checkout's datum-check (no clone of a tag)."""
    settings, _ = SCAFFOLD_CONFIG.read_text().split("\nrepos:\n")
    return settings + "\n" + one_hook_config(fix=False)


@pytest.mark.parametrize(
    ("relative", "content", "expected"),
    [
        (
            "diff.patch",
            "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n",
            "datums/banking77/diff.patch: x: ",
        ),
        (
            "trace/session.jsonl",
            '{"tool": "bash", "output": "aws_access_key_id = AKIA' + 'ZQ3DRPXNV7K2HM5T"}\n',
            "datums/banking77/trace/session.jsonl: line 1",
        ),
    ],
)
def test_a_commit_changing_only_the_patch_or_a_trace_is_checked(
    datum_repo: Path, relative: str, content: str, expected: str
) -> None:
    """The scaffold once excluded diff.patch and trace/ for every hook: a commit changing only
    those (a patch that no longer applies, a trace with a credential) ran no check at all."""
    (datum_repo / ".pre-commit-config.yaml").write_text(scaffold_settings_with_local_hook())
    path = datum_repo / "datums/banking77" / relative
    path.parent.mkdir(exist_ok=True)
    with path.open("a") as handle:
        handle.write(content)
    git(datum_repo, "add", "-A")

    result = pre_commit(datum_repo, "run")  # what `git commit` runs: the staged files

    assert result.returncode == 1, result.stdout
    assert "(no files to check)" not in result.stdout
    assert expected in result.stdout


def _hooks_of(config: Path) -> tuple[str, list[dict[str, object]]]:
    from ruamel.yaml import YAML

    document = YAML(typ="safe").load(config.read_text())
    hooks = [hook for repo in document["repos"] for hook in repo["hooks"]]
    return str(document.get("exclude", "^$")), hooks


def _selects(top_exclude: str, hook: dict[str, object], path: str) -> bool:
    """pre-commit's file selection: `files` and `exclude` are regexes searched in the path."""
    import re

    return (
        re.search(str(hook.get("files", "")), path) is not None
        and re.search(top_exclude, path) is None
        and re.search(str(hook.get("exclude", "^$")), path) is None
    )


def test_this_repositorys_own_hooks_check_patches_and_traces_and_never_rewrite_them() -> None:
    top_exclude, hooks = _hooks_of(REPO_ROOT / ".pre-commit-config.yaml")
    solution = ("datums/banking77/diff.patch", "datums/banking77/trace/session.jsonl")
    datum_hooks = [hook for hook in hooks if "datum-hook" in str(hook["entry"])]
    rewriting = [h for h in hooks if h["id"] in ("end-of-file-fixer", "trailing-whitespace")]
    assert datum_hooks and len(rewriting) == 2
    for path in solution:
        assert all(_selects(top_exclude, hook, path) for hook in datum_hooks), path
        assert not any(_selects(top_exclude, hook, path) for hook in rewriting), path
        # other files of a datum still get the hygiene hooks
        assert all(_selects(top_exclude, h, "datums/banking77/notes.md") for h in rewriting)


@pytest.mark.parametrize("one_process", [True, False])
def test_a_commit_adding_only_a_symlink_to_a_datum_is_checked(
    datum_repo: Path, one_process: bool
) -> None:
    """pre-commit's hooks run on regular files unless told otherwise, and a path was mapped to
    its datum after following the link: a commit adding only `overlay_files/evil ->
    /etc/passwd` ran no check."""
    config = one_hook_config(fix=False) if one_process else hooks_config(fix=False)
    (datum_repo / ".pre-commit-config.yaml").write_text(config)
    (datum_repo / "datums/banking77/overlay_files/evil").symlink_to("/etc/passwd")
    git(datum_repo, "add", "-A")

    result = pre_commit(datum_repo, "run")

    assert result.returncode == 1, result.stdout
    assert "datums/banking77/overlay_files/evil: not generated by datumkit" in result.stdout
