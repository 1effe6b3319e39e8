"""Which datums a command acts on: names, `--all`, or `--changed-since REV`; then `--shard I/N`.

`--changed-since` picks the datums whose files differ between REV and the working tree, so CI and
pre-commit work in proportion to a change; `--shard` then keeps one stable slice of them, so a CI
matrix can spread a large repository over machines with every datum in exactly one shard.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from datumkit.errors import UsageProblem
from datumkit.model.project import Project


def select_datums(
    project: Project,
    names: tuple[str, ...],
    *,
    all_datums: bool,
    changed_since: str | None,
    shard_spec: str | None,
) -> list[str]:
    if changed_since is not None:
        if names or all_datums:
            raise UsageProblem("give datum names, --all or --changed-since, only one of them")
        # imported here: pygit2 costs every caller of datums_of_paths (each hook) its load time
        from datumkit.git.changes import changed_paths_since

        selected = datums_of_paths(project.root, changed_paths_since(project.root, changed_since))
    else:
        selected = project.select(names, all_datums)
    if shard_spec is not None:
        selected = shard(selected, *parse_shard(shard_spec))
    return selected


def parse_shard(text: str) -> tuple[int, int]:
    """'2/4' -> (2, 4): shard 2 of 4, counted from 1 like CI matrices usually are."""
    index_text, _, total_text = text.partition("/")
    try:
        index, total = int(index_text), int(total_text)
    except ValueError:
        index, total = 0, 0
    if total < 1 or not 1 <= index <= total:
        raise UsageProblem(
            f"--shard {text!r} is not I/N with 1 <= I <= N", hint="e.g. --shard 1/4 ... --shard 4/4"
        )
    return index, total


def in_shard(name: str, index: int, total: int) -> bool:
    """Stable across machines and across additions: a datum's shard depends only on its name."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % total == index - 1


def shard(names: Iterable[str], index: int, total: int) -> list[str]:
    return [name for name in names if in_shard(name, index, total)]


def datums_of_paths(project_root: Path, paths: Iterable[str]) -> list[str]:
    """Map file paths (relative to the project root, or absolute) to the datums they belong to.

    Paths outside datums/ and datums that no longer exist (deleted in this change) are ignored.
    A path names the entry itself, as git and pre-commit mean it: a symlink a change adds to a
    datum (``overlay_files/evil -> /etc/passwd``) belongs to that datum, whose checks then
    report it, however far out it points. So paths are normalised by their text (``a/../b``),
    and resolved only when an absolute path reaches the project through a symlinked directory.
    """
    root = project_root.resolve()
    names: dict[str, None] = {}
    for raw in paths:
        path = Path(raw)
        absolute = Path(os.path.normpath(path if path.is_absolute() else root / path))
        try:
            parts = absolute.relative_to(root).parts
        except ValueError:
            try:
                parts = absolute.parent.resolve().joinpath(absolute.name).relative_to(root).parts
            except ValueError:
                continue
        if len(parts) >= 2 and parts[0] == "datums" and not parts[1].startswith("."):
            name = parts[1]
            if (root / "datums" / name / "datum.yaml").is_file():
                names[name] = None
    return sorted(names)
