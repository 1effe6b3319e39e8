"""The fast routes of the patch check give exactly what the careful routes give.

``apply_in_place`` (hunks applied on the file as one byte string) must never disagree with
``apply_by_lines`` (git's full search, line by line, itself checked against ``git apply`` in
test_patching.py); ``sides`` must equal the joined ``images``; a tree edited by splicing its
touched entries must hash like the tree libgit2 writes from an index. Hypothesis, bounded and
derandomized like tests/test_fuzz.py.
"""

from __future__ import annotations

import base64
import contextlib
import difflib
from collections.abc import Iterator

import pygit2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datumkit.git import hunkapply
from datumkit.git import tree as tree_module
from datumkit.git.binary import BinaryPatchError, decode_base85_line, decode_base85_lines
from datumkit.git.hunkapply import (
    HunkFailed,
    apply_by_lines,
    apply_hunks,
    apply_in_place,
    find_image,
)
from datumkit.git.patchparse import parse_patch, split_lines
from datumkit.git.tree import (
    REGULAR_MODE,
    TREE_MODE,
    TreeConflict,
    TreeEditor,
    TreeEntry,
    TreeReader,
    locate_entry,
)
from helpers.properties import ci_settings

CI = ci_settings(300)

#: few distinct lines, so preimages repeat and hunks land at other places than stated; lines
#: that start like patch origins, that end other lines, CRLF and a lone CR inside a line
_LINES = st.sampled_from([b"a\n", b"b\n", b"\n", b"z\n"]) | st.sampled_from(
    [b" \n", b"-x\n", b"+y\n", b" z\n", b"c\r\n", b"d\re\n", b"\\ f\n", b"e\n", b"ba\n"]
)
_FILE = st.lists(_LINES, max_size=40)


def _patch(old: list[bytes], new: list[bytes], context: int, bare_empty: bool) -> bytes:
    """A unified diff of two line lists (difflib), optionally with empty context lines bare."""
    diff = list(
        difflib.unified_diff(
            [x.decode("latin-1") for x in old],
            [x.decode("latin-1") for x in new],
            n=context,
            lineterm="",
        )
    )[2:]  # difflib's ---/+++ lines; its @@ lines come without a newline, body lines keep theirs
    body = b"".join(
        (line + "\n" if line.startswith("@@") else line).encode("latin-1") for line in diff
    )
    if bare_empty:
        body = body.replace(b"\n \n", b"\n\n")
    return b"--- a/f\n+++ b/f\n" + body


_EDITS = st.lists(st.tuples(st.integers(0, 40), st.none() | _LINES), min_size=1, max_size=4)
_DRIFT = st.lists(st.tuples(st.integers(0, 40), st.none() | _LINES), max_size=2)


def _edited(lines: list[bytes], edits: list[tuple[int, bytes | None]]) -> list[bytes]:
    """``lines`` with a line inserted (or, for ``None``, removed) at each position."""
    out = list(lines)
    for at, line in edits:
        at = min(at, len(out))
        if line is not None:
            out.insert(at, line)
        elif at < len(out):
            del out[at]
    return out


@settings(CI, max_examples=1000)
@given(
    _FILE,
    _EDITS,
    st.integers(0, 3),
    st.booleans(),
    _DRIFT,
)
def test_in_place_apply_agrees_with_line_by_line(
    old: list[bytes],
    edits: list[tuple[int, bytes | None]],
    context: int,
    bare_empty: bool,
    drift: list[tuple[int, bytes | None]],
) -> None:
    new = _edited(old, edits)
    if old == new:
        return
    patch = _patch(old, new, context, bare_empty)
    try:
        (parsed,) = parse_patch(patch).files
    except ValueError:  # MalformedPatch: difflib output git would not take either
        return
    hunks = parsed.hunks
    for hunk in hunks:
        # the counts the parser filled in are the origin string's
        assert hunk.lines_added == hunk.origins.count(b"+")
        assert hunk.lines_removed == hunk.origins.count(b"-")
        sides = hunk.sides()
        pre, post = hunk.images()
        if sides is not None:
            assert sides == (b"".join(pre), b"".join(post))
    if context:  # git refuses most zero-context hunks without --unidiff-zero; so do we
        assert apply_hunks(b"".join(old), hunks) == b"".join(new)
    # the same hunks on a baseline that drifted: lines inserted or removed here and there
    base = _edited(old, drift)
    data = b"".join(base)
    fast = apply_in_place(data, hunks)
    try:
        slow: bytes | None = apply_by_lines(data, hunks)
    except HunkFailed:
        slow = None
    if fast is not None:
        assert fast == slow


@pytest.mark.parametrize(
    ("data", "body"),
    [
        # the preimage occurs at the stated line number, but starting inside "ba"
        (b"x\nba\nb\ny\n", b"@@ -2,3 +2,3 @@\n a\n-b\n+B\n y\n"),
        # a hunk that must end the file, whose preimage ends the file inside a line
        (b"x\nba\n", b"@@ -2 +2 @@\n-a\n+A\n"),
        # the preimage repeats above the stated line; git takes the stated one
        (b"a\nb\nc\na\nb\nc\n", b"@@ -4,3 +4,3 @@\n a\n-b\n+B\n c\n"),
        # the stated line moved down by one: git finds it by searching
        (b"z\na\nb\nc\n", b"@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"),
        (b"q\nz\na\nb\nc\n", b"@@ -2,3 +2,3 @@\n a\n-b\n+B\n c\n"),
    ],
)
def test_in_place_apply_on_hand_made_traps(data: bytes, body: bytes) -> None:
    (parsed,) = parse_patch(b"--- a/f\n+++ b/f\n" + body).files
    try:
        slow: bytes | None = apply_by_lines(data, parsed.hunks)
    except HunkFailed:
        slow = None
    fast = apply_in_place(data, parsed.hunks)
    assert fast is None or fast == slow
    with pytest.raises(HunkFailed) if slow is None else _nothing():
        assert apply_hunks(data, parsed.hunks) == slow


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


@contextlib.contextmanager
def _long_images_from(size: int, probe: int) -> Iterator[None]:
    """find_image's thresholds lowered, so that short byte strings take its probe route."""
    saved = hunkapply._LONG_IMAGE, hunkapply._PROBE
    hunkapply._LONG_IMAGE, hunkapply._PROBE = size, probe
    try:
        yield
    finally:
        hunkapply._LONG_IMAGE, hunkapply._PROBE = saved


#: few distinct bytes, so probes hit often without the whole preimage following
_HAYSTACK = st.lists(st.sampled_from([b"a", b"b", b"\n", b"ab\n"]), max_size=60).map(b"".join)


@settings(CI, max_examples=600)
@given(_HAYSTACK, _HAYSTACK, st.integers(0, 70), st.integers(1, 4), st.booleans())
def test_find_image_agrees_with_bytes_find(
    data: bytes, pre: bytes, start: int, probe: int, as_bytearray: bool
) -> None:
    """The probe-then-compare search of long preimages finds what ``bytes.find`` finds."""
    if not pre:
        return
    image = bytearray(pre) if as_bytearray else pre  # very long hunks build a bytearray
    with _long_images_from(1, probe):
        assert find_image(data, image, start) == data.find(pre, start)
    # a preimage that repeats with a period shorter than the probe: many hits, one match
    repeated = pre * 12
    haystack = pre * 11 + data + repeated
    with _long_images_from(1, probe):
        assert find_image(haystack, repeated, start) == haystack.find(repeated, start)


def test_locate_entry_is_not_fooled_by_names_or_ids() -> None:
    """' b\\0' inside another name or inside an object id is not the entry 'b'."""
    fake_id = bytes(range(1, 5)) + b" b\x00" + bytes(range(13))
    raw = (
        b"100644 a\x00" + fake_id + b"100644 x b\x00" + b"\x01" * 20 + b"40000 y\x00" + b"\x02" * 20
    )
    assert locate_entry(raw, b"b") is None
    found = locate_entry(raw + b"100644 b\x00" + b"\x03" * 20, b"b")
    assert found is not None and found[2] == TreeEntry(REGULAR_MODE, "03" * 20)
    assert found[1] == len(raw) + len(b"100644 b\x00") + 20
    located_dir = locate_entry(raw, b"y")
    assert located_dir is not None and located_dir[2].mode == TREE_MODE


# --------------------------------------------------------------------------- trees vs libgit2

_NAMES = st.sampled_from(["a", "a.b", "a-b", "b", "a b", "c"])
_PATHS = st.lists(_NAMES, min_size=1, max_size=3).map("/".join)
_OPS = st.lists(st.tuples(st.booleans(), _PATHS, st.sampled_from([0o100644, 0o100755])), max_size=6)


@pytest.fixture(scope="module")
def tree_repo(tmp_path_factory: pytest.TempPathFactory) -> pygit2.Repository:
    return pygit2.init_repository(str(tmp_path_factory.mktemp("trees")), bare=True)


@settings(CI, max_examples=150)
@given(st.lists(_PATHS, min_size=1, max_size=8), _OPS)
def test_spliced_trees_hash_like_libgit2(
    tree_repo: pygit2.Repository, files: list[str], ops: list[tuple[bool, str, int]]
) -> None:
    repo = tree_repo
    index = pygit2.Index()
    for n, path in enumerate(files):
        if _conflicts(index, path):
            continue
        index.add(pygit2.IndexEntry(path, repo.create_blob(f"{n}\n".encode()), REGULAR_MODE))
    base = str(index.write_tree(repo))
    editor = TreeEditor(TreeReader(repo), base)
    for n, (write, path, mode) in enumerate(ops):
        if _conflicts(index, path):
            if write:
                with pytest.raises(TreeConflict):
                    editor.write(path.encode(), mode, str(repo.create_blob(b"x\n")))
            continue  # removing a directory is not something a patch section can ask
        if write:
            blob = repo.create_blob(f"new {n}\n".encode())
            editor.write(path.encode(), mode, str(blob))
            index.add(pygit2.IndexEntry(path, blob, mode))
        else:
            editor.remove(path.encode(), missing_ok=True)
            if path in [e.path for e in index]:
                index.remove(path)
    assert editor.finish() == str(index.write_tree(repo))


def test_spliced_trees_hash_like_libgit2_with_indexed_trees(
    tree_repo: pygit2.Repository,
) -> None:
    """The same with every tree indexed whole at its first lookup (the many-names route)."""
    before = tree_module._INDEX_AFTER
    tree_module._INDEX_AFTER = 0
    try:
        test_spliced_trees_hash_like_libgit2(tree_repo=tree_repo)
    finally:
        tree_module._INDEX_AFTER = before


def _conflicts(index: pygit2.Index, path: str) -> bool:
    """Whether ``path`` would be both a file and a directory next to the index's files."""
    paths = [e.path for e in index]
    parts = path.split("/")
    prefixes = {"/".join(parts[:i]) for i in range(1, len(parts))}
    return any(p in prefixes or p.startswith(path + "/") for p in paths)


# --------------------------------------------------------------------------- binary hunks


def _base85_lines(data: bytes, width: int) -> list[bytes]:
    """Data lines as git writes them (at most 52 bytes a line; ``width`` makes shorter ones)."""
    lines = []
    for at in range(0, len(data), width):
        chunk = data[at : at + width]
        marker = len(chunk) + (64 if len(chunk) <= 26 else 70)
        lines.append(bytes([marker]) + base64.b85encode(chunk + b"\0" * (-len(chunk) % 4)) + b"\n")
    return lines


@CI
@given(st.binary(max_size=600), st.integers(1, 52), st.integers(0, 200), st.binary(max_size=1))
def test_bulk_base85_agrees_with_the_per_line_decoder(
    data: bytes, width: int, at: int, junk: bytes
) -> None:
    lines = _base85_lines(data, width)
    assert decode_base85_lines(lines) == data
    if not lines or not junk:
        return
    # one byte changed somewhere: both decoders fail together, or agree on the result
    flat = bytearray(b"".join(lines))
    flat[at % len(flat)] = junk[0]
    broken = split_lines(bytes(flat))
    try:
        per_line: bytes | None = b"".join(decode_base85_line(x.rstrip(b"\n")) for x in broken)
    except BinaryPatchError:
        per_line = None
    if any(not x.endswith(b"\n") for x in broken):
        return  # the hunk ends without its empty line: refused before decoding
    assert decode_base85_lines(broken) == per_line


def test_a_hunk_of_thousands_of_lines_has_the_same_sides() -> None:
    """Long hunks are assembled in slices of lines; the result is the same."""
    old = [b"line %d\n" % n for n in range(3000)]
    new = [b"LINE %d\n" % n if n % 7 == 0 else line for n, line in enumerate(old)]
    (parsed,) = parse_patch(_patch(old, new, 3, False)).files
    (hunk,) = parsed.hunks
    assert len(hunk.lines) > 3000
    pre, post = hunk.images()
    assert hunk.sides() == (b"".join(pre), b"".join(post))
    assert apply_hunks(b"".join(old), parsed.hunks) == b"".join(new)
