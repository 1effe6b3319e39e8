"""tb_meta.json: the seed's task metadata, for runners that read it."""

from __future__ import annotations

from datumkit.generate.jsontext import dumps_indented
from datumkit.model.datum import Datum, TbMeta
from datumkit.model.datumdir import DatumSource

PATH = "tb_meta.json"
#: the fields of tb_meta.json, in the seed's order (Datum declares them first, in that order)
_TB_META_FIELDS = set(TbMeta.model_fields)


#: the last datum rendered and its bytes: tb_meta.json and overlay_files/tb_meta.json are the
#: same document, rendered for the same Datum object one after the other (identity, never
#: content: two datums never share a rendering)
_last: tuple[Datum, bytes] | None = None


def tb_meta_bytes(datum: Datum) -> bytes:
    """Seed key order, 2-space indent, UTF-8 kept readable, newline at the end."""
    global _last
    if _last is not None and _last[0] is datum:
        return _last[1]
    rendered = (dumps_indented(tb_meta_document(datum)) + "\n").encode("utf-8")
    _last = (datum, rendered)
    return rendered


def tb_meta_document(datum: Datum) -> dict[str, object]:
    """``datum.tb_meta().model_dump(mode="json")``, dumped from the datum itself.

    ``Datum.tb_meta()`` validates the projection again as a :class:`TbMeta` (~60 us, most of
    rendering tb_meta.json); a datum is already valid, its validators return their input, and
    the nested models are the same classes, so the datum's own dump of those fields is the same
    document (``tests/test_jsontext.py`` compares the two).
    """
    document: dict[str, object] = datum.model_dump(
        mode="json", include=_TB_META_FIELDS, exclude={"evaluation": {"tests"}}
    )
    return document


def render(source: DatumSource) -> dict[str, bytes]:
    return {PATH: tb_meta_bytes(source.datum)}
