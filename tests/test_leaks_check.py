"""The `leaks` check: planted leaks of the solution are found with file and line; quotes of the
baseline, and reviewed exceptions, are not findings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from helpers.repo import CliRun

DATUM = "datums/banking77"
#: an added line of banking77's diff.patch (the solution), >= 30 non-blank characters
ANSWER = 'return words + [f"{a}_{b}" for a, b in zip(words, words[1:])]'
ANSWER_HASH_INPUT = ANSWER.encode()


def leaks(run_cli: CliRun) -> list[dict[str, Any]]:
    result = run_cli("check", "banking77", "--json")
    report = json.loads(result.output)
    return [f for f in report["datums"][0]["findings"] if f["check"] == "leaks"]


def _insert_after(path: Path, anchor: str, text: str) -> int:
    """Insert `text` (one line) after the line containing `anchor`; return its line number."""
    lines = path.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if anchor in line)
    lines.insert(index + 1, text + "\n")
    path.write_text("".join(lines))
    return index + 2


def test_the_example_has_no_leak(run_cli: CliRun) -> None:
    assert leaks(run_cli) == []


def test_a_quote_in_the_instructions_is_found_with_file_and_line(
    project: Path, run_cli: CliRun
) -> None:
    yaml = project / DATUM / "datum.yaml"
    line = _insert_after(yaml, "record the before/after accuracy", f"    Hint: {ANSWER}")
    found = leaks(run_cli)
    assert [(f["file"], f["location"]) for f in found] == [
        (f"{DATUM}/datum.yaml", f"line {line} (lm.instructions)")
    ]
    assert "quotes the solution: diff.patch adds" in found[0]["message"]
    assert "banking77/classifier.py line" in found[0]["message"]
    text = run_cli("check", "banking77").output
    assert f"{DATUM}/datum.yaml: line {line} (lm.instructions): quotes the solution" in text


def test_a_quote_in_a_rubric_is_found(project: Path, run_cli: CliRun) -> None:
    yaml = project / DATUM / "datum.yaml"
    line = _insert_after(yaml, "No third-party packages are imported", f"        - '{ANSWER}'")
    found = leaks(run_cli)
    assert [f["location"] for f in found] == [
        f"line {line} (evaluation.rubrics[1].evaluation_criteria[2])"
    ]


def _add_extra(project: Path, run_cli: CliRun, name: str, content: bytes) -> None:
    (project / DATUM / "overlay_src").mkdir(exist_ok=True)
    (project / DATUM / "overlay_src" / name).write_bytes(content)
    result = run_cli("set", "banking77", "overlay_extras", f"[overlay_src/{name}]", "--yaml")
    assert result.exit_code == 0, result.output
    assert run_cli("generate", "banking77").exit_code == 0


def test_a_quote_in_an_overlay_file_is_found_with_file_and_line(
    project: Path, run_cli: CliRun
) -> None:
    _add_extra(project, run_cli, "hints.md", f"# Hints\n\nTry this:\n    {ANSWER}\n".encode())
    found = leaks(run_cli)
    assert [(f["file"], f["location"]) for f in found] == [
        (f"{DATUM}/overlay_src/hints.md", "line 4")
    ]


def test_an_overlay_file_that_is_a_patched_file_is_found(project: Path, run_cli: CliRun) -> None:
    """The patched classifier.py shipped as an overlay extra: the whole answer."""
    from datumkit.git.apply import apply_patch_in_memory
    from datumkit.git.tree import iter_tree_files
    from datumkit.model.datumdir import load_from_disk
    from datumkit.model.project import Project

    source = load_from_disk(project, "banking77")
    locator = Project(root=project).locator()
    from datumkit.model.applied import datum_mirror

    mirror = datum_mirror(source, locator)
    assert source.patch is not None
    result = apply_patch_in_memory(mirror, source.datum.repo.start_commit_sha, source.patch)
    patched = {f.path: f.data for f in iter_tree_files(mirror, result.patched_tree, result.objects)}
    _add_extra(project, run_cli, "classifier.py", patched["banking77/classifier.py"])
    found = leaks(run_cli)
    whole = [f for f in found if f["location"] is None]
    assert [(f["file"], f["message"]) for f in whole] == [
        (
            f"{DATUM}/overlay_src/classifier.py",
            "is banking77/classifier.py as the patch leaves it: the agent would get the "
            "solution (remove it from overlay_extras)",
        )
    ]


def test_a_line_already_in_the_baseline_is_not_a_quote(
    project: Path, run_cli: CliRun, tmp_path: Path
) -> None:
    """An added line the baseline already has elsewhere (not in the patch's context) gives
    nothing away; telling that needs the baseline tree, read from the mirror."""
    shared = 'classifier = build_classifier().fit(load_split("train"))'
    patch = (project / DATUM / "diff.patch").read_text().splitlines()
    assert shared in [line[1:].strip() for line in patch if line.startswith("+")]
    assert shared not in [line[1:].strip() for line in patch if line[:1] in (" ", "-")]
    yaml = project / DATUM / "datum.yaml"
    line = _insert_after(yaml, "record the before/after accuracy", f"    Start from `{shared}`.")
    assert leaks(run_cli) == []
    # without the mirror the baseline cannot be read: reported, saying why
    elsewhere = tmp_path / "no-mirror"
    shutil.copytree(project / "datums", elsewhere / "datums")
    report = json.loads(run_cli("check", "banking77", "--json", root=elsewhere).output)
    found = [f for f in report["datums"][0]["findings"] if f["check"] == "leaks"]
    assert [f["location"] for f in found] == [f"line {line} (lm.instructions)"]
    assert (
        "the baseline could not be read to rule out that it was already there"
        in (found[0]["message"])
    )


def test_a_reviewed_exception_silences_the_finding_and_a_stale_one_warns(
    project: Path, run_cli: CliRun
) -> None:
    import hashlib

    yaml = project / DATUM / "datum.yaml"
    _insert_after(yaml, "record the before/after accuracy", f"    Hint: {ANSWER}")
    hashed = hashlib.sha1(ANSWER_HASH_INPUT).hexdigest()
    allowlist = project / DATUM / "leaks.allowlist"
    allowlist.write_text(f"{hashed} datum.yaml # the signature is part of the task\n")
    assert leaks(run_cli) == []
    allowlist.write_text(
        f"{hashed} datum.yaml # the signature is part of the task\n"
        f"{'0' * 40} datum.yaml # gone\n"
        f"{hashed} datum.yaml\n"
    )
    found = leaks(run_cli)
    assert [(f["location"], f["severity"]) for f in found] == [
        ("line 3", "error"),
        ("line 2", "warning"),
    ]
    assert "not an exception" in found[0]["message"]


def test_a_copy_in_the_baseline_stage_is_found(project: Path, run_cli: CliRun) -> None:
    dockerfile = project / DATUM / "Dockerfile"
    line = _insert_after(dockerfile, "ARG REPO_URL=", "COPY diff.patch /tmp/answer.patch")
    found = leaks(run_cli)
    assert [(f["file"], f["location"]) for f in found] == [(f"{DATUM}/Dockerfile", f"line {line}")]
    assert found[0]["message"].startswith("COPY in the baseline stage puts build-context files")


def test_a_single_stage_dockerfile_is_found(project: Path, run_cli: CliRun) -> None:
    dockerfile = project / DATUM / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace(" AS baseline", ""))
    found = leaks(run_cli)
    assert [f["location"] for f in found] == [None]
    assert found[0]["message"].startswith("has no `baseline` stage")
