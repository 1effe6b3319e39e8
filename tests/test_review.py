"""`datum review BASE..HEAD`: each kind of change made in a real repository by two commits, the
JSON output asserted field by field (the markdown goldens are in test_review_markdown.py)."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pygit2
import pytest

from helpers.repo import git
from helpers.reviewrepo import TEST_CALC, DatumRepo, default_spec, only_datum, set_path

pytest_plugins = ["helpers.review_fixtures"]  # the datum_repo and upstream fixtures


def _base(repo: DatumRepo, *names: str) -> str:
    for name in names or ("calc",):
        repo.write(name)
    return repo.commit("base")


def _review(repo: DatumRepo, base: str, head: str | None = None) -> tuple[int, dict[str, Any]]:
    return repo.review_json(f"{base}..{head or repo.commit('head')}")


# --- datums appearing, disappearing, moving ----------------------------------------------------


def test_added_datum(datum_repo: DatumRepo) -> None:
    base = datum_repo.commit("empty")
    datum_repo.write("calc")
    head = datum_repo.commit("add calc")
    code, report = datum_repo.review_json(f"{base}..{head}")
    assert code == 0
    assert report["version"] == 1
    assert report["range"] == f"{base}..{head}"
    assert report["base"] == {"label": base, "commit": base}
    assert report["head"] == {"label": head, "commit": head}
    assert report["ok"] is True
    assert report["summary"] == {
        "datums": 1,
        "added": 1,
        "removed": 0,
        "renamed": 0,
        "modified": 0,
        "blocking": 0,
    }
    datum = only_datum(report)
    upstream = datum_repo.upstream
    assert datum["name"] == "calc"
    assert datum["status"] == "added"
    assert datum["old_name"] is None and datum["similarity"] is None
    assert datum["title"] == "Calculator calc"
    assert datum["baseline_sha"] == upstream.u1
    assert datum["fields"] == []
    assert datum["rubrics"] == {
        "added": [
            {"id": "works", "weight": 0.5},
            {"id": "tested", "weight": 0.3},
            {"id": "tidy", "weight": 0.2},
        ],
        "removed": [],
        "reweighted": [],
        "weight_sum": {"before": None, "after": 1.0},
    }
    assert datum["baseline"] is None
    assert datum["patch"] == {
        "before": None,
        "after": {"files": 1, "lines_added": 3, "lines_removed": 3},
        "unchanged_files": 0,
        "error": None,
        "files": [],
    }
    assert datum["applies"]["status"] == "applies"
    assert datum["applies"]["baseline"] == upstream.u1
    tree = datum["applies"]["patched_tree"]
    assert len(tree) == 40
    assert datum["generated"] == {
        "regenerated": [
            "Dockerfile",
            "baseline_sha.txt",
            "datum.lock",
            "overlay_files/box_bootstrap.sh",
            "overlay_files/tb_meta.json",
            "tb_meta.json",
        ],
        "issues": [],
    }
    assert datum["lock"] == {"before": None, "after": {"present": True, "patched_tree": tree}}
    assert datum["blocking"] == [] and datum["invalid"] == [] and datum["notes"] == []


def test_removed_datum(datum_repo: DatumRepo) -> None:
    base = _base(datum_repo, "calc", "other")
    shutil.rmtree(datum_repo.directory("other"))
    code, report = _review(datum_repo, base)
    assert code == 0
    assert report["summary"]["removed"] == 1
    datum = only_datum(report)
    assert datum["name"] == "other"
    assert datum["status"] == "removed"
    assert datum["title"] == "Calculator other"
    assert datum["baseline_sha"] == datum_repo.upstream.u1
    assert datum["patch"]["before"] == {"files": 1, "lines_added": 3, "lines_removed": 3}
    assert datum["patch"]["after"] is None
    assert datum["applies"] is None and datum["generated"] is None
    assert datum["lock"]["after"] is None
    assert datum["lock"]["before"]["present"] is True


def test_renamed_datum_is_one_datum_not_two(datum_repo: DatumRepo) -> None:
    base = _base(datum_repo)
    git(datum_repo.root, "mv", "datums/calc", "datums/calculator")
    spec = copy.deepcopy(datum_repo.spec("calc"))
    spec["task_id"] = "re-bench-calculator"
    datum_repo.write("calculator", spec)
    code, report = _review(datum_repo, base)
    assert code == 0
    assert report["summary"]["renamed"] == 1
    assert report["summary"]["added"] == report["summary"]["removed"] == 0
    datum = only_datum(report)
    assert datum["name"] == "calculator"
    assert datum["status"] == "renamed"
    assert datum["old_name"] == "calc"
    assert 90 <= datum["similarity"] < 100
    assert datum["fields"] == [
        {
            "path": "task_id",
            "old": "re-bench-calc",
            "new": "re-bench-calculator",
            "diff": None,
            "rubric": None,
        }
    ]
    assert datum["patch"] is None  # the same diff.patch under the new name
    assert datum["generated"]["issues"] == []
    assert "tb_meta.json" in datum["generated"]["regenerated"]
    assert datum["lock"]["before"] == datum["lock"]["after"]


def test_unrelated_add_and_remove_are_not_a_rename(datum_repo: DatumRepo) -> None:
    base = _base(datum_repo)
    shutil.rmtree(datum_repo.directory("calc"))
    spec = default_spec("different", datum_repo.upstream.u2)
    spec["metadata"] = {"title": "Tests", "summary": "Add a test suite.", "tags": ["testing"]}
    spec["lm"]["instructions"] = "Write tests for the calculator.\n"
    spec["evaluation"]["rubrics"] = [
        {"id": "suite", "criterion": "A suite", "weight": 1.0, "evaluation_criteria": ["runs"]}
    ]
    spec["environment"] = {"install": ["pip install pytest"], "system_packages": ["make"]}
    datum_repo.write("different", spec, patch=datum_repo.upstream.patch_v2)
    _, report = _review(datum_repo, base)
    assert [(d["name"], d["status"]) for d in report["datums"]] == [
        ("calc", "removed"),
        ("different", "added"),
    ]


# --- datum.yaml ------------------------------------------------------------------------------


def test_changed_fields_by_path(datum_repo: DatumRepo) -> None:
    base = _base(datum_repo)
    spec = datum_repo.spec("calc")
    set_path(spec, "metadata.title", "Integer calculator")
    set_path(spec, "metadata.tags", ["calc", "integers"])
    set_path(spec, "sensitivity.level", "internal")
    set_path(spec, "environment.env", {"PYTHONHASHSEED": "0"})
    spec["evaluation"]["rubrics"][1]["criterion"] = "There is a unit test"
    datum_repo.write("calc", spec)
    code, report = _review(datum_repo, base)
    assert code == 0
    datum = only_datum(report)
    assert datum["status"] == "modified"
    assert datum["fields"] == [
        {
            "path": "metadata.title",
            "old": "Calculator calc",
            "new": "Integer calculator",
            "diff": None,
            "rubric": None,
        },
        {
            "path": "metadata.tags",
            "old": ["calc", "small"],
            "new": ["calc", "integers"],
            "diff": None,
            "rubric": None,
        },
        {
            "path": "sensitivity.level",
            "old": "safe",
            "new": "internal",
            "diff": None,
            "rubric": None,
        },
        {
            "path": "environment.env.PYTHONHASHSEED",
            "old": None,
            "new": "0",
            "diff": None,
            "rubric": None,
        },
        {
            "path": "evaluation.rubrics[1].criterion",
            "old": "There is a test",
            "new": "There is a unit test",
            "diff": None,
            "rubric": "tested",
        },
    ]
    assert datum["rubrics"] is None  # no rubric added, removed or reweighted
    assert datum["baseline"] is None and datum["patch"] is None
    assert datum["generated"]["issues"] == []
    assert datum["generated"]["regenerated"] == [  # environment.env reaches the Dockerfile too
        "Dockerfile",
        "overlay_files/box_bootstrap.sh",
        "overlay_files/tb_meta.json",
        "tb_meta.json",
    ]
    assert datum["lock"]["before"] == datum["lock"]["after"]


def test_instructions_as_a_text_diff(datum_repo: DatumRepo) -> None:
    base = _base(datum_repo)
    spec = datum_repo.spec("calc")
    spec["lm"]["instructions"] = (
        "Make the calculator convert its inputs.\nKeep the functions' names and signatures.\n"
        "Add a test.\nDo not add dependencies.\n"
    )
    datum_repo.write("calc", spec)
    _, report = _review(datum_repo, base)
    (change,) = only_datum(report)["fields"]
    assert change["path"] == "lm.instructions"
    assert change["old"].startswith("Make the calculator") and change["new"].endswith(
        "dependencies.\n"
    )
    assert change["diff"] == (
        "@@ -1,3 +1,4 @@\n"
        " Make the calculator convert its inputs.\n"
        "-Keep the functions' names.\n"
        "+Keep the functions' names and signatures.\n"
        " Add a test.\n"
        "+Do not add dependencies."
    )


def test_rubrics_added_removed_reweighted(datum_repo: DatumRepo) -> None:
    base = _base(datum_repo)
    spec = datum_repo.spec("calc")
    works, tested, _tidy = spec["evaluation"]["rubrics"]
    works["weight"] = 0.4
    documented = {
        "id": "documented",
        "criterion": "The README says how",
        "weight": 0.3,
        "evaluation_criteria": ["README mentions integers"],
    }
    spec["evaluation"]["rubrics"] = [works, tested, documented]
    datum_repo.write("calc", spec)
    code, report = _review(datum_repo, base)
    assert code == 0
    datum = only_datum(report)
    assert datum["rubrics"] == {
        "added": [{"id": "documented", "weight": 0.3}],
        "removed": [{"id": "tidy", "weight": 0.2}],
        "reweighted": [{"id": "works", "old": 0.5, "new": 0.4}],
        "weight_sum": {"before": 1.0, "after": 1.0},
    }
    assert datum["fields"] == []  # membership and weights are not repeated as fields


def test_weights_that_no_longer_sum_to_one_block(datum_repo: DatumRepo) -> None:
    base = _base(datum_repo)
    spec = datum_repo.spec("calc")
    spec["evaluation"]["rubrics"][0]["weight"] = 0.6
    datum_repo.write("calc", spec, generate=False, lock=False)
    code, report = _review(datum_repo, base)
    assert code == 1
    assert report["ok"] is False
    datum = only_datum(report)
    assert datum["rubrics"]["reweighted"] == [{"id": "works", "old": 0.5, "new": 0.6}]
    assert datum["rubrics"]["weight_sum"] == {"before": 1.0, "after": 1.1}
    assert datum["invalid"] == [
        "datums/calc/datum.yaml: evaluation.rubrics: weights sum to 1.1, not 1 "
        "(adjust the weights so they add up to 1)"
    ]
    assert datum["blocking"] == datum["invalid"]
    assert datum["applies"] is None and datum["generated"] is None
    assert report["summary"]["blocking"] == 1


# --- the baseline and the patch ----------------------------------------------------------------


def test_baseline_moved_forward_and_patch_still_applies(datum_repo: DatumRepo) -> None:
    upstream = datum_repo.upstream
    base = _base(datum_repo)
    datum_repo.write(
        "calc", set_path(datum_repo.spec("calc"), "repo.start_commit_sha", upstream.u2)
    )
    code, report = _review(datum_repo, base)
    assert code == 0
    datum = only_datum(report)
    assert datum["baseline"] == {
        "old": upstream.u1,
        "new": upstream.u2,
        "ahead": 1,
        "behind": 0,
        "old_subject": "Add the calculator",
        "new_subject": "Document the calculator",
        "note": None,
    }
    assert datum["fields"] == []  # the SHA is reported as the baseline move only
    assert datum["applies"]["status"] == "applies"
    assert datum["applies"]["baseline"] == upstream.u2
    # README changed upstream, so the patched tree moved too, and the lock follows it
    assert datum["lock"]["before"]["patched_tree"] != datum["lock"]["after"]["patched_tree"]
    assert datum["lock"]["after"]["patched_tree"] == datum["applies"]["patched_tree"]
    assert datum["generated"]["issues"] == []


def test_baseline_move_that_breaks_the_patch(datum_repo: DatumRepo) -> None:
    upstream = datum_repo.upstream
    base = _base(datum_repo)
    spec = set_path(datum_repo.spec("calc"), "repo.start_commit_sha", upstream.u3)
    datum_repo.write("calc", spec, lock=False)
    code, report = _review(datum_repo, base)
    assert code == 1
    datum = only_datum(report)
    assert datum["baseline"]["ahead"] == 2 and datum["baseline"]["behind"] == 0
    applies = datum["applies"]
    assert applies["status"] == "fails"
    assert applies["baseline"] == upstream.u3
    assert applies["file"] == "app/calc.py"
    assert applies["hunk"] == "@@ -13,7 +13,7 @@"
    assert "expected" in applies["message"] and "# Subtraction." in applies["message"]
    assert applies["at_base"] == "applies"
    assert applies["patched_tree"] is None
    (problem,) = datum["blocking"]
    assert problem.startswith(
        f"datums/calc/diff.patch: no longer applies at baseline {upstream.u3[:12]}: "
        "app/calc.py: @@ -13,7 +13,7 @@: line 14 expected '# Subtraction.' but baseline has "
    )


def test_baseline_moved_back(datum_repo: DatumRepo) -> None:
    upstream = datum_repo.upstream
    datum_repo.write("calc", default_spec("calc", upstream.u2))
    base = datum_repo.commit("base")
    datum_repo.write(
        "calc", set_path(datum_repo.spec("calc"), "repo.start_commit_sha", upstream.u1)
    )
    _, report = _review(datum_repo, base)
    baseline = only_datum(report)["baseline"]
    assert (baseline["ahead"], baseline["behind"]) == (0, 1)


def test_missing_mirror_degrades_to_a_note(datum_repo: DatumRepo) -> None:
    upstream = datum_repo.upstream
    base = _base(datum_repo)
    datum_repo.write(
        "calc", set_path(datum_repo.spec("calc"), "repo.start_commit_sha", upstream.u2)
    )
    (datum_repo.root / "pyproject.toml").unlink()  # the upstream is nowhere on this machine
    code, report = _review(datum_repo, base)
    assert code == 0
    datum = only_datum(report)
    baseline = datum["baseline"]
    assert (baseline["ahead"], baseline["behind"]) == (None, None)
    assert baseline["note"].startswith("no local mirror of https://example.invalid/review/calc.git")
    assert "datum fetch" in baseline["note"]
    assert datum["applies"]["status"] == "unknown"
    assert datum["applies"]["message"] == baseline["note"]
    assert datum["blocking"] == []


def test_patch_changed_as_an_interdiff(datum_repo: DatumRepo) -> None:
    upstream = datum_repo.upstream
    base = _base(datum_repo)
    datum_repo.write("calc", patch=upstream.patch_v2)
    code, report = _review(datum_repo, base)
    assert code == 0
    patch = only_datum(report)["patch"]
    assert patch["before"] == {"files": 1, "lines_added": 3, "lines_removed": 3}
    assert patch["after"] == {"files": 2, "lines_added": 8, "lines_removed": 3}
    assert patch["unchanged_files"] == 0 and patch["error"] is None
    calc, test = patch["files"]
    assert calc["path"] == "app/calc.py"
    assert calc["change"] == "changed"
    assert (calc["old_status"], calc["new_status"]) == ("modified", "modified")
    assert calc["before"] == {"lines_added": 3, "lines_removed": 3}
    assert calc["after"] == {"lines_added": 3, "lines_removed": 3}
    assert calc["shifted_hunks"] == 0  # add()'s hunk is the same in both: not listed
    assert [(h["kind"], h["old_header"], h["new_header"]) for h in calc["hunks"]] == [
        ("changed", "@@ -13,7 +13,7 @@", "@@ -13,7 +13,7 @@"),
        ("gone", "@@ -24,7 +24,7 @@", None),
        ("new", None, "@@ -35,4 +35,4 @@"),
    ]
    changed, gone, new = calc["hunks"]
    assert " -    return a - b" in changed["lines"]
    assert "-+    return int(a) - int(b)" in changed["lines"]
    assert "++    return float(a) - float(b)" in changed["lines"]
    assert "+    return int(a) * int(b)" in gone["lines"]
    assert "+    return a / b if b else 0" in new["lines"]
    assert test["path"] == "tests/test_calc.py"
    assert test["change"] == "added"
    assert test["new_status"] == "added"
    assert test["after"] == {"lines_added": 5, "lines_removed": 0}
    assert [h["kind"] for h in test["hunks"]] == ["new"]
    assert "".join(line[1:] + "\n" for line in test["hunks"][0]["lines"]) == TEST_CALC


def test_patch_that_no_longer_parses_blocks(datum_repo: DatumRepo) -> None:
    base = _base(datum_repo)
    broken = datum_repo.upstream.patch_v1.replace(b"@@ -13,7 +13,7 @@", b"@@ -13,9 +13,7 @@")
    datum_repo.write("calc", patch=broken, lock=False)
    code, report = _review(datum_repo, base)
    assert code == 1
    datum = only_datum(report)
    assert datum["patch"]["error"].startswith("HEAD: diff.patch does not parse: ")
    assert datum["applies"]["status"] == "fails"
    assert datum["blocking"][0].startswith("datums/calc/diff.patch: no longer applies")


# --- GENERATED files and the lock --------------------------------------------------------------


def test_generated_file_edited_by_hand(datum_repo: DatumRepo) -> None:
    base = _base(datum_repo)
    tb_meta = datum_repo.directory("calc") / "tb_meta.json"
    data = json.loads(tb_meta.read_text())
    data["metadata"]["title"] = "Edited in tb_meta.json"
    tb_meta.write_text(json.dumps(data, indent=2) + "\n")
    code, report = _review(datum_repo, base)
    assert code == 1
    datum = only_datum(report)
    assert datum["fields"] == []
    (issue,) = datum["generated"]["issues"]
    assert issue["path"] == "tb_meta.json"
    assert issue["kind"] == "hand-edited"
    assert issue["detail"].startswith("line ")
    assert "Edited in tb_meta.json" in issue["detail"]
    assert datum["blocking"] == [f"datums/calc/tb_meta.json: hand-edited: {issue['detail']}"]


def test_stale_generated_files(datum_repo: DatumRepo) -> None:
    base = _base(datum_repo)
    spec = set_path(datum_repo.spec("calc"), "metadata.title", "Retitled, not regenerated")
    datum_repo.write("calc", spec, generate=False)
    code, report = _review(datum_repo, base)
    assert code == 1
    datum = only_datum(report)
    assert [f["path"] for f in datum["fields"]] == ["metadata.title"]
    issues = {i["path"]: i["kind"] for i in datum["generated"]["issues"]}
    assert issues == {"tb_meta.json": "stale", "overlay_files/tb_meta.json": "stale"}
    assert len(datum["blocking"]) == 2


def test_missing_and_foreign_generated_files(datum_repo: DatumRepo) -> None:
    base = _base(datum_repo)
    (datum_repo.directory("calc") / "Dockerfile").unlink()
    (datum_repo.directory("calc") / "overlay_files" / "extra.sh").write_text("echo hi\n")
    (datum_repo.directory("calc") / "notes.md").write_text("# notes\n")
    code, report = _review(datum_repo, base)
    assert code == 1
    datum = only_datum(report)
    assert [(i["path"], i["kind"]) for i in datum["generated"]["issues"]] == [
        ("Dockerfile", "missing"),
        ("overlay_files/extra.sh", "not-generated"),
    ]
    assert datum["files"] == [{"path": "notes.md", "status": "added"}]


def test_lock_patched_tree_before_and_after(datum_repo: DatumRepo) -> None:
    upstream = datum_repo.upstream
    base = _base(datum_repo)
    before = (datum_repo.directory("calc") / "datum.lock").read_text()
    datum_repo.write("calc", patch=upstream.patch_v2)
    code, report = _review(datum_repo, base)
    assert code == 0
    lock = only_datum(report)["lock"]
    (old_tree,) = [line[14:] for line in before.splitlines() if line.startswith("patched_tree: ")]
    assert lock["before"] == {"present": True, "patched_tree": old_tree}
    assert lock["after"]["present"] is True
    assert lock["after"]["patched_tree"] not in (None, old_tree)
    assert lock["after"]["patched_tree"] == only_datum(report)["applies"]["patched_tree"]


def test_stale_lock_blocks(datum_repo: DatumRepo) -> None:
    base = _base(datum_repo)
    lock = datum_repo.directory("calc") / "datum.lock"
    old = lock.read_text()
    datum_repo.write("calc", patch=datum_repo.upstream.patch_v2, lock=False)
    lock.write_text(old)  # the patch changed, the lock did not
    code, report = _review(datum_repo, base)
    assert code == 1
    issues = only_datum(report)["generated"]["issues"]
    assert [(i["path"], i["kind"]) for i in issues] == [("datum.lock", "stale")]
    assert issues[0]["detail"].startswith("line 7: expected 'patch_sha256: ")


def test_no_lock_on_either_side(datum_repo: DatumRepo) -> None:
    datum_repo.write("calc", lock=False)
    base = datum_repo.commit("base")
    datum_repo.write("calc", patch=datum_repo.upstream.patch_v2, lock=False)
    code, report = _review(datum_repo, base)
    datum = only_datum(report)
    assert datum["lock"] == {
        "before": {"present": False, "patched_tree": None},
        "after": {"present": False, "patched_tree": None},
    }
    # the patch applies, so generation would write a lock: its absence is what `check` reports
    assert code == 1
    assert datum["generated"]["issues"] == [
        {"path": "datum.lock", "kind": "missing", "detail": "generation writes it"}
    ]


# --- what is compared, and where ---------------------------------------------------------------


def test_unchanged_datums_are_never_read(datum_repo: DatumRepo) -> None:
    """An unchanged datum is not even parsed: a broken one does not show up."""
    base = _base(datum_repo, "calc", "other")
    (datum_repo.directory("other") / "datum.yaml").write_text("task_id: [unclosed\n")
    git(datum_repo.root, "commit", "-qam", "break other")
    middle = git(datum_repo.root, "rev-parse", "HEAD").strip()
    datum_repo.write("calc", set_path(datum_repo.spec("calc"), "metadata.title", "New"))
    head = datum_repo.commit("retitle calc")
    code, report = datum_repo.review_json(f"{middle}..{head}")
    assert code == 0
    assert [d["name"] for d in report["datums"]] == ["calc"]
    code, report = datum_repo.review_json(f"{base}..{middle}")
    assert code == 1
    (problem,) = only_datum(report)["invalid"]
    assert problem.startswith("datums/other/datum.yaml: line 2, column 1: ")


def test_staged_changes(datum_repo: DatumRepo) -> None:
    _base(datum_repo, "calc", "other")
    datum_repo.write("calc", set_path(datum_repo.spec("calc"), "metadata.title", "Staged title"))
    git(datum_repo.root, "add", "datums/calc/datum.yaml")  # only datum.yaml is staged
    datum_repo.write("other", set_path(datum_repo.spec("other"), "metadata.title", "Unstaged"))
    result = datum_repo.review("--staged", "--format", "json")
    assert result.exit_code == 1, result.output  # generated files were not staged: stale
    report = json.loads(result.output)
    assert report["range"] == "--staged"
    assert report["base"]["label"] == "HEAD"
    assert report["head"] == {"label": "index", "commit": None}
    datum = only_datum(report)
    assert datum["name"] == "calc"
    assert datum["fields"][0]["new"] == "Staged title"
    assert {i["kind"] for i in datum["generated"]["issues"]} == {"stale"}
    git(datum_repo.root, "add", "-A", "datums/calc")
    code, report = datum_repo.review_json("--staged")
    assert code == 0 and only_datum(report)["generated"]["issues"] == []


def test_staged_in_a_new_repository(datum_repo: DatumRepo, tmp_path: Path) -> None:
    fresh = DatumRepo(tmp_path / "fresh", datum_repo.upstream)
    (fresh.root / "datums").mkdir(parents=True)
    git(fresh.root, "init", "-q")
    shutil.copy(datum_repo.root / "pyproject.toml", fresh.root)
    fresh.write("calc")
    git(fresh.root, "add", "-A")
    code, report = fresh.review_json("--staged")
    assert code == 0
    assert report["base"] == {"label": "HEAD", "commit": None}
    assert only_datum(report)["status"] == "added"


def test_bare_repository(datum_repo: DatumRepo, tmp_path: Path) -> None:
    base = _base(datum_repo)
    datum_repo.write("calc", patch=datum_repo.upstream.patch_v2)
    head = datum_repo.commit("v2")
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(datum_repo.root), str(bare))
    assert pygit2.Repository(str(bare)).is_bare
    # the mirror mapping lives in the work tree's pyproject.toml; a bare repository has none
    cache = tmp_path / "cache"
    cache.mkdir()
    code, report = datum_repo.review_json(f"{base}..{head}", root=bare)
    assert code == 0
    datum = only_datum(report)
    assert [f["path"] for f in datum["patch"]["files"]] == ["app/calc.py", "tests/test_calc.py"]
    assert datum["applies"]["status"] == "unknown"
    staged = datum_repo.review("--staged", root=bare)
    assert staged.exit_code == 2
    assert "bare repository has no index" in staged.output


def test_bare_repository_from_its_directory(
    datum_repo: DatumRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from datumkit.cli.main import cli

    base = _base(datum_repo)
    datum_repo.write("calc", set_path(datum_repo.spec("calc"), "metadata.title", "Bare"))
    datum_repo.commit("retitle")
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(datum_repo.root), str(bare))
    monkeypatch.chdir(bare)
    result = CliRunner().invoke(cli, ["review", f"{base[:10]}..main", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert only_datum(json.loads(result.output))["fields"][0]["new"] == "Bare"


def test_merge_base_range(datum_repo: DatumRepo) -> None:
    base = _base(datum_repo)
    git(datum_repo.root, "checkout", "-q", "-b", "topic")
    datum_repo.write("calc", set_path(datum_repo.spec("calc"), "metadata.title", "On topic"))
    datum_repo.commit("topic change")
    git(datum_repo.root, "checkout", "-q", "main")
    datum_repo.write("other")
    datum_repo.commit("main moves on")
    _, two_dot = datum_repo.review_json("main..topic")
    assert {d["name"]: d["status"] for d in two_dot["datums"]} == {
        "calc": "modified",
        "other": "removed",
    }
    _, three_dot = datum_repo.review_json("main...topic")
    assert [d["name"] for d in three_dot["datums"]] == ["calc"]
    assert three_dot["base"] == {"label": "merge base of main and topic", "commit": base}
    _, single = datum_repo.review_json("topic")  # = topic..HEAD, HEAD being main
    assert {d["name"] for d in single["datums"]} == {"calc", "other"}


def test_nothing_changed(datum_repo: DatumRepo) -> None:
    base = _base(datum_repo)
    result = datum_repo.review(f"{base}..{base}")
    assert result.exit_code == 0
    assert "no datum changed" in result.output
    assert "no blocking problems" in result.output


# --- the command line --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope..HEAD"], "'nope' is not a commit of this repository"),
        ([], "nothing to review"),
        (["HEAD~1..HEAD", "--staged"], "give REVISIONS or --staged, not both"),
    ],
)
def test_usage_errors_exit_2(datum_repo: DatumRepo, args: list[str], message: str) -> None:
    datum_repo.commit("second")
    result = datum_repo.review(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_not_a_git_repository(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from datumkit.cli.main import cli

    (tmp_path / "datums").mkdir()
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "review", "HEAD"])
    assert result.exit_code == 2
    assert "is not in a git repository" in result.output


def test_text_output_colour(datum_repo: DatumRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    from datumkit.cli.commands.review import use_color

    base = _base(datum_repo)
    datum_repo.write("calc", patch=datum_repo.upstream.patch_v2)
    head = datum_repo.commit("v2")
    plain = datum_repo.review(f"{base}..{head}")
    assert plain.exit_code == 0
    assert "\x1b[" not in plain.output
    assert "app/calc.py: hunks: 1 new, 1 gone, 1 changed" in plain.output
    assert "changed hunk @@ -13,7 +13,7 @@" in plain.output
    assert "lock: " in plain.output and "no blocking problems" in plain.output
    coloured = datum_repo.review(f"{base}..{head}", "--color", "always")
    assert "\x1b[" in coloured.output
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color("auto") is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color("auto") is False
    assert use_color("always") is True


LEAKY_PATCH = b"""diff --git a/app/answer.py b/app/answer.py
new file mode 100644
index 0000000..1111111
--- /dev/null
+++ b/app/answer.py
@@ -0,0 +1 @@
+ANSWER = compute_the_answer_from_first_principles(seed=42)
"""


def test_a_leak_of_the_solution_at_head_blocks_the_review(datum_repo: DatumRepo) -> None:
    datum_repo.write("calc", patch=LEAKY_PATCH)
    base = datum_repo.commit("base")
    spec = set_path(
        datum_repo.spec("calc"),
        "lm.instructions",
        "Compute the answer.\nHint: ANSWER = compute_the_answer_from_first_principles(seed=42)\n",
    )
    datum_repo.write("calc", spec)
    head = datum_repo.commit("a hint that gives the answer away")
    code, report = datum_repo.review_json(f"{base}..{head}")
    assert code == 1
    leaks = [line for line in only_datum(report)["blocking"] if "quotes the solution" in line]
    yaml = (datum_repo.directory("calc") / "datum.yaml").read_text().splitlines()
    line = next(n for n, text in enumerate(yaml, 1) if "Hint: ANSWER" in text)
    assert len(leaks) == 1
    assert leaks[0].startswith(f"datums/calc/datum.yaml: line {line} (lm.instructions): ")


# --- what one review computes once (same blob, same result) -----------------------------------


def test_datums_sharing_a_patch_are_still_judged_one_by_one(datum_repo: DatumRepo) -> None:
    """One diff.patch blob at one baseline is applied once per review, yet each datum's lock is
    compared with its own: a stale lock in one does not hide, or spread to, the other."""
    base = _base(datum_repo, "one", "two")
    stale = (datum_repo.directory("two") / "datum.lock").read_text()
    for name in ("one", "two"):
        datum_repo.write(name, patch=datum_repo.upstream.patch_v2, lock=name == "one")
    (datum_repo.directory("two") / "datum.lock").write_text(stale)
    code, report = _review(datum_repo, base)
    assert code == 1
    one, two = report["datums"]
    assert (one["name"], two["name"]) == ("one", "two")
    assert one["applies"] == two["applies"]
    assert one["applies"]["status"] == "applies"
    assert one["generated"]["issues"] == [] and one["blocking"] == []
    assert [(i["path"], i["kind"]) for i in two["generated"]["issues"]] == [("datum.lock", "stale")]


def test_a_failure_shared_by_two_datums_names_each_datum(datum_repo: DatumRepo) -> None:
    """A patch that cannot be checked tells each datum how to fix it with its own name."""
    upstream = datum_repo.upstream
    base = _base(datum_repo, "one", "two")
    for name in ("one", "two"):
        datum_repo.write(name, set_path(datum_repo.spec(name), "metadata.title", "New"))
    (datum_repo.root / "pyproject.toml").unlink()  # the upstream is nowhere on this machine
    code, report = _review(datum_repo, base)
    assert code == 0
    for datum in report["datums"]:
        assert datum["applies"]["status"] == "unknown"
        assert datum["applies"]["baseline"] == upstream.u1
        assert f"`datum fetch {datum['name']}`" in datum["applies"]["message"]


def test_invalid_datum_yaml_unchanged_on_both_sides(datum_repo: DatumRepo) -> None:
    """The same datum.yaml blob on both sides is read once and reported on both."""
    datum_repo.write("calc")
    path = datum_repo.directory("calc") / "datum.yaml"
    path.write_text(path.read_text().replace("weight: 0.2", "weight: 0.3"))
    base = datum_repo.commit("base: weights sum to 1.1")
    (datum_repo.directory("calc") / "notes.md").write_text("why the weights are off\n")
    code, report = _review(datum_repo, base)
    assert code == 1
    datum = only_datum(report)
    assert datum["fields"] == [] and datum["rubrics"] is None
    assert any("invalid at BASE" in note for note in datum["notes"])
    assert any("weights sum to 1.1" in problem for problem in datum["invalid"])
    assert datum["files"] == [{"path": "notes.md", "status": "added"}]
