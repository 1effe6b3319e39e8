"""Read a patch the way ``git apply`` reads it: files, modes, renames, hunks and binary data.

Why not libgit2's parser (``pygit2.Diff.parse_diff``)? It was the first choice, but the libgit2
1.9 bundled with pygit2 rejects git's own output whenever an empty file is added or deleted
before another file (libgit2 issues #5713 and #6778), rejects plain ``diff -u`` input, reports
hunk-count errors without a line number, and silently rewrites ``a//etc/x`` to ``etc/x`` so an
absolute path could never be refused. The datum promise is "the same verdict as ``git apply``",
so this module follows git's ``apply.c`` instead (``find_header``, ``parse_git_diff_header``,
``parse_fragment``, ``parse_binary``): the same headers are recognised, the same garbage between
file sections is skipped (mail headers, diffstat, ``-- `` signatures), and a malformed patch is
reported with the patch line that breaks it. Nothing here needs a repository.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from itertools import compress, repeat
from operator import getitem, itemgetter
from typing import Literal, TypeVar, cast

from datumkit.git.binary import (
    BinaryPatchError,
    decode_base85_line,
    decode_base85_lines,
    inflate,
)
from datumkit.git.errors import MalformedPatch, UnsafePath

ChangeStatus = Literal["added", "modified", "deleted", "renamed", "copied"]

#: git's marker after a line that has no newline (the text is localised; only "\\ " is fixed).
NO_NEWLINE_MARKER = b"\\ No newline at end of file\n"

_SPACE_OR_TAB = re.compile(rb"[ \t]")
_MODE = re.compile(rb"([0-7]+)(?:\s|\Z)")
_DIGITS = re.compile(rb"\d+")
_INDEX = re.compile(rb"([0-9a-fA-F]{1,64})\.\.([0-9a-fA-F]{1,64})(?: (.*))?\Z")
_HUNK_HEADER = re.compile(rb"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
#: the usual section header (see _Parser._plain_header): name, kind line, index, ---, +++
_PLAIN_SECTION = re.compile(
    rb"diff --git a/([^\s\"\\]+) b/\1\n"
    rb"(?:(new file|deleted file) mode ([0-7]+)\n)?"
    rb"index ([0-9a-f]{1,64})\.\.([0-9a-f]{1,64})(?: ([0-7]+))?\n"
    rb"--- (?:a/\1|(/dev/null))\n"
    rb"\+\+\+ (?:b/\1|(/dev/null))\n"
)
#: A run of plain body lines (context, removed, added), one origin byte per line.
_PLAIN_BODY = re.compile(rb"[ \n+\-]*")
_first_bytes = itemgetter(0)
#: translation tables: the origin string becomes 1 for a line a side keeps, 0 for one it drops
_KEEP_PRE = bytes(0 if byte == ord("+") else 1 for byte in range(256))
_KEEP_POST = bytes(0 if byte == ord("-") else 1 for byte in range(256))
#: endless ``slice(1, None)``: a line without its origin byte
_AFTER_ORIGIN = repeat(slice(1, None))
#: hunks longer than this many lines are assembled a slice of lines at a time
_BATCH = 1024
#: lines of a long hunk stripped at a time for both of its sides
_BOTH_BATCH = 256
#: a preimage or postimage: ``bytes``, or a ``bytearray`` for a very long hunk
Image = bytes | bytearray


def _whole_side(lines: tuple[bytes, ...]) -> bytearray:
    """Every line of a long hunk without its origin, _BATCH lines at a time."""
    out = bytearray()
    for at in range(0, len(lines), _BATCH):
        out += _strip_all(lines[at : at + _BATCH])
    return out


def _both_sides(lines: tuple[bytes, ...], origins: bytes) -> tuple[bytes, bytes]:
    """Both sides of a hunk, each line stripped of its origin once for the two of them.

    A context line belongs to both sides; stripping every line once and picking each side
    from the stripped lines makes one copy of a context line where picking from the body
    lines made two.
    """
    stripped = list(map(_cut, lines, _AFTER_ORIGIN))
    return (
        b"".join(compress(stripped, origins.translate(_KEEP_PRE))),
        b"".join(compress(stripped, origins.translate(_KEEP_POST))),
    )


def _long_sides(lines: tuple[bytes, ...], origins: bytes) -> tuple[bytearray, bytearray]:
    """:func:`_both_sides` of a hunk of thousands of lines, _BOTH_BATCH lines at a time (so
    the stripped copies of its lines, kept for both sides, never add up next to the result:
    the peak-memory goal)."""
    pre, post = bytearray(), bytearray()
    for at in range(0, len(lines), _BOTH_BATCH):
        end = at + _BOTH_BATCH
        kept_pre, kept_post = _both_sides(lines[at:end], origins[at:end])
        pre += kept_pre
        post += kept_post
    return pre, post


def _strip_all(lines: tuple[bytes, ...]) -> bytes:
    """Every line without its origin byte, joined."""
    return b"".join(map(_cut, lines, _AFTER_ORIGIN))


#: ``line[cut]`` as a C function for ``map``
_cut = cast(Callable[[bytes, slice], bytes], getitem)
_BINARY_HUNK = re.compile(rb"(literal|delta) (\d+)\n\Z")
_EPOCH = re.compile(
    rb"(?P<date>1969-12-31|1970-01-01) (?P<h>[0-2][0-9]):(?P<m>[0-5][0-9]):00(?:\.0+)?"
    rb" (?P<sign>[-+])(?P<zh>[0-2][0-9]):?(?P<zm>[0-5][0-9])\Z"
)
_TIMESTAMP = re.compile(
    rb"(?:\t| +)\d{2,4}-\d\d-\d\d(?: \d\d:\d\d:\d\d(?:\.\d+)?)?(?: [+-]\d\d:?\d\d)?\Z"
)
_C_ESCAPES = {
    ord("a"): 7,
    ord("b"): 8,
    ord("f"): 12,
    ord("n"): 10,
    ord("r"): 13,
    ord("t"): 9,
    ord("v"): 11,
    ord("\\"): 92,
    ord('"'): 34,
}


@dataclass(frozen=True)
class FileChange:
    """One file touched by a patch, as a reviewer summarises it.

    ``path`` is the path after the patch (the removed path for a deletion); ``old_path`` is set
    only for renames and copies. Modes are git modes (``0o100644``, ``0o100755``, ``0o120000``);
    ``None`` means "none" (no old file for an addition, no new file for a deletion) or, for a
    parsed patch that is not applied yet, "not stated by the patch".
    """

    status: ChangeStatus
    path: str
    old_path: str | None
    old_mode: int | None
    new_mode: int | None
    binary: bool
    lines_added: int
    lines_removed: int


@dataclass(frozen=True)
class ParsedHunk:
    """One ``@@ -a,b +c,d @@`` hunk of a text patch.

    ``lines`` are the body lines exactly as written (origin character, content, newline),
    including ``\\ No newline at end of file`` markers, so an interdiff can show them verbatim.
    """

    header: str
    old_start: int
    old_lines: int
    new_start: int
    new_lines: int
    lines: tuple[bytes, ...]
    section: str = ""
    patch_line: int = 0

    @cached_property
    def origins(self) -> bytes:
        """The first byte of every body line, one byte per line.

        Counting and searching this string runs in C, so large hunks are summarised without a
        Python loop over their lines (body lines are never empty, see :func:`split_lines`).
        """
        return bytes(map(_first_bytes, self.lines))

    @cached_property
    def lines_added(self) -> int:
        """Number of ``+`` lines (the parser fills it in from the counts it makes anyway)."""
        return self.origins.count(b"+")

    @cached_property
    def lines_removed(self) -> int:
        """Number of ``-`` lines (the parser fills it in from the counts it makes anyway)."""
        return self.origins.count(b"-")

    @property
    def leading(self) -> int:
        """Context lines before the first change; git anchors hunks without any at the start."""
        origins = self.origins
        changes = [at for at in (origins.find(b"+"), origins.find(b"-")) if at >= 0]
        first = min(changes, default=len(origins))
        return origins.count(b" ", 0, first) + origins.count(b"\n", 0, first)

    @property
    def trailing(self) -> int:
        """Context lines after the last change; git anchors hunks without any at the end."""
        origins = self.origins
        after = max(origins.rfind(b"+"), origins.rfind(b"-")) + 1
        return origins.count(b" ", after) + origins.count(b"\n", after)

    def images(self) -> tuple[list[bytes], list[bytes]]:
        """The lines the hunk expects (preimage) and the lines it leaves (postimage).

        A ``\\`` marker takes the newline off the line before it, on whichever side that line
        belongs to, exactly as ``apply_one_fragment`` does.
        """
        if b"\\" not in self.origins:
            # No marker: one pass per side in a comprehension (the common, large case).
            lines = self.lines
            return (
                [line if line[0] == 10 else line[1:] for line in lines if line[0] != 43],
                [line if line[0] == 10 else line[1:] for line in lines if line[0] != 45],
            )
        pre: list[bytes] = []
        post: list[bytes] = []
        sides: tuple[list[bytes], ...] = ()
        for line in self.lines:
            origin = line[:1]
            if origin == b"\\":
                for side in sides:
                    if side[-1].endswith(b"\n"):
                        side[-1] = side[-1][:-1]
                continue
            content = line if origin == b"\n" else line[1:]
            if origin == b"-":
                sides = (pre,)
            elif origin == b"+":
                sides = (post,)
            else:
                sides = (pre, post)
            for side in sides:
                side.append(content)
        return pre, post

    def sides(self) -> tuple[Image, Image] | None:
        """The preimage and postimage as two byte strings, or ``None`` for a hunk with markers.

        For the usual body (every line starts with ' ', '-' or '+') every line is stripped of
        its origin once, with ``map(getitem, ..., repeat(slice(1, None)))``, and each side is
        picked from those with ``itertools.compress`` over a translated origin string: the
        loops over lines run in C. A bare
        empty context line (``"\\n"``, no origin to strip) goes through :meth:`images`; a ``\\``
        marker changes a line's newline and returns ``None`` (the line-by-line path handles it).
        A hunk of thousands of lines is assembled in a ``bytearray`` a slice at a time, so the
        stripped copies of all its lines never exist at once next to the result.
        """
        origins = self.origins
        lines = self.lines
        if origins.translate(None, b" +-"):
            if b"\\" in origins:
                return None
            pre, post = self.images()
            return b"".join(pre), b"".join(post)
        if b" " not in origins and (b"+" not in origins or b"-" not in origins):
            # A new or deleted file's hunk (or a context-free one): one side is empty and the
            # other is every line, so nothing needs picking.
            whole = _whole_side(lines) if len(lines) > _BATCH else _strip_all(lines)
            return (b"", whole) if b"-" not in origins else (whole, b"")
        if len(lines) > _BATCH:
            return _long_sides(lines, origins)
        return _both_sides(lines, origins)

    def reversed(self) -> ParsedHunk:
        """The hunk that undoes this one (``git apply -R``)."""
        swap = {b"+": b"-", b"-": b"+"}
        lines = tuple(
            swap[line[:1]] + line[1:] if line[:1] in swap else line for line in self.lines
        )
        return ParsedHunk(
            header=format_hunk_header(
                self.new_start, self.new_lines, self.old_start, self.old_lines
            ),
            old_start=self.new_start,
            old_lines=self.new_lines,
            new_start=self.old_start,
            new_lines=self.old_lines,
            lines=lines,
            section=self.section,
            patch_line=self.patch_line,
        )


@dataclass(frozen=True)
class BinaryHunk:
    """A decoded ``literal N`` or ``delta N`` block of a ``GIT binary patch``."""

    method: Literal["literal", "delta"]
    data: bytes


@dataclass(frozen=True)
class ParsedFile:
    """Everything the patch says about one file.

    ``old_mode``/``new_mode`` are what the header states (``None`` when it states nothing, which
    for ``new_mode`` means "keep the mode"); ``old_id``/``new_id`` are the (possibly abbreviated)
    blob ids of the ``index`` line. ``create_if_missing`` marks a plain-diff section that git
    treats as a creation when the file does not exist (no ``/dev/null`` to say so).
    """

    status: ChangeStatus
    old_path: str | None
    new_path: str | None
    old_mode: int | None = None
    new_mode: int | None = None
    old_id: str | None = None
    new_id: str | None = None
    similarity: int | None = None
    hunks: tuple[ParsedHunk, ...] = ()
    binary: bool = False
    forward_binary: BinaryHunk | None = None
    reverse_binary: BinaryHunk | None = None
    patch_line: int = 0
    create_if_missing: bool = False

    @property
    def path(self) -> str:
        """The path a reader cares about: the new path, or the old one for a deletion."""
        path = self.new_path if self.new_path is not None else self.old_path
        assert path is not None, "a parsed file always has a path"
        return path

    @cached_property
    def lines_added(self) -> int:
        """Added lines over all hunks (0 for binary files, like ``git diff --numstat``)."""
        return sum(h.lines_added for h in self.hunks)

    @cached_property
    def lines_removed(self) -> int:
        """Removed lines over all hunks."""
        return sum(h.lines_removed for h in self.hunks)

    def change(self) -> FileChange:
        """The reviewer's summary of this file, with the modes the patch states."""
        moved = self.status in ("renamed", "copied")
        return FileChange(
            status=self.status,
            path=self.path,
            old_path=self.old_path if moved else None,
            old_mode=self.old_mode,
            new_mode=self.new_mode,
            binary=self.binary,
            lines_added=self.lines_added,
            lines_removed=self.lines_removed,
        )

    def reversed(self) -> ParsedFile:
        """The change that undoes this one, used to recognise an already-applied patch.

        git cannot reverse a copy (the source still exists); undoing it is modelled as
        reverse-applying the hunks to the copy, which is what "already applied" needs.
        """
        status: ChangeStatus = _REVERSED_STATUS[self.status]
        old_path, new_path = self.new_path, self.old_path
        if self.status == "copied":
            new_path = old_path = self.new_path
        swap_modes = self.new_mode is not None or self.status == "deleted"
        return ParsedFile(
            status=status,
            old_path=old_path,
            new_path=new_path,
            old_mode=self.new_mode if swap_modes else self.old_mode,
            new_mode=self.old_mode if swap_modes else self.new_mode,
            old_id=self.new_id,
            new_id=self.old_id,
            similarity=self.similarity,
            hunks=tuple(h.reversed() for h in self.hunks),
            binary=self.binary,
            forward_binary=self.reverse_binary,
            reverse_binary=self.forward_binary,
            patch_line=self.patch_line,
        )


_REVERSED_STATUS: dict[ChangeStatus, ChangeStatus] = {
    "added": "deleted",
    "deleted": "added",
    "modified": "modified",
    "renamed": "renamed",
    "copied": "modified",
}


@dataclass(frozen=True)
class ParsedPatch:
    """A whole patch: its files in patch order, and anything ``git apply`` would silently skip."""

    files: tuple[ParsedFile, ...]
    warnings: tuple[str, ...] = ()

    @property
    def lines_added(self) -> int:
        """Added lines over all files."""
        return sum(f.lines_added for f in self.files)

    @property
    def lines_removed(self) -> int:
        """Removed lines over all files."""
        return sum(f.lines_removed for f in self.files)

    def changes(self) -> tuple[FileChange, ...]:
        """One :class:`FileChange` per file, in patch order."""
        return tuple(f.change() for f in self.files)

    def reversed(self) -> ParsedPatch:
        """The patch that undoes this one, as ``git apply -R`` sees it: files in reverse order.

        The order matters when one path has two sections (a type change is a deletion followed
        by an addition; undoing it must remove the new file before restoring the old one).
        """
        return ParsedPatch(tuple(f.reversed() for f in reversed(self.files)), self.warnings)


_Frozen = TypeVar("_Frozen")


def build_frozen(cls: type[_Frozen], **fields: object) -> _Frozen:
    """An instance of the frozen dataclass ``cls`` made without its ``__init__``.

    A frozen dataclass sets each field through ``object.__setattr__`` (about 6 us for eight
    fields, paid per hunk and per file of a patch); filling ``__dict__`` at once gives the
    same object. Only for classes without ``__post_init__`` or defaults that compute, and
    every field must be passed.
    """
    made = cls.__new__(cls)
    made.__dict__.update(fields)
    return made


def parse_patch(patch: bytes) -> ParsedPatch:
    """Parse ``patch`` (git diff, git format-patch, or plain ``diff -u``/``diff -ruN``).

    Raises :class:`UnsafePath` for any path with ``..``/``.``/empty components, an absolute path
    or a path inside ``.git`` (even when the patch is also malformed, so an attack never hides
    behind a parse error), else :class:`MalformedPatch` naming the first broken line. A patch
    without any file section parses to an empty :class:`ParsedPatch`.
    """
    return _Parser(patch).run()


#: the last patch :func:`parse_patch_once` parsed: (that very bytes object, its parse)
_last_parsed: tuple[bytes, ParsedPatch] | None = None


def parse_patch_once(patch: bytes) -> ParsedPatch:
    """:func:`parse_patch`, remembering the last result for the same bytes OBJECT.

    One datum's diff.patch is read once (checks/memofiles.py) and then parsed by the patch
    check's apply, the secret scan and the leaks check; this hands the later two the first's
    parse. The key is the object's identity, never its content: two datums with the same patch
    are two objects and each is parsed (the memo holds a reference, so the identity cannot be
    reused by another object while it is remembered). ``bytes`` is immutable, so the same object
    always parses the same. Errors are not remembered: callers rewrite the error they catch, so
    each gets a fresh one.
    """
    global _last_parsed
    last = _last_parsed
    if last is not None and last[0] is patch:
        return last[1]
    parsed = parse_patch(patch)
    if type(patch) is bytes and len(patch) > 1:  # b"" and one-byte values are shared singletons
        _last_parsed = (patch, parsed)
    return parsed


def format_hunk_header(old_start: int, old_lines: int, new_start: int, new_lines: int) -> str:
    """``@@ -a,b +c,d @@`` the way git writes it (a count of 1 is left out)."""

    def side(start: int, count: int) -> str:
        return f"{start}" if count == 1 else f"{start},{count}"

    return f"@@ -{side(old_start, old_lines)} +{side(new_start, new_lines)} @@"


def decode_path(raw: bytes) -> str:
    """A path from the patch as ``str``; bytes that are not UTF-8 survive as surrogates."""
    return raw.decode("utf-8", "surrogateescape")


def encode_path(path: str) -> bytes:
    """Inverse of :func:`decode_path`, for building git trees."""
    return path.encode("utf-8", "surrogateescape")


def unsafe_reason(path: bytes) -> str | None:
    """Why ``path`` may not be touched by a datum patch, or ``None`` if it is fine.

    Mirrors git's ``verify_path``: no absolute paths, no empty, ``.`` or ``..`` components, and
    nothing named ``.git`` (any case) at any depth, since writing there could change what git
    itself does in the checkout.
    """
    if _PLAIN_PATH.fullmatch(path) is not None and b"git" not in path.lower():
        return None  # the usual name: every refusal below needs a dot start, "git" or non-ASCII
    return _unsafe_reason(path)


def _unsafe_reason(path: bytes) -> str | None:
    """:func:`unsafe_reason` rule by rule (the fast accept above is checked against this)."""
    if not path:
        return "empty path"
    if b"\x00" in path:
        return "NUL byte in path (git cuts the name there)"
    if path.startswith(b"/"):
        return "absolute path"
    for part in path.split(b"/"):
        if part == b"..":
            return "'..' component leaves the repository"
        if part in (b"", b"."):
            return "empty or '.' path component"
        if part.lower() == b".git":
            return "path inside .git"
        if _is_dotgit_alias(part):
            return "a name Windows or macOS read as .git (git's core.protectNTFS/protectHFS)"
    return None


#: ASCII components that do not start with a dot, without backslash, colon or space: none of
#: them can be empty, ".", "..", ".git" or a Windows/macOS alias of it unless "git" is in it
_PLAIN_PATH = re.compile(
    rb"[A-Za-z0-9_\-+=,@%~][A-Za-z0-9_\-+=,@%~.]*(?:/[A-Za-z0-9_\-+=,@%~][A-Za-z0-9_\-+=,@%~.]*)*"
)

#: code points HFS+ ignores when comparing names (git's `is_hfs_dotgit`)
_HFS_IGNORED = re.compile("[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]")


def _is_dotgit_alias(part: bytes) -> bool:
    """Names git refuses under protectNTFS/protectHFS because they *are* .git on those systems:
    `.git.` and `.git ` (NTFS drops trailing dots and spaces), `git~1` (the 8.3 short name),
    `.git::$INDEX_ALLOCATION` (an NTFS stream), `.git\\x` (a backslash separates on Windows)
    and `.g\u200cit` (HFS+ ignores zero-width characters)."""
    lowered = part.lower()
    if b"git" not in lowered and part.isascii():
        return False  # every alias spells "git"; only non-ASCII names can hide it (HFS+)
    for piece in lowered.split(b"\\"):
        if piece.rstrip(b". ") == b".git" or piece == b"git~1" or piece.startswith(b".git:"):
            return True
    text = part.decode("utf-8", "replace")
    return _HFS_IGNORED.sub("", text).lower() == ".git" and text.lower() != ".git"


# --------------------------------------------------------------------------- names


def _unquote_c(text: bytes) -> tuple[bytes, int] | None:
    """Undo git's C-style quoting of ``"a/sp\\303\\251ce"``; returns the name and end index."""
    out = bytearray()
    i = 1
    while i < len(text):
        c = text[i]
        if c == ord('"'):
            return bytes(out), i + 1
        if c != ord("\\"):
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(text):
            return None
        esc = text[i + 1]
        if esc in _C_ESCAPES:
            out.append(_C_ESCAPES[esc])
            i += 2
        elif ord("0") <= esc <= ord("3") and re.fullmatch(rb"[0-7]{2}", text[i + 2 : i + 4]):
            out.append(int(text[i + 1 : i + 4], 8))
            i += 4
        else:
            return None
    return None


def _skip_tree_prefix(name: bytes, p_value: int) -> bytes | None:
    """Drop ``p_value`` leading components (``a/``); ``None`` if there are not enough.

    Used for the ``diff --git`` line, where git refuses a leading slash outright.
    """
    if p_value == 0:
        return None if name.startswith(b"/") else name
    parts = name.split(b"/", p_value)
    if len(parts) <= p_value or parts[0] == b"":
        return None
    return parts[p_value]


def _raw_name(body: bytes, *, stop_at_tab: bool) -> bytes:
    """The name on a header line before any prefix is stripped: unquoted, up to a tab."""
    if body.startswith(b'"'):
        unquoted = _unquote_c(body)
        if unquoted is not None:
            return unquoted[0]
    return body.split(b"\t", 1)[0] if stop_at_tab else body


def _strip_prefix(name: bytes, p_value: int) -> bytes | None:
    """Drop ``p_value`` leading components the way git's ``find_name`` does."""
    if p_value == 0:
        return name or None
    parts = name.split(b"/", p_value)
    if len(parts) <= p_value or not parts[p_value]:
        return None
    return parts[p_value]


def _git_header_name(rest: bytes) -> bytes | None:
    """The name on a ``diff --git a/X b/X`` line when both sides agree (git_header_name).

    Only needed when no other header line names the file (mode-only changes, empty files);
    renames name their paths elsewhere, so ``None`` for differing names is fine.
    """
    if rest.startswith(b'"'):
        first = _unquote_c(rest)
        if first is None:
            return None
        name = _skip_tree_prefix(first[0], 1)
        second = rest[first[1] :].lstrip(b" \t")
        if name is None or not second:
            return None
        if second.startswith(b'"'):
            other = _unquote_c(second)
            other_name = None if other is None else _skip_tree_prefix(other[0], 1)
        else:
            other_name = _skip_tree_prefix(second, 1)
        return name if other_name == name else None
    name = _skip_tree_prefix(rest, 1)
    if name is None:
        return None
    quote = name.find(b'"')
    if quote >= 0:
        other = _unquote_c(name[quote:])
        other_name = None if other is None else _skip_tree_prefix(other[0], 1)
        head = name[:quote]
        if other_name and head[len(other_name) :].strip() == b"" and head.startswith(other_name):
            return other_name
        return None
    for space in _SPACE_OR_TAB.finditer(name):
        i = space.start()
        candidate = _skip_tree_prefix(name[i + 1 :], 1)
        if candidate is not None and candidate == name[:i]:
            return candidate
    return None


def _is_dev_null(body: bytes) -> bool:
    return body == b"/dev/null" or (body.startswith(b"/dev/null") and body[9:10].isspace())


def _has_epoch_timestamp(body: bytes) -> bool:
    """GNU ``diff -N`` marks a missing side with the epoch; git treats it as add/delete."""
    if b"\t" not in body:
        return False
    match = _EPOCH.match(body.rsplit(b"\t", 1)[1])
    if match is None:
        return False
    epoch_hour = 24 if match["date"] == b"1969-12-31" else 0
    zone = int(match["zh"]) * 60 + int(match["zm"])
    if match["sign"] == b"-":
        zone = -zone
    return int(match["h"]) * 60 + int(match["m"]) - zone == epoch_hour * 60


def _traditional_raw_name(body: bytes) -> bytes:
    """A name from a plain diff ``---``/``+++`` line, without its timestamp or prefix strip."""
    if body.startswith(b'"'):
        unquoted = _unquote_c(body)
        if unquoted is not None:
            return unquoted[0]
    stamp = _TIMESTAMP.search(body)
    if stamp is not None:
        return body[: stamp.start()]
    return body.split(b"\t", 1)[0]


# --------------------------------------------------------------------------- parser


@dataclass
class _Header:
    """What the extended header lines of one ``diff --git`` section have said so far."""

    def_name: bytes | None
    old_name: bytes | None = None
    new_name: bytes | None = None
    old_mode: int | None = None
    new_mode: int | None = None
    is_new: bool = False
    is_delete: bool = False
    is_rename: bool = False
    is_copy: bool = False
    similarity: int | None = None
    old_id: str | None = None
    new_id: str | None = None
    extension_line: int = 0

    @property
    def status(self) -> ChangeStatus:
        if self.is_new:
            return "added"
        if self.is_delete:
            return "deleted"
        if self.is_rename:
            return "renamed"
        if self.is_copy:
            return "copied"
        return "modified"


def split_lines(data: bytes) -> list[bytes]:
    """Lines with their newlines; only ``\\n`` ends a line (CR stays content, as in git).

    A last line without a newline is kept as it is, which is how git sees files and patches;
    no line is ever empty. ``bytes.splitlines`` (C) also splits at a lone ``\\r``, so it is
    used only when every ``\\r`` is part of a ``\\r\\n``.
    """
    if b"\r" not in data or data.count(b"\r") == data.count(b"\r\n"):
        return data.splitlines(keepends=True)  # CRLF ends at the \n either way
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


class _Parser:
    """One pass over the patch lines, in the order and with the rules of git's ``apply.c``."""

    def __init__(self, patch: bytes, *, fast: bool = True) -> None:
        #: whether a section with git's usual header is read by one regex (see _plain_header)
        self.fast = fast
        self.lines = split_lines(patch)
        #: the first byte of every line: hunk bodies are measured on it in C
        self.origins = bytes(map(_first_bytes, self.lines))
        self.files: list[ParsedFile] = []
        self.warnings: list[str] = []
        self.first_error: MalformedPatch | None = None
        #: names already found safe
        self.safe: set[bytes] = set()

    # -- driver

    def run(self) -> ParsedPatch:
        i = 0
        while i < len(self.lines):
            try:
                i = self._next_section(i)
            except MalformedPatch as exc:
                # Keep scanning for headers: an unsafe path later in the patch must still win.
                self.first_error = self.first_error or exc
                i = max(i + 1, exc.line_no)
        if self.first_error is not None:
            raise self.first_error
        return ParsedPatch(tuple(self.files), tuple(self.warnings))

    def _next_section(self, i: int) -> int:
        line = self.lines[i]
        if line.startswith(b"diff --git "):
            return self._git_section(i)
        if self._starts_traditional(i):
            return self._traditional_section(i)
        if line.startswith(b"@@ -") and _HUNK_HEADER.match(line) and line.endswith(b"\n"):
            raise MalformedPatch(
                "hunk without a file header (a 'diff --git' or '---'/'+++' pair)", line_no=i + 1
            )
        if line.startswith(b"Binary files ") and line.endswith(b" differ\n"):
            self.warnings.append(
                f"patch line {i + 1}: plain-diff binary change ignored, as git apply does "
                "(use `git diff --binary` to carry binary files)"
            )
        return i + 1

    def _starts_traditional(self, i: int) -> bool:
        lines = self.lines
        return (
            i + 2 < len(lines)
            and lines[i].startswith(b"--- ")
            and lines[i + 1].startswith(b"+++ ")
            and lines[i + 2].startswith(b"@@ -")
        )

    def _malformed(self, message: str, line_no: int, path: bytes | None = None) -> MalformedPatch:
        return MalformedPatch(
            message, line_no=line_no, path=None if path is None else decode_path(path)
        )

    def _check_safe(self, name: bytes | None, line_no: int) -> None:
        if name is None:
            return
        if name in self.safe:
            return  # the same name is checked up to three times per section
        reason = unsafe_reason(name)
        if reason is None:
            self.safe.add(name)
            return
        if reason is not None:
            raise UnsafePath(decode_path(name), reason, line_no=line_no)

    # -- git sections

    def _git_section(self, i: int) -> int:
        if self.fast:
            plain = self._plain_header(i)
            if plain is not None:
                return self._body(*plain)
        rest = self.lines[i][len(b"diff --git ") :].rstrip(b"\n")
        if rest.endswith(b"\r"):
            raise self._malformed("patch has CRLF line endings; convert it to LF", i + 1)
        hdr = _Header(def_name=_git_header_name(rest))
        self._check_safe(hdr.def_name, i + 1)
        j = i + 1
        while j < len(self.lines) and self._header_line(hdr, self.lines[j], j + 1):
            j += 1
        if j == i + 1:
            return i + 1  # git ignores a "diff --git" line that no header line follows
        self._resolve_names(hdr, j)
        return self._body(hdr, i, j)

    def _plain_header(self, i: int) -> tuple[_Header, int, int] | None:
        """The header git writes for one file changed, added or deleted, read by one regex.

        ``diff --git a/X b/X``, an optional ``new file``/``deleted file`` mode line, ``index``,
        ``---`` and ``+++`` naming the same plain X (no space, quote, backslash or tab, so
        every line handler would read the same name), followed by a hunk. This is what almost
        every section of a real patch looks like, and what the line handlers of
        :meth:`_header_line` would make of it, in one C-level match; anything else (renames,
        mode lines, quoted names, a binary body, an unsafe name) returns ``None`` and is read
        line by line. ``tests/test_patch_parse_fast.py`` checks both reads agree.
        """
        lines = self.lines
        match = _PLAIN_SECTION.match(b"".join(lines[i : i + 5]))
        if match is None:
            return None
        name, kind, kind_mode, old_id, new_id, index_mode, old_null, new_null = match.groups()
        j = i + (4 if kind is None else 5)
        if j >= len(lines) or not lines[j].startswith(b"@@ -"):
            return None
        if name not in self.safe:
            if unsafe_reason(name) is not None:
                return None  # the line by line read raises the UnsafePath with its line
            self.safe.add(name)
        hdr = _Header(def_name=name, old_id=old_id.decode(), new_id=new_id.decode())
        mode = None if index_mode is None else int(index_mode, 8)
        if kind is None:
            if old_null is not None or new_null is not None:
                return None
            hdr.old_name = hdr.new_name = name
            hdr.old_mode = mode
        elif kind == b"new file":
            if old_null is None or new_null is not None:
                return None
            hdr.is_new = True
            hdr.new_name = name
            hdr.new_mode = int(kind_mode, 8)
            hdr.old_mode = mode
            hdr.extension_line = i + 2
        else:
            if old_null is not None or new_null is None:
                return None
            hdr.is_delete = True
            hdr.old_name = name
            hdr.old_mode = int(kind_mode, 8) if mode is None else mode
            hdr.extension_line = i + 2
        return hdr, i, j

    def _header_line(self, hdr: _Header, line: bytes, line_no: int) -> bool:
        """Apply one extended header line; ``False`` when the line ends the header."""
        if not line.endswith(b"\n"):
            return False
        body = line[:-1]
        for prefix, handler in _HEADERS_BY_START.get(body[:3], ()):
            if body.startswith(prefix):
                handler(self, hdr, body[len(prefix) :], line_no)
                if handler in _KIND_HANDLERS:
                    self._check_extensions(hdr, line_no)
                return True
        return False

    def _check_extensions(self, hdr: _Header, line_no: int) -> None:
        kinds = hdr.is_new + hdr.is_delete + hdr.is_rename + hdr.is_copy
        if kinds > 1:
            raise self._malformed(
                f"inconsistent header lines {hdr.extension_line} and {line_no} "
                "(a file cannot be new, deleted, renamed or copied at once)",
                line_no,
            )
        if kinds and not hdr.extension_line:
            hdr.extension_line = line_no

    def _old_name_line(self, hdr: _Header, body: bytes, line_no: int) -> None:
        hdr.old_name = self._verify_name(hdr.old_name, body, hdr.is_new, line_no, "old")

    def _new_name_line(self, hdr: _Header, body: bytes, line_no: int) -> None:
        hdr.new_name = self._verify_name(hdr.new_name, body, hdr.is_delete, line_no, "new")

    def _verify_name(
        self, known: bytes | None, body: bytes, is_null: bool, line_no: int, side: str
    ) -> bytes | None:
        """git's ``gitdiff_verify_name``: ``---``/``+++`` must agree with what is known."""
        if is_null:
            if known is not None or not _is_dev_null(body):
                raise self._malformed(f"expected /dev/null as the {side} file", line_no)
            return None
        if _is_dev_null(body):
            raise self._malformed(
                f"/dev/null as the {side} file without a 'new file'/'deleted file' line", line_no
            )
        name = self._checked_name(_raw_name(body, stop_at_tab=True), 1, line_no)
        if known is not None and name != known:
            raise self._malformed(f"inconsistent {side} file name", line_no)
        return name

    def _checked_name(self, raw: bytes, p_value: int, line_no: int) -> bytes | None:
        """Strip the ``a/`` prefix, refusing absolute and otherwise unsafe names first."""
        if raw.startswith(b"/"):
            raise UnsafePath(decode_path(raw), "absolute path", line_no=line_no)
        name = _strip_prefix(raw, p_value)
        self._check_safe(name, line_no)
        return name

    def _mode(self, body: bytes, line_no: int) -> int:
        match = _MODE.match(body)
        if match is None:
            raise self._malformed(f"invalid mode {body!r}", line_no)
        return int(match[1], 8)

    def _old_mode_line(self, hdr: _Header, body: bytes, line_no: int) -> None:
        hdr.old_mode = self._mode(body, line_no)

    def _new_mode_line(self, hdr: _Header, body: bytes, line_no: int) -> None:
        hdr.new_mode = self._mode(body, line_no)

    def _deleted_line(self, hdr: _Header, body: bytes, line_no: int) -> None:
        hdr.is_delete = True
        hdr.old_name = hdr.def_name
        hdr.old_mode = self._mode(body, line_no)

    def _new_file_line(self, hdr: _Header, body: bytes, line_no: int) -> None:
        hdr.is_new = True
        hdr.new_name = hdr.def_name
        hdr.new_mode = self._mode(body, line_no)

    def _moved_name(self, body: bytes, line_no: int) -> bytes | None:
        return self._checked_name(_raw_name(body, stop_at_tab=False), 0, line_no)

    def _copy_from_line(self, hdr: _Header, body: bytes, line_no: int) -> None:
        hdr.is_copy = True
        hdr.old_name = self._moved_name(body, line_no)

    def _copy_to_line(self, hdr: _Header, body: bytes, line_no: int) -> None:
        hdr.is_copy = True
        hdr.new_name = self._moved_name(body, line_no)

    def _rename_from_line(self, hdr: _Header, body: bytes, line_no: int) -> None:
        hdr.is_rename = True
        hdr.old_name = self._moved_name(body, line_no)

    def _rename_to_line(self, hdr: _Header, body: bytes, line_no: int) -> None:
        hdr.is_rename = True
        hdr.new_name = self._moved_name(body, line_no)

    def _similarity_line(self, hdr: _Header, body: bytes, line_no: int) -> None:
        match = _DIGITS.match(body)
        if match is not None and _int(match[0]) <= 100:
            hdr.similarity = _int(match[0])

    def _index_line(self, hdr: _Header, body: bytes, line_no: int) -> None:
        match = _INDEX.match(body)
        if match is None:
            return  # git ignores an index line it cannot read
        hdr.old_id, hdr.new_id = match[1].decode().lower(), match[2].decode().lower()
        if match[3] is not None:
            hdr.old_mode = self._mode(match[3], line_no)

    def _resolve_names(self, hdr: _Header, end: int) -> None:
        """Fill in names git takes from the ``diff --git`` line, or refuse the header."""
        if hdr.old_name is None and hdr.new_name is None:
            if hdr.def_name is None:
                raise self._malformed("git diff header lacks file name information", end)
            hdr.old_name = hdr.new_name = hdr.def_name
        if (hdr.new_name is None and not hdr.is_delete) or (
            hdr.old_name is None and not hdr.is_new
        ):
            raise self._malformed("git diff header lacks file name information", end)

    # -- traditional (plain diff) sections

    def _traditional_section(self, i: int) -> int:
        first = self.lines[i][4:].rstrip(b"\n")
        second = self.lines[i + 1][4:].rstrip(b"\n")
        raw = [None if _is_dev_null(b) else _traditional_raw_name(b) for b in (first, second)]
        p_value = 0 if all(r is None or b"/" not in r for r in raw) else 1
        names = [
            None if r is None else self._checked_name(r, p_value, i + 1 + n)
            for n, r in enumerate(raw)
        ]
        hdr = _Header(def_name=None)
        if raw[0] is None:
            hdr.is_new, hdr.new_name = True, names[1]
        elif raw[1] is None:
            hdr.is_delete, hdr.old_name = True, names[0]
        else:
            first_name, name = names
            if first_name and name and len(first_name) < len(name) and name.startswith(first_name):
                name = first_name  # git prefers "x" over "x.orig"
            if _has_epoch_timestamp(first):
                hdr.is_new, hdr.new_name = True, name
            elif _has_epoch_timestamp(second):
                hdr.is_delete, hdr.old_name = True, name
            else:
                hdr.old_name = hdr.new_name = name
        if (hdr.new_name if hdr.new_name is not None else hdr.old_name) is None:
            raise self._malformed("cannot find the file name in the ---/+++ lines", i + 1)
        return self._body(hdr, i, i + 2, traditional=True)

    # -- bodies

    def _body(self, hdr: _Header, start: int, j: int, *, traditional: bool = False) -> int:
        """Hunks or binary data after a header; appends the finished :class:`ParsedFile`."""
        path = hdr.new_name if hdr.new_name is not None else hdr.old_name
        hunks: list[ParsedHunk] = []
        while j < len(self.lines) and self.lines[j].startswith(b"@@ -"):
            hunk, j = self._hunk(j, path)
            hunks.append(hunk)
        binary = False
        forward = reverse = None
        if not hunks and j < len(self.lines):
            line = self.lines[j]
            if line == b"GIT binary patch\n":
                forward, reverse, j = self._binary(j + 1, path)
                binary = True
            elif line.endswith(b" differ\n") and line.startswith((b"Binary files ", b"Files ")):
                binary, j = True, j + 1
        if hdr.is_new or hdr.is_delete:
            self._check_hunk_sides(hdr, hunks, start)
        if not hunks and not binary and not self._metadata_changes(hdr, traditional):
            raise self._malformed("file header with no hunks and no change", start + 1, path)
        create_if_missing = (
            traditional
            and not hdr.is_new
            and not hdr.is_delete
            and len(hunks) == 1
            and hunks[0].old_lines == 0
        )
        self.files.append(
            build_frozen(
                ParsedFile,
                status=hdr.status,
                old_path=None if hdr.is_new or hdr.old_name is None else decode_path(hdr.old_name),
                new_path=None
                if hdr.is_delete or hdr.new_name is None
                else decode_path(hdr.new_name),
                old_mode=None if hdr.is_new else hdr.old_mode,
                new_mode=None if hdr.is_delete else hdr.new_mode,
                old_id=hdr.old_id,
                new_id=hdr.new_id,
                similarity=hdr.similarity,
                hunks=tuple(hunks),
                binary=binary,
                forward_binary=forward,
                reverse_binary=reverse,
                patch_line=start + 1,
                create_if_missing=create_if_missing,
                # the cached counts, from the counts each hunk already holds
                lines_added=sum([hunk.lines_added for hunk in hunks]),
                lines_removed=sum([hunk.lines_removed for hunk in hunks]),
            )
        )
        return j

    @staticmethod
    def _metadata_changes(hdr: _Header, traditional: bool) -> bool:
        mode_change = hdr.old_mode is not None and hdr.new_mode is not None
        return (
            hdr.is_new
            or hdr.is_delete
            or hdr.is_rename
            or hdr.is_copy
            or traditional
            or (mode_change and hdr.old_mode != hdr.new_mode)
        )

    def _check_hunk_sides(self, hdr: _Header, hunks: list[ParsedHunk], start: int) -> None:
        path = hdr.new_name if hdr.new_name is not None else hdr.old_name
        if hdr.is_new and any(h.old_lines for h in hunks):
            raise self._malformed("new file depends on old contents", start + 1, path)
        if hdr.is_delete and any(h.new_lines for h in hunks):
            raise self._malformed("deleted file still has contents", start + 1, path)

    def _hunk(self, j: int, path: bytes | None) -> tuple[ParsedHunk, int]:
        """One hunk, counted line by line against its header (``parse_fragment``).

        Paid once per hunk of every patch, so the usual case is written out flat: the body is
        the longest run of context/removed/added lines (measured on the origin string, in C)
        when its counts are the header's; anything else is counted line by line.
        """
        lines = self.lines
        line = lines[j]
        match = _HUNK_HEADER.match(line)
        if match is None or line[-1] != 10:
            raise self._malformed(f"bad hunk header {_show(line)}", j + 1, path)
        a, b, c, d = match.groups()
        old_start = int(a) if len(a) <= _MAX_DIGITS else _int(a)
        new_start = int(c) if len(c) <= _MAX_DIGITS else _int(c)
        old_lines = 1 if b is None else int(b) if len(b) <= _MAX_DIGITS else _int(b)
        new_lines = 1 if d is None else int(d) if len(d) <= _MAX_DIGITS else _int(d)
        header = match[0].decode("ascii")
        origins = self.origins
        first = j + 1
        k = _PLAIN_BODY.match(origins, first).end()  # type: ignore[union-attr]
        removed = origins.count(b"-", first, k)
        added = origins.count(b"+", first, k)
        context = k - first - removed - added
        if (
            context + removed != old_lines
            or context + added != new_lines
            or (k == len(lines) and k > first and lines[-1][-1] != 10)  # truncated: say so
        ):
            old_left, new_left = old_lines, new_lines
            k = first
            while old_left or new_left:
                old_left, new_left = self._count_line(k, old_left, new_left, header, path)
                k += 1
            removed = origins.count(b"-", first, k)
            added = origins.count(b"+", first, k)
        if k < len(lines) and lines[k][:2] == b"\\ ":
            k += 1  # a marker line: its origin is neither '+' nor '-', the counts stand
        body = origins[first:k]
        if not added and not removed:
            raise MalformedPatch(
                "hunk changes nothing", line_no=j + 1, path=_opt_path(path), hunk_header=header
            )
        rest = line[match.end() :]
        hunk = ParsedHunk.__new__(ParsedHunk)
        hunk.__dict__.update(
            header=header,
            old_start=old_start,
            old_lines=old_lines,
            new_start=new_start,
            new_lines=new_lines,
            lines=tuple(lines[first:k]),
            section=rest.strip().decode("utf-8", "replace") if len(rest) > 1 else "",
            patch_line=first,
            origins=body,  # the cached properties, already cut and counted
            lines_added=added,
            lines_removed=removed,
        )
        return hunk, k

    def _count_line(
        self, k: int, old_left: int, new_left: int, header: str, path: bytes | None
    ) -> tuple[int, int]:
        """Account for body line ``k``; a line the header does not allow is an error."""

        def fail(message: str) -> MalformedPatch:
            return MalformedPatch(
                message,
                line_no=min(k + 1, len(self.lines)),
                path=_opt_path(path),
                hunk_header=header,
                hint="fix the line counts in the hunk header, or regenerate the patch",
            )

        if k >= len(self.lines):
            raise fail(
                f"patch ends inside the hunk: {old_left} old and {new_left} new lines missing"
            )
        line = self.lines[k]
        if not line.endswith(b"\n"):
            raise fail("hunk line has no newline (truncated patch?)")
        origin = line[:1]
        if origin in (b" ", b"\n"):
            old_left, new_left = old_left - 1, new_left - 1
        elif origin == b"-":
            old_left -= 1
        elif origin == b"+":
            new_left -= 1
        elif origin == b"\\" and line.startswith(b"\\ ") and len(line) >= 12:
            return old_left, new_left
        else:
            raise fail(
                f"unexpected line {_show(line)} inside the hunk "
                f"({old_left} old and {new_left} new lines still expected)"
            )
        if old_left < 0 or new_left < 0:
            raise fail("hunk has more lines than its header counts")
        return old_left, new_left

    def _binary(self, j: int, path: bytes | None) -> tuple[BinaryHunk, BinaryHunk | None, int]:
        """The forward and optional reverse hunk of a ``GIT binary patch``."""
        forward, j = self._binary_hunk(j, path)
        if forward is None:
            raise self._malformed(
                "unrecognized binary patch (expected 'literal N' or 'delta N')", j + 1, path
            )
        reverse, j = self._binary_hunk(j, path)
        return forward, reverse, j

    def _first_bad_data_line(self, start: int, end: int, path: bytes | None) -> None:
        """Raise for the first data line in ``lines[start:end]`` that does not decode."""
        for k in range(start, end):
            try:
                decode_base85_line(self.lines[k].rstrip(b"\n"))
            except BinaryPatchError as exc:
                raise self._malformed(f"corrupt binary patch: {exc}", k + 1, path) from None

    def _binary_hunk(self, j: int, path: bytes | None) -> tuple[BinaryHunk | None, int]:
        if j >= len(self.lines):
            return None, j
        match = _BINARY_HUNK.match(self.lines[j])
        if match is None:
            return None, j
        try:
            end = self.lines.index(b"\n", j + 1)
        except ValueError:
            self._first_bad_data_line(j + 1, len(self.lines), path)
            raise self._malformed(
                "binary hunk is not ended by an empty line", len(self.lines), path
            ) from None
        data = decode_base85_lines(self.lines[j + 1 : end])
        if data is None:
            self._first_bad_data_line(j + 1, end, path)
            raise self._malformed("corrupt binary patch", j + 1, path)  # pragma: no cover
        k = end + 1
        try:
            content = inflate(data, _int(match[2]))
        except BinaryPatchError as exc:
            raise self._malformed(f"corrupt binary patch: {exc}", j + 1, path) from None
        method: Literal["literal", "delta"] = "literal" if match[1] == b"literal" else "delta"
        return BinaryHunk(method, content), k


#: numbers in a patch longer than this are treated as "too large" (git's strtoul saturates too);
#: Python would refuse to convert 4,300+ digits, and nothing in a real patch needs 19
_MAX_DIGITS = 18


def _int(digits: bytes) -> int:
    """A decimal number from a patch header, saturating instead of converting 5,000 digits."""
    return 10**_MAX_DIGITS if len(digits) > _MAX_DIGITS else int(digits)


def _opt_path(path: bytes | None) -> str | None:
    return None if path is None else decode_path(path)


def _show(line: bytes) -> str:
    """A patch line for an error message: quoted, escaped, shortened."""
    text = line.rstrip(b"\n").decode("utf-8", "backslashreplace")
    return repr(text if len(text) <= 60 else text[:57] + "...")


_HeaderHandler = Callable[[_Parser, _Header, bytes, int], None]
_HEADER_HANDLERS: tuple[tuple[bytes, _HeaderHandler], ...] = (
    (b"--- ", _Parser._old_name_line),
    (b"+++ ", _Parser._new_name_line),
    (b"old mode ", _Parser._old_mode_line),
    (b"new mode ", _Parser._new_mode_line),
    (b"deleted file mode ", _Parser._deleted_line),
    (b"new file mode ", _Parser._new_file_line),
    (b"copy from ", _Parser._copy_from_line),
    (b"copy to ", _Parser._copy_to_line),
    (b"rename old ", _Parser._rename_from_line),
    (b"rename new ", _Parser._rename_to_line),
    (b"rename from ", _Parser._rename_from_line),
    (b"rename to ", _Parser._rename_to_line),
    (b"similarity index ", _Parser._similarity_line),
    (b"dissimilarity index ", _Parser._similarity_line),
    (b"index ", _Parser._index_line),
)
#: the handlers by the first three bytes of their prefix (order within a group kept)
_HEADERS_BY_START: dict[bytes, tuple[tuple[bytes, _HeaderHandler], ...]] = {}
for _prefix, _handler in _HEADER_HANDLERS:
    _HEADERS_BY_START[_prefix[:3]] = (*_HEADERS_BY_START.get(_prefix[:3], ()), (_prefix, _handler))
#: the handlers that say what kind of change a section is (new, deleted, renamed, copied)
_KIND_HANDLERS = frozenset(
    {
        _Parser._deleted_line,
        _Parser._new_file_line,
        _Parser._copy_from_line,
        _Parser._copy_to_line,
        _Parser._rename_from_line,
        _Parser._rename_to_line,
    }
)
