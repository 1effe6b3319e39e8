"""`datum check`: schema, generated files in sync, patch, secrets. Never writes.

Datums are chosen by name, `--all` or `--changed-since REV` (see commands/selection.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

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

    ``listed`` receives the datums' `datum list` fingerprints taken before the checks (for
    :func:`lastrun.record`: the cache stat'ed every file already; without it, the workers do).
    """
    with CheckProgress(len(names), enabled=progress) as on_report:
        if not use_cache:
            reports = check_many(
                project, names, jobs=jobs, only=only, on_report=on_report, listed=listed is not None
            )
            if listed is not None:
                listed.update((r.name, r.listed) for r in reports if r.listed)
            return reports
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
        say(_json_text(as_json(reports, elapsed)))
    else:
        lines = text_lines(reports)
        for line in lines[:-1]:
            say(line)
        if len(reports) > 1:
            for line in summary_table(reports, elapsed):
                warn(line)
        say(lines[-1])
    return EXIT_OK if all(r.ok for r in reports) else EXIT_FINDINGS


def _json_text(document: dict[str, Any]) -> str:
    """The report indented, except each datum's entry: one line each.

    ``json.dumps(indent=...)`` runs in pure Python, ~0.1 s for a 2,000-datum report (a tenth of
    a warm `check --all`); a line per datum is the C encoder's work and reads as well (`grep`
    finds a datum's whole entry).
    """
    rows = [f"    {json.dumps(entry)}" for entry in document["datums"]]
    listed = "[\n" + ",\n".join(rows) + "\n  ]" if rows else "[]"
    lines = [f"  {json.dumps(key)}: {listed}" if key == "datums" else None for key in document]
    parts = [
        line if line is not None else _indented(key, document[key])
        for key, line in zip(document, lines, strict=True)
    ]
    return "{\n" + ",\n".join(parts) + "\n}"


def _indented(key: str, value: Any) -> str:
    inner = json.dumps(value, indent=2).replace("\n", "\n  ")
    return f"  {json.dumps(key)}: {inner}"
