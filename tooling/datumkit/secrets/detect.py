"""detect-secrets' plugins and filters run over lines of text, in time linear in the text.

Which route into detect-secrets, and why. Its public scanning entry points are ``scan_file``
(a file on disk, read through "transformers" that skip undecodable files), ``scan_diff`` (a
second patch parser, unidiff) and ``scan_line`` (one line under the fixed name
``adhoc-string-scan``, so no file-type rules and no previous line for
``pragma: allowlist nextline secret``). All three go through its dependency-injection loop,
which costs about a millisecond per line: 100 KB of ``password = "..."`` lines took 8 s, so a
5 MiB trace would take minutes. The route chosen is its *plugin API*: each plugin's public
``analyze_string`` (what a ``RegexBasedDetector`` subclass documents) and the public filter
functions of ``detect_secrets.filters`` called with the arguments they declare. Nothing private
of detect-secrets is imported; its settings are never touched, so verification (a network call
per candidate) can never switch on and scans need no global lock.

Linear time. Several of detect-secrets' regexes backtrack: its keyword rules are cubic in the
length of a line dense in keywords (4 KiB of ``secret_secret_...`` took 11 s), and the
patterns with an unbounded repetition after a prefix (``sk-...``, ``eyJ...``) are quadratic on
text dense in that prefix. So:

- a line longer than :data:`WINDOW` characters is read by the regex plugins in overlapping
  windows (each credential up to :data:`OVERLAP` characters long lies whole in one of them);
- the keyword rules are tried only where a keyword starts, each anchored there and reading at
  most :data:`KEYWORD_REACH` characters (the comparison rule ``"value" == password``, which
  starts at the quote, is anchored at the quote before each ``==``/``!=``);
- line filters (the allowlist pragma, the look of the line) read the line, or on a long line
  the window a credential was found in and :data:`OVERLAP` characters either side.

Python only where a finding can be. A 5 MiB trace has a keyword on every line, so the work per
line decides the time. Each plugin runs only on the lines its prefilter (a literal every match
holds) finds in the whole text, the IBM plugins only where a run as long as their secret is;
the keyword starts (the first keyword of each run of word characters, with the sign and quote a
rule needs after it) and the lines where the comparison rule can match are found by one search
each over the whole text (:func:`_keyword_candidates`), so a rule is tried only where it could
match. A rule's result depends only on the text it may read, so results are remembered by that
text (dense text repeats a few). Which plugins can match at all, and where the keywords start,
are each one Aho-Corasick search (ahocorasick-rs) over the text for every string the
prefilters and keywords spell out (:func:`passing_gates`, :func:`_keyword_runs`): a regex
alternation tries every branch at every character, and a search per prefilter read each text
~50 times. ``tests/test_secrets_linear.py`` checks each shortcut against the plain per-line way
(:func:`_keyword_values`, still used on lines ``lower()`` lengthens) or the search it replaces.

On lines of ordinary length every plugin and filter sees what detect-secrets would show it. The
difference is that a keyword rule reports every match on a line, not only the first.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate
from typing import Any

from ahocorasick_rs import AhoCorasick, Implementation, MatchKind
from detect_secrets.filters.allowlist import is_line_allowlisted
from detect_secrets.filters.heuristic import (
    is_likely_id_string,
    is_not_alphanumeric_string,
    is_potential_uuid,
    is_prefixed_with_dollar_sign,
    is_sequential_string,
    is_templated_secret,
)
from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import BasePlugin
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.cloudant import CloudantDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.ibm_cloud_iam import IbmCloudIamDetector
from detect_secrets.plugins.ibm_cos_hmac import IbmCosHmacDetector
from detect_secrets.plugins.keyword import (
    DENYLIST,
    FOLLOWED_BY_ARROW_FUNCTION_SIGN_QUOTES_REQUIRED_REGEX,
    FOLLOWED_BY_COLON_EQUAL_SIGNS_REGEX,
    FOLLOWED_BY_COLON_QUOTES_REQUIRED_REGEX,
    FOLLOWED_BY_COLON_REGEX,
    FOLLOWED_BY_EQUAL_SIGNS_OPTIONAL_BRACKETS_OPTIONAL_AT_SIGN_QUOTES_REQUIRED_REGEX,
    FOLLOWED_BY_EQUAL_SIGNS_QUOTES_REQUIRED_REGEX,
    FOLLOWED_BY_EQUAL_SIGNS_REGEX,
    FOLLOWED_BY_OPTIONAL_ASSIGN_QUOTES_REQUIRED_REGEX,
    FOLLOWED_BY_QUOTES_AND_SEMICOLON_REGEX,
    PRECEDED_BY_EQUAL_COMPARISON_SIGNS_QUOTES_REQUIRED_REGEX,
    QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP,
    REGEX_BY_FILETYPE,
    KeywordDetector,
)
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.softlayer import SoftlayerDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector
from detect_secrets.util.code_snippet import get_code_snippet
from detect_secrets.util.filetype import determine_file_type

from datumkit.secrets.plugins import AI_PROVIDER_PLUGINS, LinearJwtTokenDetector

#: detect-secrets' pattern plugins that run, then ours. Off: the two entropy detectors and the
#: public-IP detector (a datum is full of git SHAs, ids and hashes, which they report by the
#: hundred), and detect-secrets' OpenAI plugin (ours covers its pattern and the newer keys).
REGEX_PLUGINS: tuple[type[BasePlugin], ...] = (
    AWSKeyDetector,
    ArtifactoryDetector,
    AzureStorageKeyDetector,
    BasicAuthDetector,
    CloudantDetector,
    DiscordBotTokenDetector,
    GitHubTokenDetector,
    GitLabTokenDetector,
    IbmCloudIamDetector,
    IbmCosHmacDetector,
    LinearJwtTokenDetector,
    MailchimpDetector,
    NpmDetector,
    PrivateKeyDetector,
    PypiTokenDetector,
    SendGridDetector,
    SlackDetector,
    SoftlayerDetector,
    SquareOAuthDetector,
    StripeDetector,
    TelegramBotTokenDetector,
    TwilioKeyDetector,
    *AI_PROVIDER_PLUGINS,
)
KEYWORD_KIND = str(KeywordDetector.secret_type)

#: characters of a line one regex plugin reads at once, and how much consecutive windows share
WINDOW = 1024
OVERLAP = 256
#: characters after a keyword (or before a comparison) the keyword rules read
KEYWORD_REACH = 256

#: detect-secrets' keywords as one alternation grouped by first letter (the same matches, found
#: faster: the engine tries one branch per position)
_KEYWORDS = "|".join(
    f"{first}(?:{'|'.join(keyword[1:] for keyword in DENYLIST if keyword[0] == first)})"
    for first in dict.fromkeys(keyword[0] for keyword in DENYLIST)
)
#: where a keyword starts, in lower-cased text
_KEYWORD_AT = re.compile("|".join(DENYLIST))
#: the one character whose lower case is longer (U+0130): lines holding it take the slow way
_LENGTHENED_BY_LOWER = re.compile("\u0130")
#: In lower-cased text, the first keyword of each run of word characters with the rest of the
#: run, and what follows that a rule needs: a sign (group 1) or a quote (group 2), looked for as
#: :data:`_SIGN_AHEAD` and :data:`_QUOTE_AHEAD` do, within the line. A match never fails once a
#: keyword is found and takes the whole run, so a search finds each run once, at its first
#: keyword, like the per-line loop of :func:`_keyword_values`; it starts at a literal, which the
#: regex engine skips to quickly.
_KEYWORD_RUN = re.compile(
    "(?:" + _KEYWORDS + r")\w*+"
    r"""(?:(?=[\]'"]{0,2}[^\S\n]{0,256}([:=!(\[.@]))|)"""
    r"""(?:(?=[^\s]{0,50}?[^\S\n]{0,256}['"`]())|)"""
    # group 3: a quote where a quote-requiring rule needs one (a closing quote or bracket, a
    # sign, then the quote; C's ``[25] = @"``; C++'s ``.assign("`` and ``("``)
    r"""(?:(?=[\]'"]{0,2}[^\S\n]{0,256}(?:={1,3}|!==?|=>?|:)[^\S\n]{0,256}['"`]"""
    r"""|(?:\[[0-9]*\])?[^\S\n]{0,256}[!=]{1,2}[^\S\n]{0,256}@?\"|(?:[^\n]assign)?\(\")()|)"""
)
#: the rules that match only with a quote after the keyword's sign (the semicolon rule: a quote
#: somewhere after the keyword); where a file type has no other, a keyword with no quote after
#: it is not tried
_QUOTED_RULES = frozenset(
    (
        FOLLOWED_BY_COLON_QUOTES_REQUIRED_REGEX,
        FOLLOWED_BY_EQUAL_SIGNS_QUOTES_REQUIRED_REGEX,
        FOLLOWED_BY_ARROW_FUNCTION_SIGN_QUOTES_REQUIRED_REGEX,
        FOLLOWED_BY_EQUAL_SIGNS_OPTIONAL_BRACKETS_OPTIONAL_AT_SIGN_QUOTES_REQUIRED_REGEX,
        FOLLOWED_BY_OPTIONAL_ASSIGN_QUOTES_REQUIRED_REGEX,
        FOLLOWED_BY_QUOTES_AND_SEMICOLON_REGEX,
        PRECEDED_BY_EQUAL_COMPARISON_SIGNS_QUOTES_REQUIRED_REGEX,
    )
)
#: where the comparison rule (``"value" == password``) can match: two comparison signs, then
#: (after spaces) a word holding a keyword
_COMPARED_AT = re.compile(r"(?:==|!=|=!|!!)[^\S\n]*\w*?(?:" + _KEYWORDS + ")")
_KEYWORD_AT_IGNORING_CASE = re.compile("|".join(DENYLIST), re.IGNORECASE)
#: a closing quote, spaces or tabs, and the first piece of a run of comparison signs
_QUOTE_THEN_SIGN = re.compile(r"""(['"`])[ \t]*+[!=]{2,3}""")
_WORD = re.compile(r"\w*")

_PLUGINS = tuple(plugin() for plugin in REGEX_PLUGINS)


#: for each pattern plugin, a simple regex (no unbounded repetition, case ignored) that matches
#: somewhere on every line the plugin's patterns match: the whole text is searched once per
#: plugin, and only the lines found are shown to it. Running 32 plugins' regexes on every line
#: of a 5 MiB trace costs a minute; this costs a fraction of a second.
#: Alternatives that do not share a first character are separate searches (the regex engine
#: skips ahead fast only to one literal), and a pattern that would start with a character class
#: starts with its literal and looks behind for the rest.
PREFILTERS: dict[type[BasePlugin], tuple[str, ...]] = {
    AWSKeyDetector: (r"a3t|abia|acca|akia|asia|aws",),
    ArtifactoryDetector: (r"akc|ap[0-9a-f]",),
    AzureStorageKeyDetector: (r"accountkey=",),
    BasicAuthDetector: (r"://",),
    CloudantDetector: (r"cl[_-]?(?:api)?(?:key|pw|pass|token)", r"cloudant\.com"),
    DiscordBotTokenDetector: (
        r"\.(?:(?<=[mno][a-z0-9_-]{23}\.)|(?<=[mno][a-z0-9_-]{24}\.)|(?<=[mno][a-z0-9_-]{25}\.))",
    ),
    GitHubTokenDetector: (r"gh[pousr]_",),
    GitLabTokenDetector: (r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-", r"gr1348941"),
    IbmCloudIamDetector: (r"key|pwd|pass|token",),
    IbmCosHmacDetector: (r"secret",),
    LinearJwtTokenDetector: (r"eyj",),
    MailchimpDetector: (r"-us[0-9]",),
    NpmDetector: (r"_authtoken=",),
    PrivateKeyDetector: (r"begin ", r"putty-user-key-file-2"),
    PypiTokenDetector: (r"pypi-",),
    SendGridDetector: (r"sg\.",),
    SlackDetector: (r"xox", r"hooks\.slack\.com"),
    SoftlayerDetector: (r"sl[_-]?(?:api)?[_-]?(?:key|pwd|pass|token)", r"softlayer"),
    SquareOAuthDetector: (r"sq0csp-",),
    StripeDetector: (r"k_live_",),
    TelegramBotTokenDetector: (r":(?<=[0-9]{8}:)",),
    TwilioKeyDetector: (r"ac[a-z0-9]{32}", r"sk[a-z0-9]{32}"),
    **{plugin: tuple(map(re.escape, plugin.literals)) for plugin in AI_PROVIDER_PLUGINS},
}
#: for some pattern plugins, a second necessary condition: a run of the characters their
#: secret is made of, as long as the secret. The IBM plugins' prefilters are common words
#: (``key``, ``secret``), their secrets 44 and 48 characters long. Each class is the plugin's
#: class under IGNORECASE spelled out (tests/test_secrets_linear.py checks every character).
RUN_CLASSES: dict[type[BasePlugin], tuple[str, int]] = {
    IbmCloudIamDetector: ("A-Za-z0-9_\\-\u0130\u0131\u017f\u212a", 44),
    IbmCosHmacDetector: ("A-Fa-f0-9", 48),
}
#: per plugin: shorter runs, each with the character ending it, skipped without backtracking,
#: then the long run (group 1); matched from a line start, it reads each character once
REQUIRES: dict[type[BasePlugin], re.Pattern[str]] = {
    plugin: re.compile(f"(?:[{chars}]{{0,{size - 1}}}+[^{chars}])*+([{chars}]{{{size}}})")
    for plugin, (chars, size) in RUN_CLASSES.items()
}
#: (plugin, prefilters) for lower-cased text, and for text whose lower case is longer
_PREFILTERED: tuple[tuple[BasePlugin, tuple[re.Pattern[str], ...]], ...] = tuple(
    (plugin, tuple(map(re.compile, PREFILTERS[type(plugin)]))) for plugin in _PLUGINS
)
#: a prefilter that is only literals joined by ``|`` (escapes of punctuation allowed)
_LITERALS_ONLY = re.compile(r"(?:[^\\.^$*+?{}\[\]()]|\\[^A-Za-z0-9])*")


def literal_alternatives(pattern: str) -> tuple[str, ...] | None:
    """The strings a prefilter made only of literals and ``|`` matches, else ``None``.

    Whether a plugin runs at all is asked of each text for every plugin; ``str in`` answers it
    for a literal several times faster than the regex engine (which scans character by
    character), and most prefilters are literals."""
    if not _LITERALS_ONLY.fullmatch(pattern):
        return None
    parts = re.split(r"(?<!\\)\|", pattern)
    return tuple(re.sub(r"\\(.)", r"\1", part) for part in parts)


def _gate(patterns: tuple[re.Pattern[str], ...]) -> tuple[str | re.Pattern[str], ...]:
    """The prefilters as checked before a plugin runs: literals as strings, the rest as is."""
    gate: list[str | re.Pattern[str]] = []
    for pattern in patterns:
        literals = literal_alternatives(pattern.pattern)
        gate.extend(literals if literals is not None and all(literals) else (pattern,))
    return tuple(gate)


#: (plugin, gate, prefilters): the gate says whether a lower-cased text can hold a finding
_GATED: tuple[
    tuple[BasePlugin, tuple[str | re.Pattern[str], ...], tuple[re.Pattern[str], ...]], ...
] = tuple((plugin, _gate(patterns), patterns) for plugin, patterns in _PREFILTERED)


@cache
def _gated_ignoring_case() -> tuple[
    tuple[BasePlugin, tuple[str | re.Pattern[str], ...], tuple[re.Pattern[str], ...]], ...
]:
    """The gates for text whose ``lower()`` is longer (it holds a dotted capital I): the
    prefilters compiled ignoring case, kept as regexes.

    Built on first use: such text is rare, and compiling 39 patterns costs every process that
    imports this module ~4 ms (a one-datum commit's hook among them)."""
    gated = []
    for plugin, patterns in _PREFILTERED:
        ignoring = tuple(re.compile(pattern.pattern, re.IGNORECASE) for pattern in patterns)
        gated.append((plugin, ignoring, ignoring))
    return tuple(gated)


def _passes(gate: tuple[str | re.Pattern[str], ...], searched: str) -> bool:
    """Whether one of a plugin's gate probes is in `searched`."""
    return any(
        (probe in searched) if isinstance(probe, str) else probe.search(searched) is not None
        for probe in gate
    )


#: the most strings one prefilter is spelled out into (see :func:`expand_prefilter`)
_EXPANSION_MAX = 256
_SPECIAL = frozenset("\\.^$*+?{}[]()|")


def expand_prefilter(pattern: str) -> tuple[str, ...] | None:
    """Every string a prefilter matches, when it matches finitely many (at most
    :data:`_EXPANSION_MAX`) non-empty strings and is written with literals, ``\\`` before
    punctuation, classes of characters and ranges (``[0-9a-f]``, not negated), ``(?:...)``
    groups, ``|`` and ``?``; else ``None`` (a lookbehind, a repetition: kept as a regex).

    A text holds a match of such a prefilter exactly when it holds one of these strings, so
    one multi-string search over the text answers the gates of every plugin at once
    (:func:`passing_gates`). ``tests/test_secrets_linear.py`` checks the strings against the
    regex both ways (each fullmatches; every string the regex generates is among them)."""
    try:
        strings, end = _alternation(pattern, 0)
    except ValueError:
        return None
    if end != len(pattern) or not strings or "" in strings:
        return None
    return tuple(sorted(strings))


def _alternation(pattern: str, at: int) -> tuple[set[str], int]:
    strings, at = _sequence(pattern, at)
    while at < len(pattern) and pattern[at] == "|":
        more, at = _sequence(pattern, at + 1)
        strings |= more
    return strings, at


def _sequence(pattern: str, at: int) -> tuple[set[str], int]:
    strings = {""}
    while at < len(pattern) and pattern[at] not in "|)":
        atom, at = _atom(pattern, at)
        if at < len(pattern) and pattern[at] == "?":
            atom = atom | {""}
            at += 1
        strings = {left + right for left in strings for right in atom}
        if len(strings) > _EXPANSION_MAX:
            raise ValueError("too many strings")
    return strings, at


def _atom(pattern: str, at: int) -> tuple[set[str], int]:
    char = pattern[at]
    if pattern.startswith("(?:", at):
        inner, at = _alternation(pattern, at + 3)
        if at >= len(pattern) or pattern[at] != ")":
            raise ValueError("unclosed group")
        return inner, at + 1
    if char == "[":
        return _class(pattern, at + 1)
    if char == "\\":
        return {_escaped(pattern, at)}, at + 2
    if char in _SPECIAL:
        raise ValueError(f"{char!r} is not spelled out")
    return {char}, at + 1


def _class(pattern: str, at: int) -> tuple[set[str], int]:
    if at < len(pattern) and pattern[at] == "^":
        raise ValueError("negated class")
    chars: set[str] = set()
    while at < len(pattern) and pattern[at] != "]":
        if pattern[at] == "\\":
            first, at = _escaped(pattern, at), at + 2
        else:
            first, at = pattern[at], at + 1
        if pattern.startswith("-", at) and at + 1 < len(pattern) and pattern[at + 1] != "]":
            last = _escaped(pattern, at + 1) if pattern[at + 1] == "\\" else pattern[at + 1]
            at += 3 if pattern[at + 1] == "\\" else 2
            chars.update(map(chr, range(ord(first), ord(last) + 1)))
        else:
            chars.add(first)
    if at >= len(pattern) or not chars:
        raise ValueError("unclosed or empty class")
    return chars, at + 1


def _escaped(pattern: str, at: int) -> str:
    """The character after a backslash: only punctuation (``\\d``, ``\\n``... are classes)."""
    if at + 1 >= len(pattern) or pattern[at + 1].isalnum():
        raise ValueError("escape of a letter or digit")
    return pattern[at + 1]


@cache
def _combined_gate() -> tuple[
    AhoCorasick, tuple[tuple[int, ...], ...], tuple[tuple[int, re.Pattern[str]], ...]
]:
    """Built on first use (~2 ms; a pre-commit hook that scans nothing never pays it).

    One multi-string searcher for every prefilter that spells out, which plugins (indexes
    into :data:`_GATED`) each of its strings belongs to, and the prefilters left as regexes."""
    strings: dict[str, set[int]] = {}
    regexes: list[tuple[int, re.Pattern[str]]] = []
    for number, (_, _, prefilters) in enumerate(_GATED):
        for prefilter in prefilters:
            expanded = expand_prefilter(prefilter.pattern)
            if expanded is None:
                regexes.append((number, prefilter))
            else:
                for string in expanded:
                    strings.setdefault(string, set()).add(number)
    # the DFA: built once per process (~1 ms), then ~2.5x faster than the NFAs on a datum
    searcher = AhoCorasick(
        list(strings), matchkind=MatchKind.Standard, implementation=Implementation.DFA
    )
    owners = tuple(tuple(sorted(numbers)) for numbers in strings.values())
    return searcher, owners, tuple(regexes)


#: above this many characters a text asks each gate on its own: the one search reports every
#: occurrence of every string (``key`` is in most lines of a trace), each gate stops at its first
_COMBINED_MAX_CHARS = 1 << 18


def passing_gates(lowered: str) -> tuple[int, ...]:
    """The indexes into :data:`_GATED` of the plugins whose gate passes on `lowered` (text
    whose ``lower()`` kept its length, already lower-cased), in :data:`_GATED`'s order.

    Exactly the plugins :func:`_passes` lets through, found with one Aho-Corasick search for
    every prefilter string (the prefilters that spell out, :func:`expand_prefilter`) and one
    regex search for each plugin the strings did not already let through, instead of a search
    per probe: the ~50 probes of every text were the largest part of a datum's secret scan.
    ``tests/test_secrets_linear.py`` compares the two on generated texts."""
    if len(lowered) > _COMBINED_MAX_CHARS:
        return _each_gate(lowered)
    try:
        searcher, owners, regex_gates = _combined_gate()
        found = searcher.find_matches_as_indexes(lowered, overlapping=True)
    except UnicodeEncodeError:  # surrogates (undecodable bytes): the searcher reads UTF-8 only
        return _each_gate(lowered)
    matched = {match[0] for match in found}
    passing = {number for string in matched for number in owners[string]}
    for number, regex in regex_gates:
        if number not in passing and regex.search(lowered) is not None:
            passing.add(number)
    return tuple(sorted(passing))


def _each_gate(lowered: str) -> tuple[int, ...]:
    """:func:`passing_gates` asking each plugin's gate on its own."""
    return tuple(number for number, entry in enumerate(_GATED) if _passes(entry[1], lowered))


@dataclass(frozen=True)
class PluginGates:
    """The pattern plugins whose gate passes on some text (see :func:`plugin_gates`).

    Why: ``datum check`` scans about seven texts per datum (each file, each file's added lines
    in the patch...) and asking all 76 gate probes of each text was the largest part of the
    scan. The datum's files are asked once; a text made of pieces of their lines asks only the
    few plugins left (usually two)."""

    gated: tuple[
        tuple[BasePlugin, tuple[str | re.Pattern[str], ...], tuple[re.Pattern[str], ...]], ...
    ]


def plugin_gates(text: str) -> PluginGates | None:
    """The plugins whose gate passes on `text`, or ``None`` when ``lower()`` lengthens it.

    Exact for any text whose lines are each a piece of one line of `text`: no gate probe reads
    across a line end (no probe holds a newline or a class that matches one, so a lookbehind
    too reads only its own line), so a probe that matches in such a text matches in `text`; and
    the lower case of a piece of a line is that piece of the line's lower case wherever a probe
    can match (only sigma's lower case depends on its neighbours, and no probe matches one).
    ``tests/test_secrets_batched.py`` compares both routes on generated datums.
    """
    lowered = text.lower()
    if len(lowered) != len(text):
        return None
    return PluginGates(tuple(_GATED[number] for number in passing_gates(lowered)))


#: what every keyword rule needs after the keyword's run of word characters: an assignment or
#: comparison sign, a bracket or a call (after at most two closing quotes/brackets and spaces),
#: or a quote within 50 non-space characters and some spaces (``private_key "x";``)
#: what every keyword rule needs after the keyword's run of word characters: a sign, bracket or
#: call (after at most two closing quotes/brackets and spaces), or a quote after at most 50
#: non-space characters and some spaces (``private_key "x";``)
_SIGN_AHEAD = re.compile(r"""[\]'"]{0,2}\s{0,256}([:=!(\[.@])""")
_QUOTE_AHEAD = re.compile(r"""[^\s]{0,50}?\s{0,256}['"`]""")
#: which of those each rule needs ("q": the quote); a rule not listed here is always tried
_RULE_NEEDS: dict[re.Pattern[str], str] = {
    FOLLOWED_BY_COLON_EQUAL_SIGNS_REGEX: ":",
    FOLLOWED_BY_COLON_REGEX: ":",
    FOLLOWED_BY_COLON_QUOTES_REQUIRED_REGEX: ":",
    FOLLOWED_BY_EQUAL_SIGNS_REGEX: "=!",
    FOLLOWED_BY_EQUAL_SIGNS_QUOTES_REQUIRED_REGEX: "=!",
    FOLLOWED_BY_EQUAL_SIGNS_OPTIONAL_BRACKETS_OPTIONAL_AT_SIGN_QUOTES_REQUIRED_REGEX: "=![",
    FOLLOWED_BY_ARROW_FUNCTION_SIGN_QUOTES_REQUIRED_REGEX: "=",
    FOLLOWED_BY_QUOTES_AND_SEMICOLON_REGEX: "q",
}


@dataclass(frozen=True)
class RawFinding:
    """A value a plugin reported: 0-based line, the part of the line it was read from."""

    index: int
    start: int
    end: int
    kind: str
    value: str


def detect(
    lines: Sequence[str], scanned_as: str, gates: PluginGates | None = None
) -> list[RawFinding]:
    """Every value detect-secrets' plugins report in `lines`, after its filters.

    `scanned_as` is the file name the keyword rules and the allowlist pragma look at (their
    rules depend on the extension). `gates`, when given, are :func:`plugin_gates` of a text
    every line of `lines` is a piece of a line of: only those plugins are asked.
    """
    keyword_rules = _keyword_rules(scanned_as.rpartition("/")[2])
    text = "\n".join(lines)
    starts = list(accumulate(map((1).__add__, map(len, lines[:-1])), initial=0))
    # Lower case once, then case-sensitive patterns: the regex engine skips ahead on a literal
    # prefix only without IGNORECASE (a lower() that changes lengths keeps the slow way).
    lowered = text.lower()
    same_length = len(lowered) == len(text)
    searched = lowered if same_length else text
    # the plugins that can match: asked of this text with one search (passing_gates), or, with
    # a wider text's gates (or case ignored), those plugins each asked again of this text
    if not same_length:
        filters, ask_each = _gated_ignoring_case(), True
    elif gates is not None:
        filters, ask_each = gates.gated, True
    else:  # passing_gates has asked every gate of this very text
        filters, ask_each = tuple(_GATED[number] for number in passing_gates(lowered)), False
    plugins_of: dict[int, list[BasePlugin]] = {}
    #: lines holding a run as long as an IBM secret (a 48-hex-digit run is also a 44-run)
    long_runs: dict[type[BasePlugin], set[int]] = {}
    for plugin, gate, prefilters in filters:
        if ask_each and not _passes(gate, searched):
            continue
        required = type(plugin) in REQUIRES
        if required and not _runs(IbmCloudIamDetector, text, starts, long_runs):
            continue
        matching: set[int] = set()
        for prefilter in prefilters:
            matching.update(_lines_matching(prefilter, searched, starts))
        if required:
            matching &= _runs(type(plugin), text, starts, long_runs)
        for index in sorted(matching):
            plugins_of.setdefault(index, []).append(plugin)
    keyword_starts, compared, slow = _keyword_candidates(
        text, lowered, starts, _rule_facts(keyword_rules)[1]
    )
    found: list[RawFinding] = []
    seen_before: _Seen = {}
    for index in sorted(set(plugins_of).union(keyword_starts, compared, slow)):
        line = lines[index].rstrip()
        if not line:
            continue
        plugins = plugins_of.get(index)
        candidates = list(_regex_values(line, plugins)) if plugins else []
        if index in slow:
            candidates += _keyword_values(line, keyword_rules)
        elif index in keyword_starts or index in compared:
            candidates += _keyword_values_at(
                line, keyword_rules, keyword_starts.get(index, ()), index in compared, seen_before
            )
        if not candidates:
            continue
        previous = lines[index - 1][-WINDOW:] if index else ""
        verdicts: dict[tuple[int, str, str], bool] = {}
        line_verdicts: dict[tuple[int, bool], bool] = {}
        for plugin, value, start, _ in candidates:
            kind = str(plugin.secret_type)
            area = _area(len(line), start)
            key = (area[0], kind, value)
            if key in verdicts:
                continue
            window = line[area[0] : area[1]]
            line_key = (area[0], plugin is _KEYWORD)
            if line_key not in line_verdicts:
                line_verdicts[line_key] = _line_filtered(
                    plugin is _KEYWORD, window, previous, scanned_as
                )
            verdicts[key] = line_verdicts[line_key] or _value_filtered(plugin, value, window)
            if not verdicts[key]:
                found.append(RawFinding(index, area[0], area[1], kind, value))
    return found


#: (keyword start, end of its run of word characters, sign ahead, quote ahead) in one line
_Start = tuple[int, int, str, bool]


def _keyword_candidates(
    text: str, lowered: str, starts: Sequence[int], quotes_required: bool
) -> tuple[dict[int, list[_Start]], set[int], set[int]]:
    """Where the keyword rules can match, found in the whole text by one C-level search each.

    Returns, per line, the keyword starts :func:`_keyword_values` would try (the first keyword
    of each run of word characters followed by what a rule needs), the lines where the
    comparison rule can match, and the lines left to :func:`_keyword_values` (those that
    ``lower()`` lengthens, where it falls back to a case-ignoring search). With
    `quotes_required` (every rule of the file type needs a quote), a keyword without a quote
    where a rule needs it is left out.
    """
    slow: set[int] = set()
    if len(lowered) != len(text):
        slow = set(_lines_matching(_LENGTHENED_BY_LOWER, text, starts))
        lowered = _LENGTHENED_BY_LOWER.sub("\0", text).lower()
    found: dict[int, list[_Start]] = {}
    index = offset = 0
    following = starts[1] if len(starts) > 1 else len(lowered) + 1  # where the next line starts
    line: list[_Start] = []
    for match in _keyword_runs(lowered):
        if match.lastindex is None:  # nothing a rule needs after this run
            continue
        if quotes_required and match[2] is None and match[3] is None:
            continue
        position, run_end = match.span()
        if position >= following or not line:
            index = bisect.bisect_right(starts, position, index) - 1
            offset = starts[index]
            following = starts[index + 1] if index + 1 < len(starts) else len(lowered) + 1
            line = found.setdefault(index, [])
        line.append((position - offset, run_end - offset, match[1] or "", match[2] is not None))
    compared = set(_lines_matching(_COMPARED_AT, lowered, starts))
    return found, compared, slow


@cache
def _keyword_searcher() -> AhoCorasick:
    """Every keyword of detect-secrets' denylist spelled out (``api_?key``: ``api_key``,
    ``apikey``), in one searcher built on first use."""
    words = {word for keyword in DENYLIST for word in expand_prefilter(keyword) or (keyword,)}
    return AhoCorasick(
        sorted(words), matchkind=MatchKind.Standard, implementation=Implementation.DFA
    )


def _keyword_runs(lowered: str) -> Iterator[re.Match[str]]:
    """``_KEYWORD_RUN.finditer(lowered)``, with the keyword starts found by one Aho-Corasick
    search and the pattern matched only there.

    The same matches: a match of :data:`_KEYWORD_RUN` starts exactly where a keyword does and
    never fails once one is found, and it ends at the end of the run of word characters
    whichever keyword matched (keywords are word characters), so the search's matches are the
    keyword starts in order, each skipped when an earlier match covers it. The regex engine
    tries the keyword alternation at every character (most of a datum's scan); this reads each
    character once. Text with surrogates, or too long to list every keyword of, takes
    ``finditer``. ``tests/test_secrets_linear.py`` compares the two."""
    if len(lowered) > _COMBINED_MAX_CHARS:
        yield from _KEYWORD_RUN.finditer(lowered)
        return
    try:
        found = _keyword_searcher().find_matches_as_indexes(lowered, overlapping=True)
    except UnicodeEncodeError:
        yield from _KEYWORD_RUN.finditer(lowered)
        return
    end = 0
    for start in sorted({match[1] for match in found}):
        if start < end:
            continue
        match = _KEYWORD_RUN.match(lowered, start)
        if match is None:  # pragma: no cover - a keyword starts here, so the pattern matches
            continue
        end = match.end()
        yield match


@lru_cache(maxsize=64)
def _keyword_rules(scanned_as: str) -> dict[re.Pattern[str], int]:
    """The keyword rules of a file name's type, asked by the name's last part: the type is its
    extension's (``determine_file_type`` splits the name), and a datum's file names differ
    only in the directory (``datums/<name>/datum.yaml``), so the memo holds a few entries."""
    rules: dict[re.Pattern[str], int] = REGEX_BY_FILETYPE.get(
        determine_file_type(scanned_as), QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP
    )
    return rules


def _lines_matching(pattern: re.Pattern[str], text: str, starts: Sequence[int]) -> Iterator[int]:
    """Indexes of the lines of `text` (starting at `starts`) where `pattern` matches."""
    position = 0
    while True:
        match = pattern.search(text, position)
        if match is None:
            return
        index = bisect.bisect_right(starts, match.start()) - 1
        yield index
        if index + 1 >= len(starts):
            return
        position = starts[index + 1]


def _runs(
    plugin: type[BasePlugin],
    text: str,
    starts: Sequence[int],
    found: dict[type[BasePlugin], set[int]],
) -> set[int]:
    """The lines holding a run `plugin`'s secret could be, memoized in `found`."""
    if plugin not in found:
        found[plugin] = set(_lines_with_run(REQUIRES[plugin], text, starts))
    return found[plugin]


def _lines_with_run(pattern: re.Pattern[str], text: str, starts: Sequence[int]) -> Iterator[int]:
    """Indexes of the lines holding a run :data:`REQUIRES`' `pattern` looks for."""
    position = 0
    while True:
        match = pattern.match(text, position)
        if match is None:
            return
        index = bisect.bisect_right(starts, match.start(1)) - 1
        yield index
        if index + 1 >= len(starts):
            return
        position = starts[index + 1]


def _area(length: int, start: int) -> tuple[int, int]:
    """The part of a line that filters read and spans are searched in, for a value found at
    `start`: the whole line, or on a long line its window and :data:`OVERLAP` either side."""
    if length <= WINDOW:
        return 0, length
    stride = WINDOW - OVERLAP
    first = start // stride * stride
    return max(0, first - OVERLAP), min(length, first + WINDOW + OVERLAP)


def _windows(length: int) -> Iterator[tuple[int, int]]:
    if length <= WINDOW:
        yield 0, length
        return
    start = 0
    while True:
        yield start, min(start + WINDOW, length)
        if start + WINDOW >= length:
            return
        start += WINDOW - OVERLAP


def _regex_values(
    line: str, plugins: Sequence[BasePlugin]
) -> Iterator[tuple[BasePlugin, str, int, int]]:
    for start, end in _windows(len(line)):
        window = line[start:end]
        for plugin in plugins:
            for value in set(plugin.analyze_string(window)):
                if value:
                    yield plugin, value, start, end


#: (rule's number, text from a keyword start to where the rule may read) -> (value, length
#: matched). Rules are named by number: hashing a compiled pattern hashes its code (2 us).
_Seen = dict[tuple[int, str], tuple[str, int] | None]
#: how many rule results one scan remembers
_SEEN_MAX = 1 << 16


def _keyword_values_at(
    line: str,
    rules: dict[re.Pattern[str], int],
    starts: Sequence[_Start],
    compared: bool,
    seen_before: _Seen,
) -> Iterator[tuple[BasePlugin, str, int, int]]:
    """:func:`_keyword_values` with the keyword starts and comparisons already found.

    A value found again in the same area (a line dense in one assignment) is yielded once: the
    filters and spans of a value depend only on its area. A rule's result at a start depends
    only on the text it may read (it is anchored there and reads no further), so the results
    for text read before are remembered in `seen_before` (text dense in one assignment repeats
    the same few).
    """
    rule = _rule_facts(rules)[0]
    length = len(line)
    stride = WINDOW - OVERLAP
    yielded: set[tuple[int, str]] = set()
    if compared and rule is not None:
        for found in _compared_values(
            line, PRECEDED_BY_EQUAL_COMPARISON_SIGNS_QUOTES_REQUIRED_REGEX, rule, seen_before
        ):
            area = 0 if length <= WINDOW else max(0, found[2] // stride * stride - OVERLAP)
            if (area, found[1]) not in yielded:
                yielded.add((area, found[1]))
                yield found
    semicolon = ";" in line
    free = [0] * len(rules)  # per rule (by number): where its last match ended
    for position, word_end, sign, quote in starts:
        seen = sign + "q" if quote and semicolon else sign
        if not seen:
            continue
        reach = min(length, word_end + KEYWORD_REACH)
        for number, pattern, group in _rules_needing(rules, seen):
            if position < free[number]:
                continue
            key = (number, line[position:reach])
            if key in seen_before:
                result = seen_before[key]
            else:
                match = pattern.match(line, position, reach)
                result = (match[group], match.end() - position) if match and match[group] else None
                if len(seen_before) >= _SEEN_MAX:
                    seen_before.clear()
                seen_before[key] = result
            if result is None:
                continue
            value, end = result[0], position + result[1]
            free[number] = end
            # the start of the value's area (see _area), the key of its filters' verdict
            area = 0 if length <= WINDOW else max(0, position // stride * stride - OVERLAP)
            if (area, value) not in yielded:
                yielded.add((area, value))
                yield _KEYWORD, value, position, end


def _keyword_values(
    line: str, rules: dict[re.Pattern[str], int]
) -> Iterator[tuple[BasePlugin, str, int, int]]:
    """What the keyword plugin's rules for this file type match, each anchored at a keyword."""
    lowered = line.lower()
    keywords = _KEYWORD_AT if len(lowered) == len(line) else _KEYWORD_AT_IGNORING_CASE
    # Leftmost keywords, not overlapping: only the first keyword of a run of word characters
    # is tried (see below), and a keyword never leaves its run.
    # Every rule but the comparison starts with keyword + \w*: from a later keyword of the same
    # run of word characters it can end only where it could from the first, so one try per run
    # says all. A run not followed by what every rule needs is not tried at all.
    starts: list[tuple[int, int, str]] = []
    run_end = 0
    # the one rule that needs the quote check also needs a ';' after the value
    semicolon = ";" in line
    for keyword in keywords.finditer(lowered):
        if keyword.start() < run_end:
            continue
        run_end = _WORD.match(line, keyword.start()).end()  # type: ignore[union-attr]
        sign = _SIGN_AHEAD.match(line, run_end)
        quote = semicolon and _QUOTE_AHEAD.match(line, run_end)
        ahead = (sign.group(1) if sign else "") + ("q" if quote else "")
        if ahead:
            starts.append((keyword.start(), run_end, ahead))
    comparison = "=" in line or "!!" in line
    if not starts and not comparison:
        return
    compared = rules.get(PRECEDED_BY_EQUAL_COMPARISON_SIGNS_QUOTES_REQUIRED_REGEX)
    if compared is not None and comparison:
        yield from _compared_values(
            line, PRECEDED_BY_EQUAL_COMPARISON_SIGNS_QUOTES_REQUIRED_REGEX, compared
        )
    free: dict[re.Pattern[str], int] = {}
    for position, word_end, seen in starts:
        for _, rule, group in _rules_needing(rules, seen):
            if position < free.get(rule, 0):
                continue
            match = rule.match(line, position, min(len(line), word_end + KEYWORD_REACH))
            if match and match.group(group):
                free[rule] = match.end()
                yield _KEYWORD, match.group(group), position, match.end()


_RULES_NEEDING: dict[tuple[int, str], list[tuple[int, re.Pattern[str], int]]] = {}
_RULE_FACTS: dict[int, tuple[int | None, bool]] = {}


def _rule_facts(rules: dict[re.Pattern[str], int]) -> tuple[int | None, bool]:
    """For a file type's rules (detect-secrets' module-level dicts, so `id` names them): the
    comparison rule's group if it has one, and whether every rule needs a quote. Memoized: a
    compiled pattern hashes its whole code each time it is looked up (2 us)."""
    if id(rules) not in _RULE_FACTS:
        _RULE_FACTS[id(rules)] = (
            rules.get(PRECEDED_BY_EQUAL_COMPARISON_SIGNS_QUOTES_REQUIRED_REGEX),
            _QUOTED_RULES.issuperset(rules),
        )
    return _RULE_FACTS[id(rules)]


def _rules_needing(
    rules: dict[re.Pattern[str], int], seen: str
) -> list[tuple[int, re.Pattern[str], int]]:
    """The rules (but the comparison) that what follows a keyword's run can satisfy, each with
    its number among `rules` and its group, memoized."""
    key = (id(rules), seen)
    if key not in _RULES_NEEDING:
        _RULES_NEEDING[key] = [
            (number, rule, group)
            for number, (rule, group) in enumerate(rules.items())
            if rule is not PRECEDED_BY_EQUAL_COMPARISON_SIGNS_QUOTES_REQUIRED_REGEX
            and (rule not in _RULE_NEEDS or any(c in _RULE_NEEDS[rule] for c in seen))
        ]
    return _RULES_NEEDING[key]


def _compared_values(
    line: str, rule: re.Pattern[str], group: int, seen_before: _Seen | None = None
) -> Iterator[tuple[BasePlugin, str, int, int]]:
    """``"value" == password``: the rule starts at the quote before each comparison sign.

    The signs are the runs of ``[!=]`` cut in pieces of two or three; only the first piece of
    a run can follow a quote (and spaces), so the search looks for quote, spaces and sign.
    Results are remembered in `seen_before` as :func:`_keyword_values_at` does (rule -1).
    """
    seen = {} if seen_before is None else seen_before
    length = len(line)
    for sign in _QUOTE_THEN_SIGN.finditer(line):
        closing = sign.start()
        if closing == 0:
            continue
        opening = line.rfind(sign[1], max(0, closing - KEYWORD_REACH), closing)
        if opening < 0:
            continue
        end = min(length, sign.end() + KEYWORD_REACH)
        key = (-1, line[opening:end])
        if key in seen:
            result = seen[key]
        else:
            match = rule.match(line, opening, end)
            result = (match[group], match.end() - opening) if match and match[group] else None
            if len(seen) >= _SEEN_MAX:
                seen.clear()
            seen[key] = result
        if result is not None:
            yield _KEYWORD, result[0], opening, opening + result[1]


def _line_filtered(keyword: bool, window: str, previous: str, filename: str) -> bool:
    """detect-secrets' line filters: the allowlist pragma, and (for the keyword plugin only)
    the look of an indirect reference.

    ``is_indirect_reference`` (``password = get_password()``) is a keyword rule: applied to every
    plugin, as detect-secrets does, it would let ``key = f("AKIA...")`` through.
    """
    # every allowlist pragma contains the word; most lines do not
    if "pragma" in window or "pragma" in previous:
        context = get_code_snippet([previous, window], 2)
        if is_line_allowlisted(filename, window, context):
            return True
    return keyword and _is_indirect_reference(window)


#: detect-secrets' indirect-reference regex without its leading ``([^\v=!:]*)\s*``: that part
#: may match nothing, so a line matches this where it matches the original; the original is
#: quadratic in the length of a line (each start runs on to the next sign and back)
_INDIRECT = re.compile(r"(?::=?|[!=]{1,3})\s*[\w.-]+[\[\(][^\v]*[\]\)]")


def _is_indirect_reference(line: str) -> bool:
    """``is_indirect_reference`` of detect-secrets, in linear time (same limit, same answers)."""
    return len(line) <= 1000 and _INDIRECT.search(line) is not None


def _value_filtered(plugin: BasePlugin, value: str, window: str) -> bool:
    """detect-secrets' filters on a value (sequences, UUIDs, ids, templates, ``$VAR``...)."""
    return (
        is_sequential_string(value)
        or is_potential_uuid(value)
        or is_likely_id_string(value, window, plugin)
        or is_templated_secret(value)
        or is_prefixed_with_dollar_sign(value)
        or is_not_alphanumeric_string(value)
    )


#: the filters :func:`_line_filtered` and :func:`_value_filtered` apply (detect-secrets' names)
FILTERS = (
    "detect_secrets.filters.allowlist.is_line_allowlisted",
    "detect_secrets.filters.heuristic.is_indirect_reference",
    "detect_secrets.filters.heuristic.is_sequential_string",
    "detect_secrets.filters.heuristic.is_potential_uuid",
    "detect_secrets.filters.heuristic.is_likely_id_string",
    "detect_secrets.filters.heuristic.is_templated_secret",
    "detect_secrets.filters.heuristic.is_prefixed_with_dollar_sign",
    "detect_secrets.filters.heuristic.is_not_alphanumeric_string",
)

_KEYWORD: Any = KeywordDetector()
