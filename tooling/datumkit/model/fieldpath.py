"""Field paths like `evaluation.rubrics[1].weight`: how errors and `datum set` name a field."""

from __future__ import annotations

import re
from collections.abc import Sequence

from datumkit.errors import DatumError

_KEY = r"[A-Za-z0-9_][A-Za-z0-9_-]*"
_PATH_RE = re.compile(rf"^{_KEY}(?:\[\d+\])*(?:\.{_KEY}(?:\[\d+\])*)*$")
_TOKEN_RE = re.compile(rf"({_KEY})|\[(\d+)\]")


def format_field_path(loc: Sequence[str | int]) -> str:
    """('evaluation', 'rubrics', 1, 'weight') -> 'evaluation.rubrics[1].weight'."""
    text = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for "the key of the mapping entry before me"
            continue
        if isinstance(part, str) and not part.isprintable():
            # a key from the datum itself: escaped, so it cannot move a terminal's cursor
            text += f"[{part!r}]"
            continue
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def parse_field_path(path: str) -> list[str | int]:
    """'evaluation.rubrics[1].weight' -> ['evaluation', 'rubrics', 1, 'weight']."""
    if not _PATH_RE.fullmatch(path):
        raise DatumError(
            f"{path!r} is not a field path",
            hint="write it like repo.start_commit_sha or evaluation.rubrics[0].weight",
        )
    return [int(index) if index else key for key, index in _TOKEN_RE.findall(path)]
