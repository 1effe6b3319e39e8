"""Checks: small units that look at one datum and return findings. They never write.

Every check module exposes the same two names, ``NAME`` and ``run(source, context)``, and the
registry below lists them in the order reports show them. Schema validation is not in the list:
it is what *loading* a datum does, and a datum that does not load has nothing else to check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType

from datumkit.checks import generated
from datumkit.checks.context import CheckContext
from datumkit.checks.findings import Finding
from datumkit.datumdir import DATUM_YAML, DATUMS_DIR, DatumFiles, load_source
from datumkit.errors import DatumError
from datumkit.model import Datum, DatumInvalid

SCHEMA = "schema"
CHECKS: tuple[ModuleType, ...] = (generated,)
CHECK_NAMES: tuple[str, ...] = (SCHEMA, *(module.NAME for module in CHECKS))

__all__ = ["CHECK_NAMES", "CheckContext", "DatumReport", "Finding", "check_datum"]


@dataclass(frozen=True)
class DatumReport:
    """The outcome of checking one datum: which checks ran and what they found."""

    name: str
    checks_run: tuple[str, ...]
    findings: tuple[Finding, ...]
    #: the parsed datum, when datum.yaml was valid enough to load
    datum: Datum | None = None

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)


def check_datum(
    name: str,
    files: DatumFiles,
    context: CheckContext,
    *,
    only: Sequence[str] | None = None,
) -> DatumReport:
    """Load datum `name` from `files` and run every check (or those named in `only`)."""
    try:
        source = load_source(name, files)
    except DatumInvalid as exc:
        schema_findings = tuple(
            Finding(SCHEMA, name, exc.file or DATUM_YAML, p.path, p.message) for p in exc.problems
        )
        return DatumReport(name, (SCHEMA,), schema_findings)
    except DatumError as exc:
        finding = Finding.from_error(SCHEMA, name, exc, f"{DATUMS_DIR}/{name}/{DATUM_YAML}")
        return DatumReport(name, (SCHEMA,), (finding,))
    selected = [m for m in CHECKS if only is None or m.NAME in only]
    findings: list[Finding] = []
    for module in selected:
        run: Callable[[object, CheckContext], Iterable[Finding]] = module.run
        findings.extend(run(source, context))
    return DatumReport(name, (SCHEMA, *(m.NAME for m in selected)), tuple(findings), source.datum)
