"""`datum import swebench PATH` and `datum import harbor DIR`: other formats become datums.

Each instance (or task) becomes a complete, generated and checked datum or is skipped with one
line saying why; nothing of a skipped one is written. A terminal shows a progress bar; the end
is a summary (imported, skipped with reason). Exit 0 when everything was imported, 1 when
anything was skipped, 2 for usage errors.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from datumkit.cli.commands import EXIT_FINDINGS, EXIT_OK
from datumkit.cli.output import say, warn
from datumkit.interop.bulk import Item, Outcome, Planner, Summary, import_all, select
from datumkit.model.datumdir import DATUMS_DIR
from datumkit.model.project import Project


def run_import(
    project: Project,
    items: Iterable[Item],
    planner: Planner,
    *,
    pattern: str | None,
    limit: int | None,
    jobs: int,
    what: str,
) -> int:
    bar: tqdm[Any] | None = None
    if sys.stderr.isatty():
        bar = tqdm(file=sys.stderr, unit=what, desc="importing")

    def on_outcome(outcome: Outcome) -> None:
        if bar is not None:
            bar.update(1)
            if not outcome.imported:
                bar.set_postfix_str(f"skipped: {outcome.origin}")
        elif not outcome.imported:
            warn(f"skipped {outcome.origin}: {outcome.reason}")

    try:
        summary = import_all(
            project, select(items, pattern, limit), planner, jobs=jobs, on_outcome=on_outcome
        )
    finally:
        if bar is not None:
            bar.close()
    return _report(summary, what, show_skipped=bar is not None)


def _report(summary: Summary, what: str, *, show_skipped: bool) -> int:
    for outcome in summary.imported:
        say(f"imported {DATUMS_DIR}/{outcome.name} from {outcome.origin}")
        for note in outcome.notes:
            say(f"  note: {note}")
    if show_skipped:  # without a bar they were printed as they happened
        for outcome in summary.skipped:
            warn(f"skipped {outcome.origin}: {outcome.reason}")
    reasons: dict[str, int] = {}
    for outcome in summary.skipped:
        reasons[outcome.kind] = reasons.get(outcome.kind, 0) + 1
    warn(
        f"{len(summary.imported)} {what}(s) imported, {len(summary.skipped)} skipped"
        + "".join(f"\n  skipped, {reason}: {count}" for reason, count in sorted(reasons.items()))
    )
    return EXIT_FINDINGS if summary.skipped else EXIT_OK


def import_swebench(
    project: Project, path: Path, *, pattern: str | None, limit: int | None, jobs: int
) -> int:
    from datumkit.interop.swebench import datum_name, plan_instance
    from datumkit.interop.swebench_read import read_instances

    def items() -> Iterable[Item]:
        for index, entry in enumerate(read_instances(path)):
            if isinstance(entry, Exception):
                yield Item(index, entry.file or str(path), None, None, entry)
                continue
            key = entry.fields.get("instance_id")
            key = key if isinstance(key, str) else None
            name = datum_name(key) if key else None
            yield Item(index, entry.origin, key, name, entry)

    return run_import(
        project,
        items(),
        plan_instance,  # type: ignore[arg-type]  # the payloads are Instances
        pattern=pattern,
        limit=limit,
        jobs=jobs,
        what="instance",
    )


def import_harbor(
    project: Project, directory: Path, *, pattern: str | None, limit: int | None, jobs: int
) -> int:
    from datumkit.interop.harbor_import import plan_task, task_dirs
    from datumkit.interop.swebench import datum_name

    def items() -> Iterable[Item]:
        for index, task_dir in enumerate(task_dirs(directory)):
            yield Item(index, str(task_dir), task_dir.name, datum_name(task_dir.name), task_dir)

    return run_import(
        project,
        items(),
        plan_task,  # type: ignore[arg-type]  # the payloads are task directories
        pattern=pattern,
        limit=limit,
        jobs=jobs,
        what="task",
    )
