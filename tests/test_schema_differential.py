"""`datum schema` agrees with `datum check`: a corpus through both, the gaps named.

Every case is a datum.yaml in a datum repository; `datum check --only schema` decides it, and so
do two JSON Schema validators fed `datum schema`'s output: the `jsonschema` library (Python
regexes) and `check-jsonschema` (ECMA-262 regexes, what editors and pre-commit users run). They
must agree on every case except the rules JSON Schema cannot express, listed in
``SCHEMA_GAPS`` and README "datum schema": each gap has a case here, and no other case may differ.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from datumkit.cli.main import cli
from datumkit.model.datum import SCHEMA_GAPS

SHA = "e381612f0c6c0bb11edf17545e6a4ae08240de09"

BASE: dict[str, Any] = {
    "task_id": "re-bench-NAME",
    "metadata": {"title": "A title", "summary": "A summary", "tags": ["re-bench", "x"]},
    "repo": {
        "git_url": "https://example.invalid/org/repo.git",
        "branch": "main",
        "start_commit_sha": SHA,
        "subdir": "",
        "sparse_checkout": [],
    },
    "sensitivity": {"level": "safe"},
    "lm": {"instructions": "Do the thing.\n"},
    "evaluation": {
        "rubrics": [
            {"id": "works", "criterion": "It works", "weight": 1.0, "evaluation_criteria": ["ok"]}
        ]
    },
    "environment": {
        "base_image": "python:3.11-slim",
        "system_packages": [],
        "install": [],
        "env": {},
        "workdir": "/app",
    },
    "overlay_extras": [],
}

TWO_RUBRICS = [
    {"id": "a", "criterion": "A", "weight": 0.5, "evaluation_criteria": ["a"]},
    {"id": "b", "criterion": "B", "weight": 0.5, "evaluation_criteria": ["b"]},
]

_DELETE = object()

#: (case name, field path, value): the datum is valid except for this one change
VALID: list[tuple[str, str, Any]] = [
    ("base", "", None),
    ("scp-url", "repo.git_url", "git@github.com:org/repo.git"),
    ("ssh-url", "repo.git_url", "ssh://git@example.com/org/repo.git"),
    ("file-url", "repo.git_url", "file:///srv/git/repo.git"),
    ("relative-path-url", "repo.git_url", "../upstream.git"),
    ("subdir-nested", "repo.subdir", "pkg/sub"),
    ("subdir-trailing-slash", "repo.subdir", "pkg/"),
    ("subdir-dots-in-name", "repo.subdir", "a/...b/c.d"),
    ("sparse-paths", "repo.sparse_checkout", ["src", "docs/api"]),
    ("branch-with-slash", "repo.branch", "feature/x-1"),
    ("image-pinned", "environment.base_image", "python:3.11-slim@sha256:" + "a" * 64),
    ("image-registry", "environment.base_image", "ghcr.io:443/org/img:v1.2"),
    ("env-names", "environment.env", {"PYTHONHASHSEED": "0", "_X1": "a b"}),
    ("weight-int", "evaluation.rubrics.0.weight", 1),
    ("two-rubrics", "evaluation.rubrics", TWO_RUBRICS),
    ("apt-version", "environment.system_packages", ["curl=7.88.1-10", "g++"]),
    ("workdir", "environment.workdir", "/srv/app..x"),
    ("no-tags", "metadata.tags", _DELETE),
    ("no-environment", "environment", _DELETE),
    ("level-restricted", "sensitivity.level", "restricted"),
]

INVALID: list[tuple[str, str, Any]] = [
    ("sha-short", "repo.start_commit_sha", "e381612"),
    ("sha-uppercase", "repo.start_commit_sha", SHA.upper()),
    ("sha-number", "repo.start_commit_sha", 1234567),
    ("url-ftp", "repo.git_url", "ftp://example.com/repo.git"),
    ("url-http", "repo.git_url", "http://example.com/repo.git"),
    ("url-empty", "repo.git_url", ""),
    ("url-space", "repo.git_url", "a b"),
    ("subdir-climbs", "repo.subdir", "../etc"),
    ("subdir-climbs-inside", "repo.subdir", "a/../../etc"),
    ("subdir-absolute", "repo.subdir", "/etc"),
    ("subdir-empty-part", "repo.subdir", "a//b"),
    ("subdir-dot", "repo.subdir", "./a"),
    ("subdir-backslash", "repo.subdir", "a\\b"),
    ("sparse-climbs", "repo.sparse_checkout", ["src", ".."]),
    ("branch-dotdot", "repo.branch", "a..b"),
    ("branch-lock", "repo.branch", "topic.lock"),
    ("branch-leading-slash", "repo.branch", "/main"),
    ("branch-space", "repo.branch", "my branch"),
    ("branch-reflog", "repo.branch", "a@{1}"),
    ("title-empty", "metadata.title", ""),
    ("title-blank", "metadata.title", "   "),
    ("title-number", "metadata.title", 5),
    ("summary-missing", "metadata.summary", _DELETE),
    ("tags-duplicate", "metadata.tags", ["x", "x"]),
    ("tags-empty", "metadata.tags", ["x", ""]),
    ("tags-not-list", "metadata.tags", "x"),
    ("rubric-id-caps", "evaluation.rubrics.0.id", "Has Caps"),
    ("rubric-id-double-dash", "evaluation.rubrics.0.id", "a--b"),
    ("rubric-criterion-blank", "evaluation.rubrics.0.criterion", " "),
    ("rubrics-empty", "evaluation.rubrics", []),
    ("criteria-empty", "evaluation.rubrics.0.evaluation_criteria", []),
    ("weight-text", "evaluation.rubrics.0.weight", "0.6"),
    ("weight-bool", "evaluation.rubrics.0.weight", True),
    ("weight-zero", "evaluation.rubrics.0.weight", 0),
    ("weight-negative", "evaluation.rubrics.0.weight", -0.5),
    ("weight-above-one", "evaluation.rubrics.0.weight", 1.5),
    ("weight-inf", "evaluation.rubrics.0.weight", float("inf")),
    ("weight-typo", "evaluation.rubrics.0.weigth", 1.0),
    ("image-empty", "environment.base_image", ""),
    ("image-uppercase", "environment.base_image", "Python:3.11"),
    ("workdir-relative", "environment.workdir", "app"),
    ("workdir-climbs", "environment.workdir", "/app/../etc"),
    ("env-name-digit", "environment.env", {"1BAD": "x"}),
    ("env-name-dash", "environment.env", {"A-B": "x"}),
    ("env-value-number", "environment.env", {"A": 1}),
    ("apt-uppercase", "environment.system_packages", ["Bad_Pkg"]),
    ("install-empty", "environment.install", [""]),
    ("overlay-absolute", "overlay_extras", ["/etc/passwd"]),
    ("level-unknown", "sensitivity.level", "public"),
    ("instructions-blank", "lm.instructions", " \n"),
    ("task-id-prefix", "task_id", "bench-x"),
    ("unknown-section", "extra", {"a": 1}),
]

#: rules only `datum check` can enforce; one case per entry of SCHEMA_GAPS, in its order
GAPS: list[tuple[str, str, Any]] = [
    ("gap-weight-sum", "evaluation.rubrics.0.weight", 0.9),
    (
        "gap-duplicate-rubric-id",
        "evaluation.rubrics",
        [{**TWO_RUBRICS[0]}, {**TWO_RUBRICS[1], "id": "a"}],
    ),
    ("gap-task-id-directory", "task_id", "re-bench-another-datum"),
    ("gap-weight-nan", "evaluation.rubrics.0.weight", float("nan")),
]

CASES = (
    [(*case, "valid") for case in VALID]
    + [(*case, "invalid") for case in INVALID]
    + [(*case, "gap") for case in GAPS]
)


def _edit(name: str, path: str, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    document["task_id"] = f"re-bench-{name}"
    if not path:
        return document
    *parents, last = [int(t) if t.isdigit() else t for t in path.split(".")]
    node: Any = document
    for token in parents:
        node = node[token]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return document


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A datum repository with one datum per case (its directory is the case name)."""
    root = tmp_path_factory.mktemp("corpus")
    (root / "pyproject.toml").write_text("[tool.datumkit]\n", encoding="utf-8")
    yaml = YAML(typ="safe", pure=True)
    for name, path, value, _ in CASES:
        directory = root / "datums" / name
        directory.mkdir(parents=True)
        with (directory / "datum.yaml").open("w", encoding="utf-8") as handle:
            yaml.dump(_edit(name, path, value), handle)
    return root


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0, result.output
    path = tmp_path_factory.mktemp("schema") / "datum.schema.json"
    path.write_text(result.output, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tool_verdicts(corpus: Path) -> dict[str, bool]:
    """`datum check --all --only schema --json`: True where the datum is valid."""
    result = CliRunner().invoke(
        cli, ["--root", str(corpus), "check", "--all", "--only", "schema", "--json", "-j", "1"]
    )
    report = json.loads(result.stdout)
    return {entry["name"]: entry["ok"] for entry in report["datums"]}


@pytest.fixture(scope="module")
def jsonschema_verdicts(corpus: Path, schema: Path) -> dict[str, bool]:
    """The `jsonschema` library (Python `re` patterns), reading YAML as check-jsonschema does."""
    validator = jsonschema.Draft202012Validator(json.loads(schema.read_text("utf-8")))
    yaml = YAML(typ="safe", pure=True)
    verdicts = {}
    for name, *_ in CASES:
        document = yaml.load((corpus / "datums" / name / "datum.yaml").read_text("utf-8"))
        verdicts[name] = validator.is_valid(document)
    return verdicts


@pytest.fixture(scope="module")
def check_jsonschema_verdicts(corpus: Path, schema: Path) -> dict[str, bool]:
    """`check-jsonschema` (ECMA-262 regexes via regress), one run over the whole corpus."""
    executable = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert executable is not None, "check-jsonschema is a dev dependency"
    files = [str(corpus / "datums" / name / "datum.yaml") for name, *_ in CASES]
    done = subprocess.run(
        [executable, "--schemafile", str(schema), "-o", "json", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stdout)
    assert not report["parse_errors"], report["parse_errors"]
    failed = {Path(error["filename"]).parent.name for error in report["errors"]}
    return {name: name not in failed for name, *_ in CASES}


@pytest.mark.parametrize(("name", "path", "value", "expected"), CASES, ids=[c[0] for c in CASES])
def test_datum_check_and_json_schema_agree_except_the_documented_gaps(
    name: str,
    path: str,
    value: Any,
    expected: str,
    tool_verdicts: dict[str, bool],
    jsonschema_verdicts: dict[str, bool],
    check_jsonschema_verdicts: dict[str, bool],
) -> None:
    tool_ok = expected == "valid"
    schema_ok = expected in ("valid", "gap")
    assert tool_verdicts[name] is tool_ok, f"datum check on {path}={value!r}"
    assert jsonschema_verdicts[name] is schema_ok, f"jsonschema on {path}={value!r}"
    assert check_jsonschema_verdicts[name] is schema_ok, f"check-jsonschema on {path}={value!r}"


def test_every_documented_gap_has_a_case_and_the_readme_lists_it() -> None:
    assert len(GAPS) == len(SCHEMA_GAPS)
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    for gap in SCHEMA_GAPS:
        assert gap.split(" (")[0] in readme, gap


def test_schema_is_the_datum_yaml_schema_not_a_wrapper(schema: Path) -> None:
    document = json.loads(schema.read_text("utf-8"))
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["title"] == "datum.yaml"
    assert document["additionalProperties"] is False
    validator = jsonschema.Draft202012Validator(document)
    assert not validator.is_valid({"datum.yaml": {}, "tb_meta.json": {}})
