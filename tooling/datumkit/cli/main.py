"""The `datum` command: parses arguments and dispatches to `datumkit.cli.commands`.

Exit codes (README, "Exit codes"): 0 everything fine; 1 findings, or a datum that is invalid;
2 usage error (bad arguments, unknown datum, not in a datum repository); 3 the operation failed
for an outside reason (network, disk, git). A DatumError never shows a traceback: it prints its
one-line message (file: location: what is wrong (what to do)) and sets the exit code.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from datumkit import __version__
from datumkit.errors import DatumError, OperationFailed

if TYPE_CHECKING:
    from datumkit.model.project import Project

# Nothing heavy is imported at module level: `datum --version` and `--help` must not pay for
# pydantic (the datum model), pygit2 or the checks. Commands import what they need when run,
# and choices that come from those modules are loaded only when click needs them.


class _LazyChoice(click.Choice):  # type: ignore[type-arg]
    """A ``click.Choice`` whose choices are computed on first use (parsing, help, completion)."""

    def __init__(self, load: Callable[[], Sequence[str]]) -> None:
        self._load = load
        self._loaded: tuple[str, ...] | None = None
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        if self._loaded is None:
            self._loaded = tuple(self._load())
        return self._loaded

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        """``click.Choice.__init__`` assigns the (empty) placeholder; the loader decides."""


def _check_names() -> Sequence[str]:
    from datumkit.checks import CHECK_NAMES

    return CHECK_NAMES


def _sensitivity_levels() -> Sequence[str]:
    from datumkit.model.datum import SENSITIVITY_LEVELS

    return SENSITIVITY_LEVELS


class _DatumkitFailure(click.ClickException):
    """Carries a DatumError through click so it prints our way with our exit code."""

    def __init__(self, error: DatumError) -> None:
        super().__init__(str(error))
        self.exit_code = error.exit_code  # type: ignore[misc]  # per error, not per class

    def show(self, file: Any = None) -> None:
        from datumkit.cli.output import warn

        warn(self.message)


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
    from datumkit.model.project import discover_project

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


_max_trace_bytes = click.option(
    "--max-trace-bytes",
    type=click.IntRange(min=1),
    help="Size cap per trace file. Default: $DATUMKIT_MAX_TRACE_BYTES, else 5 MiB.",
)


def _datum_selection(function: Any) -> Any:
    """NAMES / --all / --changed-since / --shard, resolved to (project, [names]) for `function`."""

    @click.argument("names", nargs=-1)
    @click.option("--all", "all_datums", is_flag=True, help="Every datum.")
    @click.option(
        "--changed-since",
        metavar="REV",
        help="The datums whose files differ between REV and the working tree.",
    )
    @click.option(
        "--shard", "shard_spec", metavar="I/N", help="Only shard I of N (stable by datum name)."
    )
    @click.pass_context  # type: ignore[arg-type]  # functools.wraps hides the signature
    @functools.wraps(function)
    def wrapper(
        ctx: click.Context,
        names: tuple[str, ...],
        all_datums: bool,
        changed_since: str | None,
        shard_spec: str | None,
        **options: Any,
    ) -> Any:
        from datumkit.model.selection import select_datums

        project = _project(ctx)
        selected = select_datums(
            project,
            names,
            all_datums=all_datums,
            changed_since=changed_since,
            shard_spec=shard_spec,
        )
        return function(project, selected, **options)

    return wrapper


@cli.command()
@click.argument(
    "directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path)
)
@click.option("--force", is_flag=True, help="Replace existing files that differ.")
@click.option(
    "--datumkit-version",
    "version",
    default=None,
    metavar="X.Y.Z",
    help="The datumkit release the hooks and workflows pin. Default: this one.",
)
@click.option(
    "--datumkit-url",
    "git_url",
    default=None,
    metavar="URL",
    help="datumkit's git repository (hooks, and pip installs until --from-index).",
)
@click.option("--from-index", is_flag=True, help="Workflows pip install datumkit==X.Y.Z.")
def init(
    directory: Path, force: bool, version: str | None, git_url: str | None, from_index: bool
) -> None:
    """Make DIRECTORY (default: here) a datum repository using datumkit as a package."""
    from datumkit.cli.commands.init import init as run
    from datumkit.generate.repository import DATUMKIT_GIT_URL, Scaffold

    scaffold = Scaffold(
        version=version or __version__, git_url=git_url or DATUMKIT_GIT_URL, from_index=from_index
    )
    _exit(run(directory, scaffold, force=force))


@cli.command()
@click.argument("name")
@click.pass_context
def new(ctx: click.Context, name: str) -> None:
    """Create datums/NAME/datum.yaml, commented, to fill in."""
    from datumkit.cli.commands.new import new as run

    _exit(run(_project(ctx), name))


@cli.command()
@_datum_selection
def generate(project: Project, names: list[str]) -> None:
    """Write the GENERATED files of NAMES (or --all) from their datum.yaml.

    datum.lock is written when the upstream's mirror is present (`datum fetch`).
    """
    from datumkit.cli.commands.generate import generate as run

    _exit(run(project, names))


@cli.command()
@_datum_selection
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes. Default: cores.")
@click.option(
    "--only",
    type=_LazyChoice(_check_names),
    multiple=True,
    help="Run only this check (repeatable). Default: all.",
)
@click.option("--json", "json_output", is_flag=True, help="Machine-readable report on stdout.")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Check every datum again, ignoring results cached from unchanged datums that passed.",
)
def check(
    project: Project,
    names: list[str],
    jobs: int | None,
    only: tuple[str, ...],
    json_output: bool,
    no_cache: bool,
) -> None:
    """Validate NAMES (or --all, --changed-since) without writing; exit 1 on any finding."""
    from datumkit.cli.commands.check import check as run

    _exit(
        run(
            project,
            names,
            json_output=json_output,
            jobs=jobs,
            only=only or None,
            use_cache=not no_cache,
        )
    )


@cli.command(name="test")
@_datum_selection
@click.option(
    "--repeat",
    type=click.IntRange(min=1, max=100),
    default=1,
    show_default=True,
    help="Run each side K times; a test whose outcome changes is flaky and fails the verdict.",
)
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, help="Datums in parallel.")
@click.option("--docker", is_flag=True, help="Build the Dockerfile's stages and run inside them.")
@click.option(
    "--pass-env",
    "pass_env",
    multiple=True,
    metavar="NAME",
    help="Also pass this variable of your environment to the datum's commands (repeatable).",
)
@click.option("--json", "json_output", is_flag=True, help="Machine-readable report on stdout.")
def test_(
    project: Project,
    names: list[str],
    repeat: int,
    jobs: int,
    docker: bool,
    pass_env: tuple[str, ...],
    json_output: bool,
) -> None:
    """Run the declared tests of NAMES (or --all, --changed-since) and write their receipts.

    The baseline (with the patch's test files) must fail every fail_to_pass test and pass every
    pass_to_pass test; the patched tree must pass both; the metric must stay below its bound at
    the baseline and reach its bound patched. A passing datum gets datums/NAME/verification.json.
    """
    from datumkit.cli.commands.test import test as run

    explicit = bool(click.get_current_context().params.get("names"))
    _exit(
        run(
            project,
            names,
            explicit=explicit,
            repeat=repeat,
            jobs=jobs,
            docker=docker,
            pass_env=pass_env,
            json_output=json_output,
        )
    )


@cli.command()
@_datum_selection
def fetch(project: Project, names: list[str]) -> None:
    """Create or update the local mirrors of the upstreams of NAMES (or --all).

    The only command that uses the network. Mirrors live in --cache / $DATUMKIT_CACHE, or where
    [tool.datumkit.mirrors] of pyproject.toml says (those are never written).
    """
    from datumkit.cli.commands.fetch import fetch as run

    _exit(run(project, names))


@cli.command()
@click.argument("name")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--baseline", is_flag=True, help="The baseline tree, without diff.patch.")
@click.pass_context
def materialize(ctx: click.Context, name: str, directory: Path, baseline: bool) -> None:
    """Write the patched (or --baseline) tree of NAME into the new or empty DIRECTORY.

    The files the Dockerfile would check out (sparse checkout included), without Docker or git,
    to run the upstream's tests directly.
    """
    from datumkit.cli.commands.materialize import materialize as run

    _exit(run(_project(ctx), name, directory, baseline=baseline))


class _ImportGroup(_DatumkitGroup):
    """`datum import FORMAT ...`; a first argument that names no format is a seed directory,
    so `datum import DIR` keeps meaning `datum import seed DIR` (a directory named like a
    format is given as ./swebench)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["seed", *args]  # `datum import [--name X] DIR`, as before formats existed
        return super().parse_args(ctx, args)


@cli.group(name="import", cls=_ImportGroup)
def import_() -> None:
    """Turn tasks of other formats into datums: seed directories, SWE-bench, Harbor.

    `datum import DIR` is `datum import seed DIR`.
    """


@import_.command(name="seed")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--name", help="Datum name. Default: task_id without 're-bench-'.")
@click.option(
    "--allow-invalid", is_flag=True, help="Write datum.yaml even when tb_meta.json breaks rules."
)
@click.pass_context
def import_seed(ctx: click.Context, directory: Path, name: str | None, allow_invalid: bool) -> None:
    """Turn a seed-style task DIRECTORY (with tb_meta.json) into datums/NAME."""
    from datumkit.cli.commands.import_datum import import_datum as run

    _exit(run(_project(ctx), directory, name=name, allow_invalid=allow_invalid))


_import_jobs = click.option(
    "--jobs", "-j", type=click.IntRange(min=1), help="Worker processes. Default: cores."
)


def _regex(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A --filter that is not a regular expression is a usage error, not a traceback."""
    import re

    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return value


def _import_filter(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--filter", "pattern", metavar="REGEX", callback=_regex, help=f"Only {what} matching REGEX."
    )


@import_.command(name="swebench")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@_import_filter("instance_ids")
@click.option("--limit", type=click.IntRange(min=1), help="At most N instances.")
@_import_jobs
@click.pass_context
def import_swebench(
    ctx: click.Context, path: Path, pattern: str | None, limit: int | None, jobs: int | None
) -> None:
    """SWE-bench instances -> datums/NAME, generated and checked.

    PATH is a 5.0 task repository (sweb.yaml + tasks/), one task directory, or a .jsonl/.json
    file of instances. Exit 1 when any instance was skipped (each is listed with its reason).
    """
    from datumkit.checks.runner import default_jobs
    from datumkit.cli.commands.interop_import import import_swebench as run

    _exit(run(_project(ctx), path, pattern=pattern, limit=limit, jobs=jobs or default_jobs()))


@import_.command(name="harbor")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_import_filter("task names")
@click.option("--limit", type=click.IntRange(min=1), help="At most N tasks.")
@_import_jobs
@click.pass_context
def import_harbor(
    ctx: click.Context, directory: Path, pattern: str | None, limit: int | None, jobs: int | None
) -> None:
    """Harbor tasks -> datums/NAME: DIRECTORY is one task (task.toml) or a directory of tasks."""
    from datumkit.checks.runner import default_jobs
    from datumkit.cli.commands.interop_import import import_harbor as run

    _exit(run(_project(ctx), directory, pattern=pattern, limit=limit, jobs=jobs or default_jobs()))


@cli.group(name="export", cls=_DatumkitGroup)
def export() -> None:
    """Write datums in other formats: SWE-bench task repositories or rows, Harbor tasks."""


_export_out = click.option(
    "--out", required=True, type=click.Path(path_type=Path), help="Where to write."
)
_export_force = click.option("--force", is_flag=True, help="Replace an existing --out.")


@export.command(name="swebench")
@_datum_selection
@_export_out
@_export_force
def export_swebench(project: Project, names: list[str], out: Path, force: bool) -> None:
    """NAMES (or --all) as a SWE-bench 5.0 task repository (--out DIR) or rows (--out X.jsonl).

    diff.patch is cut into patch and test_patch by evaluation.tests.test_paths.
    """
    from datumkit.cli.commands.interop_export import export_swebench as run

    _exit(run(project, names, out, force=force))


@export.command(name="harbor")
@_datum_selection
@_export_out
@_export_force
@click.option("--terminal-bench", is_flag=True, help="The older Terminal-Bench task layout.")
def export_harbor(
    project: Project, names: list[str], out: Path, force: bool, terminal_bench: bool
) -> None:
    """NAMES (or --all) as Harbor tasks, one directory per datum under --out DIR."""
    from datumkit.cli.commands.interop_export import export_harbor as run

    _exit(run(project, names, out, force=force, terminal_bench=terminal_bench))


@cli.command(name="list")
@click.option("--json", "json_output", is_flag=True, help="Machine-readable list.")
@click.option("--check", "check_now", is_flag=True, help="Run every check now, not last results.")
@click.pass_context
def list_(ctx: click.Context, json_output: bool, check_now: bool) -> None:
    """Every datum: name, baseline, status (of the last `datum check`), title."""
    from datumkit.cli.commands.list_datums import list_datums as run

    _exit(run(_project(ctx), json_output=json_output, check=check_now))


@cli.command()
@click.argument(
    "which", required=False, default="datum.yaml", type=click.Choice(["datum.yaml", "tb_meta.json"])
)
def schema(which: str) -> None:
    """Print the JSON Schema of datum.yaml (default) or tb_meta.json."""
    from datumkit.cli.commands.schema import schema as run

    _exit(run(which))


@cli.command(name="set")
@click.argument("name")
@click.argument("assignments", nargs=-1, required=True, metavar="FIELD VALUE [FIELD VALUE]...")
@click.option("--yaml", "as_yaml", is_flag=True, help="Read each VALUE as YAML (numbers, lists).")
@click.option(
    "--allow-invalid",
    is_flag=True,
    help="Write even if other fields are still invalid (filling a skeleton field by field); "
    "then list what is left.",
)
@click.pass_context
def set_(
    ctx: click.Context,
    name: str,
    assignments: tuple[str, ...],
    as_yaml: bool,
    allow_invalid: bool,
) -> None:
    """Set fields of NAME's datum.yaml (e.g. repo.start_commit_sha SHA), keeping comments.

    All assignments are applied together and the result is validated before anything is
    written, so `set x evaluation.rubrics[0].weight 0.4 evaluation.rubrics[1].weight 0.6`
    moves weight between rubrics in one valid step.
    """
    from datumkit.cli.commands.set_field import set_values as run

    if len(assignments) % 2:
        raise click.UsageError("give FIELD VALUE pairs: the last FIELD has no VALUE")
    pairs = list(zip(assignments[::2], assignments[1::2], strict=True))
    _exit(run(_project(ctx), name, pairs, as_yaml=as_yaml, allow_invalid=allow_invalid))


@cli.command()
@click.argument("revisions", required=False, metavar="[BASE..HEAD]")
@click.option("--staged", is_flag=True, help="Review the index against HEAD instead.")
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text for a terminal, markdown for a PR comment, json for programs.",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text format; auto = stdout is a terminal and NO_COLOR is unset.",
)
@click.pass_context
def review(
    ctx: click.Context, revisions: str | None, staged: bool, output: str, color: str
) -> None:
    """Explain what a change does to the datums, read straight from git objects.

    BASE..HEAD compares two revisions (branches, tags, SHAs), BASE...HEAD compares HEAD with
    its merge base with BASE (what a pull request shows), BASE alone means BASE..HEAD.
    Works in a bare repository. Exit 0: no blocking problem; 1: a datum at HEAD is invalid,
    its patch does not apply, or GENERATED files are stale or edited by hand; 2: usage.
    """
    from datumkit.cli.commands.review import review as run

    options = ctx.find_root().params
    _exit(
        run(
            options.get("root"),
            options.get("cache"),
            revisions,
            staged=staged,
            output=output,  # type: ignore[arg-type]  # click.Choice guarantees the literal
            color=color,  # type: ignore[arg-type]
        )
    )


@cli.command()
@click.argument(
    "workspace", required=False, default=".", type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--baseline", required=True, metavar="REV", help="The commit the session started from."
)
@click.option("--title", required=True, help="The task's title (also the default slug).")
@click.option("--summary", default="", help="What the session achieved.")
@click.option("--label", "labels", multiple=True, help="A tag for the task (repeatable).")
@click.option("--notes", default="", help="Notes on the task (methodology, results).")
@click.option(
    "--trace",
    "trace_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory with session_id.txt and session_clean.json to copy into trace/.",
)
@click.option("--slug", help="Directory name and task id. Default: from --title.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="The created-task directory. Default: $DATUMKIT_CREATED_DIR/SLUG, else "
    "<datum repository>/data/tasks/created/SLUG.",
)
@click.option(
    "--sensitivity",
    type=_LazyChoice(_sensitivity_levels),
    default="internal",
    show_default=True,
    help="sensitivity.level for tb_meta.json.",
)
@_max_trace_bytes
@click.option("--force", is_flag=True, help="Replace an existing created-task directory.")
@click.pass_context
def capture(
    ctx: click.Context,
    workspace: Path,
    baseline: str,
    title: str,
    summary: str,
    labels: tuple[str, ...],
    notes: str,
    trace_dir: Path | None,
    slug: str | None,
    out: Path | None,
    sensitivity: str,
    max_trace_bytes: int | None,
    force: bool,
) -> None:
    """Capture a session WORKSPACE (a git repository) since --baseline into a created-task dir.

    Writes diff.patch (commits, staged, unstaged and untracked changes; binary files, renames
    and modes kept), repo_info.json, a tb_meta.json skeleton, notes.md and trace/. The
    workspace's repository is never changed, and the patch is verified to rebuild the session's
    tree exactly.
    """
    from datumkit.cli.commands.capture import capture_session as run
    from datumkit.model.datum import SLUG_RE
    from datumkit.session.capture import CaptureRequest

    if slug is not None and not SLUG_RE.fullmatch(slug):
        raise click.BadParameter("use lowercase letters, digits and '-'", param_hint="--slug")
    project_root = None
    if out is None:
        try:
            project_root = _project(ctx).root
        except DatumError:
            project_root = None  # default_created_parent explains what to pass instead
    request = CaptureRequest(
        workspace=workspace,
        baseline=baseline,
        title=title,
        summary=summary,
        labels=labels,
        notes=notes,
        trace_dir=trace_dir,
        slug=slug,
        sensitivity=sensitivity,
        max_trace_bytes=max_trace_bytes,
    )
    _exit(run(request, out=out, project_root=project_root, force=force))


@cli.command()
@click.argument("created", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", required=True, help="The datum's name: datums/NAME.")
@click.option(
    "--force", is_flag=True, help="Replace an existing datum (kept until the new one passes)."
)
@click.option(
    "--fetch",
    is_flag=True,
    help="Fetch the upstream into the mirror cache first (needs the network).",
)
@_max_trace_bytes
@click.pass_context
def bundle(
    ctx: click.Context,
    created: Path,
    name: str,
    force: bool,
    fetch: bool,
    max_trace_bytes: int | None,
) -> None:
    """Turn a CREATED task directory into datums/NAME, generated and checked.

    datum.yaml comes from tb_meta.json and repo_info.json; diff.patch, notes.md, trace/ and
    secrets.allowlist are copied. The trace's shape and size are checked and every file is
    scanned for credentials first. Nothing is written unless the new datum passes every check.
    """
    from datumkit.cli.commands.bundle import bundle_created as run

    project = _project(ctx)
    _exit(
        run(project, created, name=name, force=force, fetch=fetch, max_trace_bytes=max_trace_bytes)
    )


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only print what would be replaced.")
def redact(paths: tuple[Path, ...], dry_run: bool) -> None:
    """Replace credentials in PATHS (files or directories) with <REDACTED:kind:hash> placeholders.

    Prints file:line and kind of each replacement, never the credential. Patches keep their
    lines (they still apply); JSON files stay valid JSON.
    """
    from datumkit.cli.commands.redact import redact_paths as run

    _exit(run(list(paths), dry_run=dry_run))


@cli.command()
def mcp() -> None:
    """Serve the MCP tools repo.start_task.v1 and repo.end_task.v1 over stdio.

    Configured by environment (see README, "From a coding session to a datum"):
    DATUMKIT_WORKSPACE, DATUMKIT_ROOT or DATUMKIT_CREATED_DIR, DATUMKIT_TRACE_DIR,
    DATUMKIT_STATE_DIR, RUN_ID.
    """
    from datumkit.cli.commands.serve_mcp import serve_mcp as run

    _exit(run())


def main() -> None:
    cli(prog_name="datum")
