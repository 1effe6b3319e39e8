"""The package's layers (docs/ARCHITECTURE.md, "Layers") hold: no module imports upward.

Every `import datumkit...` in the source, including imports made inside functions and under
TYPE_CHECKING, is checked against the documented order; a module may import its own layer and
the layers below it, never a layer above.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tooling" / "datumkit"
HOOKS = Path(__file__).resolve().parent.parent / "hooks" / "datumkit_hooks"

#: lowest first; must match docs/ARCHITECTURE.md
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "fsio", "bounded"),
    ("git",),
    ("secrets",),
    ("model",),
    ("generate",),
    ("checks",),
    ("review",),
    ("interop",),
    ("session",),
    ("testing",),
    ("cli",),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
TOP = len(LAYERS)


def _layer_of(module: str) -> str | None:
    """`datumkit.git.apply` -> `git`; `datumkit` itself (the version) belongs to no layer."""
    parts = module.split(".")
    if parts[0] != "datumkit" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "datumkit":
                found += [(node.lineno, f"datumkit.{alias.name}") for alias in node.names]
    return found


def _source_modules() -> list[tuple[str, Path]]:
    modules = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).parts
        modules.append((relative[0].removesuffix(".py"), path))
    modules += [("hooks", path) for path in sorted(HOOKS.rglob("*.py"))]
    return modules


def upward_imports() -> list[str]:
    problems = []
    for layer, path in _source_modules():
        if layer == "__init__":
            continue
        own = TOP if layer == "hooks" else RANK.get(layer)
        assert own is not None, f"{path}: {layer!r} is in no documented layer"
        for line, module in _imports(path):
            target = _layer_of(module)
            if target is None or target == layer or target.startswith("__"):
                continue
            if target not in RANK:
                problems.append(f"{path}:{line}: imports {module}, which is in no layer")
            elif RANK[target] > own:
                problems.append(f"{path}:{line}: {layer} imports {module} from a higher layer")
    return problems


def test_no_module_imports_upward() -> None:
    assert upward_imports() == []


def test_every_package_is_a_documented_layer() -> None:
    on_disk = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    on_disk |= {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert on_disk <= set(RANK), sorted(on_disk - set(RANK))


def test_the_documented_order_is_the_one_in_architecture_md() -> None:
    text = (PACKAGE.parent.parent / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    positions = [text.find(f"`{names[0]}") for names in LAYERS]
    assert all(p >= 0 for p in positions), "every layer is named in docs/ARCHITECTURE.md"
    assert positions == sorted(positions), "docs/ARCHITECTURE.md lists the layers lowest first"


@pytest.mark.parametrize("module", ["datumkit.cli.main", "datumkit.checks.runner"])
def test_the_rule_catches_an_upward_import(tmp_path: Path, module: str) -> None:
    """The walker sees imports inside functions too (the ones that dodge import cycles)."""
    sample = tmp_path / "sample.py"
    sample.write_text(f"def late():\n    import {module}\n", encoding="utf-8")
    assert (2, module) in _imports(sample)
