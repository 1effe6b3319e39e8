"""One place where a quoting refusal becomes a datum error naming the field.

Renderers call `quoted(source, "environment.env.KEY", dockerfile_quote, value)` instead of the
quoting function itself, so every refused value is reported as
`datums/<name>/datum.yaml: <field>: <why> (<what to do>)` and never as a traceback.
"""

from __future__ import annotations

from collections.abc import Callable

from datumkit.errors import DatumError
from datumkit.generate.quoting import QuotingError
from datumkit.model.datumdir import DATUM_YAML, DatumSource


def quoted(source: DatumSource, location: str, quote: Callable[[str], str], value: str) -> str:
    """`quote(value)`, or a DatumError at `location` of datum.yaml when it is refused."""
    try:
        return quote(value)
    except QuotingError as refused:
        raise DatumError(
            str(refused),
            file=source.display(DATUM_YAML),
            location=location,
            hint="generation refuses values that could change the Dockerfile or script; "
            "change the value",
        ) from None
