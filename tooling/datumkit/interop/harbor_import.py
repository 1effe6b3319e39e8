"""A Harbor task directory becomes a datum (README, "Harbor", the mapping back).

A task written by `datum export harbor` comes back whole: provenance and rubrics from
`[metadata]`, the patch from `solution/diff.patch`, the tests from `tests/tests.json`, the
environment from `environment/Dockerfile`. A task made elsewhere becomes a datum when its
Dockerfile checks out a baseline commit (`git checkout <sha>` after a clone or fetch of a URL)
and its solution is a patch (a `*.patch`/`*.diff` in solution/, or a `git apply` here-document
in solve.sh). What cannot be mapped (a verifier script, a docker-compose file) is listed in the
import's notes; what a datum cannot do without (instructions, a baseline, a patch) is an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from datumkit.errors import DatumError
from datumkit.interop.create import NewDatum
from datumkit.interop.harbor import SOLUTION_PATCH, TESTS_SPEC, read_task_toml
from datumkit.interop.seed import environment_from_dockerfile
from datumkit.interop.swebench import InstanceError, datum_name, render_datum_yaml
from datumkit.model.datum import TASK_ID_PREFIX, DatumInvalid, validate_datum
from datumkit.model.datumdir import DATUM_YAML, PATCH_FILE

TASK_TOML = "task.toml"
MAX_FILE_BYTES = 16 * 1024 * 1024
#: task.toml's top-level keys in schema 1.4 (harbor.models.task.config.TaskConfig)
KNOWN_KEYS = {
    "schema_version",
    "version",
    "task",
    "metadata",
    "verifier",
    "agent",
    "environment",
    "solution",
    "source",
    "multi_step_reward_strategy",
    "steps",
    "artifacts",
}
_ORG_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]*/[a-zA-Z0-9][a-zA-Z0-9._-]*")
_SHA = re.compile(r"\b[0-9a-f]{40}\b")
_CHECKOUT_SHA = re.compile(
    r"git\b[^\n]*?\b(?:checkout|reset --hard|fetch)\b[^\n]*?\b([0-9a-f]{40})\b"
)
_URL = re.compile(
    r"(?:git clone|git remote add origin|ARG REPO_URL=)\s*(?:[-\w]+\s+)*\"?([^\s\"]+)"
)
_APPLY_HEREDOC = re.compile(r"git apply[^\n]*<<-?\s*'?(\w+)'?\n(.*?\n)\1\n", re.DOTALL)
#: lines of the exported baseline Dockerfile that generation writes itself
#: commands of datumkit's own fetch RUN (they are not the datum's install steps)
_GENERATED_RUN = re.compile(
    r"^(\{ git |test \"\$\(git |git |rm -r?f \.git/|printf .*\| git |for ref in \$\(git )"
)


class TaskError(InstanceError):
    kind = "invalid task"


def task_dirs(directory: Path) -> Iterator[Path]:
    """`directory` itself when it is a task, else its subdirectories that are, sorted."""
    if (directory / TASK_TOML).is_file():
        yield directory
        return
    for child in sorted(directory.iterdir()):
        if child.is_dir() and not child.is_symlink() and (child / TASK_TOML).is_file():
            yield child


def _read(path: Path) -> bytes:
    if path.is_symlink() or not path.is_file():
        raise TaskError("missing", file=str(path), hint="a Harbor task has this file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise TaskError(f"larger than {MAX_FILE_BYTES} bytes", file=str(path))
    return path.read_bytes()


def _check_config(config: dict[str, Any], file: str) -> None:
    """The parts of Harbor's TaskConfig rules that decide whether we can read the task."""
    unknown = sorted(set(config) - KNOWN_KEYS)
    if unknown:
        raise TaskError(
            f"unknown key {unknown[0]!r} (Harbor rejects it)",
            file=file,
            hint="remove it or fix its spelling",
        )
    for section in ("task", "metadata", "verifier", "agent", "environment", "solution"):
        if section in config and not isinstance(config[section], dict):
            raise TaskError(f"[{section}] is not a table", file=file, hint="fix task.toml")
    name = config.get("task", {}).get("name")
    if name is not None and (not isinstance(name, str) or not _ORG_NAME.fullmatch(name)):
        raise TaskError(
            f"[task] name {name!r} is not org/name", file=file, hint="Harbor requires org/name"
        )
    if config.get("steps"):
        raise TaskError("multi-step tasks cannot be mapped", file=file, hint="a datum is one step")
    timeout = config.get("verifier", {}).get("timeout_sec")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)):
        raise TaskError("[verifier] timeout_sec is not a number", file=file)


def plan_task(task_dir: Path) -> NewDatum:
    """The datum a Harbor task becomes (SOURCE files only); TaskError when it cannot be one."""
    origin = str(task_dir)
    toml_file = task_dir / TASK_TOML
    try:
        config = read_task_toml(_read(toml_file), str(toml_file))
    except DatumError as error:
        raise TaskError(error.message, file=error.file, hint=error.hint) from None
    _check_config(config, str(toml_file))
    metadata = config.get("metadata", {})
    notes: list[str] = []
    instructions = _read(task_dir / "instruction.md").decode("utf-8", "replace")
    dockerfile_path = task_dir / "environment" / "Dockerfile"
    dockerfile = _read(dockerfile_path).decode("utf-8", "replace")
    git_url, baseline = _provenance(metadata, dockerfile, str(dockerfile_path))
    patch = _patch(task_dir)
    task_name = config.get("task", {}).get("name", "")
    short = task_name.split("/", 1)[1] if "/" in task_name else task_dir.name
    name = datum_name(short)
    tests_spec = task_dir / "tests" / TESTS_SPEC
    tests = _tests(tests_spec, metadata) if tests_spec.is_file() else None
    if tests is None and (task_dir / "tests" / "test.sh").is_file():
        notes.append("tests/test.sh not imported: declare the tests in evaluation.tests")
    for extra in ("environment/docker-compose.yaml", "tests/Dockerfile"):
        if (task_dir / extra).exists():
            notes.append(f"{extra} not imported: a datum's environment is one Dockerfile")
    rubrics = metadata.get("rubrics") or [
        {
            "id": "verifier-passes",
            "criterion": "The task's own verifier scores the work 1",
            "weight": 1.0,
            "evaluation_criteria": ["tests/test.sh of the Harbor task writes reward 1"],
        }
    ]
    title = metadata.get("title") or config.get("task", {}).get("description") or short
    data: dict[str, Any] = {
        "task_id": TASK_ID_PREFIX + name,
        "metadata": {
            "title": title,
            "summary": metadata.get("summary") or f"Imported from the Harbor task {short}.",
            "tags": list(config.get("task", {}).get("keywords", [])),
        },
        "repo": {
            "git_url": git_url,
            "branch": metadata.get("branch", "main"),
            "start_commit_sha": baseline,
            "subdir": metadata.get("subdir", ""),
            "sparse_checkout": metadata.get("sparse_checkout", []),
        },
        "sensitivity": {"level": metadata.get("sensitivity", "internal")},
        "lm": {"instructions": instructions},
        "evaluation": {"rubrics": rubrics, **({"tests": tests} if tests else {})},
        "environment": _environment(dockerfile),
    }
    datum_yaml = render_datum_yaml(data, f"the Harbor task {short!r}").replace(
        b"swebench.json keeps the fields a datum has no place for.", b"it generates the rest."
    )
    try:
        validate_datum(data, name=name, file=origin)
    except DatumInvalid as invalid:
        first = invalid.problems[0]
        raise TaskError(f"would be an invalid datum: {first.path}: {first.message}") from None
    return NewDatum(name, {DATUM_YAML: datum_yaml, PATCH_FILE: patch}, origin, tuple(notes))


def _provenance(metadata: dict[str, Any], dockerfile: str, file: str) -> tuple[str, str]:
    url, sha = metadata.get("git_url"), metadata.get("baseline_sha")
    if isinstance(url, str) and isinstance(sha, str):
        return url, sha
    shas = _CHECKOUT_SHA.findall(dockerfile)
    urls = _URL.findall(dockerfile)
    if not shas:
        raise TaskError(
            "checks out no baseline commit",
            file=file,
            hint="a datum starts from one commit: `git checkout <40-hex sha>` in the Dockerfile",
        )
    if not urls:
        raise TaskError("clones no repository", file=file, hint="`git clone <url>` the upstream")
    return urls[0], shas[-1]


def _patch(task_dir: Path) -> bytes:
    solution = task_dir / "solution"
    exported = solution / SOLUTION_PATCH
    if exported.is_file():
        return _read(exported)
    patches = sorted(
        p for p in solution.glob("*") if p.suffix in (".patch", ".diff") and p.is_file()
    )
    if len(patches) == 1:
        return _read(patches[0])
    solve = solution / "solve.sh"
    if solve.is_file():
        match = _APPLY_HEREDOC.search(_read(solve).decode("utf-8", "replace"))
        if match:
            return match.group(2).encode("utf-8")
    raise TaskError(
        "the solution is not a patch",
        file=str(solution),
        hint="a datum's solution is diff.patch: put the change in solution/*.patch",
    )


def _tests(path: Path, metadata: dict[str, Any]) -> dict[str, Any] | None:
    try:
        spec = json.loads(_read(path))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise TaskError(f"not valid JSON: {exc}", file=str(path)) from None
    tests = metadata.get("tests")
    return tests if isinstance(tests, dict) else spec if isinstance(spec, dict) else None


def _environment(dockerfile: str) -> dict[str, Any]:
    environment = environment_from_dockerfile(dockerfile)
    install = [c for c in environment.get("install", []) if not _GENERATED_RUN.match(c)]
    if install:
        environment["install"] = install
    else:
        environment.pop("install", None)
    return environment
