"""The incremental check: stored passes are reused only while nothing they depend on changed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from datumkit.checks import CHECKS
from datumkit.checks.cache import CACHE_FORMAT, CheckCache
from datumkit.checks.fingerprint import datum_fingerprints
from datumkit.cli.commands.check import run_checks
from datumkit.model.applied import clear_mirror_cache
from datumkit.model.project import Project
from helpers.repo import BANKING77, BANKING77_URL, git, write_pyproject

DATUM = BANKING77.name
BIN = Path(sys.executable).parent


@pytest.fixture
def repo(tmp_path: Path, banking77_upstream: Path) -> Path:
    """A committed datum repository with two copies of the banking77 datum."""
    root = tmp_path / "datums-repo"
    (root / "datums").mkdir(parents=True)
    shutil.copytree(BANKING77, root / "datums" / DATUM)
    write_pyproject(root, {BANKING77_URL: banking77_upstream})
    copy_datum(root, "second")
    git(tmp_path, "init", "-q", str(root))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "datums")
    return root


def copy_datum(root: Path, name: str) -> None:
    """Another valid datum: banking77 under a new name, its generated files regenerated."""
    shutil.copytree(root / "datums" / DATUM, root / "datums" / name)
    yaml = root / "datums" / name / "datum.yaml"
    yaml.write_text(yaml.read_text().replace(f"re-bench-{DATUM}", f"re-bench-{name}"))
    generate = [str(BIN / "datum"), "--root", str(root), "generate", name]
    done = subprocess.run(generate, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def run(root: Path) -> tuple[list[bool], CheckCache]:
    """One cached `check --all`, in-process: each datum's verdict, and the cache's counters."""
    clear_mirror_cache()  # as a new process would: mirrors are opened afresh
    project = Project(root=root)
    cache = CheckCache.open(project)
    reports = cache.run(project.names(), jobs=1)
    return [r.ok for r in reports], cache


def break_patch_keeping_size_and_mtime(root: Path) -> None:
    """Edit diff.patch so it no longer applies, with the same size and modification time."""
    patch = root / "datums" / DATUM / "diff.patch"
    before = patch.stat()
    text = patch.read_bytes()
    broken = text.replace(
        b" from __future__ import annotations\n", b" from __future__ import annotationz\n"
    )
    assert broken != text and len(broken) == len(text)
    patch.write_bytes(broken)
    os.utime(patch, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_second_run_reuses_every_pass(repo: Path) -> None:
    first, cold = run(repo)
    second, warm = run(repo)

    assert first == second == [True, True]
    assert (cold.hits, cold.misses) == (0, 2)
    assert (warm.hits, warm.misses) == (2, 0)
    assert cold.path.parent == repo / ".git" / "datumkit" / "check-cache"  # outside the tree
    assert git(repo, "status", "--porcelain") == ""


def test_an_edited_datum_is_checked_again_and_only_it(repo: Path) -> None:
    run(repo)
    notes = repo / "datums" / DATUM / "notes.md"
    notes.write_text(notes.read_text() + "\nOne more remark.\n")

    verdicts, cache = run(repo)

    assert verdicts == [True, True]
    assert (cache.hits, cache.misses) == (1, 1)


def test_a_change_behind_the_caches_back_is_seen(repo: Path) -> None:
    assert run(repo)[0] == [True, True]
    break_patch_keeping_size_and_mtime(repo)

    verdicts, cache = run(repo)

    assert verdicts == [False, True]
    assert cache.misses == 1


def test_a_failure_is_never_stored(repo: Path) -> None:
    break_patch_keeping_size_and_mtime(repo)
    assert run(repo)[0] == [False, True]

    verdicts, cache = run(repo)

    assert verdicts == [False, True]
    assert (cache.hits, cache.misses) == (1, 1)
    entries = json.loads(cache.path.read_text())["entries"]
    assert sorted(entries) == ["second"]


def test_untracked_and_ignored_files_are_part_of_the_key(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.log\n")
    before = datum_fingerprints(repo, [DATUM])
    (repo / "datums" / DATUM / "trace.log").write_text("x\n")
    ignored = datum_fingerprints(repo, [DATUM])
    (repo / "datums" / DATUM / "trace.log").write_text("y\n")
    changed = datum_fingerprints(repo, [DATUM])

    assert len({before[DATUM], ignored[DATUM], changed[DATUM]}) == 3


def test_an_executable_bit_is_part_of_the_key(repo: Path) -> None:
    notes = repo / "datums" / DATUM / "notes.md"
    before = datum_fingerprints(repo, [DATUM])
    notes.chmod(0o755)
    assert datum_fingerprints(repo, [DATUM]) != before


def test_a_vanished_mirror_invalidates_the_stored_passes(
    repo: Path, tmp_path: Path, banking77_upstream: Path
) -> None:
    moved = tmp_path / "mirror-elsewhere.git"
    shutil.copytree(banking77_upstream, moved)
    write_pyproject(repo, {BANKING77_URL: moved})
    git(repo, "commit", "-qam", "mirror moved")
    assert run(repo)[0] == [True, True]
    shutil.rmtree(moved)

    verdicts, cache = run(repo)

    assert verdicts == [False, False]  # "run datum fetch", not a stale pass
    assert cache.hits == 0


def test_a_corrupt_cache_file_is_an_empty_cache(repo: Path) -> None:
    _, cache = run(repo)
    cache.path.write_bytes(b'{"format": %d, "entries": {"banking77": {"key": [1, 2]' % CACHE_FORMAT)

    verdicts, again = run(repo)

    assert verdicts == [True, True]
    assert again.misses == 2
    assert json.loads(again.path.read_text())["format"] == CACHE_FORMAT  # rewritten whole


def test_a_hostile_datum_name_does_not_escape_the_cache(repo: Path) -> None:
    name = "x$(touch pwned)\n'\"..\\"
    shutil.copytree(repo / "datums" / DATUM, repo / "datums" / name)
    project = Project(root=repo)
    cache = CheckCache.open(project)
    cache.run([name, DATUM], jobs=1)  # the odd one fails its task_id; banking77 is stored

    assert [p.name for p in cache.path.parent.iterdir()] == [cache.path.name]
    assert not (repo / "pwned").exists()


def test_no_cache_bypasses_it(repo: Path) -> None:
    reports = run_checks(Project(root=repo), ["second"], jobs=1, use_cache=False)
    assert reports[0].ok
    assert not (repo / ".git" / "datumkit").exists()


def test_concurrent_runs_leave_a_valid_cache(repo: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [str(BIN / "datum"), "--root", str(repo), "check", "--all", "--json", "-j", "1"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE) for _ in range(3)]
    outputs = [process.communicate()[0] for process in runs]

    assert [process.returncode for process in runs] == [0, 0, 0]
    assert all(json.loads(out)["summary"] for out in outputs)
    verdicts, cache = run(repo)
    assert verdicts == [True, True]
    assert cache.hits == 2


def test_the_cli_caches_and_no_cache_rechecks(repo: Path) -> None:
    command = [str(BIN / "datum"), "--root", str(repo), "check", "--all"]
    first = subprocess.run(command, capture_output=True, text=True)
    entries = repo / ".git" / "datumkit" / "check-cache"
    stamp = {p: p.stat().st_mtime_ns for p in entries.iterdir()}
    uncached = subprocess.run([*command, "--no-cache"], capture_output=True, text=True)

    assert first.returncode == uncached.returncode == 0, first.stdout + first.stderr
    assert first.stdout == uncached.stdout
    assert {p: p.stat().st_mtime_ns for p in entries.iterdir()} == stamp  # untouched


def test_a_check_not_known_to_be_cacheable_runs_every_time(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datumkit.checks.cache as cache_module

    monkeypatch.setattr(
        cache_module, "CONTENT_ONLY_CHECKS", frozenset({"schema", "generated", "patch"})
    )
    run(repo)
    project = Project(root=repo)
    cache = CheckCache.open(project)
    reports = cache.run(project.names(), jobs=1)

    assert cache.hits == 2
    assert all(r.checks_run == ("schema", *CHECKS) for r in reports)
    stored = json.loads(cache.path.read_text())["entries"]
    assert all("secrets" not in entry["checks"] for entry in stored.values())


def test_a_cached_pass_keeps_the_title_and_baseline_datum_list_shows(repo: Path) -> None:
    from datumkit.checks import lastrun

    project = Project(root=repo)
    for _ in range(2):
        clear_mirror_cache()
        reports = run_checks(project, project.names(), jobs=1, use_cache=True)
        lastrun.record(repo, reports)

    assert reports[0].datum is None  # the second run's results came from the cache
    stored = lastrun.load(repo)[DATUM]
    assert stored.status == "ok"
    assert stored.title and stored.title == Project(root=repo).load(DATUM).datum.metadata.title
    assert stored.baseline == Project(root=repo).load(DATUM).datum.repo.start_commit_sha


def test_the_json_summary_counts_the_reused_passes(repo: Path) -> None:
    command = [str(BIN / "datum"), "--root", str(repo), "check", "--all", "--json", "-j", "1"]

    def cached() -> int:
        done = subprocess.run(command, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        return int(json.loads(done.stdout)["summary"]["cached"])

    assert cached() == 0
    assert cached() == 2
    notes = repo / "datums" / "second" / "notes.md"
    notes.write_text(notes.read_text() + "\nedited\n")
    assert cached() == 1  # only the edited datum was checked again


def test_datums_listed_by_name_get_the_keys_of_the_whole_listing(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datumkit.checks import fingerprint

    notes = repo / "datums" / "second" / "notes.md"
    notes.write_text(notes.read_text() + "\nedited\n")  # one file git does not vouch for
    (repo / "datums" / DATUM / "untracked.txt").write_text("new\n")
    by_name = datum_fingerprints(repo, [DATUM, "second"])
    monkeypatch.setattr(fingerprint, "_LIST_BY_NAME", 0)  # every datum from one listing

    assert datum_fingerprints(repo, [DATUM, "second"]) == by_name


def test_a_no_cache_run_records_fresh_results_for_datum_list(repo: Path) -> None:
    from datumkit.checks import lastrun

    command = [str(BIN / "datum"), "--root", str(repo), "check", "--all", "--no-cache", "-j", "2"]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr

    results = lastrun.load(repo)
    assert all(lastrun.current(repo, name, results) for name in (DATUM, "second"))
    notes = repo / "datums" / "second" / "notes.md"
    notes.write_text(notes.read_text() + "\nedited\n")
    assert lastrun.current_status(repo, "second", results) == lastrun.CHANGED
