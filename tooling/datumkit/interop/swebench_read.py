"""Reading SWE-bench instances: JSONL (streamed), JSON, 5.0 task repositories, task directories.

A 5.0 task repository is `sweb.yaml` + `tasks/<instance_id>/` with task.yaml, tests.json,
problem_statement.md, hints.md (optional), gold.patch, test.patch, eval.sh and Dockerfile
(swebench.task.repo); a task directory's files are read as its own loader reads them (CRLF kept),
and must be regular files under a size cap. A broken instance is yielded as an InstanceError so
an import skips it and goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from datumkit.errors import DatumError
from datumkit.interop.swebench import (
    AS_FILE,
    CONFIG_FILE,
    DOCKERFILE,
    HINTS_FILE,
    TASK_FILE,
    TASKS_DIR,
    TESTS_FILE,
    Instance,
    InstanceError,
)

MAX_LINE_BYTES = 64 * 1024 * 1024  # one JSONL row; SWE-bench's largest rows are ~2 MiB


def read_instances(path: Path) -> Iterator[Instance | InstanceError]:
    """Every instance under `path`, one at a time (a JSONL file is streamed, never loaded whole).

    `path` is a 5.0 task repository (sweb.yaml + tasks/), one task directory (task.yaml), a
    `.jsonl` file (one instance per line) or a `.json` file (a list of instances, or one).
    A broken instance is yielded as an InstanceError so the caller can skip it and go on.
    """
    if path.is_dir():
        if (path / TASK_FILE).is_file():
            yield _from_task_dir(path, None)
            return
        if (path / TASKS_DIR).is_dir():
            yield from _from_task_repo(path)
            return
        raise DatumError(
            f"has neither {TASK_FILE} nor {TASKS_DIR}/",
            file=str(path),
            hint="give a SWE-bench task repository, a task directory or a .jsonl/.json file",
        )
    if not path.is_file():
        raise DatumError("does not exist", file=str(path), hint="check the path")
    if path.suffix == ".jsonl":
        yield from _from_jsonl(path)
    else:
        yield from _from_json(path)


def _from_jsonl(path: Path) -> Iterator[Instance | InstanceError]:
    with path.open("rb") as handle:
        number = 0
        while True:
            line = handle.readline(MAX_LINE_BYTES + 1)
            if not line:
                return
            number += 1
            origin = f"{path}:{number}"
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                yield InstanceError(
                    f"line longer than {MAX_LINE_BYTES} bytes", file=origin, hint="split it"
                )
                while line and not line.endswith(b"\n"):  # skip the rest of the line
                    line = handle.readline(MAX_LINE_BYTES)
                continue
            if not line.strip():
                continue
            yield _parse_row(line, origin)


def _parse_row(line: bytes, origin: str) -> Instance | InstanceError:
    try:
        row = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        return InstanceError(f"not valid JSON: {exc}", file=origin, hint="fix the row")
    if not isinstance(row, dict):
        return InstanceError("is not a JSON object", file=origin, hint="one instance per line")
    return Instance(row, origin)


def _from_json(path: Path) -> Iterator[Instance | InstanceError]:
    try:
        data = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise DatumError(f"not valid JSON: {exc}", file=str(path), hint="fix the JSON") from None
    rows = data if isinstance(data, list) else [data]
    for index, row in enumerate(rows):
        origin = f"{path}[{index}]"
        if isinstance(row, dict):
            yield Instance(row, origin)
        else:
            yield InstanceError("is not a JSON object", file=origin, hint="a list of instances")


def _safe_yaml(text: str, file: str) -> Any:
    try:
        return YAML(typ="safe", pure=False).load(text)
    except YAMLError as exc:
        raise InstanceError(f"not valid YAML: {str(exc).splitlines()[0]}", file=file) from None
    except RecursionError:
        raise InstanceError("nested too deeply", file=file, hint="flatten it") from None


MAX_FILE_BYTES = 64 * 1024 * 1024  # one file of a task directory


def _read_text(path: Path) -> str:
    """A task directory's file: a regular file (never a symlink out of it), size-capped."""
    if path.is_symlink():
        raise InstanceError("is a symlink", file=str(path), hint="a task's files are regular files")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InstanceError(f"larger than {MAX_FILE_BYTES} bytes", file=str(path))
    # newline="" keeps CRLF inside a patch verbatim, as swebench's own loader does
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


def _from_task_repo(root: Path) -> Iterator[Instance | InstanceError]:
    config_path = root / CONFIG_FILE
    config: dict[str, Any] = {}
    if config_path.is_file():
        loaded = _safe_yaml(_read_text(config_path), str(config_path))
        config = loaded if isinstance(loaded, dict) else {}
    for task_dir in sorted((root / TASKS_DIR).iterdir()):
        if task_dir.is_dir() and not task_dir.is_symlink() and (task_dir / TASK_FILE).is_file():
            yield _from_task_dir(task_dir, config)


def _from_task_dir(task_dir: Path, config: dict[str, Any] | None) -> Instance | InstanceError:
    origin = f"{task_dir}"
    try:
        meta = _safe_yaml(_read_text(task_dir / TASK_FILE), f"{task_dir / TASK_FILE}")
        if not isinstance(meta, dict):
            raise InstanceError("is not a mapping", file=str(task_dir / TASK_FILE))
        fields = dict(meta)
        for column, name in AS_FILE.items():
            file = task_dir / name
            if file.is_symlink() or not file.is_file():
                raise InstanceError("missing", file=str(file), hint=f"a task directory has {name}")
            fields[column] = _read_text(file)
        hints = task_dir / HINTS_FILE
        fields["hints_text"] = _read_text(hints) if hints.is_file() else ""
        tests = json.loads(_read_text(task_dir / TESTS_FILE))
        if not isinstance(tests, dict):
            raise InstanceError("is not a JSON object", file=str(task_dir / TESTS_FILE))
        fields.update(tests)
        dockerfile = task_dir / DOCKERFILE
        if dockerfile.is_file() and not dockerfile.is_symlink():
            fields["__dockerfile__"] = _read_text(dockerfile)
    except InstanceError as error:
        return error
    except FileNotFoundError as exc:
        return InstanceError("missing", file=str(exc.filename), hint="add it")
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        return InstanceError(f"not valid: {exc}", file=origin, hint="fix the file")
    fields["__task_dir_files__"] = sorted(
        p.name for p in task_dir.iterdir() if p.name in ("test_assets", "problem_assets")
    )
    return Instance(fields, origin, config if config is not None else {})
