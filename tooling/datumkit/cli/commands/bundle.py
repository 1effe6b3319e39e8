"""`datum bundle CREATED_DIR --name NAME [--force]`: a created-task directory becomes a datum."""

from __future__ import annotations

from pathlib import Path

from datumkit.cli.commands import EXIT_OK
from datumkit.cli.output import say
from datumkit.model.datumdir import DATUMS_DIR
from datumkit.model.project import Project
from datumkit.session.bundle import bundle


def bundle_created(
    project: Project,
    created: Path,
    *,
    name: str,
    force: bool,
    fetch: bool,
    max_trace_bytes: int | None,
) -> int:
    result = bundle(
        created,
        project.root,
        name,
        context=project,
        force=force,
        fetch=fetch,
        max_trace_bytes=max_trace_bytes,
    )
    verb = "replaced" if result.replaced else "created"
    checks = ", ".join(result.report.checks_run)
    say(f"{verb} {DATUMS_DIR}/{name} from {created}; checks passed: {checks}")
    for path in result.files:
        say(f"  {path}")
    for note in result.notes:
        say(f"  note: {note}")
    say(
        f"next: edit {DATUMS_DIR}/{name}/datum.yaml, `make datum NAME={name}`, `datum review`, "
        f"then `git add {DATUMS_DIR}/{name}` and commit"
    )
    return EXIT_OK
