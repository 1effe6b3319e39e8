"""`datums/<name>/verification.json`: the committed receipt of a passing `datum test`.

The receipt says what was verified (the baseline, the patch, the trees they make, the declared
tests, the environment) and what came out (each test's outcome per side, the metric's values), so
`datum check` can tell, without running anything, whether it still describes the datum. It is
deterministic: no timestamps, durations or host names (those go to the terminal and `--json`),
so re-running an unchanged datum rewrites the same bytes and a diff of it is always meaningful.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from datumkit.bounded import loads_json
from datumkit.errors import DatumError
from datumkit.model.datum import Datum

RECEIPT_FILE = "verification.json"
RECEIPT_FORMAT = 1
MAX_RECEIPT_BYTES = 4 * 1024 * 1024


def _digest(document: Any) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode("ascii")).hexdigest()


def environment_digest(datum: Datum, dockerfile: bytes) -> str:
    """What ran the tests: the generated Dockerfile, the base image, packages, install and env."""
    environment = datum.environment
    return _digest(
        {
            "dockerfile_sha256": hashlib.sha256(dockerfile).hexdigest(),
            "base_image": environment.base_image,
            "system_packages": list(environment.system_packages),
            "install": list(environment.install),
            "env": dict(environment.env),
            "workdir": environment.workdir,
            "subdir": datum.repo.subdir,
            "sparse_checkout": list(datum.repo.sparse_checkout),
        }
    )


def tests_digest(datum: Datum) -> str:
    """The declared tests: a receipt for other ids, bounds or commands proves nothing."""
    tests = datum.evaluation.tests
    return _digest(None if tests is None else tests.model_dump(mode="json"))


def patch_digest(patch: bytes) -> str:
    return hashlib.sha256(patch).hexdigest()


def render_receipt(document: dict[str, Any]) -> bytes:
    """Key order as built, 2-space indent, newline at the end: stable bytes for git."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Receipt:
    """The facts of a receipt that `datum check` compares with the datum as it is now."""

    datum: str
    baseline_sha: str
    patch_sha256: str
    baseline_tree: str
    patched_tree: str
    environment_digest: str
    tests_digest: str
    tool: str
    repeat: int
    document: dict[str, Any]


_REQUIRED_TEXT = (
    "datum",
    "baseline_sha",
    "patch_sha256",
    "environment_digest",
    "tests_digest",
    "tool",
)


def parse_receipt(data: bytes, *, display: str) -> Receipt:
    """Read a receipt; DatumError naming the file and field when it is not one."""
    fix = "run `datum test` again to rewrite it; never edit it by hand"
    if len(data) > MAX_RECEIPT_BYTES:
        raise DatumError(f"is over {MAX_RECEIPT_BYTES} bytes", file=display, hint=fix)
    try:
        document = loads_json(data.decode("utf-8"), display)  # nesting bounded: no RecursionError
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DatumError(f"is not JSON: {error}", file=display, hint=fix) from None
    if not isinstance(document, dict) or document.get("format") != RECEIPT_FORMAT:
        raise DatumError(
            f"is not a format-{RECEIPT_FORMAT} verification receipt", file=display, hint=fix
        )
    trees = document.get("trees")
    trees = trees if isinstance(trees, dict) else {}
    values: dict[str, str] = {}
    for key in _REQUIRED_TEXT:
        value = document.get(key)
        if not isinstance(value, str):
            raise DatumError("missing or not text", file=display, location=key, hint=fix)
        values[key] = value
    for key in ("baseline", "patched"):
        if not isinstance(trees.get(key), str):
            raise DatumError("missing or not text", file=display, location=f"trees.{key}", hint=fix)
    repeat = document.get("repeat")
    if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 1:
        raise DatumError("not a positive integer", file=display, location="repeat", hint=fix)
    return Receipt(
        datum=values["datum"],
        baseline_sha=values["baseline_sha"],
        patch_sha256=values["patch_sha256"],
        baseline_tree=trees["baseline"],
        patched_tree=trees["patched"],
        environment_digest=values["environment_digest"],
        tests_digest=values["tests_digest"],
        tool=values["tool"],
        repeat=repeat,
        document=document,
    )
