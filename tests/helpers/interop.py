"""A fixture upstream standing in for GitHub, SWE-bench instances made from it by git itself,
and a datum repository whose pyproject.toml maps the GitHub URL to the local bare mirror."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.gitrepo import File, GitRepo, git
from helpers.repo import write_pyproject

REPO = "acme/calc"
GITHUB_URL = f"https://github.com/{REPO}.git"

CALC = b'''"""A tiny calculator."""


def add(a, b):
    return a + b


def div(a, b):
    return a / b
'''
CALC_FIXED = b'''"""A tiny calculator."""


def add(a, b):
    return a + b


def div(a, b):
    if b == 0:
        raise ZeroDivisionError("division by zero is undefined")
    return a / b
'''
TESTS = b"""from calc import add


def test_add():
    assert add(1, 2) == 3
"""
TESTS_NEW = (
    TESTS
    + b"""

def test_div_zero():
    import pytest

    from calc import div

    with pytest.raises(ZeroDivisionError, match="undefined"):
        div(1, 0)
"""
)


@dataclass(frozen=True)
class Upstream:
    path: Path
    mirror: Path
    base: str
    gold: str  # patch
    test_patch: str


def build_upstream(base: Path) -> Upstream:
    """acme/calc: a baseline commit, and the fix + its test as two patches made by `git diff`."""
    repo = GitRepo.create(base / "calc")
    baseline = repo.commit(
        {"calc.py": File(CALC), "tests/test_calc.py": File(TESTS)}, "Add the calculator"
    )
    repo.write({"calc.py": File(CALC_FIXED), "tests/test_calc.py": File(TESTS_NEW)})
    gold = repo.git("diff", baseline, "--", "calc.py").decode()
    test_patch = repo.git("diff", baseline, "--", "tests").decode()
    repo.git("checkout", "-q", "--", ".")
    mirror = base / "calc.git"
    git(base, "clone", "-q", "--bare", str(repo.path), str(mirror))
    return Upstream(repo.path, mirror, baseline, gold, test_patch)


def instance(
    upstream: Upstream, instance_id: str = "acme__calc-1", **changes: Any
) -> dict[str, Any]:
    """A classic SWE-bench row (test lists as JSON strings, as the published datasets have)."""
    row: dict[str, Any] = {
        "repo": REPO,
        "instance_id": instance_id,
        "base_commit": upstream.base,
        "patch": upstream.gold,
        "test_patch": upstream.test_patch,
        "problem_statement": "div(1, 0) raises a bare ZeroDivisionError.\n\nSay why instead.\n",
        "hints_text": "See the docstring.",
        "created_at": "2024-01-02T03:04:05Z",
        "version": "1.0",
        "FAIL_TO_PASS": json.dumps(["tests/test_calc.py::test_div_zero"]),
        "PASS_TO_PASS": json.dumps(["tests/test_calc.py::test_add"]),
        "environment_setup_commit": upstream.base,
    }
    row.update(changes)
    return row


def datum_repo(root: Path, upstream: Upstream) -> Path:
    """An empty datum repository that finds acme/calc's GitHub URL in the local mirror."""
    (root / "datums").mkdir(parents=True)
    write_pyproject(root, {GITHUB_URL: upstream.mirror})
    return root


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path
