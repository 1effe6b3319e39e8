"""The MCP server a coding agent calls at the start and end of a session (seed Phases 2-4).

Two tools, over stdio (``datum mcp``):

``repo.start_task.v1`` (task_title, notes, labels)
    records the workspace, its HEAD as the baseline and a run id in a small state file.
``repo.end_task.v1`` (summary, labels)
    captures the session since that baseline (:func:`datumkit.session.capture.capture`) into a new
    created-task directory and returns where it is and what it holds.

Configuration is by environment, as an MCP client's ``mcp_settings.json`` sets it:

- ``DATUMKIT_WORKSPACE``: the session's repository (default: the server's working directory);
- ``DATUMKIT_ROOT`` or ``DATUMKIT_CREATED_DIR``: where created-task directories go
  (``$DATUMKIT_ROOT/data/tasks/created/<slug>``, or ``$DATUMKIT_CREATED_DIR/<slug>``);
- ``DATUMKIT_TRACE_DIR``: a trace directory to copy into every capture (optional);
- ``DATUMKIT_STATE_DIR``: where the state file lives (default: the user state directory; never
  inside the workspace, whose repository a session must not see changed);
- ``RUN_ID``: the run id to record (default: a fresh ``run-<UTC time>-<random>``).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import platformdirs
from filelock import FileLock, Timeout
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, StringConstraints, ValidationError

from datumkit import __version__
from datumkit.bounded import MAX_JSON_BYTES, loads_json, read_capped
from datumkit.errors import DatumError
from datumkit.fsio import write_atomic
from datumkit.model.root import find_project_root
from datumkit.session.capture import (
    CaptureRequest,
    capture,
    default_created_parent,
    resolve_commit,
    session_is_dirty,
    slugify,
    unique_directory,
    workspace_root,
)

SERVER_NAME = "datumkit"
START_TASK = "repo.start_task.v1"
END_TASK = "repo.end_task.v1"
STATE_DIR_ENV = "DATUMKIT_STATE_DIR"
WORKSPACE_ENV = "DATUMKIT_WORKSPACE"
TRACE_DIR_ENV = "DATUMKIT_TRACE_DIR"
ROOT_ENV = "DATUMKIT_ROOT"
RUN_ID_ENV = "RUN_ID"
STATE_FILE = "mcp_tasks.json"
_LOCK_TIMEOUT_S = 10
_Result = TypeVar("_Result")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^\S+$")
]


class StartedTask(BaseModel):
    """A task between start and end: what the state file remembers per workspace."""

    run_id: str
    task_title: str
    notes: str = ""
    labels: list[str] = Field(default_factory=list)
    workspace: str
    baseline_sha: str
    started_at: str
    dirty_at_start: bool = False


class StartTaskResult(BaseModel):
    """What repo.start_task.v1 returns to the agent."""

    run_id: str
    workspace: str
    baseline_sha: str
    state_file: str
    warnings: list[str] = Field(default_factory=list)


class EndTaskResult(BaseModel):
    """What repo.end_task.v1 returns to the agent: where the capture is and what it holds."""

    run_id: str
    directory: str
    files: list[str]
    baseline_sha: str
    head_sha: str
    dirty: bool
    files_changed: int
    lines_added: int
    lines_removed: int
    #: credentials found, as "file:line: kind (hash ...)"; the secrets themselves never appear
    secrets: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    next_step: str


# --- the state file ---------------------------------------------------------------------------


def state_file() -> Path:
    """$DATUMKIT_STATE_DIR/mcp_tasks.json, else the same file in the user state directory."""
    configured = os.environ.get(STATE_DIR_ENV)
    base = Path(configured) if configured else Path(platformdirs.user_state_dir("datumkit"))
    return base / STATE_FILE


@contextmanager
def _locked_state() -> Iterator[dict[str, Any]]:
    """The state document, locked across processes; written back (atomically) on success."""
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(path) + ".lock", timeout=_LOCK_TIMEOUT_S):
            document = _read_state(path)
            before = json.dumps(document, sort_keys=True)
            yield document
            if json.dumps(document, sort_keys=True) != before:
                text = json.dumps(document, indent=2, sort_keys=True) + "\n"
                write_atomic(path, text.encode("utf-8"))
    except Timeout:
        raise DatumError(
            "another datumkit process holds the task state", file=str(path), hint="retry"
        ) from None


def _read_state(path: Path) -> dict[str, Any]:
    try:
        document = loads_json(read_capped(path, MAX_JSON_BYTES), str(path))
    except FileNotFoundError:
        return {"version": 1, "tasks": {}}
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatumError(
            f"task state is not valid JSON: {exc}",
            file=str(path),
            hint="delete the file; started tasks are then forgotten",
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("tasks"), dict):
        raise DatumError("task state has an unknown shape", file=str(path), hint="delete it")
    return document


def _new_run_id() -> str:
    configured = os.environ.get(RUN_ID_ENV, "").strip()
    if configured:
        return configured
    moment = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"run-{moment}-{secrets.token_hex(3)}"


def _resolve_workspace(workspace: str | None) -> Path:
    chosen = workspace or os.environ.get(WORKSPACE_ENV) or os.getcwd()
    return workspace_root(Path(chosen).expanduser())


# --- the tools, as plain functions ------------------------------------------------------------


def start_task(
    task_title: str, notes: str = "", labels: list[str] | None = None, workspace: str | None = None
) -> StartTaskResult:
    """Record a task's start: workspace, baseline (its HEAD now) and a run id."""
    root = _resolve_workspace(workspace)
    baseline = resolve_commit(root, "HEAD")
    task = StartedTask(
        run_id=_new_run_id(),
        task_title=task_title,
        notes=notes,
        labels=list(dict.fromkeys(labels or [])),
        workspace=str(root),
        baseline_sha=baseline,
        started_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        dirty_at_start=session_is_dirty(root),
    )
    with _locked_state() as state:
        active = state["tasks"].get(str(root))
        if active is not None:
            raise DatumError(
                f"task {active.get('task_title')!r} (run {active.get('run_id')}) is already "
                f"started in {root}",
                hint=f"call {END_TASK} to finish it first (or delete {state_file()} to forget it)",
            )
        state["tasks"][str(root)] = task.model_dump()
    warnings = []
    if task.dirty_at_start:
        warnings.append(
            "the workspace has uncommitted changes: they will be part of the captured diff "
            "(commit or stash them before starting if they are not part of the task)"
        )
    return StartTaskResult(
        run_id=task.run_id,
        workspace=task.workspace,
        baseline_sha=baseline,
        state_file=str(state_file()),
        warnings=warnings,
    )


def end_task(
    summary: str,
    labels: list[str] | None = None,
    workspace: str | None = None,
    trace_dir: str | None = None,
) -> EndTaskResult:
    """Capture the started task of the workspace into a new created-task directory."""
    root = _resolve_workspace(workspace)
    with _locked_state() as state:
        raw = state["tasks"].get(str(root))
    if raw is None:
        raise DatumError(
            f"no task was started in {root}",
            hint=f"call {START_TASK} first, at the start of the session",
        )
    try:
        task = StartedTask.model_validate(raw)
    except ValidationError:
        raise DatumError(
            "the started task's record is damaged",
            file=str(state_file()),
            hint=f"delete it and call {START_TASK} again",
        ) from None
    trace = trace_dir or os.environ.get(TRACE_DIR_ENV)
    request = CaptureRequest(
        workspace=root,
        baseline=task.baseline_sha,
        title=task.task_title,
        summary=summary,
        labels=[*task.labels, *(labels or [])],
        notes=task.notes,
        trace_dir=Path(trace) if trace else None,
        run_id=task.run_id,
    )
    result = capture(request, unique_directory(_created_parent(), slugify(task.task_title)))
    # Only a capture that succeeded ends the task: after a failure the agent can retry.
    with _locked_state() as state:
        if state["tasks"].get(str(root), {}).get("run_id") == task.run_id:
            del state["tasks"][str(root)]
    info = result.repo_info
    return EndTaskResult(
        run_id=task.run_id,
        directory=str(result.directory),
        files=list(result.files),
        baseline_sha=result.diff.baseline_sha,
        head_sha=result.diff.head_sha,
        dirty=result.diff.dirty,
        files_changed=info["files_changed"],
        lines_added=info["lines_added"],
        lines_removed=info["lines_removed"],
        secrets=[hit.describe() for hit in result.secrets],
        notes=list(result.notes),
        next_step=f"datum bundle {result.directory} --name <datum name>",
    )


def _created_parent() -> Path:
    configured_root = os.environ.get(ROOT_ENV)
    root = Path(configured_root) if configured_root else find_project_root(Path.cwd())
    return default_created_parent(root)


# --- the MCP server ---------------------------------------------------------------------------


def _tool_call(function: Callable[..., _Result], **arguments: Any) -> _Result:
    """Run a tool; a DatumError becomes a ToolError with its one-line message (file, fix)."""
    try:
        return function(**arguments)
    except DatumError as error:
        raise ToolError(str(error)) from None


def build_server() -> MCPServer:
    """The MCP server with both tools registered; `.run("stdio")` serves it."""
    server: MCPServer = MCPServer(
        SERVER_NAME,
        version=__version__,
        instructions=(
            f"Call {START_TASK} once at the start of a task and {END_TASK} when it is done: "
            "the session's changes are then captured as a benchmark datum candidate."
        ),
        log_level="WARNING",
    )

    @server.tool(
        name=START_TASK,
        description="Start recording a task: remembers the workspace, its current commit as "
        "the baseline, and a run id. Call once, before changing anything.",
    )
    def repo_start_task_v1(
        task_title: Annotated[Text, Field(max_length=200, description="Short title of the task")],
        notes: Annotated[
            str, Field(max_length=20_000, description="What will be done, and how")
        ] = "",
        labels: Annotated[
            list[Label], Field(max_length=32, description="Tags, e.g. ['re-bench']")
        ] = [],  # noqa: B006 - pydantic copies defaults
    ) -> StartTaskResult:
        return _tool_call(start_task, task_title=task_title, notes=notes, labels=labels)

    @server.tool(
        name=END_TASK,
        description="Finish the started task: captures every change since the baseline "
        "(commits, staged, unstaged and new files) with a patch, repo info, metadata, notes "
        "and trace into a created-task directory, and returns what it wrote.",
    )
    def repo_end_task_v1(
        summary: Annotated[
            Text, Field(max_length=20_000, description="What was achieved, with metrics")
        ],
        labels: Annotated[
            list[Label], Field(max_length=32, description="More tags, e.g. ['completed']")
        ] = [],  # noqa: B006 - pydantic copies defaults
    ) -> EndTaskResult:
        return _tool_call(end_task, summary=summary, labels=labels)

    return server


def serve() -> None:
    """Serve the tools over stdio until the client closes the connection."""
    import anyio

    anyio.run(_serve_stdio, build_server())


async def _serve_stdio(server: MCPServer) -> None:
    """MCPServer.run_stdio_async, plus a JSON-RPC error for every line that is no message.

    The SDK's stdio transport hands unparseable lines to the session as exceptions, which the
    session only logs: a client that sent a broken request would wait forever. JSON-RPC 2.0
    says such a line gets an error response with id null (-32700 parse error, -32600 invalid
    request); this filter sends it and passes every real message through unchanged.
    """
    import anyio
    import mcp_types
    from mcp.server.stdio import stdio_server
    from mcp.shared._context_streams import create_context_streams
    from mcp.shared.message import SessionMessage

    lowlevel = server._lowlevel_server  # what run_stdio_async drives; no public accessor
    async with stdio_server() as (read_stream, write_stream):
        send, receive = create_context_streams[SessionMessage | Exception](0)

        async def forward() -> None:
            async with send:
                async for item in read_stream:
                    if isinstance(item, Exception):
                        await write_stream.send(SessionMessage(_jsonrpc_error(item, mcp_types)))
                    else:
                        await send.send(item)

        async with anyio.create_task_group() as group:
            group.start_soon(forward)
            await lowlevel.run(receive, write_stream, lowlevel.create_initialization_options())
            group.cancel_scope.cancel()


def _jsonrpc_error(error: Exception, types: Any) -> Any:
    """The JSON-RPC error response for a line that is not JSON (-32700) or not a message."""
    invalid_json = isinstance(error, ValidationError) and any(
        e["type"] == "json_invalid" for e in error.errors(include_url=False)
    )
    code, message = (
        (types.PARSE_ERROR, "Parse error: the line is not JSON")
        if invalid_json
        else (types.INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 message")
    )
    return types.JSONRPCError(
        jsonrpc="2.0", id=None, error=types.ErrorData(code=code, message=message)
    )
