"""A datum's files scanned together give exactly the hits of each file scanned on its own.

``scan_datum_files`` asks which plugins can match once for all of a datum's files
(:func:`datumkit.secrets.detect.plugin_gates`) and hands that answer to every text it scans (the
files, the patch's added lines per file, its headers). These tests compare that route with the
per-text route (each file through ``scan_bytes``/``scan_patch`` with every gate asked again) on
generated datums: credentials of every plugin, keywords, NUL and invalid UTF-8, JSON escapes that
hide a credential, characters whose lower case is longer or depends on its neighbours, valid
patches (text and binary sections) and patches git refuses. Same hits, same files, lines, kinds,
hashes and order.
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from datumkit.checks.secrets import GATES_SHARED_MAX_BYTES, is_scanned, scan_datum_files
from datumkit.model.datumdir import PATCH_FILE
from datumkit.secrets import detect
from datumkit.secrets.scan import SecretHit, scan_bytes, scan_patch
from helpers.binarypatch import new_binary_file
from helpers.properties import ci_settings

CI = ci_settings(250)

# Fake credentials, assembled at run time so this file does not look like it holds any.
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
GITHUB = "ghp" + "_" + "aB3dE5gH7jK9mN1pQ2sT4vW6yZ8cF0hJ1234"
ANTHROPIC = "sk-ant-" + "api03-" + "aB3dE5gH7jK9mN1pQ2sT4vW6yZ8cF0hJ" * 2
JWT = (
    "eyJ"
    + "hbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
)
SLACK = "xox" + "b-1234567890-1234567890-aB3dE5gH7jK9mN1pQ2sT4vW6"
PEM = "-----BEGIN RSA " + "PRIVATE KEY-----"

#: pieces a line is made of: credentials and fragments of them, keywords, signs and quotes,
#: bytes that are not UTF-8, NUL, JSON escapes (one hiding an AWS key), case oddities
_PIECES = st.sampled_from(
    [
        AWS_KEY,
        AWS_KEY.lower(),
        "AKIA",
        GITHUB,
        "ghp_",
        ANTHROPIC,
        "sk-",
        JWT,
        "eyJ",
        SLACK,
        PEM,
        "MIIEowIBAAKCAQEA",
        "-----END RSA " + "PRIVATE KEY-----",
        "https://user:hunter2word@example.com/x",
        "://",
        'password = "hunter2xyzzy"',
        "api_key: 'Zq8vLm2nRt5wXy7'",
        'secret_token = "c2VjcmV0dmFsdWVoZXJl"',
        '"abc123secret" == password',
        "key",
        "token",
        "12345678:",
        "AccountKey=",
        "\\u0041KIA" + AWS_KEY[4:],
        '"\\u0041KIA' + AWS_KEY[4:] + '"',  # a JSON string literal hiding an AWS key
        '"gh\\u0070_' + GITHUB[4:] + '"',  # and one hiding a GitHub token
        '\\"',
        "\\n",
        '{"content": "password = \\"hunter2xyzzy\\"\\n"}',
        "\0",
        "\udcff\udcfe",  # bytes 0xff 0xfe, not UTF-8
        "\u0130",  # lower() makes two characters of it
        "\u03a3",  # sigma: its lower case depends on its neighbours
        "\u212a",  # Kelvin sign, lower case k
        "\u017f",  # long s
        " ",
        "=",
        '"',
        "'",
        ":",
        ".",
        "+",
        "-",
        "@@",
        "x",
        "a" * 40,
    ]
)
_LINE = st.lists(_PIECES, max_size=8).map("".join)
_LINES = st.lists(_LINE, max_size=8)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


@st.composite
def _patch(draw: st.DrawFn) -> bytes:
    """A patch: text sections adding lines, maybe a binary section, maybe stray lines that make
    git refuse it (then it is scanned whole)."""
    sections: list[str] = []
    for number in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(["app.py", "conf.json", "notes.md", "x.yaml", "data.txt"]))
        added = draw(st.lists(_LINE, min_size=1, max_size=5))
        context = draw(st.lists(_LINE, max_size=2))
        sections += [
            f"diff --git a/{number}{path} b/{number}{path}",
            "new file mode 100644",
            "--- /dev/null",
            f"+++ b/{number}{path}",
            f"@@ -0,0 +1,{len(added)} @@",
            *(f"+{line}" for line in added),
        ]
        if context:  # a modification: context and removed lines are not scanned
            sections += [
                f"diff --git a/m{number}{path} b/m{number}{path}",
                f"--- a/m{number}{path}",
                f"+++ b/m{number}{path}",
                f"@@ -1,{len(context) + 1} +1,{len(context) + 1} @@",
                *(f" {line}" for line in context),
                f"-{draw(_LINE)}",
                f"+{draw(_LINE)}",
            ]
    if draw(st.booleans()):
        carried = _encode(draw(_LINE)) + b"\0\x89PNG\0"
        sections += new_binary_file("image.png", carried)
    head = draw(_LINES)  # a commit message before the sections
    tail = draw(st.lists(_LINE, max_size=2)) if draw(st.booleans()) else []
    return _encode("\n".join([*head, *sections, *tail]) + "\n")


@st.composite
def _datum(draw: st.DrawFn) -> list[tuple[str, bytes]]:
    files = {
        name: _encode("\n".join(draw(_LINES)))
        for name in draw(
            st.lists(
                st.sampled_from(
                    [
                        "datum.yaml",
                        "notes.md",
                        "verification.json",
                        "trace/session.jsonl",
                        "trace/log.txt",
                        "tb_meta.json",  # generated: not scanned
                        "secrets.allowlist",  # not scanned
                    ]
                ),
                unique=True,
            )
        )
    }
    if draw(st.booleans()):
        files[PATCH_FILE] = draw(_patch())
    if draw(st.booleans()):
        files["blob.bin"] = draw(st.binary(max_size=64)) + _encode(draw(_LINE))
    return sorted(files.items())


def _per_text(files: list[tuple[str, bytes]]) -> list[tuple[str, SecretHit]]:
    """The per-text route: each scanned file on its own, every plugin's gate asked again."""
    hits: list[tuple[str, SecretHit]] = []
    for relative, content in files:
        if not is_scanned(relative):
            continue
        scan = scan_patch if relative == PATCH_FILE else scan_bytes
        hits += [(relative, hit) for hit in scan(content, display_path=f"datums/d/{relative}")]
    return hits


@CI
@given(_datum())
def test_a_datum_scanned_together_gives_each_file_s_own_hits(
    files: list[tuple[str, bytes]],
) -> None:
    assert scan_datum_files(files, display_dir="datums/d") == _per_text(files)


@CI
@given(_LINES, _LINES)
def test_gates_of_a_text_serve_any_text_made_of_pieces_of_its_lines(
    lines: list[str], cuts: list[str]
) -> None:
    """detect() given a wider text's gates reports what it reports asking every gate itself."""
    text = "\n".join(lines)
    gates = detect.plugin_gates(text)
    # pieces of the lines: each line cut at positions drawn from the other list's lengths
    pieces = [
        line[len(cut) % (len(line) + 1) :][: len(cut) + 3]
        for line, cut in zip(lines, [*cuts, *[""] * len(lines)], strict=False)
    ]
    for scanned_as in ("notes.md", "app.py", "x.json"):
        assert detect.detect(pieces, scanned_as, gates) == detect.detect(pieces, scanned_as)
        assert detect.detect(lines, scanned_as, gates) == detect.detect(lines, scanned_as)


def test_a_datum_with_credentials_is_found_the_same_either_route() -> None:
    """Not only empty results agree: the generated pieces do produce hits (a sanity check)."""
    notes = _encode(f"id = \n\0\udcff {GITHUB}\n")
    patch = _encode(
        "\n".join(
            [
                "diff --git a/a.py b/a.py",
                "new file mode 100644",
                "--- /dev/null",
                "+++ b/a.py",
                "@@ -0,0 +1,2 @@",
                f'+password = "hunter2xyzzy" {SLACK}',
                f"+{JWT}",
                "",
            ]
        )
    )
    trace = _encode('{"content": "x = \\"' + "\\u0041KIA" + AWS_KEY[4:] + '\\""}\n')
    files = [("diff.patch", patch), ("notes.md", notes), ("trace/s.json", trace)]
    together = scan_datum_files(files, display_dir="datums/d")
    assert together == _per_text(files)
    assert len({hit.kind for _, hit in together}) >= 4


def test_no_gate_probe_reads_across_a_line_end() -> None:
    """What makes sharing gates exact: a probe match lies inside one line (see plugin_gates)."""
    for _, gate, prefilters in detect._GATED:
        for probe in gate:
            if isinstance(probe, str):
                assert "\n" not in probe
        for pattern in prefilters:
            # no newline, no negated class, no class escape or dot that could match one
            assert not re.search(r"\\[nsSWDB]|\[\^|(?<!\\)\.", pattern.pattern), pattern.pattern


def test_text_lengthened_by_lower_asks_every_gate() -> None:
    assert detect.plugin_gates("\u0130 " + AWS_KEY) is None
    gates = detect.plugin_gates(f"x {AWS_KEY} ://")
    assert gates is not None
    assert {type(entry[0]).__name__ for entry in gates.gated} == {
        "AWSKeyDetector",
        "BasicAuthDetector",
    }


def test_a_large_datum_asks_every_gate_per_text_and_finds_the_same() -> None:
    """Past GATES_SHARED_MAX_BYTES the files are not joined (no copy of all of them held)."""
    filler = b"x = 1\n" * (GATES_SHARED_MAX_BYTES // 6 + 1)
    files = [
        ("notes.md", _encode(f"token {GITHUB}\n")),
        ("trace/log.txt", filler + _encode(f"aws {AWS_KEY}\n")),
    ]
    together = scan_datum_files(files, display_dir="datums/d")
    assert together == _per_text(files)
    assert [hit.kind for _, hit in together] == ["GitHub Token", "AWS Access Key"]
