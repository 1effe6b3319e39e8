"""The MCP server, driven over stdio by the MCP SDK's own client, as an agent would."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from datumkit.cli.mcp import END_TASK, START_TASK
from helpers.workspace import run_git, write

Snapshot = Callable[[Path], dict[str, tuple[bytes, int]]]
Call = tuple[str, dict[str, Any]]


def server_parameters(workspace: Path, tmp_path: Path) -> StdioServerParameters:
    datum = Path(sys.executable).with_name("datum")  # the installed console script
    return StdioServerParameters(
        command=str(datum),
        args=["mcp"],
        env={
            "DATUMKIT_WORKSPACE": str(workspace),
            "DATUMKIT_STATE_DIR": str(tmp_path / "state"),
            "DATUMKIT_CREATED_DIR": str(tmp_path / "created"),
            "RUN_ID": "rebench_20240201_000000",
            "GIT_CONFIG_NOSYSTEM": "1",
        },
        cwd=str(tmp_path),
    )


def call_tools(parameters: StdioServerParameters, calls: list[Call]) -> list[Any]:
    """Start the server, call each tool in turn, return (is_error, payload) per call."""

    async def session() -> list[Any]:
        results: list[Any] = []
        async with (
            stdio_client(parameters) as (read, write_stream),
            ClientSession(read, write_stream) as client,
        ):
            await client.initialize()
            tools = await client.list_tools()
            results.append(sorted(tool.name for tool in tools.tools))
            for name, arguments in calls:
                result = await client.call_tool(name, arguments)
                text = "\n".join(getattr(c, "text", "") for c in result.content)
                results.append((result.is_error, result.structured_content or text))
        return results

    return asyncio.run(session())


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    root.mkdir()
    run_git(root, "init", "-q")
    run_git(root, "remote", "add", "origin", "https://example.invalid/up/stream.git")
    write(root, "app.py", "ANSWER = 41\n")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "baseline")
    return root


def test_start_work_end_over_stdio(workspace: Path, tmp_path: Path, snapshot: Snapshot) -> None:
    parameters = server_parameters(workspace, tmp_path)
    baseline = run_git(workspace, "rev-parse", "HEAD").strip()
    git_before = snapshot(workspace / ".git")

    tools, too_early, invalid, started, again = call_tools(
        parameters,
        [
            (END_TASK, {"summary": "nothing yet"}),
            (START_TASK, {"task_title": "  ", "labels": ["has space"]}),
            (
                START_TASK,
                {"task_title": "Improve the answer", "notes": "Bump it.", "labels": ["re-bench"]},
            ),
            (START_TASK, {"task_title": "A second task"}),
        ],
    )
    assert tools == [END_TASK, START_TASK]
    assert too_early[0] is True
    assert f"no task was started in {workspace}" in too_early[1]
    assert f"call {START_TASK} first" in too_early[1]
    assert invalid[0] is True
    assert "task_title" in invalid[1] and "labels.0" in invalid[1]
    assert started == (
        False,
        {
            "run_id": "rebench_20240201_000000",
            "workspace": str(workspace),
            "baseline_sha": baseline,
            "state_file": str(tmp_path / "state" / "mcp_tasks.json"),
            "warnings": [],
        },
    )
    assert again[0] is True and "is already started" in again[1]
    assert snapshot(workspace / ".git") == git_before  # starting reads only

    # the session works: a commit and an uncommitted edit; then a *new* server process ends the
    # task, which it finds in the state file
    write(workspace, "app.py", "ANSWER = 42\n")
    run_git(workspace, "commit", "-q", "-am", "answer")
    write(workspace, "NOTES.txt", "uncommitted\n")
    git_before_end = snapshot(workspace / ".git")
    _, ended, ended_again = call_tools(
        parameters,
        [
            (END_TASK, {"summary": "ANSWER is 42.", "labels": ["completed"]}),
            (END_TASK, {"summary": "twice"}),
        ],
    )
    assert snapshot(workspace / ".git") == git_before_end
    is_error, payload = ended
    assert is_error is False, payload
    directory = Path(payload["directory"])
    assert directory == tmp_path / "created" / "improve-the-answer"
    assert payload["files"] == ["diff.patch", "notes.md", "repo_info.json", "tb_meta.json"]
    assert (payload["files_changed"], payload["lines_added"], payload["lines_removed"]) == (2, 2, 1)
    assert payload["baseline_sha"] == baseline and payload["dirty"] is True
    assert payload["secrets"] == []
    assert payload["next_step"] == f"datum bundle {directory} --name <datum name>"
    tb_meta = json.loads((directory / "tb_meta.json").read_text())
    assert tb_meta["metadata"]["tags"] == ["re-bench", "completed"]
    assert tb_meta["metadata"]["summary"] == "ANSWER is 42."
    assert tb_meta["lm"]["instructions"] == "Improve the answer\n\nBump it."
    assert json.loads((directory / "repo_info.json").read_text())["run_id"] == (
        "rebench_20240201_000000"
    )
    assert ended_again[0] is True and "no task was started" in ended_again[1]
    state = json.loads((tmp_path / "state" / "mcp_tasks.json").read_text())
    assert state["tasks"] == {}


def test_failed_capture_keeps_the_task_for_a_retry(workspace: Path, tmp_path: Path) -> None:
    parameters = server_parameters(workspace, tmp_path)
    _, started, nothing, retried = call_tools(
        parameters,
        [
            (START_TASK, {"task_title": "Do nothing"}),
            (END_TASK, {"summary": "no changes made"}),
            (START_TASK, {"task_title": "Do nothing"}),
        ],
    )
    assert started[0] is False
    assert nothing[0] is True and "nothing changed since the baseline" in nothing[1]
    assert retried[0] is True and "is already started" in retried[1]
    assert not (tmp_path / "created").exists()
