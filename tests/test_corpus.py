"""The corpus of hostile inputs (tests/corpus/bad/): each case is refused as its case.toml says.

Every case runs the real `datum` command line against a fresh copy of the banking77 datum (its
mirror configured) and checks the documented exit code, the message fragments, that nothing
crashed (no traceback, no exception other than click's exit), that the datum's files are
untouched unless the case is about a listing, and that nothing was written outside the project.
See tests/corpus/generate_corpus.py for the format and how generated cases are made.
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from helpers.repo import CliRun

CORPUS = Path(__file__).resolve().parent / "corpus" / "bad"
CASES = sorted(path for path in CORPUS.iterdir() if (path / "case.toml").is_file())


def _substitute(text: str, places: dict[str, Path]) -> str:
    for key, path in places.items():
        text = text.replace("{" + key + "}", str(path))
    return text


def _resolve(relative: str, root: Path, places: dict[str, Path]) -> Path:
    text = _substitute(relative, places)
    return Path(text) if os.path.isabs(text) else root / text


def _snapshot(directory: Path) -> dict[str, bytes]:
    if not directory.is_dir() or directory.is_symlink():
        return {}
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 150


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_input_is_refused(
    case: Path, project: Path, run_cli: CliRun, tmp_path: Path
) -> None:
    spec: dict[str, Any] = tomllib.loads((case / "case.toml").read_text("utf-8"))
    outside = tmp_path / "outside"
    outside.mkdir()
    seed = tmp_path / "seed"
    places = {"seed": seed, "outside": outside}
    datum = project / "datums" / spec.get("name", "banking77")
    if (case / "datum").is_dir():
        if not datum.exists():
            shutil.copytree(project / "datums" / "banking77", datum)
        shutil.copytree(case / "datum", datum, dirs_exist_ok=True)
    if (case / "seed").is_dir():
        shutil.copytree(case / "seed", seed)
    seed.mkdir(exist_ok=True)
    for relative in spec.get("remove", []):
        path = _resolve(relative, project, places)
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    for relative, target in spec.get("symlinks", {}).items():
        link = _resolve(relative, project, places)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(_substitute(target, places))
    for relative, size in spec.get("sparse", {}).items():
        with open(_resolve(relative, project, places), "wb") as handle:
            handle.truncate(size)
    before = _snapshot(datum)

    result = run_cli(*[_substitute(arg, places) for arg in spec["args"]])

    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{case.name} crashed: {result.exception!r}\n{result.output}"
    )
    assert "Traceback" not in result.output
    raw_control = re.search(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\u202a-\u202e]", result.output)
    assert raw_control is None, f"a control character reached the terminal: {result.output!r}"
    assert result.exit_code == spec["exit"], result.output
    for fragment in spec["expect"]:
        assert fragment in result.output, f"{fragment!r} not in:\n{result.output}"
    assert list(outside.iterdir()) == [], "something was written outside the project"
    assert _snapshot(datum) == before, "a refused command changed the datum's files"
    assert not (project / "datums" / "imported").exists()
