"""The `verified` check: verification.json still describes the datum as it is.

`datum test` writes the receipt when the declared tests prove the datum (FAIL_TO_PASS fail then
pass, PASS_TO_PASS pass on both sides, the metric bounds hold). This check runs nothing: it
compares the receipt with diff.patch, datum.lock, the declared tests and the environment, so a
patch edited after verification is caught on the next commit ("stale"). No receipt is a warning,
or an error when the project sets `[tool.datumkit] require_verification = true`.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from pathlib import Path

from datumkit.checks.findings import Finding, Severity
from datumkit.errors import DatumError
from datumkit.generate.dockerfile import render as render_dockerfile
from datumkit.generate.lock import parse_lock
from datumkit.model.datumdir import LOCK_FILE, PATCH_FILE, DatumSource
from datumkit.model.project import Project
from datumkit.model.receipt import (
    RECEIPT_FILE,
    Receipt,
    environment_digest,
    parse_receipt,
    patch_digest,
    tests_digest,
)

NAME = "verified"


@cache
def verification_required(root: Path) -> bool:
    """`[tool.datumkit] require_verification = true` in the project's pyproject.toml."""
    try:
        with open(root / "pyproject.toml", "rb") as handle:
            return _requires_verification(handle.read())
    except OSError:
        return False


@lru_cache(maxsize=8)
def _requires_verification(text: bytes) -> bool:
    """The setting in pyproject.toml's `text`: parsed once per process, not once per datum
    (`check --all` asks for every datum; the file is read each time, so an edit is seen)."""
    try:
        settings = tomllib.loads(text.decode("utf-8")).get("tool", {}).get("datumkit", {})
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(settings, dict) and settings.get("require_verification") is True


#: the Dockerfile is digested as rendered for this URL: where the baseline is fetched from (a
#: mirror, a moved upstream) is not the environment; the baseline SHA pins what is fetched
_URL_PLACEHOLDER = "https://example.invalid/upstream.git"


def current_environment_digest(source: DatumSource) -> str:
    datum = source.datum
    neutral = datum.model_copy(
        update={"repo": datum.repo.model_copy(update={"git_url": _URL_PLACEHOLDER})}
    )
    dockerfile = render_dockerfile(dataclasses.replace(source, datum=neutral))["Dockerfile"]
    return environment_digest(datum, dockerfile)


def staleness(source: DatumSource, receipt: Receipt) -> list[str]:
    """Why the receipt no longer describes the datum; empty when it still does."""
    datum = source.datum
    reasons: list[str] = []
    patch = source.read(PATCH_FILE) or b""
    lock = parse_lock(source.read(LOCK_FILE) or b"")
    if receipt.baseline_sha != datum.repo.start_commit_sha:
        reasons.append("the baseline (repo.start_commit_sha) changed since verification")
    if receipt.patch_sha256 != patch_digest(patch) or any(
        key in lock and lock[key] != value
        for key, value in (
            ("baseline_tree", receipt.baseline_tree),
            ("patched_tree", receipt.patched_tree),
        )
    ):
        reasons.append("diff.patch changed since verification")
    if receipt.tests_digest != tests_digest(datum):
        reasons.append("evaluation.tests changed since verification")
    if receipt.environment_digest != current_environment_digest(source):
        reasons.append(
            "the environment (Dockerfile, base image, install steps) changed since verification"
        )
    return reasons


def run(source: DatumSource, context: Project) -> Iterable[Finding]:
    yield from _findings(source, verification_required(context.root.resolve()))


def _findings(source: DatumSource, required: bool) -> Iterator[Finding]:
    display = source.display(RECEIPT_FILE)
    fix = f"run `datum test {source.name}` and commit {RECEIPT_FILE}"
    data = source.read(RECEIPT_FILE)
    if data is None:
        severity: Severity = "error" if required else "warning"
        what = "no evaluation.tests declared, and " if source.datum.evaluation.tests is None else ""
        yield Finding(
            NAME,
            source.name,
            display,
            None,
            f"not verified: {what}no receipt ({fix}"
            + ("; declare evaluation.tests in datum.yaml first)" if what else ")"),
            severity,
        )
        return
    try:
        receipt = parse_receipt(data, display=display)
    except DatumError as error:
        yield Finding.from_error(NAME, source.name, error, display)
        return
    if receipt.datum != source.name:
        # a copied datum directory: the receipt proves the original, not this one; that is
        # the same as having none
        yield Finding(
            NAME,
            source.name,
            display,
            "datum",
            f"not verified: this is the receipt of {receipt.datum!r} ({fix})",
            "error" if required else "warning",
        )
        return
    for reason in staleness(source, receipt):
        yield Finding(NAME, source.name, display, None, f"stale: {reason} ({fix})")
