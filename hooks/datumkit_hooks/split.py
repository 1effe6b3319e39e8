"""The `datum-check` hook on two cores: the mirror checks in a forked child, the others here.

Why: a one-datum commit's hook run is almost all imports, not checking (benchmarks/precommit.py).
After the model is built, what is left splits in two independent halves of about the same cost:
the checks that read the mirror (`patch`, `leaks`: pygit2 and the in-memory apply) and the
others (`generated`, `secrets`: the renderers and detect-secrets; `verified`). A forked child
imports and runs the first half while this process runs the second, so on a machine with two
free cores the commit waits for the slower half instead of both. The child inherits what is
already imported and built (pydantic, the datum model, the YAML loader): nothing is paid twice.

The result is the same as running every check here: the child's findings come back through a
pipe (pickled; same code on both ends) and are merged in the checks' report order. Where fork
is missing or unsafe (Windows, macOS), no core is free besides this process's (one core, or a
load average above cores - 1), or many datums are touched (the runner's worker pool
parallelises those), the hook runs every check in this process. If the child fails for any
reason, its half runs here, so an unexpected error surfaces as it would without the split.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
from collections.abc import Sequence

from datumkit.checks import CHECK_NAMES, CHECKS, SCHEMA, DatumReport
from datumkit.checks.findings import Finding
from datumkit.checks.runner import PARALLEL_THRESHOLD, check_many, default_jobs
from datumkit.errors import DatumError
from datumkit.model.project import Project
from datumkit.secrets.deferred import import_detect_secrets

#: the checks that read the mirror (pygit2), run by the child
MIRROR_CHECKS: tuple[str, ...] = ("patch", "leaks")
#: everything else, run by this process (schema too: an invalid datum is reported from here)
LOCAL_CHECKS: tuple[str, ...] = (SCHEMA, *(c for c in CHECKS if c not in MIRROR_CHECKS))

#: what the child sends back per datum: name, checks run, findings
_Sent = list[tuple[str, tuple[str, ...], tuple[Finding, ...]]]


def can_split(names: Sequence[str], *, cores: int | None = None, load: float | None = None) -> bool:
    """Whether splitting can save time here: fork, a free core besides ours, a few datums.

    `cores` defaults to the cores this process may use, `load` to the one-minute load average.
    As with `make -l`, a busy machine (load average above cores - 1) gets no second process:
    there the two halves would only compete for the same core, and forking costs a little.
    Not on macOS, where a forked child that did not exec may abort in system frameworks (and
    Python's own multiprocessing no longer forks); it would still be correct (its half runs
    here after a failed child) but slower.
    """
    if not hasattr(os, "fork") or sys.platform == "darwin":
        return False
    cores = default_jobs() if cores is None else cores
    if load is None:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return cores >= 2 and load <= cores - 1 and 0 < len(names) < PARALLEL_THRESHOLD


def check_split(context: Project, names: Sequence[str]) -> list[DatumReport]:
    """Every check of `names`, the mirror checks in a forked child; reports in `names` order."""
    _build_model(context, names[0])
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # nothing buffered is written twice
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, which leaves through os._exit
        os.close(read_end)
        _child(context, names, write_end)
    os.close(write_end)
    import_detect_secrets()  # here, after the fork: the child has no use for it
    local = check_many(context, names, only=LOCAL_CHECKS)
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(child, 0)
    sent: _Sent | None = None
    if os.waitstatus_to_exitcode(status) == 0:
        with contextlib.suppress(Exception):
            sent = pickle.loads(payload)  # our own child, running the same code
    if sent is None:  # the child failed: run its half here, where an error shows as usual
        mirrored = check_many(context, names, only=MIRROR_CHECKS)
        sent = [(r.name, r.checks_run, r.findings) for r in mirrored]
    return [_merge(mine, theirs) for mine, theirs in zip(local, sent, strict=True)]


def _build_model(context: Project, name: str) -> None:
    """Import the YAML loader and build the datum model before forking, so the child does not.

    The model is built on its first validation; loading one touched datum does it (an invalid
    one too: the schema check reports it later).
    """
    with contextlib.suppress(DatumError):
        context.load(name)


def _child(context: Project, names: Sequence[str], write_end: int) -> None:  # pragma: no cover
    code = 1
    try:
        reports = check_many(context, names, only=MIRROR_CHECKS)
        payload = pickle.dumps([(r.name, r.checks_run, r.findings) for r in reports])
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        code = 0
    finally:
        os._exit(code)  # no atexit handlers, no flushing the parent's buffers a second time


def _merge(
    mine: DatumReport, theirs: tuple[str, tuple[str, ...], tuple[Finding, ...]]
) -> DatumReport:
    name, ran, findings = theirs
    assert name == mine.name, f"child reported {name}, expected {mine.name}"
    if any(finding.check == SCHEMA for finding in mine.findings):
        return mine  # an invalid datum: the child found the same schema problems
    order = {check: index for index, check in enumerate(CHECK_NAMES)}
    merged = sorted((*mine.findings, *findings), key=lambda f: order.get(f.check, len(order)))
    checks_run = tuple(c for c in CHECK_NAMES if c in mine.checks_run or c in ran)
    return DatumReport(mine.name, checks_run, tuple(merged), mine.datum)
