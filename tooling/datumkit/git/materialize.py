"""Writing a tree (baseline or patched) of a datum into a directory, as `git checkout` would.

This is what the Dockerfile checks out, byte for byte: the same tree, limited to the same
non-cone sparse checkout (`git.sparse`), with the same checkout conversions (`git.attributes`:
`.gitattributes` eol/text, ident, working-tree-encoding), symbolic links, and modes (0666 or
0777 less the umask, as git creates files). Only blobs that end up on disk are read, plus the
`.gitattributes` files git consults for them, so a mirror missing a blob outside the sparse
checkout materializes fine, and a missing blob inside it is one error line (exit 3).

The tree is untrusted: entries git refuses (`.`, `..`, `.git`, NTFS/HFS spellings of `.git`,
symlinked `.gitattributes`, duplicate names) are refused, and nothing is ever written through a
symbolic link (files are created with O_NOFOLLOW|O_EXCL inside directories this code made).
Files come from the mirror plus the in-memory objects of the patch; nothing is written to the
mirror. The directory appears complete or not at all (built aside, then renamed into place); a
target that is a symbolic link to an empty directory is filled through the link, which stays.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pygit2

from datumkit.errors import DatumError, OperationFailed, UsageProblem
from datumkit.fsio import staged_directory
from datumkit.git.attributes import Attributes, to_worktree
from datumkit.git.pathsafety import refused_name
from datumkit.git.sparse import SparsePatterns
from datumkit.git.tree import (
    EXECUTABLE_MODE,
    GITLINK_MODE,
    REGULAR_MODE,
    SYMLINK_MODE,
    TREE_MODE,
    TreeEntry,
    read_object,
)

ATTRIBUTES_FILE = ".gitattributes"


@dataclass(frozen=True)
class Materialized:
    directory: Path
    tree_id: str
    files: int
    submodules: tuple[str, ...]


class UnsafeTree(DatumError):
    """The tree holds an entry git refuses to check out."""


def _check_target(directory: Path) -> Path:
    """The directory to fill: new, or empty (through a symbolic link, which is kept)."""
    real = directory.resolve() if directory.is_symlink() else directory
    if real.exists() and (not real.is_dir() or any(real.iterdir())):
        raise UsageProblem(
            f"{directory} exists and is not an empty directory",
            hint="give a new or empty directory; nothing was written",
        )
    return real


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _read(
    repo: pygit2.Repository, objects: Mapping[str, tuple[str, bytes]], oid: str, what: str
) -> bytes:
    try:
        return read_object(repo, objects, oid)[1]
    except (KeyError, ValueError, pygit2.GitError):
        raise OperationFailed(
            f"object {oid} ({what}) is missing from the mirror",
            fetch_fixes="to complete the mirror",
        ) from None


def _entries(
    repo: pygit2.Repository, objects: Mapping[str, tuple[str, bytes]], tree_id: str, where: str
) -> list[tuple[str, TreeEntry]]:
    """The entries of a tree, each name checked as git's verify_path checks it."""
    raw = _read(repo, objects, tree_id, f"tree of {where or 'the top'}")
    entries: list[tuple[str, TreeEntry]] = []
    seen: set[str] = set()
    i = 0
    while i < len(raw):
        space = raw.index(b" ", i)
        nul = raw.index(b"\0", space)
        mode = int(raw[i:space], 8)
        name = raw[space + 1 : nul].decode("utf-8", "surrogateescape")
        oid = raw[nul + 1 : nul + 21].hex()
        i = nul + 21
        path = f"{where}/{name}" if where else name
        why = refused_name(name, symlink=mode == SYMLINK_MODE)
        if why is None and name in seen:
            why = f"the tree names {name!r} twice"
        if why is not None:
            raise UnsafeTree(
                why, file=path, hint="the upstream tree is unsafe to check out; nothing was written"
            )
        seen.add(name)
        entries.append((name, TreeEntry(mode, oid)))
    return entries


def _walk(
    repo: pygit2.Repository,
    objects: Mapping[str, tuple[str, bytes]],
    tree_id: str,
    where: str,
    attributes: Attributes,
) -> Iterator[tuple[str, TreeEntry, Attributes]]:
    """(path, entry) of every file below `tree_id`, reading .gitattributes on the way down."""
    entries = _entries(repo, objects, tree_id, where)
    for name, entry in entries:
        if name == ATTRIBUTES_FILE and entry.mode in (REGULAR_MODE, EXECUTABLE_MODE):
            attributes.add_file(
                where, _read(repo, objects, entry.oid, f"{where}/{name}".lstrip("/"))
            )
    for name, entry in entries:
        path = f"{where}/{name}" if where else name
        if entry.mode == TREE_MODE:
            yield from _walk(repo, objects, entry.oid, path, attributes)
        else:
            yield path, entry, attributes


def _write_file(parent_fd: int, name: str, data: bytes, mode: int) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(name, flags, mode, dir_fd=parent_fd)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


class _Writer:
    """Creates directories and files strictly below `root`, never through a symbolic link."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.fds: dict[str, int] = {"": os.open(root, os.O_RDONLY | os.O_DIRECTORY)}

    def directory(self, relative: str) -> int:
        if relative in self.fds:
            return self.fds[relative]
        parent, _, name = relative.rpartition("/")
        parent_fd = self.directory(parent)
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o777, dir_fd=parent_fd)
        # O_NOFOLLOW: a symbolic link written earlier under this name is never entered
        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent_fd)
        self.fds[relative] = fd
        return fd

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)


def materialize_tree(
    repo: pygit2.Repository,
    tree_id: str,
    directory: Path,
    *,
    objects: Mapping[str, tuple[str, bytes]] | None = None,
    sparse_checkout: Sequence[str] = (),
) -> Materialized:
    """Write the files of `tree_id` (those `sparse_checkout` selects, when given) into
    `directory` as `git checkout` writes them."""
    real = _check_target(directory)
    overlay = objects or {}
    sparse = SparsePatterns.parse(sparse_checkout) if sparse_checkout else None
    umask = _umask()
    count = 0
    submodules = []
    with staged_directory(real, replace=real.exists()) as staging:
        staging.chmod(0o777 & ~umask)
        writer = _Writer(staging)
        try:
            for path, entry, attributes in _walk(repo, overlay, tree_id, "", Attributes()):
                if sparse is not None and not sparse.includes(path):
                    continue
                parent, _, name = path.rpartition("/")
                try:
                    parent_fd = writer.directory(parent)
                    if entry.mode == GITLINK_MODE:
                        os.mkdir(name, 0o777, dir_fd=parent_fd)  # an uninitialised submodule
                        submodules.append(path)
                        continue
                    data = _read(repo, overlay, entry.oid, path)
                    if entry.mode == SYMLINK_MODE:
                        os.symlink(os.fsdecode(data), name, dir_fd=parent_fd)
                    else:
                        data = to_worktree(data, attributes.lookup(path), entry.oid)
                        mode = 0o777 if entry.mode == EXECUTABLE_MODE else 0o666
                        _write_file(parent_fd, name, data, mode & ~umask)
                except OSError as error:
                    raise UnsafeTree(
                        f"cannot be written safely ({error.strerror})",
                        file=path,
                        hint="the upstream tree puts a file under a symbolic link or file; "
                        "nothing was written",
                    ) from None
                count += 1
        finally:
            writer.close()
    return Materialized(directory, tree_id, count, tuple(submodules))


def in_sparse_checkout(path: str, patterns: Iterable[str]) -> bool:
    """Whether a non-cone sparse checkout of `patterns` contains the file `path`."""
    return SparsePatterns.parse(patterns).includes(path)
