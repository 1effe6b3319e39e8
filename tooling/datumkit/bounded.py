"""Reading untrusted input within bounds: sizes checked before reading, nesting depth capped.

Every datum arrives from someone we may not know (ARCHITECTURE.md invariant 6), so nothing is
read whole before its size is known and nothing recursive parses an unbounded document: a 200 MB
tb_meta.json is refused by its size in microseconds, and JSON nested 100,000 levels deep is an
error naming the file, never a ``RecursionError`` (or, in C parsers, a crashed process).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from datumkit.errors import DatumError

#: any single file of a datum (diff.patch, notes.md, overlay extras) or imported file
MAX_FILE_BYTES = 64 * 1024 * 1024
#: JSON documents datumkit parses as metadata (tb_meta.json, repo_info.json, state files)
MAX_JSON_BYTES = 16 * 1024 * 1024
#: nesting levels of a JSON or YAML document: the seed's formats need fewer than ten
MAX_DEPTH = 64


class TooLarge(DatumError):
    """A file is larger than the cap for its kind; refused before it is read."""


class TooDeep(DatumError):
    """A JSON or YAML document nests deeper than :data:`MAX_DEPTH` levels."""


def too_large(display: str, size: int, cap: int, what: str = "files") -> TooLarge:
    return TooLarge(
        f"is {size} bytes, over the {cap}-byte cap for {what}",
        file=display,
        hint="shrink the file; datumkit reads nothing larger",
    )


def read_capped(
    path: Path | str, cap: int, *, display: str | None = None, what: str = "files"
) -> bytes:
    """The bytes of `path`, refusing (before reading) a file over `cap` bytes or not regular.

    The size is taken from the open descriptor and the read stops at cap + 1 bytes, so a file
    that grows between the check and the read cannot slip past the cap either.
    """
    shown = display or str(path)
    # a descriptor, not a file object: `check --all` reads ~10 files of each of 2,000 datums,
    # and building an io.FileIO for each cost as much as the system calls
    descriptor = os.open(path, os.O_RDONLY)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise DatumError("is not a regular file", file=shown, hint="give a regular file")
        if info.st_size > cap:
            raise too_large(shown, info.st_size, cap, what)
        content = _read_up_to(descriptor, cap + 1, info.st_size + 1)
    finally:
        os.close(descriptor)
    if len(content) > cap:
        raise too_large(shown, len(content), cap, what)
    return content


def _read_up_to(descriptor: int, limit: int, expected: int) -> bytes:
    """Read to the end of the file or `limit` bytes, whichever comes first.

    Asking for `limit` at once (``read(cap + 1)``) makes Python allocate a buffer of the cap,
    64 MiB, for every file read: ~35 us per small file, a tenth of reading a datum. The first
    read asks for what fstat said plus one byte; a file that grew, or a short read, goes on in
    chunks until the end or the limit."""
    chunks: list[bytes] = []
    total = 0
    want = min(expected, limit)
    while total < limit:
        asked = min(want, limit - total)
        chunk = os.read(descriptor, asked)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if len(chunk) < asked and total == expected - 1:
            break  # what fstat said, and a short read: the end (no second read to learn it)
        want = max(want, 1 << 16)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def too_deep(display: str, location: str | None = None) -> TooDeep:
    return TooDeep(
        f"nests deeper than {MAX_DEPTH} levels",
        file=display,
        location=location,
        hint="flatten the document; no datum file needs that depth",
    )


def check_depth(value: Any, display: str, *, limit: int = MAX_DEPTH) -> None:
    """Raise TooDeep when parsed data nests more than `limit` lists/mappings (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                raise too_deep(display)
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def loads_json(content: bytes | str, display: str, *, limit: int = MAX_DEPTH) -> Any:
    """json.loads that reports deep nesting as TooDeep; JSON errors propagate as usual.

    CPython's decoder raises RecursionError near a thousand levels; deeper than `limit` but
    shallower than that is caught by a walk over the parsed value.
    """
    try:
        value = json.loads(content)
    except RecursionError:
        raise too_deep(display) from None
    check_depth(value, display, limit=limit)
    return value
