"""`datum check NAME...|--all`: schema, generated files in sync, patch. Never writes."""

from __future__ import annotations

import json

from datumkit.checks import DatumReport, check_datum
from datumkit.commands import EXIT_FINDINGS, EXIT_OK
from datumkit.commands.output import say
from datumkit.datumdir import DiskFiles
from datumkit.project import Project
from datumkit.report import as_json, text_lines


def run_checks(project: Project, names: list[str]) -> list[DatumReport]:
    context = project.check_context()
    return [check_datum(name, DiskFiles(project.directory(name)), context) for name in names]


def check(project: Project, names: list[str], *, json_output: bool) -> int:
    reports = run_checks(project, names)
    if json_output:
        say(json.dumps(as_json(reports), indent=2))
    else:
        for line in text_lines(reports):
            say(line)
    return EXIT_OK if all(r.ok for r in reports) else EXIT_FINDINGS
