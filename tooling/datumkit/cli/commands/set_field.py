"""`datum set NAME FIELD VALUE`: edit one field of datum.yaml, keeping comments and layout.

The edited document is validated before anything is written: a `set` never leaves an invalid
datum.yaml behind, and the write is atomic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from datumkit.cli.commands import EXIT_OK
from datumkit.cli.output import say
from datumkit.fsio import write_atomic
from datumkit.model.datum import validate_datum
from datumkit.model.datumdir import DATUM_YAML, DATUMS_DIR, require_datum_directory
from datumkit.model.fieldpath import parse_field_path
from datumkit.model.project import Project
from datumkit.model.yamlio import get_field, load_roundtrip, parse_value, set_field, to_plain


def _typed_value(document: Any, path: list[str | int], text: str, as_yaml: bool) -> Any:
    """Text stays text unless --yaml, or the field already holds a non-text value (a number)."""
    if as_yaml:
        return parse_value(text)
    try:
        current = get_field(document, path)
    except (KeyError, IndexError, TypeError):
        return text
    return text if current is None or isinstance(current, str) else parse_value(text)


def set_values(
    project: Project, name: str, assignments: Sequence[tuple[str, str]], *, as_yaml: bool
) -> int:
    """Apply every FIELD=VALUE assignment, validate the result once, then write atomically.

    Several assignments in one call let a user make a change that is only valid as a whole,
    such as moving weight from one rubric to another.
    """
    directory = require_datum_directory(project.root, name)
    display = f"{DATUMS_DIR}/{name}/{DATUM_YAML}"
    document = load_roundtrip((directory / DATUM_YAML).read_bytes(), file=display)
    for field, text in assignments:
        path = parse_field_path(field)
        set_field(document.data, path, _typed_value(document.data, path, text, as_yaml))
    validate_datum(to_plain(document.data), name=name, file=display)
    fields = ", ".join(field for field, _ in assignments)
    if write_atomic(directory / DATUM_YAML, document.dump()):
        say(f"{display}: set {fields}")
        say(f"next: `datum generate {name}` to bring the generated files in line")
    else:
        say(f"{display}: {fields} already had those values")
    return EXIT_OK
