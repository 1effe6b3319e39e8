"""The `datum-check` hook on two cores: a forked child applies the patches and scans for secrets.

Why: a one-datum commit's hook run is almost all imports, not checking (benchmarks/precommit.py),
in three lumps of about the same size: pydantic and the datum model (every check but `secrets`
needs the validated datum), pygit2 with the in-memory apply (`patch` and `leaks` need the
patch applied to the baseline), and detect-secrets with datumkit's rules (`secrets`, which
reads files only). The child is forked before pydantic is imported, so the lumps overlap:

- the child reads datum.yaml's plain values with the YAML loader (model/plainyaml.py, no
  pydantic), applies diff.patch to `repo.start_commit_sha` of `repo.git_url`'s mirror exactly
  as the patch check would, and sends the results back; then it imports detect-secrets and
  runs the `secrets` check, and sends its findings;
- this process builds the model and runs every other check; the `patch` and `leaks` checks
  take the child's result for a datum whose validated upstream, baseline and patch are the
  very ones the child applied (model/applied.py `remember_applied`), so this process never
  imports pygit2 unless a check needs the mirror itself (a leaks check reading the baseline,
  a datum the child could not apply: it then applies here, and reports as it always did).

The result is the same as running every check here: results come back through a pipe (pickled;
same code on both ends) and are merged in the checks' report order; for a datum whose datum.yaml
is invalid only this process's schema findings are reported, as without the split. Where fork
is missing or unsafe (Windows, macOS), no second core is usable (one core, or a load average
of cores + 1 or more), or many datums are touched (the runner's worker pool parallelises
those), the hook runs every check in this process. If the child fails for any reason, its half
runs here, so an unexpected error surfaces as it would without the split.

With DATUMKIT_HOOK_TRACE=1 in the environment, both processes write when each phase ends to
stderr (wall milliseconds since this module was imported, and the process's CPU milliseconds):
where a commit's time goes, on the machine it is spent on.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import IO, TYPE_CHECKING, Any

from datumkit.checks import CHECK_NAMES, CHECKS, SCHEMA, DatumReport
from datumkit.checks.findings import Finding
from datumkit.checks.runner import PARALLEL_THRESHOLD, check_many, default_jobs
from datumkit.errors import DatumError
from datumkit.model.project import Project
from datumkit.secrets.deferred import import_detect_secrets

if TYPE_CHECKING:
    from datumkit.git.apply import PatchResult

#: the checks the child runs (files only: no model, no mirror)
CHILD_CHECKS: tuple[str, ...] = ("secrets",)
#: everything else, run by this process (schema too: an invalid datum is reported from here)
LOCAL_CHECKS: tuple[str, ...] = (SCHEMA, *(c for c in CHECKS if c not in CHILD_CHECKS))
#: the checks whose mirror work the child does first (the patch applied to the baseline)
MIRROR_CHECKS: tuple[str, ...] = ("patch", "leaks")

#: what the child sends back per datum: name, checks run, findings
_Sent = list[tuple[str, tuple[str, ...], tuple[Finding, ...]]]
#: a patch the child applied: upstream URL, baseline, patch bytes, result
_Applied = list[tuple[str, str, bytes, "PatchResult"]]

_TRACING = bool(os.environ.get("DATUMKIT_HOOK_TRACE"))
_STARTED = time.monotonic()


def _trace(role: str, phase: str) -> None:
    if _TRACING:
        wall = (time.monotonic() - _STARTED) * 1000
        cpu = time.process_time() * 1000
        print(
            f"datum-hook trace: {role:6} {phase:28} {wall:7.1f} ms  cpu {cpu:6.1f} ms",
            file=sys.stderr,
        )


def can_split(names: Sequence[str], *, cores: int | None = None, load: float | None = None) -> bool:
    """Whether splitting can save time here: fork, a second core, a few datums.

    `cores` defaults to the cores this process may use, `load` to the one-minute load average.
    The split costs a fork and a second read of datum.yaml (a few milliseconds of CPU) and
    halves the wall time when a second core is free; on a busy machine the scheduler still
    gives two processes more of the machine than one, up to about a core's worth of load
    beyond the cores (measured on 2 cores, medians of interleaved runs, split against one
    process: 0.48 s / 0.57 s at a load average of 1.4, 1.35 s / 1.49 s at 2.2-3.0, but
    0.81 s / 0.75 s at 3.4), so from a load average of cores + 1 the hook runs in one process.
    Not on macOS,
    where a forked child that did not exec may abort in system frameworks (and Python's own
    multiprocessing no longer forks); it would still be correct (its half runs here after a
    failed child) but slower.
    """
    if not hasattr(os, "fork") or sys.platform == "darwin":
        return False
    cores = default_jobs() if cores is None else cores
    if load is None:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return cores >= 2 and load < cores + 1 and 0 < len(names) < PARALLEL_THRESHOLD


def check_split(context: Project, names: Sequence[str]) -> list[DatumReport]:
    """Every check of `names`, the secrets scan and patch apply in a forked child; reports in
    `names` order."""
    # what both processes need, done once: the YAML loader (plain values there, validation
    # here), where the mirrors are, the apply's modules (applying there, reading results here)
    import pickle  # noqa: F401

    import datumkit.model.applied
    import datumkit.model.yamlio  # noqa: F401

    with contextlib.suppress(DatumError):  # a bad mirror table: the patch check reports it
        context.locator()
    _trace("parent", "fork")
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # nothing buffered is written twice
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, which leaves through os._exit
        os.close(read_end)
        _child(context, names, write_end)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        if not _prepare(context, names):  # pydantic and the model while the child imports pygit2
            # no datum.yaml validates: only schema findings are reported, nothing of the
            # child's (which may still be applying a large patch of an invalid datum)
            _stop(child)
            return check_many(context, names, only=LOCAL_CHECKS)
        _trace("parent", "model built, checks imported")
        applied = _receive(pipe)
        _trace("parent", "patches received")
        if applied is not None:
            _remember(context, applied)
        local = check_many(context, names, only=LOCAL_CHECKS)
        _trace("parent", "checks run")
        sent: _Sent | None = _receive(pipe)
    _, status = os.waitpid(child, 0)
    _trace("parent", "child's findings received")
    if os.waitstatus_to_exitcode(status) != 0:
        sent = None
    if sent is None:  # the child failed: run its half here, where an error shows as usual
        import_detect_secrets()
        scanned = check_many(context, names, only=CHILD_CHECKS)
        sent = [(r.name, r.checks_run, r.findings) for r in scanned]
    return [_merge(mine, theirs) for mine, theirs in zip(local, sent, strict=True)]


def _prepare(context: Project, names: Sequence[str]) -> bool:
    """Build the datum model and import this process's checks before the child's results are
    needed; whether any of `names` validates.

    The model is built on its first validation, which loading a touched datum does (an invalid
    one too: the schema check reports it later); the first that validates ends the loading.
    """
    import importlib

    for name in names:
        try:
            context.load(name)
        except DatumError:
            continue
        break
    else:
        return False
    for check in LOCAL_CHECKS[1:]:
        importlib.import_module(f"datumkit.checks.{check}")
    return True


def _stop(child: int) -> None:
    """End the child whose results are not needed, and reap it."""
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)


def _receive(pipe: IO[bytes]) -> Any:
    """The child's next message, or None when it stopped before sending it."""
    import pickle

    try:
        return pickle.load(pipe)  # our own child, running the same code
    except Exception:
        return None


def _remember(context: Project, applied: _Applied) -> None:
    from datumkit.model.applied import remember_applied

    locator = context.locator()
    for git_url, baseline, patch, result in applied:
        remember_applied(locator, git_url, baseline, patch, result)


def _child(context: Project, names: Sequence[str], write_end: int) -> None:  # pragma: no cover
    import pickle

    code = 1
    try:
        with os.fdopen(write_end, "wb") as pipe:
            pickle.dump(_apply_patches(context, names), pipe)
            pipe.flush()  # this process may now use the results while the child scans
            _trace("child", "patches applied and sent")
            import_detect_secrets()
            reports = check_many(context, names, only=CHILD_CHECKS)
            pickle.dump([(r.name, r.checks_run, r.findings) for r in reports], pipe)
        _trace("child", "secrets scanned and sent")
        code = 0
    finally:
        os._exit(code)  # no atexit handlers, no flushing the parent's buffers a second time


def _apply_patches(context: Project, names: Sequence[str]) -> _Applied:
    """Each datum's diff.patch applied as the patch check would, from datum.yaml's plain values.

    A datum whose values cannot be read, or whose patch does not apply, is left out: the patch
    check applies it again in the parent and reports the problem exactly as without the split.
    """
    applied: _Applied = []
    for name in names:
        with contextlib.suppress(Exception):
            found = _apply_one(context, name)
            if found is not None:
                applied.append(found)
    return applied


def _apply_one(context: Project, name: str) -> tuple[str, str, bytes, PatchResult] | None:
    from datumkit.git.apply import apply_patch_in_memory
    from datumkit.git.mirrors import resolve_commit
    from datumkit.model.applied import cached_mirror
    from datumkit.model.datumdir import DATUM_YAML, PATCH_FILE, DiskFiles
    from datumkit.model.yamlio import load_plain

    files = DiskFiles(context.directory(name))
    text, patch = files.read(DATUM_YAML), files.read(PATCH_FILE)
    if text is None or patch is None:
        return None
    repo = load_plain(text, file=DATUM_YAML).get("repo")
    git_url, baseline = repo.get("git_url"), repo.get("start_commit_sha")
    if not isinstance(git_url, str) or not isinstance(baseline, str):
        return None
    locator = context.locator()
    mirror = cached_mirror(locator, git_url)  # as datum_mirror() and apply_datum_patch() do
    resolve_commit(mirror, baseline, git_url)
    result = apply_patch_in_memory(mirror, baseline, patch)
    # the new objects without the repository handle they filter themselves with
    return git_url, baseline, patch, replace(result, objects=dict(result.objects))


def _merge(
    mine: DatumReport, theirs: tuple[str, tuple[str, ...], tuple[Finding, ...]]
) -> DatumReport:
    name, ran, findings = theirs
    assert name == mine.name, f"child reported {name}, expected {mine.name}"
    if any(finding.check == SCHEMA for finding in mine.findings):
        return mine  # an invalid datum: no check runs after the schema, as without the split
    order = {check: index for index, check in enumerate(CHECK_NAMES)}
    merged = sorted((*mine.findings, *findings), key=lambda f: order.get(f.check, len(order)))
    checks_run = tuple(c for c in CHECK_NAMES if c in mine.checks_run or c in ran)
    return DatumReport(mine.name, checks_run, tuple(merged), mine.datum)
