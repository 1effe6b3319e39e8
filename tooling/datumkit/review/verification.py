"""The receipt's status in a review: verified, stale (and why), or none; and whether it changed.

A reviewer should see at a glance whether the datum they approve is still proven by its
verification.json, and whether this change re-verified it. Read from git objects like the rest
of the review; nothing is run.
"""

from __future__ import annotations

from datumkit.checks.verified import staleness
from datumkit.errors import DatumError
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
        return [f"verification: {RECEIPT_FILE} rewritten in this change: {status}"]
    return [] if not reasons else [f"verification: {status}"]
