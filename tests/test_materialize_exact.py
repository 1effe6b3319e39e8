"""`datum materialize` writes what `git checkout` writes: a differential test against real git on
fixture repositories with .gitattributes (eol, text=auto, binary, macros, ident, nested files,
working-tree-encoding), symbolic links, modes and non-cone sparse patterns; plus the refusals
(unsafe tree entries, writing through links) and a missing blob."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pygit2
import pytest

from datumkit.errors import DatumError, OperationFailed
from datumkit.git.materialize import UnsafeTree, in_sparse_checkout, materialize_tree
from helpers.repo import BANKING77_URL, CliRun, git, write_pyproject

ATTRIBUTES = b"""\
# comments and blank lines are ignored

[attr]windows text eol=crlf
*.bat text eol=crlf
*.txt text=auto eol=crlf
*.win windows
bin/* binary
*.c ident
"spaced name.cmd" eol=crlf
docs/**/*.md eol=crlf
*.u16 text working-tree-encoding=UTF-16LE
!negated.txt -text
both.txt binary text
"""

FILES: dict[str, bytes] = {
    ".gitattributes": ATTRIBUTES,
    "doc/make.bat": b"@echo off\nrem build the docs\n",
    "doc/already.bat": b"mixed\r\nline\nends\r\n",
    "plain.txt": b"one\ntwo\n",
    "crlf.txt": b"one\r\ntwo\n",
    "nul.txt": b"one\0\ntwo\n",
    "lonecr.bat": b"a\rb\nc\n",
    "both.txt": b"text\nwins\n",
    "negated.txt": b"not\nnegated\n",
    "rules.win": b"macro\nexpanded\n",
    "bin/data.txt": b"binary\nmacro\n",
    "id.c": b"/* $Id$ */\n/* $Id: stale $ */\nint x;\n",
    "spaced name.cmd": b"quoted\npattern\n",
    "docs/a/b/page.md": b"deep\nmarkdown\n",
    "docs/top.md": b"top\nmarkdown\n",
    "text.u16": "caf\u00e9\nna\u00efve\n".encode(),
    "sub/.gitattributes": b"*.txt -text\nkeep.bat -text\n",
    "sub/inner.txt": b"sub\nrule\nwins\n",
    "sub/keep.bat": b"kept\nas is\n",
    "sub/other.bat": b"root\nrule\n",
    "empty.txt": b"",
    "README.md": b"# readme\n",
    "src/README.md": b"# nested readme\n",
    "src/skip.log": b"log\n",
}
EXECUTABLE = {"run.sh": b"#!/bin/sh\necho run\n"}
LINKS = {"link": "plain.txt", "abs-link": "/etc/hostname", "dir-link": "doc"}


def _hash(root: Path, data: bytes) -> str:
    return (
        subprocess.run(
            ["git", "hash-object", "-w", "--no-filters", "--stdin"],
            cwd=root,
            input=data,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The blobs are exactly the bytes above (no clean filter runs): index entries are added by
    object id, then committed."""
    root = tmp_path_factory.mktemp("exact") / "upstream"
    root.mkdir()
    git(root, "init", "-q")
    entries = [("100644", path, content) for path, content in FILES.items()]
    entries += [("100755", path, content) for path, content in EXECUTABLE.items()]
    entries += [("120000", name, target.encode()) for name, target in LINKS.items()]
    for mode, path, content in entries:
        git(root, "update-index", "--add", "--cacheinfo", f"{mode},{_hash(root, content)},{path}")
    git(root, "commit", "-qm", "fixture")
    return root


def _blob_bytes(upstream: Path, path: str) -> bytes:
    return subprocess.run(
        ["git", "cat-file", "blob", f"HEAD:{path}"], cwd=upstream, capture_output=True, check=True
    ).stdout


def _git_checkout(upstream: Path, target: Path, sparse: list[str] | None) -> None:
    """What the Dockerfile does: init, sparse patterns on stdin, fetch, detached checkout."""
    target.mkdir()
    git(target, "init", "-q")
    if sparse is not None:
        subprocess.run(
            ["git", "sparse-checkout", "set", "--no-cone", "--stdin"],
            cwd=target,
            input="".join(f"{p}\n" for p in sparse).encode(),
            check=True,
            capture_output=True,
        )
    git(target, "fetch", "-q", str(upstream), "HEAD")
    git(target, "-c", "advice.detachedHead=false", "checkout", "-q", "--detach", "FETCH_HEAD")
    shutil.rmtree(target / ".git")


def _snapshot(root: Path) -> dict[str, tuple[str, object, int]]:
    found: dict[str, tuple[str, object, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            relative = path.relative_to(root).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                found[relative] = ("link", os.readlink(path), 0)
            elif stat.S_ISDIR(info.st_mode):
                found[relative] = ("dir", None, stat.S_IMODE(info.st_mode))
            else:
                found[relative] = ("file", path.read_bytes(), stat.S_IMODE(info.st_mode))
    return found


SPARSE_CASES = {
    "everything": None,
    "directory and name anywhere": ["doc", "README.md"],
    "anchored, glob, negation": ["/sub/", "*.c", "!sub/keep.bat", "/docs/**/*.md"],
    "dir-only pattern": ["docs/", "/run.sh", "link"],
}


@pytest.mark.parametrize("case", SPARSE_CASES)
def test_materialize_matches_git_checkout_byte_for_byte(
    upstream: Path, tmp_path: Path, case: str
) -> None:
    sparse = SPARSE_CASES[case]
    _git_checkout(upstream, tmp_path / "git", sparse)
    repo = pygit2.Repository(str(upstream))
    tree = str(repo.revparse_single("HEAD").peel(pygit2.Tree).id)
    materialize_tree(repo, tree, tmp_path / "ours", sparse_checkout=sparse or ())
    expected, actual = _snapshot(tmp_path / "git"), _snapshot(tmp_path / "ours")
    assert sorted(actual) == sorted(expected)
    for path in expected:
        assert actual[path] == expected[path], path


def test_the_fixture_exercises_every_conversion(upstream: Path, tmp_path: Path) -> None:
    """The differential test means something only if git really converts these files."""
    _git_checkout(upstream, tmp_path / "git", None)
    converted = {
        path
        for path in FILES
        if (tmp_path / "git" / path).read_bytes() != _blob_bytes(upstream, path)
    }
    assert converted == {
        "doc/make.bat",
        "doc/already.bat",
        "plain.txt",
        "lonecr.bat",
        "rules.win",
        "id.c",
        "spaced name.cmd",
        "docs/a/b/page.md",
        "docs/top.md",
        "text.u16",
        "sub/other.bat",
        "negated.txt",  # a negative attribute pattern is ignored: *.txt applies
        "both.txt",  # `binary text`: the later `text` wins over the macro's -text
    }
    assert (
        tmp_path / "git" / "doc/make.bat"
    ).read_bytes() == b"@echo off\r\nrem build the docs\r\n"


def test_sparse_patterns_follow_gitignore_rules() -> None:
    assert in_sparse_checkout("a/b/README.md", ["README.md"])
    assert not in_sparse_checkout("a/b/README.md", ["/README.md"])
    assert in_sparse_checkout("doc/x/y.txt", ["doc"])
    assert not in_sparse_checkout("doc", ["doc/"])
    assert not in_sparse_checkout("doc/skip.txt", ["doc", "!doc/skip.txt"])
    assert in_sparse_checkout("a/b/c.py", ["**/*.py"])


# --- refusals --------------------------------------------------------------------------------


def _raw_tree(repo: pygit2.Repository, entries: list[tuple[int, bytes, str]]) -> str:
    raw = b"".join(b"%o %s\0" % (mode, name) + bytes.fromhex(oid) for mode, name, oid in entries)
    return str(repo.odb.write(pygit2.GIT_OBJECT_TREE, raw))


@pytest.mark.parametrize(
    "name",
    [
        b"..",
        b".",
        b".git",
        b".GIT",
        b".git.",
        b".git ",
        b"git~1",
        b".git::$INDEX_ALLOCATION",
        ".g\u200cit".encode(),
    ],
)
def test_entries_git_refuses_are_refused(tmp_path: Path, name: bytes) -> None:
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    blob = str(repo.create_blob(b"[core]\n\thooksPath = /tmp/evil\n"))
    inner = _raw_tree(repo, [(0o100644, b"config", blob)])
    tree = _raw_tree(repo, [(0o040000, name, inner)])
    with pytest.raises(UnsafeTree) as refused:
        materialize_tree(repo, tree, tmp_path / "out")
    assert "nothing was written" in str(refused.value)
    assert not (tmp_path / "out").exists()


def test_a_symlinked_gitattributes_is_refused(tmp_path: Path) -> None:
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    target = str(repo.create_blob(b"/etc/passwd"))
    tree = _raw_tree(repo, [(0o120000, b".gitattributes", target)])
    with pytest.raises(UnsafeTree):
        materialize_tree(repo, tree, tmp_path / "out")


def test_nothing_is_written_through_a_symlink(tmp_path: Path) -> None:
    """A crafted tree naming `a` twice, as a link out of the target and as a directory."""
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    link = str(repo.create_blob(str(outside).encode()))
    payload = str(repo.create_blob(b"owned\n"))
    inner = _raw_tree(repo, [(0o100644, b"planted", payload)])
    tree = _raw_tree(repo, [(0o120000, b"a", link), (0o040000, b"a", inner)])
    with pytest.raises(DatumError):
        materialize_tree(repo, tree, tmp_path / "out")
    assert list(outside.iterdir()) == []


def test_a_symlinked_target_directory_is_filled_and_stays_a_link(
    upstream: Path, tmp_path: Path
) -> None:
    real = tmp_path / "real"
    real.mkdir()
    os.symlink(real, tmp_path / "via-link")
    repo = pygit2.Repository(str(upstream))
    tree = str(repo.revparse_single("HEAD").peel(pygit2.Tree).id)
    materialize_tree(repo, tree, tmp_path / "via-link", sparse_checkout=["/README.md"])
    assert (tmp_path / "via-link").is_symlink()
    assert sorted(p.name for p in real.iterdir()) == ["README.md"]


# --- a missing blob ---------------------------------------------------------------------------


def _drop_blob(mirror: Path, path: str) -> None:
    oid = git(mirror, "rev-parse", f"HEAD:{path}").strip()
    loose = mirror / "objects" / oid[:2] / oid[2:]
    assert loose.is_file(), "the example mirror keeps loose objects"
    loose.chmod(0o644)
    loose.unlink()


def test_a_missing_blob_is_one_line_and_exit_3(
    project: Path, run_cli: CliRun, banking77_upstream: Path, tmp_path: Path
) -> None:
    mirror = tmp_path / "partial.git"
    shutil.copytree(banking77_upstream, mirror)
    _drop_blob(mirror, "README.md")
    write_pyproject(project, {BANKING77_URL: mirror})
    result = run_cli("materialize", "banking77", str(tmp_path / "out"), "--baseline")
    assert result.exit_code == 3, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert "is missing from the mirror" in lines[0] and "README.md" in lines[0]
    assert "datum fetch banking77" in lines[0]
    assert not (tmp_path / "out").exists()


def test_a_blob_outside_the_sparse_checkout_is_never_read(
    banking77_upstream: Path, tmp_path: Path
) -> None:
    mirror = tmp_path / "partial.git"
    shutil.copytree(banking77_upstream, mirror)
    _drop_blob(mirror, "README.md")
    repo = pygit2.Repository(str(mirror))
    tree = str(repo.revparse_single("HEAD").peel(pygit2.Tree).id)
    written = materialize_tree(repo, tree, tmp_path / "out", sparse_checkout=["banking77"])
    assert written.files > 0
    with pytest.raises(OperationFailed):
        materialize_tree(repo, tree, tmp_path / "all")
