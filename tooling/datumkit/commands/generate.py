"""`datum generate NAME...|--all`: write every GENERATED file of the given datums."""

from __future__ import annotations

from datumkit.commands import EXIT_FINDINGS, EXIT_OK
from datumkit.commands.output import report_error, say
from datumkit.errors import DatumError
from datumkit.generate import render_all
from datumkit.project import Project
from datumkit.writer import write_outputs


def generate(project: Project, names: list[str]) -> int:
    """Generate each datum; an invalid datum is reported and skipped, the others still run."""
    failed = 0
    for name in names:
        try:
            source = project.load(name)
            changed = write_outputs(project.directory(name), render_all(source))
        except DatumError as error:
            report_error(error)
            failed += 1
            continue
        if changed:
            for path in changed:
                say(f"wrote {source.display(path)}")
        else:
            say(f"{source.directory}: up to date")
    return EXIT_FINDINGS if failed else EXIT_OK
