"""A datum as a SWE-bench instance: the inverse of :func:`datumkit.interop.swebench.plan_instance`.

`patch` and `test_patch` are cut from diff.patch by `evaluation.tests.test_paths`; the test lists
come back the way they came (JSON strings in rows, lists in a task repository); everything kept
in swebench.json comes back verbatim, in the original column order. A datum made here (no
swebench.json) gets documented defaults (README, "SWE-bench, field by field").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from datumkit.errors import DatumError
from datumkit.generate.quoting import sh_quote
from datumkit.git.errors import PatchError
from datumkit.interop.baseline_image import render_baseline_dockerfile
from datumkit.interop.patchsections import paths_of
from datumkit.interop.swebench import (
    AS_FILE,
    CLASSIC_FIELDS,
    SIDECAR,
    TEST_LISTS,
    repo_from_url,
)
from datumkit.model.datum import Datum
from datumkit.model.datumdir import PATCH_FILE, DatumSource
from datumkit.model.testsplit import split_patch


@dataclass(frozen=True)
class Exported:
    """One datum as a SWE-bench instance, plus what a task repository needs besides."""

    instance: dict[str, Any]
    task: dict[str, Any]  # task.yaml
    tests: dict[str, list[str]]  # tests.json
    eval_script: str
    dockerfile: str
    config: dict[str, Any] | None  # sweb.yaml of the repository it came from


def load_sidecar(raw: bytes | None, file: str) -> dict[str, Any]:
    if raw is None:
        return {}
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise DatumError(f"not valid JSON: {exc}", file=file, hint="fix the JSON") from None
    if not isinstance(data, dict):
        raise DatumError("must be a JSON object", file=file, hint="fix the JSON")
    return data


def export_instance(
    datum: Datum, patch: bytes, sidecar: Mapping[str, Any], *, dockerfile: str, file: str
) -> Exported:
    """The SWE-bench instance of a datum: the inverse of :func:`plan_instance`."""
    tests = datum.evaluation.tests if hasattr(datum.evaluation, "tests") else None
    if tests is None or not tests.fail_to_pass:
        raise DatumError(
            "declares no FAIL_TO_PASS tests",
            file=file,
            location="evaluation.tests.fail_to_pass",
            hint="SWE-bench grades by tests: declare them before exporting",
        )
    test_paths = list(tests.test_paths)
    gold, test_patch = _cut(patch, test_paths, file)
    encoding = sidecar.get("tests_encoding", "json-string")
    f2p, p2p = list(tests.fail_to_pass), list(tests.pass_to_pass)
    instance_id = sidecar.get("instance_id") or datum.name
    repo = sidecar.get("repo") or repo_from_url(datum.repo.git_url)
    values: dict[str, Any] = {
        "repo": repo,
        "instance_id": instance_id,
        "base_commit": datum.repo.start_commit_sha,
        "patch": gold.decode("utf-8"),
        "test_patch": test_patch.decode("utf-8"),
        "problem_statement": datum.lm.instructions,
        "FAIL_TO_PASS": json.dumps(f2p) if encoding == "json-string" else f2p,
        "PASS_TO_PASS": json.dumps(p2p) if encoding == "json-string" else p2p,
    }
    kept = sidecar.get("fields")
    if isinstance(kept, dict):
        values.update(kept)
    else:  # a datum made here: the classic columns, empty where we know nothing
        values.update(
            hints_text="",
            created_at="",
            version="",
            environment_setup_commit=datum.repo.start_commit_sha,
        )
    extra = sidecar.get("extra")
    if isinstance(extra, dict):
        values.update({k: v for k, v in extra.items() if k not in values})
    order = sidecar.get("field_order")
    keys = [k for k in order if k in values] if isinstance(order, list) else list(CLASSIC_FIELDS)
    instance = {key: values[key] for key in [*keys, *(k for k in values if k not in keys)]}

    origin = sidecar.get("task_repo") if isinstance(sidecar.get("task_repo"), dict) else None
    task = _task_yaml(instance, origin is not None)
    script = (origin or {}).get("eval_script") or _eval_script(
        datum, tests.command or "", test_patch
    )
    if origin is not None:
        instance["eval_script"] = script
    image_file = (origin or {}).get("dockerfile") or dockerfile
    config = (origin or {}).get("config")
    return Exported(
        instance=instance,
        task=task,
        tests={"FAIL_TO_PASS": f2p, "PASS_TO_PASS": p2p},
        eval_script=script,
        dockerfile=image_file,
        config=config if isinstance(config, dict) else None,
    )


def _cut(patch: bytes, test_paths: list[str], file: str) -> tuple[bytes, bytes]:
    try:
        halves = split_patch(patch, test_paths)
        gold, tests = halves.rest, halves.tests
    except PatchError as error:
        raise DatumError(error.message, file=file, hint="fix diff.patch") from None
    if not tests:
        raise DatumError(
            "no file of diff.patch matches evaluation.tests.test_paths",
            file=file,
            hint="SWE-bench needs a test_patch: list the test files in test_paths",
        )
    if not gold:
        raise DatumError("diff.patch changes only test files", file=file, hint="nothing to fix")
    return gold, tests


def _task_yaml(instance: Mapping[str, Any], from_repo: bool) -> dict[str, Any]:
    """task.yaml: everything but the columns kept as files and the tests (swebench.task.repo)."""
    skipped = {*AS_FILE, "hints_text", *TEST_LISTS}
    task = {key: value for key, value in instance.items() if key not in skipped}
    if not from_repo:
        task.setdefault("split", "test")
        task.setdefault("datasets", [DEFAULT_DATASET])
        task.setdefault("image", expected_image(instance["instance_id"]))
        task.setdefault("log_parser", "parse_log_pytest")
        task.setdefault("eval_type", "pass_and_fail")
    return task


DEFAULT_DATASET = "datumkit/datums"
EVAL_MARKERS = (">>>>> Start Test Output", ">>>>> End Test Output")


def expected_image(instance_id: str, namespace: str = "swebench") -> str:
    """The image name SWE-bench's harness derives for an instance (its naming convention)."""
    key = f"sweb.eval.x86_64.{instance_id}:latest".lower()
    return f"{namespace}/{key}".replace("__", "_1776_")


def _eval_script(datum: Datum, command: str, test_patch: bytes) -> str:
    """eval.sh for a datum made here: reset the test files, apply test.patch, run, mark output."""
    workdir = datum.environment.workdir
    task_dir = f"{workdir.rstrip('/')}/{datum.repo.subdir}" if datum.repo.subdir else workdir
    files = " ".join(sh_quote(p) for p in paths_of(test_patch))
    sha = datum.repo.start_commit_sha
    text = test_patch.decode("utf-8")
    delimiter = "EOF_DATUMKIT"
    while delimiter in text:
        delimiter += "_"
    return "\n".join(
        [
            "#!/bin/bash",
            "set -uxo pipefail",
            f"cd {sh_quote(workdir)}",
            f"git checkout {sha} -- {files} 2>/dev/null || true",
            f"git apply -v - <<'{delimiter}'",
            text.rstrip("\n"),
            delimiter,
            f"cd {sh_quote(task_dir)}",
            f": '{EVAL_MARKERS[0]}'",
            command,
            f": '{EVAL_MARKERS[1]}'",
            f"cd {sh_quote(workdir)}",
            f"git checkout {sha} -- {files} 2>/dev/null || true",
            "",
        ]
    )


def export_source(source: DatumSource) -> Exported:
    patch = source.read(PATCH_FILE)
    if patch is None:
        raise DatumError("missing", file=source.display(PATCH_FILE), hint="add the patch")
    sidecar = load_sidecar(source.read(SIDECAR), source.display(SIDECAR))
    dockerfile = render_baseline_dockerfile(
        source,
        comment=f"The baseline environment of datum {source.name}, written by `datum export`.",
    )
    return export_instance(
        source.datum, patch, sidecar, dockerfile=dockerfile, file=source.display(PATCH_FILE)
    )
