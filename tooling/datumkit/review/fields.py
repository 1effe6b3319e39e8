"""What changed inside datum.yaml, field by field, as a reviewer reads it.

Works on the *plain* YAML data of both sides (not the validated model), so a change that breaks
the datum is still shown field by field next to the problems it causes. Rubrics are matched by
``id``, not by position: moving a rubric is not a change, and a reviewer asks "which rubric was
added, which removed, whose weight moved, and do the weights still sum to 1?".
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from datumkit.model.fieldpath import format_field_path

#: The field the baseline section reports; it is not repeated among the fields.
BASELINE_FIELD = ("repo", "start_commit_sha")
RUBRICS_FIELD = ("evaluation", "rubrics")
#: Text fields always shown as a text diff, however short.
TEXT_DIFF_FIELDS = {("lm", "instructions")}


@dataclass(frozen=True)
class FieldChange:
    """One changed field: its path at HEAD (``evaluation.rubrics[1].criterion``), old and new.

    ``old``/``new`` are plain YAML values; None means the field is absent on that side. ``diff``
    is a unified text diff for multi-line text (always for ``lm.instructions``), else None.
    ``rubric`` is the id of the rubric the field belongs to, if any.
    """

    path: str
    old: Any
    new: Any
    diff: str | None = None
    rubric: str | None = None


@dataclass(frozen=True)
class RubricWeight:
    id: str
    weight: Any


@dataclass(frozen=True)
class Reweight:
    id: str
    old: Any
    new: Any


@dataclass(frozen=True)
class RubricChanges:
    """Rubrics added, removed and reweighted, with the weight sum on both sides."""

    added: tuple[RubricWeight, ...]
    removed: tuple[RubricWeight, ...]
    reweighted: tuple[Reweight, ...]
    #: math.fsum of the weights, rounded to 9 places; None when absent or not all numbers
    sum_before: float | None
    sum_after: float | None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.reweighted) or (
            self.sum_before != self.sum_after
        )


def text_diff(old: str, new: str, *, context: int = 2) -> str:
    """A unified diff of two texts without file headers, lines joined with newlines."""
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), n=context, lineterm="", fromfile="", tofile=""
    )
    return "\n".join(line for line in lines if not line.startswith(("--- ", "+++ ")))


def _is_multiline(value: Any) -> bool:
    return isinstance(value, str) and "\n" in value.rstrip("\n")


def _change(loc: Sequence[str | int], old: Any, new: Any, rubric: str | None) -> FieldChange:
    diff = None
    if isinstance(old, str | None) and isinstance(new, str | None):
        key = tuple(p for p in loc if isinstance(p, str))
        if key in TEXT_DIFF_FIELDS or _is_multiline(old) or _is_multiline(new):
            diff = text_diff(old or "", new or "")
    return FieldChange(format_field_path(loc), old, new, diff, rubric)


def _walk(
    loc: tuple[str | int, ...], old: Any, new: Any, rubric: str | None = None
) -> Iterator[FieldChange]:
    """Changes between two plain values: mappings recurse, anything else compares whole."""
    if old == new and type(old) is type(new):
        return
    if isinstance(old, Mapping | None) and isinstance(new, Mapping | None):
        old, new = old or {}, new or {}
        for key in [*new, *(k for k in old if k not in new)]:
            if (*loc, key) == BASELINE_FIELD and _is_sha_text(old.get(key), new.get(key)):
                continue
            yield from _walk((*loc, str(key)), old.get(key), new.get(key), rubric)
        return
    yield _change(loc, old, new, rubric)


def _is_sha_text(old: Any, new: Any) -> bool:
    """The baseline section covers the SHA whenever both sides state one."""
    return isinstance(old, str) and isinstance(new, str)


def _rubrics_by_id(data: Any) -> dict[str, tuple[int, Mapping[str, Any]]] | None:
    """id -> (index, rubric) when every rubric is a mapping with a unique text id, else None."""
    rubrics = _get(data, RUBRICS_FIELD)
    if rubrics is None:
        return {}
    if not isinstance(rubrics, list):
        return None
    found: dict[str, tuple[int, Mapping[str, Any]]] = {}
    for index, rubric in enumerate(rubrics):
        if not isinstance(rubric, Mapping) or not isinstance(rubric.get("id"), str):
            return None
        if rubric["id"] in found:
            return None
        found[rubric["id"]] = (index, rubric)
    return found


def _get(data: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _without(data: Any, path: Sequence[str]) -> Any:
    """A copy of `data` with the field at `path` removed (for walking everything else)."""
    if not isinstance(data, Mapping):
        return data
    head, *rest = path
    if head not in data:
        return data
    copy = dict(data)
    if rest:
        copy[head] = _without(data[head], rest)
    else:
        del copy[head]
    return copy


def field_changes(old: Any, new: Any) -> list[FieldChange]:
    """Every changed field of datum.yaml, in HEAD's document order.

    Left out: the baseline SHA (the review reports it as a baseline move) and rubric membership
    and weights (see :func:`rubric_changes`); a rubric's other fields are listed by their path at
    HEAD with the rubric's id. Lists other than rubrics compare whole (``metadata.tags``).
    """
    old_rubrics, new_rubrics = _rubrics_by_id(old), _rubrics_by_id(new)
    if old_rubrics is None or new_rubrics is None:
        return list(_walk((), old or {}, new or {}))
    changes = list(
        _walk((), _without(old or {}, RUBRICS_FIELD), _without(new or {}, RUBRICS_FIELD))
    )
    for rubric_id, (index, rubric) in new_rubrics.items():
        if rubric_id not in old_rubrics:
            continue
        _, before = old_rubrics[rubric_id]
        loc = (*RUBRICS_FIELD, index)
        strip = ("id", "weight")
        changes.extend(
            _walk(
                loc,
                {k: v for k, v in before.items() if k not in strip},
                {k: v for k, v in rubric.items() if k not in strip},
                rubric_id,
            )
        )
    return changes


def _weight_sum(rubrics: Mapping[str, tuple[int, Mapping[str, Any]]]) -> float | None:
    weights = [r.get("weight") for _, r in rubrics.values()]
    numbers = [
        w
        for w in weights
        if isinstance(w, int | float) and not isinstance(w, bool) and math.isfinite(w)
    ]
    if not weights or len(numbers) != len(weights):
        return None
    return round(math.fsum(numbers), 9)


def rubric_changes(old: Any, new: Any) -> RubricChanges | None:
    """Rubrics added / removed / reweighted between two datum.yaml documents, or None when
    the rubrics cannot be matched by id (then they appear among the field changes)."""
    before, after = _rubrics_by_id(old), _rubrics_by_id(new)
    if before is None or after is None:
        return None
    return RubricChanges(
        added=tuple(
            RubricWeight(i, r.get("weight")) for i, (_, r) in after.items() if i not in before
        ),
        removed=tuple(
            RubricWeight(i, r.get("weight")) for i, (_, r) in before.items() if i not in after
        ),
        reweighted=tuple(
            Reweight(i, before[i][1].get("weight"), r.get("weight"))
            for i, (_, r) in after.items()
            if i in before and before[i][1].get("weight") != r.get("weight")
        ),
        sum_before=_weight_sum(before) if old is not None else None,
        sum_after=_weight_sum(after) if new is not None else None,
    )


def baseline_sha(data: Any) -> str | None:
    """`repo.start_commit_sha` of a plain datum.yaml, when it is text."""
    sha = _get(data, BASELINE_FIELD)
    return sha if isinstance(sha, str) else None
