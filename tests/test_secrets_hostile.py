"""Secrets a hostile datum tries to slip through (issue 11), and inputs built to stall a scanner.

Each test here fails on the scanner before issue 11: a NUL byte turned a file's scan off, binary
hunks and every line after one were never read, AI-provider keys were unknown, and keyword-dense
text took minutes. The stalling inputs assert results only (no timings: speed is measured in
``benchmarks/secrets_scan.py``); a scanner that is not linear simply never finishes them.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from datumkit.cli.main import cli
from datumkit.git.errors import MalformedPatch
from datumkit.git.patchparse import parse_patch
from datumkit.secrets.redact import redact_file
from datumkit.secrets.scan import SecretHit, inflate_prefix, scan_bytes, scan_patch
from helpers.binarypatch import literal, new_binary_file
from helpers.gitrepo import git

# Fake credentials, assembled at run time so this file does not look like it holds any.
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
ALNUM = "aB3dE5gH7jK9mN1pQ2sT4vW6yZ8cF0hJ"  # 32 characters, mixed


def kinds(hits: list[SecretHit]) -> list[str]:
    return [hit.kind for hit in hits]


def text_section(path: str, added: list[str]) -> list[str]:
    return [
        f"diff --git a/{path} b/{path}",
        "new file mode 100644",
        "--- /dev/null",
        f"+++ b/{path}",
        f"@@ -0,0 +1,{len(added)} @@",
        *(f"+{line}" for line in added),
    ]


def patch(*sections: list[str]) -> bytes:
    return ("\n".join(line for section in sections for line in section) + "\n").encode()


# --- binary content ---------------------------------------------------------------------------


def test_binary_literal_helper_is_what_git_applies(tmp_path: Path) -> None:
    """The hand-built binary hunks below are real: git applies them to the bytes they carry."""
    content = b"\0\x01\x02 payload \xff" * 10
    git(tmp_path, "init", "-q")
    (tmp_path / "p.patch").write_bytes(patch(new_binary_file("blob.bin", content)))
    git(tmp_path, "apply", "p.patch")
    assert (tmp_path / "blob.bin").read_bytes() == content


def test_a_token_inside_a_binary_literal_is_found() -> None:
    carried = b"\0\x89PNG\r\n\x1a\n" + f"key={AWS_KEY}".encode() + b"\0\0"
    lines = new_binary_file("image.png", carried)
    hits = scan_patch(patch(lines), display_path="datums/x/diff.patch")
    assert [(h.line, h.kind, h.secret) for h in hits] == [
        (lines.index("GIT binary patch") + 1, "AWS Access Key", AWS_KEY)
    ]


def test_a_text_file_marked_binary_ships_no_token(tmp_path: Path) -> None:
    """git writes a text file marked binary in .gitattributes as a binary literal."""
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitattributes").write_text("*.cfg binary\n")
    git(tmp_path, "add", ".gitattributes")
    git(tmp_path, "commit", "-qm", "base")
    (tmp_path / "app.cfg").write_text(f"aws_access_key_id = {AWS_KEY}\n")
    git(tmp_path, "add", "app.cfg")
    diff = git(tmp_path, "diff", "--cached", "--binary")
    assert b"GIT binary patch" in diff and AWS_KEY.encode() not in diff
    assert kinds(scan_patch(diff, display_path="diff.patch")) == ["AWS Access Key"]


@pytest.mark.parametrize(
    "after",
    [
        pytest.param(lambda: text_section("later.py", [f'KEY = "{AWS_KEY}"']), id="next-file"),
        pytest.param(lambda: [f"stray text after the binary data: {AWS_KEY}"], id="stray-text"),
    ],
)
def test_lines_after_a_binary_section_are_scanned(after: object) -> None:
    binary = new_binary_file("blob.bin", bytes(range(40)))
    lines = patch(binary, after())  # type: ignore[operator]
    assert kinds(scan_patch(lines, display_path="diff.patch")) == ["AWS Access Key"]


def test_a_patch_git_refuses_is_scanned_whole_with_its_binary_data() -> None:
    """A corrupt patch still ships: every line and each decodable binary hunk is scanned."""
    hidden = new_binary_file("blob.bin", f"token {AWS_KEY}".encode())
    broken = ["diff --git a/x.py b/x.py", "--- a/x.py", "+++ b/x.py", "@@ -1,5 +1,5 @@", "+x"]
    assert kinds(scan_patch(patch(broken, hidden), display_path="diff.patch")) == ["AWS Access Key"]


def test_a_zlib_bomb_inflates_no_further_than_its_declared_size() -> None:
    bomb = zlib.compress(b"\0" * (64 * 2**20), 9)  # 64 MiB of zeros in about 64 KB
    assert len(inflate_prefix(bomb, 100)) == 100
    section = [
        "diff --git a/bomb.bin b/bomb.bin",
        "new file mode 100644",
        "index 0000000..1111111",
        "GIT binary patch",
        *literal(b"", declared=100, deflated=bomb),
        "literal 0",
        "HcmV?d00001",
        "",
    ]
    with pytest.raises(MalformedPatch, match="more than the 100 bytes"):
        parse_patch(patch(section))
    assert scan_patch(patch(section), display_path="diff.patch") == []


def test_nul_bytes_and_invalid_utf8_survive_redaction_byte_for_byte() -> None:
    content = b"\x00\xff\xfe\x80head\nkey " + AWS_KEY.encode() + b" \x00tail\xc3"
    result = redact_file(content, display_path="blob.bin")
    assert kinds(result.replaced) == ["AWS Access Key"] and result.left == []
    marker = f"<REDACTED:AWS Access Key:{result.replaced[0].hashed[:8]}>".encode()
    assert result.content == content.replace(AWS_KEY.encode(), marker)


# --- the redact command ----------------------------------------------------------------------


def redact_cli(*args: str) -> Result:
    return CliRunner().invoke(cli, ["redact", *args])


def test_redact_rewrites_a_binary_file(tmp_path: Path) -> None:
    blob = tmp_path / "trace" / "dump.bin"
    blob.parent.mkdir()
    blob.write_bytes(b"\0\0\x01" + AWS_KEY.encode() + b"\0")
    result = redact_cli(str(tmp_path / "trace"))
    assert result.exit_code == 0, result.output
    assert AWS_KEY.encode() not in blob.read_bytes()
    assert blob.read_bytes().startswith(b"\0\0\x01<REDACTED:AWS Access Key:")


def test_redact_reports_a_token_it_cannot_edit_in_a_binary_hunk(tmp_path: Path) -> None:
    path = tmp_path / "diff.patch"
    content = patch(
        text_section("a.py", [f'KEY = "{AWS_KEY}x"']),
        new_binary_file("b.bin", f"\0{AWS_KEY}".encode()),
    )
    path.write_bytes(content)
    result = redact_cli(str(path))
    assert result.exit_code == 1
    assert "inside binary data, left in place" in result.output
    assert "replaced 1 credential(s) in 1 file(s)" in result.output
    assert AWS_KEY not in result.output


def test_redact_refuses_a_symlink_and_leaves_link_and_target_alone(tmp_path: Path) -> None:
    target = tmp_path / "outside.env"
    target.write_text(f"AWS={AWS_KEY}\n")
    link = tmp_path / "datum" / "notes.md"
    link.parent.mkdir()
    link.symlink_to(target)
    result = redact_cli(str(link))
    assert result.exit_code == 2
    assert "is a symbolic link" in result.output and str(target) in result.output
    assert link.is_symlink() and target.read_text() == f"AWS={AWS_KEY}\n"


# --- AI-provider keys -------------------------------------------------------------------------

KEYS = {
    "openai-project": ("sk-proj-" + ALNUM * 4 + "T3BlbkFJ" + ALNUM * 2, "OpenAI Token"),
    "openai-service-account": ("sk-svcacct-" + ALNUM * 3 + "-_" + ALNUM, "OpenAI Token"),
    "openai-admin": ("sk-admin-" + ALNUM * 2, "OpenAI Token"),
    "openai-legacy": ("sk-" + ALNUM[:20] + "T3BlbkFJ" + ALNUM[:20], "OpenAI Token"),
    "anthropic-api": ("sk-ant-api03-" + ALNUM * 3 + "-_" + ALNUM[:25] + "AA", "Anthropic API Key"),
    "anthropic-admin": ("sk-ant-admin01-" + ALNUM * 3 + "AA", "Anthropic API Key"),
    "hugging-face": ("hf_" + (ALNUM + ALNUM)[:34], "Hugging Face Token"),
    "google-ai": ("AIza" + (ALNUM + "-_abc")[:35], "Google API Key"),
    "groq": ("gsk_" + (ALNUM * 2)[:52], "Groq API Key"),
    "xai": ("xai-" + (ALNUM * 3)[:80], "xAI API Key"),
    "replicate": ("r8_" + (ALNUM * 2)[:37], "Replicate API Token"),
    "openrouter": ("sk-or-v1-" + "0123456789abcdef" * 4, "OpenRouter API Key"),
    "perplexity": ("pplx-" + (ALNUM * 2)[:48], "Perplexity API Key"),
    "langsmith": ("lsv2_pt_" + "0123456789abcdef" * 2 + "_0123456789", "LangSmith API Key"),
}


@pytest.mark.parametrize(("key", "kind"), list(KEYS.values()), ids=list(KEYS))
@pytest.mark.parametrize(
    "context",
    ["export TOKEN={}\n", '{{"env": "X={}"}}\n', "Authorization: Bearer {}\n"],
    ids=["shell", "json", "header"],
)
def test_ai_provider_keys_are_found_whole(key: str, kind: str, context: str) -> None:
    hits = scan_bytes(context.format(key).encode(), display_path="trace/session.json")
    assert [(hit.kind, hit.secret) for hit in hits] == [(kind, key)]


@pytest.mark.parametrize(
    "text",
    [
        "task-proj-" + ALNUM,  # a prefix inside a longer word
        "hf_short",
        "AIza" + "x" * 10,
        "see sk-ant-docs for the key format",
    ],
)
def test_lookalikes_are_not_keys(text: str) -> None:
    assert scan_bytes(text.encode(), display_path="notes.md") == []


# --- linear time ------------------------------------------------------------------------------

STALLERS = {
    # detect-secrets' keyword rules are cubic on a line of keywords without separators
    "keyword-run": ("secret_" * 20000, "notes.md"),
    "unclosed-assignments": ('password="' * 12000, "notes.md"),
    "comparisons": ('"x" == password ' * 8000, "notes.md"),
    # unbounded repetitions after a prefix are quadratic on text dense in the prefix
    "sk-dense": ("sk-" * 40000, "notes.md"),
    "eyJ-dense": ("eyJ" * 40000, "notes.md"),
    "pem-begins": ("-----BEGIN RSA PRIVATE KEY-----" * 4000, "notes.md"),
    # escaped quotes: every quote starts a string literal that never ends
    "escaped-quotes": ('"\\"' * 40000, "trace/session.json"),
}


@pytest.mark.parametrize(("text", "name"), list(STALLERS.values()), ids=list(STALLERS))
def test_inputs_built_to_stall_a_backtracking_scanner_finish(text: str, name: str) -> None:
    hits = scan_bytes(text.encode(), display_path=name)
    assert all(hit.kind in ("Secret Keyword", "Private Key") for hit in hits)


def test_many_credentials_on_one_long_line_are_all_found() -> None:
    keys = [f"AKIA{index:016d}" for index in range(2000)]
    line = " ".join(keys) + "\n"
    hits = scan_bytes(line.encode(), display_path="trace/dump.txt")
    assert sorted(hit.secret for hit in hits) == sorted(keys)


# --- the same verdicts as detect-secrets ---------------------------------------------------

ORDINARY_LINES = [
    f'aws_key = "{AWS_KEY}"',
    'password = "correct-horse-battery"',
    "db_password: s3cr3t-Value",
    'api_key = "${API_KEY}"',  # templated: filtered
    'secret = "abcdefghijklmnop"',  # sequential: filtered
    'password = "hunter2"  # pragma: allowlist secret',
    "token = ghp_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "remote = https://deploy:hunter2pass@example.com/repo.git",
    "user_id = 'ab12cd34ef56'",
    "nothing to see here",
    'if "letmein" == password:',
    "xoxb-" + "123456789012-1234567890123-abcdefghijklmnopqrstuvwx",
    "-----BEGIN RSA " + "PRIVATE KEY-----",
    "auth: Bearer eyJ" + "hbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl and eyJeyJeyJ",
]


@pytest.mark.parametrize("name", ["settings.py", "notes.txt", "config.yaml"])
def test_findings_match_detect_secrets_own_scan_on_ordinary_lines(
    tmp_path: Path, name: str
) -> None:
    """On lines of ordinary length our route into detect-secrets (its plugins' analyze_string
    and its filter functions) reports what its own public ``scan_file`` reports."""
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import transient_settings

    from datumkit.secrets.detect import FILTERS, REGEX_PLUGINS, detect
    from datumkit.secrets.plugins import LinearJwtTokenDetector

    path = tmp_path / name
    path.write_text("\n".join(ORDINARY_LINES) + "\n")
    # detect-secrets' plugins we run, and the one we run in a linear form (its JWT plugin)
    builtin = [
        p if p.__module__.startswith("detect_secrets.") else p.__bases__[0]
        for p in REGEX_PLUGINS
        if p.__module__.startswith("detect_secrets.") or p is LinearJwtTokenDetector
    ]
    settings = {
        "plugins_used": [{"name": p.__name__} for p in builtin] + [{"name": "KeywordDetector"}],
        "filters_used": [{"path": f} for f in FILTERS],
    }
    with transient_settings(settings):
        theirs = {(s.line_number, s.type, s.secret_value) for s in scan_file(str(path))}
    ours = {
        (f.index + 1, f.kind, f.value)
        for f in detect(ORDINARY_LINES, name)
        if f.kind in {str(p.secret_type) for p in builtin} | {"Secret Keyword"}
    }
    assert ours == theirs
    assert theirs  # the corpus does hold credentials


@pytest.mark.parametrize(
    "line",
    [
        "secret = get_secret_key()",
        "secret = request.headers['apikey']",
        "password == compute(x) and y",
        "a := b(c)",
        "x = y",
        "no sign (here)",
        "k=v " * 300,
        "value != other[0]",
    ],
)
def test_linear_indirect_reference_filter_agrees_with_detect_secrets(line: str) -> None:
    from detect_secrets.filters.heuristic import is_indirect_reference

    from datumkit.secrets.detect import _is_indirect_reference

    assert _is_indirect_reference(line) == is_indirect_reference(line)
