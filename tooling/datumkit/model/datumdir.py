"""A datum directory: which files are SOURCE, which are GENERATED, and how to load one.

Loading goes through a *reader* (relative path -> bytes or None) rather than the filesystem, so the
same code loads a datum from the working tree (generate, check) or straight from git objects at
some revision (review, pre-commit on staged content) without a checkout.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from datumkit.bounded import MAX_FILE_BYTES, read_capped
from datumkit.errors import DatumError, UsageProblem

if TYPE_CHECKING:  # the model (pydantic) is imported when a datum is validated, not before:
    from datumkit.model.datum import Datum  # checks that only read files skip its import cost

DATUMS_DIR = "datums"
DATUM_YAML = "datum.yaml"
PATCH_FILE = "diff.patch"
NOTES_FILE = "notes.md"
TRACE_DIR = "trace"
OVERLAY_DIR = "overlay_files"
LOCK_FILE = "datum.lock"

DATUM_NAME_RE = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?")
#: the rule in words, for every message that refuses a name
DATUM_NAME_RULE = (
    "use lowercase letters, digits, '.', '_' and '-', starting and ending with a "
    "letter or digit, at most 64 characters"
)

#: Files generation owns. Overlay extras declared in datum.yaml are generated too (copies).
GENERATED_FILES = (
    "tb_meta.json",
    "baseline_sha.txt",
    "Dockerfile",
    f"{OVERLAY_DIR}/box_bootstrap.sh",
    f"{OVERLAY_DIR}/tb_meta.json",
    LOCK_FILE,
)


class DatumFiles(Protocol):
    """The files of one datum directory, wherever they are stored (working tree, git objects)."""

    def read(self, relative: str) -> bytes | None:
        """Bytes of the file at `relative` (posix path inside the datum), or None when absent."""

    def list(self, prefix: str = "") -> list[str]:
        """Sorted relative paths of all files whose path starts with `prefix`."""


class UnknownDatum(UsageProblem):
    """The name given on the command line is not a datum of this repository."""


@dataclass(frozen=True)
class DatumDirectory:
    """A datum's files, not validated: all that checks which only read files (secrets) need."""

    name: str
    files: DatumFiles = field(repr=False, compare=False)

    def read(self, relative: str) -> bytes | None:
        return self.files.read(relative)

    @property
    def directory(self) -> str:
        """The datum's directory as users see it in messages: `datums/<name>`."""
        return f"{DATUMS_DIR}/{self.name}"

    def display(self, relative: str) -> str:
        return f"{self.directory}/{relative}"

    @property
    def patch(self) -> bytes | None:
        return self.read(PATCH_FILE)


@dataclass(frozen=True, kw_only=True)
class DatumSource(DatumDirectory):
    """A validated datum and access to its SOURCE files: everything generation and checks need."""

    datum: Datum


def check_datum_name(name: str) -> str:
    """Datum names become directory names, task ids and image tags, so keep them simple."""
    if not is_datum_name(name):
        raise UsageProblem(f"{name!r} is not a valid datum name", hint=DATUM_NAME_RULE)
    return name


def is_datum_name(name: str) -> bool:
    """Whether `name` is a valid datum name (the whole string: a trailing newline is not)."""
    return DATUM_NAME_RE.fullmatch(name) is not None


def load_source(name: str, files: DatumFiles) -> DatumSource:
    """Parse and validate datum.yaml from `files`; raise DatumError/DatumInvalid on problems."""
    display = f"{DATUMS_DIR}/{name}/{DATUM_YAML}"
    text = files.read(DATUM_YAML)
    if text is None:
        raise DatumError("missing", file=display, hint=f"create it with `datum new {name}`")
    from datumkit.model.datum import validate_datum
    from datumkit.model.yamlio import load_plain

    datum = validate_datum(load_plain(text, file=display), name=name, file=display)
    return DatumSource(name=name, datum=datum, files=files)


@dataclass(frozen=True)
class DiskFiles:
    """A datum directory in the working tree; paths that leave it read as absent.

    Paths are plain strings and ``os`` calls, not pathlib: `check --all` reads ~10 files of
    each of 2,000 datums, and pathlib's objects cost more than the system calls.
    """

    directory: Path

    @cached_property
    def _root(self) -> str:
        return os.path.realpath(self.directory)

    def _inside(self, relative: str) -> str | None:
        root = self._root
        parts = relative.split("/")
        if all(part not in ("", ".", "..") for part in parts):
            # Fast path: no component below the root is a symlink, so the path cannot leave
            # it; that costs one lstat per component instead of resolving the whole path.
            current = root
            for part in parts:
                current = f"{current}/{part}"
                if os.path.islink(current):
                    break
            else:
                return current
        path = os.path.realpath(os.path.join(root, relative))
        return path if path == root or path.startswith(root.rstrip("/") + "/") else None

    def read(self, relative: str) -> bytes | None:
        """The file's bytes; TooLarge (before reading) when it is over MAX_FILE_BYTES."""
        path = self._plain_file(relative)
        if path is None:
            path = self._inside(relative)
            if path is None or not os.path.isfile(path):
                return None
        elif not path:
            return None
        return read_capped(path, MAX_FILE_BYTES, display=f"{self._display}/{relative}")

    @cached_property
    def _display(self) -> str:
        """``<datums dir>/<name>``, how errors name the directory (pathlib's parts cost)."""
        return f"{self.directory.parent.name}/{self.directory.name}"

    def _plain_file(self, relative: str) -> str | None:
        """:meth:`_inside`'s fast path and ``isfile`` in one ``lstat`` per component: the path
        of a regular file reached through no symlink, ``""`` when there is no such file there
        (missing, a directory, a FIFO...), ``None`` when a component is a symlink or the path
        is not plain (then the slow way decides)."""
        parts = relative.split("/")
        if any(part in ("", ".", "..") for part in parts):
            return None
        current = self._root
        info = None
        try:
            for part in parts:
                current = f"{current}/{part}"
                info = os.lstat(current)
                if stat.S_ISLNK(info.st_mode):
                    return None
        except OSError:  # missing, or a component is not a directory: no such file
            return ""
        return current if info is not None and stat.S_ISREG(info.st_mode) else ""

    def list(self, prefix: str = "") -> list[str]:
        """Every file (a symlink to one counts; symlinked directories are not entered)."""
        found: list[str] = []
        try:
            _scan(os.fspath(self.directory), "", found)
        except OSError:  # no such directory (or not one): no files, as os.walk had it
            return []
        return sorted(p for p in found if p.startswith(prefix))


def _scan(directory: str, base: str, found: list[str]) -> None:
    """``os.scandir`` walk: what ``os.walk`` + ``os.path.isfile`` found, without a stat per
    plain file (the directory entry's type says it)."""
    with os.scandir(directory) as entries:
        subdirectories = []
        for entry in entries:
            relative = f"{base}{entry.name}"
            try:
                if entry.is_dir():
                    if not entry.is_symlink():
                        subdirectories.append((entry.path, relative))
                elif entry.is_file():
                    found.append(relative)
            except OSError:
                continue
    for path, relative in subdirectories:
        try:
            _scan(path, f"{relative}/", found)
        except OSError:
            continue


def datum_directory(project_root: Path, name: str) -> Path:
    return project_root / DATUMS_DIR / name


def load_from_disk(project_root: Path, name: str) -> DatumSource:
    """Load `datums/<name>/` of the repository at `project_root`."""
    return load_source(name, DiskFiles(require_datum_directory(project_root, name)))


def require_datum_directory(project_root: Path, name: str) -> Path:
    """The directory of datum `name`; UnknownDatum (exit 2) when there is no such datum."""
    check_datum_name(name)
    directory = datum_directory(project_root, name)
    if directory.is_dir() and not (directory / DATUM_YAML).exists():
        raise UnknownDatum(
            f"{DATUMS_DIR}/{name} has no {DATUM_YAML} yet",
            file=f"{DATUMS_DIR}/{name}/{DATUM_YAML}",
            hint=f"run `datum new {name}` to write one; the files already there are kept",
        )
    if not (directory / DATUM_YAML).is_file():
        known = ", ".join(list_datum_names(project_root)[:10]) or "none yet"
        raise UnknownDatum(
            f"no datum named {name!r}",
            file=f"{DATUMS_DIR}/{name}/{DATUM_YAML}",
            hint=f"known datums: {known}; `datum new {name}` creates one",
        )
    return directory


def list_datum_names(project_root: Path) -> list[str]:
    """Names of all datum directories (those holding a datum.yaml), sorted.

    Hidden entries (a leading '.': staging directories of an interrupted import or bundle,
    editor files) are never datums. A directory whose name is not a valid datum name IS listed:
    checks report it as a finding of that entry rather than skipping it silently.
    """
    base = project_root / DATUMS_DIR
    if not base.is_dir():
        return []
    # scandir, not glob: the same directories (symlinks followed, hidden ones included) at a
    # fraction of the cost, which `check --all` pays on every run, cached or not.
    with os.scandir(base) as entries:
        return sorted(
            entry.name
            for entry in entries
            if not entry.name.startswith(".")  # staging and retired directories
            and entry.is_dir()
            and os.path.isfile(os.path.join(entry.path, DATUM_YAML))
        )
