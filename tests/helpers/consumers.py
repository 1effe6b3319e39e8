"""The consumer tools' own environment: `harbor` and `swebench` from PyPI in a Python 3.12 venv.

harbor 0.25 needs Python >= 3.12 and datumkit supports 3.11, so the tools cannot share the test
venv: they get their own, `.venv-consumers/` at the repository root, built once (pip from the
package registry, the only network) and reused while the pinned versions stay the same. When no
Python 3.12+ is found or the install fails, the tests that need it FAIL with the reason: the
proof that exports pass the consumers' own checks must not silently vanish.

Python is found as: $DATUMKIT_CONSUMER_PYTHON, else `python3.13`/`python3.12` on PATH, else the
newest `~/.pyenv/versions/3.1[2-9]*/bin/python`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from filelock import FileLock

from helpers.repo import REPO_ROOT

REQUIREMENTS = ("harbor==0.25.0", "swebench==5.0.2")
VENV = REPO_ROOT / ".venv-consumers"
READY = VENV / ".datumkit-ready"


class ConsumersUnavailable(RuntimeError):
    """The consumer tools' venv could not be built; the message says why and what to do."""


def _version(python: str) -> tuple[int, int] | None:
    try:
        done = subprocess.run(
            [python, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError:
        return None
    if done.returncode:
        return None
    major, minor = done.stdout.split()
    return int(major), int(minor)


def find_python() -> str:
    """A Python >= 3.12 interpreter, or ConsumersUnavailable naming where it looked."""
    candidates: list[str] = []
    if os.environ.get("DATUMKIT_CONSUMER_PYTHON"):
        candidates.append(os.environ["DATUMKIT_CONSUMER_PYTHON"])
    if sys.version_info >= (3, 12):
        candidates.append(sys.executable)
    candidates += [p for p in (shutil.which("python3.13"), shutil.which("python3.12")) if p]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if pyenv.is_dir():
        versions = sorted(pyenv.glob("3.1[2-9]*"), key=lambda p: p.name, reverse=True)
        candidates += [str(v / "bin" / "python") for v in versions]
    for candidate in candidates:
        version = _version(candidate)
        if version is not None and version >= (3, 12):
            return candidate
    raise ConsumersUnavailable(
        "no Python >= 3.12 found (harbor 0.25 needs it): looked at $DATUMKIT_CONSUMER_PYTHON, "
        f"python3.13/python3.12 on PATH and {pyenv}; install one or set DATUMKIT_CONSUMER_PYTHON"
    )


def consumers_venv() -> Path:
    """The bin/ directory of a venv with the pinned harbor and swebench, built when needed."""
    wanted = "\n".join(REQUIREMENTS) + "\n"
    with FileLock(str(REPO_ROOT / ".venv-consumers.lock")):
        if READY.is_file() and READY.read_text() == wanted:
            return VENV / "bin"
        python = find_python()
        if VENV.exists():
            shutil.rmtree(VENV)
        _run([python, "-m", "venv", str(VENV)], "create the venv")
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        _run([*pip, *REQUIREMENTS], f"pip install {' '.join(REQUIREMENTS)}")
        READY.write_text(wanted)
    return VENV / "bin"


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise ConsumersUnavailable(f"could not {what}: " + " | ".join(tail))


def run_tool(bin_dir: Path, tool: str, *args: str, cwd: Path | None = None) -> tuple[int, str]:
    """Run a console script of the consumer venv; (exit code, stdout + stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    done = subprocess.run(
        [str(bin_dir / tool), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def run_python(bin_dir: Path, code: str, *args: str) -> tuple[int, str]:
    """Run `code` with the consumer venv's Python (its own packages, not datumkit's)."""
    return run_tool(bin_dir, "python", "-c", code, *args)
