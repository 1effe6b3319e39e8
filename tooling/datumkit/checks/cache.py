"""Incremental `datum check`: a datum that passed is not checked again until something changes.

A repository of 2,000 datums is checked over and over (every `check --all`, every CI run) while
most datums never change. A datum's result depends on:

- its files: every file of ``datums/<name>/`` (content, executable bit, symlink target),
  including untracked and ignored ones;
- the tool: every file of the installed ``datumkit`` package (so a check's own code, its
  templates and the modules under it are its version) and the versions of the libraries checks
  lean on (pydantic, pygit2, detect-secrets, ruamel.yaml);
- the project: ``pyproject.toml`` (mirrors, settings), the ``--cache`` and ``$DATUMKIT_CACHE``
  mirror locations, and which checks were asked for;
- the baseline: the patch check read the baseline commit from a mirror. A commit id names its
  tree forever, but the mirror can vanish or be replaced, so an entry records the mirror, the
  commit and its tree id, and is used only while that mirror still has that commit with that
  tree.

All of these are hashed into the entry's key; an entry whose key differs is ignored (and
overwritten by the fresh result). Only passing results are stored (warnings included), so a
cached entry can only ever repeat a pass: a failing datum is re-checked on every run, which is
what someone fixing it wants, and the cache can never turn a failure into a pass.

Only the checks in :data:`CONTENT_ONLY_CHECKS` are cached; any other check in ``CHECKS`` runs
every time, next to the cached result (see :func:`split_checks`).

How the datum's files, the tool and the project are fingerprinted is
:mod:`datumkit.checks.fingerprint`'s job.

Entries live outside the working tree: in ``<git dir>/datumkit/check-cache/`` when the project
is in a git repository, else in the user cache directory. They are one JSON file per project
(read once and written once per run, which is what makes a warm run of 2,000 datums fast),
replaced atomically (temporary file + rename) after merging with what is on disk at that
moment: concurrent runs never see half a file, and when two runs race the last writer wins,
which can only drop entries (a later run re-checks those datums), never make one wrong. A file
that does not parse is an empty cache.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datumkit.checks import CHECKS, DatumReport
from datumkit.checks.findings import Finding
from datumkit.checks.fingerprint import (
    datum_fingerprints,
    git_output,
    outside_files,
    project_fingerprint,
    start_listing,
)
from datumkit.checks.lastrun import fingerprint_of, stat_datum
from datumkit.checks.runner import OnReport, check_many
from datumkit.fsio import write_atomic
from datumkit.model.project import Project

#: bump when the entry layout or what goes into a key changes
CACHE_FORMAT = 3
#: checks whose result depends only on what a key covers (the datum's files, the tool, the
#: project's settings and the baseline commit). A check not listed here (a new one, or one that
#: reads something else) is run on every datum every time, cache or not.
#: `leaks` reads the datum's files and the baseline tree (immutable under its commit id, which the
#: key checks in the mirror); `verified` reads verification.json, diff.patch, datum.lock,
#: datum.yaml and `require_verification` of pyproject.toml (in the project's fingerprint).
CONTENT_ONLY_CHECKS = frozenset({"schema", "generated", "patch", "secrets", "leaks", "verified"})


#: distributions whose version changes what a check reports
def split_checks(only: Sequence[str] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The selected checks (of ``CHECKS``) split into (cacheable, always run)."""
    selected = [c for c in CHECKS if only is None or c in only]
    cached = tuple(c for c in selected if c in CONTENT_ONLY_CHECKS)
    return cached, tuple(c for c in selected if c not in CONTENT_ONLY_CHECKS)


# --------------------------------------------------------------------------- the cache


def cache_directory(project: Project) -> Path:
    """``<git common dir>/datumkit/check-cache``, else a per-project user cache directory."""
    common = git_output(project.root, "rev-parse", "--path-format=absolute", "--git-common-dir")
    if common is not None and common.strip():
        return Path(common.strip().decode("utf-8", "surrogateescape")) / "datumkit" / "check-cache"
    import platformdirs

    where = hashlib.sha256(str(project.root.resolve()).encode()).hexdigest()[:24]
    return Path(platformdirs.user_cache_dir("datumkit")) / "check-cache" / where


@dataclass(frozen=True)
class Baseline:
    """The mirror commit a passing patch check read, and the tree it found there."""

    mirror: str
    commit: str
    tree: str


@dataclass
class CheckCache:
    """Passing results of one project and one selection of checks, keyed by content."""

    project: Project
    directory: Path
    fingerprint: str
    hits: int = 0
    misses: int = 0
    _mirrors: dict[str, Any] = field(default_factory=dict, repr=False)
    #: baselines already looked up in their mirror this run: 2,000 datums share a handful
    _held: dict[Baseline, bool] = field(default_factory=dict, repr=False)
    #: (git url, commit) -> the Baseline found for it this run (or None)
    _pinned: dict[tuple[str, str], Baseline | None] = field(default_factory=dict, repr=False)
    _entries: dict[str, Any] | None = field(default=None, repr=False)
    _new: dict[str, Any] = field(default_factory=dict, repr=False)
    #: each keyed datum's `datum list` fingerprint (checks/lastrun.py), from before its check
    listed: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, project: Project, only: Sequence[str] | None = None) -> CheckCache:
        return cls(project, cache_directory(project), project_fingerprint(project, only))

    def keys(self, names: Iterable[str]) -> dict[str, str]:
        """Each datum's entry key: this cache's fingerprint plus the datum's files.

        The first time a datum is keyed, its `datum list` fingerprint is kept too (in
        ``listed``): both come from one ``lstat`` of each of its files.
        """
        names = list(names)
        started = start_listing(self.project.root, names) if names else None
        stats = {name: stat_datum(self.project.root, name) for name in names}  # while git lists
        for name, found in stats.items():
            self.listed.setdefault(name, fingerprint_of(found))
        prints = datum_fingerprints(self.project.root, names, stats, started)
        outside = outside_files(self.project.root)
        return {
            name: hashlib.sha256(
                f"{self.fingerprint}\0{value}\0{outside(name)}".encode()
            ).hexdigest()
            for name, value in prints.items()
        }

    @property
    def path(self) -> Path:
        """The project's entries file (one per selection of checks)."""
        return self.directory / f"entries-{self.fingerprint[:16]}.json"

    def _load(self) -> dict[str, Any]:
        """Entries on disk by datum name; anything unreadable is an empty cache."""
        try:
            document = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(document, dict) or document.get("format") != CACHE_FORMAT:
            return {}
        entries = document.get("entries")
        return entries if isinstance(entries, dict) else {}

    @property
    def entries(self) -> dict[str, Any]:
        if self._entries is None:
            self._entries = self._load()
        return self._entries

    def get(self, name: str, key: str) -> DatumReport | None:
        """The stored pass of ``name`` under ``key``, if it is still valid; else ``None``."""
        report = self._read(name, key)
        if report is None:
            self.misses += 1
        else:
            self.hits += 1
        return report

    def _read(self, name: str, key: str) -> DatumReport | None:
        try:
            entry = self.entries.get(name)
            if not isinstance(entry, dict) or entry.get("key") != key:
                return None
            baselines = [Baseline(**b) for b in entry["baselines"]]
            if not all(self._baseline_holds(b) for b in baselines):
                return None
            findings = tuple(Finding(**f) for f in entry["findings"])
            checks = tuple(str(c) for c in entry["checks"])
            title, baseline = (str(part) for part in entry["summary"])
        except (ValueError, TypeError, KeyError, AttributeError):
            return None  # an entry that does not parse: check the datum again
        if any(f.severity == "error" for f in findings):
            return None
        return DatumReport(name, checks, findings, summary=(title, baseline), cached=True)

    def _baseline_holds(self, baseline: Baseline) -> bool:
        """Whether the mirror still has the commit, with the tree the check saw (looked up once
        per run: a mirror is not rewritten while a check runs, and if it were, the entries
        stored from this run would only repeat what this run saw)."""
        held = self._held.get(baseline)
        if held is None:
            held = self._held[baseline] = self._look_up(baseline)
        return held

    def _look_up(self, baseline: Baseline) -> bool:
        import pygit2

        repo = self._mirrors.get(baseline.mirror)
        if repo is None:
            try:
                repo = self._mirrors[baseline.mirror] = pygit2.Repository(baseline.mirror)
            except (pygit2.GitError, KeyError, ValueError):
                return False
        try:
            commit = repo.get(baseline.commit)
        except ValueError:
            return False
        return isinstance(commit, pygit2.Commit) and str(commit.tree_id) == baseline.tree

    def put(self, report: DatumReport, key: str) -> None:
        """Store a passing report (anything with an error finding is never stored)."""
        if not report.ok:
            return
        baselines = self._baselines(report)
        if baselines is None:
            return
        self._new[report.name] = {
            "key": key,
            "checks": list(report.checks_run),
            "findings": [f.to_json() for f in report.findings],
            "baselines": [b.__dict__ for b in baselines],
            "summary": list(report.title_and_baseline),
        }

    def save(self, *, forget: Iterable[str] = ()) -> None:
        """Merge the new entries into the file as it is now on disk, and replace it atomically.

        ``forget`` drops entries of datums that no longer pass, so the file does not keep
        results nobody can use.
        """
        gone = set(forget)
        if not self._new and not gone & set(self.entries):
            return
        entries = self._load()
        for name in gone:
            entries.pop(name, None)
        entries.update(self._new)
        document = {"format": CACHE_FORMAT, "entries": entries}
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps(document, sort_keys=True).encode())
        except OSError:
            return  # a cache that cannot be written only costs speed
        self._entries, self._new = entries, {}

    def _baselines(self, report: DatumReport) -> list[Baseline] | None:
        """What the patch check read, or ``None`` when it cannot be pinned (do not store)."""
        if "patch" not in report.checks_run:
            return []
        pin = report.pin
        if pin is None:
            return None
        if pin not in self._pinned:
            self._pinned[pin] = self._pin(*pin)
        found = self._pinned[pin]
        return None if found is None else [found]

    def _pin(self, git_url: str, commit_id: str) -> Baseline | None:
        """The mirror of ``git_url`` and the tree of ``commit_id`` in it, or ``None``."""
        import pygit2

        try:
            mirror = str(self.project.locator().path_for(git_url).resolve())
            opened = self._mirrors.get(mirror) or pygit2.Repository(mirror)
            self._mirrors[mirror] = opened
            commit = opened.get(commit_id)
        except (pygit2.GitError, KeyError, ValueError, OSError):
            return None
        if not isinstance(commit, pygit2.Commit):
            return None
        return Baseline(mirror, str(commit.id), str(commit.tree_id))

    def run(
        self,
        names: Sequence[str],
        *,
        jobs: int | None = None,
        only: Sequence[str] | None = None,
        on_report: OnReport | None = None,
    ) -> list[DatumReport]:
        """Check `names` like :func:`check_many`, reusing every still-valid stored pass.

        Keys are taken before the checks run and again after: a datum whose files changed while
        it was being checked is reported but not stored (its result may describe either state).
        """
        cacheable, always = split_checks(only)
        keys = self.keys(names)
        reports: dict[str, DatumReport] = {}
        hits = []
        for name in names:
            cached = self.get(name, keys[name])
            if cached is None:
                continue
            hits.append(name)
            if not always:
                reports[name] = cached
                if on_report is not None:
                    on_report(cached)
            else:
                reports[name] = cached  # completed below by the checks that are never cached
        if always and hits:
            for extra in check_many(self.project, hits, jobs=jobs, only=always):
                merged = _merge(reports[extra.name], extra)
                reports[extra.name] = merged
                if on_report is not None:
                    on_report(merged)
        todo = [name for name in names if name not in reports]
        fresh = check_many(self.project, todo, jobs=jobs, only=only, on_report=on_report)
        after = self.keys(todo) if todo else {}
        for report in fresh:
            reports[report.name] = report
            if after.get(report.name) == keys[report.name]:
                self.put(_only_checks(report, cacheable), keys[report.name])
        self.save(forget=[r.name for r in fresh if r.name not in self._new])
        return [reports[name] for name in names]


def _only_checks(report: DatumReport, checks: Sequence[str]) -> DatumReport:
    """The part of a report made by cacheable checks (schema is part of every check run)."""
    keep = {"schema", *checks}
    return DatumReport(
        report.name,
        tuple(c for c in report.checks_run if c in keep),
        tuple(f for f in report.findings if f.check in keep),
        report.datum,
        report.summary,
        upstream=report.upstream,
    )


def _merge(cached: DatumReport, extra: DatumReport) -> DatumReport:
    checks = (*cached.checks_run, *(c for c in extra.checks_run if c not in cached.checks_run))
    return DatumReport(
        cached.name,
        checks,
        cached.findings + extra.findings,
        extra.datum,
        cached.summary,
        cached=True,
        upstream=extra.upstream,
    )
