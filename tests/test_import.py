"""`datum import`: seed-style task directories become datums; the source is never changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from datumkit.interop.seed import environment_from_dockerfile
from datumkit.model.datumdir import DiskFiles, load_source
from helpers.repo import CliRun

SHA = "e381612f0c6c0bb11edf17545e6a4ae08240de09"

SEED_DOCKERFILE = f"""FROM python:3.11-slim

# Install system dependencies
RUN apt-get update && apt-get install -y \\
    git \\
    curl \\
    build-essential \\
    && rm -rf /var/lib/apt/lists/*

# Install uv
RUN pip install uv

# Clone synth-ai at baseline SHA
WORKDIR /app
RUN git clone https://github.com/synth-laboratories/synth-ai.git .
RUN git checkout {SHA}

# Install synth-ai
RUN uv pip install -e .

# Apply patch
COPY diff.patch /tmp/diff.patch
RUN git apply /tmp/diff.patch || true

# Set up environment
ENV PYTHONPATH=/app/src
"""


def seed_tb_meta(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "task_id": "re-bench-banking77",
        "metadata": {
            "title": "Synth-AI Re-Bench: banking77 Improvement",
            "summary": "Prompt optimisation of the banking77 baseline",
            "tags": ["re-bench", "synth-ai", "banking77", "prompt-optimization"],
        },
        "repo": {
            "git_url": "https://github.com/synth-laboratories/synth-ai",
            "branch": "main",
            "start_commit_sha": SHA,
            "subdir": "",
            "sparse_checkout": [],
        },
        "sensitivity": {"level": "safe"},
        "lm": {"instructions": "Improve banking77.\nVerify with the eval script.\n"},
        "evaluation": {
            "rubrics": [
                {
                    "id": "baseline",
                    "criterion": "Baseline established",
                    "weight": 0.4,
                    "evaluation_criteria": ["baseline_results.json exists"],
                },
                {
                    "id": "improved",
                    "criterion": "Accuracy improved",
                    "weight": 0.6,
                    "evaluation_criteria": ["test accuracy rises", "method documented"],
                },
            ]
        },
    }
    document.update(changes)
    return document


def make_prepared(directory: Path, tb_meta: dict[str, Any] | None = None) -> Path:
    """A seed-guide 'prepared' directory, as people build it by hand today."""
    directory.mkdir(parents=True)
    (directory / "tb_meta.json").write_text(json.dumps(tb_meta or seed_tb_meta(), indent=2))
    (directory / "Dockerfile").write_text(SEED_DOCKERFILE)
    (directory / "baseline_sha.txt").write_text(SHA + "\n")
    (directory / "diff.patch").write_text("diff --git a/x b/x\n")
    (directory / "notes.md").write_text("# notes\n")
    (directory / "trace").mkdir()
    (directory / "trace/session_id.txt").write_text("sess-123\n")
    (directory / "trace/session_clean.json").write_text("[]\n")
    (directory / "overlay_files").mkdir()
    (directory / "overlay_files/box_bootstrap.sh").write_text("#!/bin/sh\necho hand-written\n")
    (directory / "overlay_files/tb_meta.json").write_text("{}")
    (directory / "overlay_files/setup_env.sh").write_text("export A=1\n")
    (directory / "codex-files").mkdir()
    (directory / "codex-files/codex").write_bytes(b"\x7fELF")
    return directory


def test_import_prepared_directory(
    tmp_path: Path, project: Path, run_cli: CliRun, snapshot: Callable[[Path], Any]
) -> None:
    seed = make_prepared(tmp_path / "prepared/re-bench-banking77")
    before = snapshot(seed)
    result = run_cli("import", str(seed), "--name", "banking77-seed")
    assert result.exit_code == 0, result.output
    assert snapshot(seed) == before, "the source directory must not change"

    target = project / "datums/banking77-seed"
    # task_id follows the directory it now lives in
    assert result.output.count("note:") >= 3
    assert "environment derived from Dockerfile" in result.output
    assert "codex-files/ not imported" in result.output
    assert (target / "diff.patch").read_text() == "diff --git a/x b/x\n"
    assert (target / "trace/session_id.txt").read_text() == "sess-123\n"
    assert (target / "overlay_src/setup_env.sh").read_text() == "export A=1\n"
    assert (target / "overlay_files/setup_env.sh").read_text() == "export A=1\n"
    assert "hand-written" not in (target / "overlay_files/box_bootstrap.sh").read_text()
    assert not (target / "codex-files").exists()


def test_imported_datum_yaml_reads_like_hand_written(
    tmp_path: Path, project: Path, run_cli: CliRun
) -> None:
    seed = make_prepared(tmp_path / "re-bench-banking77", seed_tb_meta(task_id="re-bench-b77"))
    assert run_cli("import", str(seed)).exit_code == 0
    text = (project / "datums/b77/datum.yaml").read_text()
    assert text.startswith("# datum.yaml of datum 'b77', imported from a seed task directory")
    assert "  instructions: |\n    Improve banking77.\n    Verify with the eval script.\n" in text
    assert "# Derived from the hand-written Dockerfile: check it.\nenvironment:\n" in text
    source = load_source("b77", DiskFiles(project / "datums/b77"))
    assert source.datum.environment.install == ["pip install uv", "uv pip install -e ."]
    assert source.datum.environment.system_packages == ["build-essential", "curl"]
    assert source.datum.environment.env == {"PYTHONPATH": "/app/src"}
    assert source.datum.evaluation.rubrics[1].evaluation_criteria == [
        "test accuracy rises",
        "method documented",
    ]
    # and the result passes its own checks (the upstream is not mirrored here: no patch check)
    check = run_cli("check", "b77", "--only", "generated")
    assert check.exit_code == 0, check.output


def test_import_created_directory_takes_the_baseline_from_repo_info(
    tmp_path: Path, project: Path, run_cli: CliRun
) -> None:
    created = tmp_path / "created/improve-banking77"
    created.mkdir(parents=True)
    tb_meta = seed_tb_meta()
    del tb_meta["repo"]["start_commit_sha"]
    (created / "tb_meta.json").write_text(json.dumps(tb_meta))
    (created / "repo_info.json").write_text(json.dumps({"baseline_sha": SHA, "dirty": False}))
    (created / "diff.patch").write_text("")
    result = run_cli("import", str(created), "--name", "created")
    assert result.exit_code == 0, result.output
    assert "repo.start_commit_sha taken from" in result.output
    source = load_source("created", DiskFiles(project / "datums/created"))
    assert source.datum.repo.start_commit_sha == SHA


def test_import_refuses_disagreeing_baselines(
    tmp_path: Path, project: Path, run_cli: CliRun
) -> None:
    seed = make_prepared(tmp_path / "seed")
    (seed / "baseline_sha.txt").write_text("0" * 40 + "\n")
    result = run_cli("import", str(seed), "--name", "x")
    assert result.exit_code == 1
    assert (
        f"baseline_sha.txt: says {'0' * 40} but tb_meta.json repo.start_commit_sha says {SHA}"
        in (result.output)
    )
    assert not (project / "datums/x").exists()


def test_invalid_tb_meta_writes_nothing_and_lists_every_problem(
    tmp_path: Path, project: Path, run_cli: CliRun
) -> None:
    tb_meta = seed_tb_meta()
    tb_meta["evaluation"]["rubrics"][0]["weight"] = 0.5  # sum 1.1
    tb_meta["sensitivity"]["level"] = "public"
    seed = make_prepared(tmp_path / "seed", tb_meta)
    result = run_cli("import", str(seed), "--name", "bad")
    assert result.exit_code == 1
    assert f"{seed}/tb_meta.json: evaluation.rubrics: weights sum to 1.1, not 1" in result.output
    assert f"{seed}/tb_meta.json: sensitivity.level: " in result.output
    assert "nothing written" in result.output
    assert not (project / "datums/bad").exists()
    assert not any(p.name.startswith(".bad") for p in (project / "datums").iterdir())

    forced = run_cli("import", str(seed), "--name", "bad", "--allow-invalid")
    assert forced.exit_code == 1
    assert (project / "datums/bad/datum.yaml").is_file()
    assert not (project / "datums/bad/Dockerfile").exists()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "tb_meta.json: missing"),
        (lambda d: (d / "tb_meta.json").write_text("{nope"), "tb_meta.json: not valid JSON"),
        (lambda d: (d / "tb_meta.json").write_text("[]"), "tb_meta.json: must be a JSON object"),
    ],
)
def test_unreadable_tb_meta(
    tmp_path: Path, run_cli: CliRun, setup: Callable[[Path], Any], message: str
) -> None:
    directory = tmp_path / "seed"
    directory.mkdir()
    setup(directory)
    result = run_cli("import", str(directory), "--name", "x")
    assert result.exit_code == 1
    assert message in result.output


def test_import_over_an_existing_datum_is_refused(tmp_path: Path, run_cli: CliRun) -> None:
    seed = make_prepared(tmp_path / "seed")
    result = run_cli("import", str(seed), "--name", "banking77")
    assert result.exit_code == 2
    assert (
        "datums/banking77 already exists (pass --name to import under another name)"
        in result.output
    )


def test_environment_from_dockerfile_keeps_env_forms() -> None:
    environment = environment_from_dockerfile(
        'FROM ubuntu:22.04 AS base\nENV A=1 B="two words"\nENV C three\nWORKDIR /work\n'
        "RUN cd /work && make install && git status\n"
    )
    assert environment == {
        "base_image": "ubuntu:22.04",
        "workdir": "/work",
        "install": ["make install"],
        "env": {"A": "1", "B": "two words", "C": "three"},
    }
