"""The datum repository a command works on: its root, its datums, its mirror settings.

One `Project` is handed to every command and every check: it is the only thing a check may
consult besides the datum itself (where mirrors are; nothing else).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from datumkit.errors import UsageProblem
from datumkit.model.datumdir import (
    DatumSource,
    datum_directory,
    list_datum_names,
    load_from_disk,
    require_datum_directory,
)
from datumkit.model.root import find_project_root

if TYPE_CHECKING:  # mirrors import pygit2: only checks that read mirrors pay for it
    from datumkit.git.mirrors import MirrorLocator


@dataclass(frozen=True)
class Project:
    """A datum repository on disk, plus the `--cache` the user chose for mirrors."""

    root: Path
    cache_dir: Path | None = None

    def names(self) -> list[str]:
        return list_datum_names(self.root)

    def directory(self, name: str) -> Path:
        return datum_directory(self.root, name)

    def load(self, name: str) -> DatumSource:
        return load_from_disk(self.root, name)

    def locator(self) -> MirrorLocator:
        """Where mirrors are; read once per process (pyproject.toml is not re-read per datum)."""
        return _locator(self.root, self.cache_dir)

    def select(self, names: tuple[str, ...], all_datums: bool) -> list[str]:
        """The datums a command acts on: the names given, or every datum with --all."""
        if all_datums and names:
            raise UsageProblem("give datum names or --all, not both")
        if all_datums:
            return self.names()
        if not names:
            raise UsageProblem("no datum given", hint="name one or more datums, or pass --all")
        for name in names:
            require_datum_directory(self.root, name)
        return list(dict.fromkeys(names))


def discover_project(root: Path | None, cache_dir: Path | None = None) -> Project:
    """`--root` if given, else the nearest datum repository above the current directory."""
    found = root.resolve() if root is not None else find_project_root(Path.cwd())
    if found is None:
        raise UsageProblem(
            f"{Path.cwd()} is not inside a datum repository",
            hint="run from a repository with a datums/ directory, or pass --root",
        )
    if not found.is_dir():
        raise UsageProblem(f"--root {found} is not a directory")
    return Project(root=found, cache_dir=cache_dir)


@cache
def _locator(root: Path, cache_dir: Path | None) -> MirrorLocator:
    from datumkit.git.mirrors import MirrorLocator

    return MirrorLocator.for_project(root, cache_dir)
