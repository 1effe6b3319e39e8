"""JSON text indented as ``json.dumps(document, indent=2, ensure_ascii=False)`` writes it.

Why not ``json.dumps`` itself: with ``indent`` set, CPython (before 3.13) encodes in pure Python,
a generator per level and a call per value, ~0.1 ms for tb_meta.json, which `check --all`
renders for every datum. This writes the same bytes with one list of parts, each string
escaped by the C escaper ``json.dumps`` uses. Anything but the JSON types
``model_dump(mode="json")`` produces (a dict with non-string keys, a tuple, a subclass) takes
``json.dumps`` itself, so the text is always ``json.dumps``'s; ``tests/test_jsontext.py``
compares the two on generated documents.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # the C escaper when the extension is there
from typing import Any

_INDENT = "  "


class _Unsupported(Exception):
    """A value this writer leaves to ``json.dumps``."""


def dumps_indented(document: Any) -> str:
    """``json.dumps(document, indent=2, ensure_ascii=False)``, without the pure-Python encoder."""
    parts: list[str] = []
    try:
        _write(document, "\n", parts)
    except (_Unsupported, RecursionError):
        return json.dumps(document, indent=2, ensure_ascii=False)
    return "".join(parts)


def _write(value: Any, newline: str, parts: list[str]) -> None:
    kind = type(value)
    if kind is dict:
        if not value:
            parts.append("{}")
            return
        inner = newline + _INDENT
        separator = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _Unsupported
            if type(item) is str:  # most values: no call for them
                parts.append(f"{separator}{encode_basestring(key)}: {encode_basestring(item)}")
            else:
                parts.append(f"{separator}{encode_basestring(key)}: ")
                _write(item, inner, parts)
            separator = "," + inner
        parts.append(newline + "}")
    elif kind is list:
        if not value:
            parts.append("[]")
            return
        inner = newline + _INDENT
        separator = "[" + inner
        for item in value:
            if type(item) is str:
                parts.append(separator + encode_basestring(item))
            else:
                parts.append(separator)
                _write(item, inner, parts)
            separator = "," + inner
        parts.append(newline + "]")
    else:
        parts.append(_scalar(value))


def _scalar(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        return _float(value)
    raise _Unsupported


def _float(value: float) -> str:
    """As ``json.dumps`` writes a float (``allow_nan`` on, its default)."""
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == -float("inf"):
        return "-Infinity"
    return float.__repr__(value)
