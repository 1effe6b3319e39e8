"""Shared fixtures: real datum repositories in temporary directories, real git, no network."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from helpers.repo import (
    BANKING77,
    BANKING77_URL,
    EXAMPLES,
    CliRun,
    write_pyproject,
)
from helpers.snapshot import snapshot as take_snapshot

sys.path.insert(0, str(EXAMPLES))


@pytest.fixture(autouse=True)
def _isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test sees the developer's cache, root or git identity."""
    monkeypatch.setenv("DATUMKIT_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("DATUMKIT_ROOT", raising=False)
    for key, value in {
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.invalid",
        "GIT_COMMITTER_NAME": "Test Committer",
        "GIT_COMMITTER_EMAIL": "committer@example.invalid",
        "GIT_CONFIG_NOSYSTEM": "1",
    }.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="session")
def banking77_upstream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example upstream, built exactly as `make example-upstream` builds it."""
    import build_upstream

    destination = tmp_path_factory.mktemp("upstream") / "banking77-upstream.git"
    build_upstream.build(EXAMPLES / "banking77-upstream.toml", destination)
    return destination


@pytest.fixture
def project(tmp_path: Path, banking77_upstream: Path) -> Path:
    """A datum repository holding a copy of the banking77 datum, its mirror configured."""
    root = tmp_path / "repo"
    (root / "datums").mkdir(parents=True)
    shutil.copytree(BANKING77, root / "datums" / "banking77")
    write_pyproject(root, {BANKING77_URL: banking77_upstream})
    return root


@pytest.fixture
def run_cli(project: Path) -> CliRun:
    """Invoke `datum` in-process against `project`, returning click's Result."""
    from datumkit.cli.main import cli

    def run(*args: str, root: Path | None = None, input: str | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(cli, ["--root", str(root or project), *args], input=input)

    return run


@pytest.fixture
def snapshot() -> Callable[[Path], dict[str, str]]:
    """Every file under a directory with its bytes and mode: proves 'nothing was touched'."""
    return take_snapshot


@pytest.fixture
def chdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    yield monkeypatch.chdir
