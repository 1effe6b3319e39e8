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
    GetJsonSchemaHandler,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError

from datumkit.errors import DatumError
from datumkit.model.datumdir import DATUM_NAME_RE, is_datum_name
from datumkit.model.fieldpath import format_field_path

#: The documented sensitivity levels, least to most restricted (README, "Sensitivity").
SENSITIVITY_LEVELS = ("safe", "internal", "confidential", "restricted")
TASK_ID_PREFIX = "re-bench-"
DEFAULT_BASE_IMAGE = "python:3.11-slim"
WEIGHT_SUM_TOLERANCE = 1e-6

# Every pattern is used with `fullmatch`, never `match` + `$`: `$` also matches before a trailing
# newline, which would let "name\n" through into generated files.
SLUG_RE = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
SHA_RE = re.compile(r"[0-9a-f]{40}")
SCP_LIKE_RE = re.compile(r"[A-Za-z0-9._][A-Za-z0-9._-]*@[A-Za-z0-9.-]+:[^\s]+")
URL_RE = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<rest>\S+)")
IMAGE_RE = re.compile(
    r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?/)?"  # optional registry host[:port]/
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"  # name component
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"  # more path components
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"  # optional :tag
    r"(?:@sha256:[0-9a-f]{64})?"  # optional digest pin
)
ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
APT_PACKAGE_RE = re.compile(r"[a-z0-9][a-z0-9+.-]+(?:=[A-Za-z0-9.+~:-]+)?")
# git check-ref-format --branch, plus: no leading '-' (the branch becomes a git argument)
BRANCH_RE = re.compile(
    r"(?![/-])(?!.*(?:\.\.|//|@\{|\.lock\Z|/\Z|\.\Z|/\.))[^\s~^:?*\[\\\x00-\x1f\x7f]+"
)
#: characters no value may hold: C0/C1 controls, DEL, Unicode line/paragraph separators and the
#: bidirectional overrides that make a terminal or a review page show something else than the bytes
_CONTROL = "".join(
    [chr(c) for c in range(0x20)]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + ["\u2028", "\u2029", "\u200e", "\u200f"]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
)
_CONTROL_RE = re.compile(f"[{re.escape(_CONTROL)}]")
_MULTILINE_CONTROL_RE = re.compile(
    f"[{re.escape(_CONTROL.replace(chr(10), '').replace(chr(9), ''))}]"
)

# --- the same rules for JSON Schema (ECMA-262 regexes: editors and check-jsonschema) ----------
# Each pattern accepts exactly what its validator accepts; tests/test_schema_differential.py runs
# a corpus through both. Where a Python regex above is already ECMA-compatible it is reused.


def ecma(regex: re.Pattern[str]) -> str:
    """A `fullmatch` regex as an anchored ECMA-262 pattern (JSON Schema has no `\\Z`)."""
    return "^(?:" + regex.pattern.replace("\\Z", "$") + ")$"


#: at least one character that is not white space (what `_non_empty_text` demands)
NON_EMPTY_PATTERN = r"\S"
_ECMA_CONTROL = _CONTROL.encode("unicode_escape").decode("ascii")
#: one line that is not blank: no control character at all (`_one_line`, `_install_step`)
ONE_LINE_PATTERN = f"^[^{_ECMA_CONTROL}]*[^\\s{_ECMA_CONTROL}][^{_ECMA_CONTROL}]*$"
#: an environment value: one line, tabs allowed
ENV_VALUE_PATTERN = (
    "^[^" + _CONTROL.replace("\t", "").encode("unicode_escape").decode("ascii") + "]*$"
)
#: `_git_url`: scp-like ssh, an https/ssh/file URL, or a path that is not a URL of another scheme
GIT_URL_PATTERN = (
    r"^(?:[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\S+|(?:https|ssh|file)://\S+"
    r"|(?![a-z][a-z0-9+.-]*://\S)\S+)$"
)
#: `_relative_path`: "" or '/'-separated names, no leading '/', no '\\', no '.', '..' or empty part
RELATIVE_PATH_PATTERN = r"^(?!(?:.*/)?\.{1,2}(?:/|$))(?:[^/\\]+/)*[^/\\]*$"
#: `_absolute_path`: starts with '/', no '..' part
ABSOLUTE_PATH_PATTERN = r"^/(?!(?:.*/)?\.\.(?:/|$))"
#: the task_id of datums/<name>/datum.yaml: the prefix and a valid directory name
DATUM_TASK_ID_PATTERN = "^" + TASK_ID_PREFIX + "(?:" + DATUM_NAME_RE.pattern + ")$"
#: the task_id of a tb_meta.json read without its directory: the prefix, and a slug overall
TB_META_TASK_ID_PATTERN = "^" + TASK_ID_PREFIX + "(?:" + SLUG_RE.pattern + ")$"


@dataclass(frozen=True)
class JsonRules:
    """Annotated marker: adds JSON Schema keywords that restate a validator's rule for editors.

    The validator stays the authority (its message carries the fix); the keywords let an editor
    or check-jsonschema reject the same values without running datumkit.
    """

    rules: tuple[tuple[str, Any], ...]

    @classmethod
    def of(cls, **rules: Any) -> JsonRules:
        return cls(tuple(sorted(rules.items())))

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema.update(dict(self.rules))
        return schema


def _rule(message: str, hint: str) -> PydanticCustomError:
    """A custom validation error whose text already carries the fix, in the house format."""
    return PydanticCustomError(
        "datum_rule", "{message} ({hint})", {"message": message, "hint": hint}
    )


def _describe_control(char: str) -> str:
    names = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", "\x00": "a NUL byte"}
    return names.get(char, f"the control character U+{ord(char):04X}")


def _one_line(value: str) -> str:
    """No control characters at all: the value reaches a Dockerfile, a script or a terminal."""
    found = _CONTROL_RE.search(value)
    if found is not None:
        raise _rule(
            f"contains {_describe_control(found.group())} at position {found.start()}",
            "write it on one line, without control characters",
        )
    return value


def _multiline(value: str) -> str:
    """Newlines and tabs are fine (prose, YAML block scalars); other control characters not."""
    found = _MULTILINE_CONTROL_RE.search(value)
    if found is not None:
        raise _rule(
            f"contains {_describe_control(found.group())} at position {found.start()}",
            "remove it; only newlines and tabs are allowed in text",
        )
    return value


def _no_option(value: str) -> str:
    """Values that become git arguments must not look like options."""
    if value.startswith("-"):
        raise _rule(
            f"{value!r} starts with '-'", "remove the leading '-'; it would read as an option"
        )
    return value


def _non_empty_text(value: str) -> str:
    if not value.strip():
        raise _rule("is empty", "write some text here")
    return value


def _slug(value: str) -> str:
    if not SLUG_RE.fullmatch(value):
        raise _rule(
            f"{value!r} is not a slug",
            "use lowercase letters, digits and single '-' or '_' between them, e.g. 'baseline-ok'",
        )
    return value


def _sha(value: str) -> str:
    if SHA_RE.fullmatch(value):
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
    _one_line(value)
    _no_option(value)
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
    _one_line(value)
    _no_option(value)
    if "::" in value.split("/", 1)[0]:
        raise _rule(
            f"{value!r} uses git's remote helper syntax (<transport>::<address>)",
            "use https://, ssh://, file:// or a path; remote helpers can run commands",
        )
    if SCP_LIKE_RE.fullmatch(value):
        return value
    match = URL_RE.fullmatch(value)
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
    _one_line(value)
    _no_option(value)
    if not BRANCH_RE.fullmatch(value):
        raise _rule(
            f"{value!r} is not a valid branch name", "use a name `git check-ref-format` accepts"
        )
    return value


def _image(value: str) -> str:
    if not IMAGE_RE.fullmatch(value):
        raise _rule(
            f"{value!r} is not a container image reference",
            "use name[:tag][@sha256:<64 hex>], e.g. python:3.11-slim",
        )
    return value


#: characters of directory names that reach a Dockerfile WORKDIR and a shell `cd` as they are:
#: the POSIX portable file name set, so no `$`, quote, space or backtick is ever interpreted
PORTABLE_PATH_RE = re.compile(r"[A-Za-z0-9._/+@-]*")


def _portable(value: str) -> str:
    if not PORTABLE_PATH_RE.fullmatch(value):
        raise _rule(
            f"{value!r} has characters a Dockerfile or shell would interpret",
            "use letters, digits and . _ - + @ / only",
        )
    return value


def _absolute_path(value: str) -> str:
    _one_line(value)
    if not value.startswith("/") or ".." in value.split("/") or "\\" in value:
        raise _rule(f"{value!r} is not an absolute path", "use an absolute path such as /app")
    return _portable(value)


def _apt_package(value: str) -> str:
    if not APT_PACKAGE_RE.fullmatch(value):
        raise _rule(
            f"{value!r} is not a Debian package name", "use e.g. build-essential or curl=7.88*"
        )
    return value


def _env_name(value: str) -> str:
    if not ENV_NAME_RE.fullmatch(value):
        raise _rule(f"{value!r} is not an environment variable name", "use letters, digits and _")
    return value


def _env_value(value: str) -> str:
    """An environment value is one line: ENV and `export` lines cannot carry a newline."""
    found = _MULTILINE_CONTROL_RE.search(value) or re.search("[\n\u2028\u2029]", value)
    if found is not None:
        raise _rule(
            f"contains {_describe_control(found.group())} at position {found.start()}",
            "environment values are one line without control characters",
        )
    return value


def _install_step(value: str) -> str:
    """One install step is one shell command line of one RUN instruction.

    A newline would end the Dockerfile instruction and start another (an injected FROM
    replaces the pinned base image), so steps are single lines; write several steps instead.
    """
    found = _CONTROL_RE.search(value.replace("\t", " "))
    if found is not None:
        raise _rule(
            f"contains {_describe_control(found.group())} at position {found.start()}",
            "write one command per install item, on one line (split multi-line scripts into items)",
        )
    return value


#: prose: newlines allowed (summary, instructions, criteria)
NonEmptyText = Annotated[
    str,
    AfterValidator(_non_empty_text),
    AfterValidator(_multiline),
    JsonRules.of(minLength=1, pattern=NON_EMPTY_PATTERN),
]
#: one line of text (titles, tags), shown on terminals and in review comments
OneLineText = Annotated[
    str,
    AfterValidator(_non_empty_text),
    AfterValidator(_one_line),
    JsonRules.of(minLength=1, pattern=ONE_LINE_PATTERN),
]
InstallStep = Annotated[
    str,
    AfterValidator(_non_empty_text),
    AfterValidator(_install_step),
    JsonRules.of(minLength=1, pattern=ONE_LINE_PATTERN),
]
EnvValue = Annotated[str, AfterValidator(_env_value), JsonRules.of(pattern=ENV_VALUE_PATTERN)]
Slug = Annotated[str, AfterValidator(_slug), JsonRules.of(pattern=ecma(SLUG_RE))]
CommitSha = Annotated[
    str, AfterValidator(_sha), JsonRules.of(pattern=ecma(SHA_RE), minLength=40, maxLength=40)
]
RelativePath = Annotated[
    str, AfterValidator(_relative_path), JsonRules.of(pattern=RELATIVE_PATH_PATTERN)
]
#: the task directory inside the repository: a relative path that is also portable
Subdir = Annotated[
    str,
    AfterValidator(_relative_path),
    AfterValidator(_portable),
    JsonRules.of(pattern=RELATIVE_PATH_PATTERN),
]
GitUrl = Annotated[str, AfterValidator(_git_url), JsonRules.of(pattern=GIT_URL_PATTERN)]
BranchName = Annotated[str, AfterValidator(_branch), JsonRules.of(pattern=ecma(BRANCH_RE))]
ImageRef = Annotated[str, AfterValidator(_image), JsonRules.of(pattern=ecma(IMAGE_RE))]
AbsolutePath = Annotated[
    str, AfterValidator(_absolute_path), JsonRules.of(pattern=ABSOLUTE_PATH_PATTERN)
]
AptPackage = Annotated[
    str, AfterValidator(_apt_package), JsonRules.of(pattern=ecma(APT_PACKAGE_RE))
]
EnvName = Annotated[str, AfterValidator(_env_name), JsonRules.of(pattern=ecma(ENV_NAME_RE))]


class _Strict(BaseModel):
    """Unknown keys are errors: a typo like `weigth` must not pass silently.

    Strict types: `weight: "0.6"` is text, not a number, in YAML and in the JSON Schema editors
    use, so the tool refuses it too instead of converting it (an int is still a number).
    """

    # defer_build: a model's validator is built when first used, not at import: a process that
    # validates one datum builds the Datum model's, not one per model class (pre-commit start-up)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


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

    title: OneLineText
    summary: NonEmptyText
    tags: Annotated[list[OneLineText], JsonRules.of(uniqueItems=True)] = Field(default_factory=list)

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
    subdir: Subdir = ""
    sparse_checkout: list[RelativePath] = Field(default_factory=list)


class Sensitivity(_Strict):
    level: Literal["safe", "internal", "confidential", "restricted"]


class Lm(_Strict):
    instructions: NonEmptyText


class Rubric(_Strict):
    id: Slug
    criterion: NonEmptyText
    # strict: `true` or "0.5" are not weights (a bool slipped past the sum rule and crashed
    # generation); integers are still accepted as numbers. le=1: weights are > 0 and sum to 1,
    # so each is at most 1 (a bound JSON Schema can state)
    weight: float = Field(gt=0, le=1, allow_inf_nan=False, strict=True)
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
    elif not (task_id.startswith(TASK_ID_PREFIX) and is_datum_name(task_id)):
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
    install: list[InstallStep] = Field(default_factory=list)
    env: Annotated[dict[EnvName, EnvValue], JsonRules.of(additionalProperties=False)] = Field(
        default_factory=dict
    )
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


def _test_id(value: str) -> str:
    """Test ids are printed in tables and receipts: one line, no control characters."""
    if not value.strip():
        raise _rule("is empty", "write the test id, e.g. tests/test_x.py::test_name")
    if _CONTROL_RE.search(value):
        raise _rule(
            "contains a newline or control character", "write the test id on one line, as is"
        )
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
        document = self.tb_meta_document(mode="python")
        return TbMeta.model_validate(document, context={"datum_name": self.name})

    def tb_meta_document(self, mode: Literal["json", "python"] = "json") -> dict[str, Any]:
        """:meth:`tb_meta` dumped, without validating it again as a :class:`TbMeta`.

        Rendering tb_meta.json for every datum of `check --all` needs only the document, and
        validating the projection again was most of that rendering (~60 us); a datum is already
        valid, its validators return their input and the nested models are the same classes,
        so its own dump of the fields is the same document (``tests/test_jsontext.py``).
        """
        return self.model_dump(
            mode=mode, include=set(TbMeta.model_fields), exclude={"evaluation": {"tests"}}
        )

    @property
    def name(self) -> str:
        return self.task_id.removeprefix(TASK_ID_PREFIX)


# --- turning pydantic's errors into the house format -----------------------------------------

#: hints for pydantic's built-in error types, keyed by `type`.
_BUILTIN_HINTS: Mapping[str, str] = {
    "missing": "add this field",
    "extra_forbidden": "remove it, or fix the spelling of the field name",
    "string_type": "write text here",
    "float_type": "write a number here, without quotes (e.g. 0.25)",
    "float_parsing": "write a number here, e.g. 0.25",
    "finite_number": "write a finite number",
    "greater_than": "use a positive number",
    "less_than_equal": "weights sum to 1, so none is above 1",
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


#: What JSON Schema cannot say, so only `datum check` enforces it (README, "datum schema").
SCHEMA_GAPS = (
    "rubric weights sum to 1",
    "rubric ids are unique (uniqueItems compares whole rubrics)",
    "task_id is re-bench-<the datum's directory name>",
    "weight is not NaN (JSON has no NaN; validators fed YAML compare it as neither < nor >)",
)

_JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schemas for editors and check-jsonschema: datum.yaml and tb_meta.json.

    Every rule JSON Schema can express is in them (patterns, lengths, uniqueness, enums, bounds);
    the rest is listed in :data:`SCHEMA_GAPS` and in the schema's description.
    """
    datum = _document(Datum, "datum.yaml", DATUM_TASK_ID_PATTERN)
    tb_meta = _document(TbMeta, "tb_meta.json", TB_META_TASK_ID_PATTERN)
    return {"datum.yaml": datum, "tb_meta.json": tb_meta}


def _document(model: type[BaseModel], title: str, task_id_pattern: str) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema["properties"]["task_id"]["pattern"] = task_id_pattern
    gaps = "; ".join(SCHEMA_GAPS)
    return {
        "$schema": _JSON_SCHEMA_DIALECT,
        **schema,
        "title": title,
        "description": f"{title} of a datum. Checked only by `datum check`: {gaps}.",
    }
