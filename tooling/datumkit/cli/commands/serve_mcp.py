"""`datum mcp`: serve repo.start_task.v1 and repo.end_task.v1 to an MCP client over stdio."""

from __future__ import annotations

from datumkit.cli.commands import EXIT_OK


def serve_mcp() -> int:
    from datumkit.cli.mcp import serve

    serve()
    return EXIT_OK
