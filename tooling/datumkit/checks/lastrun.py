"""The outcome of the last full `datum check` of each datum, for `datum list` to show.

Listing 300 datums must not run every check (6 s); it shows what the last `datum check` found,
and whether the datum's files changed since (then the status is ``changed``: run the check
again). Failures are kept too -- the point is to see at a glance which datums need work.

One small JSON file per project, outside the working tree: ``<git dir>/datumkit/last-check.json``
in a git repository, else beside the mirror cache (``$DATUMKIT_CACHE``) keyed by the project's
path. Written atomically after
merging with what is on disk; a file that does not parse is treated as empty (it is a view of
past runs, never an input to a check).

Freshness is a fingerprint of each datum's files (path, size, mtime in ns): cheap, and any edit,
checkout or generate changes it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datumkit.checks import SCHEMA, DatumReport
from datumkit.fsio import write_atomic
from datumkit.model.datumdir import DATUMS_DIR

_FILE = "last-check.json"
_VERSION = 1
#: status of a datum no full `datum check` has seen
UNCHECKED = "unchecked"
#: status of a datum whose files changed after its last check
CHANGED = "changed"


@dataclass(frozen=True)
class LastResult:
    status: str
    fingerprint: str
    #: what `datum list` shows beside the status, so a fresh entry needs no YAML parsing
    title: str = ""
    baseline: str = ""


def status_of(report: DatumReport) -> str:
    """``ok``, ``invalid`` (datum.yaml does not load) or ``N finding(s)``."""
    errors = [f for f in report.findings if f.severity == "error"]
    if not errors:
        return "ok"
    if any(f.check == SCHEMA for f in errors):
        return "invalid"
    return f"{len(errors)} finding{'s' if len(errors) != 1 else ''}"


def fingerprint(root: Path, name: str) -> str:
    """Hash of (path, size, mtime) of every file of ``datums/<name>``; symlinks not followed."""
    return fingerprint_of(stat_datum(root, name))


def stat_datum(root: Path | str, name: str) -> dict[str, os.stat_result]:
    """``lstat`` of every file of ``datums/<name>`` by relative path, in a stable order.

    Plain strings and ``os.lstat`` rather than pathlib: ``check --all`` stats every file of
    2,000 datums, and pathlib's objects cost more than the system calls. The check cache takes
    its keys from the same stats (checks/fingerprint.py), so a run stats each file once.
    """
    found: dict[str, os.stat_result] = {}
    _stat_tree(os.path.join(root, DATUMS_DIR, name), "", found)
    return found


def _stat_tree(directory: str, prefix: str, found: dict[str, os.stat_result]) -> None:
    """What ``os.walk`` (top-down, directories and files sorted, symlinked directories not
    entered, unreadable directories skipped) and an ``lstat`` per file found, in its order:
    the directory's files, then each subdirectory's. One ``scandir`` recursion costs half of
    os.walk's generators and path joins, which were a tenth of a datum's cold check."""
    try:
        with os.scandir(directory) as listing:
            entries = list(listing)
    except OSError:
        return
    files: list[str] = []
    subdirectories: list[str] = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if not is_dir:
            files.append(entry.name)
        elif not _is_symlink(entry):
            subdirectories.append(entry.name)
    for filename in sorted(files):
        try:
            found[prefix + filename] = os.lstat(f"{directory}/{filename}")
        except OSError:
            continue
    for subdirectory in sorted(subdirectories):
        _stat_tree(f"{directory}/{subdirectory}", f"{prefix}{subdirectory}/", found)


def _is_symlink(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False


def fingerprint_of(stats: Mapping[str, os.stat_result]) -> str:
    """:func:`fingerprint` of what :func:`stat_datum` found."""
    digest = hashlib.sha256()
    for relative, info in stats.items():
        digest.update(f"{relative}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def results_file(root: Path) -> Path:
    """Where the last results of the project at ``root`` live (never inside the work tree)."""
    git_dir = _git_dir(root)
    if git_dir is not None:
        return git_dir / "datumkit" / _FILE
    from datumkit.git.mirrors import default_cache_dir  # pygit2: only outside git repositories

    key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    return default_cache_dir() / ".last-check" / f"{key}.json"


def _git_dir(root: Path) -> Path | None:
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
        text = dot_git.read_text("utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            target = Path(text.removeprefix("gitdir:").strip())
            return target if target.is_absolute() else (root / target).resolve()
    return None


def load(root: Path) -> dict[str, LastResult]:
    """The stored results by datum name; ``{}`` when there are none or the file is unreadable."""
    try:
        document = json.loads(results_file(root).read_text("utf-8"))
        entries = document["datums"] if document.get("version") == _VERSION else {}
        return {
            str(name): LastResult(
                str(entry["status"]),
                str(entry["fingerprint"]),
                str(entry.get("title", "")),
                str(entry.get("baseline", "")),
            )
            for name, entry in entries.items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def record(
    root: Path, reports: Iterable[DatumReport], fingerprints: Mapping[str, str] | None = None
) -> None:
    """Store the results of a full check (every check ran) of ``reports``' datums.

    ``fingerprints`` are datums' fingerprints taken before they were checked (by the check
    cache, from the stats it needed anyway); the others are taken now.
    """
    known = fingerprints or {}
    entries = load(root)
    before = dict(entries)
    for report in reports:
        entries[report.name] = LastResult(
            status_of(report),
            known.get(report.name) or fingerprint(root, report.name),
            *report.title_and_baseline,
        )
    document = {
        "version": _VERSION,
        "datums": {
            name: {
                "status": r.status,
                "fingerprint": r.fingerprint,
                "title": r.title,
                "baseline": r.baseline,
            }
            for name, r in sorted(entries.items())
        },
    }
    if entries == before:
        return  # nothing new to say (a warm `check --all`): leave the file as it is
    path = results_file(root)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, _document_text(document).encode())
    except OSError:
        pass  # a read-only git dir or cache: listing then shows "unchecked", nothing breaks


def _document_text(document: dict[str, Any]) -> str:
    """The results as JSON, one line per datum: ``json.dumps(indent=...)`` encodes in pure
    Python (~50 ms for 2,000 datums, at the end of every `check --all`, on one core); a line per
    entry is the C encoder's work, and `grep` still finds a datum's line."""
    rows = [
        f"  {json.dumps(name)}: {json.dumps(entry, sort_keys=True)}"
        for name, entry in sorted(document["datums"].items())
    ]
    datums = "{\n" + ",\n".join(rows) + "\n }" if rows else "{}"
    return f'{{\n "datums": {datums},\n "version": {json.dumps(document["version"])}\n}}\n'


def current(root: Path, name: str, results: Mapping[str, LastResult]) -> LastResult | None:
    """The stored result while the datum's files are unchanged, else ``None``."""
    last = results.get(name)
    return last if last is not None and last.fingerprint == fingerprint(root, name) else None


def current_status(root: Path, name: str, results: Mapping[str, LastResult]) -> str:
    """The stored status while the datum is unchanged, else ``changed`` / ``unchecked``."""
    last = current(root, name, results)
    if last is not None:
        return last.status
    return CHANGED if name in results else UNCHECKED
