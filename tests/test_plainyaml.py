"""The fast datum.yaml loader (model/plainyaml.py) against ruamel.yaml's safe loader.

`load_plain` builds plain Python from libyaml's events and hands anything unusual to ruamel.yaml;
either way the value (or the error) must be what ruamel.yaml's YAML 1.2 safe loader gives.
Compared on hand-picked edge cases (every scalar type, every fallback) and on hypothesis-made
documents; derandomized, like tests/test_fuzz.py.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from datumkit.errors import DatumError
from datumkit.model.yamlio import YamlSyntaxError, load_plain
from helpers.properties import ci_settings
from helpers.repo import BANKING77

CI = ci_settings(300)


def _reference(text: str) -> Any:
    return YAML(typ="safe", pure=False).load(text)


def _same(a: Any, b: Any) -> bool:
    """Equal, with NaN equal to NaN and types compared too (True is not 1, 1 is not 1.0)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        pairs = zip(a.items(), b.items(), strict=False)
        return len(a) == len(b) and all(
            _same(ka, kb) and _same(va, vb) for (ka, va), (kb, vb) in pairs
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _compare(text: str) -> None:
    try:
        expected = _reference(text)
    except Exception:  # any ruamel.yaml error: ours must refuse it too
        with pytest.raises(DatumError):
            load_plain(text.encode(), file="datum.yaml")
        return
    assert _same(load_plain(text.encode(), file="datum.yaml"), expected), text


SCALARS = [
    "",
    "~",
    "null",
    "Null",
    "NULL",
    "nULL",
    "true",
    "True",
    "TRUE",
    "tRUE",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "0",
    "-0",
    "+0",
    "00",
    "0755",
    "0o17",
    "0o19",
    "0x1F",
    "0xg",
    "0b101",
    "-0b11",
    "1_000",
    "_1",
    "-_",
    "+",
    "-",
    "1.5",
    "1.",
    ".5",
    "-.5e+3",
    ".5e3",
    "1e3",
    "1E-3",
    "1_0.0_1",
    ".inf",
    "-.Inf",
    "+.INF",
    ".nan",
    ".NaN",
    "-.nan",
    "1:30",
    "1:30.5",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43",
    "<<",
    "=",
    "!",
    "a b",
    "'quoted 1'",
    '"true"',
    "'null'",
    '"0x1F"',
    "12345678901234567890",
    "é",
]


@pytest.mark.parametrize("scalar", SCALARS)
def test_every_scalar_resolves_like_ruamel(scalar: str) -> None:
    _compare(f"value: {scalar}\n")
    _compare(f"- {scalar}\n")
    _compare(f"{{k: [{scalar}]}}\n" if scalar and scalar[0] not in "!=" else "k: x\n")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# only a comment\n",
        "---\n",
        "--- 3\n",
        "a: 1\n---\nb: 2\n",  # two documents: ruamel.yaml refuses
        "%YAML 1.1\n---\na: yes\nb: 0755\nc: 1:30\n",  # a YAML 1.1 document
        "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
        "a: &x 1\nb: *x\n",
        "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",
        "a: !!str 1\nb: !!int '2'\nc: !!float 3\n",
        "a: !!binary aGVsbG8=\n",
        "a: !custom 1\n",
        "a: 1\na: 2\n",  # duplicate key
        "1: a\n1.0: b\n",
        "true: a\n1: b\n",
        "? [a, b]\n: c\n",
        "? {a: 1}\n: c\n",
        "a: [1, [2, [3, {b: c}]]]\n",
        "a: |\n  line\n   indented\nb: >-\n  folded\n  text\n",
        "a: 'it''s'\nb: \"tab\\tnewline\\n\"\n",
        "a: {b: , c: ~}\n",
        "- - - x\n",
        "a:\n- 1\n- b: 2\n  c: [3]\n",
        "a: [1, 2\n",  # syntax error
        "a: b: c\n",
        "\ta: 1\n",
        "a: 2001-01-01\n",
        "a: =\n",
        "key with spaces: value with: colon\n",
    ],
)
def test_documents_load_like_ruamel(text: str) -> None:
    _compare(text)


def test_the_bundled_datum_loads_like_ruamel() -> None:
    text = (Path(BANKING77) / "datum.yaml").read_text()
    _compare(text)


def test_bounds_still_refuse_before_building() -> None:
    with pytest.raises(DatumError, match="deep"):
        load_plain(b"a: " + b"[" * 10_000 + b"]" * 10_000 + b"\n", file="datum.yaml")
    aliases = "a: &x 1\nb: [" + ", ".join(["*x"] * 200) + "]\n"
    with pytest.raises(YamlSyntaxError, match="aliases"):
        load_plain(aliases.encode(), file="datum.yaml")
    with pytest.raises(YamlSyntaxError, match="number"):
        load_plain(b"a: " + b"9" * 5000 + b"\n", file="datum.yaml")


_PLAIN = st.one_of(
    st.sampled_from(SCALARS[:56]),
    st.text(alphabet="0123456789._-+eExXoObB:tTfFnNul ", min_size=1, max_size=8),
)


def _scalar_text(value: str) -> str:
    return value if value.strip() == value and value else f"'{value}'"


_VALUE = st.recursive(
    _PLAIN.map(_scalar_text),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(_PLAIN.map(_scalar_text), inner), max_size=4).map(
            lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
        ),
    ),
    max_leaves=12,
)


@CI
@given(st.lists(st.tuples(_PLAIN.map(_scalar_text), _VALUE), min_size=1, max_size=6))
def test_generated_documents_load_like_ruamel(pairs: list[tuple[str, str]]) -> None:
    _compare("".join(f"{key}: {value}\n" for key, value in pairs))
