"""`datum check`: schema, generated files in sync, patch, secrets. Never writes.

Datums are chosen by name, `--all` or `--changed-since REV` (see commands/selection.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from datumkit.checks import DatumReport, lastrun
from datumkit.checks.runner import check_many
from datumkit.cli.commands import EXIT_FINDINGS, EXIT_OK
from datumkit.cli.output import say, warn
from datumkit.cli.progress import CheckProgress
from datumkit.cli.report import as_json, summary_table, text_lines
from datumkit.model.project import Project


def run_checks(
    project: Project,
    names: Sequence[str],
    *,
    jobs: int | None = None,
    only: Sequence[str] | None = None,
    progress: bool = False,
    use_cache: bool = False,
    listed: dict[str, str] | None = None,
) -> list[DatumReport]:
    """Check `names`; with `use_cache`, datums that passed and did not change are not rechecked.

    With the cache, ``listed`` receives the datums' `datum list` fingerprints taken before the
    checks (for :func:`lastrun.record`: the cache stat'ed every file already).
    """
    with CheckProgress(len(names), enabled=progress) as on_report:
        if not use_cache:
            return check_many(project, names, jobs=jobs, only=only, on_report=on_report)
        from datumkit.checks.cache import CheckCache

        cache = CheckCache.open(project, only)
        reports = cache.run(names, jobs=jobs, only=only, on_report=on_report)
        if listed is not None:
            listed.update(cache.listed)
        return reports


def check(
    project: Project,
    names: Sequence[str],
    *,
    json_output: bool,
    jobs: int | None = None,
    only: Sequence[str] | None = None,
    use_cache: bool = True,
) -> int:
    started = time.perf_counter()
    listed: dict[str, str] = {}
    reports = run_checks(
        project,
        names,
        jobs=jobs,
        only=only,
        progress=not json_output,
        use_cache=use_cache,
        listed=listed,
    )
    elapsed = time.perf_counter() - started
    if only is None:  # `datum list` shows what the last full check found
        lastrun.record(project.root, reports, listed)
    if json_output:
        say(json.dumps(as_json(reports, elapsed), indent=2))
    else:
        lines = text_lines(reports)
        for line in lines[:-1]:
            say(line)
        if len(reports) > 1:
            for line in summary_table(reports, elapsed):
                warn(line)
        say(lines[-1])
    return EXIT_OK if all(r.ok for r in reports) else EXIT_FINDINGS
