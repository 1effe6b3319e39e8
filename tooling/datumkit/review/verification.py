"""The receipt's status in a review: verified, stale (and why), or none; and whether it changed.

A reviewer should see at a glance whether the datum they approve is still proven by its
verification.json, and whether this change re-verified it. Read from git objects like the rest
of the review; nothing is run.
"""

from __future__ import annotations

import json
from typing import Any

from datumkit.checks.verified import staleness
from datumkit.errors import DatumError
from datumkit.git.errors import one_line
from datumkit.model.datumdir import DatumSource
from datumkit.model.receipt import RECEIPT_FILE, parse_receipt


def verification_notes(head: DatumSource, base_receipt: bytes | None) -> list[str]:
    """Notes for the review: a receipt that is missing (tests declared), unreadable or stale at
    HEAD, and any receipt this change added, rewrote or removed, with its status. An unchanged,
    still valid receipt needs no note."""
    data = head.read(RECEIPT_FILE)
    if data is None:
        if base_receipt is not None:
            return [f"verification: {RECEIPT_FILE} removed in this change"]
        if head.datum.evaluation.tests is not None:
            return ["verification: none (run `datum test` to verify the datum)"]
        return []
    try:
        receipt = parse_receipt(data, display=head.display(RECEIPT_FILE))
    except DatumError as error:
        return [f"verification: unreadable: {error.detail}"]
    reasons = staleness(head, receipt) if receipt.datum == head.name else ["another datum's"]
    if reasons:
        status = f"stale: {'; '.join(reasons)}"
    else:
        runs = f"{receipt.repeat} run{'s' if receipt.repeat != 1 else ''} per side"
        tests = receipt.document.get("tests")
        count = len(tests) if isinstance(tests, list) else 0
        status = f"verified ({count} test(s), {runs}, {receipt.tool})"
    if base_receipt is None:
        return [f"verification: {RECEIPT_FILE} added in this change: {status}"]
    if base_receipt != data:
        notes = [f"verification: {RECEIPT_FILE} rewritten in this change: {status}"]
        return notes + [f"verification: {change}" for change in receipt_changes(base_receipt, data)]
    return [] if not reasons else [f"verification: {status}"]


def _tests(document: Any) -> dict[str, tuple[str, str]]:
    tests = document.get("tests") if isinstance(document, dict) else None
    found: dict[str, tuple[str, str]] = {}
    for entry in tests if isinstance(tests, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            found[entry["id"]] = (str(entry.get("baseline")), str(entry.get("patched")))
    return found


def _metric(document: Any) -> tuple[str, Any, Any] | None:
    metric = document.get("metric") if isinstance(document, dict) else None
    if not isinstance(metric, dict):
        return None
    return (str(metric.get("key")), metric.get("baseline"), metric.get("patched"))


def receipt_changes(old: bytes, new: bytes) -> list[str]:
    """What a rewritten receipt says differently: tests added, removed or changed; the metric."""
    try:
        before, after = json.loads(old), json.loads(new)
    except (ValueError, RecursionError):
        return []
    changes: list[str] = []
    old_tests, new_tests = _tests(before), _tests(after)
    for test_id in sorted(new_tests.keys() - old_tests.keys()):
        changes.append(f"test added: {one_line(test_id)} {'/'.join(new_tests[test_id])}")
    for test_id in sorted(old_tests.keys() - new_tests.keys()):
        changes.append(f"test removed: {one_line(test_id)}")
    for test_id in sorted(old_tests.keys() & new_tests.keys()):
        if old_tests[test_id] != new_tests[test_id]:
            was, now = "/".join(old_tests[test_id]), "/".join(new_tests[test_id])
            changes.append(f"test {one_line(test_id)}: {was} -> {now} (baseline/patched)")
    old_metric, new_metric = _metric(before), _metric(after)
    if new_metric is not None and old_metric != new_metric:
        shown = "none" if old_metric is None else f"{old_metric[1]}/{old_metric[2]}"
        changes.append(
            f"metric {one_line(new_metric[0])}: {shown} -> "
            f"{new_metric[1]}/{new_metric[2]} (baseline/patched)"
        )
    for key in ("repeat", "runner", "tool"):
        if (
            isinstance(before, dict)
            and isinstance(after, dict)
            and before.get(key) != after.get(key)
        ):
            changes.append(f"{key}: {before.get(key)} -> {after.get(key)}")
    return changes
