"""The two trees `datum test` runs: the baseline with the patch's test files, and the patched tree.

Like SWE-bench's `test_patch`, the baseline side gets the patch's test files (and only those), so
a test the patch adds exists on both sides and fails where the fix is missing. Both trees come
from the mirror plus in-memory objects (`datum materialize`'s machinery); nothing is written to
the mirror or to the user's working tree.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from datumkit.errors import DatumError, for_datum
from datumkit.git.apply import PatchError, apply_patch_in_memory
from datumkit.git.materialize import materialize_tree
from datumkit.git.mirrors import MirrorLocator
from datumkit.model.applied import apply_datum_patch, datum_mirror
from datumkit.model.datumdir import PATCH_FILE, DatumSource
from datumkit.model.testsplit import datum_test_paths, split_patch

#: libgit2 repository handles are shared per process (model.applied) and not thread-safe:
#: datums tested in parallel take turns here; only the (short) tree writing is serialised.
_GIT_LOCK = threading.Lock()


@dataclass(frozen=True)
class DatumTrees:
    """Tree ids of the states a verification is about, and the patch's test files."""

    baseline_tree: str
    baseline_with_tests_tree: str
    patched_tree: str
    test_files: tuple[str, ...]
    test_patch: bytes


def materialize_sides(
    source: DatumSource, locator: MirrorLocator, baseline_dir: Path, patched_dir: Path
) -> DatumTrees:
    """Write the baseline (+ test files) into `baseline_dir` and the patched tree into
    `patched_dir` (both new or empty), honouring repo.sparse_checkout."""
    try:
        return _materialize_sides(source, locator, baseline_dir, patched_dir)
    except DatumError as error:  # a blob missing from the mirror: `datum fetch <this datum>`
        raise for_datum(error, source.name) from None


def _materialize_sides(
    source: DatumSource, locator: MirrorLocator, baseline_dir: Path, patched_dir: Path
) -> DatumTrees:
    with _GIT_LOCK:
        result = apply_datum_patch(source, locator)
        mirror = datum_mirror(source, locator)
        patch = source.patch or b""
        split = split_patch(patch, datum_test_paths(source.datum))
        sparse = source.datum.repo.sparse_checkout
        with_tests_tree = result.baseline_tree
        if split.tests:
            try:
                tests_result = apply_patch_in_memory(
                    mirror, source.datum.repo.start_commit_sha, split.tests
                )
            except PatchError as error:
                raise DatumError(
                    f"the patch's test files alone do not apply to the baseline: {error.message}",
                    file=source.display(PATCH_FILE),
                    location=error.file,
                    hint="a test file must not depend on another change of the patch; "
                    "adjust evaluation.tests.test_paths",
                ) from None
            with_tests_tree = tests_result.patched_tree
            materialize_tree(
                mirror,
                with_tests_tree,
                baseline_dir,
                objects=tests_result.objects,
                sparse_checkout=sparse,
            )
        else:
            materialize_tree(mirror, result.baseline_tree, baseline_dir, sparse_checkout=sparse)
        materialize_tree(
            mirror, result.patched_tree, patched_dir, objects=result.objects, sparse_checkout=sparse
        )
    return DatumTrees(
        baseline_tree=result.baseline_tree,
        baseline_with_tests_tree=with_tests_tree,
        patched_tree=result.patched_tree,
        test_files=split.test_files,
        test_patch=split.tests,
    )
