"""Git trees in memory: read them from a repository, edit a few paths, hash the result.

The mirror a patch is checked against is shared and must never be written to, so new blobs and
trees live in an *overlay* (``object id -> (type, raw content)``) that is consulted before the
repository. Only the directories along changed paths are read and rehashed, which keeps the
cost of a check proportional to the patch rather than to the repository. Object ids are SHA-1,
computed the way git does (``"<type> <size>\\0" + content``).
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # pygit2 is imported by whoever opens a repository (see git/mirrors.py)
    import pygit2

from datumkit.git.patchparse import decode_path

TREE_MODE = 0o040000
REGULAR_MODE = 0o100644
EXECUTABLE_MODE = 0o100755
SYMLINK_MODE = 0o120000
GITLINK_MODE = 0o160000
EMPTY_TREE_ID = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

_TREE_ENTRY = re.compile(rb"([0-7]+) ([^\0]*)\0(.{20})", re.DOTALL)

#: New objects kept out of the repository: id -> ("blob" | "tree", raw content).
ObjectOverlay = Mapping[str, tuple[str, bytes]]

#: libgit2's git_object_t numbers (pygit2.GIT_OBJECT_*, fixed by git's pack format), written
#: out so that reading a PatchResult, or a module that only names repositories, never imports
#: pygit2 (~80 ms of the pre-commit hook; tests/test_hook_process.py checks the numbers)
_TYPE_NAMES = {3: "blob", 2: "tree", 1: "commit", 4: "tag"}
_TREE_TYPE = 2


class TreeEntry(NamedTuple):
    """One entry of a git tree: its mode and the id of the object it names."""

    mode: int
    oid: str


class TreeFile(NamedTuple):
    """A file of a tree as ``datum materialize`` writes it.

    ``mode`` is ``0o100644``, ``0o100755``, ``0o120000`` (``data`` is the link target) or
    ``0o160000`` for a submodule (``data`` is the commit id in ASCII; git checks out an empty
    directory there).
    """

    path: str
    mode: int
    data: bytes


class TreeConflict(Exception):
    """A file and a directory would share a path (git apply fails the same way)."""

    def __init__(self, path: bytes, reason: str) -> None:
        super().__init__(reason)
        self.path = decode_path(path)
        self.reason = reason


def hash_object(kind: str, data: bytes | bytearray) -> str:
    """The git object id of ``data`` stored as ``kind`` ("blob" or "tree")."""
    digest = hashlib.sha1(f"{kind} {len(data)}\0".encode(), usedforsecurity=False)
    digest.update(data)  # no header + data copy of a large file
    return digest.hexdigest()


def parse_tree(raw: bytes) -> dict[bytes, TreeEntry]:
    """The entries of a raw tree object, in stored (git) order.

    One regex pass splits the entries in C (``<octal mode> <name>\\0<20-byte id>``, back to
    back); a tree whose bytes do not parse whole is refused rather than half-read.
    """
    found = _TREE_ENTRY.findall(raw)
    if sum(len(mode) + len(name) + 22 for mode, name, _ in found) != len(raw):
        raise ValueError("corrupt tree object")
    return {name: TreeEntry(int(mode, 8), oid.hex()) for mode, name, oid in found}


def serialize_tree(entries: Mapping[bytes, TreeEntry]) -> bytes:
    """A raw tree object; git sorts a directory as if its name ended with '/'."""

    def key(item: tuple[bytes, TreeEntry]) -> bytes:
        name, entry = item
        return name + b"/" if entry.mode == TREE_MODE else name

    return b"".join(
        b"%o %s\0" % (entry.mode, name) + bytes.fromhex(entry.oid)
        for name, entry in sorted(entries.items(), key=key)
    )


def read_object(repo: pygit2.Repository, objects: ObjectOverlay, oid: str) -> tuple[str, bytes]:
    """``(type, raw content)`` of ``oid``, from the overlay first, then from the repository."""
    found = objects.get(oid)
    if found is not None:
        return found
    kind, data = repo.odb.read(oid)
    return _TYPE_NAMES[kind], data


def iter_tree_files(
    repo: pygit2.Repository, tree_id: str, objects: ObjectOverlay | None = None
) -> Iterator[TreeFile]:
    """Every file under ``tree_id`` (depth first, git order), reading the overlay first.

    This is how a caller materialises a patched tree without the patch's new objects ever
    being written to the mirror.
    """
    yield from _walk(repo, objects or {}, tree_id, b"")


def _walk(
    repo: pygit2.Repository, objects: ObjectOverlay, tree_id: str, prefix: bytes
) -> Iterator[TreeFile]:
    kind, raw = read_object(repo, objects, tree_id)
    if kind != "tree":
        raise ValueError(f"{tree_id} is a {kind}, not a tree")
    for name, entry in parse_tree(raw).items():
        path = prefix + name
        if entry.mode == TREE_MODE:
            yield from _walk(repo, objects, entry.oid, path + b"/")
        elif entry.mode == GITLINK_MODE:
            yield TreeFile(decode_path(path), entry.mode, entry.oid.encode())
        else:
            yield TreeFile(decode_path(path), entry.mode, read_object(repo, objects, entry.oid)[1])


class TreeReader:
    """Reads trees and blobs of one repository, each tree object once.

    A lookup finds one name in the raw tree (:func:`locate_entry`) instead of parsing every
    entry: a patch touches a few names in directories of dozens or hundreds.
    """

    def __init__(self, repo: pygit2.Repository) -> None:
        self.repo = repo
        #: the object database's reader, looked up once (``repo.odb`` makes a new object)
        self._read = repo.odb.read
        self._trees: dict[str, RawTree] = {}
        #: (root tree, directory path) -> the directory's tree id, or None if it is not one
        self._dirs: dict[tuple[str, bytes], str | None] = {}

    def tree(self, tree_id: str) -> RawTree:
        """A tree object, read once."""
        cached = self._trees.get(tree_id)
        if cached is None:
            kind, raw = self._read(tree_id)
            if kind != _TREE_TYPE:
                raise ValueError(f"{tree_id} is a {_TYPE_NAMES[kind]}, not a tree")
            cached = self._trees[tree_id] = RawTree(raw)
        return cached

    def lookup(self, root_id: str, path: bytes) -> TreeEntry | None:
        """The entry at ``path`` under the tree ``root_id``, or ``None``.

        Files of one patch share directories, so each directory is walked to once.
        """
        slash = path.rfind(b"/")
        if slash < 0:
            found = self.tree(root_id).locate(path)
            return None if found is None else found[2]
        key = (root_id, path[:slash])
        tree = self._dirs.get(key, False)
        if tree is False:
            tree = self._dirs[key] = self._directory(root_id, path[:slash])
        if tree is None:
            return None
        found = self.tree(tree).locate(path[slash + 1 :])  # type: ignore[arg-type]
        return None if found is None else found[2]

    def _directory(self, root_id: str, path: bytes) -> str | None:
        tree = root_id
        for part in path.split(b"/"):
            found = self.tree(tree).locate(part)
            if found is None or found[2].mode != TREE_MODE:
                return None
            tree = found[2].oid
        return tree

    def blob(self, oid: str) -> bytes:
        """The content of a blob."""
        return self._read(oid)[1]

    def has(self, oid: str) -> bool:
        """Whether the repository already stores ``oid``."""
        return bool(self.repo.odb.exists(oid))


#: complete entries from the start of a raw tree; parsing from the start is unambiguous
_WHOLE_ENTRIES = re.compile(rb"(?:[0-7]+ [^\0]*\0.{20})*", re.DOTALL)


def locate_entry(raw: bytes, name: bytes) -> Located | None:
    """Start and end offset and the entry of ``name`` in the raw tree ``raw``, or ``None``.

    ``" name\\0"`` is searched in C; a hit counts only if the bytes before it parse as whole
    entries followed by a mode (checked by one regex pass, in C), since the same bytes can
    occur inside another entry's name or object id.
    """
    needle = b" " + name + b"\0"
    at = raw.find(needle)
    while at >= 0:
        whole = _WHOLE_ENTRIES.match(raw, 0, at)
        start = 0 if whole is None else whole.end()
        mode = raw[start:at]
        end = at + len(needle) + 20
        if mode and not mode.translate(None, b"01234567") and end <= len(raw):
            return start, end, TreeEntry(int(mode, 8), raw[end - 20 : end].hex())
        at = raw.find(needle, at + 1)
    return None


Located = tuple[int, int, TreeEntry]

#: distinct names looked up in one tree before it is indexed whole
_INDEX_AFTER = 12


class RawTree:
    """A raw tree object and the names found in it so far.

    A few lookups use :func:`locate_entry`; a tree asked for many names (a patch touching a
    whole directory) is indexed once instead.
    """

    __slots__ = ("_found", "_indexed", "raw")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self._found: dict[bytes, Located | None] = {}
        self._indexed = False

    def locate(self, name: bytes) -> Located | None:
        """Start and end offset and the entry of ``name``, or ``None``."""
        found = self._found.get(name, False)
        if found is not False:
            return found  # type: ignore[return-value]
        if self._indexed:
            return None
        if len(self._found) < _INDEX_AFTER:
            found = self._found[name] = locate_entry(self.raw, name)
            return found
        self._found = {
            match[2]: (match.start(), match.end(), TreeEntry(int(match[1], 8), match[3].hex()))
            for match in _TREE_ENTRY.finditer(self.raw)
        }
        self._indexed = True
        return self._found.get(name)


def _sort_key(name: bytes, mode: int) -> bytes:
    """git orders a tree as if a directory's name ended with '/'."""
    return name + b"/" if mode == TREE_MODE else name


def _insertion_point(raw: bytes, key: bytes) -> int:
    """The offset in ``raw`` where an entry with sort key ``key`` belongs.

    The entries are split in C (one ``findall``) and the place found by bisection over their
    sort keys; the offset is the length of the entries before it (each is its mode, a space,
    its name, a NUL and 20 bytes of id), so no match object is made per entry.
    """
    entries = _TREE_ENTRY.findall(raw)
    keys = [_sort_key(name, int(mode, 8)) for mode, name, _ in entries]
    before = bisect.bisect_right(keys, key)
    return sum(len(mode) + len(name) + 22 for mode, name, _ in entries[:before])


def _entry_bytes(name: bytes, entry: TreeEntry) -> bytes:
    return b"%o %s\0" % (entry.mode, name) + bytes.fromhex(entry.oid)


class _Dir:
    """A directory being edited: its original raw tree and the names changed in it.

    ``changes`` maps a name to its new entry, to the :class:`_Dir` being edited below it, or
    to ``None`` once removed; every other name is as in ``raw``. Writing the new tree splices
    the changed entries into ``raw``, so the untouched entries are never parsed.
    """

    def __init__(self, oid: str | None, tree: RawTree) -> None:
        self.oid = oid
        self.tree = tree
        self.changes: dict[bytes, TreeEntry | _Dir | None] = {}
        self.dirty = oid is None

    def get(self, name: bytes) -> TreeEntry | _Dir | None:
        if name in self.changes:
            return self.changes[name]
        found = self.tree.locate(name)
        return None if found is None else found[2]

    def is_empty(self) -> bool:
        """Whether no file is left below (git drops such a directory)."""
        for match in _TREE_ENTRY.finditer(self.tree.raw):
            if match[2] not in self.changes:
                return False
        return all(
            child is None or (isinstance(child, _Dir) and child.is_empty())
            for child in self.changes.values()
        )


class TreeEditor:
    """Removes and writes paths in a tree and hashes only the directories that changed.

    Like git, a directory left without entries disappears, and a path cannot be both a file and
    a directory: writing ``a/b`` where ``a`` is a file, or ``a`` where the directory ``a`` still
    has files, raises :class:`TreeConflict`.
    """

    def __init__(self, reader: TreeReader, root_id: str) -> None:
        self.reader = reader
        self.root = _Dir(root_id, reader.tree(root_id))
        self.objects: dict[str, tuple[str, bytes]] = {}

    def remove(self, path: bytes, *, missing_ok: bool = False) -> None:
        """Remove the file at ``path``; a missing path is an error unless ``missing_ok``."""
        *dirs, name = path.split(b"/")
        chain = self._descend(dirs, create=False)
        if chain is None or chain[-1].get(name) is None:
            if missing_ok:
                return
            raise TreeConflict(path, "is not in the tree")
        chain[-1].changes[name] = None
        self._touch(chain)

    def write(self, path: bytes, mode: int, oid: str) -> None:
        """Make ``path`` a file (or symlink, or gitlink) with the given object."""
        *dirs, name = path.split(b"/")
        chain = self._descend(dirs, create=True)
        assert chain is not None
        parent = chain[-1]
        existing = parent.get(name)
        if isinstance(existing, TreeEntry) and existing.mode == TREE_MODE:
            existing = _Dir(existing.oid, self.reader.tree(existing.oid))
        if isinstance(existing, _Dir) and not existing.is_empty():
            raise TreeConflict(path, "is a directory in the baseline")
        parent.changes[name] = TreeEntry(mode, oid)
        self._touch(chain)

    def add_blob(self, data: bytes) -> str:
        """Hash ``data`` as a blob, keep it in the overlay, return its id."""
        oid = hash_object("blob", data)
        self.objects[oid] = ("blob", data)
        return oid

    def finish(self) -> str:
        """Hash the changed directories and return the new root tree id."""
        return self._store(self.root) or self._store_raw(b"")

    def _descend(self, dirs: list[bytes], *, create: bool) -> list[_Dir] | None:
        chain = [self.root]
        for depth, part in enumerate(dirs):
            node = chain[-1]
            child = node.get(part)
            if isinstance(child, TreeEntry) and child.mode == TREE_MODE:
                child = node.changes[part] = _Dir(child.oid, self.reader.tree(child.oid))
            elif isinstance(child, TreeEntry):
                if not create:
                    return None
                raise TreeConflict(
                    b"/".join(dirs[: depth + 1]), "is a file in the baseline, not a directory"
                )
            elif child is None:
                if not create:
                    return None
                child = node.changes[part] = _Dir(None, RawTree(b""))
            chain.append(child)
        return chain

    @staticmethod
    def _touch(chain: list[_Dir]) -> None:
        for node in chain:
            node.dirty = True

    def _store(self, node: _Dir) -> str | None:
        if not node.dirty:
            return node.oid
        raw = node.tree.raw
        edits: list[tuple[int, bytes, int, bytes]] = []  # (offset, sort key, end, new bytes)
        for name, child in node.changes.items():
            if isinstance(child, _Dir):
                if not child.dirty:
                    continue
                oid = self._store(child)
                entry = None if oid is None else TreeEntry(TREE_MODE, oid)
            else:
                entry = child
            found = node.tree.locate(name) if raw else None
            if found is not None:
                start, end, old = found
                if entry is not None and (old.mode == TREE_MODE) == (entry.mode == TREE_MODE):
                    edits.append(
                        (start, _sort_key(name, entry.mode), end, _entry_bytes(name, entry))
                    )
                    continue
                edits.append((start, _sort_key(name, old.mode), end, b""))
            if entry is not None:
                key = _sort_key(name, entry.mode)
                at = _insertion_point(raw, key)
                edits.append((at, key, at, _entry_bytes(name, entry)))
        edits.sort()
        pieces = []
        cursor = 0
        for start, _, end, data in edits:
            pieces.append(raw[cursor:start])
            pieces.append(data)
            cursor = end
        pieces.append(raw[cursor:])
        new = b"".join(pieces)
        return self._store_raw(new) if new else None

    def _store_raw(self, raw: bytes) -> str:
        oid = hash_object("tree", raw)
        self.objects[oid] = ("tree", raw)
        return oid
