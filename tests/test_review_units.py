"""The pieces of `datum review` on their own: field diffs, rubric matching, the interdiff,
lock parsing and rename similarity (no repository needed except for GitFiles)."""

from __future__ import annotations

from pathlib import Path

import pygit2

from datumkit.review.compare import lock_state
from datumkit.review.fields import field_changes, rubric_changes, text_diff
from datumkit.review.gitfiles import GitFiles
from datumkit.review.interdiff import body_diff, interdiff, patch_stats
from datumkit.review.renames import similarity
from datumkit.review.results import LockState


def _patch(*sections: str) -> bytes:
    return "".join(sections).encode()


def _file(path: str, *hunks: str, header: str = "") -> str:
    return f"diff --git a/{path} b/{path}\n{header}--- a/{path}\n+++ b/{path}\n" + "".join(hunks)


HUNK_A = "@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n"
HUNK_A_SHIFTED = "@@ -11,3 +11,3 @@\n one\n-two\n+TWO\n three\n"
HUNK_B = "@@ -20,3 +20,3 @@\n ten\n-eleven\n+ELEVEN\n twelve\n"
HUNK_B2 = "@@ -20,3 +20,3 @@\n ten\n-eleven\n+Eleven!\n twelve\n"


def test_identical_patches_have_no_interdiff() -> None:
    patch = _patch(_file("a.txt", HUNK_A, HUNK_B))
    diff = interdiff(patch, patch)
    assert diff.files == () and diff.unchanged_files == 1 and diff.error is None


def test_hunks_that_only_moved_are_shifted_not_changed() -> None:
    diff = interdiff(
        _patch(_file("a.txt", HUNK_A, HUNK_B)), _patch(_file("a.txt", HUNK_A_SHIFTED, HUNK_B))
    )
    (item,) = diff.files
    assert item.change == "shifted" and item.shifted == 1 and item.hunks == ()


def test_changed_hunk_is_a_diff_of_bodies() -> None:
    diff = interdiff(
        _patch(_file("a.txt", HUNK_A, HUNK_B)), _patch(_file("a.txt", HUNK_A, HUNK_B2))
    )
    (item,) = diff.files
    (hunk,) = item.hunks
    assert (hunk.kind, hunk.old_header, hunk.new_header) == (
        "changed",
        "@@ -20,3 +20,3 @@",
        "@@ -20,3 +20,3 @@",
    )
    assert hunk.lines == ("  ten", " -eleven", "-+ELEVEN", "++Eleven!", "  twelve")


def test_dropped_and_added_files() -> None:
    old = _patch(_file("a.txt", HUNK_A), _file("b.txt", HUNK_B))
    new = _patch(_file("a.txt", HUNK_A), _file("c.txt", HUNK_B2))
    diff = interdiff(old, new)
    assert [(f.path, f.change) for f in diff.files] == [("c.txt", "added"), ("b.txt", "dropped")]
    assert diff.unchanged_files == 1
    assert [h.kind for h in diff.files[1].hunks] == ["gone"]
    assert diff.before is not None and diff.after is not None
    assert (diff.before.files, diff.after.files) == (2, 2)


def test_mode_change_is_a_note() -> None:
    old = _patch(_file("run.sh", HUNK_A))
    new = _patch(_file("run.sh", HUNK_A, header="old mode 100644\nnew mode 100755\n"))
    (item,) = interdiff(old, new).files
    assert item.change == "changed" and item.hunks == ()
    assert "new mode 100755 (was unchanged)" in item.notes


def test_unparsable_patch_is_reported_not_raised() -> None:
    broken = b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n one\n"
    diff = interdiff(_patch(_file("a.txt", HUNK_A)), broken)
    assert diff.error is not None and diff.error.startswith("HEAD: diff.patch does not parse")
    assert diff.files == ()
    assert patch_stats(broken) is None


def test_body_diff_elides_far_context() -> None:
    old = [f" line {i}" for i in range(20)]
    new = [*old[:2], "+inserted", *old[2:18], "+late", *old[18:]]
    lines = body_diff(old, new)
    assert " ..." in lines
    assert "++inserted" in lines and "++late" in lines


def test_field_changes_recurse_into_mappings_and_keep_heads_order() -> None:
    old = {"metadata": {"title": "a", "tags": ["x"]}, "environment": {"env": {"A": "1"}}}
    new = {"environment": {"env": {"A": "2", "B": "3"}}, "metadata": {"title": "b", "tags": ["x"]}}
    assert [(c.path, c.old, c.new) for c in field_changes(old, new)] == [
        ("environment.env.A", "1", "2"),
        ("environment.env.B", None, "3"),
        ("metadata.title", "a", "b"),
    ]


def test_whole_section_added_is_listed_field_by_field() -> None:
    changes = field_changes({}, {"environment": {"workdir": "/src", "install": ["make"]}})
    assert [(c.path, c.new) for c in changes] == [
        ("environment.workdir", "/src"),
        ("environment.install", ["make"]),
    ]


def test_multiline_text_gets_a_diff() -> None:
    (change,) = field_changes(
        {"metadata": {"summary": "a\nb\n"}}, {"metadata": {"summary": "a\nc\n"}}
    )
    assert change.diff == text_diff("a\nb\n", "a\nc\n")
    assert change.diff == "@@ -1,2 +1,2 @@\n a\n-b\n+c"


def test_rubrics_matched_by_id_not_position() -> None:
    first = {"id": "a", "criterion": "A", "weight": 0.5, "evaluation_criteria": ["x"]}
    second = {"id": "b", "criterion": "B", "weight": 0.5, "evaluation_criteria": ["y"]}
    old = {"evaluation": {"rubrics": [first, second]}}
    new = {"evaluation": {"rubrics": [second, {**first, "criterion": "A!"}]}}
    rubrics = rubric_changes(old, new)
    assert rubrics is not None and not rubrics.changed
    (change,) = field_changes(old, new)
    assert (change.path, change.rubric, change.new) == (
        "evaluation.rubrics[1].criterion",
        "a",
        "A!",
    )


def test_rubrics_without_ids_fall_back_to_fields() -> None:
    old = {"evaluation": {"rubrics": [{"criterion": "A", "weight": 1}]}}
    new = {"evaluation": {"rubrics": [{"criterion": "B", "weight": 1}]}}
    assert rubric_changes(old, new) is None
    (change,) = field_changes(old, new)
    assert change.path == "evaluation.rubrics"


def test_weight_sum_is_none_when_a_weight_is_not_a_number() -> None:
    rubric = {"id": "a", "weight": "heavy"}
    found = rubric_changes({"evaluation": {"rubrics": [rubric]}}, {"evaluation": {"rubrics": []}})
    assert found is not None and found.sum_before is None


def test_lock_state_is_tolerant() -> None:
    assert lock_state(None) == LockState(False, None)
    tree = "a" * 40
    text = f"# comment\nformat: 1\nbaseline_tree: {'b' * 40}\npatched_tree: {tree}\nfiles:\n  M x\n"
    assert lock_state(text.encode()) == LockState(True, tree)
    assert lock_state(b"generator: 1\n") == LockState(True, None)
    assert lock_state(b"\xff\xfe garbage") == LockState(True, None)


def test_similarity_ignores_yaml_structure_and_patch_context(tmp_path: Path) -> None:
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)

    def files(yaml: str, patch: str) -> GitFiles:
        return GitFiles(
            repo,
            {
                "datum.yaml": str(repo.create_blob(yaml.encode())),
                "diff.patch": str(repo.create_blob(patch.encode())),
            },
        )

    patch = _file("a.txt", HUNK_A)
    same = files("task_id: re-bench-a\nmetadata:\n  title: T\n", patch)
    renamed = files("task_id: re-bench-b\nmetadata:\n  title: T\n", patch)
    other_patch = files("task_id: re-bench-b\nmetadata:\n  title: T\n", _file("a.txt", HUNK_B))
    assert similarity(same, same) == 100
    assert similarity(same, renamed) == 50  # one of two value lines is the same
    assert similarity(same, other_patch) == 0  # no changed line in common


def test_git_files_read_each_blob_once_until_forgotten(tmp_path: Path) -> None:
    """Review reads diff.patch and datum.lock several times per datum; the bytes come from the
    object database once, and `forget` lets a long review drop them."""
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    files = GitFiles(repo, {"diff.patch": str(repo.create_blob(b"patch\n"))})
    first = files.read("diff.patch")
    assert first == b"patch\n"
    assert files.read("diff.patch") is first  # served from memory, not read again
    assert files.read("datum.lock") is None
    files.forget()
    again = files.read("diff.patch")
    assert again == b"patch\n" and again is not first
    assert files == GitFiles(repo, {"diff.patch": files.blobs["diff.patch"]})  # cache ignored


def test_git_files_holds_tells_by_blob_id_and_keeps_only_matching_bytes(tmp_path: Path) -> None:
    """Review compares up-to-date GENERATED files by blob id; bytes that are not the blob on
    record are neither accepted nor kept, so a later read still returns what git holds."""
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    files = GitFiles(repo, {"Dockerfile": str(repo.create_blob(b"FROM x\n"))})
    assert not files.holds("Dockerfile", b"FROM y\n")
    assert files.read("Dockerfile") == b"FROM x\n"
    files.forget()
    assert not files.holds("absent", b"FROM x\n")
    assert files.read("absent") is None
    offered = bytearray(b"FROM x\n")
    assert files.holds("Dockerfile", bytes(offered))
    kept = files.read("Dockerfile")
    assert kept == b"FROM x\n"
    assert files.read("Dockerfile") is kept  # served from memory, no object read
