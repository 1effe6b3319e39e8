"""A tiny upstream with real tests, and a datum repository around it, for `datum test`.

The upstream's tests are stdlib `unittest`, run by a 30-line runner that writes JUnit XML (like
any CI reporter), so the per-tree virtual environments need no installs and the tests stay
offline and fast. `calc.add` is broken at the baseline; the patch variants fix it (and, for one
variant, break `calc.neg`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers.gitrepo import File, GitRepo, git
from helpers.repo import write_pyproject

URL = "https://example.invalid/fixture/calc.git"
NAME = "calc"
ADD = "tests.test_calc.CalcTest::test_add"
NEG = "tests.test_calc.CalcTest::test_neg"

RUNNER = '''\
"""Run unittest discovery (pattern argv[1]) and write build/junit.xml."""
import os, sys, unittest
from xml.sax.saxutils import quoteattr

def flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from flatten(item)
        else:
            yield item

pattern = sys.argv[1] if len(sys.argv) > 1 else "test_*.py"
suite = unittest.defaultTestLoader.discover("tests", pattern=pattern, top_level_dir=".")
cases, failed = [], False
for test in flatten(suite):
    result = unittest.TestResult()
    test.run(result)
    kind = "error" if result.errors else "failure" if result.failures else (
        "skipped" if result.skipped else None)
    failed = failed or kind in ("error", "failure")
    cls = type(test)
    attrs = "classname=%s name=%s" % (
        quoteattr(cls.__module__ + "." + cls.__qualname__), quoteattr(test._testMethodName))
    body = "<%s message='x'/>" % kind if kind else ""
    cases.append("<testcase %s>%s</testcase>" % (attrs, body))
os.makedirs("build", exist_ok=True)
with open("build/junit.xml", "w") as out:
    out.write("<testsuites><testsuite name='t'>%s</testsuite></testsuites>" % "".join(cases))
sys.exit(1 if failed else 0)
'''

BASE_CALC = "def add(a, b):\n    return a - b\n\n\ndef neg(x):\n    return -x\n"
FIXED_CALC = "def add(a, b):\n    return a + b\n\n\ndef neg(x):\n    return -x\n"
BREAKING_CALC = "def add(a, b):\n    return a + b\n\n\ndef neg(x):\n    return x\n"
BASE_TESTS = (
    "import unittest\n\nimport calc\n\n\nclass CalcTest(unittest.TestCase):\n"
    "    def test_neg(self):\n        self.assertEqual(calc.neg(2), -2)\n"
)
NEW_TESTS = BASE_TESTS + "\n    def test_add(self):\n        self.assertEqual(calc.add(2, 2), 4)\n"
EVALUATE = (
    'import json\n\nimport calc\n\nprint("log line")\n'
    'print(json.dumps({"score": calc.add(2, 2) / 4}))\n'
)
FLAKY = (
    "import os\nimport unittest\n\n\nclass FlakyTest(unittest.TestCase):\n"
    "    def test_counter(self):\n"
    "        path = os.environ['COUNTER_FILE']\n"
    "        count = int(open(path).read()) + 1 if os.path.exists(path) else 1\n"
    "        open(path, 'w').write(str(count))\n"
    "        self.assertEqual(count % 2, 1)\n"
)
HANG = (
    "import os\nimport subprocess\nimport time\nimport unittest\n\n\n"
    "class HangTest(unittest.TestCase):\n"
    "    def test_hangs(self):\n"
    "        child = subprocess.Popen(['sleep', '300'])\n"
    "        open(os.environ['CHILD_PID_FILE'], 'w').write(str(child.pid))\n"
    "        time.sleep(300)\n"
)


def build_upstream(tmp: Path, *, breaking: bool = False) -> tuple[Path, str, bytes]:
    """(bare mirror, baseline SHA, diff.patch) of the calc upstream."""
    repo = GitRepo.create(tmp / "calc-src")
    baseline = repo.commit(
        {
            "calc.py": File(BASE_CALC.encode()),
            "run_tests.py": File(RUNNER.encode()),
            "evaluate.py": File(EVALUATE.encode()),
            "tests/__init__.py": File(b""),
            "tests/test_calc.py": File(BASE_TESTS.encode()),
            "tests/flaky_counter.py": File(FLAKY.encode()),
            "tests/hang_forever.py": File(HANG.encode()),
        },
        "baseline",
    )
    patched = repo.commit(
        {
            "calc.py": File((BREAKING_CALC if breaking else FIXED_CALC).encode()),
            "tests/test_calc.py": File(NEW_TESTS.encode()),
        },
        "fix add",
    )
    patch = git(repo.path, "diff", "--binary", "--full-index", baseline, patched)
    mirror = repo.bare_clone(tmp / "calc.git", branch="main")
    return mirror, baseline, patch


def good_tests() -> dict[str, Any]:
    return {
        "command": "python run_tests.py test_calc.py",
        "results": {"junit_paths": ["build/junit.xml"]},
        "fail_to_pass": [ADD],
        "pass_to_pass": [NEG],
        "metric": {
            "command": "python evaluate.py",
            "key": "score",
            "baseline_below": 0.5,
            "patched_at_least": 1.0,
        },
        "timeout_sec": 60,
    }


def make_project(
    tmp: Path,
    tests: dict[str, Any],
    *,
    breaking: bool = False,
    env: dict[str, str] | None = None,
) -> Path:
    """A datum repository with datums/calc (datum.yaml, diff.patch) and its mirror mapped."""
    mirror, baseline, patch = build_upstream(tmp, breaking=breaking)
    root = tmp / "project"
    directory = root / "datums" / NAME
    directory.mkdir(parents=True)
    datum = {
        "task_id": f"re-bench-{NAME}",
        "metadata": {"title": "Fix add", "summary": "calc.add subtracts"},
        "repo": {"git_url": URL, "start_commit_sha": baseline},
        "sensitivity": {"level": "safe"},
        "lm": {"instructions": "Make calc.add add."},
        "evaluation": {
            "rubrics": [
                {"id": "works", "criterion": "adds", "weight": 1, "evaluation_criteria": ["a"]}
            ],
            "tests": tests,
        },
        "environment": {"env": env or {}},
    }
    # JSON is YAML: the datum.yaml is written without a YAML library
    (directory / "datum.yaml").write_text(json.dumps(datum, indent=2) + "\n", encoding="utf-8")
    (directory / "diff.patch").write_bytes(patch)
    write_pyproject(root, {URL: mirror})
    return root
