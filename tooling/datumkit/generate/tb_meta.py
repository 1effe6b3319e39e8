"""tb_meta.json: the seed's task metadata, for runners that read it."""

from __future__ import annotations

import json

from datumkit.model.datum import Datum
from datumkit.model.datumdir import DatumSource

PATH = "tb_meta.json"


def tb_meta_bytes(datum: Datum) -> bytes:
    """Seed key order, 2-space indent, UTF-8 kept readable, newline at the end."""
    document = datum.tb_meta().model_dump(mode="json")
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def render(source: DatumSource) -> dict[str, bytes]:
    return {PATH: tb_meta_bytes(source.datum)}
