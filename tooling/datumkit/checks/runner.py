"""Checking many datums: in parallel on all cores, with a callback as each one finishes.

Datums are independent, so a repository-wide check is embarrassingly parallel. Worker processes
(not threads: loading YAML and validating with pydantic hold the GIL) each check a slice of the
datums; a handful of datums is checked in-process, because starting workers costs more than
checking them (a pre-commit run usually touches one datum).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from datumkit.checks import CheckContext, DatumReport, check_datum
from datumkit.datumdir import DiskFiles, datum_directory
from datumkit.errors import UsageProblem

#: below this many datums, worker start-up costs more than it saves
PARALLEL_THRESHOLD = 8

OnReport = Callable[[DatumReport], None]


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _check_on_disk(context: CheckContext, name: str, only: Sequence[str] | None) -> DatumReport:
    assert context.project_root is not None
    files = DiskFiles(datum_directory(context.project_root, name))
    return check_datum(name, files, context, only=only)


def _check_batch(
    context: CheckContext, names: Sequence[str], only: Sequence[str] | None
) -> list[DatumReport]:
    return [_check_on_disk(context, name, only) for name in names]


def _batches(names: Sequence[str], jobs: int) -> Iterable[list[str]]:
    """Small batches (several per worker) so a slow datum does not hold up a whole slice."""
    size = max(1, min(32, len(names) // (jobs * 4) or 1))
    for start in range(0, len(names), size):
        yield list(names[start : start + size])


def check_many(
    context: CheckContext,
    names: Sequence[str],
    *,
    jobs: int | None = None,
    only: Sequence[str] | None = None,
    on_report: OnReport | None = None,
) -> list[DatumReport]:
    """Check every datum in `names`; reports come back in the order of `names`."""
    workers = jobs or default_jobs()
    reports: dict[str, DatumReport] = {}

    def done(report: DatumReport) -> None:
        reports[report.name] = report
        if on_report is not None:
            on_report(report)

    if workers <= 1 or len(names) < PARALLEL_THRESHOLD:
        for name in names:
            done(_check_on_disk(context, name, only))
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(_check_batch, context, batch, only)
                for batch in _batches(names, workers)
            ]
            for future in as_completed(futures):
                for report in future.result():
                    done(report)
    return [reports[name] for name in names]


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
    """
    root = project_root.resolve()
    names: dict[str, None] = {}
    for raw in paths:
        path = Path(raw)
        absolute = path if path.is_absolute() else root / path
        try:
            parts = absolute.resolve().relative_to(root).parts
        except ValueError:
            continue
        if len(parts) >= 2 and parts[0] == "datums":
            name = parts[1]
            if (root / "datums" / name / "datum.yaml").is_file():
                names[name] = None
    return sorted(names)
