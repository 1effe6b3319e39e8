"""overlay_files/: what a runner copies into the agent's box besides the bootstrap script.

tb_meta.json is copied so the box carries its own task description; extras declared in
datum.yaml (`overlay_extras`) are copied byte for byte from the datum directory, so the copy in
overlay_files/ can never drift from the file people edit.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from datumkit.errors import DatumError
from datumkit.generate.tb_meta import tb_meta_bytes
from datumkit.model.datumdir import OVERLAY_DIR, DatumSource

#: overlay files generation writes itself; an extra may not take one of these names.
RESERVED = ("box_bootstrap.sh", "tb_meta.json")


def render(source: DatumSource) -> dict[str, bytes]:
    outputs = {f"{OVERLAY_DIR}/tb_meta.json": tb_meta_bytes(source.datum)}
    for index, extra in enumerate(source.datum.overlay_extras):
        name = PurePosixPath(extra).name
        where = f"overlay_extras[{index}]"
        if extra.startswith(f"{OVERLAY_DIR}/"):
            raise DatumError(
                f"{extra!r} is inside the generated {OVERLAY_DIR}/",
                file=source.display("datum.yaml"),
                location=where,
                hint=f"keep the source file outside {OVERLAY_DIR}/, e.g. in overlay_src/",
            )
        if name in RESERVED or f"{OVERLAY_DIR}/{name}" in outputs:
            raise DatumError(
                f"{extra!r} would overwrite overlay_files/{name}",
                file=source.display("datum.yaml"),
                location=where,
                hint="rename the file",
            )
        content = source.read(extra)
        if content is None:
            raise DatumError(
                f"{extra!r} does not exist in {source.directory}",
                file=source.display("datum.yaml"),
                location=where,
                hint="add the file or remove the entry",
            )
        outputs[f"{OVERLAY_DIR}/{name}"] = content
    return outputs
