"""Import a seed-style task directory (prepared or created) as a datum.

The seed guide's directories carry a hand-written tb_meta.json and, when prepared, a hand-written
Dockerfile, baseline_sha.txt and overlay_files/. Importing keeps everything people wrote: the
tb_meta.json fields become datum.yaml (same paths), the Dockerfile's base image, environment and
install steps become `environment` (best effort, marked for review), diff.patch, notes.md and
trace/ are copied, and overlay files other than the generated ones become `overlay_extras`.
The source directory is only read.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockerfile_parse import DockerfileParser
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import LiteralScalarString

from datumkit.bounded import MAX_FILE_BYTES, MAX_JSON_BYTES, loads_json, read_capped
from datumkit.errors import DatumError
from datumkit.fsio import OutsideRoot
from datumkit.generate.overlay import RESERVED
from datumkit.model.datum import TASK_ID_PREFIX, validate_datum
from datumkit.model.datumdir import DATUM_YAML, NOTES_FILE, OVERLAY_DIR, PATCH_FILE, TRACE_DIR
from datumkit.model.yamlio import RoundTripDocument

TB_META = "tb_meta.json"
OVERLAY_SOURCE_DIR = "overlay_src"
#: Dockerfile RUN commands that the generated Dockerfile does itself (fetch, apt, patch).
_SKIPPED_COMMANDS = re.compile(
    r"^(git |cd |apt-get (update|clean)|rm -rf /var/lib/apt/lists|echo |true$|:$)"
)
_APT_INSTALL = re.compile(r"^apt-get install\b")
_BASE_PACKAGES = {"git", "ca-certificates"}


@dataclass
class ImportPlan:
    """Everything an import will write, computed before anything is written."""

    name: str
    datum_data: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def datum_yaml(self) -> bytes:
        return _render_datum_yaml(self)


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object from `path`: size capped before reading, nesting depth capped."""
    _refuse_symlink(path)
    try:
        data = loads_json(read_capped(path, MAX_JSON_BYTES, what="JSON files"), str(path))
    except FileNotFoundError:
        raise DatumError(
            "missing", file=str(path), hint="a seed task directory holds tb_meta.json"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatumError(f"not valid JSON: {exc}", file=str(path), hint="fix the JSON") from None
    if not isinstance(data, dict):
        raise DatumError("must be a JSON object", file=str(path), hint="fix the JSON")
    return data


def _name_for(tb_meta: dict[str, Any], directory: Path, name: str | None) -> str:
    if name:
        return name
    task_id = tb_meta.get("task_id")
    if isinstance(task_id, str) and task_id.startswith(TASK_ID_PREFIX):
        return task_id.removeprefix(TASK_ID_PREFIX)
    return directory.resolve().name.removeprefix(TASK_ID_PREFIX)


def _baseline_candidates(directory: Path) -> Iterator[tuple[str, str]]:
    """(where, sha) pairs from baseline_sha.txt and repo_info.json, when present."""
    baseline_file = directory / "baseline_sha.txt"
    if baseline_file.is_file():
        _refuse_symlink(baseline_file)
        text = read_capped(baseline_file, 4096).decode("utf-8", "replace")
        yield str(baseline_file), text.strip()
    repo_info = directory / "repo_info.json"
    if repo_info.is_file():
        info = _read_json(repo_info)
        for key in ("baseline_sha", "start_commit_sha", "base_commit"):
            if isinstance(info.get(key), str):
                yield f"{repo_info}: {key}", info[key].strip()


def _reconcile_baseline(data: dict[str, Any], directory: Path, plan_notes: list[str]) -> None:
    """Fill a missing start_commit_sha from the other files; refuse when they disagree."""
    repo = data.setdefault("repo", {})
    if not isinstance(repo, dict):
        return
    for where, sha in _baseline_candidates(directory):
        current = repo.get("start_commit_sha")
        if not current:
            repo["start_commit_sha"] = sha
            plan_notes.append(f"repo.start_commit_sha taken from {where}")
        elif current != sha:
            raise DatumError(
                f"says {sha} but tb_meta.json repo.start_commit_sha says {current}",
                file=where,
                hint="make them agree before importing: which commit is the baseline?",
            )


def environment_from_dockerfile(text: str) -> dict[str, Any]:
    """Best-effort `environment` from a hand-written seed Dockerfile.

    The base image, ENV lines, the first WORKDIR, extra apt packages and the remaining RUN
    commands (installs) carry over; cloning, checkout and patching are what the generated
    Dockerfile does itself, so those are dropped.
    """
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")))
    environment: dict[str, Any] = {}
    packages: list[str] = []
    install: list[str] = []
    for instruction in parser.structure:
        kind, value = instruction["instruction"], instruction["value"]
        if kind == "FROM" and "base_image" not in environment:
            environment["base_image"] = value.split()[0]
        elif kind == "WORKDIR" and "workdir" not in environment and value.startswith("/"):
            environment["workdir"] = value
        elif kind == "RUN":
            for command in (c.strip() for c in re.split(r"\s*&&\s*", value)):
                if _APT_INSTALL.match(command):
                    packages += [w for w in command.split()[2:] if not w.startswith("-")]
                elif command and not _SKIPPED_COMMANDS.match(command):
                    install.append(command)
    env = parser.envs
    if packages:
        environment["system_packages"] = sorted(set(packages) - _BASE_PACKAGES)
    if install:
        environment["install"] = install
    if env:
        environment["env"] = dict(env)
    return environment


def _refuse_symlink(path: Path) -> None:
    """Sources are read without following links: a link could point at any file of the host."""
    if path.is_symlink():
        raise OutsideRoot(
            "is a symlink",
            file=str(path),
            hint="datumkit does not follow links out of the source directory; "
            "replace the link with a copy of the file",
        )


def _copy_tree(directory: Path, relative: str) -> Iterator[tuple[str, bytes]]:
    """Regular files under `directory/relative`, each size-capped; any symlink is refused."""
    base = directory / relative
    _refuse_symlink(base)
    if base.is_file():
        yield relative, read_capped(base, MAX_FILE_BYTES)
    elif base.is_dir():
        for path in sorted(base.rglob("*")):
            _refuse_symlink(path)
            if path.is_file():
                yield path.relative_to(directory).as_posix(), read_capped(path, MAX_FILE_BYTES)


def plan_import(directory: Path, *, name: str | None = None) -> ImportPlan:
    """Read a seed task directory and work out the datum it becomes; write nothing."""
    if not directory.is_dir():
        raise DatumError("not a directory", file=str(directory), hint="give a seed task directory")
    data = _read_json(directory / TB_META)
    plan = ImportPlan(name=_name_for(data, directory, name), datum_data=data)
    task_id = TASK_ID_PREFIX + plan.name
    if data.get("task_id") != task_id:
        plan.notes.append(f"task_id {data.get('task_id')!r} became {task_id!r} (the datum's name)")
        data["task_id"] = task_id
    _reconcile_baseline(data, directory, plan.notes)

    dockerfile = directory / "Dockerfile"
    _refuse_symlink(dockerfile)
    if dockerfile.is_file():
        text = read_capped(dockerfile, MAX_FILE_BYTES).decode("utf-8", "replace")
        data["environment"] = environment_from_dockerfile(text)
        plan.notes.append("environment derived from Dockerfile: review it in datum.yaml")

    for relative in (PATCH_FILE, NOTES_FILE, TRACE_DIR):
        plan.files.update(_copy_tree(directory, relative))
    if PATCH_FILE not in plan.files:
        plan.notes.append(f"no {PATCH_FILE} in {directory}: add one before `datum check` passes")

    extras = []
    for relative, content in _copy_tree(directory, OVERLAY_DIR):
        file_name = relative.split("/", 1)[1]
        if file_name in RESERVED:
            plan.notes.append(f"{relative} is generated from datum.yaml from now on")
            continue
        target = f"{OVERLAY_SOURCE_DIR}/{file_name}"
        plan.files[target] = content
        extras.append(target)
    if extras:
        data["overlay_extras"] = extras
    for skipped in ("codex-files",):
        if (directory / skipped).exists():
            plan.notes.append(f"{skipped}/ not imported: binaries do not belong in a datum")
    return plan


def validate_plan(plan: ImportPlan, source_file: str) -> None:
    """Raise DatumInvalid naming the imported file when the result would not be a valid datum."""
    validate_datum(plan.datum_data, name=plan.name, file=source_file)


def _render_datum_yaml(plan: ImportPlan) -> bytes:
    """datum.yaml with a header comment and block-style instructions, as a person would write."""
    document = _to_commented(plan.datum_data)
    instructions = document.get("lm", {}).get("instructions")
    if isinstance(instructions, str) and "\n" in instructions.strip():
        document["lm"]["instructions"] = LiteralScalarString(instructions.rstrip("\n") + "\n")
    document.yaml_set_start_comment(
        f"datum.yaml of datum {plan.name!r}, imported from a seed task directory by `datum"
        f" import`.\nThis is now the file to edit; {DATUM_YAML} generates tb_meta.json,"
        " Dockerfile and overlay_files/."
    )
    if "environment" in document:
        document.yaml_set_comment_before_after_key(
            "environment", before="Derived from the hand-written Dockerfile: check it."
        )
    return RoundTripDocument(document, 2, 4, 2).dump()


def _to_commented(value: Any) -> Any:
    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = _to_commented(item)
        return mapping
    if isinstance(value, list):
        return [_to_commented(item) for item in value]
    return value
