"""A new datum from another format: written aside, generated, checked, then moved into place.

Every importer (SWE-bench rows and task repositories, Harbor tasks) ends the same way: the SOURCE
files it worked out are written into a staging directory next to `datums/<name>`, the GENERATED
files (datum.lock included, so the patch must apply to the baseline in the local mirror) are
written from them, every check runs, and only a datum that passes is renamed into place. A failure
at any step leaves nothing behind (ARCHITECTURE.md invariant 1: nothing half-written).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from datumkit.checks import DatumReport, check_datum
from datumkit.errors import DatumError, UsageProblem
from datumkit.fsio import staged_directory, write_atomic
from datumkit.generate.datum import generate_datum
from datumkit.generate.evalconfig import expected_eval_config
from datumkit.generate.writer import write_outputs
from datumkit.git.mirrors import CommitMissing, MirrorMissing
from datumkit.model.datumdir import (
    DATUMS_DIR,
    DatumSource,
    DiskFiles,
    check_datum_name,
    load_source,
)
from datumkit.model.project import Project


@dataclass(frozen=True)
class NewDatum:
    """The SOURCE files of a datum to create (datum.yaml included), by path inside the datum."""

    name: str
    files: Mapping[str, bytes]
    #: where it came from, for messages: `instances.jsonl:12`, `tasks/foo`
    origin: str
    notes: tuple[str, ...] = field(default=())


class AlreadyExists(UsageProblem):
    """datums/<name> exists; an import never replaces a datum."""

    kind = "already exists"


class NotGenerated(DatumError):
    """The baseline is not in a local mirror, or the patch does not apply to it."""

    kind = "patch or baseline"


class ChecksFailed(DatumError):
    """The imported datum does not pass its checks; nothing was written."""

    kind = "fails checks"

    def __init__(self, report: DatumReport, origin: str) -> None:
        self.report = report
        errors = [f for f in report.findings if f.severity == "error"]
        first = errors[0] if errors else None
        detail = f"{first.location}: {first.message}" if first and first.location else ""
        detail = detail or (first.message if first else "")
        super().__init__(
            f"fails the {first.check if first else ''} check: {detail}".rstrip(": "),
            file=origin,
            hint="nothing was written; fix the source and import again",
        )


def create_datum(new: NewDatum, context: Project, *, replace: bool = False) -> DatumReport:
    """Write `new` as `datums/<name>/`, generated and checked; raise and leave nothing otherwise.

    The lock must be made (the baseline must be in a local mirror and the patch must apply): a
    datum without it would not pass `datum check`.
    """
    check_datum_name(new.name)
    target = context.root / DATUMS_DIR / new.name
    if target.exists() and not replace:
        raise AlreadyExists(
            f"{DATUMS_DIR}/{new.name} already exists",
            file=new.origin,
            hint="remove it first, or import under another name",
        )
    with staged_directory(target, replace=replace) as staging:
        for relative, content in new.files.items():
            write_atomic(staging / relative, content)
        source = load_source(new.name, DiskFiles(staging))
        generated = generate_datum(source, context.locator())
        problem = generated.lock_problem
        if isinstance(problem, MirrorMissing | CommitMissing):
            raise NotGenerated(
                problem.message,
                file=new.origin,
                hint="run `datum fetch`, or map the URL to a local mirror in "
                "[tool.datumkit.mirrors] of pyproject.toml",
            )
        if problem is not None:
            raise NotGenerated(
                problem.message,
                file=new.origin,
                location=problem.location,
                hint=problem.hint,
            )
        write_outputs(staging, generated.files)
        with eval_config_written(context.root, source):
            report = check_datum(new.name, DiskFiles(staging), context)
            if not report.ok:
                raise ChecksFailed(report, new.origin)
    return report


@contextlib.contextmanager
def eval_config_written(root: Path, source: DatumSource) -> Iterator[None]:
    """Write the datum's research-bench eval config (when the repository has a template) for
    the checks to see; a config this created is removed again when the block fails."""
    config = expected_eval_config(root, source)
    if config is None:
        yield
        return
    path = root / config[0]
    existed = path.exists()
    write_atomic(path, config[1])
    try:
        yield
    except BaseException:
        if not existed:
            path.unlink(missing_ok=True)
        raise
