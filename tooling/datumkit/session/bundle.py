"""Created-task directory -> datums/<name>/: the seed guide's Phase 5, checked end to end.

A created-task directory (what `datum capture` or the MCP server's end_task write) is a seed-style
task directory, so reading it is :func:`datumkit.interop.seed.plan_import`'s job: tb_meta.json
becomes datum.yaml, the baseline is reconciled with repo_info.json, and diff.patch, notes.md and
trace/ are taken along. Bundling adds what makes the result safe to commit:

- the repository URL and branch come from repo_info.json when tb_meta.json lacks them;
- the trace must have the seed's shape and stay under the size cap (:mod:`datumkit.session.traces`);
- no credential may enter, unless ``secrets.allowlist`` names it with a reason
  (:mod:`datumkit.secrets.allowlist`);
- the datum is generated (datum.lock too: the patch must apply to the baseline in the mirror)
  and passes every check *before* it appears in ``datums/``: it is
  assembled in a staging directory next to its final place and renamed into place only when
  complete, so a failure at any step leaves no datum, or the previous one untouched (``force``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datumkit.bounded import MAX_FILE_BYTES, loads_json, read_capped
from datumkit.checks import DatumReport, check_datum
from datumkit.errors import DatumError, UsageProblem
from datumkit.fsio import OutsideRoot, staged_directory, write_inside
from datumkit.generate.datum import generate_datum
from datumkit.generate.writer import write_outputs
from datumkit.git.fetch import fetch_mirror
from datumkit.git.mirrors import CommitMissing, MirrorLocator, MirrorMissing
from datumkit.interop.create import eval_config_written
from datumkit.interop.seed import TB_META, plan_import, validate_plan
from datumkit.model.datumdir import (
    DATUM_YAML,
    DATUMS_DIR,
    PATCH_FILE,
    TRACE_DIR,
    DatumSource,
    DiskFiles,
    check_datum_name,
    load_source,
)
from datumkit.model.fieldpath import format_field_path
from datumkit.model.project import Project
from datumkit.model.yamlio import load_roundtrip
from datumkit.secrets.allowlist import ALLOWLIST_FILE, allowlist_entry, load_allowlist
from datumkit.secrets.scan import SecretHit
from datumkit.session.capture import REPO_INFO, TODO, scan_created_files
from datumkit.session.traces import TraceInvalid, trace_problems


class SecretsFound(DatumError):
    """Credentials that are about to enter a datum; ``hits`` lists them (never their values)."""

    def __init__(self, hits: Sequence[SecretHit], created: Path) -> None:
        self.hits = list(hits)
        self.created = created
        super().__init__(
            f"{len(self.hits)} credential(s) would enter the datum",
            file=str(created),
            hint=f"run `datum redact` on the files, or list reviewed ones in {ALLOWLIST_FILE}",
        )

    def lines(self) -> list[str]:
        """One line per credential, with the allowlist entry that would accept it."""
        lines = []
        for hit in self.hits:
            relative = hit.file.removeprefix(f"{self.created}/")
            entry = allowlist_entry(hit, relative, "<why this is not a real secret>")
            lines.append(
                f"{hit.describe()}: not bundled (if it is no real credential, add "
                f"`{entry}` to {ALLOWLIST_FILE})"
            )
        return lines

    def __str__(self) -> str:
        return "\n".join([*self.lines(), super().__str__()])


class ChecksFailed(DatumError):
    """The bundled datum does not pass its checks; nothing was written."""

    def __init__(self, report: DatumReport) -> None:
        self.findings = [f for f in report.findings if f.severity == "error"]
        super().__init__(
            f"the new datum fails {len(self.findings)} check(s); nothing was written",
            file=f"{DATUMS_DIR}/{report.name}",
            hint="fix the created-task directory (or datum.yaml afterwards) and bundle again",
        )

    def __str__(self) -> str:
        return "\n".join([*(str(f) for f in self.findings), super().__str__()])


@dataclass
class BundlePlan:
    """Everything a bundle will write (SOURCE files), computed before anything is written."""

    name: str
    datum_yaml: bytes
    #: SOURCE files other than datum.yaml, by path relative to the datum
    files: dict[str, bytes]
    notes: list[str] = field(default_factory=list)
    #: repo.git_url, repo.branch and repo.start_commit_sha of the new datum
    git_url: str = ""
    branch: str = "main"
    baseline_sha: str = ""
    #: credentials found and accepted by the allowlist
    allowed: list[SecretHit] = field(default_factory=list)


@dataclass(frozen=True)
class BundleResult:
    """The new datum: where, which files, the checks it passed, and what still needs a person."""

    directory: Path
    files: tuple[str, ...]
    report: DatumReport
    notes: tuple[str, ...]
    replaced: bool


def plan_bundle(
    created: Path,
    name: str,
    *,
    previous_allowlist: bytes | None = None,
    max_trace_bytes: int | None = None,
) -> BundlePlan:
    """Read a created-task directory, work out the datum, and refuse what must not enter it.

    Raises DatumInvalid (tb_meta.json breaks rules), TraceInvalid, AllowlistInvalid or
    SecretsFound; writes nothing.
    """
    check_datum_name(name)
    if not created.is_dir():
        raise UsageProblem(
            f"{created} is not a directory",
            hint="give a created-task directory, as `datum capture` or repo.end_task.v1 write",
        )
    imported = plan_import(created, name=name)
    data = imported.datum_data
    notes = list(imported.notes)
    _fill_repo(data, _repo_info(created), notes)
    validate_plan(imported, str(created / TB_META))
    files = dict(imported.files)
    if PATCH_FILE not in files:
        raise DatumError(
            "missing", file=str(created / PATCH_FILE), hint="capture the session again"
        )

    trace = {
        relative.removeprefix(f"{TRACE_DIR}/"): content
        for relative, content in files.items()
        if relative.startswith(f"{TRACE_DIR}/")
    }
    if trace:
        problems = trace_problems(
            trace, display_dir=str(created / TRACE_DIR), max_bytes=max_trace_bytes
        )
        if problems:
            raise TraceInvalid(problems)
    else:
        notes.append(f"no {TRACE_DIR}/: the datum has no recorded session")

    allowlist_text = _read_optional(created / ALLOWLIST_FILE)
    if allowlist_text is None and previous_allowlist is not None:
        allowlist_text = previous_allowlist
        notes.append(f"{ALLOWLIST_FILE} kept from the datum being replaced")
    allowlist = load_allowlist(allowlist_text, display_path=str(created / ALLOWLIST_FILE))
    hits = scan_created_files(files, display_dir=str(created))
    refused = [hit for hit in hits if not allowlist.allows(hit)]
    if refused:
        raise SecretsFound(refused, created)
    if allowlist_text is not None:
        files[ALLOWLIST_FILE] = allowlist_text

    notes += [f"{path}: still a placeholder, fill it in" for path in _placeholders(data)]
    if "environment" not in data:
        notes.append(
            "environment is the default (python:3.11-slim, no install steps): set "
            "environment.install in datum.yaml so the Dockerfile can run the tests"
        )
    repo = data["repo"]
    return BundlePlan(
        name=name,
        datum_yaml=_datum_yaml(imported.datum_yaml(), name),
        files=files,
        notes=notes,
        git_url=repo["git_url"],
        branch=repo.get("branch") or "main",
        baseline_sha=repo["start_commit_sha"],
        allowed=[hit for hit in hits if allowlist.allows(hit)],
    )


def bundle(
    created: Path,
    datums_root: Path,
    name: str,
    *,
    context: Project,
    force: bool = False,
    fetch: bool = False,
    max_trace_bytes: int | None = None,
) -> BundleResult:
    """Turn `created` into `<datums_root>/datums/<name>/`, generated and checked, or fail.

    An existing datum is replaced only with `force`, and only once the new one is complete and
    passes its checks; until then (and on any failure) the old datum stays as it was. With
    `fetch`, the upstream is first fetched into the mirror cache (the one network access).
    """
    check_datum_name(name)
    target = datums_root / DATUMS_DIR / name
    if target.exists() and not force:
        raise UsageProblem(
            f"{DATUMS_DIR}/{name} already exists",
            hint="pass --force to replace it, or bundle under another --name",
        )
    previous = _read_optional(target / ALLOWLIST_FILE) if force else None
    plan = plan_bundle(created, name, previous_allowlist=previous, max_trace_bytes=max_trace_bytes)
    locator = context.locator()
    if fetch:
        _fetch_baseline(locator, plan)
    replaced = target.exists()
    with staged_directory(target, replace=force) as staging:
        write_inside(staging, DATUM_YAML, plan.datum_yaml)
        for relative, content in plan.files.items():
            write_inside(staging, relative, content)
        source = load_source(name, DiskFiles(staging))
        write_outputs(staging, generated_files(source, locator))
        with eval_config_written(context.root, source):
            report = check_datum(name, DiskFiles(staging), context)
            if not report.ok:
                raise ChecksFailed(report)
        files = tuple(DiskFiles(staging).list())
    return BundleResult(target, files, report, tuple(plan.notes), replaced)


def generated_files(source: DatumSource, locator: MirrorLocator) -> dict[str, bytes]:
    """Every GENERATED file, datum.lock included (which applies the patch from the mirror).

    Unlike `datum generate`, a missing mirror or a patch that does not apply is an error here:
    a datum without a valid lock would not pass its checks.
    """
    generated = generate_datum(source, locator)
    error = generated.lock_problem
    if isinstance(error, MirrorMissing | CommitMissing):
        raise DatumError(
            error.message,
            file=error.file,
            location=error.location,
            hint="pass --fetch to fetch the upstream into the mirror cache, or map the URL to "
            "a local mirror in [tool.datumkit.mirrors] of pyproject.toml",
        )
    if error is not None:
        raise error
    return generated.files


def _fetch_baseline(locator: MirrorLocator, plan: BundlePlan) -> None:
    """Fetch the upstream into the mirror cache; the baseline commit must arrive."""
    result = fetch_mirror(locator, plan.git_url, branch=plan.branch, want=[plan.baseline_sha])
    if result.missing_shas:
        raise DatumError(
            f"the upstream has no commit {plan.baseline_sha} (fetched into {result.mirror})",
            file=plan.git_url,
            hint="push the baseline commit, or fix repo.start_commit_sha in tb_meta.json",
        )


def _read_optional(path: Path) -> bytes | None:
    if path.is_symlink():
        raise OutsideRoot(
            "is a symlink", file=str(path), hint="replace the link with a copy of the file"
        )
    return read_capped(path, MAX_FILE_BYTES) if path.is_file() else None


def _repo_info(created: Path) -> dict[str, Any]:
    path = created / REPO_INFO
    content = _read_optional(path)
    if content is None:
        return {}
    try:
        info = loads_json(content, str(path))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatumError(f"not valid JSON: {exc}", file=str(path), hint="fix the JSON") from None
    return info if isinstance(info, dict) else {}


def _fill_repo(data: dict[str, Any], info: Mapping[str, Any], notes: list[str]) -> None:
    """repo.git_url and repo.branch from repo_info.json where tb_meta.json leaves them empty."""
    repo = data.setdefault("repo", {})
    if not isinstance(repo, dict):
        return
    sources = {
        "git_url": info.get("remote_url"),
        "branch": info.get("upstream_branch"),  # a local branch may not exist upstream
    }
    for key, value in sources.items():
        if not repo.get(key) and isinstance(value, str) and value:
            repo[key] = value
            notes.append(f"repo.{key} taken from {REPO_INFO}")


def _placeholders(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[str]:
    """Field paths whose text still starts with TODO (the capture skeleton's markers)."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from _placeholders(value, (*path, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _placeholders(value, (*path, index))
    elif isinstance(data, str) and data.lstrip().startswith(TODO):
        yield format_field_path(path)


def _datum_yaml(imported_yaml: bytes, name: str) -> bytes:
    """The imported datum.yaml with a header saying where it came from and what to do next."""
    document = load_roundtrip(imported_yaml, file=f"{DATUMS_DIR}/{name}/{DATUM_YAML}")
    document.data.yaml_set_start_comment(
        f"datum.yaml of datum {name!r}, bundled from a recorded session by `datum bundle`.\n"
        "This is the file to edit (instructions, rubrics, environment); it generates\n"
        "tb_meta.json, Dockerfile and overlay_files/: run `make datum NAME=" + name + "`."
    )
    return document.dump()
