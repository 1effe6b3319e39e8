"""Finding credentials in what goes into a datum: patches, traces, notes, any file.

The detection is detect-secrets' (a maintained scanner with one plugin per credential format,
run by :mod:`datumkit.secrets.detect`, plus our AI-provider plugins in
:mod:`datumkit.secrets.plugins`); this module decides what text of a file or a patch is
scanned, and reports each hit as file, line and kind, never printing the secret itself.

What is scanned:

- every file, whole, whatever bytes it holds: a NUL byte or invalid UTF-8 never turns the scan
  off (undecodable bytes become surrogates, so ASCII credentials inside binary data are found
  and redaction can rewrite the file byte for byte);
- in ``.json``/``.jsonl``/``.ndjson`` files, also every string literal that has escapes,
  decoded: escaping hides ``password = "..."`` in a trace otherwise;
- in a patch, everything but the baseline's lines: added lines (per file, under that file's
  name), the headers and any text between and after file sections, and the content of each
  ``GIT binary patch`` hunk, inflated (at most to its declared size). A patch git's parser
  refuses is scanned line by line whole, with its binary hunks decoded as far as they decode.

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

import bisect
import gc
import hashlib
import json
import operator
import re
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import accumulate, count, repeat
from typing import NamedTuple

from datumkit.git.binary import MAX_BINARY_BYTES, BinaryPatchError, decode_base85_line
from datumkit.git.errors import PatchError
from datumkit.git.patchparse import ParsedPatch, parse_patch_once
from datumkit.secrets.detect import PluginGates, RawFinding, detect

PRIVATE_KEY = "Private Key"
#: files whose escaped string literals are also scanned decoded
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
#: kinds whose plugin reports only the start of the credential, and the whole credential's form
_WHOLE_TOKEN = {
    "GitHub Token": re.compile(r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{36,}"),
    "JSON Web Token": re.compile(r"eyJ[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+\.?[A-Za-z0-9_.+/=-]*"),
}
_PEM_MAX_LINES = 200
#: how far after a BEGIN line's marker an END marker on the same line is looked for
_PEM_MAX_CHARS = 8192
_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_UNESCAPED_QUOTE = re.compile(r'(?<!\\)"')
#: a line inside a PEM block: base64 data, or a header such as ``Proc-Type: 4,ENCRYPTED``
_PEM_BODY = re.compile(r"^(?:[A-Za-z0-9+/=]{1,128}|[A-Za-z-]+: .*)$")
#: JSON string literals holding an escape (group 1), line by line: every other part of a line
#: (text outside literals, an escape outside a literal, a literal without escapes, a quote left
#: open at the end of the line) is skipped in the same search. A quote not consumed by an
#: escape opens or closes a literal; a literal never spans lines.
_ESCAPED_LITERAL = re.compile(
    r"""(?:[^"\\]++|\\[^\n]|\\|"[^"\\\n]*+"|"(?:[^"\\\n]++|\\[^\n])*+\\?(?=\n|\Z))++"""
    r"""|("[^"\\\n]*+(?:\\[^\n][^"\\\n]*+)++")"""
)
#: at most 12 digits: a longer size is no real hunk (and never worth converting)
_BINARY_HUNK = re.compile(r"(literal|delta) (\d{1,12})")
_BINARY_MARKER = "GIT binary patch"


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


class Span(NamedTuple):
    """Where (part of) a credential sits: 0-based line index and character columns.

    A tuple, so that the hundreds of thousands of spans a line dense in one credential gives
    are hashed and sorted at C speed."""

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


def decode(content: bytes) -> str:
    """Text of `content` for scanning: any bytes, NUL included.

    Undecodable bytes become surrogates, so ``text.encode("utf-8", "surrogateescape")`` gives
    the original bytes back and redaction can rewrite a file without touching anything else.
    """
    return content.decode("utf-8", "surrogateescape")


def scan_bytes(
    content: bytes, *, display_path: str, gates: PluginGates | None = None
) -> list[SecretHit]:
    """Every credential in a file's content, binary content included.

    `gates`: :func:`datumkit.secrets.detect.plugin_gates` of a text holding :func:`decode` of
    `content` among its lines (a datum's files scanned together ask each plugin's gate once);
    the hits are the same with or without it.
    """
    with _no_cycle_collection():
        located = _locate_in_bytes(content, display_path=display_path, gates=gates)
    return [one.hit for one in located]


def scan_patch(
    patch: bytes, *, display_path: str, gates: PluginGates | None = None
) -> list[SecretHit]:
    """Credentials in what a git patch ships; lines are lines of the patch file.

    Context and removed lines are the baseline's business (the patch check proves they are the
    baseline's); everything else is scanned, ``GIT binary patch`` data decoded. `gates` as for
    :func:`scan_bytes`.
    """
    with _no_cycle_collection():
        located = _locate_in_patch(patch, display_path=display_path, gates=gates)
    return [one.hit for one in located]


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused during a scan.

    A scan of a dense file holds hundreds of thousands of small tuples (spans, keyword starts)
    and makes no reference cycles; each full collection walks all of them again, which made
    the scan of a 5 MiB line grow faster than the line. Freed objects are still freed at once
    (reference counting); the collector resumes as it was.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def locate_in_bytes(content: bytes, *, display_path: str) -> list[LocatedSecret]:
    """Like :func:`scan_bytes`, with the spans each credential occupies (for redaction)."""
    with _no_cycle_collection():
        return _locate_in_bytes(content, display_path=display_path)


def _locate_in_bytes(
    content: bytes, *, display_path: str, gates: PluginGates | None = None
) -> list[LocatedSecret]:
    lines = decode(content).split("\n")
    found = _locate(lines, scanned_as=display_path, display_path=display_path, gates=gates)
    if display_path.endswith(JSON_SUFFIXES):
        taken = _SpanIndex(found)
        decoded = [
            located
            for located in _locate_in_json_strings(lines, display_path=display_path)
            if not any(taken.overlaps(located.hit.kind, span) for span in located.spans)
        ]
        found = _merge(found, decoded)
    return found


class _SpanIndex:
    """The spans of some credentials by (kind, line), to ask in log time whether a span
    overlaps one of them (a trace can hold thousands of credentials on one line)."""

    def __init__(self, found: Sequence[LocatedSecret]) -> None:
        spans: dict[tuple[str, int], list[Span]] = {}
        for located in found:
            for span in located.spans:
                spans.setdefault((located.hit.kind, span.line), []).append(span)
        #: per key: the spans' starts in order, and the largest end among the first n of them
        self._index: dict[tuple[str, int], tuple[list[int], list[int]]] = {}
        for key, group in spans.items():
            group.sort()
            self._index[key] = (
                [span.start for span in group],
                list(accumulate((span.end for span in group), max)),
            )

    def overlaps(self, kind: str, span: Span) -> bool:
        entry = self._index.get((kind, span.line))
        if entry is None:
            return False
        starts, reach = entry
        before = bisect.bisect_left(starts, span.end)  # the spans starting before this one ends
        return before > 0 and reach[before - 1] > span.start


def _locate_in_json_strings(lines: Sequence[str], *, display_path: str) -> list[LocatedSecret]:
    """Credentials inside JSON string literals that escaping hides from a scan of the raw text.

    A trace stores code and command output as JSON strings, where ``password = "x"`` reads
    ``password = \\"x\\"`` and a file's lines become one line with ``\\n``. Each literal
    with an escape is decoded and scanned again, and each credential found is located in the
    raw literal by its escaped form (so redaction can replace it there). Literals are found
    line by line (a JSON string never spans lines), so a JSON Lines trace and a document nested
    deeper than any parser allows are read alike, in one pass.
    """
    text = "\n".join(lines)
    # the raw literals with an escape, quotes included ('' for each part skipped between them)
    literals = [literal for literal in _ESCAPED_LITERAL.findall(text) if literal]
    if not literals:
        return []
    strings = _decode_literals(literals)
    if None in strings:
        kept = [number for number, string in enumerate(strings) if string is not None]
    else:
        kept = list(range(len(strings)))  # the literals that decode
    decoded = [strings[number] or "" for number in kept] if len(kept) < len(strings) else strings
    string_lines = "\n".join(decoded).split("\n") if decoded else []  # type: ignore[arg-type]
    found = _locate(string_lines, scanned_as="string", display_path="")
    if not found:
        return []
    # where each literal starts in `text`, and each kept literal's first line among string_lines
    offsets = [match.start(1) for match in _ESCAPED_LITERAL.finditer(text) if match[1]]
    newlines = map(str.count, decoded, repeat("\n"))  # type: ignore[arg-type]
    firsts = list(map(operator.add, accumulate(newlines, initial=0), count()))
    starts = _line_starts(lines)
    located_raw: list[LocatedSecret] = []
    for located in found:
        first = located.spans[0].line if located.spans else located.hit.line - 1
        number = kept[bisect.bisect_right(firsts, first) - 1]
        index = bisect.bisect_right(starts, offsets[number]) - 1
        start = offsets[number] - starts[index]
        end = start + len(literals[number])
        spans = _raw_spans(lines[index], index, start, end, located.hit.secret)
        hit = replace(located.hit, file=display_path, line=index + 1)
        located_raw.append(LocatedSecret(hit, spans))
    return located_raw


def _line_starts(lines: Sequence[str]) -> list[int]:
    """Where each line starts in the lines joined by newlines."""
    return list(accumulate(map((1).__add__, map(len, lines[:-1])), initial=0))


def _decode_literals(literals: Sequence[str]) -> list[str | None]:
    """Each JSON string literal decoded (None where it is not valid JSON), as ``json.loads``
    decodes it: a thousand at a time as one JSON array, one at a time where that fails."""
    decoded: list[str | None] = []
    for first in range(0, len(literals), 1000):
        batch = literals[first : first + 1000]
        try:
            decoded += json.loads("[" + ",".join(batch) + "]")
            continue
        except ValueError:
            pass
        for literal in batch:
            try:
                decoded.append(json.loads(literal))
            except ValueError:
                decoded.append(None)
    return decoded


def _raw_spans(line: str, index: int, start: int, end: int, secret: str) -> tuple[Span, ...]:
    """Where `secret` occurs in a JSON literal, in either escaping json.dumps may produce."""
    forms = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    spans = []
    for form in forms:
        position = line.find(form, start, end)
        while position >= 0:
            spans.append(Span(index, position, position + len(form)))
            position = line.find(form, position + len(form), end)
    return tuple(sorted(spans, key=lambda span: (span.line, span.start)))


def _merge(*groups: Sequence[LocatedSecret]) -> list[LocatedSecret]:
    """One entry per (line, kind, credential), in line order, with the spans of all of them."""
    found: dict[tuple[int, str, str], list[LocatedSecret]] = {}
    for group in groups:
        for located in group:
            found.setdefault(_order(located), []).append(located)
    merged = []
    for key in sorted(found):
        same = found[key]
        spans = same[0].spans
        if len(same) > 1 or not all(map(operator.lt, spans, spans[1:])):
            spans = tuple(sorted(set().union(*(located.spans for located in same))))
        merged.append(LocatedSecret(same[0].hit, spans))
    return merged


def locate_in_patch(patch: bytes, *, display_path: str) -> list[LocatedSecret]:
    """Like :func:`scan_patch`, with spans in the patch's lines.

    A credential inside a binary hunk has no spans: it cannot be replaced in the patch text.
    """
    with _no_cycle_collection():
        return _locate_in_patch(patch, display_path=display_path)


def _locate_in_patch(
    patch: bytes, *, display_path: str, gates: PluginGates | None = None
) -> list[LocatedSecret]:
    """:func:`locate_in_patch`'s work; `gates` (if any) hold the patch's lines, so they are
    good for its text regions (pieces of those lines), not for its inflated binary data."""
    patch_lines = decode(patch).split("\n")
    found: list[LocatedSecret] = []
    regions, binaries = _patch_parts(patch, patch_lines, display_path)
    for region in regions:
        payloads = [patch_lines[index][region.skip :] for index in region.indexes]
        for located in _locate(
            payloads, scanned_as=region.scanned_as, display_path=display_path, gates=gates
        ):
            spans = tuple(
                Span(region.indexes[s.line], s.start + region.skip, s.end + region.skip)
                for s in located.spans
            )
            line = region.indexes[located.hit.line - 1] + 1
            found.append(LocatedSecret(replace(located.hit, line=line), spans))
    for index, scanned_as, data in binaries:
        for located in _locate(
            decode(data).split("\n"), scanned_as=scanned_as, display_path=display_path
        ):
            found.append(LocatedSecret(replace(located.hit, line=index + 1), ()))
    return _merge(found)


@dataclass(frozen=True)
class _Region:
    """Lines of a patch scanned together: the name detect-secrets sees (its keyword rules
    depend on the extension), their 0-based indexes, and how many leading characters to skip."""

    scanned_as: str
    indexes: list[int]
    skip: int


def _patch_parts(
    patch: bytes, lines: Sequence[str], display_path: str
) -> tuple[list[_Region], list[tuple[int, str, bytes]]]:
    """What of a patch is scanned: text regions, and (line, file name, bytes) of binary data.

    The patch is read by the git layer's parser (:func:`datumkit.git.patchparse.parse_patch`),
    so "added line" means what ``git apply`` adds. Added lines are scanned per file, under that
    file's name. Every other line (headers, text between file sections, a commit message, the
    lines after a binary section) ships in the datum too, so it is scanned as well. Both hunks
    of a binary patch are scanned decoded (the reverse one is never checked against anything).
    A patch the parser refuses still ships: then every line is scanned, and each binary hunk
    is decoded as far as it decodes.
    """
    try:
        parsed = parse_patch_once(patch)
    except PatchError:
        everything = _Region(display_path, list(range(len(lines))), 0)
        return [everything], list(_lenient_binary_hunks(lines, display_path))
    regions: list[_Region] = []
    #: each hunk claims its header and its lines: one range of indexes, [start, end)
    claimed: list[tuple[int, int]] = []
    for parsed_file in parsed.files:
        added: list[int] = []
        for hunk in parsed_file.hunks:
            first = hunk.patch_line
            claimed.append((first - 1, first + len(hunk.lines)))
            added += [first + offset for offset, line in enumerate(hunk.lines) if line[:1] == b"+"]
        if added:
            regions.append(_Region(parsed_file.path, added, 1))
    rest: list[int] = []
    position = 0
    for start, end in sorted(claimed):
        rest.extend(range(position, min(start, len(lines))))
        position = max(position, end)
    rest.extend(range(position, len(lines)))
    regions.append(_Region(display_path, rest, 0))
    return regions, _binary_hunks(parsed, lines)


def _binary_hunks(parsed: ParsedPatch, lines: Sequence[str]) -> list[tuple[int, str, bytes]]:
    """(index of the ``GIT binary patch`` line, file name, data) of each binary hunk."""
    markers = [index for index, line in enumerate(lines) if line == _BINARY_MARKER]
    hunks = []
    for parsed_file in parsed.files:
        at = bisect.bisect_left(markers, parsed_file.patch_line - 1)
        index = markers[at] if at < len(markers) else parsed_file.patch_line - 1
        for hunk in (parsed_file.forward_binary, parsed_file.reverse_binary):
            if hunk is not None and hunk.data:
                hunks.append((index, parsed_file.path, hunk.data))
    return hunks


def _lenient_binary_hunks(
    lines: Sequence[str], display_path: str
) -> Iterator[tuple[int, str, bytes]]:
    """Binary hunks of a patch git refuses, decoded up to the first bad line or byte."""
    for index, line in enumerate(lines):
        header = _BINARY_HUNK.fullmatch(line)
        if header is None:
            continue
        data = bytearray()
        for following in lines[index + 1 :]:
            try:
                data += decode_base85_line(following.encode("utf-8", "surrogateescape"))
            except BinaryPatchError:
                break
        # never more than git would inflate for a datum (the declared size, capped)
        content = inflate_prefix(bytes(data), min(int(header[2]), MAX_BINARY_BYTES))
        if content:
            yield index, display_path, content


def inflate_prefix(data: bytes, limit: int) -> bytes:
    """As much of a deflate stream as inflates cleanly, never more than `limit` bytes.

    `limit` is the size the hunk declares: git stops there, and so does this (a 1 MB "zlib
    bomb" that would inflate to gigabytes costs at most its declared size).
    """
    inflater = zlib.decompressobj()
    out = bytearray()
    for start in range(0, len(data), 4096):
        if len(out) >= limit:
            break
        try:
            out += inflater.decompress(data[start : start + 4096], limit - len(out))
        except zlib.error:
            break
        if inflater.eof:
            break
    return bytes(out[:limit])


def _locate(
    lines: list[str], *, scanned_as: str, display_path: str, gates: PluginGates | None = None
) -> list[LocatedSecret]:
    """Run detect-secrets over `lines` (1-based numbering) and find each credential's spans.

    `scanned_as` is the name detect-secrets sees: its keyword rules depend on the extension.
    `gates`: see :func:`datumkit.secrets.detect.detect` (only for pieces of the lines they hold).
    """
    return _located(lines, detect(lines, scanned_as, gates), display_path)


def _located(
    lines: Sequence[str], raw: Sequence[RawFinding], display_path: str
) -> list[LocatedSecret]:
    found: list[LocatedSecret] = []
    #: values reported whole, by where and what: their spans are found once for all areas
    values: dict[tuple[int, str, str], list[tuple[int, int]]] = {}
    for finding in raw:
        if finding.kind != PRIVATE_KEY and finding.kind not in _WHOLE_TOKEN:
            key = (finding.index, finding.kind, finding.value)
            values.setdefault(key, []).append((finding.start, finding.end))
            continue
        for spans in _credentials(lines, finding):
            found.append(_located_secret(lines, spans, finding.index, finding.kind, display_path))
    for (index, kind, value), areas in values.items():
        spans = _occurrences(lines[index], index, value, areas)
        if spans:
            found.append(_located_secret(lines, spans, index, kind, display_path))
    return _without_fragments(_merge(found))


def _located_secret(
    lines: Sequence[str], spans: tuple[Span, ...], index: int, kind: str, display_path: str
) -> LocatedSecret:
    secret = _secret_of(lines, spans)
    return LocatedSecret(
        SecretHit(display_path, index + 1, kind, hash_secret(secret), secret), spans
    )


#: a Span from a (line, start, end) tuple, at C speed (a dense line can hold millions)
_new_span = partial(tuple.__new__, Span)


def _occurrences(
    line: str, index: int, value: str, areas: Sequence[tuple[int, int]]
) -> tuple[Span, ...]:
    """Every copy of `value` in the areas of `line` it was reported in, each searched from its
    start (what :func:`_credentials` does per area).

    Consecutive areas sharing at least ``len(value)`` characters are searched as one range when
    no copy of the value can overlap another: then every copy in the range lies whole in one of
    the areas, and a search from an area's start finds every copy lying whole in it. So a long
    line dense in one value is searched once, not once per window.
    """
    length = len(value)
    ordered = sorted(set(areas))
    # copies can overlap only if the value ends as it starts (so holds its first character twice)
    if value[:1] in value[1:] and any(value[-size:] == value[:size] for size in range(1, length)):
        ranges = ordered  # copies may overlap: which are found depends on where a search starts
    else:
        ranges = []
        for start, end in ordered:
            if ranges and start <= ranges[-1][1] - length and end >= ranges[-1][1]:
                ranges[-1] = (ranges[-1][0], end)
            else:
                ranges.append((start, end))
    found: list[Span] = []
    for start, end in ranges:
        positions = []
        position = line.find(value, start, end)
        while position >= 0:
            positions.append(position)
            position = line.find(value, position + length, end)
        found += map(_new_span, zip(repeat(index), positions, [p + length for p in positions]))
    if ranges is ordered and len(ranges) > 1:
        return tuple(sorted(set(found)))  # areas searched one by one found some copies twice
    found.sort()  # in order but where two ranges overlap (no copy lies in both)
    return tuple(found)


def _secret_of(lines: Sequence[str], spans: Sequence[Span]) -> str:
    """The credential `spans` cover: the lines of a PEM block joined, or the value of a
    credential found several times on its line (each copy is one span), once."""
    if len({span.line for span in spans}) == 1:
        first = spans[0]
        return lines[first.line][first.start : first.end]
    return "\n".join(lines[span.line][span.start : span.end] for span in spans)


def _without_fragments(found: list[LocatedSecret]) -> list[LocatedSecret]:
    """Drop a one-span hit lying inside another one-span hit of its kind on its line: a window
    of a long line cut that credential short, and the next window saw it whole."""
    groups: dict[tuple[int, str], list[LocatedSecret]] = {}
    for located in found:
        if len(located.spans) == 1:
            groups.setdefault((located.hit.line, located.hit.kind), []).append(located)
    fragments: set[int] = set()
    for group in groups.values():
        reach = -1
        for located in sorted(group, key=lambda item: (item.spans[0].start, -item.spans[0].end)):
            if located.spans[0].end <= reach:
                fragments.add(id(located))
            reach = max(reach, located.spans[0].end)
    return [located for located in found if id(located) not in fragments]


def _order(located: LocatedSecret) -> tuple[int, str, str]:
    return located.hit.line, located.hit.kind, located.hit.hashed


def _credentials(lines: Sequence[str], finding: RawFinding) -> list[tuple[Span, ...]]:
    """The whole credentials behind a value detect-secrets reported (maybe as a fragment).

    One credential per entry, each as its spans; a value that occurs several times where it was
    found is one credential with several spans, so redaction replaces every copy. Only the part
    of the line the value was found in is searched (so the work stays linear on long lines).
    """
    index, start, end, kind, value = (
        finding.index,
        finding.start,
        finding.end,
        finding.kind,
        finding.value,
    )
    line = lines[index]
    if kind == PRIVATE_KEY:
        blocks = [
            _private_key_spans(lines, index, begin)
            for begin in _PEM_BEGIN.finditer(line, start, end)
        ]
        if blocks:
            return blocks
    whole = _WHOLE_TOKEN.get(kind)
    if whole is not None:
        tokens: list[tuple[Span, ...]] = [
            (Span(index, match.start(), match.end()),)
            for match in whole.finditer(line, start, end)
            if match.group().startswith(value)
        ]
        if tokens:
            return tokens
    # Every other plugin reports the whole value; so do the two above when our form misses.
    spans = []
    position = line.find(value, start, end)
    while position >= 0:
        spans.append(Span(index, position, position + len(value)))
        position = line.find(value, position + len(value), end)
    return [tuple(spans)] if spans else []


def _private_key_spans(lines: Sequence[str], index: int, begin: re.Match[str]) -> tuple[Span, ...]:
    """A PEM block from its BEGIN line to its END line (one line when the PEM is escaped JSON).

    Each line's part is a separate span so that redaction keeps the number of lines (a patch's
    hunk counts stay right). An END on the same line counts only inside the same quoted string;
    without an END after base64 lines, the BEGIN marker is all there is.
    """
    line = lines[index]
    end_here = _PEM_END.search(line, begin.end(), begin.end() + _PEM_MAX_CHARS)
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
