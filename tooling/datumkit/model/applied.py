"""A datum's patch applied to its baseline, from the local mirror: the fact several commands share.

The patch check, `datum generate` (for datum.lock), `datum materialize` and review all need the
same thing: open the mirror of the datum's upstream (offline), find the baseline commit, and
apply diff.patch in memory. Errors come back as DatumErrors naming the datum's files, with the
datum's own name in the hint (`datum fetch banking77`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # git.mirrors imports it when a mirror is opened
    import pygit2

from datumkit.errors import DatumError, for_datum
from datumkit.git.apply import EmptyPatch, PatchError, PatchResult, apply_patch_in_memory
from datumkit.git.mirrors import MirrorLocator, SourceError, open_mirror, resolve_commit
from datumkit.model.datumdir import PATCH_FILE, DatumSource

_open_mirrors: dict[Path, pygit2.Repository] = {}
#: the last successful apply: (source, locator, patch, result). The patch and leaks checks of
#: one datum both need its patch applied; they are handed the same DatumSource object, so the
#: second gets the first's result. Keyed by that object's identity (never by content: two
#: datums with the same patch each apply their own) and by the patch bytes, so a datum whose
#: diff.patch changed in between is applied again.
_last_applied: tuple[DatumSource, MirrorLocator, bytes, PatchResult] | None = None
#: patches applied by another process from the same inputs (the datum-check hook's child,
#: hooks/datumkit_hooks/split.py): (mirror path, upstream URL, baseline, sha256 of the patch)
#: -> result. Used only for exactly those inputs, so a datum whose validated values differ from
#: what the other process read applies its own patch here.
_applied_elsewhere: dict[tuple[str, str, str, str], PatchResult] = {}


def _elsewhere_key(
    locator: MirrorLocator, git_url: str, baseline: str, patch: bytes
) -> tuple[str, str, str, str]:
    digest = hashlib.sha256(patch).hexdigest()
    return (str(locator.path_for(git_url)), git_url, baseline, digest)


def remember_applied(
    locator: MirrorLocator, git_url: str, baseline: str, patch: bytes, result: PatchResult
) -> None:
    """Record `result` as `patch` applied to `baseline` of `git_url`'s mirror in `locator`,
    computed by another process: apply_datum_patch returns it for a datum with exactly these
    values instead of opening the mirror (and importing pygit2) here."""
    _applied_elsewhere[_elsewhere_key(locator, git_url, baseline, patch)] = result


def cached_mirror(locator: MirrorLocator, git_url: str) -> pygit2.Repository:
    """One open repository per mirror and process: 2,000 datums of one upstream share it.

    Checks, generation, materialize and review all open mirrors through here, so a process
    never holds two handles (and two object caches) on one mirror."""
    path = locator.path_for(git_url)
    if path not in _open_mirrors:
        _open_mirrors[path] = open_mirror(locator, git_url)
    return _open_mirrors[path]


def datum_mirror(source: DatumSource, locator: MirrorLocator) -> pygit2.Repository:
    """The mirror holding the datum's baseline commit; MirrorMissing/CommitMissing otherwise."""
    repo = source.datum.repo
    try:
        mirror = cached_mirror(locator, repo.git_url)
        resolve_commit(mirror, repo.start_commit_sha, repo.git_url)
    except SourceError as error:
        if error.file is None:
            error.file = source.display("datum.yaml")
            error.location = error.location or "repo"
        raise for_datum(error, source.name) from None
    return mirror


def apply_datum_patch(source: DatumSource, locator: MirrorLocator) -> PatchResult:
    """diff.patch applied to the baseline tree, in memory; the mirror is only read."""
    patch = source.patch
    if _applied_elsewhere and patch is not None:
        # applied by another process from these very inputs, so the mirror opened and had the
        # commit there: what datum_mirror would check below
        repo = source.datum.repo
        key = _elsewhere_key(locator, repo.git_url, repo.start_commit_sha, patch)
        found = _applied_elsewhere.get(key)
        if found is not None:
            return found
    mirror = datum_mirror(source, locator)
    if patch is None:
        raise DatumError(
            "missing",
            file=source.display(PATCH_FILE),
            hint="add the change from the baseline as a git diff (`git diff --binary BASE HEAD`)",
        )
    global _last_applied
    last = _last_applied
    if last is not None and last[0] is source and last[1] is locator and last[2] == patch:
        return last[3]
    try:
        result = apply_patch_in_memory(mirror, source.datum.repo.start_commit_sha, patch)
    except PatchError as error:
        # The error names the file inside the upstream repository; the finding is about our
        # diff.patch, so keep the upstream path in the location.
        upstream_file = None if isinstance(error, EmptyPatch) else error.file
        inner = ": ".join(p for p in (upstream_file, error.location) if p)
        error.location = inner or None
        error.file = source.display(PATCH_FILE)
        raise for_datum(error, source.name) from None
    _last_applied = (source, locator, patch, result)
    return result


def clear_mirror_cache() -> None:
    """Forget open mirrors (after `datum fetch` rewrote them in this process)."""
    global _last_applied
    _open_mirrors.clear()
    _applied_elsewhere.clear()
    _last_applied = None
