"""The verdict's rules on plain outcomes: each failure with its one-line reason."""

from __future__ import annotations

import pytest

from datumkit.model.datum import TestSpec
from datumkit.testing.verdict import RunResult, decide

SPEC = TestSpec.model_validate(
    {
        "command": "run",
        "results": {"junit_paths": ["j.xml"]},
        "fail_to_pass": ["f2p"],
        "pass_to_pass": ["p2p"],
    }
)


def runs(*outcomes: dict[str, str]) -> list[RunResult]:
    return [RunResult(dict(o)) for o in outcomes]


@pytest.mark.parametrize(
    ("baseline", "patched", "reasons"),
    [
        ({"f2p": "failed", "p2p": "passed"}, {"f2p": "passed", "p2p": "passed"}, []),
        ({"p2p": "passed"}, {"f2p": "passed", "p2p": "passed"}, []),  # new test: missing is fine
        ({"f2p": "error", "p2p": "passed"}, {"f2p": "passed", "p2p": "passed"}, []),
        (
            {"f2p": "failed", "p2p": "passed"},
            {"f2p": "failed", "p2p": "passed"},
            ["f2p: does not pass on the patched tree (failed)"],
        ),
        (
            {"f2p": "skipped", "p2p": "passed"},
            {"f2p": "passed", "p2p": "passed"},
            ["f2p: skipped at the baseline, so it does not show the fix is missing there"],
        ),
        (
            {"f2p": "failed"},
            {"f2p": "passed", "p2p": "passed"},
            ["p2p: test not found at the baseline (a new test belongs in fail_to_pass)"],
        ),
        (
            {"f2p": "failed", "p2p": "failed"},
            {"f2p": "passed", "p2p": "passed"},
            ["p2p: does not pass at the baseline (failed)"],
        ),
        (
            {"f2p": "failed", "p2p": "passed"},
            {"f2p": "passed"},
            ["p2p: test not found in the patched run (the patch removes or renames it?)"],
        ),
    ],
)
def test_rules(baseline: dict[str, str], patched: dict[str, str], reasons: list[str]) -> None:
    verdict = decide(SPEC, runs(baseline), runs(patched))
    assert verdict.reasons() == reasons
    assert verdict.ok is (not reasons)


def test_flaky_on_the_patched_tree_names_every_outcome() -> None:
    good = {"f2p": "passed", "p2p": "passed"}
    verdict = decide(
        SPEC,
        runs({"f2p": "failed", "p2p": "passed"}, {"f2p": "failed", "p2p": "passed"}),
        runs(good, {"f2p": "failed", "p2p": "passed"}),
    )
    assert verdict.reasons() == ["f2p: flaky on the patched tree: passed, failed"]


def test_a_side_that_could_not_run_fails_with_its_problem_only() -> None:
    verdict = decide(SPEC, [], runs({"f2p": "passed", "p2p": "passed"}), ["baseline: no venv"])
    assert verdict.reasons() == ["baseline: no venv"]
    assert not verdict.ok
