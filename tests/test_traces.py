"""Trace checks: the seed's two files, an id on one line, JSON that parses, a size cap."""

from __future__ import annotations

from pathlib import Path

import pytest

from datumkit.errors import UsageProblem
from datumkit.session.traces import (
    DEFAULT_MAX_TRACE_BYTES,
    MAX_TRACE_BYTES_ENV,
    TraceInvalid,
    load_trace_dir,
    max_trace_bytes,
    trace_problems,
)

GOOD = {"session_id.txt": b"sess_0123abcd\n", "session_clean.json": b'{"messages": []}\n'}


def make_trace(directory: Path, files: dict[str, bytes]) -> Path:
    directory.mkdir(parents=True)
    for name, content in files.items():
        (directory / name).write_bytes(content)
    return directory


def messages(problems: list[object]) -> list[str]:
    return [str(p) for p in problems]


def test_a_good_trace_has_no_problems(tmp_path: Path) -> None:
    assert trace_problems(GOOD, display_dir="trace") == []
    assert load_trace_dir(make_trace(tmp_path / "t", GOOD)) == GOOD


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {**GOOD, "session_id.txt": b"\n"},
            "trace/session_id.txt: is empty; it must be the session id on one line",
        ),
        (
            {**GOOD, "session_id.txt": b"a\nb\n"},
            "trace/session_id.txt: has 2 lines; it must be the session id on one line",
        ),
        (
            {**GOOD, "session_clean.json": b'{"messages": [\n'},
            "trace/session_clean.json: line 2 column 1: is not valid JSON",
        ),
        ({"session_id.txt": b"x\n"}, "trace/session_clean.json: missing"),
        ({**GOOD, "screenshot.png": b"\x89PNG"}, "trace/screenshot.png: is not a trace file"),
    ],
)
def test_shape_problems_name_the_file(files: dict[str, bytes], expected: str) -> None:
    (problem,) = messages(trace_problems(files, display_dir="trace"))
    assert problem.startswith(expected)


def test_size_cap_applies_per_file(monkeypatch: pytest.MonkeyPatch) -> None:
    big = {**GOOD, "session_clean.json": b'{"x": "' + b"a" * 100 + b'"}'}
    (problem,) = messages(trace_problems(big, display_dir="trace", max_bytes=50))
    assert "is 109 bytes, over the 50-byte cap" in problem
    assert "--max-trace-bytes" in problem
    monkeypatch.setenv(MAX_TRACE_BYTES_ENV, "50")
    assert len(trace_problems(big, display_dir="trace")) == 1
    assert trace_problems(big, display_dir="trace", max_bytes=200) == []


def test_cap_defaults_and_bad_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MAX_TRACE_BYTES_ENV, raising=False)
    assert max_trace_bytes() == DEFAULT_MAX_TRACE_BYTES == 5 * 1024 * 1024
    monkeypatch.setenv(MAX_TRACE_BYTES_ENV, "lots")
    with pytest.raises(UsageProblem, match="DATUMKIT_MAX_TRACE_BYTES='lots'"):
        max_trace_bytes()


def test_load_lists_every_problem_and_skips_oversized_files(tmp_path: Path) -> None:
    directory = make_trace(
        tmp_path / "t",
        {"session_id.txt": b"", "session_clean.json": b"[" * 500, "extra.txt": b"x"},
    )
    with pytest.raises(TraceInvalid) as caught:
        load_trace_dir(directory, max_bytes=100)
    lines = str(caught.value).splitlines()
    assert [line.split(": ", 2)[1] for line in lines] == [
        "is not a trace file (a trace holds only session_id.txt and session_clean.json; "
        "move anything else out)",
        "is 500 bytes, over the 100-byte cap for trace files (trim the trace, or raise the cap "
        "with --max-trace-bytes or $DATUMKIT_MAX_TRACE_BYTES)",
        "is empty; it must be the session id on one line (write just the id, e.g. 'sess_0123abcd')",
    ]
