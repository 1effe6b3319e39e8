"""Write tests/corpus/bad/: hostile datums, patches and seed directories, one case each.

Run `python tests/corpus/generate_corpus.py` after changing it; the output is deterministic
(same script, same bytes), and tests/test_corpus.py runs every case. A case is a directory with
`case.toml` (what to run, the exit code and message fragments to expect) and the files it
needs: `datum/` (laid over a copy of the banking77 datum), `seed/` (a directory to import).

Generated cases are named `gen-...`; hand-made ones (`hand-...`) and crashes found by the fuzz
tests (`fuzz-...`) live beside them and are never touched by this script.

case.toml keys:
    args      command line after `datum --root <project>`; {seed} and {outside} are replaced
    exit      expected exit code
    expect    fragments that must all appear in the output
    name      datum directory the `datum/` files go to (default banking77)
    symlinks  {path: target}: links made before running (paths relative to the project root,
              or {seed}/...; targets may use {outside}, a directory nothing may be written to)
    remove    paths (relative to the project root) deleted before running
    sparse    {path: size}: sparse files made before running (huge inputs, no disk space)
"""

from __future__ import annotations

import io
import json
import shutil
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

HERE = Path(__file__).resolve().parent
BAD = HERE / "bad"
REPO = HERE.parent.parent
BANKING77 = REPO / "datums" / "banking77"
YAML_FILE = "datums/banking77/datum.yaml"

#: fields (dotted path with [i] indexes) that are one line and reach a generated file
ONE_LINE = {
    "metadata.title": "title",
    "metadata.tags[0]": "tag",
    "repo.git_url": "url",
    "repo.branch": "branch",
    "repo.subdir": "subdir",
    "repo.sparse_checkout[0]": "sparse",
    "environment.install[0]": "install",
    "environment.env.PYTHONDONTWRITEBYTECODE": "env-value",
    "environment.workdir": "workdir",
    "overlay_extras[0]": "extra",
}
#: prose fields: newlines are fine, other control characters are not
PROSE = {
    "metadata.summary": "summary",
    "lm.instructions": "instructions",
    "evaluation.rubrics[0].criterion": "criterion",
    "evaluation.rubrics[0].evaluation_criteria[0]": "criteria",
}
#: fields checked by a pattern: any hostile text fails the pattern (message: the pattern's)
PATTERNED = {
    "task_id": ("task-id", "does not match the directory"),
    "repo.start_commit_sha": ("sha", "is not a full commit SHA"),
    "evaluation.rubrics[0].id": ("rubric-id", "is not a slug"),
    "environment.base_image": ("image", "is not a container image reference"),
    "environment.system_packages[0]": ("apt", "is not a Debian package name"),
    "sensitivity.level": ("level", "Input should be"),
}
#: fields whose value becomes a git (or cd) argument: a leading '-' is refused
OPTION_LIKE = {
    "repo.git_url": "url",
    "repo.branch": "branch",
    "repo.subdir": "subdir",
    "repo.sparse_checkout[0]": "sparse",
    "overlay_extras[0]": "extra",
}

CONTROL_VALUES = {
    "newline": ("x\nFROM evil:latest", "contains a newline"),
    "cr": ("x\rFROM evil", "contains a carriage return"),
    "nul": ("x\x00y", "contains a NUL byte"),
    "esc": ("x\x1b]0;owned\x07", "contains the control character U+001B"),
    "del": ("x\x7fy", "contains the control character U+007F"),
    "linesep": ("x\u2028FROM evil", "contains the control character U+2028"),
    "bidi": ("x\u202egnp.exe", "contains the control character U+202E"),
    "trailing-newline": ("value\n", "contains a newline"),
}
PROSE_VALUES = {k: v for k, v in CONTROL_VALUES.items() if k not in ("newline", "trailing-newline")}


@dataclass
class Case:
    name: str
    args: list[str]
    exit: int
    expect: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    datum_name: str = "banking77"
    symlinks: dict[str, str] = field(default_factory=dict)
    remove: list[str] = field(default_factory=list)
    sparse: dict[str, int] = field(default_factory=dict)

    def toml(self) -> str:
        lines = [
            f"args = {json.dumps(self.args)}",
            f"exit = {self.exit}",
            f"expect = {json.dumps(self.expect, ensure_ascii=True)}",
        ]
        if self.datum_name != "banking77":
            lines.append(f"name = {json.dumps(self.datum_name)}")
        if self.remove:
            lines.append(f"remove = {json.dumps(self.remove)}")
        for table, values in (("symlinks", self.symlinks), ("sparse", self.sparse)):
            if values:
                body = ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in values.items())
                lines.append(f"{table} = {{ {body} }}")
        return "\n".join(lines) + "\n"


# --- datum.yaml as data -----------------------------------------------------------------------


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _base() -> Any:
    return _yaml().load((BANKING77 / "datum.yaml").read_text("utf-8"))


def _tokens(path: str) -> list[str | int]:
    tokens: list[str | int] = []
    for part in path.split("."):
        key, _, rest = part.partition("[")
        tokens.append(key)
        for index in rest.rstrip("]").split("]["):
            if index:
                tokens.append(int(index))
    return tokens


def _set(document: Any, path: str, value: Any) -> Any:
    tokens = _tokens(path)
    node = document
    for token in tokens[:-1]:
        if isinstance(token, str) and isinstance(node, dict) and node.get(token) is None:
            node[token] = [] if isinstance(tokens[tokens.index(token) + 1], int) else {}
        node = node[token]
    last = tokens[-1]
    if isinstance(value, str):  # escapes every control character, so the YAML stays readable
        value = DoubleQuotedScalarString(value)
    if isinstance(node, list) and isinstance(last, int) and last >= len(node):
        node.append(value)
    else:
        node[last] = value
    return document


def _delete(document: Any, path: str) -> Any:
    tokens = _tokens(path)
    node = document
    for token in tokens[:-1]:
        node = node[token]
    del node[tokens[-1]]
    return document


def _dump(document: Any) -> bytes:
    buffer = io.StringIO()
    _yaml().dump(document, buffer)
    return buffer.getvalue().encode("utf-8")


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(part for part in out.split("-") if part)


def _yaml_case(
    name: str, document: Any, expect: list[str], *, command: str = "check", code: int = 1
) -> Case:
    return Case(
        name=f"gen-{name}",
        args=[command, "banking77"],
        exit=code,
        expect=expect,
        files={"datum/datum.yaml": _dump(document)},
    )


def _field_value_cases() -> Iterator[Case]:
    """Every one-line field x every control character; prose fields x non-newline controls."""
    commands = ("check", "generate")
    for number, (path, short) in enumerate(sorted(ONE_LINE.items())):
        for kind, (value, fragment) in CONTROL_VALUES.items():
            command = commands[(number + len(kind)) % 2]
            expect = [f"{YAML_FILE}: {path}: ", fragment]
            if path == "environment.workdir":
                expect = [f"{YAML_FILE}: {path}: ", fragment]
            yield _yaml_case(f"{short}-{kind}", _set(_base(), path, value), expect, command=command)
    for path, short in sorted(PROSE.items()):
        for kind, (value, fragment) in PROSE_VALUES.items():
            yield _yaml_case(
                f"{short}-{kind}",
                _set(_base(), path, f"Some text{value}"),
                [f"{YAML_FILE}: {path}: ", fragment],
            )
    for path, (short, fragment) in sorted(PATTERNED.items()):
        for kind in ("newline", "trailing-newline", "nul", "esc"):
            value = CONTROL_VALUES[kind][0]
            if path == "task_id":
                value = "re-bench-banking77" + ("\n" if kind == "trailing-newline" else value)
            if path == "repo.start_commit_sha" and kind == "trailing-newline":
                value = "e381612f0c6c0bb11edf17545e6a4ae08240de09\n"
            yield _yaml_case(
                f"{short}-{kind}", _set(_base(), path, value), [f"{YAML_FILE}: {path}: ", fragment]
            )
    for path, short in sorted(OPTION_LIKE.items()):
        value = "-oProxyCommand=touch /tmp/pwned" if short != "branch" else "--upload-pack=evil"
        if short in ("subdir", "sparse", "extra"):
            value = "-rf"
        yield _yaml_case(
            f"{short}-leading-dash",
            _set(_base(), path, value),
            [f"{YAML_FILE}: {path}: ", "starts with '-'"],
        )


def _env_key_cases() -> Iterator[Case]:
    for key, short in (
        ("A B", "space"),
        ("1ABC", "digit"),
        ("A\nB", "newline"),
        ("A=B", "equals"),
        ("-A", "dash"),
        ("A$(id)", "subst"),
        ("PATH\n", "trailing-newline"),
        ("A\x1b[31mB", "esc"),
        ("A\u202eB", "bidi"),
    ):
        document = _base()
        document["environment"]["env"][key] = "1"
        yield _yaml_case(
            f"env-key-{short}",
            document,
            [f"{YAML_FILE}: environment.env", "is not an environment variable name"],
        )


def _specific_cases() -> Iterator[Case]:
    """Values that are wrong for one field in particular."""
    table: list[tuple[str, str, Any, list[str]]] = [
        ("workdir-relative", "environment.workdir", "app", ["is not an absolute path"]),
        ("workdir-dotdot", "environment.workdir", "/app/../etc", ["is not an absolute path"]),
        ("workdir-subst", "environment.workdir", "/app$(touch /x)", ["use letters, digits"]),
        ("workdir-quote", "environment.workdir", '/app"; id; "', ["use letters, digits"]),
        ("workdir-backtick", "environment.workdir", "/app`id`", ["use letters, digits"]),
        ("workdir-space", "environment.workdir", "/my app", ["use letters, digits"]),
        ("workdir-dollar-var", "environment.workdir", "/app/$HOME", ["use letters, digits"]),
        ("subdir-absolute", "repo.subdir", "/etc", ["leaves the repository"]),
        ("subdir-dotdot", "repo.subdir", "../up", ["leaves the repository"]),
        ("subdir-backslash", "repo.subdir", "a\\b", ["leaves the repository"]),
        ("subdir-dot", "repo.subdir", "a/./b", ["is not a clean path"]),
        ("subdir-subst", "repo.subdir", "src$(id)", ["use letters, digits"]),
        ("sparse-absolute", "repo.sparse_checkout[0]", "/etc", ["leaves the repository"]),
        ("sparse-dotdot", "repo.sparse_checkout[0]", "a/../../b", ["leaves the repository"]),
        ("extra-absolute", "overlay_extras[0]", "/etc/passwd", ["leaves the repository"]),
        ("extra-dotdot", "overlay_extras[0]", "../../secret", ["leaves the repository"]),
        ("extra-missing", "overlay_extras[0]", "overlay_src/nope.txt", ["does not exist in"]),
        ("extra-in-overlay", "overlay_extras[0]", "overlay_files/x", ["inside the generated"]),
        ("url-http", "repo.git_url", "http://example.com/r.git", ["use https:// instead"]),
        ("url-git-scheme", "repo.git_url", "git://example.com/r.git", ["use https:// instead"]),
        ("url-ext", "repo.git_url", "ext::sh -c touch% /tmp/x", ["remote helper"]),
        ("url-space", "repo.git_url", "https://a b/c", ["is not a git URL or path"]),
        ("url-fd", "repo.git_url", "fd::17", ["remote helper"]),
        ("url-ext-nospace", "repo.git_url", "ext::sh%-c%id", ["remote helper"]),
        ("branch-dotdot", "repo.branch", "a..b", ["is not a valid branch name"]),
        ("branch-lock", "repo.branch", "main.lock", ["is not a valid branch name"]),
        ("branch-reflog", "repo.branch", "a@{1}", ["is not a valid branch name"]),
        ("branch-space", "repo.branch", "a b", ["is not a valid branch name"]),
        ("branch-colon", "repo.branch", "a:b", ["is not a valid branch name"]),
        ("branch-slash-dot", "repo.branch", "a/.hidden", ["is not a valid branch name"]),
        ("branch-tilde", "repo.branch", "a~1", ["is not a valid branch name"]),
        ("sha-short", "repo.start_commit_sha", "e381612", ["is not a full commit SHA"]),
        (
            "sha-upper",
            "repo.start_commit_sha",
            "E381612F0C6C0BB11EDF17545E6A4AE08240DE09",
            ["has uppercase letters"],
        ),
        ("sha-option", "repo.start_commit_sha", "--all", ["is not a full commit SHA"]),
        ("image-injection", "environment.base_image", "python AS x", ["container image"]),
        ("image-option", "environment.base_image", "--platform=x", ["container image"]),
        ("image-upper", "environment.base_image", "Python:3", ["container image"]),
        ("image-digest-short", "environment.base_image", "p@sha256:abc", ["container image"]),
        ("apt-semicolon", "environment.system_packages[0]", "curl;id", ["Debian package"]),
        ("apt-option", "environment.system_packages[0]", "-y", ["Debian package"]),
        ("apt-space", "environment.system_packages[0]", "curl wget", ["Debian package"]),
        ("apt-subst", "environment.system_packages[0]", "$(id)", ["Debian package"]),
        ("level-unknown", "sensitivity.level", "public", ["Input should be"]),
        ("level-number", "sensitivity.level", 3, ["Input should be"]),
        ("task-id-other", "task_id", "re-bench-other", ["does not match the directory"]),
        ("task-id-number", "task_id", 12, ["Input should be a valid string"]),
        ("rubric-id-space", "evaluation.rubrics[0].id", "has space", ["is not a slug"]),
        ("rubric-id-upper", "evaluation.rubrics[0].id", "Upper", ["is not a slug"]),
        ("rubric-id-dash", "evaluation.rubrics[0].id", "-a", ["is not a slug"]),
        ("rubric-id-dup", "evaluation.rubrics[1].id", "accuracy-improved", ["is used twice"]),
        ("weight-text", "evaluation.rubrics[0].weight", "abc", ["valid number"]),
        ("weight-zero", "evaluation.rubrics[0].weight", 0, ["greater than 0"]),
        ("weight-negative", "evaluation.rubrics[0].weight", -0.5, ["greater than 0"]),
        ("weight-list", "evaluation.rubrics[0].weight", [0.5], ["valid number"]),
        ("weight-map", "evaluation.rubrics[0].weight", {"a": 1}, ["valid number"]),
        ("weight-null", "evaluation.rubrics[0].weight", None, ["valid number"]),
        ("weight-sum", "evaluation.rubrics[0].weight", 0.6, ["weights sum to 1.1, not 1"]),
        ("title-empty", "metadata.title", "   ", ["is empty"]),
        ("title-list", "metadata.title", ["a"], ["valid string"]),
        ("title-number", "metadata.title", 7, ["valid string"]),
        ("summary-empty", "metadata.summary", "", ["is empty"]),
        ("instructions-empty", "lm.instructions", "\n\n", ["is empty"]),
        ("instructions-map", "lm.instructions", {"a": "b"}, ["valid string"]),
        ("tag-empty", "metadata.tags[0]", "", ["is empty"]),
        ("tag-dup", "metadata.tags[1]", "re-bench", ["is repeated"]),
        ("tags-string", "metadata.tags", "re-bench", ["valid list"]),
        ("install-empty", "environment.install[0]", " ", ["is empty"]),
        ("install-map", "environment.install[0]", {"run": "x"}, ["valid string"]),
        ("install-heredoc", "environment.install[0]", "cat <<EOF\nFROM x\nEOF", ["newline"]),
        ("env-value-number", "environment.env.PYTHONDONTWRITEBYTECODE", 1, ["valid string"]),
        ("env-list", "environment.env", ["A=1"], ["valid dictionary"]),
        ("criteria-empty-list", "evaluation.rubrics[0].evaluation_criteria", [], ["at least 1"]),
        ("rubrics-empty", "evaluation.rubrics", [], ["at least 1"]),
        ("rubrics-map", "evaluation.rubrics", {"a": 1}, ["valid list"]),
        ("repo-string", "repo", "https://x", ["valid dictionary"]),
        ("metadata-list", "metadata", [], ["valid dictionary"]),
        ("extras-string", "overlay_extras", "a.txt", ["valid list"]),
    ]
    for short, path, value, fragments in table:
        where = f"{YAML_FILE}: {path.split('.')[0] if short.startswith('env-list') else path}"
        expect = [f"{YAML_FILE}: ", *fragments] if short == "weight-sum" else [where, *fragments]
        if short == "rubric-id-dup":
            expect = [f"{YAML_FILE}: evaluation.rubrics[1].id: ", *fragments]
        command = "generate" if short.startswith(("extra", "workdir")) else "check"
        yield _yaml_case(short, _set(_base(), path, value), expect, command=command)


def _structure_cases() -> Iterator[Case]:
    required = [
        "task_id",
        "metadata",
        "metadata.title",
        "metadata.summary",
        "repo",
        "repo.git_url",
        "repo.start_commit_sha",
        "sensitivity",
        "sensitivity.level",
        "lm",
        "lm.instructions",
        "evaluation",
        "evaluation.rubrics",
        "evaluation.rubrics[0].id",
        "evaluation.rubrics[0].criterion",
        "evaluation.rubrics[0].weight",
        "evaluation.rubrics[0].evaluation_criteria",
    ]
    for path in required:
        yield _yaml_case(
            f"missing-{_slug(path)}",
            _delete(_base(), path),
            [f"{YAML_FILE}: {path}: Field required (add this field)"],
        )
    for parent in ("", "metadata", "repo", "sensitivity", "lm", "environment"):
        document = _base()
        node = document if not parent else document[parent]
        node["weigth"] = 1
        where = f"{parent}.weigth" if parent else "weigth"
        yield _yaml_case(
            f"unknown-key-{parent or 'top'}",
            document,
            [f"{YAML_FILE}: {where}: Extra inputs are not permitted"],
        )
    document = _base()
    document["\x1b]0;owned\x07"] = 1
    yield _yaml_case(
        "unknown-key-escape", document, [f"{YAML_FILE}: ", "Extra inputs are not permitted"]
    )
    document = _base()
    document["evaluation"]["rubrics"][0]["weigth"] = 1
    yield _yaml_case(
        "unknown-key-rubric",
        document,
        [f"{YAML_FILE}: evaluation.rubrics[0].weigth: Extra inputs are not permitted"],
    )


def _text_cases() -> Iterator[Case]:
    """datum.yaml texts no data model can express: depth, aliases, numbers, encodings."""
    base = (BANKING77 / "datum.yaml").read_text("utf-8")
    texts: list[tuple[str, str | bytes, list[str]]] = [
        ("weight-5000-digits", base.replace("weight: 0.5", "weight: " + "9" * 5000), []),
        ("weight-long-float", base.replace("weight: 0.5", "weight: 0." + "5" * 300), []),
        ("deep-flow", base + "x: " + "[" * 10_000 + "]" * 10_000 + "\n", []),
        (
            "deep-block",
            base + "".join("  " * i + f"k{i}:\n" for i in range(80)) + "  " * 80 + "v: 1\n",
            [],
        ),
        ("deep-mapping-flow", base + "x: " + "{a: " * 100 + "1" + "}" * 100 + "\n", []),
        (
            "alias-bomb",
            base
            + "a: &a [x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n"
                for i in range(14)
            ),
            [],
        ),
        ("not-utf8", base.encode("utf-8").replace(b"Re-Bench", b"Re-\xff\xfeBench"), []),
        ("tab-indent", base.replace("  title:", "\ttitle:"), []),
        ("duplicate-key", base + "task_id: re-bench-banking77\n", []),
        ("top-level-list", "- a\n- b\n", []),
        ("top-level-scalar", "just text\n", []),
        ("empty-file", "", []),
        ("nul-in-file", base.replace("summary:", "summary: \x00"), []),
        ("unclosed-quote", base.replace('improvement"', "improvement"), []),
        ("python-tag", base + "x: !!python/object/apply:os.system ['id']\n", []),
    ]
    expect = {
        "weight-5000-digits": ["a number of 5000 characters (write a short number"],
        "weight-long-float": ["a number of 302 characters"],
        "deep-flow": ["nests deeper than 64 levels"],
        "deep-block": ["nests deeper than 64 levels"],
        "deep-mapping-flow": ["nests deeper than 64 levels"],
        "alias-bomb": ["more than 100 aliases"],
        "not-utf8": ["not UTF-8 at byte"],
        "tab-indent": ["line "],
        "duplicate-key": ["a key appears twice in one mapping"],
        "top-level-list": ["(top level): Input should be"],
        "top-level-scalar": ["(top level): Input should be"],
        "empty-file": ["(top level): Input should be"],
        "nul-in-file": ["control characters are not allowed"],
        "unclosed-quote": ["line "],
        "python-tag": ["line "],
    }
    for number, (short, text, _) in enumerate(texts):
        raw = text.encode("utf-8") if isinstance(text, str) else text
        yield Case(
            name=f"gen-yaml-{short}",
            args=["check" if number % 3 else "generate", "banking77"],
            exit=1,
            expect=[f"{YAML_FILE}", *expect[short]],
            files={"datum/datum.yaml": raw},
        )


# --- patches ----------------------------------------------------------------------------------


def _b85_lines(data: bytes) -> bytes:
    """git's binary patch data lines: a length character, then base85 in groups of five."""
    import base64

    lines = []
    for start in range(0, len(data), 52):
        chunk = data[start : start + 52]
        marker = (
            chr(ord("A") + len(chunk) - 1) if len(chunk) <= 26 else chr(ord("a") + len(chunk) - 27)
        )
        padded = chunk + b"\0" * (-len(chunk) % 4)
        lines.append(marker.encode() + base64.b85encode(padded))
    return b"\n".join(lines) + b"\n"


def _patch_cases() -> Iterator[Case]:
    new_file = (
        "diff --git a/{p} b/{p}\nnew file mode 100644\n--- /dev/null\n+++ b/{p}\n"
        "@@ -0,0 +1 @@\n+x\n"
    )
    paths = {
        "dotdot": ("../escape.txt", "unsafe path"),
        "dotdot-inner": ("src/../../escape.txt", "unsafe path"),
        "dot-git": (".git/config", "unsafe path"),
        "dot-git-upper": (".GIT/hooks/pre-commit", "unsafe path"),
        "dot-git-nested": ("sub/.git/config", "unsafe path"),
        "dot": ("./x", "unsafe path"),
        "ntfs-trailing-dot": (".git./config", "protectNTFS/protectHFS"),
        "ntfs-short-name": ("git~1/config", "protectNTFS/protectHFS"),
        "ntfs-stream": (".git::$INDEX_ALLOCATION/config", "protectNTFS/protectHFS"),
        "ntfs-backslash": ("sub/.git\\hooks", "protectNTFS/protectHFS"),
        "hfs-zero-width": (".g\u200cit/config", "protectNTFS/protectHFS"),
    }
    for short, (path, fragment) in paths.items():
        yield Case(
            name=f"gen-patch-{short}",
            args=["check", "banking77"],
            exit=1,
            expect=["datums/banking77/diff.patch", fragment],
            files={"datum/diff.patch": new_file.format(p=path).encode()},
        )
    quoted = {
        "nul": ('"a/x\\000y"', '"b/x\\000y"', "NUL byte in path"),
        "absolute-quoted": ('"a//etc/passwd"', '"b//etc/passwd"', "unsafe path"),
    }
    for short, (old, new, fragment) in quoted.items():
        patch = (
            f"diff --git {old} {new}\nnew file mode 100644\n--- /dev/null\n+++ {new}\n"
            "@@ -0,0 +1 @@\n+x\n"
        )
        yield Case(
            name=f"gen-patch-{short}",
            args=["check", "banking77"],
            exit=1,
            expect=["datums/banking77/diff.patch", fragment],
            files={"datum/diff.patch": patch.encode()},
        )
    bomb = zlib.compress(b"\0" * (16 * 1024 * 1024), 9)
    binaries = {
        "zlib-bomb": (1000, bomb, "inflates to more than the 1000 bytes the header says"),
        "declared-huge": (10**11, zlib.compress(b"x"), "over the 67108864-byte cap"),
        "declared-5000-digits": (int("9" * 40), zlib.compress(b"x"), "over the 67108864-byte cap"),
        "size-mismatch": (5, zlib.compress(b"xy"), "inflated to 2 bytes, header says 5"),
    }
    for short, (size, data, fragment) in binaries.items():
        patch = (
            b"diff --git a/blob.bin b/blob.bin\nnew file mode 100644\nindex 0000000..1111111\n"
            b"GIT binary patch\nliteral " + str(size).encode() + b"\n" + _b85_lines(data) + b"\n"
            b"literal 0\nHcmV?d00001\n\n"
        )
        yield Case(
            name=f"gen-patch-binary-{short}",
            args=["check", "banking77"],
            exit=1,
            expect=["datums/banking77/diff.patch", fragment],
            files={"datum/diff.patch": patch},
        )
    malformed = {
        "hunk-5000-digits": (
            b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1," + b"9" * 5000 + b" +1 @@\n-a\n+b\n",
            "patch ends inside the hunk",
        ),
        "hunk-without-header": (b"@@ -1 +1 @@\n-a\n+b\n", "hunk without a file header"),
        "truncated-hunk": (
            b"diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n"
            b"@@ -1,3 +1,3 @@\n-a\n",
            "patch ends inside the hunk",
        ),
        "binary-garbage": (
            b"diff --git a/b.bin b/b.bin\nnew file mode 100644\nGIT binary patch\n"
            b"literal 3\n!!!!!!\n\n",
            "corrupt binary patch",
        ),
    }
    for short, (patch, fragment) in malformed.items():
        yield Case(
            name=f"gen-patch-{short}",
            args=["check", "banking77"],
            exit=1,
            expect=["datums/banking77/diff.patch", fragment],
            files={"datum/diff.patch": patch},
        )


# --- directories, symlinks, imports -----------------------------------------------------------


def _directory_cases() -> Iterator[Case]:
    base = (BANKING77 / "datum.yaml").read_text("utf-8")
    for short, name in (
        ("upper", "Banking77"),
        ("dot-upper", "Bad.Name"),
        ("trailing-dot", "name."),
        ("space", "has space"),
        ("leading-dash", "-rf"),
        ("too-long", "a" * 70),
        ("escape", "x\x1b]0;owned\x07"),
        ("bidi", "x\u202egnp"),
    ):
        text = base.replace("re-bench-banking77", f"re-bench-{name}")
        for command in ("check", "list"):
            yield Case(
                name=f"gen-dirname-{short}-{command}",
                args=[command, "--all"] if command == "check" else ["list"],
                exit=1 if command == "check" else 0,
                expect=["is not a valid datum name"] if command == "check" else ["invalid"],
                files={"datum/datum.yaml": text.encode()},
                datum_name=name,
            )
    yield Case(
        name="gen-dirname-staging-leftover",
        args=["list"],
        exit=0,
        expect=["banking77"],
        files={"datum/datum.yaml": base.encode()},
        datum_name=".banking77.staging-k1ll9",
    )


def _symlink_cases() -> Iterator[Case]:
    overlay = "datums/banking77/overlay_files"
    yield Case(
        name="gen-symlink-overlay-generate",
        args=["generate", "banking77"],
        exit=1,
        expect=["refused: overlay_files is a symlink"],
        remove=[overlay],
        symlinks={overlay: "{outside}"},
    )
    yield Case(
        name="gen-symlink-overlay-file-generate",
        args=["generate", "banking77"],
        exit=1,
        expect=["refused: overlay_files/tb_meta.json is a symlink"],
        remove=[f"{overlay}/tb_meta.json"],
        symlinks={f"{overlay}/tb_meta.json": "{outside}/tb_meta.json"},
    )
    yield Case(
        name="gen-symlink-dockerfile-generate",
        args=["generate", "banking77"],
        exit=1,
        expect=["refused: Dockerfile is a symlink"],
        remove=["datums/banking77/Dockerfile"],
        symlinks={"datums/banking77/Dockerfile": "{outside}/Dockerfile"},
    )
    yield Case(
        name="gen-symlink-extra-outside",
        args=["check", "banking77"],
        exit=1,
        expect=["overlay_extras[0]", "does not exist in"],
        files={"datum/datum.yaml": _dump(_set(_base(), "overlay_extras[0]", "overlay_src/x"))},
        symlinks={"datums/banking77/overlay_src/x": "/etc/hostname"},
    )
    for name in ("tb_meta.json", "diff.patch", "notes.md", "trace", "Dockerfile"):
        yield Case(
            name=f"gen-import-symlink-{_slug(name)}",
            args=["import", "{seed}", "--name", "imported"],
            exit=1,
            expect=[f"{name}: is a symlink"],
            files=_seed_files(skip=name),
            symlinks={f"{{seed}}/{name}": "{outside}"},
        )


def _seed_files(skip: str = "") -> dict[str, bytes]:
    files = {
        f"seed/{name}": (BANKING77 / name).read_bytes()
        for name in ("tb_meta.json", "diff.patch", "notes.md")
        if name != skip
    }
    return files


def _import_cases() -> Iterator[Case]:
    tb_meta = json.loads((BANKING77 / "tb_meta.json").read_bytes())
    documents: dict[str, tuple[bytes, list[str]]] = {
        "deep": (b'{"a": ' + b"[" * 3000 + b"]" * 3000 + b"}", ["nests deeper than 64 levels"]),
        "deep-shallow": (b'{"a": ' + b"[" * 70 + b"]" * 70 + b"}", ["nests deeper than 64"]),
        "not-json": (b"{nope", ["not valid JSON"]),
        "array": (b"[1, 2]", ["must be a JSON object"]),
        "not-utf8": (b'{"a": "\xff"}', ["not valid JSON"]),
        "title-newline": (
            json.dumps({**tb_meta, "metadata": {**tb_meta["metadata"], "title": "a\nb"}}).encode(),
            ["metadata.title: contains a newline"],
        ),
        "branch-dash": (
            json.dumps({**tb_meta, "repo": {**tb_meta["repo"], "branch": "-x"}}).encode(),
            ["repo.branch: '-x' starts with '-'"],
        ),
        "url-newline": (
            json.dumps(
                {**tb_meta, "repo": {**tb_meta["repo"], "git_url": "https://a/b\nc"}}
            ).encode(),
            ["repo.git_url: contains a newline"],
        ),
    }
    for short, (content, expect) in documents.items():
        files = _seed_files()
        files["seed/tb_meta.json"] = content
        yield Case(
            name=f"gen-import-{short}",
            args=["import", "{seed}", "--name", "imported"],
            exit=1,
            expect=expect,
            files=files,
        )
    yield Case(
        name="gen-import-huge-tb-meta",
        args=["import", "{seed}", "--name", "imported"],
        exit=1,
        expect=["is 209715200 bytes, over the 16777216-byte cap for JSON files"],
        files={k: v for k, v in _seed_files().items() if not k.endswith("tb_meta.json")},
        sparse={"{seed}/tb_meta.json": 200 * 1024 * 1024},
    )
    yield Case(
        name="gen-import-huge-patch",
        args=["import", "{seed}", "--name", "imported"],
        exit=1,
        expect=["diff.patch: is 104857600 bytes, over the 67108864-byte cap"],
        files={k: v for k, v in _seed_files().items() if not k.endswith("diff.patch")},
        sparse={"{seed}/diff.patch": 100 * 1024 * 1024},
    )
    dockerfile = b"FROM python:3.11-slim\nWORKDIR /app$(id)\nRUN pip install x\n"
    files = _seed_files()
    files["seed/Dockerfile"] = dockerfile
    yield Case(
        name="gen-import-dockerfile-workdir-subst",
        args=["import", "{seed}", "--name", "imported"],
        exit=1,
        expect=["environment.workdir: '/app$(id)' has characters a Dockerfile or shell"],
        files=files,
    )


def cases() -> list[Case]:
    found = [
        *_field_value_cases(),
        *_env_key_cases(),
        *_specific_cases(),
        *_structure_cases(),
        *_text_cases(),
        *_patch_cases(),
        *_directory_cases(),
        *_symlink_cases(),
        *_import_cases(),
    ]
    names = [case.name for case in found]
    assert len(names) == len(set(names)), "case names must be unique"
    return found


def main() -> None:
    for old in sorted(BAD.glob("gen-*")):
        shutil.rmtree(old)
    for case in cases():
        directory = BAD / case.name
        directory.mkdir(parents=True)
        (directory / "case.toml").write_text(case.toml(), encoding="utf-8")
        for relative, content in case.files.items():
            target = directory / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    print(f"wrote {len(cases())} cases to {BAD}")


if __name__ == "__main__":
    main()
