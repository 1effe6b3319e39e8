"""SWE-bench instances <-> datums: rows (JSONL/JSON), 5.0 task repositories and task directories.

A SWE-bench instance maps onto a datum almost field for field (README, "SWE-bench"):

- `repo` -> `repo.git_url` (`https://github.com/<repo>.git`), `base_commit` ->
  `repo.start_commit_sha`, `problem_statement` -> `lm.instructions`;
- `patch` + `test_patch` -> diff.patch (the fix first, then the tests), and the files of
  `test_patch` become `evaluation.tests.test_paths` (anchored literal paths), so exporting cuts
  diff.patch back into exactly the two patches it was made of;
- `FAIL_TO_PASS`, `PASS_TO_PASS` -> `evaluation.tests.fail_to_pass`/`pass_to_pass`;
- what a datum has no field for (`instance_id`, `version`, `hints_text`, `created_at`,
  `environment_setup_commit`, other columns; from a task repository also task.yaml's image,
  log_parser, eval_type, split, datasets, eval.sh and Dockerfile) is kept verbatim in the SOURCE
  file `swebench.json`, so export gives back the same instance.

Everything here is pure: reading instances and computing a datum's files; writing is
:mod:`datumkit.interop.create`'s job (staging, generation, checks).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import LiteralScalarString

from datumkit.errors import DatumError
from datumkit.git.errors import PatchError
from datumkit.interop.create import NewDatum
from datumkit.interop.patchsections import paths_of
from datumkit.model.datum import TASK_ID_PREFIX, DatumInvalid, validate_datum
from datumkit.model.datumdir import DATUM_YAML, PATCH_FILE
from datumkit.model.testsplit import split_patch
from datumkit.model.yamlio import RoundTripDocument, load_plain

SIDECAR = "swebench.json"
CLASSIC_FIELDS = (
    "repo",
    "instance_id",
    "base_commit",
    "patch",
    "test_patch",
    "problem_statement",
    "hints_text",
    "created_at",
    "version",
    "FAIL_TO_PASS",
    "PASS_TO_PASS",
    "environment_setup_commit",
)
REQUIRED_FIELDS = ("instance_id", "repo", "base_commit", "patch", "test_patch", "problem_statement")
TEST_LISTS = ("FAIL_TO_PASS", "PASS_TO_PASS")
#: optional text columns: absent and "" are the same to SWE-bench; we keep which one it was
OPTIONAL_TEXT = ("hints_text", "created_at", "version", "environment_setup_commit")

# 5.0 task repositories (swebench.task.repo): file names per column
CONFIG_FILE = "sweb.yaml"
TASKS_DIR = "tasks"
TASK_FILE = "task.yaml"
TESTS_FILE = "tests.json"
AS_FILE = {
    "patch": "gold.patch",
    "test_patch": "test.patch",
    "eval_script": "eval.sh",
    "problem_statement": "problem_statement.md",
}
HINTS_FILE = "hints.md"
DOCKERFILE = "Dockerfile"
#: task.yaml keys a datum models itself (everything else in task.yaml is kept in swebench.json)
_MODELLED_TASK_KEYS = {"instance_id", "repo", "base_commit", *OPTIONAL_TEXT}

#: the JUnit XML the default test command writes, relative to the task directory
JUNIT_FILE = ".datumkit-junit.xml"
DEFAULT_WEIGHTS = (0.7, 0.3)  # FAIL_TO_PASS rubric, PASS_TO_PASS rubric (README)
MAX_CRITERIA = 20  # test ids listed per rubric; the rest are counted
MAX_INSTANCE_ID = 200
NAME_MAX = 64

_REPO_RE = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_SHA_RE = re.compile(r"[0-9a-f]{40}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_GLOB_SPECIAL = re.compile(r"[*?\[\]!#\\]|^\s|\s$")


class InstanceError(DatumError):
    """One instance cannot become a datum; the import goes on with the others (exit 1 at end)."""

    kind = "invalid instance"


@dataclass(frozen=True)
class Instance:
    """One SWE-bench instance as read, with where it came from (`file:line`, `tasks/<id>`)."""

    fields: dict[str, Any]
    origin: str
    #: from a 5.0 task repository: sweb.yaml's content, else None
    task_repo_config: dict[str, Any] | None = None


# --- instance -> datum ------------------------------------------------------------------------


def datum_name(instance_id: str) -> str:
    """A datum name from an instance id: lowercase, runs of other characters become one '-'.

    `django__django-11099` -> `django-django-11099`. Ids longer than the 64 characters a name
    may have keep their first 55 and end in 8 hex digits of their SHA-256, so two long ids never
    share a name by truncation. Two ids that differ only in case or punctuation do; the import
    reports that as a duplicate.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", instance_id.lower()).strip("-")
    if not slug:
        slug = "instance"
    if len(slug) > NAME_MAX:
        digest = hashlib.sha256(instance_id.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug[:55].rstrip('-')}-{digest}"
    return slug


def git_url_for(repo: str) -> str:
    return f"https://github.com/{repo}.git"


def repo_from_url(url: str) -> str:
    """`owner/name` of a GitHub URL; any other URL is returned as it is."""
    match = re.match(r"^https://github\.com/([^/]+/[^/]+?)(?:\.git)?/?$", url)
    return match.group(1) if match else url


def _tests_list(value: Any, field: str, origin: str) -> tuple[list[str], str]:
    """A test list and how it was written: a JSON string (the classic rows) or a list."""
    encoding = "list"
    if isinstance(value, str):
        encoding = "json-string"
        try:
            value = json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            raise InstanceError(
                "is not a JSON list of test ids", file=origin, location=field
            ) from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InstanceError(
            "is not a list of test ids", file=origin, location=field, hint="a list of strings"
        )
    return value, encoding


def _check_text(fields: Mapping[str, Any], key: str, origin: str) -> str:
    value = fields.get(key)
    if value is None:
        raise InstanceError("is missing", file=origin, location=key, hint="add this field")
    if not isinstance(value, str):
        raise InstanceError("is not text", file=origin, location=key, hint="write a string")
    return value


def plan_instance(instance: Instance) -> NewDatum:
    """The datum an instance becomes (SOURCE files only); InstanceError when it cannot be one."""
    fields, origin = instance.fields, instance.origin
    for key in REQUIRED_FIELDS:
        _check_text(fields, key, origin)
    instance_id: str = fields["instance_id"]
    if (
        not instance_id.strip()
        or len(instance_id) > MAX_INSTANCE_ID
        or _CONTROL_RE.search(instance_id)
        or "/" in instance_id
        or "\\" in instance_id
        or instance_id in (".", "..")
    ):
        raise InstanceError(
            f"{instance_id[:80]!r} cannot name a task directory",
            file=origin,
            location="instance_id",
            hint="one line, no '/' or '\\', at most 200 characters",
        )
    repo: str = fields["repo"]
    if not _REPO_RE.fullmatch(repo):
        raise InstanceError(
            f"{repo[:80]!r} is not owner/name",
            file=origin,
            location="repo",
            hint="e.g. django/django",
        )
    base_commit: str = fields["base_commit"]
    if not _SHA_RE.fullmatch(base_commit):
        raise InstanceError(
            f"{base_commit[:80]!r} is not a full commit SHA",
            file=origin,
            location="base_commit",
            hint="40 lowercase hex characters",
        )
    for key in OPTIONAL_TEXT:
        if key in fields and not isinstance(fields[key], str):
            raise InstanceError("is not text", file=origin, location=key, hint="write a string")
    lists: dict[str, list[str]] = {}
    encodings: set[str] = set()
    for key in TEST_LISTS:
        if key not in fields:
            raise InstanceError("is missing", file=origin, location=key, hint="add the test ids")
        lists[key], encoding = _tests_list(fields[key], key, origin)
        encodings.add(encoding)
    if len(encodings) > 1:
        raise InstanceError(
            "FAIL_TO_PASS and PASS_TO_PASS are written differently",
            file=origin,
            hint="make both JSON strings or both lists",
        )
    patch = _joined_patch(fields["patch"], fields["test_patch"], origin)
    test_files = paths_of(fields["test_patch"].encode("utf-8"))

    name = datum_name(instance_id)
    data = _datum_data(name, instance_id, repo, base_commit, fields, lists, test_files)
    sidecar = _sidecar(fields, instance, encodings.pop())
    datum_yaml = render_datum_yaml(data, f"SWE-bench instance {instance_id!r}")
    try:
        validate_datum(_load_back(datum_yaml), name=name, file=origin)
    except DatumInvalid as invalid:
        first = invalid.problems[0]
        raise InstanceError(
            f"would be an invalid datum: {first.path}: {first.message}", file=origin
        ) from None
    notes = []
    if fields.get("__task_dir_files__"):
        notes.append(f"{', '.join(fields['__task_dir_files__'])} not imported (binary assets)")
    return NewDatum(
        name=name,
        files={DATUM_YAML: datum_yaml, PATCH_FILE: patch, SIDECAR: sidecar},
        origin=origin,
        notes=tuple(notes),
    )


def _joined_patch(gold: str, tests: str, origin: str) -> bytes:
    """diff.patch = patch + test_patch; refused unless cutting it gives both back exactly."""
    gold_bytes, test_bytes = gold.encode("utf-8"), tests.encode("utf-8")
    for key, text in (("patch", gold_bytes), ("test_patch", test_bytes)):
        if not text.endswith(b"\n"):
            raise InstanceError(
                "does not end with a newline", file=origin, location=key, hint="git diff's format"
            )
    try:
        gold_paths = paths_of(gold_bytes)
        test_paths = paths_of(test_bytes)
    except PatchError as error:
        raise InstanceError(f"does not parse as a patch: {error.message}", file=origin) from None
    if not gold_paths or not test_paths:
        empty = "patch" if not gold_paths else "test_patch"
        raise InstanceError("changes no file", file=origin, location=empty, hint="a git diff")
    both = sorted(set(gold_paths) & set(test_paths))
    if both:
        raise InstanceError(
            f"{both[0]} is changed by both patch and test_patch",
            file=origin,
            hint="a datum's test files are whole files of diff.patch",
        )
    odd = [p for p in test_paths if _GLOB_SPECIAL.search(p)]
    if odd:
        raise InstanceError(
            f"test file {odd[0]!r} has characters test_paths cannot match literally",
            file=origin,
            location="test_patch",
        )
    joined = gold_bytes + test_bytes
    halves = split_patch(joined, ["/" + path for path in test_paths])
    rest, cut = halves.rest, halves.tests
    if rest != gold_bytes or cut != test_bytes:
        raise InstanceError(
            "patch + test_patch do not split back into the same two patches",
            file=origin,
            hint="remove text before the first `diff --git` of each patch",
        )
    return joined


def _first_line(text: str, limit: int = 72) -> str:
    for line in text.splitlines():
        stripped = " ".join(line.split()).lstrip("#").strip()
        if stripped:
            return stripped if len(stripped) <= limit else stripped[: limit - 3].rstrip() + "..."
    return ""


def default_test_command(test_files: list[str]) -> str:
    """pytest over the files of test_patch, writing JUnit XML (README, "SWE-bench")."""
    from datumkit.generate.quoting import sh_quote

    files = " ".join(sh_quote(path) for path in test_files)
    # xunit1 adds each case's `file`, so SWE-bench's `path::name` ids can be matched exactly
    return (
        "python -m pytest -rA -p no:cacheprovider -o junit_family=xunit1 "
        f"--junitxml={JUNIT_FILE} {files}"
    )


def rubrics_from_tests(fail_to_pass: list[str], pass_to_pass: list[str]) -> list[dict[str, Any]]:
    """The documented default: FAIL_TO_PASS tests pass (0.7), PASS_TO_PASS still pass (0.3).

    With no PASS_TO_PASS tests the first rubric weighs 1. Each rubric lists up to 20 test ids
    as its criteria and counts the rest.
    """

    def criteria(ids: list[str]) -> list[str]:
        shown = [f"`{test_id}` passes" for test_id in ids[:MAX_CRITERIA]]
        if len(ids) > MAX_CRITERIA:
            shown.append(f"... and {len(ids) - MAX_CRITERIA} more tests pass")
        return shown or ["the tests named by the task pass"]

    fix = {
        "id": "fail-to-pass",
        "criterion": "The issue is fixed: the tests that failed at the baseline now pass",
        "weight": 1.0 if not pass_to_pass else DEFAULT_WEIGHTS[0],
        "evaluation_criteria": criteria(fail_to_pass),
    }
    if not pass_to_pass:
        return [fix]
    keep = {
        "id": "pass-to-pass",
        "criterion": "Nothing else breaks: the tests that passed at the baseline still pass",
        "weight": DEFAULT_WEIGHTS[1],
        "evaluation_criteria": criteria(pass_to_pass),
    }
    return [fix, keep]


def _datum_data(
    name: str,
    instance_id: str,
    repo: str,
    base_commit: str,
    fields: Mapping[str, Any],
    lists: Mapping[str, list[str]],
    test_files: list[str],
) -> dict[str, Any]:
    title = _first_line(fields["problem_statement"]) or instance_id
    version = fields.get("version") or ""
    summary = f"SWE-bench instance {instance_id} of {repo}" + (
        f" (version {version})." if version else "."
    )
    project = repo.split("/", 1)[1]
    tags = list(dict.fromkeys(["swe-bench", datum_name(project)]))
    return {
        "task_id": TASK_ID_PREFIX + name,
        "metadata": {"title": f"{instance_id}: {title}", "summary": summary, "tags": tags},
        "repo": {"git_url": git_url_for(repo), "start_commit_sha": base_commit},
        "sensitivity": {"level": "safe"},
        "lm": {"instructions": fields["problem_statement"]},
        "evaluation": {
            "rubrics": rubrics_from_tests(lists["FAIL_TO_PASS"], lists["PASS_TO_PASS"]),
            "tests": {
                "command": default_test_command(test_files),
                "results": {"junit_paths": [JUNIT_FILE]},
                "fail_to_pass": lists["FAIL_TO_PASS"],
                "pass_to_pass": lists["PASS_TO_PASS"],
                "test_paths": ["/" + path for path in test_files],
            },
        },
    }


def _sidecar(fields: Mapping[str, Any], instance: Instance, encoding: str) -> bytes:
    """swebench.json: what the datum model has no field for, verbatim (README, "SWE-bench")."""
    modelled = {"base_commit", "patch", "test_patch", "problem_statement", *TEST_LISTS}
    internal = {"__dockerfile__", "__task_dir_files__", "eval_script"}
    kept = {
        key: value
        for key, value in fields.items()
        if key not in modelled and key not in internal and key not in CLASSIC_FIELDS
    }
    document: dict[str, Any] = {
        "format": "swebench",
        "instance_id": fields["instance_id"],
        "repo": fields["repo"],
        "tests_encoding": encoding,
        "field_order": [key for key in fields if not key.startswith("__")],
        "fields": {key: fields[key] for key in OPTIONAL_TEXT if key in fields},
        "extra": kept,
    }
    if instance.task_repo_config is not None:
        document["task_repo"] = {
            "config": instance.task_repo_config,
            "eval_script": fields.get("eval_script", ""),
            "dockerfile": fields.get("__dockerfile__"),
        }
    return dump_json(document)


def dump_json(document: Any) -> bytes:
    """Deterministic JSON: sorted keys, two-space indent, UTF-8, one trailing newline."""
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def render_datum_yaml(data: dict[str, Any], origin: str) -> bytes:
    """datum.yaml with a header saying where it came from; instructions as a block when exact."""
    document = _commented(data)
    instructions = data["lm"]["instructions"]
    if "\n" in instructions.strip():
        document["lm"]["instructions"] = LiteralScalarString(instructions)
    document.yaml_set_start_comment(
        f"datum.yaml imported from {origin} by `datum import`.\n"
        "This is now the file to edit; swebench.json keeps the fields a datum has no place for."
    )
    rendered = RoundTripDocument(document, 2, 4, 2).dump()
    if _load_back(rendered)["lm"]["instructions"] != instructions:
        document["lm"]["instructions"] = instructions  # a block scalar would not be exact
        rendered = RoundTripDocument(document, 2, 4, 2).dump()
    return rendered


def _load_back(text: bytes) -> Any:
    return load_plain(text, file=DATUM_YAML)  # libyaml: ~30x faster than the pure loader


def _commented(value: Any) -> Any:
    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = _commented(item)
        return mapping
    if isinstance(value, list):
        return [_commented(item) for item in value]
    return value
