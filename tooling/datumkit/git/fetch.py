"""Fetching upstreams into the mirror cache: the only network access of datumkit.

:func:`fetch_mirror` is the only function that talks to an upstream. It creates a cache mirror
atomically (built next to its final path, then renamed), serialises writers with a file lock,
and reports wanted commits it could not get instead of raising, so the caller can turn them into
findings that name the datum. Configured mirrors (``[tool.datumkit.mirrors]``) are never written.

Transports: libgit2 (pygit2) moves packs for every URL kind -- local paths, ``file://``,
``https://``, ``ssh://`` and scp-like ``user@host:path`` -- because it indexes packs in C and speaks
all of them. dulwich serves one case libgit2 cannot: a wanted commit in a *local* upstream that no
ref reaches (a deleted branch, an unreferenced object); dulwich reads the upstream's object store
directly, so such a commit still arrives.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import secrets
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import filelock
import pygit2
from dulwich import errors as dulwich_errors
from dulwich.objects import Commit as DulwichCommit
from dulwich.objects import ObjectID
from dulwich.refs import Ref
from dulwich.repo import Repo as DulwichRepo
from pygit2.enums import CredentialType

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

_DULWICH_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    KeyError,
    ValueError,
    dulwich_errors.NotGitRepository,
    dulwich_errors.ChecksumMismatch,
    dulwich_errors.FileFormatException,
    dulwich_errors.ObjectMissing,
    dulwich_errors.MissingCommitError,
    dulwich_errors.ApplyDeltaError,
)


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
        # Checked up front: libgit2 calls a missing path an "unsupported URL protocol".
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
    """Fetch into an existing mirror; libgit2 writes packs before refs, so it stays valid."""
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
    if absent and source.local_path is not None:
        _copy_from_local_store(repo, source.local_path, absent)
    elif absent:
        _fetch_by_sha(repo, source, absent, deadline)
    _pin(repo, wanted)


def _fetch_refs(repo: pygit2.Repository, source: GitUrl, deadline: float) -> None:
    """Fetch every branch and tag of ``source``; any failure is one :class:`FetchFailed`."""
    try:
        _libgit2_fetch(repo, source, list(MIRROR_REFSPECS), deadline)
    except (pygit2.GitError, KeyError, ValueError, OSError, _FetchAborted) as exc:
        raise FetchFailed(f"cannot fetch {source.display}: {_one_line(exc, source)}") from exc


def _fetch_by_sha(
    repo: pygit2.Repository, source: GitUrl, shas: Sequence[str], deadline: float
) -> None:
    """Ask a server for each SHA; a refusal is not an error, the SHA just stays missing."""
    for sha in shas:
        with contextlib.suppress(pygit2.GitError, KeyError, ValueError, OSError, _FetchAborted):
            _libgit2_fetch(repo, source, [sha], deadline)


def _libgit2_fetch(
    repo: pygit2.Repository, source: GitUrl, refspecs: list[str], deadline: float
) -> None:
    """Run one libgit2 fetch with our callbacks, the system proxy and the remaining time budget."""
    remote = repo.remotes.create_anonymous(source.fetch_url)
    # True: use the proxy git config or the environment names, like git does.
    proxy: Literal[True] | None = None if source.local_path is not None else True
    with _network_timeouts(deadline - time.monotonic()):
        remote.fetch(refspecs, callbacks=_FetchCallbacks(deadline), proxy=proxy)


def _copy_from_local_store(repo: pygit2.Repository, upstream: Path, shas: Sequence[str]) -> None:
    """Copy wanted commits (with their history) straight from a local upstream's object store.

    libgit2's local transport only sends what a ref reaches; dulwich walks from any object the
    upstream holds, so commits of deleted branches still arrive. Best effort: a failure leaves
    them missing for the caller to report.
    """
    with contextlib.suppress(*_DULWICH_ERRORS), DulwichRepo(str(upstream)) as origin:
        present = [ObjectID(s.encode()) for s in shas if _dulwichhas_commit(origin, s)]
        if not present:
            return

        def wants(refs: Mapping[Ref, ObjectID], depth: int | None = None) -> list[ObjectID]:
            return present

        with DulwichRepo(repo_dir(repo)) as target:
            origin.fetch(target, determine_wants=wants)


def _pin(repo: pygit2.Repository, wanted: Sequence[str]) -> None:
    """Point a ref at each wanted commit present, so it stays reachable in the mirror."""
    for sha in wanted:
        obj = lookup_object(repo, sha)
        if isinstance(obj, pygit2.Commit):
            repo.references.create(f"{PIN_PREFIX}{obj.id}", obj.id, force=True)


class _FetchAborted(Exception):
    """Raised inside a libgit2 callback to stop a fetch; pygit2 re-raises it after the fetch."""


class _FetchCallbacks(pygit2.RemoteCallbacks):
    """Callbacks that enforce the deadline, verify hosts strictly and offer ssh-agent keys."""

    def __init__(self, deadline: float) -> None:
        super().__init__()
        self._deadline = deadline
        self._key_offers = 0

    def transfer_progress(self, stats: pygit2.remotes.TransferProgress) -> None:
        """Abort a transfer that outlives its time budget (socket timeouts miss slow trickles)."""
        self._check_deadline()

    def sideband_progress(self, string: str) -> None:
        """Abort while the server is still counting objects, too."""
        self._check_deadline()

    def certificate_check(self, certificate: None, valid: bool, host: bytes) -> bool:
        """Trust exactly what libgit2 verified: TLS chains, and ssh hosts in ``known_hosts``.

        pygit2's default accepts *any* ssh host key; a mirror feeds validation, so it must not.
        """
        if not valid:
            raise _FetchAborted(
                f"host {host.decode(errors='replace')} is not trusted (TLS certificate invalid, "
                "or ssh host key not in ~/.ssh/known_hosts)"
            )
        return True

    def credentials(
        self, url: str, username_from_url: str | None, allowed_types: CredentialType
    ) -> pygit2.Username | pygit2.UserPass | pygit2.Keypair:
        """Offer the ssh-agent's keys once; anything else needs a configured mirror.

        libgit2 asks again after every rejection, so offering twice would loop forever.
        """
        user = username_from_url or getpass.getuser()
        if allowed_types & CredentialType.USERNAME:
            return pygit2.Username(user)
        if allowed_types & CredentialType.SSH_KEY:
            if self._key_offers:
                raise _FetchAborted(f"the ssh server rejected the ssh-agent's keys for {user}")
            self._key_offers += 1
            return pygit2.KeypairFromAgent(user)
        raise _FetchAborted(
            "the server asks for credentials; datumkit offers only ssh-agent keys (ssh) and "
            "credentials written in the URL (https)"
        )

    def _check_deadline(self) -> None:
        if time.monotonic() > self._deadline:
            raise _FetchAborted("timed out")


@contextlib.contextmanager
def _network_timeouts(remaining_s: float) -> Iterator[None]:
    """Bound libgit2's connect and read waits for one fetch, then restore the global settings.

    libgit2 keeps these per process, not per fetch: threads of one process fetching at once share
    whichever budget was set last (the deadline callbacks still hold per fetch).
    """
    settings = pygit2.settings
    previous = (settings.server_connect_timeout, settings.server_timeout)
    budget_ms = max(1, int(remaining_s * 1000))
    settings.server_connect_timeout = budget_ms
    settings.server_timeout = budget_ms
    try:
        yield
    finally:
        settings.server_connect_timeout, settings.server_timeout = previous


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


def _dulwichhas_commit(repo: DulwichRepo, sha: str) -> bool:
    try:
        return isinstance(repo.object_store[ObjectID(sha.encode())], DulwichCommit)
    except (KeyError, ValueError):
        return False


def _one_line(exc: BaseException, source: GitUrl) -> str:
    """Collapse an error to one line with no credentials, for a message the CLI prints."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return source.scrub(text)
