"""Git's binary patch encoding: base85 lines, zlib, and the copy/insert delta format.

``git diff --binary`` writes a changed binary file as ``GIT binary patch`` followed by a forward
and a reverse hunk, each ``literal N`` (the whole new content) or ``delta N`` (copy/insert
instructions against the old content), deflated and then base85-encoded in lines whose first
character gives the decoded length. libgit2 parses these but pygit2 does not expose the decoded
data, so this module decodes them; it mirrors ``apply.c`` and ``patch-delta.c`` in git.
"""

from __future__ import annotations

import base64
import re
import zlib
from collections.abc import Sequence


class BinaryPatchError(ValueError):
    """Binary hunk data is corrupt or does not fit the file it is applied to."""


def decode_base85_line(line: bytes) -> bytes:
    """Decode one data line of a binary hunk (without its newline).

    The first character says how many bytes the line carries ('A'..'Z' = 1..26, 'a'..'z' =
    27..52); the rest is base85 in groups of five characters, so the padding of the last group
    has to be cut off by that length.
    """
    if len(line) < 6 or (len(line) - 1) % 5:
        raise BinaryPatchError("data line length is not 1 + a multiple of 5")
    marker = line[0]
    if ord("A") <= marker <= ord("Z"):
        length = marker - ord("A") + 1
    elif ord("a") <= marker <= ord("z"):
        length = marker - ord("a") + 27
    else:
        raise BinaryPatchError(f"bad length character {chr(marker)!r}")
    capacity = (len(line) - 1) // 5 * 4
    if not capacity - 4 < length <= capacity:
        raise BinaryPatchError("length character does not match the data on the line")
    try:
        decoded = base64.b85decode(line[1:])
    except ValueError as exc:
        raise BinaryPatchError(f"bad base85 data: {exc}") from None
    return decoded[:length]


_B85_ALPHABET = (
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"
)
#: byte -> its base85 digit, 255 for a byte outside the alphabet
_B85_DIGITS = bytes(_B85_ALPHABET.find(bytes([byte])) % 256 for byte in range(256))
#: a data line: its length character, whole groups of five, a newline
_DATA_LINE = re.compile(rb"[A-Za-z](?:[0-9A-Za-z!#$%&()*+;<=>?@^_`{|}~-]{5})+\n")


def decode_base85_lines(lines: Sequence[bytes]) -> bytes | None:
    """All data lines of a binary hunk (with their newlines) decoded at once, or ``None``.

    The same result as :func:`decode_base85_line` on each line, but the base85 arithmetic is
    done on the whole hunk with big-integer operations (in C) instead of a Python loop per
    five characters: each group gets a 5-byte field of one big integer per digit position,
    Horner's rule combines them (a group's value, under 85**5 < 2**40, never carries into the
    next field), and the 4 low bytes of every field are the decoded bytes. ``None`` for any
    line that is not well formed, so the caller can name the line with the per-line decoder.
    """
    sizes = []
    for line in lines:
        if _DATA_LINE.fullmatch(line) is None:
            return None
        marker = line[0]
        length = marker - 64 if marker <= 90 else marker - 70  # 'A' -> 1, 'a' -> 27
        capacity = (len(line) - 2) // 5 * 4
        if not capacity - 4 < length <= capacity:
            return None
        sizes.append((length, capacity))
    digits = b"".join(line[1:-1] for line in lines).translate(_B85_DIGITS)
    groups = len(digits) // 5
    total = 0
    field = bytearray(5 * groups)
    for position in range(5):
        field[4::5] = digits[position::5]
        total = total * 85 + int.from_bytes(field, "big")
    fields = total.to_bytes(5 * groups, "big")
    if fields[0::5].count(0) != groups:
        return None  # a group over 2**32
    decoded = bytearray(4 * groups)
    for position in range(4):
        decoded[position::4] = fields[position + 1 :: 5]
    if all(length == capacity for length, capacity in sizes[:-1]):
        return bytes(decoded[: len(decoded) - sizes[-1][1] + sizes[-1][0]]) if sizes else b""
    out = bytearray()
    at = 0
    for length, capacity in sizes:
        out += decoded[at : at + length]
        at += capacity
    return bytes(out)


#: the largest binary file (decoded hunk or delta result) a datum patch may carry; git has no
#: cap of its own but never inflates past the declared size, which an attacker also chooses
MAX_BINARY_BYTES = 64 * 1024 * 1024


def check_declared_size(size: int) -> None:
    """Refuse a ``literal N``/``delta N`` (or delta target) size over MAX_BINARY_BYTES."""
    if size > MAX_BINARY_BYTES:
        raise BinaryPatchError(
            f"declares {size} bytes, over the {MAX_BINARY_BYTES}-byte cap for binary files"
        )


def inflate(data: bytes, expected_size: int) -> bytes:
    """Inflate a hunk and check it has the size its ``literal N``/``delta N`` line promised.

    Like git's ``inflate_it``, inflation stops at the declared size (plus one byte, to notice
    more): a zlib bomb of a few MB costs at most the declared, capped size, never gigabytes.
    """
    check_declared_size(expected_size)
    inflater = zlib.decompressobj()
    try:
        result = inflater.decompress(data, expected_size + 1)
    except zlib.error as exc:
        raise BinaryPatchError(f"cannot inflate data: {exc}") from None
    if len(result) > expected_size:
        raise BinaryPatchError(f"inflates to more than the {expected_size} bytes the header says")
    if not inflater.eof:
        raise BinaryPatchError("cannot inflate data: incomplete or truncated stream")
    if len(result) != expected_size:
        raise BinaryPatchError(f"inflated to {len(result)} bytes, header says {expected_size}")
    return result


def _varint(delta: bytes, pos: int) -> tuple[int, int]:
    """Read a delta header size: little-endian groups of 7 bits, high bit means 'more'."""
    value = shift = 0
    while True:
        if pos >= len(delta):
            raise BinaryPatchError("delta header is truncated")
        byte = delta[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _copy_op(delta: bytes, pos: int, cmd: int) -> tuple[int, int, int]:
    """Decode a copy instruction: which offset/size bytes follow is given by the bits of cmd."""
    offset = size = 0
    for bit, shift in ((0x01, 0), (0x02, 8), (0x04, 16), (0x08, 24)):
        if cmd & bit:
            offset |= delta[pos] << shift
            pos += 1
    for bit, shift in ((0x10, 0), (0x20, 8), (0x40, 16)):
        if cmd & bit:
            size |= delta[pos] << shift
            pos += 1
    return offset, size or 0x10000, pos


def apply_delta(base: bytes, delta: bytes) -> bytes:
    """Apply a git delta (as in pack files and ``delta N`` hunks) to ``base``."""
    source_size, pos = _varint(delta, 0)
    target_size, pos = _varint(delta, pos)
    if source_size != len(base):
        raise BinaryPatchError(f"delta expects a {source_size}-byte base, file has {len(base)}")
    check_declared_size(target_size)
    out = bytearray()
    try:
        while pos < len(delta):
            if len(out) > target_size:  # copies of 64 KiB from 5 bytes each: stop early
                break
            cmd = delta[pos]
            pos += 1
            if cmd & 0x80:
                offset, size, pos = _copy_op(delta, pos, cmd)
                if offset + size > len(base):
                    raise BinaryPatchError("delta copies beyond the end of the base")
                out += base[offset : offset + size]
            elif cmd:
                if pos + cmd > len(delta):
                    raise BinaryPatchError("delta insert runs past the end of the delta")
                out += delta[pos : pos + cmd]
                pos += cmd
            else:
                raise BinaryPatchError("delta contains the reserved opcode 0")
    except IndexError:
        raise BinaryPatchError("delta instruction is truncated") from None
    if len(out) != target_size:
        raise BinaryPatchError(f"delta produced {len(out)} bytes, header says {target_size}")
    return bytes(out)
