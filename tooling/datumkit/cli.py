"""The `datum` command: parses arguments and dispatches to `datumkit.commands`.

Exit codes (README, "Exit codes"): 0 everything fine; 1 findings, or a datum that is invalid;
2 usage error (bad arguments, unknown datum, not in a datum repository); 3 the operation failed
for an outside reason (network, disk, git). A DatumError never shows a traceback: it prints its
one-line message (file: location: what is wrong (what to do)) and sets the exit code.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from datumkit import __version__
from datumkit.errors import DatumError, OperationFailed
from datumkit.project import Project, discover_project


class _DatumkitFailure(click.ClickException):
    """Carries a DatumError through click so it prints our way with our exit code."""

    def __init__(self, error: DatumError) -> None:
        super().__init__(str(error))
        self.exit_code = error.exit_code  # type: ignore[misc]  # per error, not per class

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True)


class _DatumkitGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DatumError as error:
            raise _DatumkitFailure(error) from None
        except OSError as error:
            failure = OperationFailed(
                f"{error.strerror or error}", file=error.filename, hint="check the path"
            )
            raise _DatumkitFailure(failure) from None


def _project(ctx: click.Context) -> Project:
    options = ctx.find_root().params
    return discover_project(options.get("root"), options.get("cache"))


def _exit(code: int) -> None:
    if code:
        sys.exit(code)


@click.group(cls=_DatumkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="datumkit")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="DATUMKIT_ROOT",
    help="The datum repository. Default: the nearest directory above the current one with "
    "datums/ or a [tool.datumkit] pyproject.toml.",
)
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where mirrors of upstream repositories live. Default: $DATUMKIT_CACHE, else the user "
    "cache directory.",
)
def cli(root: Path | None, cache: Path | None) -> None:
    """datumkit: benchmark datums for coding agents, kept as code in git."""


def _names_and_all(function: Any) -> Any:
    function = click.option("--all", "all_datums", is_flag=True, help="Every datum.")(function)
    return click.argument("names", nargs=-1)(function)


@cli.command()
@click.argument("name")
@click.pass_context
def new(ctx: click.Context, name: str) -> None:
    """Create datums/NAME/datum.yaml, commented, to fill in."""
    from datumkit.commands.new import new as run

    _exit(run(_project(ctx), name))


@cli.command()
@_names_and_all
@click.pass_context
def generate(ctx: click.Context, names: tuple[str, ...], all_datums: bool) -> None:
    """Write the GENERATED files of NAMES (or --all) from their datum.yaml."""
    from datumkit.commands.generate import generate as run

    project = _project(ctx)
    _exit(run(project, project.select(names, all_datums)))


@cli.command()
@_names_and_all
@click.option("--json", "json_output", is_flag=True, help="Machine-readable report.")
@click.pass_context
def check(ctx: click.Context, names: tuple[str, ...], all_datums: bool, json_output: bool) -> None:
    """Validate NAMES (or --all) without writing anything; exit 1 on any finding."""
    from datumkit.commands.check import check as run

    project = _project(ctx)
    _exit(run(project, project.select(names, all_datums), json_output=json_output))


@cli.command(name="import")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--name", help="Datum name. Default: task_id without 're-bench-'.")
@click.option(
    "--allow-invalid", is_flag=True, help="Write datum.yaml even when tb_meta.json breaks rules."
)
@click.pass_context
def import_(ctx: click.Context, directory: Path, name: str | None, allow_invalid: bool) -> None:
    """Turn a seed-style task DIRECTORY (with tb_meta.json) into datums/NAME."""
    from datumkit.commands.import_datum import import_datum as run

    _exit(run(_project(ctx), directory, name=name, allow_invalid=allow_invalid))


@cli.command(name="list")
@click.option("--json", "json_output", is_flag=True, help="Machine-readable list.")
@click.pass_context
def list_(ctx: click.Context, json_output: bool) -> None:
    """Every datum: name, baseline, status, title."""
    from datumkit.commands.list_datums import list_datums as run

    _exit(run(_project(ctx), json_output=json_output))


@cli.command()
@click.argument("which", required=False, type=click.Choice(["datum.yaml", "tb_meta.json"]))
def schema(which: str | None) -> None:
    """Print the JSON Schema of datum.yaml and tb_meta.json (or just WHICH)."""
    from datumkit.commands.schema import schema as run

    _exit(run(which))


@cli.command(name="set")
@click.argument("name")
@click.argument("assignments", nargs=-1, required=True, metavar="FIELD VALUE [FIELD VALUE]...")
@click.option("--yaml", "as_yaml", is_flag=True, help="Read each VALUE as YAML (numbers, lists).")
@click.pass_context
def set_(ctx: click.Context, name: str, assignments: tuple[str, ...], as_yaml: bool) -> None:
    """Set fields of NAME's datum.yaml (e.g. repo.start_commit_sha SHA), keeping comments.

    All assignments are applied together and the result is validated before anything is
    written, so `set x evaluation.rubrics[0].weight 0.4 evaluation.rubrics[1].weight 0.6`
    moves weight between rubrics in one valid step.
    """
    from datumkit.commands.set_field import set_values as run

    if len(assignments) % 2:
        raise click.UsageError("give FIELD VALUE pairs: the last FIELD has no VALUE")
    pairs = list(zip(assignments[::2], assignments[1::2], strict=True))
    _exit(run(_project(ctx), name, pairs, as_yaml=as_yaml))


def main() -> None:
    cli(prog_name="datum")
