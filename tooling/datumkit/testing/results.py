"""Reading a run's results: JUnit XML files (via junitparser) and the command's exit code.

JUnit XML is what nearly every test runner writes (pytest --junitxml, Jest/Vitest reporters,
`go test` via gotestsum, cargo-nextest, Maven Surefire), so a datum names the files its command
writes and every test case becomes one result. A test id is ``classname::name`` (just ``name``
when the runner gives no class name); pytest writes `tests.test_x.TestY` / `test_z`, so its id is
``tests.test_x.TestY::test_z``. pytest's node id, ``tests/test_x.py::TestY::test_z`` (the form
SWE-bench uses), names the same case (:func:`path_ids`).

The files come from the datum's tree, so they are untrusted: each is size-capped before it is
read, a DOCTYPE (entity expansion, external entities) is refused, and symlinks are not followed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import junitparser
import pathspec

from datumkit.errors import DatumError

Outcome = Literal["passed", "failed", "error", "skipped"]
#: when one id appears several times (parametrised duplicates, reruns), the worst counts
_SEVERITY: dict[str, int] = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
MAX_JUNIT_BYTES = 64 * 1024 * 1024
MAX_JUNIT_FILES = 1000


class ResultsUnreadable(DatumError):
    """A JUnit file exists but cannot be used (too big, not JUnit, hostile)."""


def junit_files(task_dir: Path, patterns: Sequence[str]) -> list[Path]:
    """Regular files under `task_dir` matching the gitignore-style `patterns`, sorted."""
    if not patterns:
        return []
    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    found = []
    for path in sorted(_walk(task_dir)):
        relative = path.relative_to(task_dir).as_posix()
        if spec.match_file(relative):
            found.append(path)
            if len(found) > MAX_JUNIT_FILES:
                raise ResultsUnreadable(
                    f"more than {MAX_JUNIT_FILES} files match results.junit_paths",
                    hint="narrow the patterns to the files the test command writes",
                )
    return found


def _walk(root: Path) -> Iterator[Path]:
    """Every regular file below root; symlinks (to files or directories) are never followed."""
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            entries = list(directory.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if entry.name not in (".git", ".venv", "node_modules"):
                    stack.append(entry)
            elif entry.is_file():
                yield entry


def clear_junit_files(task_dir: Path, patterns: Sequence[str]) -> None:
    """Remove files a previous run (or the tree itself) left where results will be read."""
    for path in junit_files(task_dir, patterns):
        path.unlink(missing_ok=True)


def test_id(classname: str | None, name: str | None) -> str:
    """The id a datum declares for one JUnit test case (see the module docstring)."""
    name = name or ""
    return f"{classname}::{name}" if classname else name


def _outcome(case: Any) -> Outcome:
    results = list(case.result or [])
    if any(isinstance(r, junitparser.Error) for r in results):
        return "error"
    if any(isinstance(r, junitparser.Failure) for r in results):
        return "failed"
    if any(isinstance(r, junitparser.Skipped) for r in results):
        return "skipped"
    return "passed"


def _cases(node: Any) -> Iterable[Any]:
    """Test cases of a testsuites/testsuite tree, whatever nesting the runner chose."""
    for child in node:
        if isinstance(child, junitparser.TestCase):
            yield child
        elif isinstance(child, junitparser.TestSuite | junitparser.JUnitXml):
            yield from _cases(child)


def read_junit(path: Path, *, display: str) -> dict[str, Outcome]:
    """Outcomes by test id from one JUnit XML file; `display` names it in errors."""
    size = path.stat().st_size
    if size > MAX_JUNIT_BYTES:
        raise ResultsUnreadable(
            f"is {size} bytes, over the {MAX_JUNIT_BYTES} byte cap", file=display
        )
    data = path.read_bytes()
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ResultsUnreadable(
            "declares a DOCTYPE or entities, which JUnit XML never needs", file=display
        )
    try:
        document = junitparser.JUnitXml.fromstring(data)
    except Exception as error:  # junitparser raises the XML parser's own errors
        raise ResultsUnreadable(
            f"is not JUnit XML: {str(error).splitlines()[0] if str(error) else error!r}",
            file=display,
            hint="point results.junit_paths at the XML the test command writes",
        ) from None
    outcomes: dict[str, Outcome] = {}
    for case in _cases(document):
        key = test_id(case.classname, case.name)
        outcome = _outcome(case)
        if key not in outcomes or _SEVERITY[outcome] > _SEVERITY[outcomes[key]]:
            outcomes[key] = outcome
    return outcomes


def path_ids(classname: str, name: str) -> list[str]:
    """The node ids pytest could give the case ``classname::name``: `tests/test_x.py::TestY::
    test_z`, the form SWE-bench's FAIL_TO_PASS/PASS_TO_PASS lists use. JUnit's dotted classname
    does not say where the module ends, so every split into a module path and classes is offered
    (a declared id matches at most one of them)."""
    parts = classname.split(".") if classname else []
    return [
        "::".join(["/".join(parts[:cut]) + ".py", *parts[cut:], name])
        for cut in range(1, len(parts) + 1)
    ]


def by_node_id(outcomes: Mapping[str, str]) -> dict[str, str]:
    """Node id -> the JUnit id it names, for every case of `outcomes` (see :func:`path_ids`)."""
    aliases: dict[str, str] = {}
    for key in outcomes:
        classname, separator, name = key.rpartition("::")
        if separator:
            for alias in path_ids(classname, name):
                aliases.setdefault(alias, key)
    return aliases


def merge(into: dict[str, Outcome], more: dict[str, Outcome]) -> None:
    for key, outcome in more.items():
        if key not in into or _SEVERITY[outcome] > _SEVERITY[into[key]]:
            into[key] = outcome
