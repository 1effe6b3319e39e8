"""Fuzzing (hypothesis) of what strangers control: patches, datum.yaml values, YAML and JSON text.

Bounded for CI: a fixed number of examples per property, derandomized (the same examples on
every run, so a failure is reproducible and CI is not flaky), no per-example deadline. A crash
found here is kept as a case in tests/corpus/bad/ (named `fuzz-...`) so it stays fixed.
"""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from datumkit.bounded import TooDeep, loads_json
from datumkit.errors import DatumError
from datumkit.generate import render_all
from datumkit.git.patchparse import parse_patch, unsafe_reason
from datumkit.model.datum import DatumInvalid, validate_datum
from datumkit.model.datumdir import DatumSource, load_source
from datumkit.model.yamlio import load_plain
from helpers.properties import ci_settings
from helpers.repo import BANKING77

CI = ci_settings(150)

# --- patches ----------------------------------------------------------------------------------

_PATH = st.sampled_from(
    [b"a.txt", b"src/x.py", b"../up", b".git/config", b"/abs", b"a/./b", b"x\x00y", b"sp ace"]
)
_LINE = st.one_of(
    st.builds(lambda p: b"diff --git a/" + p + b" b/" + p + b"\n", _PATH),
    st.builds(lambda p: b"--- a/" + p + b"\n", _PATH),
    st.builds(lambda p: b"+++ b/" + p + b"\n", _PATH),
    st.sampled_from(
        [
            b"--- /dev/null\n",
            b"new file mode 100644\n",
            b"deleted file mode 100755\n",
            b"old mode 100644\n",
            b"new mode 120000\n",
            b"similarity index 90%\n",
            b"rename from a.txt\n",
            b"rename to b.txt\n",
            b"index 0000000..1111111 100644\n",
            b"GIT binary patch\n",
            b"literal 0\n",
            b"delta 5\n",
            b"HcmV?d00001\n",
            b"\n",
            b"\\ No newline at end of file\n",
            b'diff --git "a/x\\000" "b/x\\000"\n',
        ]
    ),
    st.builds(
        lambda a, b, c, d: f"@@ -{a},{b} +{c},{d} @@\n".encode(),
        st.integers(0, 10**30),
        st.integers(0, 5),
        st.integers(0, 10**30),
        st.integers(0, 5),
    ),
    st.builds(
        lambda s, t: s + t + b"\n", st.sampled_from([b"+", b"-", b" "]), st.binary(max_size=20)
    ),
    st.binary(max_size=40),
)


@CI
@given(st.lists(_LINE, max_size=30))
def test_patch_parser_never_crashes(lines: list[bytes]) -> None:
    """Any patch either parses to safe paths or is refused with a DatumError."""
    try:
        parsed = parse_patch(b"".join(lines))
    except DatumError:
        return
    for parsed_file in parsed.files:
        for path in (parsed_file.path, parsed_file.old_path):
            if path is not None:
                assert unsafe_reason(path.encode("utf-8", "surrogateescape")) is None


@CI
@given(st.binary(max_size=2000))
def test_patch_parser_on_raw_bytes(data: bytes) -> None:
    with contextlib.suppress(DatumError):
        parse_patch(data)


# --- the model --------------------------------------------------------------------------------

_BASE = load_plain((BANKING77 / "datum.yaml").read_bytes(), file="datum.yaml")
_HOSTILE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "x\nFROM evil",
            "$(touch /tmp/p)",
            "`id`",
            "'; id; '",
            '"; id; "',
            "-oProxyCommand=x",
            "--upload-pack=x",
            "..",
            "../../etc",
            "/etc/passwd",
            "\x00",
            "\x1b[2J",
            "a\\",
            "\u2028",
            "value\n",
            "ext::sh -c id",
            "\\\nRUN id",
            "${HOME}",
            "9" * 5000,
        ]
    ),
    st.integers(),
    st.floats(),
    st.none(),
    st.booleans(),
    st.lists(st.text(max_size=5), max_size=3),
)
_FIELDS = [
    ("task_id",),
    ("metadata", "title"),
    ("metadata", "summary"),
    ("metadata", "tags", 0),
    ("repo", "git_url"),
    ("repo", "branch"),
    ("repo", "start_commit_sha"),
    ("repo", "subdir"),
    ("repo", "sparse_checkout", 0),
    ("sensitivity", "level"),
    ("lm", "instructions"),
    ("evaluation", "rubrics", 0, "id"),
    ("evaluation", "rubrics", 0, "criterion"),
    ("evaluation", "rubrics", 0, "weight"),
    ("evaluation", "rubrics", 0, "evaluation_criteria", 0),
    ("environment", "base_image"),
    ("environment", "system_packages", 0),
    ("environment", "install", 0),
    ("environment", "env", "PYTHONDONTWRITEBYTECODE"),
    ("environment", "env", "KEY"),
    ("environment", "workdir"),
    ("overlay_extras", 0),
]
#: the instructions the Dockerfile template uses; a value must never add another
_TEMPLATE_INSTRUCTIONS = {"FROM", "LABEL", "ARG", "RUN", "WORKDIR", "ENV", "COPY"}


def _with(data: Any, path: tuple[str | int, ...], value: Any) -> Any:
    document = copy.deepcopy(data)
    node = document
    for key in path[:-1]:
        if isinstance(node, dict) and key not in node:
            node[key] = [] if isinstance(path[path.index(key) + 1], int) else {}
        node = node[key]
    last = path[-1]
    if isinstance(node, list) and isinstance(last, int) and last >= len(node):
        node.append(value)
    else:
        node[last] = value
    return document


class _Files:
    """The banking77 files, datum.yaml aside (the fuzzed datum is validated from data)."""

    def read(self, relative: str) -> bytes | None:
        path = BANKING77 / relative
        return path.read_bytes() if path.is_file() else None

    def list(self, prefix: str = "") -> list[str]:
        return []


@CI
@given(st.sampled_from(_FIELDS), _HOSTILE)
def test_model_accepts_only_what_generation_can_represent(
    field: tuple[str | int, ...], value: Any
) -> None:
    """A hostile value is refused; if accepted, the Dockerfile keeps the template's shape."""
    data = _with(_BASE, field, value)
    try:
        datum = validate_datum(data, name="banking77", file="datum.yaml")
    except DatumInvalid as error:
        assert error.problems and all(p.message for p in error.problems)
        return
    source = DatumSource(name="banking77", datum=datum, files=_Files())
    try:
        outputs = render_all(source)
    except DatumError:
        return
    dockerfile = outputs["Dockerfile"].decode("utf-8")
    starts = [
        line.split(" ", 1)[0]
        for line in dockerfile.split("\n")
        if line and not line.startswith((" ", "#"))
    ]
    assert set(starts) <= _TEMPLATE_INSTRUCTIONS, dockerfile
    # the two stages' FROM lines and no other: an injected FROM would replace the base image
    froms = [line for line in dockerfile.split("\n") if line.startswith("FROM ")]
    assert len(froms) == 2 and froms[1] == "FROM baseline AS solution", dockerfile
    for text in (dockerfile, outputs["overlay_files/box_bootstrap.sh"].decode("utf-8")):
        assert "\r" not in text and "\x00" not in text and "\x1b" not in text
    json.loads(outputs["tb_meta.json"])


# --- YAML and JSON text -----------------------------------------------------------------------

_YAML_PIECES = st.lists(
    st.sampled_from(
        [
            *("[", "]", "{", "}", "a: ", "- ", "\n", "  ", "&x ", "*x", '"', "'"),
            *("!!python/name:os.system", "9" * 200, "\x00", "\t", "? ", "|", ">", "#"),
            *(": ", ",", "%YAML 1.1\n", "---\n"),
        ]
    ),
    max_size=200,
)


@CI
@given(_YAML_PIECES)
def test_yaml_loading_never_crashes(pieces: list[str]) -> None:
    with contextlib.suppress(DatumError):
        load_plain("".join(pieces).encode("utf-8"), file="datum.yaml")


@CI
@given(st.integers(1, 3000), st.sampled_from(["[", '{"a":']))
def test_json_depth_is_bounded(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    text = opener * depth + "1" + closer * depth
    try:
        loads_json(text, "x.json")
    except TooDeep:
        assert depth > 64
    else:
        assert depth <= 64


def test_datum_files_load_from_the_fuzz_fixture(tmp_path: Path) -> None:
    """The fixture the model fuzz test uses is the real banking77 datum (not a stale copy)."""
    assert load_source("banking77", _Files()).datum.name == "banking77"  # type: ignore[arg-type]
