"""Generators: exact bytes (golden files), determinism, and what the artifacts do when run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from datumkit.errors import DatumError
from datumkit.generate import render_all
from datumkit.generate.writer import write_outputs
from datumkit.model.datumdir import DiskFiles, load_source
from helpers.dockersim import SimulatedBuild
from helpers.golden import UPDATE
from helpers.repo import BANKING77, BANKING77_BASELINE, git

DATA = Path(__file__).parent / "data"
GOLDEN = Path(__file__).parent / "golden"


def rendered(directory: Path, name: str) -> dict[str, bytes]:
    return render_all(load_source(name, DiskFiles(directory)))


@pytest.mark.parametrize("name", ["full", "minimal"])
def test_generated_bytes_match_golden_files(name: str) -> None:
    outputs = rendered(DATA / name, name)
    golden = GOLDEN / name
    if UPDATE:
        shutil.rmtree(golden, ignore_errors=True)
        write_outputs(golden, outputs)
    expected = {
        p.relative_to(golden).as_posix(): p.read_bytes() for p in golden.rglob("*") if p.is_file()
    }
    assert set(outputs) == set(expected)
    for path, content in outputs.items():
        assert content == expected[path], f"{path} differs from tests/golden/{name}/{path}"


def test_banking77_committed_files_are_what_generation_writes() -> None:
    outputs = rendered(BANKING77, "banking77")
    for path, content in outputs.items():
        assert (BANKING77 / path).read_bytes() == content, path


def test_generating_twice_changes_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "full"
    shutil.copytree(DATA / "full", directory)
    first = write_outputs(directory, rendered(directory, "full"))
    before = {
        p: (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.rglob("*") if p.is_file()
    }
    second = write_outputs(directory, rendered(directory, "full"))
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.rglob("*") if p.is_file()}
    assert first and second == []
    assert before == after


def test_generation_is_independent_of_the_machine(tmp_path: Path) -> None:
    """No absolute paths, users, times or environment leak into the bytes."""
    elsewhere = tmp_path / "some" / "other" / "place" / "full"
    shutil.copytree(DATA / "full", elsewhere)
    os.utime(elsewhere / "datum.yaml", (0, 0))
    assert rendered(elsewhere, "full") == rendered(DATA / "full", "full")
    for content in rendered(elsewhere, "full").values():
        assert str(tmp_path).encode() not in content


def test_shell_scripts_are_written_executable(tmp_path: Path) -> None:
    directory = tmp_path / "full"
    shutil.copytree(DATA / "full", directory)
    write_outputs(directory, rendered(directory, "full"))
    assert os.access(directory / "overlay_files/box_bootstrap.sh", os.X_OK)
    assert not os.access(directory / "tb_meta.json", os.X_OK)


def test_dockerfile_never_hides_a_failing_apply() -> None:
    dockerfile = rendered(DATA / "full", "full")["Dockerfile"].decode()
    assert "|| true" not in dockerfile
    assert "git apply --whitespace=nowarn /tmp/datumkit/diff.patch" in dockerfile
    assert "FROM python:3.12-slim@sha256:" + "a" * 64 in dockerfile


def test_missing_overlay_extra_names_the_entry(tmp_path: Path) -> None:
    directory = tmp_path / "full"
    shutil.copytree(DATA / "full", directory)
    (directory / "overlay_src/run_tests.sh").unlink()
    with pytest.raises(DatumError) as caught:
        rendered(directory, "full")
    assert str(caught.value) == (
        "datums/full/datum.yaml: overlay_extras[0]: 'overlay_src/run_tests.sh' does not exist in "
        "datums/full (add the file or remove the entry)"
    )


# --- the artifacts, run ---------------------------------------------------------------------


@pytest.fixture
def built_image(tmp_path: Path, banking77_upstream: Path) -> Path:
    """The banking77 Dockerfile's steps executed against the local mirror."""
    build = SimulatedBuild(
        tmp_path / "image", BANKING77, {"REPO_URL": f"file://{banking77_upstream}"}
    )
    build.run((BANKING77 / "Dockerfile").read_bytes())
    return build.sandbox / "app"


def test_dockerfile_fetches_the_baseline_and_applies_the_patch(built_image: Path) -> None:
    assert git(built_image, "rev-parse", "HEAD").strip() == BANKING77_BASELINE
    changed = git(built_image, "status", "--porcelain").split()
    assert "banking77/classifier.py" in changed
    evaluation = subprocess.run(
        ["python3", "-m", "banking77.evaluate"], cwd=built_image, capture_output=True, text=True
    )
    assert '"accuracy": 1.0' in evaluation.stdout


def test_dockerfile_fails_the_build_when_the_patch_does_not_apply(
    tmp_path: Path, banking77_upstream: Path
) -> None:
    context = tmp_path / "context"
    shutil.copytree(BANKING77, context)
    patch = (context / "diff.patch").read_text()
    (context / "diff.patch").write_text(
        patch.replace(
            "\n from __future__ import annotations\n", "\n from __future__ import braces\n"
        )
    )
    patch_text = (context / "diff.patch").read_text()
    assert patch_text != patch, "the test must actually break a context line"
    build = SimulatedBuild(tmp_path / "image", context, {"REPO_URL": str(banking77_upstream)})
    with pytest.raises(subprocess.CalledProcessError) as caught:
        build.run((context / "Dockerfile").read_bytes())
    assert b"patch does not apply" in caught.value.stderr


def test_dockerfile_baseline_target_is_the_unpatched_baseline(
    tmp_path: Path, banking77_upstream: Path
) -> None:
    build = SimulatedBuild(tmp_path / "image", BANKING77, {"REPO_URL": str(banking77_upstream)})
    workdir = build.run((BANKING77 / "Dockerfile").read_bytes(), target="baseline")
    assert git(workdir, "status", "--porcelain") == ""
    assert git(workdir, "rev-parse", "HEAD").strip() == BANKING77_BASELINE
    assert build.copied == []
    assert not (build.sandbox / "tmp").exists()


def test_dockerfile_refuses_the_old_apply_patch_switch(
    tmp_path: Path, banking77_upstream: Path
) -> None:
    """`--build-arg APPLY_PATCH=0` used to mean "baseline"; now it fails instead of silently
    building the solution where an agent's environment was wanted."""
    build = SimulatedBuild(
        tmp_path / "image", BANKING77, {"REPO_URL": str(banking77_upstream), "APPLY_PATCH": "0"}
    )
    with pytest.raises(subprocess.CalledProcessError) as caught:
        build.run((BANKING77 / "Dockerfile").read_bytes())
    assert b"APPLY_PATCH is gone: build the baseline with --target baseline" in caught.value.stderr


def test_box_bootstrap_accepts_the_baseline_and_runs_a_command(built_image: Path) -> None:
    script = BANKING77 / "overlay_files/box_bootstrap.sh"
    result = subprocess.run(
        ["sh", str(script), "sh", "-c", 'echo "$PYTHONDONTWRITEBYTECODE:$(pwd)"'],
        env={**os.environ, "REPO_DIR": str(built_image)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"1:{built_image}"
    assert "re-bench-banking77 ready at" in result.stderr


def test_box_bootstrap_refuses_the_wrong_commit(built_image: Path) -> None:
    git(built_image, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-qam", "moved")
    result = subprocess.run(
        ["sh", str(BANKING77 / "overlay_files/box_bootstrap.sh"), "true"],
        env={**os.environ, "REPO_DIR": str(built_image)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert f"expected {BANKING77_BASELINE}" in result.stderr


def test_box_bootstrap_is_posix_sh() -> None:
    for name in ("full", "minimal"):
        script = GOLDEN / name / "overlay_files/box_bootstrap.sh"
        subprocess.run(["sh", "-n", str(script)], check=True)
        assert script.read_text().splitlines()[0] == "#!/bin/sh"
        assert "set -eu" in script.read_text().splitlines()
