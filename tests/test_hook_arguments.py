"""`datum-hook`'s arguments: read without argparse in the usual shape, as argparse reads them.

The hook reads `HOOK [--fix] FILES...` itself (argparse and its parser cost ~10 ms of every
commit); anything else goes to argparse. These tests hold the two readings equal, and check
that argparse still answers what only it can (help, usage errors).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datumkit_hooks.main import HookArguments, parse_arguments, parse_with_argparse
from helpers.properties import ci_settings

#: arguments that exercise every branch: hooks, the flag and its abbreviation, options argparse
#: refuses, `--`, `-` and file names that look like options, quotes and `$(...)`
WORDS = st.sampled_from(
    [
        "all",
        "schema",
        "generated",
        "patch",
        "secrets",
        "nope",
        "--fix",
        "--fi",
        "--fix=1",
        "-h",
        "--help",
        "--",
        "-",
        "-x",
        "-1",
        "",
        "datums/a/datum.yaml",
        "datums/a b/it's.md",
        "$(touch /tmp/x)",
        "@file",
    ]
)


def _argparse_outcome(args: list[str]) -> HookArguments | int:
    try:
        return parse_with_argparse(args)
    except SystemExit as leaving:  # usage errors and --help
        return int(leaving.code or 0)


@ci_settings(max_examples=600)
@given(st.lists(WORDS, max_size=6))
def test_the_usual_shape_is_read_as_argparse_reads_it(args: list[str]) -> None:
    expected = _argparse_outcome(args)
    try:
        got: HookArguments | int = parse_arguments(args)
    except SystemExit as leaving:
        got = int(leaving.code or 0)
    assert got == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["all", "a", "--fix", "b"], HookArguments("all", True, ["a", "b"])),
        (["--fix", "generated"], HookArguments("generated", True, [])),
        (["secrets"], HookArguments("secrets", False, [])),
        (["schema", "x", "y"], HookArguments("schema", False, ["x", "y"])),
    ],
)
def test_pre_commits_shapes(args: list[str], expected: HookArguments) -> None:
    assert parse_arguments(args) == expected


@pytest.mark.parametrize("args", [["nope", "a"], ["all", "-x"], [], ["--fix"]])
def test_what_argparse_refuses_still_exits_2(args: list[str]) -> None:
    with pytest.raises(SystemExit) as leaving:
        parse_arguments(args)
    assert leaving.value.code == 2


def test_a_usual_hook_run_never_imports_argparse(project: Path) -> None:
    probe = (
        "import sys\n"
        "from datumkit_hooks.main import main\n"
        "code = main(sys.argv[1:])\n"
        "print(code, 'argparse' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, "schema", "datums/banking77/datum.yaml"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split()[-2:] == ["0", "False"]


def test_help_is_argparses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as leaving:
        parse_arguments(["--help"])
    assert leaving.value.code == 0
    assert "usage: datum-hook" in capsys.readouterr().out
