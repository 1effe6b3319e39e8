"""What one datum's checks share (its files read once, its patch applied once) stays that datum's.

`check_datum` hands every check the same DatumSource over a ReadOnce of the datum's files, and
the patch and leaks checks share one apply. None of it may leak into another datum, and a
changed diff.patch is applied again.
"""

from __future__ import annotations

from pathlib import Path

from datumkit.checks.memofiles import ReadOnce
from datumkit.model.applied import apply_datum_patch
from datumkit.model.datumdir import DatumSource, DiskFiles, load_source
from datumkit.model.project import Project


def _source(project: Path, name: str = "banking77") -> DatumSource:
    return load_source(name, ReadOnce(DiskFiles(project / "datums" / name)))


def test_one_datum_s_checks_share_one_apply(project: Path) -> None:
    locator = Project(root=project).locator()
    source = _source(project)

    assert apply_datum_patch(source, locator) is apply_datum_patch(source, locator)


def test_another_datum_with_the_same_patch_applies_its_own(project: Path) -> None:
    locator = Project(root=project).locator()
    first, second = _source(project), _source(project)

    assert apply_datum_patch(first, locator) is not apply_datum_patch(second, locator)
    assert apply_datum_patch(first, locator) == apply_datum_patch(second, locator)


def test_a_changed_patch_is_applied_again(project: Path) -> None:
    locator = Project(root=project).locator()
    patch = project / "datums" / "banking77" / "diff.patch"
    files = DiskFiles(project / "datums" / "banking77")  # not memoised: sees the new bytes
    source = load_source("banking77", files)
    before = apply_datum_patch(source, locator)
    text = patch.read_text()
    cut = text.index("diff --git", 1)  # drop the first file's section
    patch.write_text(text[cut:])

    after = apply_datum_patch(source, locator)

    assert after is not before
    assert len(after.files) == len(before.files) - 1


def test_read_once_reads_each_file_once_and_lists_by_prefix(project: Path) -> None:
    directory = project / "datums" / "banking77"
    files = ReadOnce(DiskFiles(directory))
    first = files.read("datum.yaml")
    (directory / "datum.yaml").write_text("changed: behind the memo\n")

    assert files.read("datum.yaml") is first  # the same run of checks sees one version
    assert files.list("overlay_files/") == DiskFiles(directory).list("overlay_files/")
    assert files.read("no-such-file") is None
    assert DiskFiles(directory).read("datum.yaml") != first  # a new run sees the edit
