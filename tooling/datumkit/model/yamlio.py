"""Round-trip YAML: read datum.yaml for validation, edit it without losing what people wrote.

datum.yaml is the one file humans edit, so a tool that rewrites it must keep their comments, key
order, quoting, block scalars and indentation. ruamel.yaml's round-trip mode does that; this module
keeps its specifics (guessing the file's indentation, converting to plain Python for pydantic,
editing by field path) in one place.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator, MutableMapping, MutableSequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    ScalarEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from ruamel.yaml.scalarstring import LiteralScalarString

from datumkit.bounded import MAX_DEPTH, too_deep, too_large
from datumkit.errors import DatumError
from datumkit.model.fieldpath import format_field_path
from datumkit.model.plainyaml import build


class YamlSyntaxError(DatumError):
    """The file is not YAML we can read; names line and column."""


#: datum.yaml is a page of text; anything larger is not one
MAX_YAML_BYTES = 1024 * 1024
#: aliases (`*anchor`) per document: a few are handy, thousands are a "billion laughs" attack
MAX_ALIASES = 100
#: digits of a plain number: Python refuses to convert more than 4300, no weight needs 100
MAX_NUMBER_CHARS = 100
_NUMBER_LIKE = frozenset("0123456789+-_.eE")


def _where(event: Any) -> str | None:
    mark = getattr(event, "start_mark", None)
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None


def _events(text: str) -> Iterator[Any]:
    """libyaml's parse events of `text` (the pure-Python parser where libyaml is missing)."""
    try:
        from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - no C extension on this interpreter
        yield from YAML(typ="safe", pure=True).parse(text)
        return
    parser = CParser(text)  # ~3x cheaper than YAML().parse(), which builds a whole loader
    try:
        # get_event() answers None after the stream's end: the C-level two-argument iter()
        # spares a check_event() call and a loop turn per event (~145 per datum.yaml)
        yield from iter(parser.get_event, None)
    finally:
        parser.dispose()


def check_bounds(text: str, *, file: str) -> None:
    """Refuse, before building any object, YAML that nests too deep or abuses aliases/numbers.

    libyaml's event parser is iterative; building objects from events is recursive (a C stack
    overflow crashes the process at about 100,000 levels), so depth is counted on the events and
    the scan stops at the first violation, which keeps it cheap however large the attack.
    """
    _refuse_too_large(text, file)
    bounds = _Bounds(file)
    for event in _events(text):
        bounds(event)


def _refuse_too_large(text: str, file: str) -> None:
    if len(text) > MAX_YAML_BYTES:
        raise too_large(file, len(text.encode("utf-8")), MAX_YAML_BYTES, "YAML files")


#: events with nothing to count (exact types, as libyaml's parser makes them)
_UNBOUNDED_EVENTS = frozenset(
    (StreamStartEvent, StreamEndEvent, DocumentStartEvent, DocumentEndEvent)
)


class _Bounds:
    """The bounds check of :func:`check_bounds`, one event at a time (for the fast loader)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.depth = 0
        self.aliases = 0

    def __call__(self, event: Any) -> None:
        kind = type(event)
        if kind is ScalarEvent:  # most events: skip the isinstance chain below
            if not event.style and len(event.value) > MAX_NUMBER_CHARS:
                self._number(event)
            return
        if kind in _UNBOUNDED_EVENTS:
            return
        if isinstance(event, CollectionStartEvent):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise too_deep(self.file, _where(event))
        elif isinstance(event, CollectionEndEvent):
            self.depth -= 1
        elif isinstance(event, AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise YamlSyntaxError(
                    f"more than {MAX_ALIASES} aliases (*name)",
                    file=self.file,
                    location=_where(event),
                    hint="write the values out; datum.yaml does not need that many aliases",
                )
        elif (
            isinstance(event, ScalarEvent)
            and not event.style
            and len(event.value) > MAX_NUMBER_CHARS
        ):
            self._number(event)

    def _number(self, event: Any) -> None:
        """Refuse a plain scalar of more than MAX_NUMBER_CHARS that reads as a number."""
        if set(event.value) <= _NUMBER_LIKE:
            raise YamlSyntaxError(
                f"a number of {len(event.value)} characters",
                file=self.file,
                location=_where(event),
                hint="write a short number, e.g. 0.25",
            )


@dataclass(frozen=True)
class RoundTripDocument:
    """A loaded YAML document plus the layout needed to write it back the way it was."""

    data: Any
    mapping_indent: int
    sequence_indent: int
    sequence_offset: int

    def dump(self) -> bytes:
        yaml = _roundtrip_yaml()
        yaml.indent(
            mapping=self.mapping_indent,
            sequence=self.sequence_indent,
            offset=self.sequence_offset,
        )
        buffer = io.StringIO()
        yaml.dump(self.data, buffer)
        return buffer.getvalue().encode("utf-8")


def _roundtrip_yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line somebody wrote on purpose
    return yaml


def _decode(text: bytes, file: str) -> str:
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatumError(
            f"not UTF-8 at byte {exc.start}", file=file, hint="save the file as UTF-8"
        ) from None


_fast = threading.local()


def load_plain(text: bytes, *, file: str) -> Any:
    """Parse YAML into plain Python for validation: fast (libyaml via ruamel.yaml.clib).

    Checks read every datum.yaml of a repository on every run; the round-trip loader that keeps
    comments costs ~30x more, and validation has no use for comments.
    """
    decoded = _decode(text, file)
    with _yaml_errors_named(file):  # bounds check and build in one pass over libyaml's events
        _refuse_too_large(decoded, file)
        built, value = build(_events(decoded), _Bounds(file), scalars_over=MAX_NUMBER_CHARS)
    if built:
        return value
    yaml = getattr(_fast, "yaml", None)
    if yaml is None:  # one loader per thread: building it costs more than a small file's parse
        yaml = _fast.yaml = YAML(typ="safe", pure=False)
    return _parse(yaml, decoded, file)


def _parse(yaml: YAML, decoded: str, file: str) -> Any:
    """Bounds first, then the parse; every failure becomes one YamlSyntaxError naming `file`."""
    with _yaml_errors_named(file):
        check_bounds(decoded, file=file)
        return yaml.load(decoded)


@contextmanager
def _yaml_errors_named(file: str) -> Iterator[None]:
    """Every way a parse or build fails, as one YamlSyntaxError naming `file` (no traceback)."""
    try:
        yield
    except MarkedYAMLError as exc:
        raise _syntax_error(exc, file) from None
    except YAMLError as exc:
        raise YamlSyntaxError(str(exc).splitlines()[0], file=file, hint="fix the YAML") from None
    except (ValueError, RecursionError) as exc:  # a value the constructor cannot build
        raise YamlSyntaxError(
            f"unreadable value: {str(exc).splitlines()[0]}", file=file, hint="fix the YAML"
        ) from None


def load_roundtrip(text: bytes, *, file: str) -> RoundTripDocument:
    """Parse YAML keeping comments and layout; a syntax error names line and column."""
    decoded = _decode(text, file)
    data = _parse(_roundtrip_yaml(), decoded, file)
    mapping_indent, sequence_offset = _layout(decoded)
    return RoundTripDocument(
        data=data,
        mapping_indent=mapping_indent,
        sequence_indent=sequence_offset + 2,
        sequence_offset=sequence_offset,
    )


#: a line that opens a nested block: `key:` with nothing after it but a comment; group 1 is
#: everything before the key (indent and any `- ` of a sequence item), so its length is the
#: key's column
_BLOCK_KEY = re.compile(r"^([ ]*(?:-[ ]+)*)[^\s#-][^#]*?:[ ]*(?:#.*)?$")


def _layout(text: str) -> tuple[int, int]:
    """The file's own indentation: (nested mapping indent, offset of a sequence's `-`).

    Measured from the first block under a `key:` line, the way a person reads it. ruamel's
    ``load_yaml_guess_indent`` is misled by a trailing comment on the key (`rubrics:  # ...`),
    and a wrong guess re-indents lines the user never touched -- more on every edit.
    """
    mapping: int | None = None
    offset: int | None = None
    key_column: int | None = None
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        if key_column is not None and indent > key_column:
            if stripped.startswith("-") and offset is None:
                offset = indent - key_column
            elif not stripped.startswith("-") and mapping is None:
                mapping = indent - key_column
        match = _BLOCK_KEY.match(line)
        key_column = len(match.group(1)) if match else None
        if mapping is not None and offset is not None:
            break
    return mapping or 2, offset if offset is not None else 0


def _syntax_error(exc: MarkedYAMLError, file: str) -> YamlSyntaxError:
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None
    problem = exc.problem or exc.context or "invalid YAML"
    if "duplicate key" in str(exc):
        problem = "a key appears twice in one mapping"
        return YamlSyntaxError(problem, file=file, location=where, hint="keep one of them")
    return YamlSyntaxError(problem, file=file, location=where, hint="fix the YAML syntax")


def to_plain(node: Any) -> Any:
    """ruamel's commented containers and scalar subclasses -> plain dict/list/str/float/int."""
    if isinstance(node, MutableMapping):
        return {str(key): to_plain(value) for key, value in node.items()}
    if isinstance(node, MutableSequence):
        return [to_plain(item) for item in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def get_field(data: Any, path: list[str | int]) -> Any:
    """The value at `path`; KeyError/IndexError when it is not there."""
    node = data
    for token in path:
        node = node[token]
    return node


def set_field(data: Any, path: list[str | int], value: Any) -> None:
    """Set `path` to `value` in a round-trip document, creating missing mappings on the way.

    A string with newlines becomes a literal block scalar (`|`), which is how people write
    instructions by hand; an existing scalar keeps its style where the new value allows it.
    """
    node = data
    for depth, token in enumerate(path[:-1]):
        following = path[depth + 1]
        if isinstance(node, MutableMapping) and isinstance(token, str):
            if token not in node or node[token] is None:
                node[token] = CommentedSeq() if isinstance(following, int) else CommentedMap()
            node = node[token]
        elif isinstance(node, MutableSequence) and isinstance(token, int) and token < len(node):
            node = node[token]
        else:
            raise DatumError(
                f"cannot descend into {token!r}",
                location=format_field_path(path[: depth + 1]),
                hint="check the field path against `datum schema`",
            )
    last = path[-1]
    if isinstance(value, str) and "\n" in value:
        value = LiteralScalarString(value if value.endswith("\n") else value + "\n")
    if isinstance(node, MutableMapping) and isinstance(last, str):
        node[last] = value
    elif isinstance(node, MutableSequence) and isinstance(last, int) and last <= len(node):
        if last == len(node):
            node.append(value)
        else:
            node[last] = value
    else:
        raise DatumError(
            f"cannot set {last!r} here",
            location=format_field_path(path),
            hint="check the field path against `datum schema`",
        )


def parse_value(text: str) -> Any:
    """A command-line value read as YAML (numbers, lists, booleans), for `datum set --yaml`."""
    yaml = _roundtrip_yaml()
    try:
        return yaml.load(text)
    except YAMLError as exc:
        raise DatumError(
            f"{text!r} is not a YAML value: {str(exc).splitlines()[0]}",
            hint="quote it, or drop --yaml to set it as text",
        ) from None
