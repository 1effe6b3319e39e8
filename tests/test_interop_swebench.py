"""`datum import swebench` / `datum export swebench`: rows, task repositories, round trips, and
every bad input refused with one line and nothing written."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from datumkit.cli.main import cli
from datumkit.interop.swebench import datum_name
from datumkit.model.datumdir import load_from_disk
from helpers.interop import Upstream, build_upstream, datum_repo, instance, write_jsonl


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    return build_upstream(tmp_path_factory.mktemp("swebench"))


@pytest.fixture
def root(tmp_path: Path, upstream: Upstream) -> Path:
    return datum_repo(tmp_path / "datum-repo", upstream)


def datum(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args], catch_exceptions=False)


def datums(root: Path) -> list[str]:
    """Every entry of datums/, hidden staging directories included."""
    return sorted(p.name for p in (root / "datums").iterdir())


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_rows_round_trip_field_for_field(root: Path, upstream: Upstream, tmp_path: Path) -> None:
    rows = [
        instance(upstream),
        instance(upstream, "acme__calc-2", hints_text="", difficulty="<15 min"),
    ]
    source = write_jsonl(tmp_path / "rows.jsonl", rows)

    imported = datum(root, "import", "swebench", str(source))
    assert imported.exit_code == 0, imported.output
    assert datums(root) == ["acme-calc-1", "acme-calc-2"]
    loaded = load_from_disk(root, "acme-calc-1").datum
    assert loaded.repo.git_url == "https://github.com/acme/calc.git"
    assert loaded.repo.start_commit_sha == upstream.base
    assert loaded.lm.instructions == rows[0]["problem_statement"]
    tests = loaded.evaluation.tests
    assert tests is not None
    assert tests.fail_to_pass == ["tests/test_calc.py::test_div_zero"]
    assert tests.pass_to_pass == ["tests/test_calc.py::test_add"]
    assert tests.test_paths == ["/tests/test_calc.py"]
    assert [r.id for r in loaded.evaluation.rubrics] == ["fail-to-pass", "pass-to-pass"]
    patch = (root / "datums/acme-calc-1/diff.patch").read_text()
    assert patch == upstream.gold + upstream.test_patch

    out = tmp_path / "out.jsonl"
    exported = datum(root, "export", "swebench", "--all", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    back = read_jsonl(out)
    assert back == rows
    assert [list(r) for r in back] == [list(r) for r in rows]  # same column order too


def test_lists_stay_lists_and_json_files_import(
    root: Path, upstream: Upstream, tmp_path: Path
) -> None:
    row = instance(
        upstream,
        FAIL_TO_PASS=["tests/test_calc.py::test_div_zero"],
        PASS_TO_PASS=[],
    )
    source = tmp_path / "rows.json"
    source.write_text(json.dumps([row]), encoding="utf-8")
    assert datum(root, "import", "swebench", str(source)).exit_code == 0
    loaded = load_from_disk(root, "acme-calc-1").datum
    assert [r.weight for r in loaded.evaluation.rubrics] == [1.0]  # no PASS_TO_PASS rubric
    out = tmp_path / "out.jsonl"
    assert datum(root, "export", "swebench", "acme-calc-1", "--out", str(out)).exit_code == 0
    assert read_jsonl(out) == [row]


def write_task_repo(base: Path, rows: list[dict[str, Any]]) -> Path:
    """A SWE-bench 5.0 task repository, laid out as swebench.task.repo documents it."""
    (base / "tasks").mkdir(parents=True)
    (base / "sweb.yaml").write_text("datasets:\n- acme/calc-bench\nsplits:\n- test\n")
    for row in rows:
        task = base / "tasks" / row["instance_id"]
        task.mkdir()
        meta = {
            key: row[key] for key in ("instance_id", "repo", "base_commit", "version", "created_at")
        }
        meta |= {
            "split": "test",
            "datasets": ["acme/calc-bench"],
            "image": "swebench/sweb.eval.x86_64."
            + row["instance_id"].replace("__", "_1776_")
            + ":latest",
            "log_parser": "parse_log_pytest",
            "eval_type": "pass_and_fail",
        }
        (task / "task.yaml").write_text(
            "".join(f"{key}: {json.dumps(value)}\n" for key, value in sorted(meta.items()))
        )
        tests = {k: json.loads(row[k]) for k in ("FAIL_TO_PASS", "PASS_TO_PASS")}
        (task / "tests.json").write_text(json.dumps(tests, indent=2) + "\n")
        (task / "problem_statement.md").write_text(row["problem_statement"])
        (task / "hints.md").write_text(row["hints_text"])
        (task / "gold.patch").write_text(row["patch"])
        (task / "test.patch").write_text(row["test_patch"])
        (task / "eval.sh").write_text(
            "#!/bin/bash\n: '>>>>> Start Test Output'\npytest -rA\n: '>>>>> End Test Output'\n"
        )
        (task / "Dockerfile").write_text("FROM python:3.11-slim\n")
    return base


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_task_repository_round_trip(root: Path, upstream: Upstream, tmp_path: Path) -> None:
    repo = write_task_repo(tmp_path / "tasks-repo", [instance(upstream)])
    first = datum(root, "import", "swebench", str(repo))
    assert first.exit_code == 0, first.output
    out = tmp_path / "exported"
    assert datum(root, "export", "swebench", "--all", "--out", str(out)).exit_code == 0
    original, exported = tree(repo), tree(out)
    assert set(exported) == set(original)
    for path in original:
        if path.endswith(".yaml"):  # same data; our YAML writer's layout may differ
            from ruamel.yaml import YAML

            yaml = YAML(typ="safe")
            assert yaml.load(exported[path]) == yaml.load(original[path]), path
        else:
            assert exported[path] == original[path], path
    # a second round trip is byte-for-byte stable
    again = tmp_path / "again"
    other = datum_repo(tmp_path / "other-repo", upstream)
    assert datum(other, "import", "swebench", str(out)).exit_code == 0
    assert datum(other, "export", "swebench", "--all", "--out", str(again)).exit_code == 0
    assert tree(again) == exported


def test_one_task_directory(root: Path, upstream: Upstream, tmp_path: Path) -> None:
    repo = write_task_repo(tmp_path / "tasks-repo", [instance(upstream, "acme__calc-7")])
    result = datum(root, "import", "swebench", str(repo / "tasks" / "acme__calc-7"))
    assert result.exit_code == 0, result.output
    assert datums(root) == ["acme-calc-7"]


def test_filter_and_limit(root: Path, upstream: Upstream, tmp_path: Path) -> None:
    rows = [instance(upstream, f"acme__calc-{n}") for n in range(1, 6)]
    source = write_jsonl(tmp_path / "rows.jsonl", rows)
    result = datum(root, "import", "swebench", str(source), "--filter", "-[2-5]$", "--limit", "2")
    assert result.exit_code == 0, result.output
    assert datums(root) == ["acme-calc-2", "acme-calc-3"]
    assert "2 instance(s) imported, 0 skipped" in result.output


BAD_CASES = {
    "missing field": (
        {"problem_statement": None},
        "problem_statement: is missing (add this field)",
    ),
    "patch that does not apply": (
        {"patch": "PATCH_WITH_WRONG_CONTEXT"},
        "does not apply",
    ),
    "test list that is not a list": ({"FAIL_TO_PASS": "not json"}, "FAIL_TO_PASS:"),
    "short SHA": ({"base_commit": "abc123"}, "base_commit: 'abc123' is not a full commit SHA"),
    "bad repo": ({"repo": "../../etc"}, "repo: '../../etc' is not owner/name"),
    "path in instance_id": ({"instance_id": "../evil"}, "cannot name a task directory"),
    "newline in instance_id": ({"instance_id": "a\nb"}, "cannot name a task directory"),
    "newline in a test id": ({"PASS_TO_PASS": json.dumps(["a\nb"])}, "pass_to_pass[0]"),
    "file in both patches": ({"test_patch": "GOLD"}, "is changed by both patch and test_patch"),
    "not a patch": ({"patch": "hello\n"}, "changes no file"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_instances_get_one_line_and_write_nothing(
    case: str, root: Path, upstream: Upstream, tmp_path: Path
) -> None:
    changes, expected = BAD_CASES[case]
    row = instance(upstream)
    for key, value in changes.items():
        if value is None:
            del row[key]
        elif value == "GOLD":
            row[key] = upstream.gold
        elif value == "PATCH_WITH_WRONG_CONTEXT":
            row[key] = upstream.gold.replace("     return a / b", "     return a // b")
        else:
            row[key] = value
    source = write_jsonl(tmp_path / "rows.jsonl", [row])
    result = CliRunner().invoke(cli, ["--root", str(root), "import", "swebench", str(source)])
    assert result.exit_code == 1, result.output
    skipped = [line for line in result.output.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 1 and expected in skipped[0], result.output
    assert "rows.jsonl:1" in skipped[0]
    assert datums(root) == []  # nothing written, no staging left behind
    assert "Traceback" not in result.output


def test_duplicates_and_name_collisions_are_skipped(
    root: Path, upstream: Upstream, tmp_path: Path
) -> None:
    rows = [instance(upstream), instance(upstream), instance(upstream, "ACME__calc-1")]
    source = write_jsonl(tmp_path / "rows.jsonl", rows)
    result = datum(root, "import", "swebench", str(source))
    assert result.exit_code == 1
    assert "rows.jsonl:2: duplicate id 'acme__calc-1' (first at" in result.output
    assert "rows.jsonl:3: id 'ACME__calc-1' maps to datum name 'acme-calc-1'" in result.output
    assert "1 instance(s) imported, 2 skipped" in result.output
    assert datums(root) == ["acme-calc-1"]


def test_an_existing_datum_is_never_replaced(
    root: Path, upstream: Upstream, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "rows.jsonl", [instance(upstream)])
    assert datum(root, "import", "swebench", str(source)).exit_code == 0
    before = tree(root / "datums")
    again = datum(root, "import", "swebench", str(source))
    assert again.exit_code == 1
    assert "datums/acme-calc-1 already exists" in again.output
    assert tree(root / "datums") == before


def test_hostile_values_are_harmless(root: Path, upstream: Upstream, tmp_path: Path) -> None:
    """$(...) and quotes in ids and paths reach no shell unquoted; NUL and control characters
    in the statement survive exactly (YAML escapes them) or the instance is refused."""
    evil_file = "tests/test_$(touch pwned)'x.py"
    test_patch = (
        f"diff --git a/{evil_file} b/{evil_file}\n"
        "new file mode 100644\n"
        "--- /dev/null\n"
        f"+++ b/{evil_file}\n"
        "@@ -0,0 +1 @@\n"
        "+def test_div_zero(): pass\n"
    )
    row = instance(
        upstream,
        "$(touch pwned)__calc-1",
        test_patch=test_patch,
        problem_statement="quote ' \" $(id) `id` and ${HOME}\n",
        FAIL_TO_PASS=json.dumps([f"{evil_file}::test_div_zero"]),
        PASS_TO_PASS="[]",
    )
    source = write_jsonl(tmp_path / "rows.jsonl", [row])
    result = datum(root, "import", "swebench", str(source))
    assert result.exit_code == 0, result.output
    name = datum_name(row["instance_id"])
    assert name == "touch-pwned-calc-1"
    loaded = load_from_disk(root, name).datum
    assert loaded.lm.instructions == row["problem_statement"]
    assert loaded.evaluation.tests is not None
    command = loaded.evaluation.tests.command or ""
    assert shlex.split(command)[-1] == evil_file  # one quoted word, not a substitution
    out = tmp_path / "repo-out"
    assert datum(root, "export", "swebench", "--all", "--out", str(out)).exit_code == 0
    script = (out / "tasks" / row["instance_id"] / "eval.sh").read_text()
    assert shlex.quote(evil_file) in script
    out_rows = tmp_path / "out.jsonl"
    assert datum(root, "export", "swebench", "--all", "--out", str(out_rows)).exit_code == 0
    assert read_jsonl(out_rows) == [row]
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_control_characters_in_a_statement_refuse_the_instance(
    root: Path, upstream: Upstream, tmp_path: Path
) -> None:
    """NUL and terminal escapes cannot reach a prompt or a review page: the instance is skipped
    with one line naming the field, and nothing of it is written."""
    row = instance(upstream, "acme__calc-9", problem_statement="hi\x00 and \x1b[31m\n")
    source = write_jsonl(tmp_path / "rows.jsonl", [row])
    result = datum(root, "import", "swebench", str(source))
    assert result.exit_code == 1
    assert "rows.jsonl:1: would be an invalid datum:" in result.output
    assert "contains a NUL byte" in result.output
    assert not (root / "datums" / datum_name(row["instance_id"])).exists()


def test_long_ids_get_distinct_names() -> None:
    long_a, long_b = "x" * 70 + "a", "x" * 70 + "b"
    assert datum_name(long_a) != datum_name(long_b)
    assert len(datum_name(long_a)) <= 64
    assert datum_name("django__django-11099") == "django-django-11099"
    assert datum_name("django__django-11099") == datum_name("django__django-11099")


def test_export_needs_declared_tests(root: Path, upstream: Upstream, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "rows.jsonl", [instance(upstream)])
    assert datum(root, "import", "swebench", str(source)).exit_code == 0
    yaml_path = root / "datums/acme-calc-1/datum.yaml"
    text = yaml_path.read_text()
    yaml_path.write_text(text[: text.index("  tests:")])
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        cli, ["--root", str(root), "export", "swebench", "--all", "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "evaluation.tests.fail_to_pass: declares no FAIL_TO_PASS tests" in result.output
    assert "nothing was written" in result.output
    assert not out.exists()


def test_seed_import_still_works_without_a_format(root: Path) -> None:
    """`datum import DIR` is `datum import seed DIR`: the seed importer's own errors prove it."""
    result = CliRunner().invoke(cli, ["--root", str(root), "import", str(root / "nowhere")])
    assert result.exit_code != 0
    assert "not a directory" in result.output


def test_deeply_nested_and_huge_rows_are_skipped(
    root: Path, upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datumkit.interop.swebench_read as reader

    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 4096)
    source = tmp_path / "rows.jsonl"
    with source.open("w") as handle:
        handle.write("[" * 3000 + "\n")  # nested deeper than a parser should follow
        handle.write(json.dumps(instance(upstream, problem_statement="x" * 10000)) + "\n")
        handle.write(json.dumps(instance(upstream, "acme__calc-3")) + "\n")
    result = CliRunner().invoke(cli, ["--root", str(root), "import", "swebench", str(source)])
    assert result.exit_code == 1, result.output
    assert (
        "rows.jsonl:1:" in result.output and "rows.jsonl:2: line longer than 4096" in result.output
    )
    assert "1 instance(s) imported, 2 skipped" in result.output
    assert datums(root) == ["acme-calc-3"]  # the line after the huge one is read whole
    assert "Traceback" not in result.output


def test_symlinked_task_files_are_refused(root: Path, upstream: Upstream, tmp_path: Path) -> None:
    repo = write_task_repo(tmp_path / "tasks-repo", [instance(upstream)])
    statement = repo / "tasks/acme__calc-1/problem_statement.md"
    statement.unlink()
    secret = tmp_path / "secret.txt"
    secret.write_text("private\n")
    statement.symlink_to(secret)
    result = CliRunner().invoke(cli, ["--root", str(root), "import", "swebench", str(repo)])
    assert result.exit_code == 1
    assert "problem_statement.md: missing" in result.output or "is a symlink" in result.output
    assert datums(root) == []


def test_a_terminal_gets_a_progress_bar(root: Path, upstream: Upstream, tmp_path: Path) -> None:
    """On a terminal, stderr shows tqdm's bar and the summary; skipped lines come after it."""
    import os
    import pty
    import subprocess
    import sys

    rows = [instance(upstream, f"acme__calc-{n}") for n in range(3)] + [instance(upstream)]
    source = write_jsonl(tmp_path / "rows.jsonl", rows)
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    datum_bin = Path(sys.executable).parent / "datum"
    done = subprocess.run(
        [str(datum_bin), "--root", str(root), "import", "swebench", str(source), "--jobs", "1"],
        stdout=subprocess.PIPE,
        stderr=slave,
        check=False,
        timeout=120,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    terminal = b"".join(chunks).decode("utf-8", "replace")
    assert done.returncode == 1
    assert "importing" in terminal and "instance/s" in terminal  # tqdm's bar
    assert "skipped" in terminal and "duplicate id 'acme__calc-1'" in terminal
    assert "3 instance(s) imported, 1 skipped" in terminal
    assert done.stdout.decode().count("imported datums/") == 3


def test_parallel_import_reports_in_source_order(
    root: Path, upstream: Upstream, tmp_path: Path
) -> None:
    rows = [instance(upstream, f"acme__calc-{n}") for n in range(10)]
    rows[4] = instance(upstream, "acme__calc-4", base_commit="f" * 40)  # not in the mirror
    rows.append(instance(upstream, "acme__calc-0"))  # a duplicate
    source = write_jsonl(tmp_path / "rows.jsonl", rows)
    result = datum(root, "import", "swebench", str(source), "--jobs", "2")
    assert result.exit_code == 1
    imported = [
        line.split()[1] for line in result.output.splitlines() if line.startswith("imported ")
    ]
    assert imported == [f"datums/acme-calc-{n}" for n in range(10) if n != 4]
    assert "9 instance(s) imported, 2 skipped" in result.output
    assert "skipped, duplicate id: 1" in result.output
    assert "skipped, patch or baseline: 1" in result.output
    assert datums(root) == sorted(f"acme-calc-{n}" for n in range(10) if n != 4)


def test_seed_import_options_may_come_first(root: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--root", str(root), "import", "--name", "x", str(root / "nowhere")]
    )
    assert "No such option" not in result.output
    assert "not a directory" in result.output


def test_a_trailing_newline_in_ids_is_refused_at_the_row(
    root: Path, upstream: Upstream, tmp_path: Path
) -> None:
    """`$` would accept 'sha\\n'; the row names the field instead of failing later."""
    row = instance(upstream, "acme__calc-8")
    row["base_commit"] += "\n"
    source = write_jsonl(tmp_path / "rows.jsonl", [row])
    result = datum(root, "import", "swebench", str(source))
    assert result.exit_code == 1
    assert "base_commit: " in result.output and "is not a full commit SHA" in result.output
