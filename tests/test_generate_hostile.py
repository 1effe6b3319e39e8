"""Generation is safe for any datum, validated or not (ARCHITECTURE.md invariant 6).

Datums are built with `model_construct`, which skips validation, and filled with hostile strings
(newlines, quotes, `$(...)`, backticks, backslashes, leading dashes, NUL) in every field that
reaches the Dockerfile or box_bootstrap.sh. For every such datum generation either refuses with
a DatumError naming the field, or writes files where:

- the Dockerfile has exactly the instructions of the same template filled with plain values;
- every ENV/LABEL/ARG value reads back, by Docker's quoting rules, as exactly the datum's value;
- the baseline stage's fetch RUN, executed under /bin/sh with a stand-in `git` that records its
  arguments, runs no command from a value and hands git the values as whole arguments;
- box_bootstrap.sh, executed under /bin/sh, runs nothing from a value and exports exactly the
  datum's env.

A value that runs a command leaves a marker file, so "runs nothing" is an observation.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from dockerfile_parse import DockerfileParser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datumkit.errors import DatumError
from datumkit.generate import bootstrap, dockerfile
from datumkit.model.datum import (
    Datum,
    Environment,
    Evaluation,
    Lm,
    Metadata,
    RepoSpec,
    Rubric,
    Sensitivity,
)
from datumkit.model.datumdir import DatumSource, DiskFiles

MARKER = Path(tempfile.gettempdir()) / f"datumkit-hostile-marker-{os.getpid()}"
SHA = "0123456789abcdef0123456789abcdef01234567"
FRAGMENTS = [
    "\n",
    "\r",
    "\x00",
    "\t",
    f"$(touch {MARKER})",
    f"`touch {MARKER}`",
    f"; touch {MARKER}",
    f"' ; touch {MARKER} ; '",
    f'" ; touch {MARKER} ; "',
    f"\nRUN touch {MARKER}\n",
    "\\",
    "\\\n",
    "${HOME}",
    "$HOME",
    "-",
    "--upload-pack=touch",
    " ",
    "#",
    "&&",
    "|",
    "'",
    '"',
    "..",
    "/",
    "*",
    "ü",
]
hostile = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(st.characters(codec="utf-8"), max_size=4)),
    min_size=1,
    max_size=5,
).map("".join)
#: what every field can be: plain or hostile (strict fields would otherwise always be refused)
sha = st.one_of(st.just(SHA), hostile)
workdir = st.one_of(st.just("/srv/repo"), hostile)
image = st.one_of(st.just("python:3.11-slim"), hostile)
env_name = st.one_of(st.sampled_from(["A", "B_2", "_C"]), hostile)
package = st.one_of(st.sampled_from(["curl", "libpq-dev"]), hostile)


def _datum(**fields: Any) -> Datum:
    """A Datum that skipped validation entirely."""
    return Datum.model_construct(
        task_id=fields["task_id"],
        metadata=Metadata.model_construct(title="t", summary="s", tags=[]),
        repo=RepoSpec.model_construct(
            git_url=fields["git_url"],
            branch=fields["branch"],
            start_commit_sha=fields["sha"],
            subdir=fields["subdir"],
            sparse_checkout=fields["sparse"],
        ),
        sensitivity=Sensitivity.model_construct(level="safe"),
        lm=Lm.model_construct(instructions="x"),
        evaluation=Evaluation.model_construct(
            rubrics=[
                Rubric.model_construct(id="r", criterion="c", weight=1.0, evaluation_criteria=["e"])
            ]
        ),
        environment=Environment.model_construct(
            base_image=fields["image"],
            system_packages=fields["packages"],
            install=fields["install"],
            env=fields["env"],
            workdir=fields["workdir"],
        ),
        overlay_extras=[],
    )


datums = st.fixed_dictionaries(
    {
        "task_id": hostile,
        "git_url": hostile,
        "branch": hostile,
        "sha": sha,
        "subdir": st.one_of(st.just(""), hostile),
        "sparse": st.lists(hostile, max_size=3),
        "image": image,
        "packages": st.lists(package, max_size=3),
        "install": st.lists(hostile, max_size=3),
        "env": st.dictionaries(env_name, hostile, max_size=3),
        "workdir": workdir,
    }
)


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    """The same shape (list lengths, subdir or not) with harmless values."""
    return {
        "task_id": "re-bench-plain",
        "git_url": "https://example.invalid/r.git",
        "branch": "main",
        "sha": SHA,
        "subdir": "sub" if fields["subdir"] else "",
        "sparse": [f"p{i}" for i in range(len(fields["sparse"]))],
        "image": "python:3.11-slim",
        "packages": [f"pkg{i}" for i in range(len(fields["packages"]))],
        "install": [f"true {i}" for i in range(len(fields["install"]))],
        "env": {f"K{i}": "v" for i in range(len(fields["env"]))},
        "workdir": "/app",
    }


def _source(fields: dict[str, Any], where: Path) -> DatumSource:
    return DatumSource(name="hostile", datum=_datum(**fields), files=DiskFiles(where))


def _docker_double_quoted(word: str) -> str:
    """Docker's lexer on one double-quoted word: only \\", \\$ and \\\\ are escapes."""
    assert word.startswith('"') and word.endswith('"'), word
    out, chars, i = [], word[1:-1], 0
    while i < len(chars):
        if chars[i] == "\\" and i + 1 < len(chars) and chars[i + 1] in '"$\\':
            out.append(chars[i + 1])
            i += 2
            continue
        assert chars[i] not in '"', f"unescaped quote in {word!r}"
        out.append(chars[i])
        i += 1
    return "".join(out)


FAKE_GIT = """#!/bin/sh
{ printf '%s\\n' '---'; for a in "$@"; do printf '[%s]\\n' "$a"; done; } >> "$FAKE_LOG"
case "$*" in
  *sparse-checkout*) cat >> "$FAKE_STDIN" ;;
  *update-ref*) cat > /dev/null ;;
esac
case "$1" in rev-parse|rev-list) printf '%s\\n' "$FAKE_SHA" ;; esac
exit 0
"""


@pytest.fixture(scope="module")
def fake_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("fakebin")
    git = directory / "git"
    git.write_text(FAKE_GIT)
    git.chmod(git.stat().st_mode | stat.S_IXUSR)
    return directory


def _run_fetch_step(
    parsed: DockerfileParser, fields: dict[str, Any], fake_bin: Path, where: Path
) -> None:
    """Execute the baseline stage's fetch RUN with a recording git; check what git received."""
    fetch = next(i for i in parsed.structure if i["value"].startswith("git init"))
    log, stdin = where / "git.log", where / "stdin"
    (where / ".git").mkdir(parents=True)
    env = {
        "PATH": f"{fake_bin}:{os.environ['PATH']}",
        "REPO_URL": fields["git_url"],
        "FAKE_LOG": str(log),
        "FAKE_STDIN": str(stdin),
        "FAKE_SHA": fields["sha"],
    }
    result = subprocess.run(["sh", "-c", fetch["value"]], cwd=where, env=env, capture_output=True)
    assert result.returncode == 0, result.stderr
    calls = log.read_text().split("---\n")[1:]
    expected_fetch = ["fetch", "--quiet", "--depth", "1", "--", fields["git_url"], fields["sha"]]
    assert "".join(f"[{a}]\n" for a in expected_fetch) in calls
    if fields["sparse"]:
        assert stdin.read_text() == "".join(f"{p}\n" for p in fields["sparse"])


def _run_bootstrap(script: bytes, fields: dict[str, Any], fake_bin: Path, where: Path) -> None:
    path = where / "box_bootstrap.sh"
    path.write_bytes(script)
    repo = where / "repo"
    task = repo / fields["subdir"] if fields["subdir"] else repo
    repo.mkdir(exist_ok=True)
    with contextlib.suppress(OSError, ValueError):
        task.mkdir(parents=True, exist_ok=True)
    base = {"PATH": f"{fake_bin}:{os.environ['PATH']}", "FAKE_SHA": fields["sha"]}
    base |= {"FAKE_LOG": str(where / "bgit.log"), "FAKE_STDIN": str(where / "bstdin")}
    show = [
        sys.executable,
        "-c",
        "import json, os; print(json.dumps([os.getcwd(), dict(os.environ)]))",
    ]
    # the default directory (the datum's workdir): it may not exist; what matters is no marker
    subprocess.run(["sh", str(path), *show], cwd=where, env=base, capture_output=True)
    result = subprocess.run(
        ["sh", str(path), *show],
        cwd=where,
        env={**base, "REPO_DIR": str(repo)},
        capture_output=True,
    )
    if fields["subdir"] and not (task.is_dir() and task.resolve().is_relative_to(repo)):
        return  # a subdir no file system can hold: cd fails, which is all it can do
    if fields["sha"] != SHA:
        return  # the stand-in git echoes any "baseline"; what matters here is that nothing ran
    assert result.returncode == 0, result.stderr
    cwd, environ = json.loads(result.stdout)
    assert Path(cwd).resolve() == task.resolve()
    for key, value in fields["env"].items():
        assert environ[key] == value


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(fields=datums)
def test_no_value_adds_an_instruction_or_runs_a_command(
    fields: dict[str, Any], fake_bin: Path
) -> None:
    MARKER.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch)
        source = _source(fields, where)
        try:
            rendered = dockerfile.render(source)[dockerfile.PATH]
            script = bootstrap.render(source)[bootstrap.PATH]
        except DatumError as refused:
            assert refused.file == "datums/hostile/datum.yaml"
            assert refused.location
            return
        plain = dockerfile.render(_source(_plain(fields), where))[dockerfile.PATH]
        parsed = DockerfileParser(fileobj=io.BytesIO(rendered))
        expected = DockerfileParser(fileobj=io.BytesIO(plain))
        kinds = [i["instruction"] for i in parsed.structure]
        assert kinds == [i["instruction"] for i in expected.structure]
        for instruction in parsed.structure:
            if instruction["instruction"] == "ENV":
                key, _, word = instruction["value"].partition("=")
                assert _docker_double_quoted(word) == fields["env"][key]
            if instruction["instruction"] == "ARG" and instruction["value"].startswith("REPO_URL"):
                assert _docker_double_quoted(instruction["value"][9:]) == fields["git_url"]
        _run_fetch_step(parsed, fields, fake_bin, where / "fetch")
        _run_bootstrap(script, fields, fake_bin, where)
    assert not MARKER.exists(), "a datum value ran a command"


def test_plain_hostile_values_are_carried_exactly(fake_bin: Path, tmp_path: Path) -> None:
    """Values that are representable are not refused: they arrive exactly, as data."""
    fields = {
        "task_id": "re-bench-x",
        "git_url": f"file:///tmp/$(touch {MARKER})'\"",
        "branch": "-main",
        "sha": SHA,
        "subdir": "-sub/d_1",
        "sparse": ["-x", f"$(touch {MARKER})", "a b", "it's"],
        "image": "python:3.11-slim",
        "packages": ["curl"],
        "install": [f"echo '$(touch {MARKER})'"],
        "env": {"A": f"$(touch {MARKER}) `touch {MARKER}` \"q\" 'q' \\ $HOME -x"},
        "workdir": "/srv/repo",
    }
    test_no_value_adds_an_instruction_or_runs_a_command.hypothesis.inner_test(  # type: ignore[attr-defined]
        fields=fields, fake_bin=fake_bin
    )
    source = _source(fields, tmp_path)
    assert b"refs/heads/-main" in dockerfile.render(source)[dockerfile.PATH]


@pytest.mark.parametrize(
    ("field", "value", "location"),
    [
        ("workdir", "/app\nRUN touch /x", "environment.workdir"),
        ("image", "python\nRUN touch /x", "environment.base_image"),
        ("sha", "--upload-pack=touch /x", "repo.start_commit_sha"),
        ("packages", ["-o=APT::x"], "environment.system_packages"),
        ("install", ["ok \\"], "environment.install[0]"),
        ("install", ["a\nRUN touch /x"], "environment.install[0]"),
        ("env", {"A": "line\nRUN touch /x"}, "environment.env.A"),
        ("env", {"A B": "v"}, "environment.env.A B"),
        ("task_id", "x\nRUN touch /x", "task_id"),
        ("subdir", "a b", "repo.subdir"),
        ("sparse", ["a\nRUN touch /x"], "repo.sparse_checkout[0]"),
        ("branch", "a\nb", "repo.branch"),
    ],
)
def test_unrepresentable_values_are_refused_naming_the_field(
    tmp_path: Path, field: str, value: Any, location: str
) -> None:
    fields = _plain({"subdir": "", "sparse": [], "packages": [], "install": [], "env": {}})
    fields[field] = value
    with pytest.raises(DatumError) as refused:
        dockerfile.render(_source(fields, tmp_path))
    assert refused.value.location == location
    assert str(refused.value).startswith(f"datums/hostile/datum.yaml: {location}: ")


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(fields=datums)
def test_box_bootstrap_runs_no_value_even_where_the_dockerfile_refuses(
    fields: dict[str, Any], fake_bin: Path
) -> None:
    """box_bootstrap.sh is rendered on its own (newlines are fine in sh single quotes, so it
    refuses less than the Dockerfile): executed under /bin/sh, no value runs."""
    MARKER.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch)
        try:
            script = bootstrap.render(_source(fields, where))[bootstrap.PATH]
        except DatumError as refused:
            assert refused.location
            return
        subprocess.run(["sh", "-n", "-c", script.decode("utf-8", "surrogateescape")], check=True)
        _run_bootstrap(script, fields, fake_bin, where)
    assert not MARKER.exists(), "a datum value ran a command"


@pytest.mark.parametrize("subdir", ["/etc", "a/../../etc", ".."])
def test_box_bootstrap_never_leaves_the_repository(tmp_path: Path, subdir: str) -> None:
    fields = _plain({"subdir": "", "sparse": [], "packages": [], "install": [], "env": {}})
    fields["subdir"] = subdir
    with pytest.raises(DatumError) as refused:
        bootstrap.render(_source(fields, tmp_path))
    assert refused.value.location == "repo.subdir"
