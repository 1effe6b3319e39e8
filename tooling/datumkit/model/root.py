"""Finding the datum repository a command runs in, cheaply (no git library needed).

Every hook process starts here, so this module imports nothing heavy.
"""

from __future__ import annotations

import tomllib
from pathlib import Path


def declares_datumkit(pyproject: Path) -> bool:
    """True when `pyproject` has a [tool.datumkit] table; unreadable files do not count."""
    try:
        with pyproject.open("rb") as handle:
            document = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return False
    tool = document.get("tool")
    return isinstance(tool, dict) and isinstance(tool.get("datumkit"), dict)


def find_project_root(start: Path) -> Path | None:
    """The nearest directory at or above `start` that is a datumkit project.

    A project is marked by a `datums/` directory or by a `pyproject.toml` with a
    `[tool.datumkit]` table, so commands work from any subdirectory, like git's own discovery.
    """
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for candidate in (here, *here.parents):
        if (candidate / "datums").is_dir() or declares_datumkit(candidate / "pyproject.toml"):
            return candidate
    return None
