"""The secret scan's fast paths find exactly what the slow, per-line ways find.

The scan reads a 5 MiB keyword-dense trace in seconds because it finds candidates with C-level
searches over the whole text and runs Python only where a rule can match (see
``datumkit.secrets.detect``). Each shortcut here is checked against the straightforward form it
replaces, on generated inputs: keyword starts and comparisons against detect-secrets' rules tried
line by line, the JWT pattern against detect-secrets' own, the JSON literal search against
pairing quote tokens, the rewritten prefilters against their plain forms. No test times anything
(speed is ``benchmarks/secrets_scan.py``'s); the dense inputs assert results only.
"""

from __future__ import annotations

import json
import re
import sys
from itertools import accumulate

from detect_secrets.plugins.ibm_cloud_iam import IbmCloudIamDetector
from detect_secrets.plugins.ibm_cos_hmac import IbmCosHmacDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.keyword import DENYLIST
from hypothesis import given
from hypothesis import strategies as st

from datumkit.secrets import detect
from datumkit.secrets.plugins import LinearJwtTokenDetector
from datumkit.secrets.redact import redact_file
from datumkit.secrets.scan import _ESCAPED_LITERAL, hash_secret, locate_in_bytes, scan_bytes
from helpers.properties import ci_settings

CI = ci_settings(300)

# Fake credentials, assembled at run time so this file does not look like it holds any.
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"

_PIECES = st.sampled_from(
    [
        "password",
        "passwd",
        "pwd",
        "secret",
        "api_key",
        "API_KEY",
        "db_pass",
        "private_key",
        "contraseña",
        "secret_token",
        "key_pass",
        "get_secret()",
        "PASSWORD",
        "xsecret",
        " = ",
        "=",
        "==",
        "!=",
        "===",
        "!==",
        "====",
        ":",
        ": ",
        ":=",
        "=>",
        "(",
        "[",
        "]",
        "[25]",
        ".assign(",
        "@",
        '"',
        "'",
        "`",
        '\\"',
        ";",
        ",",
        " ",
        "  ",
        "\t",
        "\n",
        "hunter2",
        "s3cr3tV4lu3",
        "value0",
        "x",
        "$VAR",
        "abc123",
        "\u0130",
        "\u017f",
        "\u212a",
        "é",
    ]
)
_NAMES = st.sampled_from(
    ["notes.md", "a.py", "main.go", "c.yaml", "x.c", "x.cpp", "t.json", "k.ini", "string"]
)


def _area(length: int, start: int) -> int:
    return detect._area(length, start)[0]


@CI
@given(st.lists(_PIECES, max_size=60).map("".join), _NAMES)
def test_keyword_starts_found_in_the_whole_text_are_the_per_line_ones(text: str, name: str) -> None:
    """What each line's keyword rules report is the same through the whole-text search (with
    its quote pruning and comparison prefilter) as through the per-line loop."""
    rules = detect._keyword_rules(name)
    lines = text.split("\n")
    starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    found, compared, slow = detect._keyword_candidates(
        text, text.lower(), starts, detect._QUOTED_RULES.issuperset(rules)
    )
    seen_before: detect._Seen = {}
    for index, raw in enumerate(lines):
        line = raw.rstrip()
        expected = {
            (_area(len(line), start), value)
            for _, value, start, _ in detect._keyword_values(line, rules)
        }
        if index in slow:
            assert "İ" in line
            continue
        got = {
            (_area(len(line), start), value)
            for _, value, start, _ in detect._keyword_values_at(
                line, rules, found.get(index, ()), index in compared, seen_before
            )
        }
        assert got == expected, (line, name)


@CI
@given(
    st.lists(
        st.sampled_from(
            [
                *("eyJ", "e", "y", "J", ".", "..", "a", "=", "-", "_", "/", "+", " ", '"'),
                *("c2ln", "eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiIxIn0"),
            ]
        ),
        max_size=40,
    ).map("".join)
)
def test_the_linear_jwt_pattern_finds_what_detect_secrets_finds(text: str) -> None:
    original = JwtTokenDetector()
    linear = LinearJwtTokenDetector()
    tokens = [match[1] for match in linear.denylist[0].finditer(text) if match[1] is not None]
    assert tokens == JwtTokenDetector.denylist[0].findall(text)
    assert list(linear.analyze_string(text)) == list(original.analyze_string(text))


def test_the_run_classes_are_the_ibm_plugins_classes_ignoring_case() -> None:
    """Every character of Unicode: the spelled-out classes match what the plugins' classes
    match under IGNORECASE (which adds the dotted and dotless i, the long s, the Kelvin sign)."""
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    plugin_classes = {
        IbmCloudIamDetector: r"[a-zA-Z0-9_\-]",
        IbmCosHmacDetector: r"[a-f0-9]",
    }
    for plugin, original in plugin_classes.items():
        chars, _ = detect.RUN_CLASSES[plugin]
        assert re.findall(f"[{chars}]", everything) == re.findall(
            original, everything, re.IGNORECASE
        )


def _literal_pairs(line: str) -> list[str]:
    """The plain way: quote tokens not consumed by an escape, paired in order."""
    quotes = [m.start() for m in re.finditer(r'\\.|"', line, re.DOTALL) if m.group() == '"']
    pairs = [line[a : b + 1] for a, b in zip(quotes[0::2], quotes[1::2], strict=False)]
    return [literal for literal in pairs if "\\" in literal]


@CI
@given(
    st.lists(
        st.sampled_from(['"', "\\", '\\"', "\\\\", "\\n", "a", " ", "\n", "\\x", "{", ":"]),
        max_size=50,
    ).map("".join)
)
def test_escaped_literals_are_found_as_quote_pairs_line_by_line(text: str) -> None:
    expected = [literal for line in text.split("\n") for literal in _literal_pairs(line)]
    assert [literal for literal in _ESCAPED_LITERAL.findall(text) if literal] == expected


_PLAIN_PREFILTERS = {
    "DiscordBotTokenDetector": r"[mno][a-z0-9_-]{23,25}\.",
    "TelegramBotTokenDetector": r"[0-9]{8}:",
    "TwilioKeyDetector": r"(?:ac|sk)[a-z0-9]{32}",
}


@CI
@given(
    st.lists(
        st.sampled_from(["m", "n", "o", "a", "c", "s", "k", "1", "0", "-", "_", ".", ":", "\n"])
        | st.sampled_from(["a" * 23, "1" * 8, "ac" + "b" * 32, "sk" + "1" * 31, "m" + "x" * 24]),
        max_size=30,
    ).map("".join)
)
def test_prefilters_starting_with_a_literal_match_the_lines_the_plain_forms_match(
    text: str,
) -> None:
    lines = text.split("\n")
    starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    for plugin, patterns in detect._PREFILTERED:
        plain = _PLAIN_PREFILTERS.get(type(plugin).__name__)
        if plain is None:
            continue
        got = {i for pattern in patterns for i in detect._lines_matching(pattern, text, starts)}
        assert got == set(detect._lines_matching(re.compile(plain), text, starts))


def test_a_credential_twice_on_a_line_is_one_hit_with_detect_secrets_hash() -> None:
    """The hash names the value (what an allowlist entry and detect-secrets name), not every
    copy on the line joined."""
    content = f"a = {AWS_KEY}, b = {AWS_KEY}\n".encode()
    located = locate_in_bytes(content, display_path="notes.md")
    assert [(found.hit.secret, found.hit.hashed) for found in located] == [
        (AWS_KEY, hash_secret(AWS_KEY))
    ]
    assert [(span.start, span.end) for span in located[0].spans] == [(4, 24), (30, 50)]


def test_a_long_line_dense_in_one_assignment_is_one_credential_everywhere() -> None:
    """Thousands of copies across hundreds of windows: one hit, every copy redacted."""
    line = 'password="hunter2x" ' * 20_000
    content = line.encode()
    hits = scan_bytes(content, display_path="notes.md")
    assert [(hit.kind, hit.secret) for hit in hits] == [("Secret Keyword", "hunter2x")]
    redacted = redact_file(content, display_path="notes.md").content.decode()
    assert "hunter2x" not in redacted
    assert redacted.count("<REDACTED:Secret Keyword:") == 20_000


def test_a_trace_line_with_thousands_of_raw_and_escaped_credentials() -> None:
    """Each key found raw and each one hidden by escaping, on one JSON line (the check of
    which decoded hits the raw scan already has is by index, not one against all)."""
    keys = [f"AKIA{n:016d}" for n in range(3000)]
    values = [f'password = \\"s3cret{n}\\" {key}' for n, key in enumerate(keys)]
    content = ("[" + ", ".join(f'"{value}"' for value in values) + "]\n").encode()
    json.loads(content)
    hits = scan_bytes(content, display_path="trace/session.json")
    assert sorted(hit.secret for hit in hits if hit.kind == "AWS Access Key") == sorted(keys)
    assert len([hit for hit in hits if hit.kind == "Secret Keyword"]) == 3000


def test_a_line_whose_lower_case_is_longer_is_still_read_by_the_keyword_rules() -> None:
    """``İ`` lower-cases to two characters: that line takes the per-line way, and is found."""
    content = 'İstanbul\npassword = "hunter2x" # İ\nsecret = "s3cr3tV4lu3"\n'.encode()
    hits = scan_bytes(content, display_path="notes.md")
    assert [(hit.line, hit.secret) for hit in hits] == [(2, "hunter2x"), (3, "s3cr3tV4lu3")]


def test_literal_prefilters_are_recognised_and_the_rest_kept_as_regexes() -> None:
    assert detect.literal_alternatives(r"a3t|abia|aws") == ("a3t", "abia", "aws")
    assert detect.literal_alternatives(r"sk\-ant\-") == ("sk-ant-",)
    assert detect.literal_alternatives(r"hooks\.slack\.com") == ("hooks.slack.com",)
    for regex in (r"gh[pousr]_", r"-us[0-9]", r"cl[_-]?(?:api)?key", r":(?<=[0-9]{8}:)", r"a\d"):
        assert detect.literal_alternatives(regex) is None


_GATE_WORDS = sorted(
    {
        word
        for _, gate, _ in detect._GATED
        for probe in gate
        for word in ([probe] if isinstance(probe, str) else [])
    }
)


@CI
@given(
    st.lists(
        st.sampled_from(_GATE_WORDS)
        | st.sampled_from(["a", "k", "s", "-", ".", ":", "\\", "|", " ", "\n", "e", "y", "j"]),
        max_size=12,
    ).map("".join)
)
def test_each_plugins_gate_agrees_with_its_prefilters(text: str) -> None:
    """A plugin runs on a text exactly when one of its prefilters matches somewhere in it."""
    for plugin, gate, patterns in detect._GATED:
        gated = any(
            (probe in text) if isinstance(probe, str) else probe.search(text) for probe in gate
        )
        assert gated == any(p.search(text) for p in patterns), type(plugin).__name__


# --- the combined gate: one multi-string search for every plugin's prefilters ------------------

_PREFILTERS = [prefilter for _, _, prefilters in detect._GATED for prefilter in prefilters]
_EXPANDED = [
    (prefilter, detect.expand_prefilter(prefilter.pattern))
    for prefilter in _PREFILTERS
    if detect.expand_prefilter(prefilter.pattern) is not None
]


def test_prefilters_spell_out_into_the_strings_they_match() -> None:
    assert detect.expand_prefilter(r"gh[pousr]_") == ("gho_", "ghp_", "ghr_", "ghs_", "ghu_")
    assert detect.expand_prefilter(r"a\.b?|c[x\-z]") == ("a.", "a.b", "c-", "cx", "cz")
    assert detect.expand_prefilter(r"cl[_-]?(?:api)?(?:key|pw)") is not None
    for regex in (r":(?<=[0-9]{8}:)", r"ac[a-z0-9]{32}", r"a\d", r"a*", r"[^a]", r"x?", r"a.b"):
        assert detect.expand_prefilter(regex) is None, regex
    # most prefilters spell out; the few with a lookbehind or a repetition stay regexes
    assert len(_EXPANDED) >= len(_PREFILTERS) - 4
    for prefilter, strings in _EXPANDED:
        assert strings and all(prefilter.fullmatch(string) for string in strings), prefilter


@CI
@given(st.data())
def test_every_string_a_prefilter_matches_is_spelled_out(data: st.DataObject) -> None:
    prefilter, strings = data.draw(st.sampled_from(_EXPANDED))
    assert data.draw(st.from_regex(prefilter, fullmatch=True)) in set(strings or ())


_GATE_PIECES = sorted(
    {string for _, strings in _EXPANDED for string in strings or ()}
    | {"...", ":", "12345678:", "m" + "a" * 24 + ".", "ac" + "b" * 32, "sk" + "9" * 32, "sk-"}
)


@CI
@given(
    st.lists(
        st.sampled_from(_GATE_PIECES)
        | st.sampled_from(["a", "k", "s", "-", ".", ":", "_", " ", "\n", "e", "y", "j", "0"])
        | st.text(max_size=3),
        max_size=14,
    ).map("".join)
)
def test_the_combined_gate_selects_exactly_the_plugins_each_gate_selects(text: str) -> None:
    """One search (passing_gates) lets through exactly the plugins asking each gate would."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = text  # passing_gates is only asked of text lower() keeps the length of
    each = tuple(
        number for number, (_, gate, _) in enumerate(detect._GATED) if detect._passes(gate, lowered)
    )
    assert detect.passing_gates(lowered) == each


def test_a_text_too_long_for_the_combined_gate_asks_each_gate() -> None:
    filler = "x = 1\n" * (detect._COMBINED_MAX_CHARS // 6 + 1)
    for text in (filler, filler + "aws ghp_ 12345678: " + "ac" + "b" * 32):
        each = tuple(
            n for n, (_, gate, _) in enumerate(detect._GATED) if detect._passes(gate, text)
        )
        assert detect.passing_gates(text) == each
    assert detect.passing_gates(filler) == ()


def test_text_with_undecodable_bytes_takes_each_gate() -> None:
    text = "\udcff aws \udc80 ://"
    each = tuple(n for n, (_, gate, _) in enumerate(detect._GATED) if detect._passes(gate, text))
    assert detect.passing_gates(text) == each != ()


_KEYWORD_PIECES = sorted(
    {word for keyword in DENYLIST for word in detect.expand_prefilter(keyword) or (keyword,)}
    | {"key", "pass", "_", "=", ":", '"', "'", "`", " ", "\n", "(", "[", ".", "@", "==", ";", "ñ"}
)


@CI
@given(st.lists(st.sampled_from(_KEYWORD_PIECES) | st.text(max_size=3), max_size=16).map("".join))
def test_keyword_runs_from_one_search_are_the_regex_s_matches(text: str) -> None:
    lowered = text.lower()
    expected = [(m.span(), m.groups()) for m in detect._KEYWORD_RUN.finditer(lowered)]
    assert [(m.span(), m.groups()) for m in detect._keyword_runs(lowered)] == expected


def test_keyword_runs_of_text_with_surrogates_or_too_long_take_the_regex() -> None:
    for text in ("\udcff password = 'x' \udc80 secret: 1", "x = 1\n" * 50_000 + "apikey = 'v'"):
        expected = [(m.span(), m.groups()) for m in detect._KEYWORD_RUN.finditer(text)]
        assert [(m.span(), m.groups()) for m in detect._keyword_runs(text)] == expected
        assert expected


def test_a_file_type_is_its_name_s_last_part_s() -> None:
    """detect() asks the keyword rules by a name's last part (its memo): the type is the same."""
    from detect_secrets.util.filetype import determine_file_type

    for path in ("datums/d/datum.yaml", "a.b/c", "x.py/y.yml", "dir.go/file", "a/.env", "t.d/"):
        assert determine_file_type(path) == determine_file_type(path.rpartition("/")[2]), path
