"""Fetching upstreams into the mirror cache: the only network access of datumkit.

:func:`fetch_mirror` is the only function that talks to an upstream. It creates a cache mirror
atomically (built next to its final path, then renamed), serialises writers with a file lock,
and reports wanted commits it could not get instead of raising, so the caller can turn them into
findings that name the datum. Configured mirrors (``[tool.datumkit.mirrors]``) are never written.

Transport: the git command line, for every URL kind. The network is where users have configured
git already -- credential helpers, ``~/.ssh/config`` and agents, proxies, ``insteadOf`` rewrites --
and `git fetch` honours all of it; it also indexes packs as fast as `git clone --mirror` (it *is*
that code). Every object received passes git's fsck (``transfer.fsckObjects``), so a hostile
upstream cannot plant tree entries named ``..`` or ``.git`` in a mirror that checks and
`datum materialize` later read.

Mirrors are full, not partial (``--filter=blob:none``): the patch check reads the blobs of the
files a patch touches from the mirror, offline (ARCHITECTURE.md invariant 4); a partial mirror
would have to fetch them lazily from the network during a check, or fail.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import filelock
import pygit2

from datumkit.git.mirrors import (
    FetchFailed,
    MirrorLocator,
    has_commit,
    is_repository,
    lookup_object,
    mirror_path,
    open_mirror,
    open_repository,
    repo_dir,
)
from datumkit.git.urls import GitUrl, parse_git_url

#: Mirror-style refspecs: every branch and tag, force-updated like ``git clone --mirror``.
MIRROR_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")

#: Wanted commits get a ref here so that no upstream force-push or ``git gc`` in the mirror can
#: ever lose a baseline a datum points at.
PIN_PREFIX = "refs/datumkit/baselines/"

_FULL_SHA_LENGTHS = (40, 64)
_STAGING_SUFFIX = ".tmp"


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch_mirror` did, for the CLI to print and checks to turn into findings."""

    git_url: str
    #: the mirror that was read or written
    mirror: Path
    #: True when this call created the cache mirror
    created: bool
    #: wanted SHAs (stripped, lower-case) that the mirror holds as commits after the call
    fetched_shas: tuple[str, ...]
    #: wanted SHAs the mirror still lacks; ``fetched_shas + missing_shas`` covers every want
    missing_shas: tuple[str, ...]


def fetch_mirror(
    locator: MirrorLocator,
    git_url: str,
    *,
    branch: str | None,
    want: Sequence[str] = (),
    timeout_s: float = 600,
) -> FetchResult:
    """Bring the mirror of ``git_url`` up to date and try to obtain every SHA in ``want``.

    All branches and tags are fetched with mirror refspecs; a wanted commit no branch or tag
    reaches is then asked for by SHA (a local upstream always serves it while its object store
    holds it; a server only with ``uploadpack.allowReachableSHA1InWant`` or
    ``allowAnySHA1InWant``). Wanted commits that remain absent are reported in ``missing_shas``,
    not raised. ``branch`` becomes the ``HEAD`` of a new mirror. ``timeout_s`` bounds the wait for
    the mirror's lock and, separately, all the fetching that follows.

    A configured mirror is never written: its state is reported with ``created=False``. Raises
    :class:`FetchFailed` when the upstream cannot be fetched, :class:`MirrorMissing` when a
    configured mirror does not exist.
    """
    source = parse_git_url(git_url)
    wanted = _normalise_wants(want)
    configured = locator.configured_path(git_url)
    if configured is not None:
        return _report_configured(locator, git_url, configured, wanted)
    if source.local_path is not None and not source.local_path.exists():
        # Checked up front, for a clearer message than git's.
        raise FetchFailed(f"cannot fetch {source.display}: no such directory {source.local_path}")
    mirror = mirror_path(git_url, locator.cache_dir)
    mirror.parent.mkdir(parents=True, exist_ok=True)
    with _mirror_lock(mirror, source, timeout_s):
        created = _sync_cache_mirror(mirror, source, wanted, branch, timeout_s)
        fetched, missing = _partition_wants(_require_repository(mirror, source), wanted)
    return FetchResult(git_url, mirror, created, fetched, missing)


def _sync_cache_mirror(
    mirror: Path, source: GitUrl, wanted: Sequence[str], branch: str | None, timeout_s: float
) -> bool:
    """Create or update a cache mirror (the caller holds its lock); True when it was created."""
    deadline = time.monotonic() + timeout_s
    _remove_stale_staging(mirror)
    if is_repository(mirror):
        _update_mirror(mirror, source, wanted, deadline)
        return False
    _build_mirror(mirror, source, wanted, branch, deadline)
    return True


def _report_configured(
    locator: MirrorLocator, git_url: str, path: Path, wanted: Sequence[str]
) -> FetchResult:
    """Describe a user-managed mirror without writing to it: the user keeps it current."""
    repo = open_mirror(locator, git_url)
    fetched, missing = _partition_wants(repo, wanted)
    return FetchResult(git_url, path, False, fetched, missing)


def _build_mirror(
    mirror: Path, source: GitUrl, wanted: Sequence[str], branch: str | None, deadline: float
) -> None:
    """Create the mirror in a staging directory and rename it into place.

    The rename is atomic, so a crash or failed fetch never leaves a half-filled repository at the
    path that :func:`open_mirror` would accept.
    """
    _discard(mirror)  # junk where the mirror belongs (never a valid repo: the caller checked)
    token = f"{os.getpid()}.{secrets.token_hex(4)}"
    staging = mirror.with_name(f".{mirror.name}.{token}{_STAGING_SUFFIX}")
    try:
        # HEAD names the datum's branch, so `git log` in the mirror shows what the datum uses.
        repo = pygit2.init_repository(staging, bare=True, initial_head=branch)
        # An origin for humans who inspect or refresh the mirror by hand (no secrets stored).
        repo.remotes.create("origin", source.display, MIRROR_REFSPECS[0])
        repo.remotes.add_fetch("origin", MIRROR_REFSPECS[1])
        _fill_mirror(repo, source, wanted, deadline)
        repo.free()
        staging.rename(mirror)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _update_mirror(mirror: Path, source: GitUrl, wanted: Sequence[str], deadline: float) -> None:
    """Fetch into an existing mirror; git writes packs before refs, so it stays valid."""
    repo = _require_repository(mirror, source)
    try:
        _fill_mirror(repo, source, wanted, deadline)
    finally:
        repo.free()


def _fill_mirror(
    repo: pygit2.Repository, source: GitUrl, wanted: Sequence[str], deadline: float
) -> None:
    """Fetch branches and tags, then the wanted commits they lack, then pin the wanted ones."""
    _fetch_refs(repo, source, deadline)
    absent = [sha for sha in wanted if len(sha) in _FULL_SHA_LENGTHS and not has_commit(repo, sha)]
    if absent:
        _fetch_by_sha(repo, source, absent, deadline, any_sha=source.local_path is not None)
    _pin(repo, wanted)


def _fetch_refs(repo: pygit2.Repository, source: GitUrl, deadline: float) -> None:
    """Fetch every branch and tag of ``source``; any failure is one :class:`FetchFailed`."""
    try:
        _git_fetch(repo, source, list(MIRROR_REFSPECS), deadline)
    except _GitFailed as exc:
        raise FetchFailed(f"cannot fetch {source.display}: {exc}") from exc


def _fetch_by_sha(
    repo: pygit2.Repository,
    source: GitUrl,
    shas: Sequence[str],
    deadline: float,
    *,
    any_sha: bool = False,
) -> None:
    """Ask the upstream for each SHA; a refusal is not an error, the SHA just stays missing.

    With ``any_sha`` (a local upstream, whose upload-pack is ours to start) it runs with
    ``uploadpack.allowAnySHA1InWant``, so any commit its object store holds arrives -- a deleted
    branch, a pull-request ref. A server serves a SHA only if it allows that itself.
    """
    for sha in shas:
        with contextlib.suppress(_GitFailed):
            _git_fetch(repo, source, [sha], deadline, any_sha=any_sha)


class _GitFailed(Exception):
    """`git fetch` failed; the message is git's telling error line, without credentials."""


#: Every object received is checked like `git fsck` before it is stored: tree entries named
#: `..`, `.git` or with a `/`, malformed commits, ... are refused (ARCHITECTURE.md invariant 6).
#: Only formatting slips of commit and tag headers that real, long-lived histories contain
#: (psf/requests has a commit with a bad time zone) are downgraded to warnings; every message
#: about trees and paths stays fatal.
COSMETIC_FSCK_MESSAGES = (
    "badDate",
    "badDateOverflow",
    "badEmail",
    "badTimezone",
    "missingEmail",
    "missingNameBeforeEmail",
    "missingSpaceBeforeDate",
    "missingSpaceBeforeEmail",
    "missingTaggerEntry",
    "multipleAuthors",
    "zeroPaddedDate",
    "zeroPaddedFilemode",
)
_FSCK = (
    "-c",
    "transfer.fsckObjects=true",
    "-c",
    "fetch.fsckObjects=true",
    *(item for msg in COSMETIC_FSCK_MESSAGES for item in ("-c", f"fetch.fsck.{msg}=warn")),
)
_ANY_SHA_UPLOAD_PACK = "git -c uploadpack.allowAnySHA1InWant=true upload-pack"


def _git_fetch(
    repo: pygit2.Repository,
    source: GitUrl,
    refspecs: list[str],
    deadline: float,
    *,
    any_sha: bool = False,
) -> None:
    """Run one `git fetch` into the mirror: the user's git does the network.

    Credential helpers, ssh config and agents, proxies, ``url.<base>.insteadOf`` and ``http.*``
    settings all apply exactly as for the user's own `git fetch`. No prompt can block
    (``GIT_TERMINAL_PROMPT=0``, stdin closed); the remaining time budget bounds the process.
    """
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _GitFailed("timed out")
    url = str(source.local_path) if source.local_path is not None else source.fetch_url
    options = ["--quiet", "--no-write-fetch-head", "--no-auto-gc", "--no-recurse-submodules"]
    if any_sha:
        options.append(f"--upload-pack={_ANY_SHA_UPLOAD_PACK}")
    git_dir = repo_dir(repo)
    command = ["git", *_FSCK, "--git-dir", git_dir, "fetch", *options, "--", url, *refspecs]
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
    env["GIT_TERMINAL_PROMPT"] = "0"
    try:
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=env,
            timeout=remaining,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise _GitFailed("timed out") from exc
    except OSError as exc:
        raise _GitFailed(f"cannot run git: {exc}") from exc
    if done.returncode != 0:
        raise _GitFailed(_git_error(done.stderr, source))


def _git_error(stderr: bytes, source: GitUrl) -> str:
    """git's most telling error line, as one line without credentials; fsck refusals say so."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    objects = [line for line in lines if line.startswith("error: object ")]
    if objects or any("fsck" in line.lower() for line in lines):
        detail = (objects or [next(line for line in lines if "fsck" in line.lower())])[0]
        text = f"git's fsck refused an object the upstream sent: {detail.removeprefix('error: ')}"
    else:
        fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
        text = fatal[0] if fatal else (lines[-1] if lines else "git fetch failed")
        text = text.removeprefix("fatal: ").removeprefix("error: ")
    return source.scrub(" ".join(text.split()))


def _pin(repo: pygit2.Repository, wanted: Sequence[str]) -> None:
    """Point a ref at each wanted commit present, so it stays reachable in the mirror."""
    for sha in wanted:
        obj = lookup_object(repo, sha)
        if isinstance(obj, pygit2.Commit):
            repo.references.create(f"{PIN_PREFIX}{obj.id}", obj.id, force=True)


@contextlib.contextmanager
def _mirror_lock(mirror: Path, source: GitUrl, timeout_s: float) -> Iterator[None]:
    """Hold ``<mirror>.lock`` so that two processes never fetch into one mirror at once."""
    lock = filelock.FileLock(str(mirror.with_name(mirror.name + ".lock")), timeout=timeout_s)
    try:
        with lock:
            yield
    except filelock.Timeout as exc:
        raise FetchFailed(
            f"cannot fetch {source.display}: another process has held {lock.lock_file} "
            f"for more than {timeout_s:g} s"
        ) from exc


def _remove_stale_staging(mirror: Path) -> None:
    """Delete staging directories of builds that crashed; only the lock holder builds."""
    for stale in mirror.parent.glob(f".{mirror.name}.*{_STAGING_SUFFIX}"):
        shutil.rmtree(stale, ignore_errors=True)


def _discard(path: Path) -> None:
    """Remove whatever occupies ``path`` (a cache slot, never user data)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _require_repository(mirror: Path, source: GitUrl) -> pygit2.Repository:
    repo = open_repository(mirror)
    if repo is None:
        raise FetchFailed(f"cannot fetch {source.display}: {mirror} is not a git repository")
    return repo


def _normalise_wants(want: Sequence[str]) -> tuple[str, ...]:
    """Strip, lower-case and de-duplicate wanted SHAs, keeping their order."""
    return tuple(dict.fromkeys(sha.strip().lower() for sha in want if sha.strip()))


def _partition_wants(
    repo: pygit2.Repository, wanted: Sequence[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    present = tuple(sha for sha in wanted if has_commit(repo, sha))
    return present, tuple(sha for sha in wanted if sha not in present)
