"""The `patch` check: diff.patch applies to the baseline, stays where the datum says, lock matches.

Runs against the local mirror only (ARCHITECTURE.md invariant 4): a missing mirror or commit is a
finding that says to run `datum fetch`, never a network call.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from datumkit.checks.findings import Finding
from datumkit.errors import DatumError
from datumkit.generate.drift import first_difference
from datumkit.generate.lock import render_lock
from datumkit.git.apply import FileChange
from datumkit.model.applied import apply_datum_patch
from datumkit.model.datumdir import LOCK_FILE, PATCH_FILE, DatumSource
from datumkit.model.project import Project

NAME = "patch"


def _touched_paths(files: Iterable[FileChange]) -> Iterator[str]:
    for change in files:
        yield change.path
        if change.old_path:
            yield change.old_path


def _placement_findings(source: DatumSource, files: Iterable[FileChange]) -> Iterator[Finding]:
    repo = source.datum.repo
    if repo.sparse_checkout:
        # materialize (attributes, path safety, tree writing) only for sparse datums: the
        # pre-commit hook imports what the touched datum needs (ARCHITECTURE.md invariant 5)
        from datumkit.git.materialize import in_sparse_checkout
    for path in sorted(set(_touched_paths(files))):
        if repo.subdir and not (path == repo.subdir or path.startswith(repo.subdir + "/")):
            yield Finding(
                NAME,
                source.name,
                source.display(PATCH_FILE),
                path,
                f"changes a file outside repo.subdir {repo.subdir!r} "
                "(keep the change inside the task directory, or widen repo.subdir)",
            )
        elif repo.sparse_checkout and not in_sparse_checkout(path, repo.sparse_checkout):
            yield Finding(
                NAME,
                source.name,
                source.display(PATCH_FILE),
                path,
                "changes a file outside repo.sparse_checkout, which the image does not check out "
                "(add its directory to sparse_checkout)",
            )


def run(source: DatumSource, context: Project) -> Iterable[Finding]:
    try:
        result = apply_datum_patch(source, context.locator())
    except DatumError as error:
        yield Finding.from_error(NAME, source.name, error, source.display(PATCH_FILE))
        return
    yield from _placement_findings(source, result.files)
    for warning in result.warnings:
        yield Finding(NAME, source.name, source.display(PATCH_FILE), None, warning, "warning")
    expected = render_lock(source, result)
    actual = source.read(LOCK_FILE)
    fix = f"run `datum generate {source.name}`"
    if actual is None:
        yield Finding(NAME, source.name, source.display(LOCK_FILE), None, f"missing ({fix})")
    elif actual != expected:
        yield Finding(
            NAME,
            source.name,
            source.display(LOCK_FILE),
            first_difference(expected, actual),
            f"does not match diff.patch applied to the baseline ({fix})",
        )
