"""A patch cut into its file sections, byte for byte, to join SWE-bench's two patches and part them.

SWE-bench keeps the fix (`patch`) and the tests that grade it (`test_patch`) apart; a datum keeps
one diff.patch. Importing joins them; exporting cuts diff.patch back along the same file
boundaries. Sections are cut from the patch's own bytes at the lines where git's parser starts a
file, so each half reads exactly as it did in the whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from datumkit.git.patchparse import ParsedFile, parse_patch, split_lines


@dataclass(frozen=True)
class Section:
    """One file of a patch: the path it writes (or removes) and its exact bytes."""

    path: str
    old_path: str | None
    content: bytes


def sections(patch: bytes) -> tuple[bytes, list[Section]]:
    """(preamble before the first file, the file sections in order); raises MalformedPatch."""
    parsed = parse_patch(patch)
    lines = split_lines(patch)
    starts = [f.patch_line - 1 for f in parsed.files] + [len(lines)]
    preamble = b"".join(lines[: starts[0]]) if parsed.files else patch
    found = [
        Section(_path(f), f.old_path, b"".join(lines[starts[i] : starts[i + 1]]))
        for i, f in enumerate(parsed.files)
    ]
    return preamble, found


def _path(parsed: ParsedFile) -> str:
    return parsed.new_path if parsed.new_path is not None else (parsed.old_path or "")


def paths_of(patch: bytes) -> list[str]:
    """The paths a patch writes or removes, in patch order."""
    return [section.path for section in sections(patch)[1]]


def split(patch: bytes, is_test: Callable[[str], bool]) -> tuple[bytes, bytes]:
    """(non-test sections, test sections) of `patch`, each in patch order; preamble dropped."""
    rest: list[bytes] = []
    tests: list[bytes] = []
    for section in sections(patch)[1]:
        paths = [section.path] + ([section.old_path] if section.old_path else [])
        (tests if any(is_test(p) for p in paths) else rest).append(section.content)
    return b"".join(rest), b"".join(tests)
