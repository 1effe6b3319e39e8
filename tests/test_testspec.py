"""evaluation.tests in datum.yaml: every rule shown failing, and the test/rest split of a patch."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from datumkit.model.datum import (
    DEFAULT_TEST_PATHS,
    DatumInvalid,
    validate_datum,
)
from datumkit.model.testsplit import is_test_path, split_patch

FILE = "datums/demo/datum.yaml"


def base() -> dict[str, Any]:
    return {
        "task_id": "re-bench-demo",
        "metadata": {"title": "Demo", "summary": "A demo datum"},
        "repo": {
            "git_url": "https://github.com/org/repo.git",
            "start_commit_sha": "0123456789abcdef0123456789abcdef01234567",
        },
        "sensitivity": {"level": "safe"},
        "lm": {"instructions": "Make it faster."},
        "evaluation": {
            "rubrics": [
                {"id": "works", "criterion": "It works", "weight": 1, "evaluation_criteria": ["a"]}
            ]
        },
    }


def with_tests(tests: Any) -> dict[str, Any]:
    data = base()
    data["evaluation"]["tests"] = copy.deepcopy(tests)
    return data


def problems(data: Any) -> list[str]:
    with pytest.raises(DatumInvalid) as caught:
        validate_datum(data, name="demo", file=FILE)
    return caught.value.lines()


GOOD = {
    "command": "python -m pytest --junitxml=build/junit.xml",
    "results": {"junit_paths": ["build/*.xml"]},
    "fail_to_pass": ["tests.test_x::test_new"],
    "pass_to_pass": ["tests.test_x::test_old"],
    "metric": {
        "command": "python -m pkg.evaluate",
        "key": "accuracy",
        "baseline_below": 0.75,
        "patched_at_least": 0.75,
    },
}


def test_a_full_tests_section_is_valid_and_has_defaults() -> None:
    datum = validate_datum(with_tests(GOOD), name="demo", file=FILE)
    tests = datum.evaluation.tests
    assert tests is not None
    assert tests.timeout_sec == 1800
    assert tuple(tests.test_paths) == DEFAULT_TEST_PATHS
    assert tests.metric is not None and tests.metric.patched_at_least == 0.75


def test_no_tests_section_is_fine_and_tb_meta_never_carries_it() -> None:
    assert validate_datum(base(), name="demo", file=FILE).evaluation.tests is None
    datum = validate_datum(with_tests(GOOD), name="demo", file=FILE)
    assert "tests" not in datum.tb_meta().model_dump()["evaluation"]


def test_only_a_metric_needs_no_command() -> None:
    metric = {"command": "python ev.py", "key": "score", "patched_at_least": 1}
    assert validate_datum(with_tests({"metric": metric}), name="demo", file=FILE)


@pytest.mark.parametrize(
    ("tests", "expected"),
    [
        (
            {**GOOD, "fail_to_pass": ["a", "a"]},
            f"{FILE}: evaluation.tests.fail_to_pass[1]: test id 'a' is listed twice",
        ),
        (
            {**GOOD, "fail_to_pass": ["a"], "pass_to_pass": ["a"]},
            f"{FILE}: evaluation.tests.pass_to_pass[0]: test id 'a' is also in fail_to_pass",
        ),
        ({"command": "x"}, f"{FILE}: evaluation.tests: declares nothing to verify"),
        (
            {**GOOD, "results": {}},
            f"{FILE}: evaluation.tests.results: reads no results",
        ),
        (
            {k: v for k, v in GOOD.items() if k != "command"},
            f"{FILE}: evaluation.tests.command: is missing",
        ),
        (
            {**GOOD, "metric": {"command": "x", "key": "k"}},
            f"{FILE}: evaluation.tests.metric: has no bound",
        ),
        (
            {**GOOD, "metric": {**GOOD["metric"], "baseline_below": 0.9}},
            f"{FILE}: evaluation.tests.metric.baseline_below: baseline_below 0.9 is above",
        ),
        (
            {**GOOD, "metric": {**GOOD["metric"], "patched_at_least": float("nan")}},
            f"{FILE}: evaluation.tests.metric.patched_at_least:",
        ),
        ({**GOOD, "timeout_sec": 0}, f"{FILE}: evaluation.tests.timeout_sec:"),
        ({**GOOD, "timeout_sec": 10**9}, f"{FILE}: evaluation.tests.timeout_sec:"),
        ({**GOOD, "test_paths": ["../x"]}, "evaluation.tests.test_paths[0]: '../x' leaves"),
        ({**GOOD, "colour": 1}, f"{FILE}: evaluation.tests.colour: Extra inputs"),
    ],
)
def test_each_rule_fails_with_its_message(tests: dict[str, Any], expected: str) -> None:
    lines = problems(with_tests(tests))
    assert any(line.startswith(expected) or expected in line for line in lines), lines


@pytest.mark.parametrize("hostile", ["a\nb", "a\x00b", "x\rDROP", "\x1b[31mred"])
def test_hostile_test_ids_and_commands_are_refused(hostile: str) -> None:
    lines = problems(with_tests({**GOOD, "fail_to_pass": [hostile]}))
    assert lines == [
        f"{FILE}: evaluation.tests.fail_to_pass[0]: contains a newline or control character "
        "(write the test id on one line, as is)"
    ]
    lines = problems(with_tests({**GOOD, "command": f"pytest {hostile}"}))
    assert lines[0].startswith(f"{FILE}: evaluation.tests.command: contains ")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_x.py", True),
        ("pkg/tests/helpers.py", True),
        ("pkg/test_x.py", True),
        ("pkg/x_test.py", True),
        ("conftest.py", True),
        ("web/src/app.test.tsx", True),
        ("web/src/__tests__/app.js", True),
        ("web/src/app.spec.ts", True),
        ("cmd/server/main_test.go", True),
        ("cmd/server/testdata/in.json", True),
        ("crate/tests/integration.rs", True),
        ("core/src/test/java/AppTest.java", True),
        ("pkg/module.py", False),
        ("src/main/java/App.java", False),
        ("web/src/app.ts", False),
        ("testsuite.md", False),
        ("contest.py", False),
    ],
)
def test_default_test_paths_cover_the_usual_layouts(path: str, expected: bool) -> None:
    assert is_test_path(path) is expected


def _section(path: str, body: str) -> bytes:
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-old\n+{body}\n"
    ).encode()


def test_split_patch_keeps_each_section_byte_for_byte() -> None:
    src, test, other = (
        _section("pkg/mod.py", "new"),
        _section("tests/test_mod.py", "t"),
        _section("README.md", "r"),
    )
    split = split_patch(b"From: someone\nSubject: x\n\n" + src + test + other)
    assert split.tests == test
    assert split.rest == src + other
    assert split.test_files == ("tests/test_mod.py",)
    assert split.other_files == ("pkg/mod.py", "README.md")


def test_split_patch_honours_declared_patterns_and_negation() -> None:
    test = _section("tests/test_mod.py", "t")
    fixture = _section("tests/data/big.csv", "d")
    split = split_patch(test + fixture, ["tests/", "!tests/data/"])
    assert split.test_files == ("tests/test_mod.py",)
    assert split.rest == fixture


def test_a_renamed_test_is_a_test_on_either_side() -> None:
    patch = (
        b"diff --git a/tests/test_a.py b/pkg/checks.py\nsimilarity index 100%\n"
        b"rename from tests/test_a.py\nrename to pkg/checks.py\n"
    )
    assert split_patch(patch).test_files == ("pkg/checks.py",)


def test_pytest_node_ids_name_the_same_case_as_junit_ids() -> None:
    """SWE-bench lists `tests/test_x.py::TestY::test_z`; JUnit says `tests.test_x.TestY`."""
    from datumkit.testing.results import by_node_id, path_ids

    assert "tests/test_x.py::TestY::test_z" in path_ids("tests.test_x.TestY", "test_z")
    assert path_ids("tests.test_x", "test_z")[-1] == "tests/test_x.py::test_z"
    aliases = by_node_id({"tests.test_x.TestY::test_z": "passed", "bare": "skipped"})
    assert aliases["tests/test_x.py::TestY::test_z"] == "tests.test_x.TestY::test_z"
    assert "bare" not in aliases.values()
