"""Writing SWE-bench output: a 5.0 task repository (sweb.yaml + tasks/<id>/) or JSONL rows.

Both are written beside their final place and renamed into it when complete, so an export that
fails halfway leaves no half repository and no truncated JSONL.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import LiteralScalarString

from datumkit.fsio import staged_directory, write_atomic
from datumkit.interop.swebench import (
    AS_FILE,
    CONFIG_FILE,
    DOCKERFILE,
    HINTS_FILE,
    TASK_FILE,
    TASKS_DIR,
    TESTS_FILE,
)
from datumkit.interop.swebench_export import DEFAULT_DATASET, Exported


def dump_yaml(data: dict[str, Any]) -> bytes:
    """YAML with sorted keys and multi-line text as literal blocks (as swebench writes it),
    falling back to quoted text wherever a block would not read back exactly."""
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            mapping = CommentedMap()
            for key in sorted(value):
                mapping[key] = convert(value[key])
            return mapping
        if isinstance(value, list):
            return [convert(item) for item in value]
        if isinstance(value, str) and "\n" in value:
            literal = LiteralScalarString(value)
            if _reads_back(yaml, literal, value):
                return literal
        return value

    buffer = io.StringIO()
    yaml.dump(convert(data), buffer)
    return buffer.getvalue().encode("utf-8")


def _reads_back(yaml: YAML, literal: LiteralScalarString, value: str) -> bool:
    buffer = io.StringIO()
    yaml.dump({"v": literal}, buffer)
    return bool(YAML(typ="safe", pure=False).load(buffer.getvalue())["v"] == value)


def repo_config(exports: list[Exported]) -> dict[str, Any]:
    """sweb.yaml: the repository's own when every task came from the same one; else the union
    of the datasets and splits the tasks name."""
    configs = [e.config for e in exports]
    if configs and all(c is not None and c == configs[0] for c in configs):
        return dict(configs[0] or {})
    datasets: set[str] = set()
    splits: set[str] = set()
    for exported in exports:
        named = exported.task.get("datasets")
        if isinstance(named, list):
            datasets.update(d for d in named if isinstance(d, str))
        split = exported.task.get("split")
        if isinstance(split, str) and split != "deprecated":
            splits.add(split)
    return {"datasets": sorted(datasets) or [DEFAULT_DATASET], "splits": sorted(splits) or ["test"]}


def write_task_repo(exports: list[Exported], out: Path, *, replace: bool) -> None:
    """`out` becomes a task repository holding exactly `exports`."""
    with staged_directory(out, replace=replace) as staging:
        write_atomic(staging / CONFIG_FILE, dump_yaml(repo_config(exports)))
        for exported in exports:
            task_dir = staging / TASKS_DIR / exported.instance["instance_id"]
            write_atomic(task_dir / TASK_FILE, dump_yaml(exported.task))
            tests = json.dumps(exported.tests, indent=2, ensure_ascii=False) + "\n"
            write_atomic(task_dir / TESTS_FILE, tests.encode("utf-8"))
            columns = {**exported.instance, "eval_script": exported.eval_script}
            for column, name in AS_FILE.items():
                write_atomic(task_dir / name, str(columns[column]).encode("utf-8"))
            hints = exported.instance.get("hints_text")
            if isinstance(hints, str) and hints:
                write_atomic(task_dir / HINTS_FILE, hints.encode("utf-8"))
            write_atomic(task_dir / DOCKERFILE, exported.dockerfile.encode("utf-8"))


def write_jsonl(rows: Iterable[dict[str, Any]], out: Path) -> int:
    """One instance per line, written to a temporary file beside `out` and renamed over it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    return count
