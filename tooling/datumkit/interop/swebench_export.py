"""One datum as a SWE-bench instance, from its datum.yaml, diff.patch and swebench.json."""

from __future__ import annotations

from datumkit.errors import DatumError
from datumkit.interop.baseline_image import render_baseline_dockerfile
from datumkit.interop.swebench import SIDECAR, Exported, export_instance, load_sidecar
from datumkit.model.datumdir import PATCH_FILE, DatumSource


def export_source(source: DatumSource) -> Exported:
    patch = source.read(PATCH_FILE)
    if patch is None:
        raise DatumError("missing", file=source.display(PATCH_FILE), hint="add the patch")
    sidecar = load_sidecar(source.read(SIDECAR), source.display(SIDECAR))
    dockerfile = render_baseline_dockerfile(
        source,
        comment=f"The baseline environment of datum {source.name}, written by `datum export`.",
    )
    return export_instance(
        source.datum, patch, sidecar, dockerfile=dockerfile, file=source.display(PATCH_FILE)
    )
