"""tb_meta.json: the seed's task metadata, for runners that read it."""

from __future__ import annotations

from datumkit.generate.jsontext import dumps_indented
from datumkit.model.datum import Datum
from datumkit.model.datumdir import DatumSource

PATH = "tb_meta.json"


#: the last datum rendered and its bytes: tb_meta.json and overlay_files/tb_meta.json are the
#: same document, rendered for the same Datum object one after the other (identity, never
#: content: two datums never share a rendering)
_last: tuple[Datum, bytes] | None = None


def tb_meta_bytes(datum: Datum) -> bytes:
    """Seed key order, 2-space indent, UTF-8 kept readable, newline at the end."""
    global _last
    if _last is not None and _last[0] is datum:
        return _last[1]
    rendered = (dumps_indented(datum.tb_meta_document()) + "\n").encode("utf-8")
    _last = (datum, rendered)
    return rendered


def render(source: DatumSource) -> dict[str, bytes]:
    return {PATH: tb_meta_bytes(source.datum)}
