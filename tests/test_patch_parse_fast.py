"""The parser's fast reads give exactly what its line-by-line reads give.

A section with git's usual header is read by one regex (``_Parser._plain_header``); every
other section, and every section when ``fast=False``, goes through the line handlers that
follow git's ``apply.c``. Both must produce the same :class:`ParsedPatch`, or the same error
(type, message, line, path). Hypothesis builds sections that are nearly the usual shape:
hostile names (``..``, ``.git``, spaces, quotes, tabs, NUL, a leading slash), every kind line,
index lines with and without a mode or in upper case, ``/dev/null`` on the wrong side, hunks
that do not fit their header, and garbage between sections. Bounded and derandomized like
tests/test_fuzz.py.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from datumkit.git.errors import MalformedPatch, UnsafePath
from datumkit.git.patchparse import ParsedPatch, _Parser, _unsafe_reason, unsafe_reason
from helpers.properties import ci_settings

CI = ci_settings(400)

_NAMES = st.sampled_from(
    [
        b"a.py",
        b"src/pkg/mod.py",
        b"../escape",
        b"src/../x",
        b".git/config",
        b"sub/.GIT/hooks",
        b"git~1/x",
        b"with space.py",
        b'quo"te',
        b"tab\tname",
        b"nul\x00name",
        b"/abs/path",
        b"a//b",
        b"./x",
        b"caf\xc3\xa9.txt",
        b"back\\slash",
    ]
)
_KIND = st.sampled_from([None, b"new file", b"deleted file"])
_MODE = st.sampled_from([b"100644", b"100755", b"120000", b"160000", b"644", b"100644x"])
_IDS = st.sampled_from(
    [
        (b"1234567", b"89abcde"),
        (b"0000000", b"e69de29"),
        (b"ABCDEF0", b"1234567"),
        (b"e69de29", b"0000000"),
        (b"1" * 40, b"2" * 40),
    ]
)
_HUNK = st.sampled_from(
    [
        b"@@ -1 +1 @@\n-a\n+b\n",
        b"@@ -0,0 +1,2 @@\n+x\n+y\n",
        b"@@ -1,2 +0,0 @@\n-x\n-y\n",
        b"@@ -3,3 +3,4 @@ def f():\n a\n-b\n+c\n+d\n e\n",
        b"@@ -1,2 +1,2 @@\n a\n-b\n+c\n",
        b"@@ -1 +1 @@\n-a\n+b\n\\ No newline at end of file\n",
        b"@@ -1 +1 @@\n a\n",
        b"@@ -1,1 +1,1 @@\n-a\n",
        b"@@ -x +1 @@\n-a\n+b\n",
        b"@@ -1 +1 @@\n-a\n+b",
    ]
)
_TRAILER = st.sampled_from(
    [b"", b"", b"garbage line\n", b"-- \n2.39.5\n", b"@@ -1 +1 @@\n", b"similarity index 90%\n"]
)


@st.composite
def _section(draw: st.DrawFn) -> bytes:
    usual = draw(st.integers(0, 3)) > 0  # mostly the usual shape, so the fast read is taken
    name = draw(st.sampled_from([b"a.py", b"src/pkg/mod.py"]) if usual else _NAMES)
    other = name if usual else draw(st.sampled_from([name, name, b"other.py"]))
    kind = draw(_KIND)
    old_id, new_id = draw(_IDS)
    lines = [b"diff --git a/%s b/%s\n" % (name, other)]
    if kind is not None:
        lines.append(b"%s mode %s\n" % (kind, draw(_MODE)))
    index_mode = draw(st.sampled_from([b"", b" 100644", b" 100755", b" 10x"]))
    if usual or kind is None or draw(st.booleans()):
        lines.append(b"index %s..%s%s\n" % (old_id, new_id, index_mode))
    old_null = kind == b"new file" if usual else draw(st.booleans())
    new_null = kind == b"deleted file" if usual else draw(st.booleans())
    if not usual and draw(st.booleans()):
        old_null, new_null = new_null, old_null
    lines.append(b"--- /dev/null\n" if old_null else b"--- a/%s\n" % name)
    lines.append(b"+++ /dev/null\n" if new_null else b"+++ b/%s\n" % other)
    lines.extend(draw(st.lists(_HUNK, min_size=0, max_size=3)))
    lines.append(draw(_TRAILER))
    return b"".join(lines)


def _outcome(patch: bytes, *, fast: bool) -> ParsedPatch | tuple[object, ...]:
    try:
        return _Parser(patch, fast=fast).run()
    except (MalformedPatch, UnsafePath) as error:
        return (type(error), str(error), vars(error))


@CI
@given(st.lists(_section(), min_size=1, max_size=4))
def test_the_fast_header_read_agrees_with_the_line_handlers(sections: list[bytes]) -> None:
    patch = b"".join(sections)
    assert _outcome(patch, fast=True) == _outcome(patch, fast=False)


def test_the_usual_sections_take_the_fast_read() -> None:
    """Otherwise the agreement above would prove nothing about the fast read."""
    patch = (
        b"diff --git a/src/a.py b/src/a.py\nindex 1234567..89abcde 100644\n"
        b"--- a/src/a.py\n+++ b/src/a.py\n@@ -1 +1 @@\n-a\n+b\n"
        b"diff --git a/new.py b/new.py\nnew file mode 100755\nindex 0000000..89abcde\n"
        b"--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+x\n"
        b"diff --git a/old.py b/old.py\ndeleted file mode 100644\nindex 89abcde..0000000\n"
        b"--- a/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
    )
    parser = _Parser(patch)
    assert [parser._plain_header(i) is not None for i in (0, 7, 14)] == [True, True, True]
    files = parser.run().files
    assert [(f.status, f.path, f.old_mode, f.new_mode) for f in files] == [
        ("modified", "src/a.py", 0o100644, None),
        ("added", "new.py", None, 0o100755),
        ("deleted", "old.py", 0o100644, None),
    ]
    assert files == _Parser(patch, fast=False).run().files


def test_an_unsafe_name_in_a_usual_header_is_still_refused() -> None:
    patch = (
        b"diff --git a/../x b/../x\nindex 1234567..89abcde 100644\n"
        b"--- a/../x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n"
    )
    outcome = _outcome(patch, fast=True)
    assert isinstance(outcome, tuple) and outcome[0] is UnsafePath
    assert outcome == _outcome(patch, fast=False)


_PIECES = st.sampled_from(
    [
        b"a",
        b"Z9",
        b"_x",
        b"-",
        b"+",
        b"~1",
        b".",
        b"..",
        b"/",
        b"//",
        b"git",
        b"GiT",
        b".git",
        b"\\",
        b":",
        b" ",
        b"\t",
        b"\x00",
        b"\xe2\x80\x8c",
        b"\xc3\xa9",
        b"%",
        b"=",
        b",",
        b"@",
    ]
)


@CI
@given(st.lists(_PIECES, max_size=8))
@example([b"git", b"~1"])
@example([b"a", b"/", b"GiT", b"~1"])
@example([b"a", b"/", b".git"])
@example([b"a", b"//", b"b"])
@example([b"\xe2\x80\x8c", b".git"])
def test_the_fast_path_accept_agrees_with_every_path_rule(pieces: list[bytes]) -> None:
    path = b"".join(pieces)
    assert unsafe_reason(path) == _unsafe_reason(path)


@pytest.mark.parametrize(
    ("header", "numbers"),
    [
        (b"@@ -3,2 +3,2 @@", (3, 2, 3, 2)),
        (b"@@ -03,002 +3,2 @@ def f():", (3, 2, 3, 2)),  # leading zeros
        (b"@@ -3 +3 @@", (3, 1, 3, 1)),  # counts of 1 left out
        (b"@@ -3,2 +3 @@", (3, 2, 3, 1)),
        # 18 digits convert as they are; 19 saturate at 10**18 (no 5,000-digit conversion)
        (b"@@ -" + b"9" * 18 + b",2 +3,2 @@", (10**18 - 1, 2, 3, 2)),
        (b"@@ -" + b"9" * 19 + b",2 +3,2 @@", (10**18, 2, 3, 2)),
    ],
)
def test_hunk_header_numbers_follow_gits_rules(
    header: bytes, numbers: tuple[int, int, int, int]
) -> None:
    """Counts of 1 may be left out, leading zeros are read, 19 digits and more saturate."""
    old_lines, new_lines = numbers[1], numbers[3]
    body = b"-a\n" * old_lines + b"+b\n" * new_lines
    (parsed,) = _Parser(b"--- a/f\n+++ b/f\n" + header + b"\n" + body).run().files
    (hunk,) = parsed.hunks
    assert (hunk.old_start, hunk.old_lines, hunk.new_start, hunk.new_lines) == numbers
    assert hunk.header == header.split(b" @@")[0].decode() + " @@"
