"""Recognise patches made with options that ``git apply`` cannot use, to name the real cause.

A patch written by ``git diff -U0`` (no context lines) or ``git diff --no-prefix`` (paths without
``a/`` and ``b/``) fails to apply for a reason that has nothing to do with the baseline: "rebase
the patch onto the baseline" would send the author the wrong way. :func:`style_problem` looks at
the patch text only, and is consulted only once applying has already failed.
"""

from __future__ import annotations

import re

#: what to run instead: the one command that writes a patch datumkit (and git apply) accepts
REGENERATE = "regenerate it with `git diff --binary BASELINE HEAD`, without -U0 or --no-prefix"

_DIFF_GIT = re.compile(rb"^diff --git (\S+) (\S+)$")
_OLD_NEW = re.compile(rb"^(?:---|\+\+\+) (\S+)")
# at most 9 digits: a longer count is no real hunk (and int() of 5,000 digits raises)
_HUNK = re.compile(rb"^@@ -(\d{1,9})(?:,(\d{1,9}))? \+(\d{1,9})(?:,(\d{1,9}))? @@")


def style_problem(patch: bytes) -> str | None:
    """The option the patch was made with that explains a failure, or ``None``."""
    lines = patch.splitlines()
    if _lacks_prefixes(lines):
        return "made with `git diff --no-prefix`: its paths lack the a/ and b/ prefixes"
    if _lacks_context(lines):
        return "made with `git diff -U0`: its hunks have no context lines"
    return None


def _lacks_prefixes(lines: list[bytes]) -> bool:
    """Every file header names its paths without ``a/``/``b/`` (``/dev/null`` aside)."""
    paths: list[bytes] = []
    for line in lines:
        header = _DIFF_GIT.match(line)
        if header:
            paths += [header.group(1), header.group(2)]
            continue
        old_new = _OLD_NEW.match(line)
        if old_new and old_new.group(1) != b"/dev/null":
            paths.append(old_new.group(1))
    return bool(paths) and not any(p.startswith((b"a/", b"b/", b'"a/', b'"b/')) for p in paths)


def _lacks_context(lines: list[bytes]) -> bool:
    """A hunk that edits an existing file (not a creation or deletion) has no context line."""
    index = 0
    while index < len(lines):
        hunk = _HUNK.match(lines[index])
        index += 1
        if hunk is None:
            continue
        old_count = int(hunk.group(2) or b"1")
        new_count = int(hunk.group(4) or b"1")
        body: list[bytes] = []
        while index < len(lines) and lines[index][:1] in (b" ", b"-", b"+", b"\\"):
            if lines[index].startswith((b"--- ", b"+++ ")) and not body:
                break
            body.append(lines[index])
            index += 1
        creates_or_deletes = (hunk.group(1) == b"0" and old_count == 0) or new_count == 0
        if not creates_or_deletes and body and not any(b.startswith(b" ") for b in body):
            return True
    return False
