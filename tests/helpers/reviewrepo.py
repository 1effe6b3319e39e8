"""Helpers for the `datum review` tests: a small upstream with known commits and patches, and
a datum repository whose commits the tests make one change at a time.

Everything is real git (the CLI, fixed identity and dates via conftest's `git`), so commit SHAs
of the upstream are the same on every machine; no network, no mocks.
"""

from __future__ import annotations

import copy
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from datumkit.cli.main import cli
from datumkit.generate import render_all
from datumkit.generate.lock import render_lock
from datumkit.generate.writer import write_outputs
from datumkit.git.mirrors import MirrorLocator
from datumkit.model.applied import apply_datum_patch
from datumkit.model.datumdir import DiskFiles, load_source
from helpers.repo import git, write_pyproject

UPSTREAM_URL = "https://example.invalid/review/calc.git"

CALC = '''"""A small calculator."""

# Addition.
def add(a, b):
    return a + b


# filler 1
# filler 2
# filler 3
# filler 4


# Subtraction.
def sub(a, b):
    return a - b


# filler 5
# filler 6
# filler 7
# filler 8


# Multiplication.
def mul(a, b):
    return a * b


# filler 9
# filler 10
# filler 11
# filler 12


# Division.
def div(a, b):
    return a / b
'''

#: patch v1: three hunks (add, sub, mul)
CALC_V1 = (
    CALC.replace("return a + b", "return int(a) + int(b)")
    .replace("return a - b", "return int(a) - int(b)")
    .replace("return a * b", "return int(a) * int(b)")
)
#: patch v2: add's hunk as in v1, sub's changed, mul's gone, div's new; plus a test file
CALC_V2 = (
    CALC.replace("return a + b", "return int(a) + int(b)")
    .replace("return a - b", "return float(a) - float(b)")
    .replace("return a / b", "return a / b if b else 0")
)
TEST_CALC = "from app.calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"


@dataclass(frozen=True)
class Upstream:
    """The upstream mirror: U1 (baseline), U2 (README only), U3 (breaks the sub hunk)."""

    path: Path
    u1: str
    u2: str
    u3: str
    patch_v1: bytes
    patch_v2: bytes


def _commit_files(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def build_upstream(path: Path) -> Upstream:
    """The upstream at `path`: its commits and the two versions of the patch."""
    path.mkdir()
    git(path, "init", "-q")
    for key, value in {"user.name": "Upstream", "user.email": "upstream@example.invalid"}.items():
        git(path, "config", key, value)
    u1 = _commit_files(path, {"README.md": "calc\n", "app/calc.py": CALC}, "Add the calculator")
    git(path, "checkout", "-q", "-b", "improved")
    v1 = _commit_files(path, {"app/calc.py": CALC_V1}, "Use integers")
    git(path, "checkout", "-q", "-b", "improved2", u1)
    v2 = _commit_files(path, {"app/calc.py": CALC_V2, "tests/test_calc.py": TEST_CALC}, "v2")
    git(path, "checkout", "-q", "main")
    u2 = _commit_files(path, {"README.md": "calc: a calculator\n"}, "Document the calculator")
    broken = CALC.replace("# Subtraction.", "# Subtraction: a - b.")
    u3 = _commit_files(path, {"app/calc.py": broken}, "Describe subtraction")
    patch_v1 = git(path, "diff", "--binary", u1, v1).encode()
    patch_v2 = git(path, "diff", "--binary", u1, v2).encode()
    return Upstream(path, u1, u2, u3, patch_v1, patch_v2)


def default_spec(name: str, baseline: str) -> dict[str, Any]:
    """A valid datum.yaml as plain data."""
    return {
        "task_id": f"re-bench-{name}",
        "metadata": {
            "title": f"Calculator {name}",
            "summary": "Make the calculator work on integers.",
            "tags": ["calc", "small"],
        },
        "repo": {"git_url": UPSTREAM_URL, "branch": "main", "start_commit_sha": baseline},
        "sensitivity": {"level": "safe"},
        "lm": {
            "instructions": "Make the calculator convert its inputs.\n"
            "Keep the functions' names.\nAdd a test.\n"
        },
        "evaluation": {
            "rubrics": [
                {
                    "id": "works",
                    "criterion": "The functions convert their inputs",
                    "weight": 0.5,
                    "evaluation_criteria": ["add('1', '2') == 3"],
                },
                {
                    "id": "tested",
                    "criterion": "There is a test",
                    "weight": 0.3,
                    "evaluation_criteria": ["pytest passes"],
                },
                {
                    "id": "tidy",
                    "criterion": "The code stays small",
                    "weight": 0.2,
                    "evaluation_criteria": ["no new modules"],
                },
            ]
        },
        "environment": {"install": ["pip install -e ."]},
    }


def dump_yaml(spec: dict[str, Any]) -> bytes:
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = copy.deepcopy(spec)
    instructions = data.get("lm", {}).get("instructions")
    if isinstance(instructions, str) and "\n" in instructions:
        data["lm"]["instructions"] = LiteralScalarString(instructions)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue().encode()


@dataclass
class DatumRepo:
    """A datum repository (a git work tree) whose datums tests write and commit."""

    root: Path
    upstream: Upstream
    specs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def directory(self, name: str) -> Path:
        return self.root / "datums" / name

    def spec(self, name: str) -> dict[str, Any]:
        return self.specs[name]

    def write(
        self,
        name: str,
        spec: dict[str, Any] | None = None,
        *,
        patch: bytes | None = None,
        generate: bool = True,
        lock: bool = True,
    ) -> None:
        """Write datums/NAME: datum.yaml, diff.patch, GENERATED files and (optionally) the lock."""
        if spec is None:
            spec = self.specs.get(name) or default_spec(name, self.upstream.u1)
        self.specs[name] = spec
        directory = self.directory(name)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "datum.yaml").write_bytes(dump_yaml(spec))
        if patch is not None or not (directory / "diff.patch").exists():
            (directory / "diff.patch").write_bytes(patch or self.upstream.patch_v1)
        if generate:
            write_outputs(directory, render_all(load_source(name, DiskFiles(directory))))
        if lock:  # what `datum generate` writes when the mirror is there
            source = load_source(name, DiskFiles(directory))
            result = apply_datum_patch(source, MirrorLocator.for_project(self.root))
            (directory / "datum.lock").write_bytes(render_lock(source, result))

    def commit(self, message: str = "change datums") -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.root, "rev-parse", "HEAD").strip()

    def review(self, *args: str, root: Path | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(cli, ["--root", str(root or self.root), "review", *args])

    def review_json(self, *args: str, root: Path | None = None) -> tuple[int, dict[str, Any]]:
        result = self.review(*args, "--format", "json", root=root)
        assert result.exit_code in (0, 1), result.output
        return result.exit_code, json.loads(result.output)


def new_datum_repo(root: Path, upstream: Upstream) -> DatumRepo:
    """An empty datum repository at `root` with one commit and the upstream's mirror."""
    (root / "datums").mkdir(parents=True)
    git(root, "init", "-q")
    write_pyproject(root, {UPSTREAM_URL: upstream.path})
    repo = DatumRepo(root, upstream)
    repo.commit("start")
    return repo


def set_path(spec: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set a dotted path (no list indices) in a plain spec; returns the spec."""
    *parents, last = path.split(".")
    node = spec
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return spec


def only_datum(report: dict[str, Any]) -> dict[str, Any]:
    assert len(report["datums"]) == 1, [d["name"] for d in report["datums"]]
    datum: dict[str, Any] = report["datums"][0]
    return datum
