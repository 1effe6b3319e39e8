"""Local bare mirrors of upstream repositories: where they live and reading them offline.

A datum names an upstream repository (``repo.git_url``) and a baseline commit in it. Checks need
that commit's tree, and they must run offline and fast on every commit (ARCHITECTURE.md
invariants 4 and 5), so datumkit keeps one local **bare mirror** per upstream and reads git
objects from it:

* :func:`open_mirror` and :func:`resolve_commit` never touch the network. A missing mirror or
  commit is a :class:`MirrorMissing` / :class:`CommitMissing` telling the user to run
  ``datum fetch``; nothing here ever "helpfully" fetches on the side (fetching is
  :mod:`datumkit.git.fetch`).
* Mirrors mapped in ``[tool.datumkit.mirrors]`` of ``pyproject.toml`` are the user's own offline
  copies: they win over the cache and datumkit never writes to them.

URL parsing and redaction live in :mod:`datumkit.git.urls`.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where a repository is opened: naming a mirror costs no pygit2
    import pygit2

from datumkit.errors import DatumError
from datumkit.git.urls import normalize_git_url, parse_git_url, slugify

__all__ = [
    "CACHE_ENV",
    "CommitMissing",
    "FetchFailed",
    "MirrorLocator",
    "MirrorMissing",
    "SourceError",
    "configured_mirrors",
    "default_cache_dir",
    "has_commit",
    "is_repository",
    "lookup_object",
    "mirror_create_commands",
    "mirror_path",
    "normalize_git_url",
    "open_mirror",
    "open_repository",
    "repo_dir",
    "resolve_commit",
]

#: Environment variable that moves the mirror cache (CI caches, read-only home directories).
CACHE_ENV = "DATUMKIT_CACHE"

_CONFIGURE_HINT = "or map the URL to a local mirror in [tool.datumkit.mirrors] of pyproject.toml"
_HEX = re.compile(r"[0-9a-f]{4,64}")


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
    import platformdirs  # only when no cache directory is configured

    return Path(platformdirs.user_cache_dir("datumkit")) / "mirrors"


def mirror_path(git_url: str, cache_dir: Path) -> Path:
    """Return the cache mirror path for ``git_url``: ``<slug>-<sha256[:12]>.git`` in ``cache_dir``.

    The slug keeps the directory recognisable in ``ls``; the hash of the normalised URL keeps it
    unique however the slug was shortened or sanitised. Neither ever contains credentials.
    """
    parsed = parse_git_url(git_url)
    digest = hashlib.sha256(parsed.identity.encode("utf-8")).hexdigest()[:12]
    return cache_dir / f"{slugify(parsed.slug_source)}-{digest}.git"


def configured_mirrors(project_root: Path) -> dict[str, Path]:
    """Read ``[tool.datumkit.mirrors]`` (URL -> mirror path) from ``project_root/pyproject.toml``.

    Relative paths resolve against ``project_root`` so the mapping means the same thing from any
    working directory. Returns ``{}`` when the file or the table is absent; a malformed table is a
    :class:`SourceError` naming the file and key, because silently ignoring it would send the user
    to the network they configured the mapping to avoid.
    """
    return {url: path for url, (path, _) in _mirror_table(project_root).items()}


def mirror_create_commands(project_root: Path) -> dict[str, str]:
    """The ``create`` command of each mapping written as ``{ path = ..., create = ... }``.

    A mapped mirror that is built by the project (``make example-upstream``) says so, and a user
    whose mirror is missing is told that command instead of a ``git clone`` of a URL that may not
    exist.
    """
    return {url: create for url, (_, create) in _mirror_table(project_root).items() if create}


def _mirror_table(project_root: Path) -> dict[str, tuple[Path, str | None]]:
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
    #: how to create a configured mirror, where pyproject.toml says (URL -> command)
    create_commands: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def for_project(cls, project_root: Path | None, cache_dir: Path | None = None) -> MirrorLocator:
        """Build the locator a command uses: ``cache_dir`` (``--cache``) > ``$DATUMKIT_CACHE`` >
        the user cache, plus the project's configured mirrors when there is a project."""
        cache = cache_dir if cache_dir is not None else default_cache_dir()
        if project_root is None:
            return cls(cache_dir=cache)
        return cls(
            cache_dir=cache,
            configured=configured_mirrors(project_root),
            create_commands=mirror_create_commands(project_root),
        )

    def create_command(self, git_url: str) -> str | None:
        """The configured command that builds the mirror of ``git_url``, if there is one."""
        identity = normalize_git_url(git_url)
        for url, command in self.create_commands.items():
            if normalize_git_url(url) == identity:
                return command
        return None

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
    repo = open_repository(path)
    if repo is not None:
        return repo
    display = parse_git_url(git_url).display
    if locator.configured_path(git_url) is not None:
        command = locator.create_command(git_url) or f"git clone --mirror {display} {path}"
        raise MirrorMissing(
            f"configured mirror {path} of {display} is missing or not a git repository",
            hint=f"create it with `{command}`, or fix its entry in "
            "[tool.datumkit.mirrors] of pyproject.toml",
        )
    raise MirrorMissing(
        f"no local mirror of {display} at {path}",
        fetch_fixes=f"to create it, {_CONFIGURE_HINT}",
    )


def resolve_commit(repo: pygit2.Repository, sha: str, git_url: str) -> pygit2.Commit:
    """Return the commit ``sha`` from the mirror ``repo`` of ``git_url``.

    Raises :class:`CommitMissing` when the object is absent (the mirror is stale: fetch again) or
    is not a commit (the datum names the wrong SHA).
    """
    import pygit2

    display = parse_git_url(git_url).display
    key = sha.strip().lower()
    if not _HEX.fullmatch(key):
        raise CommitMissing(
            f"{sha!r} is not a commit SHA of {display}",
            hint="use the full 40-character hex id of the baseline commit",
        )
    obj = lookup_object(repo, key)
    if obj is None:
        raise CommitMissing(
            f"commit {key} of {display} is not in the local mirror {repo_dir(repo)}",
            fetch_fixes="again; if it stays missing, no branch or tag of the upstream "
            "contains it and the upstream does not serve it by SHA",
        )
    if not isinstance(obj, pygit2.Commit):
        raise CommitMissing(
            f"{key} in {display} is a {obj.type_str}, not a commit",
            hint="point the datum at the commit SHA of the baseline",
        )
    return obj


# --------------------------------------------------------------------------------------------
# Small helpers


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


def _mirror_entry(pyproject: Path, url: str, value: object) -> tuple[Path, str | None]:
    """A mapping is a path, or ``{ path = "...", create = "command that builds it" }``."""
    create: object = None
    if isinstance(value, dict):
        create = value.get("create")
        unknown = sorted(set(value) - {"path", "create"})
        value = value.get("path") if not unknown else None
    if (
        not isinstance(value, str)
        or not value.strip()
        or not (create is None or (isinstance(create, str) and create.strip()))
    ):
        raise SourceError(
            "must be a path to a local mirror (a string), or { path = ..., create = ... }",
            file=str(pyproject),
            location=f'tool.datumkit.mirrors."{url}"',
        )
    path = Path(value).expanduser()
    return (path if path.is_absolute() else pyproject.parent / path), create


def open_repository(path: Path) -> pygit2.Repository | None:
    """Open exactly ``path`` (or ``path/.git``); never search parents, which could find an
    unrelated repository around the cache."""
    if not path.exists():
        return None
    import pygit2
    from pygit2.enums import RepositoryOpenFlag

    try:
        return pygit2.Repository(str(path), RepositoryOpenFlag.NO_SEARCH)
    except (pygit2.GitError, KeyError, ValueError, OSError):
        return None


def is_repository(path: Path) -> bool:
    repo = open_repository(path)
    if repo is None:
        return False
    repo.free()
    return True


def lookup_object(repo: pygit2.Repository, key: str) -> pygit2.Object | None:
    """Look up a full or abbreviated hex id; malformed or ambiguous ids count as absent."""
    if not _HEX.fullmatch(key):
        return None
    import pygit2

    try:
        return repo.get(key)
    except (pygit2.GitError, ValueError):
        return None


def has_commit(repo: pygit2.Repository, sha: str) -> bool:
    import pygit2

    return isinstance(lookup_object(repo, sha), pygit2.Commit)


def repo_dir(repo: pygit2.Repository) -> str:
    return repo.path.rstrip("/")


def __getattr__(name: str) -> object:
    """Keep ``from datumkit.git.mirrors import fetch_mirror`` working after the split."""
    if name in {"fetch_mirror", "FetchResult"}:
        from datumkit.git import fetch

        return getattr(fetch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
