"""`datum init [DIR]`: make DIR a datum repository that uses datumkit as a package.

Idempotent and careful with what is there: a file with the same content is ``unchanged``; a
different existing file is ``kept`` unless ``--force``. Two files are merged instead, because
an existing repository always has them: ``.gitignore`` gets the lines it lacks appended, and a
``pyproject.toml`` without ``[tool.datumkit]`` gets that table appended (one with it is kept).
"""

from __future__ import annotations

from pathlib import Path

from datumkit.cli.commands import EXIT_OK
from datumkit.cli.output import say
from datumkit.errors import UsageProblem
from datumkit.fsio import write_atomic
from datumkit.generate.repository import Scaffold, render_repository
from datumkit.model.root import declares_datumkit


def _merged(target: str, path: Path, new: bytes) -> tuple[bytes, str] | None:
    """Content and verb for files merged into an existing one, or None for the others."""
    old = path.read_bytes()
    if target == ".gitignore":
        present = set(old.decode("utf-8", "replace").splitlines())
        missing = [line for line in new.decode().splitlines() if line not in present]
        if not [line for line in missing if line and not line.startswith("#")]:
            return old, "unchanged"
        joined = old if old.endswith(b"\n") or not old else old + b"\n"
        return joined + ("\n".join(missing) + "\n").encode(), "updated"
    if target == "pyproject.toml":
        if declares_datumkit(path):
            return old, "kept"
        joined = old if old.endswith(b"\n") or not old else old + b"\n"
        return joined + b"\n" + new, "updated"
    return None


def init(directory: Path, scaffold: Scaffold, *, force: bool) -> int:
    """Write the datum repository files into ``directory``; report one line per file."""
    if directory.exists() and not directory.is_dir():
        raise UsageProblem(f"{directory} is not a directory", hint="pick a directory")
    directory.mkdir(parents=True, exist_ok=True)
    kept = []
    for target, content in render_repository(scaffold).items():
        path = directory / target
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise UsageProblem(
                f"{path} is not a regular file", hint="move it away, then run `datum init` again"
            )
        verb = "created"
        if path.exists():
            merged = None if force else _merged(target, path, content)
            if path.read_bytes() == content:
                verb = "unchanged"
            elif merged is not None:
                content, verb = merged
            elif force:
                verb = "replaced"
            else:
                verb = "kept"
        if verb in ("created", "replaced", "updated"):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, content)
        if verb == "kept":
            kept.append(target)
        say(f"{verb:<9} {target}")
    if kept:
        say(f"kept {len(kept)} existing file(s) that differ; `datum init --force` replaces them")
    say(
        f"datumkit {scaffold.version}: next `pre-commit install`, then `datum new NAME` "
        "(README.md of the repository says more)"
    )
    return EXIT_OK
