"""The bundled example: its upstream is reproducible and its datum is complete."""

from __future__ import annotations

from pathlib import Path

import pygit2

import build_upstream
from datumkit.model.datumdir import DiskFiles, load_source
from helpers.repo import BANKING77, BANKING77_BASELINE, EXAMPLES


def test_upstream_commits_are_the_same_on_every_build(
    tmp_path: Path, banking77_upstream: Path
) -> None:
    again = build_upstream.build(EXAMPLES / "banking77-upstream.toml", tmp_path / "again.git")
    assert again[-1] == BANKING77_BASELINE
    repo = pygit2.Repository(str(banking77_upstream))
    assert str(repo.references["refs/heads/main"].target) == BANKING77_BASELINE
    assert repo.head.shorthand == "main"


def test_rebuilding_over_an_existing_upstream_is_a_no_op(tmp_path: Path) -> None:
    destination = tmp_path / "u.git"
    build_upstream.build(EXAMPLES / "banking77-upstream.toml", destination)
    marker = destination / "marker"
    marker.write_text("kept")
    build_upstream.build(EXAMPLES / "banking77-upstream.toml", destination)
    assert marker.read_text() == "kept"


def test_the_example_datum_names_the_upstream_baseline() -> None:
    source = load_source("banking77", DiskFiles(BANKING77))
    assert source.datum.repo.start_commit_sha == BANKING77_BASELINE
    assert (BANKING77 / "baseline_sha.txt").read_text() == BANKING77_BASELINE + "\n"
    assert source.patch and source.patch.startswith(b"diff --git a/README.md b/README.md\n")
