"""The receipt a passing `datum test` writes: verification.json, deterministic bytes.

Per test id the outcome on each side (a passing verdict means all K runs agreed), the metric's
values, K, the tree ids, the digests of the environment and of the declared tests, and the tool
version; no timestamps or durations (model/receipt.py says why).
"""

from __future__ import annotations

from typing import Any

from datumkit import __version__
from datumkit.checks.verified import current_environment_digest
from datumkit.fsio import write_atomic
from datumkit.model.datumdir import PATCH_FILE, DatumSource
from datumkit.model.project import Project
from datumkit.model.receipt import (
    RECEIPT_FILE,
    RECEIPT_FORMAT,
    patch_digest,
    render_receipt,
    tests_digest,
)
from datumkit.testing.run import DatumTestReport
from datumkit.testing.verdict import summarize


def receipt_document(source: DatumSource, report: DatumTestReport) -> dict[str, Any]:
    assert report.trees is not None and report.verdict.ok, "only a passing run has a receipt"
    datum = source.datum
    trees = report.trees
    metric = report.verdict.metric
    return {
        "format": RECEIPT_FORMAT,
        "tool": f"datumkit {__version__}",
        "datum": source.name,
        "baseline_sha": datum.repo.start_commit_sha,
        "patch_sha256": patch_digest(source.read(PATCH_FILE) or b""),
        "trees": {
            "baseline": trees.baseline_tree,
            "baseline_with_tests": trees.baseline_with_tests_tree,
            "patched": trees.patched_tree,
        },
        "test_files": list(trees.test_files),
        "runner": report.runner,
        "environment_digest": current_environment_digest(source),
        "tests_digest": tests_digest(datum),
        "repeat": report.repeat,
        "tests": [
            {
                "id": row.test_id,
                "expected": row.expected,
                "baseline": summarize(row.baseline),
                "patched": summarize(row.patched),
            }
            for row in report.verdict.rows
        ],
        "metric": None if metric is None else metric.facts(),
    }


def write_receipt(project: Project, report: DatumTestReport) -> bool:
    """Write datums/<name>/verification.json; False when its bytes were already there."""
    source = project.load(report.name)
    content = render_receipt(receipt_document(source, report))
    return write_atomic(project.directory(report.name) / RECEIPT_FILE, content)
