"""`datum import DIR`: a seed-style task directory becomes datums/NAME. DIR is only read."""

from __future__ import annotations

from pathlib import Path

from datumkit.cli.commands import EXIT_FINDINGS, EXIT_OK
from datumkit.cli.output import report_error, say
from datumkit.errors import UsageProblem
from datumkit.fsio import staged_directory, write_inside
from datumkit.generate import render_all
from datumkit.generate.writer import write_outputs
from datumkit.interop.seed import TB_META, plan_import, validate_plan
from datumkit.model.datum import DatumInvalid
from datumkit.model.datumdir import DATUM_YAML, DATUMS_DIR, DiskFiles, check_datum_name, load_source
from datumkit.model.project import Project


def import_datum(
    project: Project, directory: Path, *, name: str | None, allow_invalid: bool
) -> int:
    plan = plan_import(directory, name=name)
    check_datum_name(plan.name)
    target = project.directory(plan.name)
    if target.exists():
        raise UsageProblem(
            f"{DATUMS_DIR}/{plan.name} already exists",
            hint="pass --name to import under another name",
        )
    invalid: DatumInvalid | None = None
    try:
        validate_plan(plan, str(directory / TB_META))
    except DatumInvalid as error:
        if not allow_invalid:
            report_error(error)
            say("nothing written; fix the source, or pass --allow-invalid to import anyway")
            return EXIT_FINDINGS
        invalid = error

    with staged_directory(target) as staging:
        write_inside(staging, DATUM_YAML, plan.datum_yaml())
        for relative, content in plan.files.items():
            write_inside(staging, relative, content)
        if invalid is None:
            write_outputs(staging, render_all(load_source(plan.name, DiskFiles(staging))))

    say(f"imported {directory} as {DATUMS_DIR}/{plan.name}")
    for note in plan.notes:
        say(f"  note: {note}")
    if invalid is not None:
        report_error(invalid)
        say(f"datum.yaml written as found; fix it, then `datum generate {plan.name}`")
        return EXIT_FINDINGS
    return EXIT_OK
