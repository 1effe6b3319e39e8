"""Generation: pure functions from a datum to the bytes of each GENERATED file.

Each renderer module exposes one function, ``render(source) -> {relative path: bytes}``, and the
registry below lists them; adding an artifact is adding a module. Renderers never touch the disk
or the network, so the same datum gives the same bytes on every machine, and review can render
a datum read from git objects exactly as `datum generate` does from the working tree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from datumkit.generate import baseline, bootstrap, dockerfile, overlay, tb_meta
from datumkit.model.datumdir import DatumSource

Renderer = Callable[[DatumSource], Mapping[str, bytes]]

RENDERERS: tuple[Renderer, ...] = (
    tb_meta.render,
    baseline.render,
    dockerfile.render,
    bootstrap.render,
    overlay.render,
)


def render_all(source: DatumSource) -> dict[str, bytes]:
    """Every GENERATED file of `source` except datum.lock (which needs the mirror), by path."""
    outputs: dict[str, bytes] = {}
    for renderer in RENDERERS:
        for path, content in renderer(source).items():
            if path in outputs:
                raise AssertionError(f"two renderers produce {path}")
            outputs[path] = content
    return dict(sorted(outputs.items()))


def executable(path: str) -> bool:
    """Generated shell scripts are written executable; everything else is 0644."""
    return path.endswith(".sh")
