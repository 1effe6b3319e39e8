"""Reading the metric a datum's command prints: a JSON object, and a (dotted) key into it."""

from __future__ import annotations

import json
import math
from typing import Any

MAX_METRIC_OUTPUT = 1024 * 1024


class MetricUnreadable(ValueError):
    """The metric command's output has no usable value; the message says why, in one line."""


def _document(stdout: str) -> Any:
    text = stdout[-MAX_METRIC_OUTPUT:].strip()
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: '[[[[...' nested past the limit
        pass
    for line in reversed(text.splitlines()):
        if line.strip():
            try:
                return json.loads(line)
            except (ValueError, RecursionError):
                break
    raise MetricUnreadable("printed no JSON object (the whole output or its last line)")


def metric_value(stdout: str, key: str) -> float:
    """The number at `key` (dots walk nested objects) in the JSON the command printed."""
    node = _document(stdout)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise MetricUnreadable(f"printed JSON without the key {key!r}")
        node = node[part]
    if isinstance(node, bool) or not isinstance(node, int | float) or not math.isfinite(node):
        raise MetricUnreadable(f"printed {key!r} = {json.dumps(node)[:40]}, not a finite number")
    return float(node)
