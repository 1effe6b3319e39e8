"""Source repositories: the mirror cache, fetching into it, resolving a commit.

A datum names an upstream repository (``repo.git_url``) and a baseline commit in it. Checks need
that commit's tree, and they must run offline and fast on every commit (ARCHITECTURE.md
invariants 4 and 5), so datumkit keeps one local **bare mirror** per upstream and reads git
objects from it:

* :func:`open_mirror` and :func:`resolve_commit` never touch the network. A missing mirror or
  commit is a :class:`MirrorMissing` / :class:`CommitMissing` telling the user to run
  ``datum fetch``; nothing here ever "helpfully" fetches on the side.
* :func:`fetch_mirror` is the only function that talks to an upstream. It creates a cache mirror
  atomically (built next to its final path, then renamed), serialises writers with a file lock,
  and reports wanted commits it could not get instead of raising, so the caller can turn them into
  findings that name the datum.
* Mirrors mapped in ``[tool.datumkit.mirrors]`` of ``pyproject.toml`` are the user's own offline
  copies: they win over the cache and datumkit never writes to them.

Transports: libgit2 (pygit2) moves packs for every URL kind -- local paths, ``file://``,
``https://``, ``ssh://`` and scp-like ``user@host:path`` -- because it indexes packs in C and speaks
all of them. dulwich serves one case libgit2 cannot: a wanted commit in a *local* upstream that no
ref reaches (a deleted branch, an unreferenced object); dulwich reads the upstream's object store
directly, so such a commit still arrives.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import os
import re
import secrets
import shutil
import time
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import SplitResult, urlsplit
from urllib.request import url2pathname

import filelock
import platformdirs
import pygit2
from dulwich import errors as dulwich_errors
from dulwich.objects import Commit as DulwichCommit
from dulwich.objects import ObjectID
from dulwich.refs import Ref
from dulwich.repo import Repo as DulwichRepo
from pygit2.enums import CredentialType, RepositoryOpenFlag

from datumkit.errors import DatumError

#: Environment variable that moves the mirror cache (CI caches, read-only home directories).
CACHE_ENV = "DATUMKIT_CACHE"

#: Mirror-style refspecs: every branch and tag, force-updated like ``git clone --mirror``.
MIRROR_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")

#: Wanted commits get a ref here so that no upstream force-push or ``git gc`` in the mirror can
#: ever lose a baseline a datum points at.
PIN_PREFIX = "refs/datumkit/baselines/"

_FETCH_HINT = "run `datum fetch <name>`"
_CONFIGURE_HINT = "or map the URL to a local mirror in [tool.datumkit.mirrors] of pyproject.toml"
_HEX = re.compile(r"[0-9a-f]{4,64}")
_FULL_SHA_LENGTHS = (40, 64)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_SCP = re.compile(r"(?:(?P<user>[^@/:]+)@)?(?P<host>[^@/:]+):(?P<path>.*)", re.DOTALL)
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SLUG_MAX = 48
_DEFAULT_PORTS = {"http": 80, "https": 443, "ssh": 22, "git": 9418}
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


# --------------------------------------------------------------------------------------------
# Errors


class SourceError(DatumError):
    """A source repository cannot be read or fetched."""


class MirrorMissing(SourceError):
    """There is no local mirror for a URL; validation cannot go on without ``datum fetch``."""


class CommitMissing(SourceError):
    """The mirror exists but lacks the commit (it is stale, or the SHA is wrong)."""


class FetchFailed(SourceError):
    """The upstream could not be reached or refused the fetch (network, auth, bad URL)."""


# --------------------------------------------------------------------------------------------
# Where mirrors live


def default_cache_dir() -> Path:
    """Return ``$DATUMKIT_CACHE`` if set, else the per-user cache's ``mirrors`` directory.

    The environment variable exists so CI can point every job at one persisted cache.
    """
    override = os.environ.get(CACHE_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir("datumkit")) / "mirrors"


@dataclass(frozen=True)
class _GitUrl:
    """One upstream URL, parsed once: how to reach it and what identifies it."""

    #: the canonical form two spellings of one repository share (the cache key)
    identity: str
    #: human-readable words of the URL for the mirror's directory name
    slug_source: str
    #: what to print: the URL with any password or token replaced by ``***``
    display: str
    #: what libgit2 is asked to fetch from
    fetch_url: str
    #: the upstream directory when the URL is a local path or ``file://`` URL
    local_path: Path | None = None


def normalize_git_url(git_url: str) -> str:
    """Return the canonical form of ``git_url`` that keys its mirror.

    Spellings of one repository must share one mirror: a trailing ``/`` or ``.git``, the case of
    scheme and host, a default port, and credentials do not change which repository a remote URL
    names. Local paths become absolute (relative ones resolve against the current directory, as
    git does) and ``file://`` URLs become the path they name; ``.git`` stays, because ``x`` and
    ``x.git`` are different directories.
    """
    return _parse_git_url(git_url).identity


def mirror_path(git_url: str, cache_dir: Path) -> Path:
    """Return the cache mirror path for ``git_url``: ``<slug>-<sha256[:12]>.git`` in ``cache_dir``.

    The slug keeps the directory recognisable in ``ls``; the hash of the normalised URL keeps it
    unique however the slug was shortened or sanitised. Neither ever contains credentials.
    """
    parsed = _parse_git_url(git_url)
    digest = hashlib.sha256(parsed.identity.encode("utf-8")).hexdigest()[:12]
    return cache_dir / f"{_slugify(parsed.slug_source)}-{digest}.git"


def configured_mirrors(project_root: Path) -> dict[str, Path]:
    """Read ``[tool.datumkit.mirrors]`` (URL -> mirror path) from ``project_root/pyproject.toml``.

    Relative paths resolve against ``project_root`` so the mapping means the same thing from any
    working directory. Returns ``{}`` when the file or the table is absent; a malformed table is a
    :class:`SourceError` naming the file and key, because silently ignoring it would send the user
    to the network they configured the mapping to avoid.
    """
    pyproject = project_root / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    table = _datumkit_table(_read_toml(pyproject)).get("mirrors", {})
    if not isinstance(table, dict):
        raise SourceError(
            "must be a table of git URL = mirror path",
            file=str(pyproject),
            location="tool.datumkit.mirrors",
        )
    return {url: _mirror_entry(pyproject, url, value) for url, value in table.items()}


@dataclass(frozen=True)
class MirrorLocator:
    """Where the mirror of each upstream lives: a configured path, else the cache."""

    cache_dir: Path
    #: ``[tool.datumkit.mirrors]`` as written (URL -> path); matched by normalised URL
    configured: Mapping[str, Path] = field(default_factory=dict)

    @classmethod
    def for_project(cls, project_root: Path | None, cache_dir: Path | None = None) -> MirrorLocator:
        """Build the locator a command uses: ``cache_dir`` (``--cache``) > ``$DATUMKIT_CACHE`` >
        the user cache, plus the project's configured mirrors when there is a project."""
        cache = cache_dir if cache_dir is not None else default_cache_dir()
        configured = configured_mirrors(project_root) if project_root is not None else {}
        return cls(cache_dir=cache, configured=configured)

    def configured_path(self, git_url: str) -> Path | None:
        """Return the user-configured mirror for ``git_url``, or ``None`` when there is none."""
        identity = normalize_git_url(git_url)
        for url, path in self.configured.items():
            if normalize_git_url(url) == identity:
                return path
        return None

    def path_for(self, git_url: str) -> Path:
        """Return the mirror path for ``git_url``; a configured mapping wins over the cache."""
        configured = self.configured_path(git_url)
        return configured if configured is not None else mirror_path(git_url, self.cache_dir)


# --------------------------------------------------------------------------------------------
# Reading a mirror (offline)


def open_mirror(locator: MirrorLocator, git_url: str) -> pygit2.Repository:
    """Open the local mirror of ``git_url`` without any network access.

    Raises :class:`MirrorMissing` when the mirror does not exist or is not a git repository.
    """
    path = locator.path_for(git_url)
    repo = _open_repository(path)
    if repo is not None:
        return repo
    display = _parse_git_url(git_url).display
    if locator.configured_path(git_url) is not None:
        raise MirrorMissing(
            f"configured mirror {path} of {display} is missing or not a git repository",
            hint=f"create it with `git clone --mirror {display} {path}`, or fix its entry in "
            "[tool.datumkit.mirrors] of pyproject.toml",
        )
    raise MirrorMissing(
        f"no local mirror of {display} at {path}",
        hint=f"{_FETCH_HINT} to create it, {_CONFIGURE_HINT}",
    )


def resolve_commit(repo: pygit2.Repository, sha: str, git_url: str) -> pygit2.Commit:
    """Return the commit ``sha`` from the mirror ``repo`` of ``git_url``.

    Raises :class:`CommitMissing` when the object is absent (the mirror is stale: fetch again) or
    is not a commit (the datum names the wrong SHA).
    """
    display = _parse_git_url(git_url).display
    key = sha.strip().lower()
    if not _HEX.fullmatch(key):
        raise CommitMissing(
            f"{sha!r} is not a commit SHA of {display}",
            hint="use the full 40-character hex id of the baseline commit",
        )
    obj = _lookup(repo, key)
    if obj is None:
        raise CommitMissing(
            f"commit {key} of {display} is not in the local mirror {_repo_dir(repo)}",
            hint=f"{_FETCH_HINT}; if it stays missing, no branch or tag of the upstream "
            "contains it and the upstream does not serve it by SHA",
        )
    if not isinstance(obj, pygit2.Commit):
        raise CommitMissing(
            f"{key} in {display} is a {obj.type_str}, not a commit",
            hint="point the datum at the commit SHA of the baseline",
        )
    return obj


# --------------------------------------------------------------------------------------------
# Fetching (the only network access)


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
    source = _parse_git_url(git_url)
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
    mirror: Path, source: _GitUrl, wanted: Sequence[str], branch: str | None, timeout_s: float
) -> bool:
    """Create or update a cache mirror (the caller holds its lock); True when it was created."""
    deadline = time.monotonic() + timeout_s
    _remove_stale_staging(mirror)
    if _is_repository(mirror):
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
    mirror: Path, source: _GitUrl, wanted: Sequence[str], branch: str | None, deadline: float
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


def _update_mirror(mirror: Path, source: _GitUrl, wanted: Sequence[str], deadline: float) -> None:
    """Fetch into an existing mirror; libgit2 writes packs before refs, so it stays valid."""
    repo = _require_repository(mirror, source)
    try:
        _fill_mirror(repo, source, wanted, deadline)
    finally:
        repo.free()


def _fill_mirror(
    repo: pygit2.Repository, source: _GitUrl, wanted: Sequence[str], deadline: float
) -> None:
    """Fetch branches and tags, then the wanted commits they lack, then pin the wanted ones."""
    _fetch_refs(repo, source, deadline)
    absent = [sha for sha in wanted if len(sha) in _FULL_SHA_LENGTHS and not _has_commit(repo, sha)]
    if absent and source.local_path is not None:
        _copy_from_local_store(repo, source.local_path, absent)
    elif absent:
        _fetch_by_sha(repo, source, absent, deadline)
    _pin(repo, wanted)


def _fetch_refs(repo: pygit2.Repository, source: _GitUrl, deadline: float) -> None:
    """Fetch every branch and tag of ``source``; any failure is one :class:`FetchFailed`."""
    try:
        _libgit2_fetch(repo, source, list(MIRROR_REFSPECS), deadline)
    except (pygit2.GitError, KeyError, ValueError, OSError, _FetchAborted) as exc:
        raise FetchFailed(f"cannot fetch {source.display}: {_one_line(exc, source)}") from exc


def _fetch_by_sha(
    repo: pygit2.Repository, source: _GitUrl, shas: Sequence[str], deadline: float
) -> None:
    """Ask a server for each SHA; a refusal is not an error, the SHA just stays missing."""
    for sha in shas:
        with contextlib.suppress(pygit2.GitError, KeyError, ValueError, OSError, _FetchAborted):
            _libgit2_fetch(repo, source, [sha], deadline)


def _libgit2_fetch(
    repo: pygit2.Repository, source: _GitUrl, refspecs: list[str], deadline: float
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
        present = [ObjectID(s.encode()) for s in shas if _dulwich_has_commit(origin, s)]
        if not present:
            return

        def wants(refs: Mapping[Ref, ObjectID], depth: int | None = None) -> list[ObjectID]:
            return present

        with DulwichRepo(_repo_dir(repo)) as target:
            origin.fetch(target, determine_wants=wants)


def _pin(repo: pygit2.Repository, wanted: Sequence[str]) -> None:
    """Point a ref at each wanted commit present, so it stays reachable in the mirror."""
    for sha in wanted:
        obj = _lookup(repo, sha)
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
def _mirror_lock(mirror: Path, source: _GitUrl, timeout_s: float) -> Iterator[None]:
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


# --------------------------------------------------------------------------------------------
# Small helpers


def _parse_git_url(git_url: str) -> _GitUrl:
    """Classify ``git_url`` as a scheme URL, an scp-like ssh address or a local path."""
    text = git_url.strip()
    if _SCHEME.match(text):
        parts = urlsplit(text)
        if parts.scheme.lower() == "file":
            return _local_url(Path(url2pathname(parts.path)))
        return _scheme_url(text, parts)
    scp = _SCP.fullmatch(text)
    if scp is not None and (scp["user"] or len(scp["host"]) > 1):  # "C:" is a Windows drive
        return _scp_url(text, scp)
    return _local_url(Path(text))


def _local_url(path: Path) -> _GitUrl:
    absolute = Path(os.path.abspath(path))
    tail = "/".join(absolute.parts[-2:])
    return _GitUrl(str(absolute), tail, str(absolute), str(absolute), local_path=absolute)


def _scheme_url(text: str, parts: SplitResult) -> _GitUrl:
    scheme = parts.scheme.lower()
    scheme = "ssh" if scheme in {"git+ssh", "ssh+git"} else scheme
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError:
        port = None
    port_text = f":{port}" if port is not None and port != _DEFAULT_PORTS.get(scheme) else ""
    user = f"{parts.username}@" if scheme == "ssh" and parts.username else ""
    path = _strip_repo_suffix(parts.path)
    query = f"?{parts.query}" if parts.query else ""
    identity = f"{scheme}://{user}{host}{port_text}{path}{query}"
    return _GitUrl(identity, f"{host}{path}", _redact(text, parts), text)


def _scp_url(text: str, match: re.Match[str]) -> _GitUrl:
    user = f"{match['user']}@" if match["user"] else ""
    host = match["host"].lower()
    path = _strip_repo_suffix(match["path"])
    return _GitUrl(f"{user}{host}:{path}", f"{host}/{path}", text, text)


def _strip_repo_suffix(path: str) -> str:
    """``org/repo.git/`` and ``org/repo`` name one remote repository."""
    path = path.rstrip("/")
    path = path.removesuffix(".git")
    return path.rstrip("/")


def _redact(text: str, parts: SplitResult) -> str:
    """Hide secrets in a URL we print: passwords always, http(s) user names too (often tokens)."""
    if "@" not in parts.netloc:
        return text
    hostport = parts.netloc.rpartition("@")[2]
    if parts.scheme.lower() in {"ssh", "git+ssh", "ssh+git"} and parts.username:
        shown = f"{parts.username}:***" if parts.password else parts.username
    else:
        shown = "***"
    return parts._replace(netloc=f"{shown}@{hostport}").geturl()


def _slugify(text: str) -> str:
    """Make a short, readable, filesystem-safe name; the hash beside it keeps it unique."""
    slug = _SLUG_UNSAFE.sub("-", text).strip("-._")
    slug = slug.removesuffix(".git")
    if len(slug) > _SLUG_MAX:  # keep the end: the repository name is the telling part
        slug = slug[-_SLUG_MAX:].lstrip("-._")
    return slug or "repo"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SourceError(f"cannot read: {exc}", file=str(path)) from exc


def _datumkit_table(document: Mapping[str, Any]) -> dict[str, Any]:
    tool = document.get("tool", {})
    table = tool.get("datumkit", {}) if isinstance(tool, dict) else {}
    return table if isinstance(table, dict) else {}


def _mirror_entry(pyproject: Path, url: str, value: object) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise SourceError(
            "must be a path to a local mirror (a string)",
            file=str(pyproject),
            location=f'tool.datumkit.mirrors."{url}"',
        )
    path = Path(value).expanduser()
    return path if path.is_absolute() else pyproject.parent / path


def _open_repository(path: Path) -> pygit2.Repository | None:
    """Open exactly ``path`` (or ``path/.git``); never search parents, which could find an
    unrelated repository around the cache."""
    if not path.exists():
        return None
    try:
        return pygit2.Repository(str(path), RepositoryOpenFlag.NO_SEARCH)
    except (pygit2.GitError, KeyError, ValueError, OSError):
        return None


def _is_repository(path: Path) -> bool:
    repo = _open_repository(path)
    if repo is None:
        return False
    repo.free()
    return True


def _require_repository(mirror: Path, source: _GitUrl) -> pygit2.Repository:
    repo = _open_repository(mirror)
    if repo is None:
        raise FetchFailed(f"cannot fetch {source.display}: {mirror} is not a git repository")
    return repo


def _normalise_wants(want: Sequence[str]) -> tuple[str, ...]:
    """Strip, lower-case and de-duplicate wanted SHAs, keeping their order."""
    return tuple(dict.fromkeys(sha.strip().lower() for sha in want if sha.strip()))


def _partition_wants(
    repo: pygit2.Repository, wanted: Sequence[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    present = tuple(sha for sha in wanted if _has_commit(repo, sha))
    return present, tuple(sha for sha in wanted if sha not in present)


def _lookup(repo: pygit2.Repository, key: str) -> pygit2.Object | None:
    """Look up a full or abbreviated hex id; malformed or ambiguous ids count as absent."""
    if not _HEX.fullmatch(key):
        return None
    try:
        return repo.get(key)
    except (pygit2.GitError, ValueError):
        return None


def _has_commit(repo: pygit2.Repository, sha: str) -> bool:
    return isinstance(_lookup(repo, sha), pygit2.Commit)


def _dulwich_has_commit(repo: DulwichRepo, sha: str) -> bool:
    try:
        return isinstance(repo.object_store[ObjectID(sha.encode())], DulwichCommit)
    except (KeyError, ValueError):
        return False


def _repo_dir(repo: pygit2.Repository) -> str:
    return repo.path.rstrip("/")


def _one_line(exc: BaseException, source: _GitUrl) -> str:
    """Collapse an error to one line with no credentials, for a message the CLI prints."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text.replace(source.fetch_url, source.display) if source.fetch_url else text
