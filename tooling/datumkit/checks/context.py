"""What checks may consult besides the datum itself: where mirrors live, nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CheckContext:
    """Shared, read-only inputs of checks; one per run, handed to every check."""

    project_root: Path | None = None
    cache_dir: Path | None = None
