"""Finding credentials in what goes into a datum: patches, traces, notes.

The detection is detect-secrets' (a maintained scanner with one plugin per credential format);
this module decides which plugins run, feeds it bytes instead of files on disk, and reports each
hit as file, line and kind, never printing the secret itself.

Chosen plugins: every pattern-based detector (AWS, GitHub, GitLab, OpenAI, Slack, Stripe, JWT,
private keys, basic-auth URLs, ...) plus the keyword detector (``password = "..."``). The two
entropy detectors and the public-IP detector are off: a datum is full of 40-hex git SHAs (baseline
SHAs, ``index abc..def`` lines, tree ids) and traces are full of ids and hashes, which those
detectors report by the hundred. detect-secrets' usual false-positive filters stay on, including
the inline pragma ``pragma: allowlist secret``; its verification (asking the services whether a
credential is live) stays off, so scanning never touches the network. Strings inside a ``.json``
file are also scanned decoded: escaping hides ``password = "..."`` in a trace otherwise.

Reviewed exceptions live in ``datums/<name>/secrets.allowlist``, one per line::

    # <hashed_secret> <file relative to the datum> # reason (required)
    25910f981e85ca04baf359199dd0bd4a3ae738b6 diff.patch # AWS's documented example key, in a test

Where a detect-secrets plugin reports only a fragment of a credential (the GitHub plugin reports
the ``ghp`` prefix, the JWT plugin drops the signature, the private-key plugin reports the
``BEGIN ... PRIVATE KEY`` header), the hit covers the whole credential: that is what redaction
must replace, and hashing the fragment would make one allowlist entry accept every GitHub token.
So ``SecretHit.hashed`` is detect-secrets' hash function applied to the whole credential; it
equals detect-secrets' own ``hashed_secret`` for every plugin that reports whole values.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from detect_secrets.core.scan import _process_line_based_plugins
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.keyword import DENYLIST, KeywordDetector
from detect_secrets.settings import get_plugins, transient_settings

from datumkit.errors import DatumError, DatumErrors

#: detect-secrets plugins that run (class names). The entropy and IP detectors stay off: see the
#: module docstring.
PLUGINS = (
    "AWSKeyDetector",
    "ArtifactoryDetector",
    "AzureStorageKeyDetector",
    "BasicAuthDetector",
    "CloudantDetector",
    "DiscordBotTokenDetector",
    "GitHubTokenDetector",
    "GitLabTokenDetector",
    "IbmCloudIamDetector",
    "IbmCosHmacDetector",
    "JwtTokenDetector",
    "KeywordDetector",
    "MailchimpDetector",
    "NpmDetector",
    "OpenAIDetector",
    "PrivateKeyDetector",
    "PypiTokenDetector",
    "SendGridDetector",
    "SlackDetector",
    "SoftlayerDetector",
    "SquareOAuthDetector",
    "StripeDetector",
    "TelegramBotTokenDetector",
    "TwilioKeyDetector",
)

#: detect-secrets' false-positive filters that look at a line or a value (the file-name filters
#: do not apply: we scan bytes, and a credential in a lock file is still a credential).
FILTERS = (
    "detect_secrets.filters.allowlist.is_line_allowlisted",
    "detect_secrets.filters.heuristic.is_sequential_string",
    "detect_secrets.filters.heuristic.is_potential_uuid",
    "detect_secrets.filters.heuristic.is_likely_id_string",
    "detect_secrets.filters.heuristic.is_templated_secret",
    "detect_secrets.filters.heuristic.is_prefixed_with_dollar_sign",
    "detect_secrets.filters.heuristic.is_indirect_reference",
    "detect_secrets.filters.heuristic.is_not_alphanumeric_string",
)

ALLOWLIST_FILE = "secrets.allowlist"
PRIVATE_KEY = "Private Key"
#: kinds whose plugin reports only the start of the credential, and the whole credential's form
_WHOLE_TOKEN = {
    "GitHub Token": re.compile(r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{36,}"),
    "JSON Web Token": re.compile(r"eyJ[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+\.?[A-Za-z0-9_.+/=-]*"),
}
_PEM_MAX_LINES = 200
_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_UNESCAPED_QUOTE = re.compile(r'(?<!\\)"')
#: a line inside a PEM block: base64 data, or a header such as ``Proc-Type: 4,ENCRYPTED``
_PEM_BODY = re.compile(r"^(?:[A-Za-z0-9+/=]{1,128}|[A-Za-z-]+: .*)$")
_SHA1_HEX = re.compile(r"^[0-9a-f]{40}$")
#: the keyword plugin's keywords: every one of its regexes requires one of them
_KEYWORDS = re.compile("|".join(DENYLIST), re.IGNORECASE)
#: characters json.dumps escapes, which hide credentials from a scan of the raw JSON text
_ESCAPED_IN_JSON = re.compile(r'["\\\x00-\x1f]')

# detect-secrets keeps its configuration in a process-wide object; scans must not interleave.
_SETTINGS_LOCK = threading.RLock()
_configured = threading.local()


@dataclass(frozen=True)
class SecretHit:
    """One credential: where it is and what kind, identified by a hash, never shown."""

    #: display path given by the caller (e.g. ``datums/x/diff.patch``)
    file: str
    #: 1-based line in that file (for a patch: the line of the patch file)
    line: int
    #: detect-secrets' type, e.g. "AWS Access Key"
    kind: str
    #: sha1 hex of the credential, as detect-secrets hashes secrets; what an allowlist names
    hashed: str
    secret: str = field(repr=False)

    def describe(self) -> str:
        """``file:line: kind (hash 1a2b3c4d)``: safe to print, the secret stays out."""
        return f"{self.file}:{self.line}: {self.kind} (hash {self.hashed[:8]})"


@dataclass(frozen=True)
class Span:
    """Where (part of) a credential sits: 0-based line index and character columns."""

    line: int
    start: int
    end: int


@dataclass(frozen=True)
class LocatedSecret:
    """A hit with the spans of text it covers (several lines for a PEM private key)."""

    hit: SecretHit
    spans: tuple[Span, ...]


def hash_secret(secret: str) -> str:
    """detect-secrets' hash of a secret value (sha1 of its UTF-8 bytes)."""
    return hashlib.sha1(secret.encode("utf-8", "surrogateescape")).hexdigest()


def decode(content: bytes) -> str | None:
    """Text of `content` for scanning, or None for binary content (a NUL byte).

    Undecodable bytes become surrogates, so ``text.encode("utf-8", "surrogateescape")`` gives
    the original bytes back and redaction can rewrite a file without touching anything else.
    """
    if b"\0" in content:
        return None
    return content.decode("utf-8", "surrogateescape")


def scan_bytes(content: bytes, *, display_path: str) -> list[SecretHit]:
    """Every credential in a file's content; binary content (a NUL byte) has none."""
    return [located.hit for located in locate_in_bytes(content, display_path=display_path)]


def scan_patch(patch: bytes, *, display_path: str) -> list[SecretHit]:
    """Credentials on the added ('+') lines of a git patch; lines are lines of the patch file.

    Removed and context lines are the baseline's business, and ``GIT binary patch`` data is
    compressed bytes, so neither is scanned.
    """
    return [located.hit for located in locate_in_patch(patch, display_path=display_path)]


def locate_in_bytes(content: bytes, *, display_path: str) -> list[LocatedSecret]:
    """Like :func:`scan_bytes`, with the spans each credential occupies (for redaction)."""
    text = decode(content)
    if text is None:
        return []
    lines = text.split("\n")
    found = _locate(lines, scanned_as=display_path, display_path=display_path)
    if display_path.endswith(".json"):
        seen = {(located.hit.kind, span) for located in found for span in located.spans}
        decoded = [
            located
            for located in _locate_in_json_strings(text, lines, display_path=display_path)
            if not any(
                _overlaps(span, other)
                for kind, other in seen
                if kind == located.hit.kind
                for span in located.spans
            )
        ]
        found = _merge(found, decoded)
    return found


def _overlaps(a: Span, b: Span) -> bool:
    return a.line == b.line and a.start < b.end and b.start < a.end


def _locate_in_json_strings(
    text: str, lines: Sequence[str], *, display_path: str
) -> list[LocatedSecret]:
    """Credentials inside JSON strings that escaping hides from a scan of the raw text.

    A trace stores code and command output as JSON strings, where ``password = "x"`` reads
    ``password = \\"x\\"`` and a file's lines become one line with ``\\n``. Such strings are
    scanned again decoded, and each credential found is located in the raw text by its
    escaped form (so redaction can replace it there).
    """
    try:
        document = json.loads(text)
    except ValueError:
        return []
    # only strings that escaping changed: the raw scan saw the others exactly as they are
    decoded = [
        string.split("\n") for string in _json_strings(document) if _ESCAPED_IN_JSON.search(string)
    ]
    with _detector():
        raw = [list(_detect(string_lines, "string")) for string_lines in decoded]
    found: list[LocatedSecret] = []
    for string_lines, string_raw in zip(decoded, raw, strict=True):
        for located in _located(string_lines, string_raw, display_path):
            spans = _raw_spans(lines, located.hit.secret)
            line = spans[0].line + 1 if spans else 1
            found.append(LocatedSecret(replace(located.hit, line=line), spans))
    return found


def _json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def _raw_spans(lines: Sequence[str], secret: str) -> tuple[Span, ...]:
    """Every place `secret` occurs in JSON text, in either escaping json.dumps may produce."""
    forms = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    spans = []
    for index, line in enumerate(lines):
        for form in forms:
            start = line.find(form)
            while start >= 0:
                spans.append(Span(index, start, start + len(form)))
                start = line.find(form, start + len(form))
    return tuple(spans)


def _merge(*groups: Sequence[LocatedSecret]) -> list[LocatedSecret]:
    """One entry per (line, kind, credential), in line order."""
    merged: dict[tuple[int, str, str], LocatedSecret] = {}
    for group in groups:
        for located in group:
            merged.setdefault(_order(located), located)
    return sorted(merged.values(), key=_order)


def locate_in_patch(patch: bytes, *, display_path: str) -> list[LocatedSecret]:
    """Like :func:`scan_patch`, with spans in the patch's lines (after the '+')."""
    text = decode(patch)
    if text is None:
        return []
    patch_lines = text.split("\n")
    found: list[LocatedSecret] = []
    for path, line_indexes in _added_lines(patch_lines):
        payloads = [patch_lines[index][1:] for index in line_indexes]
        for located in _locate(payloads, scanned_as=path, display_path=display_path):
            spans = tuple(Span(line_indexes[s.line], s.start + 1, s.end + 1) for s in located.spans)
            hit = located.hit
            line = line_indexes[hit.line - 1] + 1
            found.append(
                LocatedSecret(SecretHit(hit.file, line, hit.kind, hit.hashed, hit.secret), spans)
            )
    return sorted(found, key=_order)


def _added_lines(lines: Sequence[str]) -> Iterator[tuple[str, list[int]]]:
    """(path in the repository, indexes of its added lines) per file of a patch."""
    path: str | None = None
    added: list[int] = []
    in_hunks = in_binary = False
    for index, line in enumerate(lines):
        if line.startswith("diff --git "):
            if path is not None and added:
                yield path, added
            path, added, in_hunks, in_binary = _path_of(line), [], False, False
        elif in_binary:
            continue
        elif line.startswith("GIT binary patch"):
            in_binary = True
        elif line.startswith("@@"):
            in_hunks = True
        elif not in_hunks and line.startswith("+++ "):
            target = line[4:].split("\t")[0]
            path = target[2:] if target.startswith("b/") else target
        elif in_hunks and line.startswith("+"):
            added.append(index)
    if path is not None and added:
        yield path, added


def _path_of(diff_header: str) -> str:
    """The new path of a ``diff --git a/x b/y`` line (good enough to pick keyword rules)."""
    _, _, new = diff_header.rpartition(" b/")
    return new or diff_header


def _locate(lines: list[str], *, scanned_as: str, display_path: str) -> list[LocatedSecret]:
    """Run detect-secrets over `lines` (1-based numbering) and find each credential's spans.

    `scanned_as` is the name detect-secrets sees: its keyword rules depend on the extension.
    """
    with _detector():
        raw = list(_detect(lines, scanned_as))
    return _located(lines, raw, display_path)


def _located(
    lines: Sequence[str], raw: Sequence[tuple[int, str, str]], display_path: str
) -> list[LocatedSecret]:
    found: dict[tuple[int, str, str], LocatedSecret] = {}
    for line_number, kind, value in raw:
        for spans in _credentials(lines, line_number - 1, kind, value):
            secret = "\n".join(lines[s.line][s.start : s.end] for s in spans)
            hit = SecretHit(display_path, line_number, kind, hash_secret(secret), secret)
            found.setdefault((line_number, kind, hit.hashed), LocatedSecret(hit, spans))
    return sorted(found.values(), key=_order)


@contextmanager
def _detector() -> Iterator[None]:
    """detect-secrets configured with our plugins and filters (its settings are global).

    Re-entrant: configuring costs a millisecond or two (detect-secrets rebuilds its plugins and
    clears its caches), so :func:`scanning` holds one configuration for a whole datum and the
    scans of its files inside reuse it.
    """
    with _SETTINGS_LOCK:
        if getattr(_configured, "depth", 0):
            _configured.depth += 1
            try:
                yield
            finally:
                _configured.depth -= 1
            return
        with transient_settings(_settings()):
            _configured.depth = 1
            try:
                yield
            finally:
                _configured.depth = 0


def scanning() -> AbstractContextManager[None]:
    """Hold detect-secrets' configuration across several scans (of one datum's files)."""
    return _detector()


def _detect(lines: Sequence[str], scanned_as: str) -> Iterator[tuple[int, str, str]]:
    """(line number, kind, value) of every finding; call inside :func:`_detector`.

    detect-secrets' own loop costs a fraction of a millisecond per line (its dependency
    injection inspects every plugin and filter call), far too slow for a 5 MiB trace. So each
    line first meets the plugins' own regexes (the keyword plugin's keyword list stands in for
    its regexes, all of which contain it), and only a line one of them matches goes through
    detect-secrets' full path, filters included, with the line before it as context (the
    ``pragma: allowlist nextline secret`` form looks there). Every detection needs one of those
    regexes to match and filters only drop findings, so this skips nothing the full path
    would report.
    """
    patterns, other_plugins = _prefilter()
    for index, line in enumerate(lines):
        stripped = line.rstrip()
        if not stripped:
            continue
        if not any(pattern.search(stripped) for pattern in patterns) and not any(
            plugin.analyze_line(filename=scanned_as, line=stripped, line_number=index + 1)
            for plugin in other_plugins
        ):
            continue
        window = [(1, lines[index - 1] if index else ""), (2, line)]
        for secret in _process_line_based_plugins(window, filename=scanned_as):
            if secret.line_number == 2 and secret.secret_value:
                yield index + 1, str(secret.type), str(secret.secret_value)


def _prefilter() -> tuple[list[re.Pattern[str]], list[Any]]:
    """Regexes one of which a line must match to hold a finding, and plugins without such."""
    patterns: list[re.Pattern[str]] = []
    others: list[Any] = []
    for plugin in get_plugins():
        if isinstance(plugin, KeywordDetector):
            patterns.append(_KEYWORDS)
        elif isinstance(plugin, RegexBasedDetector):
            patterns.extend(plugin.denylist)
        else:
            others.append(plugin)
    return patterns, others


def _settings() -> dict[str, Any]:
    return {
        "plugins_used": [{"name": name} for name in PLUGINS],
        "filters_used": [{"path": path} for path in FILTERS],
    }


def _order(located: LocatedSecret) -> tuple[int, str, str]:
    return located.hit.line, located.hit.kind, located.hit.hashed


def _credentials(lines: Sequence[str], index: int, kind: str, value: str) -> list[tuple[Span, ...]]:
    """The whole credentials behind a value detect-secrets reported (maybe as a fragment).

    One credential per entry, each as its spans; a value that occurs several times on the line
    is one credential with several spans, so redaction replaces every copy.
    """
    line = lines[index]
    if kind == PRIVATE_KEY:
        blocks = [_private_key_spans(lines, index, begin) for begin in _PEM_BEGIN.finditer(line)]
        if blocks:
            return blocks
    whole = _WHOLE_TOKEN.get(kind)
    if whole is not None:
        tokens: list[tuple[Span, ...]] = [
            (Span(index, match.start(), match.end()),)
            for match in whole.finditer(line)
            if match.group().startswith(value)
        ]
        if tokens:
            return tokens
    # Every other plugin reports the whole value; so do the two above when our form misses.
    spans = []
    start = line.find(value)
    while start >= 0:
        spans.append(Span(index, start, start + len(value)))
        start = line.find(value, start + len(value))
    return [tuple(spans)] if spans else []


def _private_key_spans(lines: Sequence[str], index: int, begin: re.Match[str]) -> tuple[Span, ...]:
    """A PEM block from its BEGIN line to its END line (one line when the PEM is escaped JSON).

    Each line's part is a separate span so that redaction keeps the number of lines (a patch's
    hunk counts stay right). An END on the same line counts only inside the same quoted string;
    without an END after base64 lines, the BEGIN marker is all there is.
    """
    line = lines[index]
    end_here = _PEM_END.search(line, begin.end())
    if end_here and not _UNESCAPED_QUOTE.search(line, begin.end(), end_here.start()):
        return (Span(index, begin.start(), end_here.end()),)
    spans = [Span(index, begin.start(), begin.end())]
    for following in range(index + 1, min(len(lines), index + _PEM_MAX_LINES)):
        text = lines[following]
        indent = len(text) - len(text.lstrip())
        end = _PEM_END.search(text)
        if end:
            spans.append(Span(following, indent, end.end()))
            return tuple(spans)
        if not _PEM_BODY.match(text.strip()):
            break
        spans.append(Span(following, indent, len(text.rstrip())))
    return tuple(spans[:1])


# --- the allowlist ----------------------------------------------------------------------------

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


# --- redaction --------------------------------------------------------------------------------


def placeholder(hit: SecretHit) -> str:
    """What replaces a credential: its kind and the start of its hash, e.g.
    ``<REDACTED:AWS Access Key:25910f98>``, so the same credential reads the same everywhere."""
    return f"<REDACTED:{hit.kind}:{hit.hashed[:8]}>"


def redact(
    content: bytes, *, display_path: str, as_patch: bool = False
) -> tuple[bytes, list[SecretHit]]:
    """`content` with every credential replaced by its :func:`placeholder`, and the hits.

    Lines stay lines (a multi-line private key leaves its lines empty), so a redacted patch
    keeps its hunk counts. Bytes outside the credentials are kept exactly.
    """
    locate = locate_in_patch if as_patch else locate_in_bytes
    found = locate(content, display_path=display_path)
    if not found:
        return content, []
    text = decode(content)
    assert text is not None  # binary content has no hits
    lines = text.split("\n")
    replacements: dict[int, list[tuple[int, int, str]]] = {}
    for located in found:
        for number, span in enumerate(located.spans):
            marker = placeholder(located.hit) if number == 0 else ""
            replacements.setdefault(span.line, []).append((span.start, span.end, marker))
    for index, edits in replacements.items():
        lines[index] = _apply_edits(lines[index], edits)
    redacted = "\n".join(lines).encode("utf-8", "surrogateescape")
    return redacted, [located.hit for located in found]


def _apply_edits(line: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace spans of one line; overlapping spans (two plugins, one credential) merge."""
    merged: list[tuple[int, int, str]] = []
    for start, end, marker in sorted(edits):
        if merged and start < merged[-1][1]:
            last_start, last_end, last_marker = merged[-1]
            merged[-1] = (last_start, max(end, last_end), last_marker or marker)
        else:
            merged.append((start, end, marker))
    for start, end, marker in reversed(merged):
        line = line[:start] + marker + line[end:]
    return line
