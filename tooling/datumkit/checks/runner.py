"""Checking many datums: in parallel on all cores, with a callback as each one finishes.

Datums are independent, so a repository-wide check is embarrassingly parallel. Worker processes
(not threads: loading YAML and validating with pydantic hold the GIL) each check a slice of the
datums; a handful of datums is checked in-process, because starting workers costs more than
checking them (a pre-commit run usually touches one datum).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from datumkit.checks import DatumReport, check_datum
from datumkit.model.datumdir import DiskFiles
from datumkit.model.project import Project

#: below this many datums, worker start-up costs more than it saves
PARALLEL_THRESHOLD = 8

OnReport = Callable[[DatumReport], None]


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _check_on_disk(
    context: Project, name: str, only: Sequence[str] | None, listed: bool = False
) -> DatumReport:
    fingerprint = ""
    if listed:
        from datumkit.checks.lastrun import fingerprint_of, stat_datum

        fingerprint = fingerprint_of(stat_datum(context.root, name))
    files = DiskFiles(context.directory(name))
    report = check_datum(name, files, context, only=only)
    return replace(report, listed=fingerprint) if listed else report


def _check_batch(
    context: Project, names: Sequence[str], only: Sequence[str] | None, listed: bool
) -> list[DatumReport]:
    """A worker's slice, sent back without the parsed datums (see DatumReport.lightened)."""
    return [_check_on_disk(context, name, only, listed).lightened() for name in names]


def _import_checks(only: Sequence[str] | None) -> None:
    """Import the checks' modules (pydantic models, pygit2, detect-secrets) before the workers
    start: forked workers inherit them, where each would otherwise import them again (~0.5 s of
    CPU per worker, most of what checking 10 changed datums costs)."""
    import importlib

    from datumkit.checks import CHECKS
    from datumkit.secrets.deferred import import_detect_secrets

    # detect-secrets without `requests` (~90 ms, its verification's, which datumkit never
    # runs): this import is the serial start of every parallel run that scans for secrets
    if only is None or "secrets" in only:
        import_detect_secrets()
    datum = importlib.import_module("datumkit.model.datum")
    for check in CHECKS:
        if only is None or check in only:
            importlib.import_module(f"datumkit.checks.{check}")
    # what checking the first datum would otherwise do in every worker (~80 ms each): the
    # modules loading and checking import on first use, and the Datum validator pydantic
    # builds on first use (defer_build)
    for module in (
        "datumkit.model.yamlio",
        "datumkit.checks.lastrun",
        "datumkit.generate.evalconfig",
        "datumkit.git.mirrors",
    ):
        importlib.import_module(module)
    datum.Datum.model_rebuild()


def _batches(names: Sequence[str], jobs: int) -> Iterable[list[str]]:
    """Small batches (several per worker) so a slow datum does not hold up a whole slice, and
    smaller towards the end ("guided"): the last batches finish together, where equal batches
    left one core idle for up to a batch's time (~0.1 s of a 5 s `check --all`)."""
    start = 0
    while start < len(names):
        size = max(1, min(32, (len(names) - start) // (jobs * 4)))
        yield list(names[start : start + size])
        start += size


def check_many(
    context: Project,
    names: Sequence[str],
    *,
    jobs: int | None = None,
    only: Sequence[str] | None = None,
    on_report: OnReport | None = None,
    listed: bool = False,
) -> list[DatumReport]:
    """Check every datum in `names`; reports come back in the order of `names`.

    With ``listed``, each report carries the datum's `datum list` fingerprint, taken by the
    worker just before it checked the datum (the check command records it).
    """
    workers = jobs or default_jobs()
    reports: dict[str, DatumReport] = {}

    def done(report: DatumReport) -> None:
        reports[report.name] = report
        if on_report is not None:
            on_report(report)

    if workers <= 1 or len(names) < PARALLEL_THRESHOLD:
        for name in names:
            done(_check_on_disk(context, name, only, listed))
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        _import_checks(only)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(_check_batch, context, batch, only, listed)
                for batch in _batches(names, workers)
            ]
            for future in as_completed(futures):
                for report in future.result():
                    done(report)
    return [reports[name] for name in names]
