"""Which datums a command acts on: names, `--all`, or `--changed-since REV`; then `--shard I/N`.

`--changed-since` picks the datums whose files differ between REV and the working tree, so CI and
pre-commit work in proportion to a change; `--shard` then keeps one stable slice of them, so a CI
matrix can spread a large repository over machines with every datum in exactly one shard.
"""

from __future__ import annotations

from datumkit.checks.runner import datums_of_paths, parse_shard, shard
from datumkit.errors import UsageProblem
from datumkit.gitchanges import changed_paths_since
from datumkit.project import Project


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
        selected = datums_of_paths(project.root, changed_paths_since(project.root, changed_since))
    else:
        selected = project.select(names, all_datums)
    if shard_spec is not None:
        selected = shard(selected, *parse_shard(shard_spec))
    return selected
