"""Shared fixtures: real datum repositories in temporary directories, real git, no network."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"
BANKING77 = REPO_ROOT / "datums" / "banking77"
BANKING77_URL = "https://example.invalid/datumkit/banking77-upstream.git"
BANKING77_BASELINE = "e381612f0c6c0bb11edf17545e6a4ae08240de09"

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


def write_pyproject(root: Path, mirrors: dict[str, Path]) -> None:
    lines = ["[tool.datumkit.mirrors]"]
    lines += [f'"{url}" = "{path}"' for url, path in mirrors.items()]
    (root / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path, banking77_upstream: Path) -> Path:
    """A datum repository holding a copy of the banking77 datum, its mirror configured."""
    root = tmp_path / "repo"
    (root / "datums").mkdir(parents=True)
    shutil.copytree(BANKING77, root / "datums" / "banking77")
    write_pyproject(root, {BANKING77_URL: banking77_upstream})
    return root


CliRun = Callable[..., Result]


@pytest.fixture
def run_cli(project: Path) -> CliRun:
    """Invoke `datum` in-process against `project`, returning click's Result."""
    from datumkit.cli.main import cli

    def run(*args: str, root: Path | None = None, input: str | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(cli, ["--root", str(root or project), *args], input=input)

    return run


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git with a fixed identity and dates; return stdout."""
    full_env = {
        **os.environ,
        "GIT_AUTHOR_DATE": "2024-02-01T00:00:00+00:00",
        "GIT_COMMITTER_DATE": "2024-02-01T00:00:00+00:00",
        **(env or {}),
    }
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "core.autocrlf=false", *args],
        cwd=cwd,
        env=full_env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


@pytest.fixture
def snapshot() -> Callable[[Path], dict[str, tuple[bytes, int]]]:
    """Every file under a directory with its bytes and mode: proves 'nothing was touched'."""

    def take(directory: Path) -> dict[str, tuple[bytes, int]]:
        return {
            path.relative_to(directory).as_posix(): (path.read_bytes(), path.stat().st_mode)
            for path in sorted(directory.rglob("*"))
            if path.is_file()
        }

    return take


@pytest.fixture
def chdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    yield monkeypatch.chdir
