"""Where things are, and the one way tests run git: fixed identity and dates, no user config."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from click.testing import Result

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = REPO_ROOT / "examples"
BANKING77 = REPO_ROOT / "datums" / "banking77"
BANKING77_URL = "https://example.invalid/datumkit/banking77-upstream.git"
BANKING77_BASELINE = "e381612f0c6c0bb11edf17545e6a4ae08240de09"

CliRun = Callable[..., Result]


def write_pyproject(root: Path, mirrors: dict[str, Path]) -> None:
    lines = ["[tool.datumkit.mirrors]"]
    lines += [f'"{url}" = "{path}"' for url, path in mirrors.items()]
    (root / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_git(
    cwd: Path, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None
) -> bytes:
    """The one way tests run git: no user or system config, `env` on top of the process's;
    a failure raises with git's own message. Returns stdout as bytes."""
    full_env = {**os.environ, **(env or {})}
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "core.autocrlf=false", *args],
        cwd=cwd,
        input=input,
        env=full_env,
        capture_output=True,
        check=False,
    )
    if done.returncode:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr.decode()}")
    return done.stdout


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git with fixed dates (identity from the test environment); return stdout as text."""
    dates = {
        "GIT_AUTHOR_DATE": "2024-02-01T00:00:00+00:00",
        "GIT_COMMITTER_DATE": "2024-02-01T00:00:00+00:00",
    }
    return run_git(cwd, *args, env={**dates, **(env or {})}).decode()
