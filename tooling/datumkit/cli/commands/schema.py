"""`datum schema`: the JSON Schemas of datum.yaml and tb_meta.json, for editors and CI."""

from __future__ import annotations

import json

from datumkit.cli.commands import EXIT_OK
from datumkit.cli.output import say
from datumkit.model.datum import json_schemas


def schema(which: str | None) -> int:
    """Print both schemas keyed by file name, or just the one asked for."""
    schemas = json_schemas()
    document = schemas if which is None else schemas[which]
    say(json.dumps(document, indent=2, sort_keys=True))
    return EXIT_OK
