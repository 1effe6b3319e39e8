"""Every rule of datum.yaml and tb_meta.json, each shown failing with its message."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from datumkit.model.datum import (
    SENSITIVITY_LEVELS,
    Datum,
    DatumInvalid,
    json_schemas,
    validate_datum,
    validate_tb_meta,
)

FILE = "datums/demo/datum.yaml"


def valid() -> dict[str, Any]:
    return {
        "task_id": "re-bench-demo",
        "metadata": {"title": "Demo", "summary": "A demo datum", "tags": ["re-bench", "demo"]},
        "repo": {
            "git_url": "https://github.com/org/repo.git",
            "branch": "main",
            "start_commit_sha": "0123456789abcdef0123456789abcdef01234567",
            "subdir": "",
            "sparse_checkout": [],
        },
        "sensitivity": {"level": "safe"},
        "lm": {"instructions": "Make it faster."},
        "evaluation": {
            "rubrics": [
                {
                    "id": "works",
                    "criterion": "It works",
                    "weight": 0.6,
                    "evaluation_criteria": ["a"],
                },
                {
                    "id": "fast",
                    "criterion": "It is fast",
                    "weight": 0.4,
                    "evaluation_criteria": ["b"],
                },
            ]
        },
    }


def problems(data: Any, name: str = "demo") -> list[str]:
    with pytest.raises(DatumInvalid) as caught:
        validate_datum(data, name=name, file=FILE)
    return caught.value.lines()


def mutated(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = copy.deepcopy(valid())
    change(data)
    return data


def test_valid_datum_parses_with_defaults() -> None:
    datum = validate_datum(valid(), name="demo", file=FILE)
    assert datum.name == "demo"
    assert datum.environment.base_image == "python:3.11-slim"
    assert datum.environment.workdir == "/app"
    assert datum.overlay_extras == []


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return change


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        del node[last]

    return change


RULES = [
    # (case id, mutation, field path, words the message must contain)
    (
        "task-id-mismatch",
        _set("task_id", "re-bench-other"),
        "task_id",
        "does not match the directory (set it to 're-bench-demo'",
    ),
    ("task-id-missing", _delete("task_id"), "task_id", "Field required (add this field)"),
    (
        "sha-short",
        _set("repo.start_commit_sha", "0123456"),
        "repo.start_commit_sha",
        "not a full commit SHA",
    ),
    (
        "sha-upper",
        _set("repo.start_commit_sha", "0123456789ABCDEF0123456789ABCDEF01234567"),
        "repo.start_commit_sha",
        "write the SHA in lowercase",
    ),
    (
        "sha-not-hex",
        _set("repo.start_commit_sha", "z" * 40),
        "repo.start_commit_sha",
        "40-character lowercase SHA",
    ),
    (
        "url-http",
        _set("repo.git_url", "http://github.com/org/repo"),
        "repo.git_url",
        "'http' is not allowed (use https://",
    ),
    ("url-ftp", _set("repo.git_url", "ftp://host/repo"), "repo.git_url", "'ftp' is not allowed"),
    ("url-space", _set("repo.git_url", "not a url"), "repo.git_url", "not a git URL or path"),
    ("url-empty", _set("repo.git_url", ""), "repo.git_url", "not a git URL or path"),
    ("branch-bad", _set("repo.branch", "feature..x"), "repo.branch", "not a valid branch name"),
    ("subdir-escape", _set("repo.subdir", "../elsewhere"), "repo.subdir", "leaves the repository"),
    ("subdir-absolute", _set("repo.subdir", "/etc"), "repo.subdir", "leaves the repository"),
    (
        "sparse-escape",
        _set("repo.sparse_checkout", ["src", "../x"]),
        "repo.sparse_checkout[1]",
        "leaves the repository",
    ),
    (
        "level-unknown",
        _set("sensitivity.level", "public"),
        "sensitivity.level",
        "use one of: safe, internal, confidential, restricted",
    ),
    (
        "instructions-empty",
        _set("lm.instructions", "  \n"),
        "lm.instructions",
        "is empty (write some text here)",
    ),
    ("title-empty", _set("metadata.title", ""), "metadata.title", "is empty"),
    ("summary-missing", _delete("metadata.summary"), "metadata.summary", "Field required"),
    (
        "tags-duplicate",
        _set("metadata.tags", ["a", "b", "a"]),
        "metadata.tags[2]",
        "tag 'a' is repeated",
    ),
    (
        "rubric-id-not-slug",
        _set("evaluation.rubrics.0.id", "Works Well"),
        "evaluation.rubrics[0].id",
        "is not a slug",
    ),
    (
        "rubric-id-duplicate",
        _set("evaluation.rubrics.1.id", "works"),
        "evaluation.rubrics[1].id",
        "rubric id 'works' is used twice",
    ),
    (
        "weight-zero",
        _set("evaluation.rubrics.0.weight", 0),
        "evaluation.rubrics[0].weight",
        "greater than 0",
    ),
    (
        "weight-negative",
        _set("evaluation.rubrics.0.weight", -0.6),
        "evaluation.rubrics[0].weight",
        "greater than 0",
    ),
    (
        "weight-text",
        _set("evaluation.rubrics.0.weight", "heavy"),
        "evaluation.rubrics[0].weight",
        "write a number here",
    ),
    (
        "weights-sum",
        _set("evaluation.rubrics.1.weight", 0.3),
        "evaluation.rubrics",
        "weights sum to 0.9, not 1",
    ),
    (
        "criteria-empty",
        _set("evaluation.rubrics.0.evaluation_criteria", []),
        "evaluation.rubrics[0].evaluation_criteria",
        "at least 1 item",
    ),
    (
        "criteria-blank",
        _set("evaluation.rubrics.0.evaluation_criteria", [" "]),
        "evaluation.rubrics[0].evaluation_criteria[0]",
        "is empty",
    ),
    ("rubrics-none", _set("evaluation.rubrics", []), "evaluation.rubrics", "at least 1 item"),
    (
        "typo-field",
        _set("evaluation.rubrics.0.weigth", 0.5),
        "evaluation.rubrics[0].weigth",
        "fix the spelling",
    ),
    (
        "image-bad",
        _set("environment", {"base_image": "Python 3"}),
        "environment.base_image",
        "not a container image reference",
    ),
    (
        "image-digest-short",
        _set("environment", {"base_image": "python@sha256:abc"}),
        "environment.base_image",
        "not a container image reference",
    ),
    (
        "env-name-bad",
        _set("environment", {"env": {"1X": "y"}}),
        "environment.env.1X",
        "not an environment variable name",
    ),
    (
        "workdir-relative",
        _set("environment", {"workdir": "app"}),
        "environment.workdir",
        "not an absolute path",
    ),
    (
        "apt-bad",
        _set("environment", {"system_packages": ["Bad Package"]}),
        "environment.system_packages[0]",
        "not a Debian package name",
    ),
    (
        "extras-escape",
        _set("overlay_extras", ["../secret"]),
        "overlay_extras[0]",
        "leaves the repository",
    ),
    ("not-a-mapping", lambda data: data.clear(), "metadata", "Field required"),
]


@pytest.mark.parametrize(
    ("change", "path", "words"), [r[1:] for r in RULES], ids=[r[0] for r in RULES]
)
def test_each_rule_names_file_field_and_fix(
    change: Callable[[dict[str, Any]], None], path: str, words: str
) -> None:
    lines = problems(mutated(change))
    matching = [line for line in lines if line.startswith(f"{FILE}: {path}: ")]
    assert matching, f"no problem reported at {path}: {lines}"
    assert any(words in line for line in matching), matching
    assert all(line.endswith(")") for line in lines), "every message carries a hint in parentheses"


def test_document_that_is_not_a_mapping() -> None:
    assert problems(["a", "list"]) == [
        f"{FILE}: (top level): Input should be a valid dictionary or instance of Datum "
        "(write a mapping here (key: value lines))"
    ]


def test_every_violation_is_reported_at_once() -> None:
    def break_everything(data: dict[str, Any]) -> None:
        data["task_id"] = "re-bench-wrong"
        data["repo"]["start_commit_sha"] = "abc"
        data["sensitivity"]["level"] = "secret"
        data["evaluation"]["rubrics"][0]["weight"] = -1
        data["evaluation"]["rubrics"][1]["id"] = "works"
        data["metadata"]["tags"] = ["x", "x"]

    paths = {line.split(": ")[1] for line in problems(mutated(break_everything))}
    assert paths == {
        "task_id",
        "repo.start_commit_sha",
        "sensitivity.level",
        "evaluation.rubrics[0].weight",
        "evaluation.rubrics[1].id",
        "evaluation.rubrics",  # the weights (-1 + 0.4) no longer sum to 1
        "metadata.tags[1]",
    }


def test_weight_sum_tolerance() -> None:
    data = valid()
    data["evaluation"]["rubrics"][0]["weight"] = 0.6 + 5e-7
    validate_datum(data, name="demo", file=FILE)  # within 1e-6: accepted
    data["evaluation"]["rubrics"][0]["weight"] = 0.6 + 5e-6
    assert any("weights sum to" in line for line in problems(data))


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/org/repo.git",
        "ssh://git@github.com/org/repo.git",
        "git@github.com:org/repo.git",
        "file:///srv/git/repo.git",
        "/srv/git/repo.git",
        "../mirrors/repo.git",
    ],
)
def test_accepted_git_urls(url: str) -> None:
    data = valid()
    data["repo"]["git_url"] = url
    assert validate_datum(data, name="demo", file=FILE).repo.git_url == url


def test_digest_pinned_image_is_accepted() -> None:
    data = valid()
    image = "python:3.11-slim@sha256:" + "a" * 64
    data["environment"] = {"base_image": image}
    assert validate_datum(data, name="demo", file=FILE).environment.base_image == image


@pytest.mark.parametrize("level", SENSITIVITY_LEVELS)
def test_every_documented_level_is_accepted(level: str) -> None:
    data = valid()
    data["sensitivity"]["level"] = level
    validate_datum(data, name="demo", file=FILE)


def test_tb_meta_without_directory_context_checks_the_prefix() -> None:
    document = valid()
    document["task_id"] = "banking77"
    with pytest.raises(DatumInvalid) as caught:
        validate_tb_meta(document, file="task/tb_meta.json")
    assert caught.value.lines() == [
        "task/tb_meta.json: task_id: 'banking77' is not of the form re-bench-<name> "
        "(use re-bench- followed by the datum name)"
    ]


def test_tb_meta_rejects_datum_only_sections() -> None:
    document = valid()
    document["environment"] = {}
    with pytest.raises(DatumInvalid) as caught:
        validate_tb_meta(document, file="t.json")
    assert caught.value.problems[0].path == "environment"


def test_tb_meta_projection_keeps_seed_order() -> None:
    datum = Datum.model_validate(valid(), context={"datum_name": "demo"})
    assert list(datum.tb_meta().model_dump()) == [
        "task_id",
        "metadata",
        "repo",
        "sensitivity",
        "lm",
        "evaluation",
    ]


def test_json_schemas_describe_both_files() -> None:
    schemas = json_schemas()
    assert set(schemas) == {"datum.yaml", "tb_meta.json"}
    assert "environment" in schemas["datum.yaml"]["properties"]
    assert "environment" not in schemas["tb_meta.json"]["properties"]
    assert schemas["tb_meta.json"]["additionalProperties"] is False
    json.dumps(schemas)  # serialisable for editors
