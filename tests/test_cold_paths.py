"""The cold `check --all` path's shortcuts give what the plain ways gave.

`stat_datum` walks a datum with one scandir recursion instead of ``os.walk``, and
`DiskFiles.read` asks one ``lstat`` per path component instead of ``islink`` and ``isfile``.
Both are compared here with the plain ways on directories holding every kind of entry a datum
could (symlinks in and out, a broken one, a symlinked directory, a FIFO, nested directories).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from datumkit.bounded import MAX_FILE_BYTES, read_capped
from datumkit.checks.lastrun import stat_datum
from datumkit.model.datumdir import DiskFiles


def _walked(directory: Path) -> dict[str, os.stat_result]:
    """The plain way: os.walk, sorted, lstat per file."""
    skip = len(str(directory)) + 1
    found: dict[str, os.stat_result] = {}
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        prefix = dirpath[skip:].replace(os.sep, "/")
        for filename in sorted(filenames):
            try:
                info = os.lstat(os.path.join(dirpath, filename))
            except OSError:
                continue
            found[f"{prefix}/{filename}" if prefix else filename] = info
    return found


def _read_plainly(files: DiskFiles, relative: str) -> bytes | None:
    path = files._inside(relative)
    if path is None or not os.path.isfile(path):
        return None
    return read_capped(path, MAX_FILE_BYTES)


@pytest.fixture
def datum(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not the datum's\n")
    directory = tmp_path / "datums" / "d"
    (directory / "overlay_files" / "deep" / "er").mkdir(parents=True)
    (directory / "b.txt").write_text("b\n")
    (directory / "a.txt").write_bytes(b"")
    (directory / "overlay_files" / "x.json").write_text("{}\n")
    (directory / "overlay_files" / "deep" / "er" / "z").write_text("z\n")
    (directory / "overlay_files" / "deep" / "y").write_text("y" * 70_000)
    (directory / "Z-dir").mkdir()
    (directory / "Z-dir" / "inside").write_text("i\n")
    (directory / "link-in").symlink_to("b.txt")
    (directory / "link-out").symlink_to(outside / "secret.txt")
    (directory / "broken").symlink_to("nowhere")
    (directory / "dir-link").symlink_to(outside, target_is_directory=True)
    (directory / "overlay_files" / "up").symlink_to("../b.txt")
    os.mkfifo(directory / "fifo")
    return directory


def test_stat_datum_is_what_os_walk_found(datum: Path) -> None:
    root = datum.parent.parent
    found = stat_datum(root, "d")
    assert list(found) == list(_walked(datum))  # same files, same order
    assert {k: (v.st_size, v.st_mtime_ns, v.st_ino) for k, v in found.items()} == {
        k: (v.st_size, v.st_mtime_ns, v.st_ino) for k, v in _walked(datum).items()
    }
    assert stat_datum(root, "missing") == {}


@pytest.mark.parametrize(
    "relative",
    [
        "a.txt",
        "b.txt",
        "overlay_files/x.json",
        "overlay_files/deep/y",
        "overlay_files/deep/er/z",
        "overlay_files/up",
        "link-in",
        "link-out",
        "broken",
        "dir-link",
        "dir-link/secret.txt",
        "fifo",
        "Z-dir",
        "Z-dir/inside",
        "b.txt/below-a-file",
        "missing",
        "missing/deeper",
        "../d/b.txt",
        "./b.txt",
        "overlay_files//x.json",
        "",
    ],
)
def test_disk_files_read_is_the_plain_way(datum: Path, relative: str) -> None:
    files = DiskFiles(datum)
    assert files.read(relative) == _read_plainly(files, relative)


def test_links_leaving_the_datum_read_as_absent(datum: Path) -> None:
    files = DiskFiles(datum)
    assert files.read("link-out") is None
    assert files.read("dir-link/secret.txt") is None
    assert files.read("link-in") == b"b\n"
    assert files.read("overlay_files/deep/y") == b"y" * 70_000
