"""tb_meta.json's fast rendering writes exactly what the plain route wrote.

Two shortcuts render tb_meta.json (generate/tb_meta.py): the document is the datum's own dump of
the tb_meta fields, not ``Datum.tb_meta()`` validated again, and the text is written by
``generate/jsontext.py``, not by ``json.dumps(indent=2)``'s pure-Python encoder. Each is
compared here with the route it replaces, on generated values.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from datumkit.generate.jsontext import dumps_indented
from datumkit.generate.tb_meta import tb_meta_bytes
from datumkit.model.datum import Datum
from datumkit.model.yamlio import load_plain

EXAMPLE = Path(__file__).resolve().parent.parent / "datums" / "banking77" / "datum.yaml"

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and the infinities included: json.dumps writes them its own way
    | st.text()
)
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@given(documents)
def test_indented_text_is_json_dumps(document: Any) -> None:
    assert dumps_indented(document) == json.dumps(document, indent=2, ensure_ascii=False)


@given(
    st.dictionaries(
        st.one_of(st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False)),
        scalars,
        min_size=1,
        max_size=3,
    )
)
def test_keys_json_dumps_converts_are_left_to_it(document: dict[Any, Any]) -> None:
    assert dumps_indented(document) == json.dumps(document, indent=2, ensure_ascii=False)


def test_values_of_other_types_are_left_to_json_dumps() -> None:
    class Text(str):
        pass

    for document in ({"a": (1, 2)}, [Text("x")], {"a": [True, 1.5, -0.0, 10**30]}):
        assert dumps_indented(document) == json.dumps(document, indent=2, ensure_ascii=False)


def _example() -> dict[str, Any]:
    data: dict[str, Any] = load_plain(EXAMPLE.read_bytes(), file="datum.yaml")
    return data


line_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20
).filter(str.strip)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=line_text,
    summary=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40),
    tags=st.lists(line_text, max_size=3, unique=True),
    weights=st.sampled_from([(0.5, 0.3, 0.2), (0.25, 0.25, 0.5), (1, 0, 0)]),
    criteria=st.lists(line_text, min_size=1, max_size=3),
    tests=st.booleans(),
)
def test_tb_meta_document_is_the_validated_projection(
    title: str,
    summary: str,
    tags: list[str],
    weights: tuple[float, ...],
    criteria: list[str],
    tests: bool,
) -> None:
    data = _example()
    data["metadata"].update(title=title, summary=summary, tags=tags)
    rubrics = data["evaluation"]["rubrics"]
    data["evaluation"]["rubrics"] = [
        {**rubric, "weight": weight, "evaluation_criteria": criteria}
        for rubric, weight in zip(rubrics, weights, strict=True)
        if weight
    ]
    if not tests:
        del data["evaluation"]["tests"]
    try:
        datum = Datum.model_validate(data, context={"datum_name": "banking77"})
    except ValidationError:
        assume(False)
        return
    assert math.isclose(sum(r.weight for r in datum.evaluation.rubrics), 1)
    projected = datum.tb_meta().model_dump(mode="json")
    document = datum.tb_meta_document()
    assert document == projected
    assert list(document) == list(projected)  # the seed's key order too
    plain = (json.dumps(projected, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    assert tb_meta_bytes(datum) == plain
