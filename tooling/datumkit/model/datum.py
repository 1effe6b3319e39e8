"""The datum model: what `datum.yaml` may say, and the exact shape of the seed's `tb_meta.json`.

`datum.yaml` deliberately uses the same sections and field names as `tb_meta.json` (task_id,
metadata, repo, sensitivity, lm, evaluation), so a field path in an error message means the same
thing in both files and import/export is a projection, not a translation. `datum.yaml` adds what a
hand-written Dockerfile used to hide: the `environment` and extra overlay files.

Validation reports every violation at once. Field-level rules live on the fields; rules that look
across fields (unique rubric ids, weights that sum to 1, task_id vs. directory) run in ``wrap``
validators that also run when some fields already failed, so one pass shows the user everything.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from datumkit.errors import DatumError
from datumkit.model.fieldpath import format_field_path

#: The documented sensitivity levels, least to most restricted (README, "Sensitivity").
SENSITIVITY_LEVELS = ("safe", "internal", "confidential", "restricted")
TASK_ID_PREFIX = "re-bench-"
DEFAULT_BASE_IMAGE = "python:3.11-slim"
WEIGHT_SUM_TOLERANCE = 1e-6

SLUG_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
SHA_RE = re.compile(r"^[0-9a-f]{40}$")
SCP_LIKE_RE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$")
URL_RE = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<rest>\S+)$")
IMAGE_RE = re.compile(
    r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?/)?"  # optional registry host[:port]/
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"  # name component
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"  # more path components
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"  # optional :tag
    r"(?:@sha256:[0-9a-f]{64})?$"  # optional digest pin
)
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
APT_PACKAGE_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]+(?:=[A-Za-z0-9.+~:-]+)?$")
BRANCH_RE = re.compile(r"^(?!/)(?!.*(?:\.\.|//|@\{|\.lock$|/$|\.$))[^\s~^:?*\[\\\x00-\x1f\x7f]+$")


def _rule(message: str, hint: str) -> PydanticCustomError:
    """A custom validation error whose text already carries the fix, in the house format."""
    return PydanticCustomError(
        "datum_rule", "{message} ({hint})", {"message": message, "hint": hint}
    )


def _non_empty_text(value: str) -> str:
    if not value.strip():
        raise _rule("is empty", "write some text here")
    return value


def _slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise _rule(
            f"{value!r} is not a slug",
            "use lowercase letters, digits and single '-' or '_' between them, e.g. 'baseline-ok'",
        )
    return value


def _sha(value: str) -> str:
    if SHA_RE.match(value):
        return value
    if re.fullmatch(r"[0-9a-fA-F]{40}", value):
        raise _rule(f"{value!r} has uppercase letters", "write the SHA in lowercase")
    raise _rule(
        f"{value!r} is not a full commit SHA",
        "use the 40-character lowercase SHA that `git rev-parse <commit>` prints",
    )


def _relative_path(value: str) -> str:
    """Paths inside the repository: never absolute, never climbing out with '..'."""
    if value == "":
        return value
    parts = value.split("/")
    if value.startswith("/") or ".." in parts or "\\" in value:
        raise _rule(
            f"{value!r} leaves the repository",
            "use a relative path with '/' separators and no '..'",
        )
    if any(part in ("", ".") for part in parts[:-1]) or parts[-1] == ".":
        raise _rule(f"{value!r} is not a clean path", "remove empty and '.' components")
    return value


def _git_url(value: str) -> str:
    if SCP_LIKE_RE.match(value):
        return value
    match = URL_RE.match(value)
    if match is None:
        if value.strip() and not any(ch.isspace() for ch in value):
            return value  # a local path, absolute or relative to the repository root
        raise _rule(
            f"{value!r} is not a git URL or path", "use https://, ssh://, file:// or a path"
        )
    scheme = match.group("scheme")
    if scheme in ("https", "ssh", "file"):
        return value
    hint = "use https:// instead" if scheme in ("http", "git") else "use https://, ssh://, file://"
    raise _rule(f"URL scheme {scheme!r} is not allowed", hint)


def _branch(value: str) -> str:
    if not BRANCH_RE.match(value):
        raise _rule(
            f"{value!r} is not a valid branch name", "use a name `git check-ref-format` accepts"
        )
    return value


def _image(value: str) -> str:
    if not IMAGE_RE.match(value):
        raise _rule(
            f"{value!r} is not a container image reference",
            "use name[:tag][@sha256:<64 hex>], e.g. python:3.11-slim",
        )
    return value


def _absolute_path(value: str) -> str:
    if not value.startswith("/") or ".." in value.split("/"):
        raise _rule(f"{value!r} is not an absolute path", "use an absolute path such as /app")
    return value


def _apt_package(value: str) -> str:
    if not APT_PACKAGE_RE.match(value):
        raise _rule(
            f"{value!r} is not a Debian package name", "use e.g. build-essential or curl=7.88*"
        )
    return value


def _env_name(value: str) -> str:
    if not ENV_NAME_RE.match(value):
        raise _rule(f"{value!r} is not an environment variable name", "use letters, digits and _")
    return value


NonEmptyText = Annotated[str, AfterValidator(_non_empty_text)]
Slug = Annotated[str, AfterValidator(_slug)]
CommitSha = Annotated[str, AfterValidator(_sha)]
RelativePath = Annotated[str, AfterValidator(_relative_path)]
GitUrl = Annotated[str, AfterValidator(_git_url)]
BranchName = Annotated[str, AfterValidator(_branch)]
ImageRef = Annotated[str, AfterValidator(_image)]
AbsolutePath = Annotated[str, AfterValidator(_absolute_path)]
AptPackage = Annotated[str, AfterValidator(_apt_package)]
EnvName = Annotated[str, AfterValidator(_env_name)]


class _Strict(BaseModel):
    """Unknown keys are errors: a typo like `weigth` must not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _collect(
    data: Any,
    handler: Callable[[Any], Any],
    extra_rules: Callable[[Any], Iterable[InitErrorDetails]],
    title: str,
) -> Any:
    """Run the normal validation *and* cross-field rules, then raise all their errors together."""
    errors: list[InitErrorDetails] = []
    result = None
    try:
        result = handler(data)
    except ValidationError as exc:
        errors.extend(_reraisable(exc))
    errors.extend(extra_rules(data))
    if errors:
        raise ValidationError.from_exception_data(title, errors)
    return result


def _reraisable(exc: ValidationError) -> Iterable[InitErrorDetails]:
    """Errors of a nested validation, in a form `from_exception_data` accepts again."""
    for error in exc.errors(include_url=False):
        yield InitErrorDetails(
            type=PydanticCustomError(error["type"], error["msg"]),
            loc=error["loc"],
            input=error["input"],
        )


def _error(loc: tuple[str | int, ...], value: Any, message: str, hint: str) -> InitErrorDetails:
    return InitErrorDetails(type=_rule(message, hint), loc=loc, input=value)


def _duplicates(values: Sequence[Any]) -> Iterable[tuple[int, Any]]:
    seen: set[Any] = set()
    for index, value in enumerate(values):
        if isinstance(value, str | int | float) and value in seen:
            yield index, value
        elif isinstance(value, str | int | float):
            seen.add(value)


class Metadata(_Strict):
    """Human-facing description of the task."""

    title: NonEmptyText
    summary: NonEmptyText
    tags: list[NonEmptyText] = Field(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _unique_tags(cls, data: Any, handler: Callable[[Any], Any]) -> Any:
        def rules(raw: Any) -> Iterable[InitErrorDetails]:
            tags = raw.get("tags") if isinstance(raw, Mapping) else None
            if isinstance(tags, list):
                for index, tag in _duplicates(tags):
                    yield _error(
                        ("tags", index), tag, f"tag {tag!r} is repeated", "remove the copy"
                    )

        return _collect(data, handler, rules, cls.__name__)


class RepoSpec(_Strict):
    """Where the baseline lives: exactly one commit of one repository."""

    git_url: GitUrl
    branch: BranchName = "main"
    start_commit_sha: CommitSha
    subdir: RelativePath = ""
    sparse_checkout: list[RelativePath] = Field(default_factory=list)


class Sensitivity(_Strict):
    level: Literal["safe", "internal", "confidential", "restricted"]


class Lm(_Strict):
    instructions: NonEmptyText


class Rubric(_Strict):
    id: Slug
    criterion: NonEmptyText
    weight: float = Field(gt=0, allow_inf_nan=False)
    evaluation_criteria: list[NonEmptyText] = Field(min_length=1)


class Evaluation(_Strict):
    rubrics: list[Rubric] = Field(min_length=1)

    @model_validator(mode="wrap")
    @classmethod
    def _rubric_rules(cls, data: Any, handler: Callable[[Any], Any]) -> Any:
        return _collect(data, handler, _rubric_set_errors, cls.__name__)


def _rubric_set_errors(raw: Any) -> Iterable[InitErrorDetails]:
    """Rules over the whole rubric list, tolerant of rubrics that are themselves broken."""
    rubrics = raw.get("rubrics") if isinstance(raw, Mapping) else None
    if not isinstance(rubrics, list) or not rubrics:
        return
    items = [r if isinstance(r, Mapping) else {} for r in rubrics]
    for index, rubric_id in _duplicates([r.get("id") for r in items]):
        yield _error(
            ("rubrics", index, "id"),
            rubric_id,
            f"rubric id {rubric_id!r} is used twice",
            "give every rubric its own id",
        )
    weights = [r.get("weight") for r in items]
    numeric = [w for w in weights if isinstance(w, int | float) and not isinstance(w, bool)]
    if len(numeric) == len(weights) and all(math.isfinite(w) for w in numeric):
        total = math.fsum(numeric)
        if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
            yield _error(
                ("rubrics",),
                weights,
                f"weights sum to {total:.6g}, not 1",
                "adjust the weights so they add up to 1",
            )


class TbMeta(_Strict):
    """Exactly the seed guide's `tb_meta.json`, which existing runners read."""

    task_id: str
    metadata: Metadata
    repo: RepoSpec
    sensitivity: Sensitivity
    lm: Lm
    evaluation: Evaluation

    @model_validator(mode="wrap")
    @classmethod
    def _task_id_rules(cls, data: Any, handler: Callable[[Any], Any], info: ValidationInfo) -> Any:
        expected_name = (info.context or {}).get("datum_name")
        return _collect(
            data, handler, lambda raw: _task_id_errors(raw, expected_name), cls.__name__
        )


def _task_id_errors(raw: Any, expected_name: str | None) -> Iterable[InitErrorDetails]:
    task_id = raw.get("task_id") if isinstance(raw, Mapping) else None
    if not isinstance(task_id, str):
        return
    if expected_name is not None:
        expected = TASK_ID_PREFIX + expected_name
        if task_id != expected:
            yield _error(
                ("task_id",),
                task_id,
                f"{task_id!r} does not match the directory",
                f"set it to {expected!r} or rename the directory",
            )
    elif not (task_id.startswith(TASK_ID_PREFIX) and SLUG_RE.match(task_id)):
        yield _error(
            ("task_id",),
            task_id,
            f"{task_id!r} is not of the form {TASK_ID_PREFIX}<name>",
            f"use {TASK_ID_PREFIX} followed by the datum name",
        )


class Environment(_Strict):
    """What the generated Dockerfile builds: base image, packages, install steps."""

    base_image: ImageRef = DEFAULT_BASE_IMAGE
    system_packages: list[AptPackage] = Field(default_factory=list)
    install: list[NonEmptyText] = Field(default_factory=list)
    env: dict[EnvName, str] = Field(default_factory=dict)
    workdir: AbsolutePath = "/app"


# --- evaluation.tests: the tests and metric that prove the datum grades what it claims -----------

#: Which files of diff.patch are tests (gitignore syntax, matched against repository paths).
#: The patch's test files are applied to the baseline for its run, like SWE-bench's test_patch.
DEFAULT_TEST_PATHS: tuple[str, ...] = (
    # Python: pytest/unittest discovery names and test directories
    "test_*.py",
    "*_test.py",
    "conftest.py",
    "tests/",
    "test/",
    # JavaScript / TypeScript: Jest, Vitest, Mocha naming and __tests__ directories
    "*.test.js",
    "*.test.jsx",
    "*.test.mjs",
    "*.test.cjs",
    "*.test.ts",
    "*.test.tsx",
    "*.spec.js",
    "*.spec.jsx",
    "*.spec.mjs",
    "*.spec.cjs",
    "*.spec.ts",
    "*.spec.tsx",
    "__tests__/",
    # Go: _test.go files and their fixtures
    "*_test.go",
    "testdata/",
    # Rust integration tests live in tests/ (above); Java/Kotlin (Maven, Gradle): src/test/
    "**/src/test/",
)
DEFAULT_TEST_TIMEOUT_SEC = 1800
MAX_TEST_TIMEOUT_SEC = 86_400
#: the pseudo test id under which `results.exit_code` records the command's exit status
EXIT_CODE_TEST_ID = "exit_code"
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def _test_id(value: str) -> str:
    """Test ids are printed in tables and receipts: one line, no control characters."""
    if not value.strip():
        raise _rule("is empty", "write the test id, e.g. tests/test_x.py::test_name")
    if _CONTROL_RE.search(value):
        raise _rule(
            "contains a newline or control character", "write the test id on one line, as is"
        )
    return value


def _one_line(value: str) -> str:
    if _CONTROL_RE.search(value.replace("\t", " ")):
        raise _rule("contains a newline or control character", "write it on one line")
    return value


def _glob(value: str) -> str:
    """A gitignore-style pattern: no absolute paths, no '..', one line."""
    _one_line(value)
    if not value.strip():
        raise _rule("is empty", "write a pattern such as tests/ or *_test.go")
    if value.lstrip("!").startswith("/") and len(value.lstrip("!")) == 1:
        raise _rule(f"{value!r} matches everything", "name the test files or directories")
    if ".." in value.replace("\\", "/").split("/") or "\\" in value:
        raise _rule(f"{value!r} leaves the repository", "use '/' separators and no '..'")
    return value


TestId = Annotated[str, AfterValidator(_test_id)]
OneLineText = Annotated[str, AfterValidator(_non_empty_text), AfterValidator(_one_line)]
GlobPattern = Annotated[str, AfterValidator(_glob)]


class TestResults(_Strict):
    """How a run's outcome is read: JUnit XML files the command writes, and/or its exit code."""

    __test__ = False  # not a pytest test class

    #: globs relative to the task directory (repo.subdir), e.g. `build/junit.xml`
    junit_paths: list[GlobPattern] = Field(default_factory=list)
    #: record the command's exit status as the test id `exit_code` (0 = passed)
    exit_code: bool = False


class TestMetric(_Strict):
    """A number the tests cannot express: a command printing JSON, the key, and two bounds.

    Higher is better: the baseline must stay below `baseline_below` (the task is not already
    solved) and the patched tree must reach `patched_at_least` (the solution solves it).
    """

    __test__ = False

    #: run in the task directory; prints a JSON object on stdout (its last line, if several)
    command: OneLineText
    #: the value's key in that object; dots walk nested objects (`scores.f1`)
    key: OneLineText
    baseline_below: float | None = Field(default=None, allow_inf_nan=False)
    patched_at_least: float | None = Field(default=None, allow_inf_nan=False)

    @model_validator(mode="wrap")
    @classmethod
    def _bound_rules(cls, data: Any, handler: Callable[[Any], Any]) -> Any:
        return _collect(data, handler, _metric_bound_errors, cls.__name__)


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _metric_bound_errors(raw: Any) -> Iterable[InitErrorDetails]:
    if not isinstance(raw, Mapping):
        return
    below, at_least = raw.get("baseline_below"), raw.get("patched_at_least")
    if below is None and at_least is None:
        yield _error(
            (),
            raw,
            "has no bound",
            "set baseline_below, patched_at_least or both (e.g. 0.75 and 0.75)",
        )
    low, high = _number(below), _number(at_least)
    if low is not None and high is not None and low > high:
        yield _error(
            ("baseline_below",),
            below,
            f"baseline_below {below} is above patched_at_least {at_least}",
            "a baseline under the bar must not also count as reaching it: "
            "make baseline_below <= patched_at_least",
        )


class TestSpec(_Strict):
    """`evaluation.tests`: what `datum test` runs, and what must hold on each side.

    FAIL_TO_PASS tests fail (or do not exist) at the baseline with the patch's test files applied
    and pass on the patched tree; PASS_TO_PASS tests pass on both (SWE-bench's definitions).
    """

    __test__ = False

    #: shell command run in the task directory, in the tree's virtual environment
    command: OneLineText | None = None
    results: TestResults = Field(default_factory=TestResults)
    fail_to_pass: list[TestId] = Field(default_factory=list)
    pass_to_pass: list[TestId] = Field(default_factory=list)
    metric: TestMetric | None = None
    #: per command (each install step, test run and metric run), in seconds
    timeout_sec: int = Field(default=DEFAULT_TEST_TIMEOUT_SEC, gt=0, le=MAX_TEST_TIMEOUT_SEC)
    #: which files of diff.patch are tests (gitignore syntax, repository paths)
    test_paths: list[GlobPattern] = Field(default_factory=lambda: list(DEFAULT_TEST_PATHS))

    @model_validator(mode="wrap")
    @classmethod
    def _set_rules(cls, data: Any, handler: Callable[[Any], Any]) -> Any:
        return _collect(data, handler, _test_spec_errors, cls.__name__)


def _test_spec_errors(raw: Any) -> Iterable[InitErrorDetails]:
    """Rules across the test lists, tolerant of entries that are themselves broken."""
    if not isinstance(raw, Mapping):
        return
    lists: dict[str, list[Any]] = {}
    for key in ("fail_to_pass", "pass_to_pass"):
        value = raw.get(key)
        lists[key] = value if isinstance(value, list) else []
    for key, ids in lists.items():
        for index, test_id in _duplicates(ids):
            yield _error(
                (key, index), test_id, f"test id {test_id!r} is listed twice", "remove the copy"
            )
    fail_ids = {v for v in lists["fail_to_pass"] if isinstance(v, str)}
    both = fail_ids & {v for v in lists["pass_to_pass"] if isinstance(v, str)}
    for index, test_id in enumerate(lists["pass_to_pass"]):
        if test_id in both:
            yield _error(
                ("pass_to_pass", index),
                test_id,
                f"test id {test_id!r} is also in fail_to_pass",
                "a test either fails at the baseline or passes there: keep it in one list",
            )
    has_ids = bool(lists["fail_to_pass"] or lists["pass_to_pass"])
    if not has_ids and raw.get("metric") is None:
        yield _error(
            (),
            raw,
            "declares nothing to verify",
            "list test ids in fail_to_pass/pass_to_pass, or add a metric",
        )
    if has_ids:
        if not raw.get("command"):
            yield _error(("command",), None, "is missing", "add the command that runs the tests")
        results = raw.get("results")
        results = results if isinstance(results, Mapping) else {}
        if not results.get("junit_paths") and not results.get("exit_code"):
            yield _error(
                ("results",),
                results,
                "reads no results",
                "set results.junit_paths to the JUnit XML the command writes, "
                "or results.exit_code: true",
            )


class DatumEvaluation(Evaluation):
    """datum.yaml's `evaluation`: the rubrics of tb_meta.json plus the optional `tests`."""

    tests: TestSpec | None = None


class Datum(TbMeta):
    """`datums/<name>/datum.yaml`: the tb_meta sections plus how to build the environment."""

    evaluation: DatumEvaluation
    environment: Environment = Field(default_factory=Environment)
    overlay_extras: list[RelativePath] = Field(default_factory=list)

    def tb_meta(self) -> TbMeta:
        """The projection runners read; field order is the seed's."""
        document = self.model_dump(
            include=set(TbMeta.model_fields), exclude={"evaluation": {"tests"}}
        )
        return TbMeta.model_validate(document)

    @property
    def name(self) -> str:
        return self.task_id.removeprefix(TASK_ID_PREFIX)


# --- turning pydantic's errors into the house format -----------------------------------------

#: hints for pydantic's built-in error types, keyed by `type`.
_BUILTIN_HINTS: Mapping[str, str] = {
    "missing": "add this field",
    "extra_forbidden": "remove it, or fix the spelling of the field name",
    "string_type": "write text here",
    "float_type": "write a number here",
    "float_parsing": "write a number here, e.g. 0.25",
    "finite_number": "write a finite number",
    "greater_than": "use a positive number",
    "list_type": "write a list here (lines starting with '- ')",
    "dict_type": "write a mapping here (key: value lines)",
    "model_type": "write a mapping here (key: value lines)",
    "model_attributes_type": "write a mapping here (key: value lines)",
    "too_short": "add at least one entry",
    "literal_error": f"use one of: {', '.join(SENSITIVITY_LEVELS)}",
}


@dataclass(frozen=True)
class FieldProblem:
    """One violation: where (dotted field path) and what (message with its fix)."""

    path: str
    message: str


def problems_from(exc: ValidationError) -> list[FieldProblem]:
    """Every error of a ValidationError, each with a hint, in document order."""
    problems = []
    for error in exc.errors(include_url=False):
        message = error["msg"]
        if error["type"] == "literal_error" and error["loc"][-1:] != ("level",):
            message = f"{message} (use one of the listed values)"
        elif error["type"] in _BUILTIN_HINTS:
            message = f"{message} ({_BUILTIN_HINTS[error['type']]})"
        problems.append(FieldProblem(format_field_path(error["loc"]), message))
    return problems


class DatumInvalid(DatumError):
    """datum.yaml (or an imported tb_meta.json) breaks one or more rules; all are listed."""

    def __init__(self, file: str, problems: Sequence[FieldProblem]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s)", file=file)

    def lines(self) -> list[str]:
        return [f"{self.file}: {p.path}: {p.message}" for p in self.problems]

    def __str__(self) -> str:
        return "\n".join(self.lines())


def validate_datum(data: Any, *, name: str, file: str) -> Datum:
    """Parse datum.yaml content of the datum in directory `name`; DatumInvalid lists all errors."""
    try:
        return Datum.model_validate(data, context={"datum_name": name})
    except ValidationError as exc:
        raise DatumInvalid(file, problems_from(exc)) from None


def validate_tb_meta(data: Any, *, file: str) -> TbMeta:
    """Parse a tb_meta.json document; raise DatumInvalid with all errors."""
    try:
        return TbMeta.model_validate(data)
    except ValidationError as exc:
        raise DatumInvalid(file, problems_from(exc)) from None


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schemas for editors: datum.yaml and tb_meta.json."""
    datum = Datum.model_json_schema()
    datum["title"] = "datum.yaml"
    tb_meta = TbMeta.model_json_schema()
    tb_meta["title"] = "tb_meta.json"
    return {"datum.yaml": datum, "tb_meta.json": tb_meta}
