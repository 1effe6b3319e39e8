"""A session's trace: the two files the seed guide names, checked before they enter a datum.

``trace/session_id.txt`` holds the session's id (one non-empty line) and
``trace/session_clean.json`` the recorded session (JSON). Traces come from proxies and agents,
not from people, so they are checked mechanically: nothing else in ``trace/``, the id is one line,
the JSON parses, no file is larger than the cap (5 MiB by default; ``--max-trace-bytes`` or
``$DATUMKIT_MAX_TRACE_BYTES`` change it), and (in :mod:`datumkit.secrets.scan`) no credentials.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from datumkit.bounded import TooDeep, TooLarge, loads_json, read_capped
from datumkit.errors import DatumError, DatumErrors, UsageProblem

SESSION_ID = "session_id.txt"
SESSION_JSON = "session_clean.json"
TRACE_FILES = (SESSION_ID, SESSION_JSON)
DEFAULT_MAX_TRACE_BYTES = 5 * 1024 * 1024
MAX_TRACE_BYTES_ENV = "DATUMKIT_MAX_TRACE_BYTES"


class TraceInvalid(DatumErrors):
    """A trace breaks one or more rules; ``errors`` holds one error per problem."""


def max_trace_bytes(value: int | None = None) -> int:
    """The size cap per trace file: `value`, else $DATUMKIT_MAX_TRACE_BYTES, else 5 MiB."""
    if value is not None:
        if value <= 0:
            raise UsageProblem(f"trace size cap {value} is not positive", hint="give bytes > 0")
        return value
    configured = os.environ.get(MAX_TRACE_BYTES_ENV)
    if configured is None:
        return DEFAULT_MAX_TRACE_BYTES
    if not configured.strip().isdigit() or int(configured) <= 0:
        raise UsageProblem(
            f"{MAX_TRACE_BYTES_ENV}={configured!r} is not a positive number of bytes",
            hint="set it to e.g. 10485760 (10 MiB), or unset it for the 5 MiB default",
        )
    return int(configured)


def load_trace_dir(directory: Path, *, max_bytes: int | None = None) -> dict[str, bytes]:
    """Read and check a trace directory; {file name: bytes}; TraceInvalid lists every problem.

    Sizes are checked before reading, so a runaway trace is refused without loading it.
    """
    cap = max_trace_bytes(max_bytes)
    display = str(directory)
    if not directory.is_dir():
        raise UsageProblem(
            f"{directory} is not a directory",
            hint=f"give the directory holding {SESSION_ID} and {SESSION_JSON}",
        )
    files: dict[str, bytes] = {}
    problems: list[DatumError] = []
    for path in sorted(directory.iterdir()):
        if path.is_symlink():
            problems.append(_symlink(f"{display}/{path.name}"))
        elif path.name not in TRACE_FILES or not path.is_file():
            problems.append(_unknown(f"{display}/{path.name}"))
        else:
            try:
                files[path.name] = read_capped(path, cap, display=f"{display}/{path.name}")
            except TooLarge:
                problems.append(_too_large(f"{display}/{path.name}", path.stat().st_size, cap))
    reported = {problem.file for problem in problems}
    problems += [
        problem
        for problem in trace_problems(files, display_dir=display, max_bytes=cap)
        if problem.file not in reported
    ]
    if problems:
        raise TraceInvalid(problems)
    return files


def trace_problems(
    files: Mapping[str, bytes],
    *,
    display_dir: str,
    max_bytes: int | None = None,
) -> list[DatumError]:
    """Every rule a trace ({file name in trace/: bytes}) breaks; [] when it is fine."""
    cap = max_trace_bytes(max_bytes)
    problems: list[DatumError] = []
    problems += [_unknown(f"{display_dir}/{name}") for name in files if name not in TRACE_FILES]
    for name in TRACE_FILES:
        display = f"{display_dir}/{name}"
        content = files.get(name)
        if content is None:
            problems.append(
                DatumError("missing", file=display, hint="a trace holds both session files")
            )
        elif len(content) > cap:
            problems.append(_too_large(display, len(content), cap))
        elif name == SESSION_ID:
            problems += _session_id_problems(content, display)
        else:
            problems += _json_problems(content, display)
    return problems


def _session_id_problems(content: bytes, display: str) -> list[DatumError]:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return [DatumError("is not UTF-8 text", file=display, hint="write the session id as text")]
    lines = text.splitlines()
    if len(lines) != 1 or not lines[0].strip():
        what = "is empty" if not text.strip() else f"has {len(lines)} lines"
        return [
            DatumError(
                f"{what}; it must be the session id on one line",
                file=display,
                hint="write just the id, e.g. 'sess_0123abcd'",
            )
        ]
    return []


def _json_problems(content: bytes, display: str) -> list[DatumError]:
    try:
        loads_json(content.decode("utf-8"), display)
    except TooDeep as exc:
        return [exc]
    except UnicodeDecodeError as exc:
        return [DatumError(f"is not UTF-8: {exc.reason} at byte {exc.start}", file=display)]
    except json.JSONDecodeError as exc:
        return [
            DatumError(
                f"is not valid JSON: {exc.msg}",
                file=display,
                location=f"line {exc.lineno} column {exc.colno}",
                hint="export the session again; a truncated trace is the usual cause",
            )
        ]
    return []


def _symlink(display: str) -> DatumError:
    return DatumError(
        "is a symlink",
        file=display,
        hint="datumkit does not follow links out of the trace directory; copy the file instead",
    )


def _unknown(display: str) -> DatumError:
    return DatumError(
        "is not a trace file",
        file=display,
        hint=f"a trace holds only {SESSION_ID} and {SESSION_JSON}; move anything else out",
    )


def _too_large(display: str, size: int, cap: int) -> DatumError:
    return DatumError(
        f"is {size} bytes, over the {cap}-byte cap for trace files",
        file=display,
        hint=f"trim the trace, or raise the cap with --max-trace-bytes or ${MAX_TRACE_BYTES_ENV}",
    )
