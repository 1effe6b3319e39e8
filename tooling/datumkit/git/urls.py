"""Upstream URLs: parsing, the canonical form that keys a mirror, and redaction for display.

A datum names its upstream by URL (``repo.git_url``), and one repository has many spellings: a
trailing ``/`` or ``.git``, the case of scheme and host, a default port, credentials, a plain path
or a ``file://`` URL. Everything that compares, prints or hashes an upstream URL goes through
:func:`parse_git_url`, so the rules live once, and :func:`redact_url` is the single rule for
hiding credentials wherever a URL is printed or recorded.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, urlsplit, urlunsplit

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_SCP = re.compile(r"(?:(?P<user>[^@/:]+)@)?(?P<host>[^@/:]+):(?P<path>.*)", re.DOTALL)
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SLUG_MAX = 48
_DEFAULT_PORTS = {"http": 80, "https": 443, "ssh": 22, "git": 9418}
_SSH_SCHEMES = frozenset({"ssh", "git+ssh", "ssh+git"})


@dataclass(frozen=True)
class GitUrl:
    """One upstream URL, parsed once: how to reach it and what identifies it."""

    #: the canonical form two spellings of one repository share (the cache key)
    identity: str
    #: human-readable words of the URL for the mirror's directory name
    slug_source: str
    #: what to print: the URL without any password or token (:func:`redact_url`)
    display: str
    #: what the transport is asked to fetch from (may carry credentials: never print it)
    fetch_url: str
    #: the upstream directory when the URL is a local path or ``file://`` URL
    local_path: Path | None = None

    def scrub(self, text: str) -> str:
        """``text`` (an error message) with the credential-bearing URL replaced by the display."""
        return text.replace(self.fetch_url, self.display) if self.fetch_url else text


def parse_git_url(git_url: str) -> GitUrl:
    """Classify ``git_url`` as a scheme URL, an scp-like ssh address or a local path."""
    text = git_url.strip()
    if _SCHEME.match(text):
        parts = urlsplit(text)
        if parts.scheme.lower() == "file":
            # urllib.request imports http.client, email and ssl: only file:// URLs need it
            from urllib.request import url2pathname

            return _local_url(Path(url2pathname(parts.path)))
        return _scheme_url(text, parts)
    scp = _SCP.fullmatch(text)
    if scp is not None and (scp["user"] or len(scp["host"]) > 1):  # "C:" is a Windows drive
        return _scp_url(text, scp)
    return _local_url(Path(text))


def normalize_git_url(git_url: str) -> str:
    """Return the canonical form of ``git_url`` that keys its mirror.

    Spellings of one repository must share one mirror: a trailing ``/`` or ``.git``, the case of
    scheme and host, a default port, and credentials do not change which repository a remote URL
    names. Local paths become absolute (relative ones resolve against the current directory, as
    git does) and ``file://`` URLs become the path they name; ``.git`` stays, because ``x`` and
    ``x.git`` are different directories.
    """
    return parse_git_url(git_url).identity


def redact_url(url: str) -> str:
    """``url`` without secrets, still usable as a URL: the one redaction rule of datumkit.

    Passwords are always dropped. A user name is kept only for ssh, where it is the account
    (``git@``) and never a secret; an http(s) user name is dropped because it is often a token.
    Used for what datumkit prints and for what it records (``datum capture`` writes the remote
    into datum.yaml), so a recorded URL can still be cloned.
    """
    text = url.strip()
    if not _SCHEME.match(text):
        return text  # scp-like addresses and paths carry no password
    parts = urlsplit(text)
    if "@" not in parts.netloc:
        return text
    hostport = parts.netloc.rpartition("@")[2]
    keep_user = parts.scheme.lower() in _SSH_SCHEMES and parts.username
    netloc = f"{parts.username}@{hostport}" if keep_user else hostport
    return urlunsplit(parts._replace(netloc=netloc))


def slugify(text: str) -> str:
    """Make a short, readable, filesystem-safe name; a hash beside it keeps it unique."""
    slug = _SLUG_UNSAFE.sub("-", text).strip("-._")
    slug = slug.removesuffix(".git")
    if len(slug) > _SLUG_MAX:  # keep the end: the repository name is the telling part
        slug = slug[-_SLUG_MAX:].lstrip("-._")
    return slug or "repo"


def _local_url(path: Path) -> GitUrl:
    absolute = Path(os.path.abspath(path))
    tail = "/".join(absolute.parts[-2:])
    return GitUrl(str(absolute), tail, str(absolute), str(absolute), local_path=absolute)


def _scheme_url(text: str, parts: SplitResult) -> GitUrl:
    scheme = parts.scheme.lower()
    scheme = "ssh" if scheme in _SSH_SCHEMES else scheme
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
    return GitUrl(identity, f"{host}{path}", redact_url(text), text)


def _scp_url(text: str, match: re.Match[str]) -> GitUrl:
    user = f"{match['user']}@" if match["user"] else ""
    host = match["host"].lower()
    path = _strip_repo_suffix(match["path"])
    return GitUrl(f"{user}{host}:{path}", f"{host}/{path}", text, text)


def _strip_repo_suffix(path: str) -> str:
    """``org/repo.git/`` and ``org/repo`` name one remote repository."""
    path = path.rstrip("/")
    path = path.removesuffix(".git")
    return path.rstrip("/")
