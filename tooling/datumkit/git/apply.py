"""Prove, in memory, that a datum's ``diff.patch`` applies to its baseline commit.

The generated Dockerfile runs ``git apply`` inside the container; a datum must never get in if
that would fail. Checking it with a checkout per datum would cost a work tree per check and
would write into the shared mirror, so instead this module reads the baseline tree from the
bare mirror with pygit2, applies the patch to the blobs it touches with git's own rules
(:mod:`datumkit.git.patchparse`, :mod:`datumkit.git.hunkapply`, :mod:`datumkit.git.binary`),
and hashes new trees only along the changed paths (:mod:`datumkit.git.tree`). Nothing is
written to the repository; the new objects are returned in memory so a caller can
materialise the result.

How files of one patch interact follows ``git apply --cached`` on the baseline: renames and
copies read the baseline, other sections read the result of an earlier section for the same
path (a ``format-patch`` series), removals happen before additions (so a type change, written
by git as a deletion plus an addition, works), and an executable-bit mismatch is a warning, not
an error, exactly as in git.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NamedTuple, NoReturn

if TYPE_CHECKING:  # only opened repositories are passed in: importing this costs no pygit2
    import pygit2

from datumkit.git.binary import BinaryPatchError, apply_delta
from datumkit.git.errors import (
    REBASE_HINT,
    BaselineNotFound,
    EmptyPatch,
    MalformedPatch,
    PatchAlreadyApplied,
    PatchDoesNotApply,
    PatchError,
    UnsafePath,
)
from datumkit.git.hunkapply import HunkFailed, HunkFailure, apply_hunks
from datumkit.git.patchparse import (
    ChangeStatus,
    FileChange,
    ParsedFile,
    ParsedHunk,
    ParsedPatch,
    build_frozen,
    encode_path,
    parse_patch,
    parse_patch_once,
)
from datumkit.git.patchstyle import REGENERATE, style_problem
from datumkit.git.revisions import RevisionNotFound, find_commit
from datumkit.git.tree import (
    EXECUTABLE_MODE,
    GITLINK_MODE,
    REGULAR_MODE,
    SYMLINK_MODE,
    TREE_MODE,
    ObjectOverlay,
    TreeConflict,
    TreeEditor,
    TreeFile,
    TreeReader,
    hash_object,
    iter_tree_files,
    read_object,
)

__all__ = [
    "BaselineNotFound",
    "EmptyPatch",
    "FileChange",
    "MalformedPatch",
    "ObjectOverlay",
    "ParsedFile",
    "ParsedHunk",
    "ParsedPatch",
    "PatchAlreadyApplied",
    "PatchDoesNotApply",
    "PatchError",
    "PatchResult",
    "TreeFile",
    "UnsafePath",
    "apply_patch_in_memory",
    "iter_tree_files",
    "parse_patch",
    "read_object",
    "resolve_baseline",
]

_S_IFMT = 0o170000
_NULL_ID = "0" * 40
_GITLINK_TEXT = re.compile(rb"Subproject commit ([0-9a-f]{40})\n?\Z")


@dataclass(frozen=True)
class PatchResult:
    """What applying a patch to a baseline produced.

    ``objects`` holds every blob and tree the apply created that the repository does not
    already have (id -> (type, raw content)); pass it to :func:`iter_tree_files` or
    :func:`read_object` to read the patched tree without writing anything to the mirror.
    ``warnings`` are things ``git apply`` accepts but a reviewer may want to know (an
    executable bit that differs from what the patch expects, a plain-diff binary change
    that git ignores).
    """

    baseline_commit: str
    baseline_tree: str
    patched_tree: str
    files: tuple[FileChange, ...]
    lines_added: int
    lines_removed: int
    objects: Mapping[str, tuple[str, bytes]] = field(repr=False)
    warnings: tuple[str, ...] = ()
    #: the patch as parsed for this apply, so a caller that reads its hunks again (the leaks
    #: check in review) need not parse the same bytes twice; None when not kept
    parsed: ParsedPatch | None = field(default=None, repr=False, compare=False)

    def _paths(self, status: ChangeStatus) -> tuple[str, ...]:
        return tuple(f.path for f in self.files if f.status == status)

    @property
    def added(self) -> tuple[str, ...]:
        """Paths the patch creates."""
        return self._paths("added")

    @property
    def modified(self) -> tuple[str, ...]:
        """Paths the patch changes in place (content or mode)."""
        return self._paths("modified")

    @property
    def deleted(self) -> tuple[str, ...]:
        """Paths the patch removes."""
        return self._paths("deleted")

    @property
    def renamed(self) -> tuple[str, ...]:
        """New paths of renamed files."""
        return self._paths("renamed")

    @property
    def copied(self) -> tuple[str, ...]:
        """New paths of copied files."""
        return self._paths("copied")


def resolve_baseline(repo: pygit2.Repository, baseline: str) -> pygit2.Commit:
    """The commit ``baseline`` names (a SHA, or anything ``git rev-parse`` accepts)."""
    try:
        return find_commit(repo, baseline)
    except RevisionNotFound as missing:
        raise BaselineNotFound(baseline, missing.reason) from None


def apply_patch_in_memory(repo: pygit2.Repository, baseline: str, patch: bytes) -> PatchResult:
    """Apply ``patch`` to the tree of ``baseline`` in memory and return the patched tree.

    ``repo`` is only read (a shared bare mirror is fine; open one :class:`pygit2.Repository`
    per thread, as libgit2 repository handles are not meant to be shared between threads).
    Raises :class:`UnsafePath`, :class:`MalformedPatch`, :class:`EmptyPatch`,
    :class:`BaselineNotFound`, :class:`PatchAlreadyApplied` or :class:`PatchDoesNotApply`.
    """
    try:
        return _apply(repo, baseline, patch)
    except (MalformedPatch, PatchDoesNotApply) as error:
        cause = style_problem(patch)
        if cause is None:
            raise
        error.message = f"{cause}; {error.message}"
        error.hint = REGENERATE
        raise


def _apply(repo: pygit2.Repository, baseline: str, patch: bytes) -> PatchResult:
    parsed = parse_patch_once(patch)
    if not parsed.files:
        raise EmptyPatch()
    commit = resolve_baseline(repo, baseline)
    reader = TreeReader(repo)
    root = str(commit.tree_id)
    try:
        session = _Session(reader, root).run(parsed.files)
    except PatchDoesNotApply as failure:
        if _reverse_applies(reader, root, parsed):
            raise PatchAlreadyApplied(failure.path, failure.hunk_header) from None
        raise
    patched_tree, objects = _build_tree(reader, root, session.applied)
    files = tuple(a.change for a in session.applied)
    return PatchResult(
        baseline_commit=str(commit.id),
        baseline_tree=root,
        patched_tree=patched_tree,
        files=files,
        lines_added=sum(f.lines_added for f in files),
        lines_removed=sum(f.lines_removed for f in files),
        objects=objects,
        warnings=parsed.warnings + tuple(session.warnings),
        parsed=parsed,
    )


def _reverse_applies(reader: TreeReader, root: str, parsed: ParsedPatch) -> bool:
    """Whether ``git apply -R`` would succeed, i.e. the baseline already has the change."""
    try:
        _Session(reader, root).run(parsed.reversed().files)
    except PatchError:
        return False
    return True


def _build_tree(
    reader: TreeReader, root: str, applied: list[_Applied]
) -> tuple[str, Mapping[str, tuple[str, bytes]]]:
    """Removals first, then writes in patch order, as ``write_out_results`` does."""
    editor = TreeEditor(reader, root)
    for item in applied:
        if item.change.status in ("deleted", "renamed"):
            # A section may delete what an earlier section created; git tolerates that too.
            editor.remove(encode_path(item.old_path), missing_ok=True)
    for item in applied:
        if item.result is None:
            continue
        try:
            editor.write(encode_path(item.change.path), item.result.mode, _store(editor, item))
        except TreeConflict as conflict:
            _fail(item.change.path, f"cannot create it: {conflict.path!r} {conflict.reason}")
    tree = editor.finish()
    return tree, _NewObjects(reader, editor.objects)


class _NewObjects(Mapping[str, tuple[str, bytes]]):
    """The objects an apply made, less those the repository already has, found on first use.

    Asking the object database about an object it lacks makes libgit2 rescan the pack
    directory (tens of microseconds each), and proving that a patch applies never reads these
    objects; only a caller that materialises the tree pays for the filter.
    """

    def __init__(self, reader: TreeReader, made: dict[str, tuple[str, bytes]]) -> None:
        self._reader = reader
        self._made: dict[str, tuple[str, bytes]] | None = made
        self._new: dict[str, tuple[str, bytes]] = {}

    def _filtered(self) -> dict[str, tuple[str, bytes]]:
        if self._made is not None:
            has = self._reader.has
            self._new = {oid: obj for oid, obj in self._made.items() if not has(oid)}
            self._made = None
        return self._new

    def __getitem__(self, oid: str) -> tuple[str, bytes]:
        return self._filtered()[oid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._filtered())

    def __len__(self) -> int:
        return len(self._filtered())


def _store(editor: TreeEditor, item: _Applied) -> str:
    result = item.result
    assert result is not None
    if result.data is None:  # content unchanged and never read: only a known id gets here
        assert result.oid is not None
        return result.oid
    if result.mode == GITLINK_MODE:
        match = _GITLINK_TEXT.match(result.data)
        if match is None:
            _fail(item.change.path, "submodule patch does not leave 'Subproject commit <id>'")
        return match[1].decode()
    return result.oid if result.oid is not None else editor.add_blob(result.data)


# --------------------------------------------------------------------------- per-file logic


class _Blob(NamedTuple):
    """A file's state: mode and content; ``oid`` is known when the content is unchanged.

    ``data`` is ``None`` while the content has not been read: a section that does not change
    the content (a rename, a mode change) needs only the id, and a deletion whose hunk hashes
    to the baseline's id needs nothing more (:meth:`_Session._content` reads on demand).
    Named tuples (not frozen dataclasses) for this and :class:`_Applied`: one is made per file
    of a patch, and a tuple is built in C.
    """

    mode: int
    data: bytes | None
    oid: str | None = None


class _Mark(enum.Enum):
    """git's fn_table markers for a path that a patch section deletes or renames away."""

    TO_BE_DELETED = enum.auto()
    WAS_DELETED = enum.auto()


class _Applied(NamedTuple):
    change: FileChange
    old_path: str
    result: _Blob | None


class _Session:
    """Applies the sections of one patch in order, like ``check_patch_list`` in git."""

    def __init__(self, reader: TreeReader, root: str) -> None:
        self.reader = reader
        self.root = root
        self.applied: list[_Applied] = []
        self.warnings: list[str] = []
        #: git's fn_table: what earlier sections left at a path, or that a section removes it
        self.table: dict[str, _Blob | _Mark] = {}

    def run(self, files: tuple[ParsedFile, ...]) -> _Session:
        """Apply every section; raises :class:`PatchDoesNotApply` at the first that fails."""
        for parsed in files:
            if parsed.status in ("deleted", "renamed") and parsed.old_path is not None:
                self.table[parsed.old_path] = _Mark.TO_BE_DELETED
        for parsed in files:
            self._apply(parsed)
        return self

    def _apply(self, parsed: ParsedFile) -> None:
        old = None if parsed.status == "added" else self._preimage(parsed)
        if old is None and parsed.status != "added":
            parsed = replace(parsed, status="added", old_path=None)  # plain diff creating a file
        if parsed.status in ("added", "renamed", "copied"):
            self._check_create(parsed)
        if old is not None:
            self._check_old_mode(parsed, old)
        new_mode = self._new_mode(parsed, old)
        data = self._content(parsed, old)
        if parsed.status == "deleted" and data:
            _fail(
                parsed.path,
                "the deleted file has more content in the baseline than the patch removes",
            )
        result = None
        if new_mode is not None:
            unchanged = old is not None and not parsed.hunks and not parsed.binary
            result = _Blob(new_mode, data, old.oid if unchanged and old is not None else None)
        self._record(parsed, old, result)

    def _record(self, parsed: ParsedFile, old: _Blob | None, result: _Blob | None) -> None:
        old_path = parsed.old_path if parsed.old_path is not None else parsed.path
        if result is not None:
            self.table[parsed.path] = result
        if parsed.status in ("deleted", "renamed"):
            self.table[old_path] = _Mark.WAS_DELETED
        moved = parsed.status in ("renamed", "copied")
        change = build_frozen(
            FileChange,
            status=parsed.status,
            path=parsed.path,
            old_path=parsed.old_path if moved else None,
            old_mode=None if old is None else old.mode,
            new_mode=None if result is None else result.mode,
            binary=parsed.binary,
            lines_added=parsed.lines_added,
            lines_removed=parsed.lines_removed,
        )
        self.applied.append(_Applied(change, old_path, result))

    def _preimage(self, parsed: ParsedFile) -> _Blob | None:
        """The content a section starts from; ``None`` only for a plain diff creating a file."""
        path = parsed.old_path
        assert path is not None
        if parsed.status not in ("renamed", "copied"):  # git: renames/copies read the baseline
            previous = self.table.get(path)
            if previous is _Mark.WAS_DELETED:
                _fail(path, "an earlier section of this patch already deleted or renamed it")
            if isinstance(previous, _Blob):
                return previous
        entry = self.reader.lookup(self.root, encode_path(path))
        if entry is None:
            if parsed.create_if_missing:
                return None
            _fail(path, f"the file to {_verb(parsed.status)} is missing in the baseline")
        if entry.mode == TREE_MODE:
            _fail(path, f"the file to {_verb(parsed.status)} is a directory in the baseline")
        if entry.mode == GITLINK_MODE:
            return _Blob(entry.mode, b"Subproject commit %s\n" % entry.oid.encode(), entry.oid)
        return _Blob(entry.mode, None, entry.oid)  # read when the content is needed

    def _check_create(self, parsed: ParsedFile) -> None:
        path = parsed.path
        if self.table.get(path) in (_Mark.TO_BE_DELETED, _Mark.WAS_DELETED):
            return  # a section of this patch removes it first (a type change, a swap)
        entry = self.reader.lookup(self.root, encode_path(path))
        if entry is not None and entry.mode != TREE_MODE:
            _fail(path, f"the file to {_verb(parsed.status)} already exists in the baseline")

    def _check_old_mode(self, parsed: ParsedFile, old: _Blob) -> None:
        stated = parsed.old_mode
        if stated is None:
            return
        path = parsed.old_path or parsed.path
        if (stated ^ old.mode) & _S_IFMT:
            _fail(
                path, f"the baseline has a {_kind(old.mode)}, the patch expects a {_kind(stated)}"
            )
        if stated != old.mode:
            self.warnings.append(
                f"{path}: mode is {old.mode:o} in the baseline, the patch expects {stated:o} "
                "(git apply only warns)"
            )

    def _new_mode(self, parsed: ParsedFile, old: _Blob | None) -> int | None:
        """git's rule: a stated new mode, else the current mode, else 100644 for a new file."""
        if parsed.status == "deleted":
            return None
        mode = parsed.new_mode
        if mode is None:
            mode = REGULAR_MODE if old is None else old.mode
        if old is not None and ((parsed.old_mode or old.mode) ^ mode) & _S_IFMT:
            _fail(
                parsed.path,
                f"one section cannot turn a {_kind(parsed.old_mode or old.mode)} into a "
                f"{_kind(mode)} (git writes that as a deletion and an addition)",
                hint="regenerate the patch with `git diff --binary BASELINE HEAD`",
            )
        return _canonical_mode(mode)

    def _content(self, parsed: ParsedFile, old: _Blob | None) -> bytes | None:
        """The section's result; ``None`` for content left as it is and never read."""
        if old is None:
            base = b""
        elif old.data is not None:
            base = old.data
        elif not parsed.hunks and not parsed.binary and parsed.status != "deleted":
            return None  # unchanged: the id is all the tree needs
        elif parsed.status == "deleted" and _deletes_exactly(parsed.hunks, old.oid):
            return b""
        else:
            assert old.oid is not None
            base = self.reader.blob(old.oid)
        if parsed.binary:
            return _apply_binary(parsed, old, base)
        if not parsed.hunks:
            return base
        try:
            return apply_hunks(base, parsed.hunks)
        except HunkFailed as failed:
            raise _hunk_error(parsed.old_path or parsed.path, failed.failure) from None


def _deletes_exactly(hunks: tuple[ParsedHunk, ...], oid: str | None) -> bool:
    """Whether one hunk removes exactly the blob ``oid``, proven by hashing what it removes.

    git accepts a deletion when its hunk, anchored at both ends of the file, matches the whole
    content; content with the same object id is that content, so the baseline blob need not be
    read (for a deleted file of megabytes that is most of the check). Anything else (a marker,
    several hunks, another id) returns False and the blob is read and compared as usual.
    """
    if len(hunks) != 1 or hunks[0].old_start > 1 or oid is None:
        return False
    sides = hunks[0].sides()
    return sides is not None and not sides[1] and hash_object("blob", sides[0]) == oid


def _apply_binary(parsed: ParsedFile, old: _Blob | None, base: bytes) -> bytes:
    """git's ``apply_binary``: check the preimage id, decode, check the postimage id."""
    path = parsed.path
    regenerate = "regenerate the patch with `git diff --binary BASELINE HEAD`"
    hunk = parsed.forward_binary
    if hunk is None:
        _fail(path, "binary change without data ('Binary files ... differ')", hint=regenerate)
    if not (_is_full_id(parsed.old_id) and _is_full_id(parsed.new_id)):
        _fail(path, "binary patch without full object ids on its index line", hint=regenerate)
    assert parsed.old_id is not None and parsed.new_id is not None
    if old is not None:
        actual = old.oid if old.oid is not None and old.mode != GITLINK_MODE else None
        actual = actual or hash_object("blob", base)
        if actual != parsed.old_id:
            _fail(
                path,
                f"the baseline file is blob {actual[:12]} but the patch was made against "
                f"{parsed.old_id[:12]}",
                expected=parsed.old_id,
                actual=actual,
            )
    if parsed.new_id == _NULL_ID:
        return b""
    try:
        data = hunk.data if hunk.method == "literal" else apply_delta(base, hunk.data)
    except BinaryPatchError as exc:
        _fail(path, f"binary delta does not apply: {exc}")
    made = hash_object("blob", data)
    if made != parsed.new_id:
        _fail(path, f"binary patch makes blob {made[:12]}, not the promised {parsed.new_id[:12]}")
    return data


# --------------------------------------------------------------------------- messages


def _fail(
    path: str,
    reason: str,
    *,
    hint: str = REBASE_HINT,
    expected: str | None = None,
    actual: str | None = None,
) -> NoReturn:
    raise PatchDoesNotApply(path, reason, expected=expected, actual=actual, hint=hint)


def _hunk_error(path: str, failure: HunkFailure) -> PatchDoesNotApply:
    """One line saying which baseline line differs from what the hunk expects."""
    n = failure.line_no or 1
    expected, actual = failure.expected, failure.actual
    wanted = "" if expected is None else _show(expected)
    found = "" if actual is None else _show(actual)
    reason = {
        "mismatch": f"line {n} expected {wanted} but baseline has {found}",
        "file-ends": f"line {n} expected {wanted} but the baseline file ends at line {n - 1}",
        "overlap": f"line {n} was already changed by the previous hunk",
        "not-at-end": f"the hunk ends the file but baseline line {n} is {found}",
        "not-at-start": "the hunk must apply at the top of the file",
    }[failure.kind]
    return PatchDoesNotApply(
        path,
        reason,
        hunk_header=failure.hunk.header,
        line_no=failure.line_no,
        expected=None if expected is None else _text(expected),
        actual=None if actual is None else _text(actual),
    )


def _text(line: bytes) -> str:
    text = line.decode("utf-8", "backslashreplace")
    return text[:-1] if text.endswith("\n") else text


def _show(line: bytes) -> str:
    """A line quoted for a message, with a missing final newline made visible."""
    text = _text(line)
    shown = repr(text if len(text) <= 80 else text[:77] + "...")
    return shown if line.endswith(b"\n") else f"{shown} (no newline at end of file)"


def _verb(status: ChangeStatus) -> str:
    return {
        "added": "add",
        "modified": "modify",
        "deleted": "delete",
        "renamed": "rename",
        "copied": "copy",
    }[status]


def _kind(mode: int) -> str:
    kinds = {SYMLINK_MODE & _S_IFMT: "symlink", GITLINK_MODE & _S_IFMT: "submodule"}
    return kinds.get(mode & _S_IFMT, "regular file")


def _canonical_mode(mode: int) -> int:
    """git's ``create_ce_mode``: only 644, 755, symlink and gitlink exist in a tree."""
    kind = mode & _S_IFMT
    if kind == SYMLINK_MODE:
        return SYMLINK_MODE
    if kind in (TREE_MODE, GITLINK_MODE):
        return GITLINK_MODE
    return EXECUTABLE_MODE if mode & 0o100 else REGULAR_MODE


def _is_full_id(oid: str | None) -> bool:
    return oid is not None and len(oid) == 40
