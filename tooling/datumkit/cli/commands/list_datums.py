"""`datum list`: every datum with its title, baseline and status, at a glance.

The status is what the last full `datum check` found (``changed`` when the datum's files changed
since, ``unchecked`` when it never ran); `--check` runs the checks now. Listing never runs the
checks by itself: on hundreds of datums that took seconds for a table.
"""

from __future__ import annotations

import json

from datumkit.checks import lastrun
from datumkit.cli.commands import EXIT_OK
from datumkit.cli.output import say
from datumkit.errors import DatumError
from datumkit.model.project import Project


def _rows(project: Project, *, check: bool, progress: bool) -> list[dict[str, str]]:
    names = project.names()
    if check:
        from datumkit.cli.commands.check import run_checks  # the checks' libraries, only now

        reports = run_checks(project, names, progress=progress)
        lastrun.record(project.root, reports)
    results = lastrun.load(project.root)
    rows = []
    for name in names:
        fresh = lastrun.current(project.root, name, results)
        if fresh is not None:  # unchanged since its last check: nothing to parse
            rows.append(
                {
                    "name": name,
                    "title": fresh.title,
                    "baseline": fresh.baseline,
                    "status": fresh.status,
                }
            )
            continue
        status = lastrun.CHANGED if name in results else lastrun.UNCHECKED
        try:
            datum = project.load(name).datum
            title, baseline = datum.metadata.title, datum.repo.start_commit_sha
        except DatumError:
            title, baseline = "", ""
            status = "invalid"  # datum.yaml does not load: no check needed to know that
        rows.append({"name": name, "title": title, "baseline": baseline, "status": status})
    return rows


def list_datums(project: Project, *, json_output: bool, check: bool = False) -> int:
    rows = _rows(project, check=check, progress=not json_output)
    if json_output:
        say(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        say("no datums yet: `datum new NAME` or `datum import DIR` creates one")
        return EXIT_OK
    width = max(len("NAME"), *(len(r["name"]) for r in rows))
    say(f"{'NAME':<{width}}  {'BASELINE':<12}  {'STATUS':<12}  TITLE")
    for row in rows:
        say(
            f"{row['name']:<{width}}  {row['baseline'][:12]:<12}  "
            f"{row['status']:<12}  {row['title']}"
        )
    if any(r["status"] in (lastrun.UNCHECKED, lastrun.CHANGED) for r in rows):
        say("status is from the last `datum check`; `datum list --check` checks now")
    return EXIT_OK
