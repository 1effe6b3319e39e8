"""Apply the text hunks of one file exactly as ``git apply`` does, or say where they fail.

git's rules (``apply_one_fragment``, ``find_pos``, ``match_fragment`` in ``apply.c``), kept
because the generated Dockerfile runs ``git apply`` and both verdicts must be the same:

- A hunk is tried first where its header says (the *new* start line, since earlier hunks of the
  file are already applied), then at growing distances, forwards before backwards: the first
  exact match wins. Almost every hunk of a real patch matches where it says, so that one
  comparison is made first; only when it fails are the other places worth testing found, by
  C-level searches for the hunk's first line, and walked in git's order. There is no fuzz and
  no whitespace leniency (git's defaults).
- A hunk whose old start line is 0 or 1 must match at the top of the file; a hunk with no
  trailing context must match at the end.
- Lines produced by an earlier hunk cannot be matched again.
- A preimage whose last line has no newline matches a longer line when it is a prefix that
  differs only in whitespace: that is what git's line hash plus ``memcmp`` accept.

Two routes share these rules. :func:`apply_in_place` keeps the file as one ``bytes`` object and
accepts a hunk only where git accepts it first (its stated line, found with ``bytes.find`` and
numbered with ``bytes.count``); the new file is joined from slices. Whenever git would do more
(search outwards, honour a ``\\ No newline`` marker) it gives up and :func:`apply_by_lines`
redoes the file on a list of lines with the whole search; tests/test_patch_fastpath.py checks
the two never disagree.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from datumkit.git.patchparse import Image, ParsedHunk, split_lines

_WHITESPACE = b" \t\n\v\f\r"


FailureKind = Literal["mismatch", "file-ends", "overlap", "not-at-end", "not-at-start"]


@dataclass(frozen=True)
class HunkFailure:
    """Why a hunk did not apply, positioned in the baseline file (1-based ``line_no``).

    ``kind`` says what was found where the hunk header points: a differing line, the end of
    the file, a line an earlier hunk produced, more lines after a hunk that must end the file,
    or a hunk that must start the file but is placed lower.
    """

    hunk: ParsedHunk
    kind: FailureKind
    line_no: int | None = None
    expected: bytes | None = None
    actual: bytes | None = None


class HunkFailed(Exception):
    """Raised by :func:`apply_hunks`; carries the :class:`HunkFailure`."""

    def __init__(self, failure: HunkFailure) -> None:
        super().__init__(failure.kind)
        self.failure = failure


def apply_hunks(data: bytes, hunks: Sequence[ParsedHunk]) -> bytes:
    """The content after applying ``hunks`` in order to ``data``; raises :class:`HunkFailed`.

    The usual patch (every hunk found where its header says, in file order) is applied on the
    file as one byte string (:func:`apply_in_place`); anything else is re-applied from the
    start line by line (:class:`_Image`), which also words the failure.
    """
    fast = apply_in_place(data, hunks)
    if fast is not None:
        return fast
    return apply_by_lines(data, hunks)


def apply_by_lines(data: bytes, hunks: Sequence[ParsedHunk]) -> bytes:
    """:func:`apply_hunks` on a list of lines, with git's whole search and failure rules."""
    image = _Image(split_lines(data))
    for hunk in hunks:
        image.apply(hunk)
    return b"".join(image.lines)


#: how many earlier occurrences of a preimage the in-place path steps over before giving up
_MAX_SKIPS = 8


def apply_in_place(data: bytes, hunks: Sequence[ParsedHunk]) -> bytes | None:
    """``hunks`` applied without splitting ``data`` into lines, or ``None`` to go line by line.

    A hunk is accepted only where git would accept it first: at its stated line (or at the
    anchor a hunk without leading/trailing context must use), after the previous hunk. The
    preimage is found with ``bytes.find`` from the end of the previous hunk and its line number
    counted with ``bytes.count``, both in C; a hit on an earlier line that merely repeats the
    preimage is stepped over. Anything git would resolve by searching outwards, an overlap, a
    ``\\ No newline`` marker or an empty preimage in a non-empty file returns ``None``, and the
    line-by-line path decides (with git's full rules) from scratch. The result is joined from
    slices of ``data`` and the postimages; no line object is made.
    """
    view = memoryview(data)
    pieces: list[bytes | bytearray | memoryview] = []
    cursor = 0  # bytes of data consumed: everything before is in pieces
    line = 0  # line number (0-based) of data[cursor]
    shift = 0  # lines the hunks so far added (negative: removed)
    pre: Image = b""
    post: Image = b""
    for hunk in hunks:
        sides = hunk.sides()
        if sides is None:
            return None
        pre, post = sides
        del sides
        beginning = hunk.old_start <= 1
        end = hunk.origins[-1] in b"+-"  # no trailing context (and no marker: sides says so)
        if not pre:
            if data or pieces or not beginning:
                return None
            at, found_line = 0, 0  # a new file, or a hunk filling an empty one
        elif pre[-1] != 10:
            return None
        elif beginning:
            if pieces or not data.startswith(pre) or (end and len(data) != len(pre)):
                return None
            at, found_line = 0, 0
        elif end:
            at = len(data) - len(pre)
            if at < cursor or not data.endswith(pre) or (at and data[at - 1] != 10):
                return None
            found_line = line + data.count(b"\n", cursor, at)
        else:
            want = (hunk.new_start - 1 if hunk.new_start else 0) - shift
            at = find_image(data, pre, cursor)
            found_line = line + data.count(b"\n", cursor, at)
            if at < 0 or found_line != want or (at and data[at - 1] != 10):  # not the first hit
                found = _find_at_line(data, pre, cursor, line, want)
                if found is None:
                    return None
                at, found_line = found
        # Without markers every body line ends with a newline: the header counts are exact.
        pre_lines, post_lines = hunk.old_lines, hunk.new_lines
        pieces.append(view[cursor:at])
        pieces.append(post)
        cursor = at + len(pre)
        line = found_line + pre_lines
        shift += post_lines - pre_lines
    pieces.append(view[cursor:])
    pre = post = b""  # the last hunk's images need not outlive the join
    return b"".join(pieces)


#: a preimage this long is looked for by its first _PROBE bytes, then compared whole
_LONG_IMAGE = 1 << 16
_PROBE = 4096
#: probe hits compared whole before handing the search to ``bytes.find`` itself
_MAX_PROBES = 8


def find_image(data: bytes, pre: Image, start: int) -> int:
    """``data.find(pre, start)``, without preparing a search for a preimage of megabytes.

    ``bytes.find`` prepares its search from the whole needle (about 2 ns a byte: most of a
    millisecond for the one hunk of a regenerated file), while the hunk is almost always found
    at the first place its beginning occurs. So a long preimage is looked for by its first
    ``_PROBE`` bytes and compared whole where they occur; every occurrence of ``pre`` is an
    occurrence of its probe, so the first probe hit that compares equal is the first
    occurrence. After ``_MAX_PROBES`` misses (repetitive content) ``bytes.find`` decides.
    """
    if len(pre) < _LONG_IMAGE:
        return data.find(pre, start)
    probe = pre[:_PROBE]
    at = data.find(probe, start)
    for _ in range(_MAX_PROBES):
        if at < 0 or data.startswith(pre, at):
            return at
        at = data.find(probe, at + 1)
    return at if at < 0 else data.find(pre, at)


def _find_at_line(
    data: bytes, pre: bytes | bytearray, pos: int, line: int, want: int
) -> tuple[int, int] | None:
    """Offset and line of ``pre`` starting exactly at line ``want`` (``pos`` is at ``line``)."""
    for _ in range(_MAX_SKIPS):
        at = find_image(data, pre, pos)
        if at < 0:
            return None
        line += data.count(b"\n", pos, at)
        if at == 0 or data[at - 1] == 10:  # a line start
            if line == want:
                return at, line
            if line > want:
                return None
        line += data[at] == 10
        pos = at + 1
    return None


class _Image:
    """The file being patched: its lines, which lines hunks produced, and the shifts so far."""

    def __init__(self, lines: list[bytes]) -> None:
        self.lines = lines
        self.patched = [False] * len(lines)
        self.shifts: list[tuple[int, int, int]] = []  # (position, new length, line delta)

    def apply(self, hunk: ParsedHunk) -> None:
        pre, post = hunk.images()
        match_beginning = hunk.old_start <= 1
        match_end = hunk.trailing == 0
        start = hunk.new_start - 1 if hunk.new_start else 0
        pos = self._find(pre, start, match_beginning, match_end)
        if pos < 0:
            raise HunkFailed(self._diagnose(hunk, pre, start, match_end))
        self.lines[pos : pos + len(pre)] = post
        self.patched[pos : pos + len(pre)] = [True] * len(post)
        self.shifts.append((pos, len(post), len(post) - len(pre)))

    def _find(self, pre: list[bytes], start: int, beginning: bool, end: bool) -> int:
        """git's ``find_pos``: nearest match to ``start``, forwards first on a tie."""
        count = len(self.lines)
        if beginning or end:
            # Only one position can satisfy an anchor, so git's walk reduces to one test.
            at = 0 if beginning else count - len(pre)
            return at if at >= 0 and self._matches(pre, at, beginning, end) else -1
        start = min(start, count)
        if self._matches(pre, start, False, False):
            return start  # where the header says: git's first candidate, and the usual case
        for at in self._candidates(pre, start):
            if self._matches(pre, at, False, False):
                return at
        return -1

    def _candidates(self, pre: list[bytes], start: int) -> Iterator[int]:
        """Positions other than ``start`` worth testing, in git's order.

        git walks outwards one line at a time: start+1, start-1, start+2, start-2, ... Every
        match begins with the preimage's first line when that line ends with a newline (see
        :meth:`_matches`), so only the positions holding it are produced, found with
        ``list.index`` (a C loop) instead of a Python pass over the file.
        """
        last = len(self.lines) - len(pre)
        if not pre or last < 0:
            return iter(())
        if pre[0].endswith(b"\n"):
            forwards = _positions(self.lines, pre[0], start + 1, last + 1)
            backwards = _positions(self.lines, pre[0], 0, min(start, last + 1))[::-1]
        else:
            forwards = list(range(start + 1, last + 1))
            backwards = list(range(min(start, last + 1) - 1, -1, -1))
        return _outwards(start, forwards, backwards)

    def _matches(self, pre: list[bytes], at: int, beginning: bool, end: bool) -> bool:
        """git's ``match_fragment`` without the whitespace-fixing modes."""
        count = len(pre)
        if at + count > len(self.lines) or (end and at + count != len(self.lines)):
            return False
        if beginning and at != 0:
            return False
        if any(self.patched[at : at + count]):
            return False
        window = self.lines[at : at + count]
        if not pre or pre[-1].endswith(b"\n"):  # only a side's last line can lack a newline
            return window == pre
        # The preimage ends without a newline: git compares its line hashes (blind to
        # whitespace) and then memcmp over the preimage bytes only, so a prefix can match.
        if any(_squeeze(a) != _squeeze(b) for a, b in zip(pre, window, strict=True)):
            return False
        wanted, found = b"".join(pre), b"".join(window)
        return found == wanted if end else found.startswith(wanted)

    def _diagnose(
        self, hunk: ParsedHunk, pre: list[bytes], start: int, match_end: bool
    ) -> HunkFailure:
        """Compare the hunk with the file where its header puts it, to say what differs."""
        pos = min(max(start, 0), len(self.lines))
        for i, wanted in enumerate(pre):
            at = pos + i
            if at >= len(self.lines):
                return HunkFailure(hunk, "file-ends", self._baseline_line(at), wanted, None)
            if self.patched[at]:
                return HunkFailure(hunk, "overlap", self._baseline_line(at), wanted, None)
            if self.lines[at] != wanted:
                return HunkFailure(
                    hunk, "mismatch", self._baseline_line(at), wanted, self.lines[at]
                )
        after = pos + len(pre)
        if match_end and after < len(self.lines):
            return HunkFailure(
                hunk,
                "not-at-end",
                self._baseline_line(after),
                None,
                self.lines[after],
            )
        return HunkFailure(hunk, "not-at-start", 1, None, None)

    def _baseline_line(self, at: int) -> int:
        """1-based baseline line number of image line ``at`` (undoing earlier hunks)."""
        shift = sum(delta for pos, length, delta in self.shifts if pos + length <= at)
        return at - shift + 1


def _positions(lines: list[bytes], line: bytes, lo: int, hi: int) -> list[int]:
    """Ascending indexes in ``lines[lo:hi]`` equal to ``line``."""
    found: list[int] = []
    while lo < hi:
        try:
            lo = lines.index(line, lo, hi)
        except ValueError:
            break
        found.append(lo)
        lo += 1
    return found


def _outwards(start: int, forwards: list[int], backwards: list[int]) -> Iterator[int]:
    """Merge positions after and before ``start`` by distance, the later one first on a tie."""
    f = b = 0
    while f < len(forwards) or b < len(backwards):
        ahead = forwards[f] - start if f < len(forwards) else None
        behind = start - backwards[b] if b < len(backwards) else None
        if behind is None or (ahead is not None and ahead <= behind):
            yield forwards[f]
            f += 1
        else:
            yield backwards[b]
            b += 1


def _squeeze(line: bytes) -> bytes:
    return line.translate(None, _WHITESPACE)
