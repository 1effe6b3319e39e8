"""Fingerprints for the check cache: what a datum's result depends on, hashed cheaply.

A datum's files are fingerprinted without reading them when git already knows them: ``git
ls-files -s`` gives the blob id of every tracked file and ``git diff-files`` (git's own stat
check, racy timestamps included) names the files that differ from those blobs; only those, and
untracked files (ignored ones too), are read and hashed here; each tracked file also adds its
nanosecond ctime (git's stat check works in whole seconds). Outside a git repository, or with
``core.fileMode`` off (git would not see an executable bit change), every file is read. Files a
check reads outside the datum (the research-bench eval config and its template) are hashed too.

The tool's fingerprint covers every file of the installed datumkit package (a check's own code
and templates are its version) and the versions of the libraries checks lean on; the project's
covers ``pyproject.toml``, the mirror locations and the checks asked for.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from datumkit import __version__
from datumkit.model.datumdir import DATUMS_DIR
from datumkit.model.project import Project

#: bump when what goes into a fingerprint changes
FINGERPRINT_FORMAT = 2
_LIBRARIES = ("pydantic", "pygit2", "detect-secrets", "ruamel.yaml", "dulwich")
_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_DATUMS = DATUMS_DIR.encode()


def tool_fingerprint() -> str:
    """Hash of every file of the datumkit package and of the libraries' versions."""
    digest = hashlib.sha256(f"datumkit {__version__} fingerprint {FINGERPRINT_FORMAT}\n".encode())
    for path in sorted(_PACKAGE_DIR.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        digest.update(path.relative_to(_PACKAGE_DIR).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for library in _LIBRARIES:
        try:
            version = metadata.version(library)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{library}=={version}\n".encode())
    return digest.hexdigest()


def project_fingerprint(project: Project, only: Sequence[str] | None) -> str:
    """Hash of what outside the datum directory shapes its result, for this selection."""
    digest = hashlib.sha256(tool_fingerprint().encode())
    digest.update(str(project.root.resolve()).encode() + b"\0")
    digest.update(str(project.cache_dir or "").encode() + b"\0")
    digest.update(os.environ.get("DATUMKIT_CACHE", "").encode() + b"\0")
    digest.update(",".join(sorted(only)).encode() if only is not None else b"*all*")
    pyproject = project.root / "pyproject.toml"
    digest.update(pyproject.read_bytes() if pyproject.is_file() else b"\0no pyproject\0")
    return digest.hexdigest()


def git_output(root: Path, *args: str) -> bytes | None:
    """Output of a read-only git command in ``root``, or ``None`` when git cannot answer."""
    return _git_all(root, [list(args)])[0]


def _git_all(root: Path, commands: Sequence[Sequence[str]]) -> list[bytes | None]:
    """Several read-only git commands run side by side (each waits mostly on the disk)."""
    return _GitRun(root, commands).outputs()


class _GitRun:
    """Read-only git commands started now and collected later, so the caller can work (stat
    the datums' files) while git lists the index. Output goes to temporary files, not pipes:
    a full pipe would stop git until the caller reads it."""

    def __init__(self, root: Path, commands: Sequence[Sequence[str]]) -> None:
        import tempfile

        env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # never write the index
        self.started: list[tuple[subprocess.Popen[bytes], Any] | None] = []
        for args in commands:
            output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by outputs()
            try:
                process = subprocess.Popen(
                    ["git", "-C", str(root), *args],
                    stdout=output,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
            except OSError:
                output.close()
                self.started.append(None)
                continue
            self.started.append((process, output))

    def outputs(self) -> list[bytes | None]:
        """Each command's output, ``None`` where it failed."""
        found: list[bytes | None] = []
        for started in self.started:
            if started is None:
                found.append(None)
                continue
            process, output = started
            with output:
                process.wait()
                output.seek(0)
                found.append(output.read() if process.returncode == 0 else None)
        return found


@dataclass
class _GitListing:
    """What git knows about ``datums/``: blob ids of clean files, names of the others."""

    known: dict[str, list[bytes]] = field(default_factory=dict)  # name -> "path mode oid" lines
    unknown: dict[str, list[str]] = field(default_factory=dict)  # name -> paths to hash


def _datum_of(path: str) -> str | None:
    parts = path.split("/", 2)
    return parts[1] if len(parts) == 3 and parts[0] == DATUMS_DIR else None


#: up to this many datums are listed by name (literal pathspecs), more as all of datums/
_LIST_BY_NAME = 64


def start_listing(root: Path, names: Sequence[str]) -> _GitRun:
    """Start listing what git knows of ``names`` (finish with :func:`datum_fingerprints`).

    A few datums (those re-keyed after their check) are listed by name, so their keys do not
    cost a listing of the whole repository.
    """
    paths = [DATUMS_DIR]
    if len(names) <= _LIST_BY_NAME:
        paths = [f":(literal){DATUMS_DIR}/{name}/" for name in names]
    return _GitRun(
        root,
        [
            ["config", "--bool", "core.fileMode"],
            ["ls-files", "-s", "-z", "--", *paths],
            ["diff-files", "--name-only", "-z", "--relative", "--", *paths],
            ["ls-files", "-o", "-z", "--", *paths],
        ],
    )


def _git_listing(started: _GitRun) -> _GitListing | None:
    """Blob ids from the index, minus files that differ in the working tree; plus untracked."""
    file_mode, staged, changed, untracked = started.outputs()
    if file_mode == b"false\n" or staged is None or changed is None or untracked is None:
        return None
    listing = _GitListing()
    dirty = set(changed.split(b"\0"))
    for record in staged.split(b"\0"):
        # "<mode> <id> <stage>\tdatums/<name>/<rest>"; ls-files is sorted, so one datum's
        # records are consecutive, but nothing here depends on that.
        tab = record.find(b"\t")
        parts = record[tab + 1 :].split(b"/", 2)
        if tab < 0 or len(parts) != 3 or parts[0] != _DATUMS:
            continue
        name = parts[1].decode("utf-8", "surrogateescape")
        raw_path = record[tab + 1 :]
        if raw_path in dirty or record[tab - 2 : tab] != b" 0":  # changed, or a conflict stage
            listing.unknown.setdefault(name, []).append(raw_path.decode("utf-8", "surrogateescape"))
        else:
            listing.known.setdefault(name, []).append(record)
    for raw_path in untracked.split(b"\0"):
        path = raw_path.decode("utf-8", "surrogateescape")
        owner = _datum_of(path)
        if owner is not None:
            listing.unknown.setdefault(owner, []).append(path)
    return listing


def _hash_file(root: Path, path: str) -> bytes:
    """``path kind data-hash`` for a file git does not vouch for (or ``missing``)."""
    full = root / path
    try:
        info = full.lstat()
        if stat.S_ISLNK(info.st_mode):
            data, kind = os.readlink(full).encode("utf-8", "surrogateescape"), b"link"
        elif stat.S_ISREG(info.st_mode):
            data = full.read_bytes()
            kind = b"exec" if info.st_mode & 0o100 else b"file"
        else:
            data, kind = b"", b"other"
    except FileNotFoundError:
        data, kind = b"", b"missing"
    return (
        path.encode("utf-8", "surrogateescape")
        + b" "
        + kind
        + b" "
        + hashlib.sha256(data).hexdigest().encode()
    )


def _walk_datum(root: Path, name: str) -> list[str]:
    """Every file path under datums/<name>/, relative to the root (no git at hand)."""
    found = []
    base = root / DATUMS_DIR / name
    for directory, subdirs, files in os.walk(base):
        subdirs.sort()
        for file in files:
            found.append((Path(directory) / file).relative_to(root).as_posix())
        for subdir in subdirs:  # a symlink to a directory is a file for git and for us
            if (Path(directory) / subdir).is_symlink():
                found.append((Path(directory) / subdir).relative_to(root).as_posix())
    return found


def _with_stat(root: str, record: bytes, stats: Mapping[str, os.stat_result]) -> bytes:
    """A tracked file's index record plus its inode change time, in nanoseconds.

    git compares ctime in whole seconds (and trusts size + mtime), so a same-size rewrite with
    its mtime put back, within the second, passes `git diff-files` as unchanged. Every write
    moves the nanosecond ctime, so a file touched since the entry was stored changes the key
    (a miss, never a stale pass); an untouched file keeps it.
    """
    path = record[record.find(b"\t") + 1 :].decode("utf-8", "surrogateescape")
    known = stats.get(path.split("/", 2)[-1])  # stats are by path inside the datum
    try:
        ctime = known.st_ctime_ns if known is not None else os.lstat(root + "/" + path).st_ctime_ns
    except FileNotFoundError:
        ctime = -1
    return record + b" " + str(ctime).encode()


def outside_files(root: Path) -> Callable[[str], str]:
    """What a datum's checks read outside its directory: the research-bench eval config
    template and the datum's generated config (the `generated` check compares it), hashed."""
    if not _names_eval_config(root):  # most projects: no need to import generation (pydantic)
        return lambda name: ""
    from datumkit.errors import DatumError
    from datumkit.generate.evalconfig import load_settings

    try:
        settings = load_settings(root)
    except DatumError as error:  # a broken setting is every datum's finding: never cached
        problem = f"settings error {error}"
        return lambda name: problem
    if settings is None:
        return lambda name: ""
    template = _content_hash(root / settings.template)
    return lambda name: f"{template} {_content_hash(root / settings.output(name))}"


def _names_eval_config(root: Path) -> bool:
    """Whether pyproject.toml may set ``tool.datumkit.eval_config_template`` (when in doubt,
    yes: `load_settings` then decides and words any error)."""
    import tomllib

    try:
        tool = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["tool"]["datumkit"]
    except (FileNotFoundError, KeyError):
        return False  # no settings file or no [tool.datumkit]: no settings (as load_settings)
    except (OSError, ValueError, TypeError):
        return True
    return not isinstance(tool, dict) or "eval_config_template" in tool


def _content_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def datum_fingerprints(
    root: Path,
    names: Iterable[str],
    stats: Mapping[str, Mapping[str, os.stat_result]] | None = None,
    started: _GitRun | None = None,
) -> dict[str, str]:
    """A hash of each datum directory's files (paths, kinds, contents).

    ``stats`` (:func:`datumkit.checks.lastrun.stat_datum` of each datum, taken while git
    listed them) save an ``lstat`` per tracked file; a file they lack is stat'ed here.
    ``started`` is :func:`start_listing` of the same names, else it is run now. Whether a file
    is stat'ed before or after git looks at it does not matter: any write moves its ctime, and
    a result is stored only when the keys taken before and after its check agree.
    """
    names = list(names)
    if not names:
        return {}
    listing = _git_listing(started or start_listing(root, names))
    where = str(root)
    prints = {}
    for name in names:
        if listing is None:
            records = [_hash_file(root, path) for path in _walk_datum(root, name)]
        else:
            found = stats.get(name, {}) if stats is not None else {}
            records = [_with_stat(where, r, found) for r in listing.known.get(name, [])]
            records += [_hash_file(root, path) for path in listing.unknown.get(name, [])]
        digest = hashlib.sha256()
        for record in sorted(records):
            digest.update(record + b"\0")
        prints[name] = digest.hexdigest()
    return prints
