"""Split diff.patch into its test files and the rest, as SWE-bench splits `test_patch` from `patch`.

`datum test` applies only the test files to the baseline (so a new test exists on both sides and
fails where the fix is missing), and exports to SWE-bench need the two halves as separate patches.
Which files are tests is decided by `evaluation.tests.test_paths` (gitignore syntax, matched
against repository paths; `DEFAULT_TEST_PATHS` when the datum declares no tests section).

The halves are cut from the patch's own bytes, one file section at a time, so each half is a
valid patch that `git apply` reads exactly as it read that section in the whole patch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import pathspec

from datumkit.git.patchparse import ParsedFile, parse_patch, split_lines
from datumkit.model.datum import DEFAULT_TEST_PATHS, Datum


@dataclass(frozen=True)
class PatchSplit:
    """The two halves of a patch; `test_files`/`other_files` name the paths, in patch order."""

    tests: bytes
    rest: bytes
    test_files: tuple[str, ...]
    other_files: tuple[str, ...]


@lru_cache(maxsize=64)
def _spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def is_test_path(path: str, test_paths: Sequence[str] = DEFAULT_TEST_PATHS) -> bool:
    """Whether the repository path `path` is a test file under the gitignore-style `test_paths`."""
    return bool(_spec(tuple(test_paths)).match_file(path))


def _is_test(parsed: ParsedFile, test_paths: Sequence[str]) -> bool:
    """A section is a test when the file it writes (or removes, or renames from) is one."""
    paths = [p for p in (parsed.new_path, parsed.old_path) if p is not None]
    return any(is_test_path(p, test_paths) for p in paths)


def _path_of(parsed: ParsedFile) -> str:
    return parsed.new_path if parsed.new_path is not None else (parsed.old_path or "")


def split_patch(patch: bytes, test_paths: Sequence[str] = DEFAULT_TEST_PATHS) -> PatchSplit:
    """Cut `patch` into its test-file sections and the others; anything before the first file
    section (a commit message, a diffstat) is dropped. Raises the parser's MalformedPatch or
    UnsafePath for a patch `git apply` would refuse."""
    parsed = parse_patch(patch)
    lines = split_lines(patch)
    starts = [f.patch_line - 1 for f in parsed.files] + [len(lines)]
    tests: list[bytes] = []
    rest: list[bytes] = []
    test_files: list[str] = []
    other_files: list[str] = []
    for index, section in enumerate(parsed.files):
        chunk = b"".join(lines[starts[index] : starts[index + 1]])
        if _is_test(section, test_paths):
            tests.append(chunk)
            test_files.append(_path_of(section))
        else:
            rest.append(chunk)
            other_files.append(_path_of(section))
    return PatchSplit(b"".join(tests), b"".join(rest), tuple(test_files), tuple(other_files))


def datum_test_paths(datum: Datum) -> tuple[str, ...]:
    """The datum's declared test_paths, or the defaults when it declares no tests."""
    tests = datum.evaluation.tests
    return tuple(tests.test_paths) if tests is not None else DEFAULT_TEST_PATHS
