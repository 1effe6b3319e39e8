"""What `git checkout` does to a blob on its way to a file: .gitattributes, eol/text, ident.

A datum's baseline is checked out by git in the Dockerfile; `datum materialize` must write the
same bytes without git. Git changes a blob on checkout when the tree's `.gitattributes` say so
(with no user configuration, which is what an image build has: core.autocrlf=false,
core.eol=native=LF):

- `eol=crlf` / `text eol=crlf`: every LF not already after a CR becomes CRLF;
- `text=auto eol=crlf`: the same, but only for files git thinks are text and that have no CR;
- `ident`: `$Id$` becomes `$Id: <blob id> $`;
- `working-tree-encoding=<enc>`: the UTF-8 blob is re-encoded (Python's codec of that name).

This module mirrors git's attr.c (pattern matching and precedence, macros, `binary`) and
convert.c (`gather_stats`, `will_convert_lf_to_crlf`, `ident_to_worktree`) for those cases.
Filter drivers (`filter=lfs`) are not configured in a fresh clone, so git writes the blob as is,
and so does this.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

#: attribute value states, as in attr.c: True (set), False (unset), None (unspecified), or text
Value = bool | str | None
_UNKNOWN = object()

#: the built-in macro
BUILTIN_MACROS: dict[str, tuple[tuple[str, Value], ...]] = {
    "binary": (("diff", False), ("merge", False), ("text", False)),
}


def wildmatch_regex(pattern: str, *, pathname: bool = True) -> re.Pattern[str]:
    """A regex for git's wildmatch of `pattern` (WM_PATHNAME: `*` stops at '/', `**` crosses)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            j = i
            while j < n and pattern[j] == "*":
                j += 1
            double = j - i >= 2
            at_start = i == 0 or pattern[i - 1] == "/"
            at_end = j == n or pattern[j] == "/"
            if pathname and double and at_start and at_end:
                if j == n:
                    out.append(".*")
                else:  # "**/": zero or more leading directories
                    out.append("(?:.*/)?")
                    j += 1
            else:
                out.append("[^/]*" if pathname else ".*")
            i = j
            continue
        if c == "?":
            out.append("[^/]" if pathname else ".")
        elif c == "[":
            j = i + 1
            negate = j < n and pattern[j] in "!^"
            if negate:
                j += 1
            k = j
            if k < n and pattern[k] == "]":
                k += 1
            while k < n and pattern[k] != "]":
                k += 1
            if k >= n:
                out.append(re.escape(c))
            else:
                body = pattern[j:k].replace("\\", "\\\\").replace("^", "\\^")
                out.append(f"[{'^' if negate else ''}{body}]")
                i = k + 1
                continue
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


@dataclass(frozen=True)
class PathPattern:
    """One .gitattributes / sparse-checkout pattern, relative to the directory `base`."""

    regex: re.Pattern[str]
    #: no '/' in the pattern (but a trailing one): matches the basename at any depth
    basename_only: bool
    #: ended with '/': matches directories only
    must_be_dir: bool
    base: str

    @classmethod
    def parse(cls, text: str, base: str = "") -> PathPattern:
        must_be_dir = text.endswith("/")
        text = text.rstrip("/") if must_be_dir else text
        basename_only = "/" not in text
        text = text.lstrip("/") if not basename_only else text
        return cls(wildmatch_regex(text), basename_only, must_be_dir, base)

    def matches(self, path: str, *, is_dir: bool = False) -> bool:
        if self.must_be_dir and not is_dir:
            return False
        if self.base:
            if not path.startswith(self.base + "/"):
                return False
            path = path[len(self.base) + 1 :]
        if self.basename_only:
            return bool(self.regex.match(path.rsplit("/", 1)[-1]))
        return bool(self.regex.match(path))


@dataclass(frozen=True)
class _Rule:
    pattern: PathPattern
    states: tuple[tuple[str, Value], ...]


def _unquote(token: str) -> str:
    """A C-quoted pattern ("a b") as git writes it; anything else unchanged."""
    if len(token) >= 2 and token.startswith('"') and token.endswith('"'):
        return codecs.decode(token[1:-1].encode("latin-1", "backslashreplace"), "unicode_escape")
    return token


def _state(token: str) -> tuple[str, Value]:
    if token.startswith("-"):
        return token[1:], False
    if token.startswith("!"):
        return token[1:], None
    name, equals, value = token.partition("=")
    return (name, value) if equals else (name, True)


class Attributes:
    """The attributes of a tree, from its .gitattributes files (added top-down as read)."""

    def __init__(self) -> None:
        #: (directory, rules in file order); looked up deepest directory first
        self._files: list[tuple[str, list[_Rule]]] = []
        self._macros: dict[str, tuple[tuple[str, Value], ...]] = dict(BUILTIN_MACROS)

    def add_file(self, directory: str, content: bytes) -> None:
        """Read the .gitattributes of `directory` ("" for the top of the tree)."""
        rules: list[_Rule] = []
        for raw in content.decode("utf-8", "surrogateescape").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith('"'):
                end = line.find('"', 1)
                while end > 0 and line[end - 1] == "\\":
                    end = line.find('"', end + 1)
                pattern, rest = line[: end + 1], line[end + 1 :]
            else:
                pattern, _, rest = line.partition(" ") if " " in line else line.partition("\t")
                if "\t" in pattern:
                    pattern, _, more = pattern.partition("\t")
                    rest = f"{more} {rest}"
            states = tuple(_state(token) for token in rest.split())
            if pattern.startswith("[attr]"):
                if directory == "":  # macros are only honoured at the top
                    self._macros[pattern[len("[attr]") :]] = states
                continue
            pattern = _unquote(pattern)
            if pattern.startswith("!"):
                continue  # git ignores negative attribute patterns (with a warning)
            rules.append(_Rule(PathPattern.parse(pattern, directory), states))
        self._files.append((directory, rules))

    def lookup(self, path: str) -> dict[str, Value]:
        """Every attribute decided for the file `path`, as git's attr.c `fill()` decides it."""
        found: dict[str, Value] = {}
        applicable = [
            rules
            for directory, rules in self._files
            if directory == "" or path.startswith(directory + "/")
        ]
        for rules in reversed(applicable):  # added top-down: the deepest directory decides first
            for rule in reversed(rules):
                if rule.pattern.matches(path):
                    self._fill(found, rule.states)
        return found

    def _fill(self, found: dict[str, Value], states: Sequence[tuple[str, Value]]) -> None:
        for name, value in reversed(states):
            if name in found:
                continue
            found[name] = value
            if value is True and name in self._macros:
                self._fill(found, self._macros[name])


# --- convert.c -------------------------------------------------------------------------------


@dataclass
class _Stats:
    lonecr: int = 0
    lonelf: int = 0
    crlf: int = 0
    nul: int = 0
    printable: int = 0
    nonprintable: int = 0


def _gather_stats(data: bytes) -> _Stats:
    stats = _Stats()
    stats.crlf = data.count(b"\r\n")
    stats.lonecr = data.count(b"\r") - stats.crlf
    stats.lonelf = data.count(b"\n") - stats.crlf
    stats.nul = data.count(b"\0")
    controls = sum(data.count(bytes([c])) for c in range(32) if c not in (8, 9, 10, 13, 27, 12))
    stats.nonprintable = controls + data.count(b"\x7f")
    stats.printable = len(data) - controls - data.count(b"\x7f") - data.count(b"\r")
    stats.printable -= data.count(b"\n")
    if data.endswith(b"\x1a"):
        stats.nonprintable -= 1
    return stats


def _is_binary(stats: _Stats) -> bool:
    return bool(stats.lonecr or stats.nul or (stats.printable >> 7) < stats.nonprintable)


def _crlf_action(attrs: dict[str, Value]) -> str:
    """git's convert_attrs with core.autocrlf=false, core.eol=lf: 'binary', 'input', 'crlf',
    'auto-input' or 'auto-crlf'."""
    text = attrs.get("text", attrs.get("crlf"))
    action = {True: "text", False: "binary", "input": "input", "auto": "auto"}.get(
        text if isinstance(text, (bool, str)) else "", "undefined"
    )
    if action != "binary":
        eol = attrs.get("eol")
        if action == "auto" and eol in ("lf", "crlf"):
            action = f"auto-{'input' if eol == 'lf' else 'crlf'}"
        elif eol == "lf":
            action = "input"
        elif eol == "crlf":
            action = "crlf"
    return {"text": "input", "auto": "auto-input", "undefined": "binary"}.get(action, action)


def _lf_to_crlf(data: bytes) -> bytes:
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


_IDENT_RE = re.compile(rb"\$Id(?::[^$\n]*)?\$")


def _ident(data: bytes, blob_id: str) -> bytes:
    """`$Id$` (or `$Id: ... $` on one line) -> `$Id: <blob id> $`, as ident_to_worktree."""
    if b"\0" in data:
        return data
    return _IDENT_RE.sub(f"$Id: {blob_id} $".encode(), data)


def to_worktree(data: bytes, attrs: dict[str, Value], blob_id: str) -> bytes:
    """The bytes git checkout writes for a blob with these attributes."""
    if attrs.get("ident") is True:
        data = _ident(data, blob_id)
    action = _crlf_action(attrs)
    if action in ("crlf", "auto-crlf"):
        stats = _gather_stats(data)
        convert = bool(stats.lonelf)
        if convert and action == "auto-crlf":
            convert = not (stats.lonecr or stats.crlf) and not _is_binary(stats)
        if convert:
            data = _lf_to_crlf(data)
    encoding = attrs.get("working-tree-encoding")
    if isinstance(encoding, str) and encoding.upper().replace("-", "") != "UTF8":
        # git fails to re-encode such a blob too, and writes it unchanged (with an error)
        with contextlib.suppress(LookupError, UnicodeError):
            data = data.decode("utf-8").encode(encoding)
    return data
