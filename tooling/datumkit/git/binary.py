"""Git's binary patch encoding: base85 lines, zlib, and the copy/insert delta format.

``git diff --binary`` writes a changed binary file as ``GIT binary patch`` followed by a forward
and a reverse hunk, each ``literal N`` (the whole new content) or ``delta N`` (copy/insert
instructions against the old content), deflated and then base85-encoded in lines whose first
character gives the decoded length. libgit2 parses these but pygit2 does not expose the decoded
data, so this module decodes them; it mirrors ``apply.c`` and ``patch-delta.c`` in git.
"""

from __future__ import annotations

import base64
import zlib


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


def inflate(data: bytes, expected_size: int) -> bytes:
    """Inflate a hunk and check it has the size its ``literal N``/``delta N`` line promised.

    Inflation stops one byte past the promised size, as git's does: a small hunk that would
    inflate to gigabytes (a "zlib bomb") costs no more memory than its header admits to.
    """
    inflater = zlib.decompressobj()
    try:
        result = inflater.decompress(data, expected_size + 1)
    except zlib.error as exc:
        raise BinaryPatchError(f"cannot inflate data: {exc}") from None
    if len(result) > expected_size:
        raise BinaryPatchError(f"inflates to more than the {expected_size} bytes its header says")
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
    out = bytearray()
    try:
        while pos < len(delta):
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
