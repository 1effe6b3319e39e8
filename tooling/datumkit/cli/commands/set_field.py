"""`datum set NAME FIELD VALUE`: edit one field of datum.yaml, keeping comments and layout.

The edited document is validated before anything is written: a `set` never leaves an invalid
datum.yaml behind, and the write is atomic. `--allow-invalid` is for filling a `datum new`
skeleton field by field: it writes while *other* fields are still invalid and lists them, but a
value that is itself invalid is still refused (the user just typed it; say so now).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from datumkit.cli.commands import EXIT_FINDINGS, EXIT_OK
from datumkit.cli.output import say, warn
from datumkit.fsio import write_atomic
from datumkit.model.datum import DatumInvalid, FieldProblem, validate_datum
from datumkit.model.datumdir import DATUM_YAML, DATUMS_DIR, require_datum_directory
from datumkit.model.fieldpath import format_field_path, parse_field_path
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


def _about(problem: FieldProblem, edited: Sequence[str]) -> bool:
    """Whether a problem is in (or under, or over) one of the fields this call set."""
    return any(
        problem.path == field
        or problem.path.startswith((f"{field}.", f"{field}["))
        or field.startswith((f"{problem.path}.", f"{problem.path}["))
        for field in edited
    )


def set_values(
    project: Project,
    name: str,
    assignments: Sequence[tuple[str, str]],
    *,
    as_yaml: bool,
    allow_invalid: bool = False,
) -> int:
    """Apply every FIELD=VALUE assignment, validate the result once, then write atomically.

    Several assignments in one call let a user make a change that is only valid as a whole,
    such as moving weight from one rubric to another.
    """
    directory = require_datum_directory(project.root, name)
    display = f"{DATUMS_DIR}/{name}/{DATUM_YAML}"
    document = load_roundtrip((directory / DATUM_YAML).read_bytes(), file=display)
    edited: list[str] = []
    for field, text in assignments:
        path = parse_field_path(field)
        set_field(document.data, path, _typed_value(document.data, path, text, as_yaml))
        edited.append(format_field_path(path))
    remaining: list[FieldProblem] = []
    try:
        validate_datum(to_plain(document.data), name=name, file=display)
    except DatumInvalid as exc:
        own = [p for p in exc.problems if _about(p, edited)]
        if own and allow_invalid:
            raise DatumInvalid(display, own) from None
        if not allow_invalid:
            for line in exc.lines():
                warn(line)
            if not own:
                warn(
                    f"{display}: nothing written: the fields set are fine, others are still "
                    "invalid (`--allow-invalid` writes and lists them)"
                )
            return EXIT_FINDINGS
        remaining = exc.problems
    fields = ", ".join(field for field, _ in assignments)
    if write_atomic(directory / DATUM_YAML, document.dump()):
        say(f"{display}: set {fields}")
    else:
        say(f"{display}: {fields} already had those values")
    if remaining:
        warn(f"{display}: still to fill in or fix ({len(remaining)}):")
        for problem in remaining:
            warn(f"  {problem.path}: {problem.message}")
        warn(f"next: `datum set {name} FIELD VALUE --allow-invalid` for each, then `datum check`")
    else:
        say(f"next: `datum generate {name}` to bring the generated files in line")
    return EXIT_OK
