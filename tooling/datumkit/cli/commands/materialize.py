"""`datum materialize NAME DIR [--baseline]`: the patched (or baseline) tree, as plain files."""

from __future__ import annotations

from pathlib import Path

from datumkit.cli.commands import EXIT_OK
from datumkit.cli.output import say, warn
from datumkit.errors import DatumError, for_datum
from datumkit.git.materialize import materialize_tree
from datumkit.git.revisions import find_commit
from datumkit.model.applied import apply_datum_patch, datum_mirror
from datumkit.model.project import Project


def materialize(project: Project, name: str, directory: Path, *, baseline: bool) -> int:
    try:
        return _materialize(project, name, directory, baseline=baseline)
    except DatumError as error:
        raise for_datum(error, name) from None


def _materialize(project: Project, name: str, directory: Path, *, baseline: bool) -> int:
    source = project.load(name)
    locator = project.locator()
    sparse = source.datum.repo.sparse_checkout
    if baseline:
        mirror = datum_mirror(source, locator)
        tree_id = str(find_commit(mirror, source.datum.repo.start_commit_sha).tree.id)
        written = materialize_tree(mirror, tree_id, directory, sparse_checkout=sparse)
        which = "baseline"
    else:
        result = apply_datum_patch(source, locator)
        mirror = datum_mirror(source, locator)
        written = materialize_tree(
            mirror, result.patched_tree, directory, objects=result.objects, sparse_checkout=sparse
        )
        which = "patched"
    say(f"wrote {written.files} files of the {which} tree {written.tree_id} to {directory}")
    if source.datum.repo.subdir:
        say(f"the task directory is {directory / source.datum.repo.subdir}")
    for path in written.submodules:
        warn(f"{path}: submodule left empty (as an uninitialised git submodule)")
    return EXIT_OK
