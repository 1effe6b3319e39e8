"""datum.yaml to plain Python straight from libyaml's events: the bounds check and the build in
one pass.

``check --all`` reads every datum.yaml of a repository. ruamel.yaml's safe loader parses in C but
composes nodes, resolves tags and constructs objects in Python (~2 ms for a 3.5 KB datum.yaml);
the event stream the bounds check walks anyway (:func:`datumkit.model.yamlio.check_bounds`)
holds everything a plain document needs, so this module builds the dicts, lists and scalars
from those events as they pass (~0.5 ms for both).

It handles the YAML people write in datum.yaml -- block and flow mappings and sequences of
plain or quoted scalars -- and resolves plain scalars exactly as ruamel.yaml's YAML 1.2 safe
loader does (same patterns, same conversions). Anything else (a tag, an anchor or alias, a
merge key, a timestamp, a ``%YAML``/``%TAG`` directive, a collection as a key, a duplicate key,
more than one document) is handed to ruamel.yaml's own loader after the bounds check has
finished, so rare documents load, and fail, exactly as before. tests/test_plainyaml.py compares
the two loaders on a corpus of such documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

#: ruamel.yaml's YAML 1.2 implicit resolvers (ruamel/yaml/resolver.py), by first character;
#: a plain scalar matching none of them is a string
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_FLOAT = re.compile(
    r"""^(?:
     [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_INT = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0o?[0-7_]+
    |[-+]?[0-9_]+
    |[-+]?0x[0-9a-fA-F_]+)$""",
    re.X,
)
_NULL = re.compile(r"^(?: ~ |null|Null|NULL | )$", re.X)
#: tags a plain scalar can resolve to that are not built here (merge, timestamp, value, yaml)
_OTHER = (
    (re.compile(r"^(?:<<)$"), "<"),
    (
        re.compile(
            r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
            |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
            (?:[Tt]|[ \t]+)[0-9][0-9]?
            :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
            (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
            re.X,
        ),
        "0123456789",
    ),
    (re.compile(r"^(?:=)$"), "="),
)
_INF = float("inf")
_NAN = -_INF / _INF  # as ruamel.yaml makes it


class _Unusual(Exception):
    """Something this builder leaves to ruamel.yaml (see the module docstring)."""


def _int(value: str) -> int:
    """ruamel.yaml's ``construct_yaml_int`` under YAML 1.2."""
    digits = value.replace("_", "")
    sign = -1 if digits[0] == "-" else 1
    if digits[0] in "+-":
        digits = digits[1:]
    if digits == "0":
        return 0
    if digits.startswith("0b"):
        return sign * int(digits[2:], 2)
    if digits.startswith("0x"):
        return sign * int(digits[2:], 16)
    if digits.startswith("0o"):
        return sign * int(digits[2:], 8)
    return sign * int(digits)


def _float(value: str) -> float:
    """ruamel.yaml's ``construct_yaml_float`` under YAML 1.2."""
    digits = value.replace("_", "").lower()
    sign = -1 if digits[0] == "-" else 1
    if digits[0] in "+-":
        digits = digits[1:]
    if digits == ".inf":
        return sign * _INF
    if digits == ".nan":
        return _NAN
    return sign * float(digits)


def resolve_plain(value: str) -> Any:
    """A plain (unquoted) scalar as ruamel.yaml's YAML 1.2 safe loader builds it."""
    first = value[:1]
    if first in "~nN" and _NULL.match(value):  # "" is in every string: the empty scalar too
        return None
    if first in "tTfF" and _BOOL.match(value):
        return value.lower() == "true"
    if first and first in "-+0123456789.":
        if _FLOAT.match(value):
            return _float(value)
        if first != "." and _INT.match(value):
            return _int(value)
    for pattern, firsts in _OTHER:
        if first and first in firsts and pattern.match(value):
            raise _Unusual
    return value


_NO_KEY = object()


def build(
    events: Iterable[Any], on_event: Callable[[Any], None], *, scalars_over: int | None = None
) -> tuple[bool, Any]:
    """(built, value): the document built from ``events``; ``built`` is False when it needs
    ruamel.yaml's loader. Every event goes to ``on_event`` (the bounds check) first, also after
    the builder has given up, so a too-deep document is refused before any loader runs; with
    ``scalars_over``, a scalar goes to it only when plain and longer than that (the only
    scalars the bounds check looks at), which spares a call for most events.

    One loop with the containers on a stack, no method per event: this runs for every event of
    every datum.yaml of a `check --all`."""
    #: open containers, each [container, pending mapping key or _NO_KEY]
    stack: list[list[Any]] = []
    result: Any = None
    documents = 0
    usual = True
    for event in events:
        kind = type(event)
        if kind is ScalarEvent:
            value = event.value
            if scalars_over is None or (not event.style and len(value) > scalars_over):
                on_event(event)
            if not usual:
                continue
            if event.anchor is not None or event.tag is not None:
                usual = False
                continue
            if event.implicit[0]:
                try:
                    value = resolve_plain(value)
                except _Unusual:
                    usual = False
                    continue
        else:
            on_event(event)
            if not usual:
                continue
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.anchor is not None or event.tag is not None:
                    usual = False
                    continue
                stack.append([{} if kind is MappingStartEvent else [], _NO_KEY])
                continue
            if kind is MappingEndEvent or kind is SequenceEndEvent:
                value = stack.pop()[0]
            elif kind is AliasEvent:
                usual = False
                continue
            else:
                if kind is DocumentStartEvent:
                    documents += 1
                    if documents > 1 or event.version is not None or event.tags:
                        usual = False
                continue
        # a value (scalar or closed container) goes into the container open around it
        if not stack:
            result = value
            continue
        top = stack[-1]
        container = top[0]
        if type(container) is list:
            container.append(value)
        elif top[1] is _NO_KEY:
            if isinstance(value, (dict, list)) or value in container:
                usual = False  # a collection as a key, or a duplicate key (ruamel words it)
                continue
            top[1] = value
        else:
            container[top[1]] = value
            top[1] = _NO_KEY
    return usual, result
