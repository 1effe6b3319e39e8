"""How a datum's GENERATED files on record differ from what generation writes now.

Both the `generated` check (working tree or index) and `datum review` (a revision's git objects)
ask this one question; they differ only in how they word the answer, so the comparison lives
here and each caller phrases its own findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from datumkit.model.datumdir import OVERLAY_DIR, DatumFiles

DriftKind = Literal["missing", "differs", "not-generated"]


@dataclass(frozen=True)
class Drift:
    """One GENERATED file that is not what generation writes: `detail` says where it parts."""

    path: str
    kind: DriftKind
    detail: str | None = None


def generated_drift(expected: Mapping[str, bytes], files: DatumFiles) -> list[Drift]:
    """Every path of `expected` that `files` lacks or holds other bytes for, then every file
    under overlay_files/ that no generator writes; in that order, each group in `expected`'s
    order or sorted."""
    found: list[Drift] = []
    for path, content in expected.items():
        actual = files.read(path)
        if actual is None:
            found.append(Drift(path, "missing"))
        elif actual != content:
            found.append(Drift(path, "differs", first_difference(content, actual)))
    for path in files.list(f"{OVERLAY_DIR}/"):
        if path not in expected:
            found.append(Drift(path, "not-generated"))
    return found


def first_difference(expected: bytes, actual: bytes) -> str:
    """'line 12: expected ... found ...' for the first line where the two texts part."""
    expected_lines = expected.decode("utf-8", "replace").splitlines()
    actual_lines = actual.decode("utf-8", "replace").splitlines()
    for number, (want, have) in enumerate(zip(expected_lines, actual_lines, strict=False), 1):
        if want != have:
            return f"line {number}: expected {_clip(want)!r}, found {_clip(have)!r}"
    if len(expected_lines) != len(actual_lines):
        return f"expected {len(expected_lines)} lines, found {len(actual_lines)}"
    return "differs in line endings or the final newline"


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
