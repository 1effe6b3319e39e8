"""Checks: small units that look at one datum and return findings. They never write.

Every check module exposes the same two names, ``NAME`` and ``run(source, context)``, and the
registry below lists them in the order reports show them. Schema validation is not in the list:
it is what *loading* a datum does, and a datum that does not load has nothing else to check.

Check modules are imported when first run, not with this package: each pre-commit hook is its
own process that runs one check, and the others' libraries (pygit2, detect-secrets) would
otherwise cost every hook their import time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from datumkit.checks.findings import Finding
from datumkit.checks.memofiles import ReadOnce
from datumkit.errors import DatumError
from datumkit.model.datumdir import (
    DATUM_NAME_RULE,
    DATUM_YAML,
    DATUMS_DIR,
    DatumDirectory,
    DatumFiles,
    is_datum_name,
    load_source,
)
from datumkit.model.project import Project

if TYPE_CHECKING:
    from datumkit.model.datum import Datum

SCHEMA = "schema"
#: the checks after loading, in report order; each is the module `datumkit.checks.<name>`
CHECKS: tuple[str, ...] = ("generated", "patch", "secrets", "leaks", "verified")
CHECK_NAMES: tuple[str, ...] = (SCHEMA, *CHECKS)
#: checks that read the datum's files but not its validated model
FILE_ONLY_CHECKS: tuple[str, ...] = ("secrets",)

#: `run(source, context)`: source is a DatumSource, or a DatumDirectory for FILE_ONLY_CHECKS
CheckRun = Callable[[Any, Project], Iterable[Finding]]


def _check_function(name: str) -> CheckRun:
    module = importlib.import_module(f"datumkit.checks.{name}")
    assert name == module.NAME, f"datumkit.checks.{name} calls itself {module.NAME}"
    run: CheckRun = module.run
    return run


__all__ = ["CHECK_NAMES", "DatumReport", "Finding", "check_datum"]


@dataclass(frozen=True)
class DatumReport:
    """The outcome of checking one datum: which checks ran and what they found."""

    name: str
    checks_run: tuple[str, ...]
    findings: tuple[Finding, ...]
    #: the parsed datum, when datum.yaml was valid enough to load
    datum: Datum | None = None
    #: (title, baseline commit) for `datum list` when there is no `datum` (a cached result)
    summary: tuple[str, str] = ("", "")
    #: whether the result is a stored pass of the check cache (checks/cache.py), not a new run
    cached: bool = False
    #: the datum's `datum list` fingerprint (checks/lastrun.py) taken just before the check,
    #: when the caller asked for it (in the worker, not after the run in the parent)
    listed: str = ""
    #: the datum's repo.git_url, kept by :meth:`lightened` where `datum` is dropped (the check
    #: cache pins the baseline by it)
    upstream: str = ""

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def title_and_baseline(self) -> tuple[str, str]:
        """The datum's title and baseline commit, '' when datum.yaml did not load."""
        if self.datum is not None:
            return self.datum.metadata.title, self.datum.repo.start_commit_sha
        return self.summary

    @property
    def pin(self) -> tuple[str, str] | None:
        """(repo.git_url, baseline commit) of a datum that loaded, else ``None``."""
        if self.datum is not None:
            return self.datum.repo.git_url, self.datum.repo.start_commit_sha
        if self.upstream:
            return self.upstream, self.summary[1]
        return None

    def lightened(self) -> DatumReport:
        """This report without the parsed datum, keeping what callers read of it (title,
        baseline, upstream): what a worker process sends back. Unpickling a pydantic model
        costs the parent ~0.35 ms per datum, a tenth of checking it, on the one core that
        also receives every other worker's reports."""
        if self.datum is None:
            return self
        repo = self.datum.repo
        summary = (self.datum.metadata.title, repo.start_commit_sha)
        return replace(self, datum=None, summary=summary, upstream=repo.git_url)


def check_datum(
    name: str,
    files: DatumFiles,
    context: Project,
    *,
    only: Sequence[str] | None = None,
) -> DatumReport:
    """Load datum `name` from `files` and run every check (or those named in `only`).

    When only file-reading checks are asked for (the `secrets` pre-commit hook), datum.yaml is
    not validated at all: those checks do not need the model, and a secret is a finding whether
    or not the rest of the datum is valid.
    """
    if not is_datum_name(name):
        finding = Finding(
            SCHEMA,
            name,
            f"{DATUMS_DIR}/{name}",
            None,
            f"{name!r} is not a valid datum name (rename the directory: {DATUM_NAME_RULE})",
        )
        return DatumReport(name, (SCHEMA,), (finding,))
    selected = [check for check in CHECKS if only is None or check in only]
    files = ReadOnce(files)  # each file read once for all the checks (checks/memofiles.py)
    validate = only is None or SCHEMA in only or any(c not in FILE_ONLY_CHECKS for c in selected)
    source: DatumDirectory = DatumDirectory(name=name, files=files)
    datum = None
    if validate:
        from datumkit.model.datum import DatumInvalid

        try:
            loaded = load_source(name, files)
        except DatumInvalid as exc:
            schema_findings = tuple(
                Finding(SCHEMA, name, exc.file or DATUM_YAML, p.path, p.message)
                for p in exc.problems
            )
            return DatumReport(name, (SCHEMA,), schema_findings)
        except DatumError as exc:
            finding = Finding.from_error(SCHEMA, name, exc, f"{DATUMS_DIR}/{name}/{DATUM_YAML}")
            return DatumReport(name, (SCHEMA,), (finding,))
        source, datum = loaded, loaded.datum
    findings: list[Finding] = []
    for check in selected:
        try:
            findings.extend(_check_function(check)(source, context))
        except DatumError as exc:  # one unreadable file is a finding, never a crashed run
            findings.append(Finding.from_error(check, name, exc, f"{DATUMS_DIR}/{name}"))
    ran = (SCHEMA, *selected) if validate else tuple(selected)
    return DatumReport(name, ran, tuple(findings), datum)
