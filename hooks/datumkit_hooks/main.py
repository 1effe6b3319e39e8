"""`datum-hook HOOK [--fix] FILES...`: what every datumkit pre-commit hook runs.

pre-commit passes the changed files; only the datums they belong to are checked, so a commit
touching one datum costs the same in a repository of 2,000 datums as in a repository of one.
Hooks other than `schema` skip datums whose datum.yaml is invalid (the `schema` hook reports
those once, instead of every hook repeating it).

HOOK `all` (the `datum-check` hook) runs every check in `datumkit.checks.CHECKS` in this one
process: interpreter start-up and the imports of pydantic, pygit2 and detect-secrets are paid
once per commit instead of once per hook, and a datum's files are loaded once. Nothing is
imported before it is needed: a commit touching no datum costs only the interpreter.

Exit codes follow pre-commit's convention: 0 pass, 1 fail (findings, or files rewritten by
`generated --fix`, like a formatter: the commit fails once and passes on the second try).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from datumkit.checks import CHECK_NAMES, SCHEMA, DatumReport
from datumkit.checks.runner import check_many
from datumkit.errors import DatumError
from datumkit.model.project import Project
from datumkit.model.root import find_project_root
from datumkit.model.selection import datums_of_paths
from datumkit.secrets.deferred import import_detect_secrets
from datumkit_hooks import split

#: the hook that runs every check (the `datum-check` hook id)
ALL = "all"
#: the hooks `datum-hook` runs
_HOOKS = (ALL, *CHECK_NAMES)


@dataclass(frozen=True)
class HookArguments:
    """What `datum-hook` was asked: the hook, whether to fix, the files pre-commit passed."""

    hook: str
    fix: bool
    files: list[str]


def parse_arguments(argv: Sequence[str] | None) -> HookArguments:
    """`argv` read as argparse would, without argparse for the shape pre-commit always passes.

    Importing argparse and building its parser (it asks shutil for the terminal's width and
    gettext for the locale) costs ~10 ms of every commit, before anything can run in parallel.
    The shape pre-commit passes, `HOOK [--fix] FILES...` with no other argument starting with
    `-`, is read here; anything else (`--help`, an unknown option or hook, `--`, a file name
    starting with `-`) goes to argparse, which answers or refuses it as it always did.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    positional = [arg for arg in args if arg != "--fix"]
    if positional and positional[0] in _HOOKS and not any(a.startswith("-") for a in positional):
        return HookArguments(positional[0], len(positional) < len(args), positional[1:])
    return parse_with_argparse(args)


def parse_with_argparse(args: Sequence[str]) -> HookArguments:
    """`args` read by argparse: help, usage errors (exit 2) and every unusual shape."""
    import argparse

    parser = argparse.ArgumentParser(prog="datum-hook", description=__doc__.splitlines()[0])
    parser.add_argument("hook", choices=_HOOKS)
    parser.add_argument("--fix", action="store_true", help="generated: rewrite stale files")
    parser.add_argument("files", nargs="*")
    parsed = parser.parse_intermixed_args(args)
    return HookArguments(parsed.hook, parsed.fix, parsed.files)


def _rewrite(root: Path, names: Sequence[str]) -> list[str]:
    """Regenerate `names`, datum.lock included when the mirror allows; return changed files.

    A lock that cannot be made (no mirror, patch does not apply) is left for the patch hook to
    report.
    """
    from datumkit.errors import OperationFailed
    from datumkit.fsio import OutsideRoot, write_atomic
    from datumkit.generate.datum import generate_datum
    from datumkit.generate.evalconfig import expected_eval_config
    from datumkit.generate.writer import write_outputs
    from datumkit.model.datumdir import DatumSource, load_from_disk
    from datumkit.model.project import Project

    locator = Project(root=root).locator()
    changed = []
    for name in names:
        try:
            source: DatumSource = load_from_disk(root, name)
            generated = generate_datum(source, locator)
            written = write_outputs(root / source.directory, generated.files)
            config = expected_eval_config(root, source)  # research-bench eval config, if any
        except (OutsideRoot, OperationFailed) as error:
            print(error)  # a symlink out of the datum, a full disk: say so, write nothing
            continue
        except DatumError:
            continue  # invalid datum.yaml: the schema hook reports it
        changed += [source.display(path) for path in written]
        if config is not None and write_atomic(root / config[0], config[1]):
            changed.append(config[0])
    return changed


def _relevant(report: DatumReport, hook: str) -> list[str]:
    if hook not in (SCHEMA, ALL) and any(f.check == SCHEMA for f in report.findings):
        return []
    return [str(f) for f in report.findings if f.severity == "error"]


#: pydantic's plugin loader module, and the values of PYDANTIC_DISABLE_PLUGINS that disable all
_PLUGIN_LOADER = "pydantic.plugin._loader"
_ALL_DISABLED = ("__all__", "1", "true")


def _skip_plugin_loader() -> None:
    """With every pydantic plugin disabled, stand in for the module that would look them up.

    pydantic imports its plugin loader on the first validation even when plugins are disabled,
    and the loader imports importlib.metadata (and email, zipfile, ...): ~15-25 ms of a commit's
    hook, for a function that then returns no plugins. The stand-in's `get_plugins` returns
    none, as the real one does when all are disabled; any other name it is asked for imports
    the real module in its place, so a pydantic that needs more from it still gets it.
    """
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") not in _ALL_DISABLED:
        return
    if _PLUGIN_LOADER in sys.modules:
        return
    import types

    stand_in = types.ModuleType(_PLUGIN_LOADER, "pydantic's plugin loader, all plugins disabled")

    def get_plugins() -> tuple[()]:
        return ()

    def real(name: str) -> object:
        if name.startswith("__"):  # the import system asking what kind of module this is
            raise AttributeError(name)
        if sys.modules.get(_PLUGIN_LOADER) is stand_in:
            del sys.modules[_PLUGIN_LOADER]
        import importlib

        return getattr(importlib.import_module(_PLUGIN_LOADER), name)

    stand_in.get_plugins = get_plugins  # type: ignore[attr-defined]
    stand_in.__getattr__ = real  # type: ignore[method-assign]
    sys.modules[_PLUGIN_LOADER] = stand_in


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    root = find_project_root(Path.cwd())
    if root is None:
        print("datum-hook: not inside a datum repository (no datums/ directory)", file=sys.stderr)
        return 2
    names = datums_of_paths(root, args.files)
    if not names:
        return 0
    # pydantic's plugins (observability tools) have nothing to do in a hook, and looking for
    # them reads every installed distribution's entry points on every commit
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    _skip_plugin_loader()
    if args.hook in ("generated", ALL) and args.fix:
        rewritten = _rewrite(root, names)
        for path in rewritten:
            print(f"rewrote {path}")
        if rewritten:
            return 1
    context = Project(root=root)
    if args.hook == ALL and split.can_split(names):
        reports = split.check_split(context, names)
    else:
        if args.hook in ("secrets", ALL):
            import_detect_secrets()  # without `requests`, which only verification would use
        reports = check_many(context, names, only=None if args.hook == ALL else [args.hook])
    problems = [line for report in reports for line in _relevant(report, args.hook)]
    for line in problems:
        print(line)
    return 1 if problems else 0


def run() -> None:
    """The `datum-hook` command: :func:`main`, then leave without finalising the interpreter.

    Finalising frees every object of every module imported (pydantic's schemas, pygit2,
    detect-secrets' plugins): 30-50 ms of a commit, for memory the system takes back anyway.
    The hook has nothing else to close: files it rewrites are written atomically before main
    returns, and stdout and stderr are flushed here. An error still leaves as usual (a
    traceback, argparse's exit 2).

    The cyclic garbage collector waits for 100,000 new objects instead of 700 for the same
    reason: importing pydantic, pygit2 and detect-secrets made it run ~100 times (10-25 ms
    measured here) to free ~1,000 objects in a process that lives a third of a second; a commit
    touching one datum now never triggers it, one touching hundreds still collects.
    """
    import gc

    gc.set_threshold(100_000)
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a reader that went away: nothing to tell it
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
