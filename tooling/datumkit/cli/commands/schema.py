"""`datum schema [WHICH]`: the JSON Schema of datum.yaml (default) or tb_meta.json.

The output is a schema an editor or `check-jsonschema --schemafile` can use as is: no wrapper
object, so it validates datum.yaml files and nothing else.
"""

from __future__ import annotations

import json

from datumkit.cli.commands import EXIT_OK
from datumkit.cli.output import say
from datumkit.model.datum import json_schemas


def schema(which: str = "datum.yaml") -> int:
    """Print the schema of ``which`` (a file name), deterministic: sorted keys, 2-space indent."""
    say(json.dumps(json_schemas()[which], indent=2, sort_keys=True))
    return EXIT_OK
