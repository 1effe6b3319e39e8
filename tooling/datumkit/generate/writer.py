"""Writing GENERATED files of a datum to disk: atomically, only when they change.

Generation is the one place datumkit writes into a datum directory, and it only writes the files
generation owns (ARCHITECTURE.md invariant 1); SOURCE files are never opened for writing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from datumkit.fsio import write_atomic
from datumkit.generate import executable


def write_outputs(directory: Path, outputs: Mapping[str, bytes]) -> list[str]:
    """Write each output under `directory`; return the relative paths whose bytes changed."""
    changed = []
    for relative, content in outputs.items():
        mode = 0o755 if executable(relative) else 0o644
        if write_atomic(directory / relative, content, mode=mode):
            changed.append(relative)
    return changed
