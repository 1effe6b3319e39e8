"""What checks may consult besides the datum itself: where mirrors live, nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sources imports pygit2: only checks that read mirrors pay for it
    from datumkit.sources import MirrorLocator


@dataclass(frozen=True)
class CheckContext:
    """Shared, read-only inputs of checks; one per run, handed to every check."""

    project_root: Path | None = None
    cache_dir: Path | None = None

    def locator(self) -> MirrorLocator:
        """Where mirrors are; read once per process (pyproject.toml is not re-read per datum)."""
        return _locator(self.project_root, self.cache_dir)


@cache
def _locator(project_root: Path | None, cache_dir: Path | None) -> MirrorLocator:
    from datumkit.sources import MirrorLocator

    return MirrorLocator.for_project(project_root, cache_dir)
