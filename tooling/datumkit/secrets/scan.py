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

Reviewed exceptions are :mod:`datumkit.secrets.allowlist`'s; replacing what is found is
:mod:`datumkit.secrets.redact`'s.

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

from datumkit.git.errors import PatchError
from datumkit.git.patchparse import parse_patch

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
    for region in _patch_regions(patch, len(patch_lines), display_path):
        payloads = [patch_lines[index][region.skip :] for index in region.indexes]
        for located in _locate(payloads, scanned_as=region.scanned_as, display_path=display_path):
            spans = tuple(
                Span(region.indexes[s.line], s.start + region.skip, s.end + region.skip)
                for s in located.spans
            )
            line = region.indexes[located.hit.line - 1] + 1
            found.append(LocatedSecret(replace(located.hit, line=line), spans))
    return _merge(found)


@dataclass(frozen=True)
class _Region:
    """Lines of a patch scanned together: the name detect-secrets sees (its keyword rules
    depend on the extension), their 0-based indexes, and how many leading characters to skip."""

    scanned_as: str
    indexes: list[int]
    skip: int


def _patch_regions(patch: bytes, line_count: int, display_path: str) -> list[_Region]:
    """What of a patch is scanned: every line except the baseline's (context and removed lines).

    The patch is read by the git layer's parser (:func:`datumkit.git.patchparse.parse_patch`),
    so "added line" means what ``git apply`` adds. Added lines are scanned per file, under that
    file's name. Every other line (headers, text between file sections, a commit message, the
    lines after a binary section) ships in the datum too, so it is scanned as well. A patch the
    parser refuses still ships: then every line is scanned.
    """
    try:
        parsed = parse_patch(patch)
    except PatchError:
        return [_Region(display_path, list(range(line_count)), 0)]
    regions: list[_Region] = []
    claimed: set[int] = set()
    for parsed_file in parsed.files:
        added: list[int] = []
        for hunk in parsed_file.hunks:
            claimed.add(hunk.patch_line - 1)
            for offset, line in enumerate(hunk.lines):
                index = hunk.patch_line + offset
                claimed.add(index)
                if line[:1] == b"+":
                    added.append(index)
        if added:
            regions.append(_Region(parsed_file.path, added, 1))
    rest = [index for index in range(line_count) if index not in claimed]
    regions.append(_Region(display_path, rest, 0))
    return regions


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
