"""`datum list`: every datum with its title, baseline and status, at a glance."""

from __future__ import annotations

import json

from datumkit.checks import DatumReport
from datumkit.cli.commands import EXIT_OK
from datumkit.cli.commands.check import run_checks
from datumkit.cli.output import say
from datumkit.model.project import Project


def _status(report: DatumReport) -> str:
    errors = [f for f in report.findings if f.severity == "error"]
    if not errors:
        return "ok"
    if any(f.check == "schema" for f in errors):
        return "invalid"
    return f"{len(errors)} finding{'s' if len(errors) != 1 else ''}"


def list_datums(project: Project, *, json_output: bool) -> int:
    names = project.names()
    rows = []
    for report in run_checks(project, names, progress=not json_output):
        datum = report.datum
        title = datum.metadata.title if datum else ""
        baseline = datum.repo.start_commit_sha if datum else ""
        rows.append(
            {"name": report.name, "title": title, "baseline": baseline, "status": _status(report)}
        )
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
    return EXIT_OK
