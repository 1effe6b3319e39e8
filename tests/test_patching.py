"""apply_patch_in_memory against real git: every kind of patch git diff, format-patch and diff make.

The fixture repository is made with the git CLI; each kind of change is a commit on top of one
base commit, and the patches are produced by the real tools. A patch is proven right when the
tree it yields is the head commit's tree, byte for byte (same tree id), and failures are checked
against what ``git apply`` itself says.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pygit2
import pytest

from datumkit.git.apply import (
    BaselineNotFound,
    EmptyPatch,
    MalformedPatch,
    PatchAlreadyApplied,
    PatchDoesNotApply,
    PatchError,
    PatchResult,
    UnsafePath,
    apply_patch_in_memory,
    iter_tree_files,
    parse_patch,
    read_object,
)
from datumkit.git.patchparse import NO_NEWLINE_MARKER
from datumkit.git.tree import hash_object
from helpers.gitrepo import EXECUTABLE, SYMLINK, File, GitRepo, git, snapshot

# --------------------------------------------------------------------------- fixture content


def numbered(prefix: str, count: int) -> bytes:
    return "".join(f"{prefix} line {i:03d}\n" for i in range(1, count + 1)).encode()


#: 60 lines: "def func_k(x):" at line 3k+1, "    return x + k" at 3k+2, blank at 3k+3.
APP = b"".join(b"def func_%d(x):\n    return x + %d\n\n" % (i, i) for i in range(20))
APP_MODIFIED = APP.replace(b"    return x + 1\n", b"    return x + 1000\n").replace(
    b"    return x + 17\n", b"    y = x * 2\n    return y + 17\n"
)
UTIL = b"import os\n\n\ndef helper():\n    return os.sep\n"
UTIL_MODIFIED = UTIL.replace(b"os.sep", b"os.pathsep")
_rng = random.Random(7)
IMAGE = bytes(_rng.randrange(256) for _ in range(4096))
IMAGE_MODIFIED = IMAGE[:1000] + b"\x00patched\x00" + IMAGE[1010:]
OLD_BIN = bytes(_rng.randrange(256) for _ in range(2000))
NEW_BIN = bytes(_rng.randrange(256) for _ in range(3000))
MOVED = numbered("moved", 30)
COPY_SOURCE = numbered("copy source", 30)

BASE: dict[str, File | None] = {
    "src/app.py": File(APP),
    "src/util.py": File(UTIL),
    "README.md": File(b"# Fixture\n\nA repository for patch tests.\n"),
    "docs/guide.md": File(numbered("guide", 12)),
    "crlf.txt": File(b"one\r\ntwo\r\nthree\r\nfour\r\n"),
    "nonl.txt": File(b"alpha\nbeta"),
    "nl.txt": File(b"gamma\ndelta\n"),
    "empty.txt": File(b""),
    "gone.txt": File(b"bye\n"),
    "gone_empty.txt": File(b""),
    "lonely/only.txt": File(b"the last file here\n"),
    "becomes_empty.txt": File(b"content\n"),
    "run.sh": File(b"echo run\n"),
    "tool.sh": File(b"#!/bin/sh\necho tool\n", EXECUTABLE),
    "link": File(b"README.md", SYMLINK),
    "image.bin": File(IMAGE),
    "old.bin": File(OLD_BIN),
    "old_name.py": File(numbered("old name", 20)),
    "moved.py": File(MOVED),
    "copy_src.py": File(COPY_SOURCE),
    "typechange.txt": File(b"a file for now\n"),
}

COPY_ARGS = ("-C", "--find-copies-harder")


@dataclass(frozen=True)
class Kind:
    """A change made on top of the base commit; ``plain`` when ``diff -ruN`` can express it."""

    changes: dict[str, File | None]
    diff_args: tuple[str, ...] = ()
    plain: bool = False


KINDS: dict[str, Kind] = {
    "modify": Kind(
        {"src/app.py": File(APP_MODIFIED), "src/util.py": File(UTIL_MODIFIED)}, plain=True
    ),
    "add_in_new_dir": Kind({"new/deep/dir/file.py": File(b"print('new')\n")}, plain=True),
    "delete": Kind({"gone.txt": None}, plain=True),
    "delete_last_in_dir": Kind({"lonely/only.txt": None}, plain=True),
    "rename_pure": Kind(
        {"old_name.py": None, "renamed/new_name.py": File(numbered("old name", 20))}, plain=True
    ),
    "rename_edit": Kind(
        {"moved.py": None, "pkg/moved.py": File(MOVED.replace(b"015", b"fifteen"))}, plain=True
    ),
    "copy_pure": Kind({"copy_dst.py": File(COPY_SOURCE)}, COPY_ARGS, plain=True),
    "copy_edit": Kind(
        {"copy_edit.py": File(COPY_SOURCE.replace(b"line 020", b"line twenty"))},
        COPY_ARGS,
        plain=True,
    ),
    "mode_exec": Kind({"run.sh": File(b"echo run\n", EXECUTABLE)}),
    "mode_unexec_edit": Kind({"tool.sh": File(b"#!/bin/sh\necho tool changed\n")}),
    "symlink_add": Kind({"newlink": File(b"src/app.py", SYMLINK)}),
    "symlink_modify": Kind({"link": File(b"docs/guide.md", SYMLINK)}),
    "binary_modify": Kind({"image.bin": File(IMAGE_MODIFIED)}),
    "binary_add": Kind({"new.bin": File(NEW_BIN)}),
    "binary_delete": Kind({"old.bin": None}),
    "nonl_remove": Kind({"nl.txt": File(b"gamma\ndelta")}, plain=True),
    "nonl_add": Kind({"nonl.txt": File(b"alpha\nbeta\n")}, plain=True),
    "nonl_modify": Kind({"nonl.txt": File(b"alpha\nBETA")}, plain=True),
    "crlf": Kind({"crlf.txt": File(b"one\r\nTWO\r\nthree\r\nfour\r\n")}, plain=True),
    "empty_add": Kind({"new_empty.txt": File(b"")}),
    "empty_delete": Kind({"gone_empty.txt": None}),
    "becomes_empty": Kind({"becomes_empty.txt": File(b"")}, plain=True),
    "empty_gets_content": Kind({"empty.txt": File(b"filled\n")}, plain=True),
    "typechange": Kind({"typechange.txt": File(b"README.md", SYMLINK)}),
    "quoted_names": Kind({'dir with space/\u00e9t\u00e9 "q".txt': File(b"summer\n")}, plain=True),
}
KINDS["kitchen_sink"] = Kind(
    {
        path: spec
        for name in (
            "modify",
            "add_in_new_dir",
            "delete_last_in_dir",
            "rename_edit",
            "copy_edit",
            "mode_exec",
            "mode_unexec_edit",
            "symlink_add",
            "symlink_modify",
            "binary_modify",
            "binary_add",
            "binary_delete",
            "nonl_modify",
            "crlf",
            "empty_add",
            "empty_delete",
            "becomes_empty",
            "typechange",
        )
        for path, spec in KINDS[name].changes.items()
    },
    COPY_ARGS,
)

TOOLS = ("git-diff", "format-patch", "diff-ruN")
CASES = [
    (kind, tool)
    for kind, spec in KINDS.items()
    for tool in TOOLS
    if tool != "diff-ruN" or spec.plain
]


@dataclass
class Upstream:
    """The fixture: a work repository, its bare mirror, the base and one head per kind."""

    work: GitRepo
    mirror: Path
    base: str
    heads: dict[str, str]
    commits: dict[str, str] = field(default_factory=dict)
    patches: dict[tuple[str, str], bytes] = field(default_factory=dict)

    def patch(self, kind: str, tool: str = "git-diff") -> bytes:
        return self.patches[(kind, tool)]

    def open(self) -> pygit2.Repository:
        return pygit2.Repository(str(self.mirror))


def make_patch(up: Upstream, root: Path, kind: str, tool: str) -> bytes:
    head, args = up.heads[kind], KINDS[kind].diff_args
    if tool == "git-diff":
        return up.work.git("diff", "--binary", *args, up.base, head)
    if tool == "format-patch":
        return up.work.git("format-patch", "-1", "--binary", "--stdout", *args, head)
    where = root / "plain" / kind
    up.work.export(up.base, where / "a")
    up.work.export(head, where / "b")
    done = subprocess.run(["diff", "-ruN", "a", "b"], cwd=where, capture_output=True, check=False)
    assert done.returncode == 1, done.stderr
    return done.stdout


# Commits made on the base for the failure tests: what each one changes.
SIDE_COMMITS: dict[str, dict[str, File | None]] = {
    "drift": {"src/app.py": File(APP.replace(b"def func_1(x):\n", b"def func_1(x):  # drifted\n"))},
    "no_util": {"src/util.py": None},
    "util_symlink": {"src/util.py": File(b"README.md", SYMLINK)},
    "util_exec": {"src/util.py": File(UTIL, EXECUTABLE)},
    "util_done": {"src/util.py": File(UTIL_MODIFIED)},
    "new_file_exists": {"new/deep/dir/file.py": File(b"print('someone else')\n")},
    "other_image": {"image.bin": File(IMAGE[::-1])},
    "app_shifted": {"src/app.py": File(b"# header\n# added above\n" + APP)},
}


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    root = tmp_path_factory.mktemp("patching")
    work = GitRepo.create(root / "work")
    base = work.commit(BASE, "base")
    work.git("branch", "base", base)
    heads = {}
    for name, kind in KINDS.items():
        heads[name] = work.commit(kind.changes, name, parent=base)
        work.git("branch", f"kind/{name}", heads[name])
    upstream = Upstream(work, root / "mirror.git", base, heads)
    for name, changes in SIDE_COMMITS.items():
        upstream.commits[name] = work.commit(changes, name, parent=base)
        work.git("branch", f"side/{name}", upstream.commits[name])
    first = work.commit(
        {"src/app.py": File(APP_MODIFIED), "notes.txt": File(b"v1\n")}, "s1", parent=base
    )
    second = work.commit(
        {"src/app.py": File(APP_MODIFIED + b"# end\n"), "notes.txt": File(b"v2\n")}, "s2"
    )
    work.git("branch", "series", second)
    work.git("tag", "-a", "-m", "base tag", "v-base", base)
    upstream.commits.update(series1=first, series2=second)
    work.bare_clone(upstream.mirror)
    for kind, tool in CASES:
        upstream.patches[(kind, tool)] = make_patch(upstream, root, kind, tool)
    return upstream


# --------------------------------------------------------------------------- helpers


def git_changes(
    up: Upstream, kind: str, tool: str
) -> tuple[set[tuple[str, str, str | None]], int, int]:
    """What git says the commit changed: (status, path, old path) and line totals."""
    args = ("--no-renames",) if tool == "diff-ruN" else ("-M", *KINDS[kind].diff_args)
    names = up.work.git("diff", "-z", "--name-status", *args, up.base, up.heads[kind])
    tokens = iter(names.decode().split("\0"))
    words = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "copied"}
    expected: set[tuple[str, str, str | None]] = set()
    for status in tokens:
        if not status:
            continue
        if status[0] in "RC":
            old, new = next(tokens), next(tokens)
            expected.add((words[status[0]], new, old))
        elif status == "T":  # git diff writes a type change as a deletion and an addition
            path = next(tokens)
            expected |= {("deleted", path, None), ("added", path, None)}
        else:
            expected.add((words[status], next(tokens), None))
    added = removed = 0
    for line in (
        up.work.git("diff", "--numstat", *args, up.base, up.heads[kind]).decode().splitlines()
    ):
        a, r, _ = line.split("\t", 2)
        if a != "-":
            added, removed = added + int(a), removed + int(r)
    return expected, added, removed


def head_modes(up: Upstream, commit: str) -> dict[str, int]:
    repo = pygit2.Repository(str(up.work.path))
    return {f.path: f.mode for f in iter_tree_files(repo, up.work.tree(commit))}


def git_apply_cached(up: Upstream, base: str, patch: bytes, tmp: Path) -> str | None:
    """The tree `git apply --cached` makes from `patch` on `base`, or None when it refuses."""
    env = {"GIT_INDEX_FILE": str(tmp / "apply-index")}
    git(up.work.path, "read-tree", base, env=env)
    done = subprocess.run(
        ["git", "apply", "--cached", "-"],
        cwd=up.work.path,
        input=patch,
        env={**os.environ, **env},
        capture_output=True,
        check=False,
    )
    if done.returncode:
        return None
    return git(up.work.path, "write-tree", env=env).decode().strip()


def assert_one_line(error: Exception) -> str:
    text = str(error)
    assert "\n" not in text and text.strip() == text
    return text


def apply(up: Upstream, baseline: str, patch: bytes) -> PatchResult:
    return apply_patch_in_memory(up.open(), baseline, patch)


# --------------------------------------------------------------------------- every kind applies


@pytest.mark.parametrize(("kind", "tool"), CASES, ids=[f"{k}-{t}" for k, t in CASES])
def test_patch_yields_the_head_tree(up: Upstream, kind: str, tool: str) -> None:
    result = apply(up, up.base, up.patch(kind, tool))

    assert result.patched_tree == up.work.tree(up.heads[kind])
    assert result.baseline_commit == up.base
    assert result.baseline_tree == up.work.tree(up.base)
    expected, added, removed = git_changes(up, kind, tool)
    assert {(f.status, f.path, f.old_path) for f in result.files} == expected
    assert (result.lines_added, result.lines_removed) == (added, removed)
    modes = head_modes(up, up.heads[kind])
    written = {f.path for f in result.files if f.status != "deleted"}
    for change in result.files:
        if change.status == "deleted":
            assert change.new_mode is None
            assert change.path in written or change.path not in modes
        else:
            assert change.new_mode == modes[change.path]
    assert result.warnings == ()


def test_file_changes_carry_modes_and_binary_flags(up: Upstream) -> None:
    result = apply(up, up.base, up.patch("kitchen_sink"))
    by_path = {(f.status, f.path): f for f in result.files}

    assert by_path[("modified", "run.sh")].old_mode == 0o100644
    assert by_path[("modified", "run.sh")].new_mode == 0o100755
    assert by_path[("modified", "tool.sh")].new_mode == 0o100644
    assert by_path[("added", "newlink")].new_mode == 0o120000
    assert by_path[("added", "typechange.txt")].new_mode == 0o120000
    assert by_path[("deleted", "typechange.txt")].old_mode == 0o100644
    assert by_path[("modified", "image.bin")].binary
    assert by_path[("modified", "src/app.py")].lines_added == 3
    assert by_path[("modified", "src/app.py")].lines_removed == 2
    assert not by_path[("modified", "src/app.py")].binary
    assert by_path[("renamed", "pkg/moved.py")].old_path == "moved.py"
    assert "lonely/only.txt" in result.deleted and "new.bin" in result.added
    assert "pkg/moved.py" in result.renamed and "src/util.py" in result.modified


def test_deleting_the_last_file_removes_the_directory(up: Upstream) -> None:
    result = apply(up, up.base, up.patch("delete_last_in_dir"))
    paths = {f.path for f in iter_tree_files(up.open(), result.patched_tree, result.objects)}

    assert not any(p.startswith("lonely/") for p in paths)
    root_entries = {e.name for e in up.open()[up.work.tree(up.base)]}
    assert "lonely" in root_entries


def test_format_patch_series_applies_commit_after_commit(up: Upstream) -> None:
    series = up.work.git("format-patch", "--stdout", f"{up.base}..{up.commits['series2']}")
    assert b"Subject: [PATCH 1/2]" in series and b"Subject: [PATCH 2/2]" in series

    result = apply(up, up.base, series)

    assert result.patched_tree == up.work.tree(up.commits["series2"])
    assert [f.path for f in result.files] == ["notes.txt", "src/app.py", "notes.txt", "src/app.py"]


def test_baseline_may_be_any_commit_name(up: Upstream) -> None:
    patch = up.patch("modify")
    want = up.work.tree(up.heads["modify"])

    assert apply(up, "base", patch).patched_tree == want
    assert apply(up, "v-base", patch).patched_tree == want  # annotated tag, peeled
    assert apply(up, up.base[:10], patch).patched_tree == want


@pytest.mark.parametrize("baseline", ["0" * 40, "no-such-branch", "base^{tree}"])
def test_unknown_baseline_is_reported(up: Upstream, baseline: str) -> None:
    with pytest.raises(BaselineNotFound) as caught:
        apply(up, baseline, up.patch("modify"))
    assert baseline in assert_one_line(caught.value)


def test_plain_diff_without_prefix_and_without_timestamps(up: Upstream) -> None:
    patch = b"--- nl.txt\n+++ nl.txt\n@@ -1,2 +1,2 @@\n gamma\n-delta\n+DELTA\n"
    result = apply(up, up.base, patch)
    data = {f.path: f.data for f in iter_tree_files(up.open(), result.patched_tree, result.objects)}

    assert data["nl.txt"] == b"gamma\nDELTA\n"
    assert result.files[0].status == "modified"


# --------------------------------------------------------------------------- failures


def test_wrong_base_names_file_hunk_and_differing_line(up: Upstream, tmp_path: Path) -> None:
    patch = up.patch("modify")
    assert git_apply_cached(up, up.commits["drift"], patch, tmp_path) is None

    with pytest.raises(PatchDoesNotApply) as caught:
        apply(up, up.commits["drift"], patch)

    error = caught.value
    assert error.path == "src/app.py"
    assert error.hunk_header == "@@ -2,7 +2,7 @@"  # the change at line 5, 3 lines of context
    assert error.line_no == 4
    assert error.expected == "def func_1(x):"
    assert error.actual == "def func_1(x):  # drifted"
    assert assert_one_line(error) == (
        "src/app.py: @@ -2,7 +2,7 @@: does not apply: line 4 expected 'def func_1(x):' but "
        "baseline has 'def func_1(x):  # drifted' (rebase the patch onto the baseline, or "
        "move the baseline)"
    )


def test_hunks_apply_at_an_offset_like_git(up: Upstream, tmp_path: Path) -> None:
    shifted = up.commits["app_shifted"]
    patch = up.patch("modify")

    result = apply(up, shifted, patch)

    assert result.patched_tree == git_apply_cached(up, shifted, patch, tmp_path)


def test_file_to_modify_missing_in_baseline(up: Upstream) -> None:
    with pytest.raises(PatchDoesNotApply) as caught:
        apply(up, up.commits["no_util"], up.patch("modify"))
    assert caught.value.path == "src/util.py"
    assert caught.value.hunk_header is None
    assert "missing in the baseline" in assert_one_line(caught.value)


def test_file_to_add_already_exists(up: Upstream, tmp_path: Path) -> None:
    baseline, patch = up.commits["new_file_exists"], up.patch("add_in_new_dir")
    assert git_apply_cached(up, baseline, patch, tmp_path) is None

    with pytest.raises(PatchDoesNotApply) as caught:
        apply(up, baseline, patch)
    assert caught.value.path == "new/deep/dir/file.py"
    assert "already exists" in assert_one_line(caught.value)


def test_binary_preimage_mismatch(up: Upstream, tmp_path: Path) -> None:
    baseline, patch = up.commits["other_image"], up.patch("binary_modify")
    assert git_apply_cached(up, baseline, patch, tmp_path) is None

    with pytest.raises(PatchDoesNotApply) as caught:
        apply(up, baseline, patch)
    error = caught.value
    assert error.path == "image.bin"
    assert error.expected == hash_object("blob", IMAGE)
    assert error.actual == hash_object("blob", IMAGE[::-1])
    assert "blob" in assert_one_line(error)


def test_file_type_mismatch_does_not_apply(up: Upstream, tmp_path: Path) -> None:
    baseline, patch = up.commits["util_symlink"], up.patch("modify")
    assert git_apply_cached(up, baseline, patch, tmp_path) is None

    with pytest.raises(PatchDoesNotApply) as caught:
        apply(up, baseline, patch)
    assert caught.value.path == "src/util.py"
    assert "symlink" in assert_one_line(caught.value)


def test_executable_bit_mismatch_only_warns_like_git(up: Upstream, tmp_path: Path) -> None:
    baseline, patch = up.commits["util_exec"], up.patch("modify")

    result = apply(up, baseline, patch)

    assert result.patched_tree == git_apply_cached(up, baseline, patch, tmp_path)
    assert {f.path: f.new_mode for f in result.files}["src/util.py"] == 0o100755
    assert any("src/util.py" in w and "100755" in w for w in result.warnings)


@pytest.mark.parametrize("kind", ["modify", "binary_modify", "add_in_new_dir", "kitchen_sink"])
def test_already_applied_patch_is_recognised(up: Upstream, kind: str) -> None:
    with pytest.raises(PatchAlreadyApplied) as caught:
        apply(up, up.heads[kind], up.patch(kind))
    text = assert_one_line(caught.value)
    assert caught.value.path in text and "already applied" in text


def test_partly_applied_patch_does_not_apply(up: Upstream) -> None:
    with pytest.raises(PatchDoesNotApply) as caught:
        apply(up, up.commits["util_done"], up.patch("modify"))
    assert not isinstance(caught.value, PatchAlreadyApplied)
    assert caught.value.path == "src/util.py"
    assert caught.value.hunk_header == "@@ -2,4 +2,4 @@"
    assert caught.value.expected == "    return os.sep"
    assert caught.value.actual == "    return os.pathsep"


@pytest.mark.parametrize(
    "patch",
    [
        b"",
        b"\n\n",
        b"From 1234 Mon Sep 17 00:00:00 2001\nSubject: [PATCH 0/2] cover letter\n\nJust prose.\n",
        b"diff --git a/x b/x\n",  # a header line alone is ignored by git too
    ],
    ids=["empty", "blank", "prose", "lone-header"],
)
def test_empty_patch(up: Upstream, patch: bytes) -> None:
    with pytest.raises(EmptyPatch) as caught:
        apply(up, up.base, patch)
    assert "no file changes" in assert_one_line(caught.value)


def test_diff_of_a_commit_with_itself_is_empty(up: Upstream) -> None:
    with pytest.raises(EmptyPatch):
        apply(up, up.base, up.work.git("diff", up.base, up.base))


NEW_X = b"new file mode 100644\n--- /dev/null\n+++ b/%s\n@@ -0,0 +1 @@\n+x\n"

UNSAFE = {
    "dotdot": (b"diff --git a/../evil b/../evil\n" + NEW_X % b"../evil", "../evil"),
    "dotdot-deep": (b"diff --git a/a/../../x b/a/../../x\n" + NEW_X % b"a/../../x", "a/../../x"),
    "git-dir": (
        b"diff --git a/.git/hooks/post-checkout b/.git/hooks/post-checkout\n"
        + NEW_X % b".git/hooks/post-checkout",
        ".git/hooks/post-checkout",
    ),
    "nested-git-dir": (
        b"diff --git a/sub/.GIT/config b/sub/.GIT/config\n" + NEW_X % b"sub/.GIT/config",
        "sub/.GIT/config",
    ),
    "absolute-git": (
        b"diff --git a//etc/cron.d/x b//etc/cron.d/x\n" + NEW_X % b"/etc/cron.d/x",
        "/etc/cron.d/x",
    ),
    "absolute-plain": (
        b"--- /etc/passwd\t2024-01-01\n+++ /etc/passwd\t2024-01-02\n@@ -1 +1 @@\n-a\n+b\n",
        "/etc/passwd",
    ),
    "rename-out": (
        b"diff --git a/README.md b/../README.md\nsimilarity index 100%\nrename from README.md\n"
        b"rename to ../README.md\n",
        "../README.md",
    ),
    "quoted": (
        b'diff --git "a/\\056\\056/q" "b/\\056\\056/q"\nnew file mode 100644\n--- /dev/null\n'
        b'+++ "b/\\056\\056/q"\n@@ -0,0 +1 @@\n+x\n',
        "../q",
    ),
    "after-malformed": (
        b"diff --git a/ok b/ok\n--- a/ok\n+++ b/ok\n@@ -1,5 +1,5 @@\n*broken\n"
        b"diff --git a/../late b/../late\n" + NEW_X % b"../late",
        "../late",
    ),
}


@pytest.mark.parametrize("name", list(UNSAFE))
def test_unsafe_paths_are_refused_first(up: Upstream, name: str) -> None:
    patch, path = UNSAFE[name]
    with pytest.raises(UnsafePath) as caught:
        parse_patch(patch)
    assert caught.value.path == path

    with pytest.raises(UnsafePath) as caught:
        apply(up, "0" * 40, patch)  # refused before the (unknown) baseline is even looked up
    assert path in assert_one_line(caught.value)


def corrupt_binary(up: Upstream) -> tuple[bytes, int]:
    lines = up.patch("binary_add").split(b"\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(b"literal ")) + 2
    lines[index] = lines[index][:5] + b"\x7f" + lines[index][6:]
    return b"\n".join(lines), index + 1


MALFORMED = {
    "truncated-hunk": (b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n", 7),
    "bad-line": (b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n*b\n+c\n", 6),
    "no-newline": (b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b", 6),
    "stray-hunk": (b"some text\n@@ -1 +1 @@\n-a\n+b\n", 2),
    "bad-header": (b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,x +1 @@\n-a\n+b\n", 4),
    "too-many-lines": (b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n-b\n+c\n", 6),
    "header-only": (b"diff --git a/x b/x\nindex 1234567..89abcde 100644\n", 1),
}


@pytest.mark.parametrize("name", [*MALFORMED, "corrupt-binary"])
def test_malformed_patch_names_the_line(up: Upstream, name: str) -> None:
    patch, line_no = corrupt_binary(up) if name == "corrupt-binary" else MALFORMED[name]

    with pytest.raises(MalformedPatch) as caught:
        apply(up, up.base, patch)

    assert caught.value.line_no == line_no
    assert f"patch line {line_no}" in assert_one_line(caught.value)


def test_malformed_hunk_error_names_file_and_hunk(up: Upstream) -> None:
    with pytest.raises(MalformedPatch) as caught:
        parse_patch(MALFORMED["truncated-hunk"][0])
    assert caught.value.path == "x"
    assert caught.value.hunk_header == "@@ -1,3 +1,3 @@"
    assert str(caught.value).startswith("x: @@ -1,3 +1,3 @@: patch line 7: ")


# --------------------------------------------------------------------------- read-only mirror


def _apply_in_process(mirror: str, baseline: str, patch: bytes) -> str:
    return apply_patch_in_memory(pygit2.Repository(mirror), baseline, patch).patched_tree


def _apply_in_thread(mirror: str, baseline: str, patch: bytes) -> str:
    try:
        return _apply_in_process(mirror, baseline, patch)
    except PatchError as error:
        return type(error).__name__


def test_mirror_is_untouched_by_parallel_validation(up: Upstream) -> None:
    before = snapshot(up.mirror)
    jobs = [(up.base, up.patch(k, t), up.work.tree(up.heads[k])) for k, t in CASES]
    jobs += [
        (up.commits["drift"], up.patch("modify"), "PatchDoesNotApply"),
        (up.heads["kitchen_sink"], up.patch("kitchen_sink"), "PatchAlreadyApplied"),
        (up.commits["other_image"], up.patch("binary_modify"), "PatchDoesNotApply"),
    ]
    mirror = str(up.mirror)

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda job: _apply_in_thread(mirror, job[0], job[1]), jobs))
    assert got == [want for _, _, want in jobs]

    picked = [jobs[i] for i in range(0, len(jobs), 7)]
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        futures = [
            pool.submit(_apply_in_process, mirror, base, patch)
            for base, patch, want in picked
            if not want.startswith("Patch")
        ]
        trees = [f.result() for f in futures]
    assert trees == [want for _, _, want in picked if not want.startswith("Patch")]

    assert snapshot(up.mirror) == before
    assert not (up.mirror / "index").exists()


# --------------------------------------------------------------------------- materializing


def test_patched_tree_can_be_read_from_the_overlay(up: Upstream, tmp_path: Path) -> None:
    base_only = up.work.bare_clone(tmp_path / "base-only.git", branch="base")
    repo = pygit2.Repository(str(base_only))
    head = up.heads["kitchen_sink"]
    assert head not in repo  # the mirror has never seen the patched objects

    result = apply_patch_in_memory(repo, up.base, up.patch("kitchen_sink"))

    assert result.patched_tree == up.work.tree(head)
    assert result.objects
    for oid, (kind, raw) in result.objects.items():
        assert hash_object(kind, raw) == oid
        assert oid not in repo
    assert read_object(repo, result.objects, result.patched_tree)[0] == "tree"
    files = list(iter_tree_files(repo, result.patched_tree, result.objects))
    work = pygit2.Repository(str(up.work.path))
    assert files == list(iter_tree_files(work, up.work.tree(head)))
    modes = {f.path: f.mode for f in files}
    assert modes["run.sh"] == 0o100755 and modes["newlink"] == 0o120000
    assert {f.path: f.data for f in files}["newlink"] == b"src/app.py"


# --------------------------------------------------------------------------- parsing


def test_parse_patch_exposes_hunks_for_review(up: Upstream) -> None:
    parsed = parse_patch(up.patch("modify", "format-patch"))

    app, util = parsed.files
    assert (app.status, app.path, app.old_mode, app.new_mode) == (
        "modified",
        "src/app.py",
        0o100644,
        None,
    )
    first = app.hunks[0]
    assert (first.old_start, first.old_lines, first.new_start, first.new_lines) == (2, 7, 2, 7)
    assert first.header == "@@ -2,7 +2,7 @@"
    assert first.section == "def func_0(x):"
    assert first.lines[2:5] == (
        b" def func_1(x):\n",
        b"-    return x + 1\n",
        b"+    return x + 1000\n",
    )
    pre, post = first.images()
    assert pre[3] == b"    return x + 1\n" and post[3] == b"    return x + 1000\n"
    assert (parsed.lines_added, parsed.lines_removed) == (4, 3)
    assert first.reversed().reversed() == first
    assert [c.path for c in parsed.changes()] == ["src/app.py", "src/util.py"]
    assert util.hunks[0].patch_line > first.patch_line


def test_no_newline_markers_shape_the_images(up: Upstream) -> None:
    (nonl,) = parse_patch(up.patch("nonl_modify")).files
    pre, post = nonl.hunks[0].images()

    assert pre == [b"alpha\n", b"beta"] and post == [b"alpha\n", b"BETA"]
    assert nonl.hunks[0].lines[-1] == NO_NEWLINE_MARKER


LIBGIT2_KINDS = [
    "modify",
    "add_in_new_dir",
    "delete",
    "rename_edit",
    "mode_unexec_edit",
    "nonl_modify",
    "crlf",
    "binary_modify",
]


@pytest.mark.parametrize("kind", LIBGIT2_KINDS)
def test_parse_agrees_with_libgit2(up: Upstream, kind: str) -> None:
    """Where libgit2 can parse git's output, both parsers read the same files and lines."""
    patch = up.patch(kind)
    ours = parse_patch(patch).files
    theirs = list(pygit2.Diff.parse_diff(patch))
    letters = {"added": "A", "deleted": "D", "modified": "M", "renamed": "R", "copied": "C"}

    assert len(ours) == len(theirs)
    for mine, other in zip(ours, theirs, strict=True):
        delta = other.delta
        assert letters[mine.status] == delta.status_char()
        assert mine.binary == delta.is_binary
        assert mine.path.encode() == (
            delta.new_file.raw_path if mine.new_path else delta.old_file.raw_path
        )
        assert [h.header for h in mine.hunks] == [
            h.header.split(" @@")[0] + " @@" for h in other.hunks
        ]
        libgit2_lines = [
            [
                (
                    b"\\ No newline at end of file\n"
                    if line.origin in "=<>"
                    else line.origin.encode() + line.raw_content
                )
                for line in h.lines
            ]
            for h in other.hunks
        ]
        assert [list(h.lines) for h in mine.hunks] == libgit2_lines


# --------------------------------------------------------------------------- differential check


ALPHABET = [b"a\n", b"b\n", b"{\n", b"}\n", b"\n", b"x = 1\n", b"a \n", b"a\r\n", b"return\n"]


def _random_file(rng: random.Random) -> bytes:
    data = b"".join(rng.choice(ALPHABET) for _ in range(rng.choice([0, 1, 2, 5, 9, 20])))
    return data.rstrip(b"\n") if data and rng.random() < 0.2 else data


def _mutate(rng: random.Random, data: bytes) -> bytes:
    lines = data.splitlines(keepends=True)
    for _ in range(rng.choice([1, 2, 3])):
        at = rng.randrange(len(lines) + 1)
        roll = rng.random()
        if roll < 0.4 or not lines:
            lines.insert(at, rng.choice(ALPHABET))
        elif roll < 0.7:
            del lines[min(at, len(lines) - 1)]
        else:
            lines[min(at, len(lines) - 1)] = rng.choice(ALPHABET)
    out = b"".join(lines)
    if out and rng.random() < 0.15:
        out = out[:-1] if out.endswith(b"\n") else out + b"\n"
    return out


def _random_case(rng: random.Random, scratch: Scratch) -> tuple[str, str, str]:
    """A base, a head made from it, and another commit that drifted from the base."""
    base = {f"f{i}": (rng.choice([0o100644, 0o100755]), _random_file(rng)) for i in range(2)}
    head, other = {}, {}
    for path, (mode, data) in base.items():
        if rng.random() > 0.1:
            head[path] = (mode, _mutate(rng, data) if rng.random() < 0.8 else data)
        if rng.random() > 0.05:
            other[path] = (mode, _mutate(rng, data) if rng.random() < 0.6 else data)
    if rng.random() < 0.3:
        head["d/new"] = (0o100644, _random_file(rng))
    if rng.random() < 0.3 and "f0" in head:
        head["moved/f0"] = head.pop("f0")
    return scratch.commit(base), scratch.commit(head), scratch.commit(other)


class Scratch:
    """A bare repository of commits made from file dicts, and git's own verdict on patches."""

    def __init__(self, path: Path) -> None:
        git(path.parent, "init", "-q", "--bare", str(path))
        self.path = path
        self.repo = pygit2.Repository(str(path))
        self.env = {"GIT_INDEX_FILE": str(path.parent / "scratch-index")}

    def commit(self, files: dict[str, tuple[int, bytes]]) -> str:
        index = pygit2.Index()
        for path, (mode, data) in files.items():
            index.add(pygit2.IndexEntry(path, self.repo.create_blob(data), mode))
        sig = pygit2.Signature("scratch", "scratch@example.invalid", 0, 0)
        return str(self.repo.create_commit(None, sig, sig, "m", index.write_tree(self.repo), []))

    def git_apply(self, baseline: str, patch: bytes) -> str | None:
        """The tree of `git apply --cached` on `baseline`, or None when git refuses."""
        git(self.path, "read-tree", baseline, env=self.env)
        done = subprocess.run(
            ["git", "apply", "--cached", "-"],
            cwd=self.path,
            input=patch,
            env={**os.environ, **self.env},
            capture_output=True,
            check=False,
        )
        if done.returncode:
            return None
        return git(self.path, "write-tree", env=self.env).decode().strip()

    def ours(self, baseline: str, patch: bytes) -> str | None:
        try:
            return apply_patch_in_memory(self.repo, baseline, patch).patched_tree
        except PatchError:
            return None


@pytest.fixture
def scratch(tmp_path: Path) -> Scratch:
    return Scratch(tmp_path / "scratch.git")


def lines_of(*words: str) -> bytes:
    return "".join(f"{w}\n" for w in words).encode()


def test_ambiguous_hunk_goes_to_the_nearest_match_forwards_first(scratch: Scratch) -> None:
    # "a b c" occurs two lines before and two lines after where the header puts the hunk.
    base = scratch.commit({"f": (0o100644, lines_of("q", "a", "b", "c", "m", "a", "b", "c", "w"))})
    patch = b"--- a/f\n+++ b/f\n@@ -4,3 +4,3 @@\n a\n-b\n+B\n c\n"

    tree = scratch.ours(base, patch)

    assert tree is not None and tree == scratch.git_apply(base, patch)
    files = {f.path: f.data for f in iter_tree_files(scratch.repo, tree)}
    assert files["f"] == lines_of("q", "a", "b", "c", "m", "a", "B", "c", "w")


def test_a_hunk_cannot_match_lines_an_earlier_hunk_wrote(scratch: Scratch) -> None:
    base = scratch.commit({"f": (0o100644, lines_of(*"123456789"))})
    # The second hunk's preimage "2 X 4" only exists once the first hunk has run.
    patch = b"--- a/f\n+++ b/f\n@@ -2,3 +2,3 @@\n 2\n-3\n+X\n 4\n@@ -7,3 +7,3 @@\n 2\n-X\n+Y\n 4\n"

    assert scratch.git_apply(base, patch) is None
    with pytest.raises(PatchDoesNotApply) as caught:
        apply_patch_in_memory(scratch.repo, base, patch)
    assert caught.value.hunk_header == "@@ -7,3 +7,3 @@"


def test_binary_patch_must_produce_the_promised_blob(up: Upstream, tmp_path: Path) -> None:
    patch = up.patch("binary_modify")
    promised = hash_object("blob", IMAGE_MODIFIED).encode()
    tampered = patch.replace(promised, b"1" * 40)
    assert tampered != patch
    assert git_apply_cached(up, up.base, tampered, tmp_path) is None

    with pytest.raises(PatchDoesNotApply) as caught:
        apply(up, up.base, tampered)
    assert caught.value.path == "image.bin"
    assert "111111111111" in assert_one_line(caught.value)


def test_binary_patch_without_data_is_refused(up: Upstream) -> None:
    patch = up.work.git("diff", up.base, up.heads["binary_modify"])  # no --binary
    assert b"Binary files" in patch

    with pytest.raises(PatchDoesNotApply) as caught:
        apply(up, up.base, patch)
    assert "--binary" in assert_one_line(caught.value)


def test_verdicts_and_trees_agree_with_git_apply(scratch: Scratch) -> None:
    """Random small edits applied to drifted bases: same success, same tree, as git apply."""
    outcomes = {True: 0, False: 0}
    for seed in range(120):
        rng = random.Random(seed)
        base, head, other = _random_case(rng, scratch)
        context = rng.choice(["-U3", "-U1"])
        patch = git(scratch.path, "diff", "--binary", "-M", context, base, head)
        if not patch:
            continue
        for target in (base, other, head):
            want = scratch.git_apply(target, patch)
            got = scratch.ours(target, patch)
            assert got == want, f"seed {seed}: git says {want}, we say {got}"
            outcomes[want is None] += 1
    assert outcomes[True] > 50 and outcomes[False] > 50  # both verdicts were exercised


def test_lone_carriage_returns_and_a_mail_signature_agree_with_git(scratch: Scratch) -> None:
    # A lone CR is line content for git, and "-- " after the last hunk is a mail signature,
    # not a removed line: both leave the fast paths of the parser and the matcher.
    base = scratch.commit({"f": (0o100644, b"a\rb\nc\nd\r\ne\n")})
    patch = (
        b"From 0 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] x\n\n---\n"
        b"diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\rb\n-c\n+C\n d\r\n"
        b"-- \n2.39.5\n\n"
    )

    tree = scratch.ours(base, patch)

    assert tree is not None and tree == scratch.git_apply(base, patch)
    files = {f.path: f.data for f in iter_tree_files(scratch.repo, tree)}
    assert files["f"] == b"a\rb\nC\nd\r\ne\n"


def test_a_hunk_far_from_its_header_is_found_where_git_finds_it(scratch: Scratch) -> None:
    # The preimage's first line occurs many times; only one place (far before the header's
    # line) has the whole preimage, so the search must walk past every near candidate.
    lines = [f"line {i}" for i in range(300)]
    lines[5:8] = ["x", "target", "y"]
    for at in range(200, 300, 4):
        lines[at] = "x"
    base = scratch.commit({"f": (0o100644, lines_of(*lines))})
    patch = b"--- a/f\n+++ b/f\n@@ -250,3 +250,3 @@\n x\n-target\n+moved\n y\n"

    tree = scratch.ours(base, patch)

    assert tree is not None and tree == scratch.git_apply(base, patch)
    files = {f.path: f.data for f in iter_tree_files(scratch.repo, tree)}
    assert files["f"].split(b"\n")[6] == b"moved"


def test_a_deletion_is_checked_against_the_whole_baseline_file(scratch: Scratch) -> None:
    # A deletion whose hunk hashes to the baseline blob is accepted without reading the blob;
    # any other content (one byte differs, a line more, no final newline) still fails as in git.
    content = lines_of(*(f"line {i}" for i in range(50)))
    base = scratch.commit({"f": (0o100644, content), "keep": (0o100644, b"k\n")})
    head = scratch.commit({"keep": (0o100644, b"k\n")})
    patch = git(scratch.path, "diff", base, head)
    assert scratch.ours(base, patch) == scratch.git_apply(base, patch) == head_tree(scratch, head)
    for drifted in (
        content.replace(b"line 17\n", b"line 1x\n"),
        content + b"one more\n",
        content[:-1],
    ):
        other = scratch.commit({"f": (0o100644, drifted), "keep": (0o100644, b"k\n")})
        assert scratch.git_apply(other, patch) is None
        with pytest.raises(PatchDoesNotApply) as caught:
            apply_patch_in_memory(scratch.repo, other, patch)
        assert caught.value.path == "f"


def test_a_pure_rename_keeps_the_blob_without_changing_it(scratch: Scratch) -> None:
    content = lines_of(*(f"row {i}" for i in range(40)))
    base = scratch.commit({"old/f": (0o100644, content)})
    head = scratch.commit({"new/f": (0o100644, content)})
    patch = git(scratch.path, "diff", "-M", base, head)
    assert b"similarity index 100%" in patch

    result = apply_patch_in_memory(scratch.repo, base, patch)

    assert result.patched_tree == scratch.git_apply(base, patch) == head_tree(scratch, head)
    assert result.renamed == ("new/f",)
    assert not result.objects or all(kind == "tree" for kind, _ in result.objects.values())


def head_tree(scratch: Scratch, commit: str) -> str:
    found = scratch.repo.get(commit)
    assert isinstance(found, pygit2.Commit)
    return str(found.tree_id)
