"""Reviewed exceptions to the secret scan: ``datums/<name>/secrets.allowlist``.

One entry per line, each naming a credential by its hash (never its value), the file it may stay
in, and why::

    # <hashed_secret> <file relative to the datum> # reason (required)
    25910f981e85ca04baf359199dd0bd4a3ae738b6 diff.patch # AWS's documented example key, in a test

An exception nobody can explain is not reviewed, so the reason is required; an entry that names
a file outside the datum is refused.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass

from datumkit.errors import DatumError, DatumErrors
from datumkit.secrets.scan import SecretHit

ALLOWLIST_FILE = "secrets.allowlist"
_SHA1_HEX = re.compile(r"^[0-9a-f]{40}$")
_ENTRY = re.compile(r"^(?P<hashed>\S+)\s+(?P<file>.+?)\s+#\s*(?P<reason>.*?)\s*$")
_ENTRY_WITHOUT_REASON = re.compile(r"^(?P<hashed>\S+)\s+(?P<file>[^#]+?)\s*#?\s*$")


@dataclass(frozen=True)
class AllowlistEntry:
    """One reviewed exception: this hash, in this file, for this reason."""

    hashed: str
    file: str
    reason: str
    line: int


class AllowlistInvalid(DatumErrors):
    """Entries of a secrets.allowlist that cannot be read; ``errors`` holds one per line."""


@dataclass(frozen=True)
class Allowlist:
    """Reviewed credentials that may stay; entries name files relative to the allowlist."""

    entries: tuple[AllowlistEntry, ...] = ()
    #: the directory (display path) the entries' files are relative to
    base: str = ""

    def allows(self, hit: SecretHit) -> bool:
        """True when an entry names this hit's hash and file."""
        return any(
            entry.hashed == hit.hashed and self._display(entry.file) == hit.file
            for entry in self.entries
        )

    def unused(self, hits: Sequence[SecretHit]) -> list[AllowlistEntry]:
        """Entries that match none of `hits`: stale exceptions worth deleting."""
        return [
            entry
            for entry in self.entries
            if not any(
                entry.hashed == hit.hashed and self._display(entry.file) == hit.file for hit in hits
            )
        ]

    def _display(self, relative: str) -> str:
        return posixpath.join(self.base, relative) if self.base else relative


def load_allowlist(text: bytes | None, *, display_path: str) -> Allowlist:
    """Parse a secrets.allowlist (None: no file, nothing allowed); AllowlistInvalid lists errors.

    Lines are ``<hashed_secret> <relative file> # reason``; blank lines and lines starting with
    '#' are comments. A reason is required: an exception nobody can explain is not reviewed.
    """
    base = posixpath.dirname(display_path)
    if text is None:
        return Allowlist((), base)
    entries: list[AllowlistEntry] = []
    errors: list[DatumError] = []
    for number, raw in enumerate(text.decode("utf-8", "replace").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        problem = _entry_problem(line)
        if problem is not None:
            errors.append(
                DatumError(
                    problem[0], file=display_path, location=f"line {number}", hint=problem[1]
                )
            )
            continue
        match = _ENTRY.match(line)
        assert match is not None  # _entry_problem accepted it
        entries.append(AllowlistEntry(match["hashed"], match["file"], match["reason"], number))
    if errors:
        raise AllowlistInvalid(errors)
    return Allowlist(tuple(entries), base)


def _entry_problem(line: str) -> tuple[str, str] | None:
    """(what is wrong, what to do) for an allowlist line, or None when it is a good entry."""
    form = "write '<hashed_secret> <file> # reason'"
    match = _ENTRY.match(line)
    if match is None or not match["reason"]:
        if _ENTRY_WITHOUT_REASON.match(line):
            return "entry has no reason", "append ' # why this is not a real secret'"
        return "not an allowlist entry", form
    if not _SHA1_HEX.match(match["hashed"]):
        return (
            f"{match['hashed']!r} is not a hashed secret (40 lowercase hex characters)",
            "copy the hash that the secret scan printed for this credential",
        )
    file = match["file"]
    if file.startswith("/") or ".." in file.split("/"):
        return f"{file!r} leaves the datum", "name the file relative to the datum directory"
    return None


def allowlist_entry(hit: SecretHit, relative_file: str, reason: str) -> str:
    """The allowlist line that accepts `hit` (for messages telling people how to allow it)."""
    return f"{hit.hashed} {relative_file} # {reason}"
