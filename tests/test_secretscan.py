"""Secret scanning: what is a credential, what is not (git SHAs), the allowlist, redaction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from datumkit.cli.main import cli
from datumkit.secrets.allowlist import AllowlistInvalid, load_allowlist
from datumkit.secrets.redact import Redaction, placeholder, redact
from datumkit.secrets.scan import SecretHit, hash_secret, scan_bytes, scan_patch
from helpers.binarypatch import new_binary_file

# Fake credentials, assembled at run time so this file does not look like it holds any.
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
GITHUB_TOKEN = "ghp_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
OPENAI_KEY = "sk-proj-" + "abcdefghijklmnopqrst" + "T3BlbkFJ" + "abcdefghijklmnopqrst"
SLACK_TOKEN = "xoxb-" + "123456789012-1234567890123-abcdefghijklmnopqrstuvwx"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PASSWORD = "correct-horse-battery"
PEM = "\n".join(
    [
        "-----BEGIN RSA " + "PRIVATE KEY-----",
        "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
        "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
        "-----END RSA " + "PRIVATE KEY-----",
    ]
)
SHA = "e381612f0c6c0bb11edf17545e6a4ae08240de09"
OTHER_SHA = "603446e78ae753f00814098e19b8103755ba7431"


def kinds(hits: list[SecretHit]) -> list[str]:
    return [hit.kind for hit in hits]


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (f"aws_access_key_id = {AWS_KEY}", "AWS Access Key"),
        (f'token = "{GITHUB_TOKEN}"', "GitHub Token"),
        (f"OPENAI={OPENAI_KEY}", "OpenAI Token"),
        (f"slack: {SLACK_TOKEN}", "Slack Token"),
        (f"Authorization: Bearer {JWT}", "JSON Web Token"),
        ("remote = https://deploy:hunter2pass@example.com/repo.git", "Basic Auth Credentials"),
        (f'password = "{PASSWORD}"', "Secret Keyword"),
        (f'{{"password": "{PASSWORD}"}}', "Secret Keyword"),
    ],
)
def test_credentials_are_found(line: str, kind: str) -> None:
    hits = scan_bytes(f"first line\n{line}\n".encode(), display_path="notes.md")
    assert kind in kinds(hits)
    hit = next(h for h in hits if h.kind == kind)
    assert (hit.file, hit.line) == ("notes.md", 2)
    assert hit.secret in line
    assert hit.hashed == hash_secret(hit.secret)


def test_git_shas_and_patch_metadata_are_not_credentials() -> None:
    content = "\n".join(
        [
            f"baseline_sha = {SHA}",
            f'"start_commit_sha": "{SHA}"',
            f"index {SHA}..{OTHER_SHA} 100644",
            f"tree {OTHER_SHA}",
            f"sha256:{SHA}{SHA[:24]}",
            "session id 5f0c6c0b-b11e-4df1-8a4a-e08240de0900",
        ]
    )
    assert scan_bytes(content.encode(), display_path="repo_info.json") == []


def test_whole_credential_is_reported_where_the_plugin_reports_a_fragment() -> None:
    # detect-secrets' GitHub plugin reports only "ghp"; the JWT plugin drops the signature.
    hits = scan_bytes(f"a = '{GITHUB_TOKEN}'\nb = {JWT}\n".encode(), display_path="x")
    assert [h.secret for h in hits] == [GITHUB_TOKEN, JWT]


def test_private_key_block_is_one_credential() -> None:
    hits = scan_bytes(f"key:\n{PEM}\nafter\n".encode(), display_path="id_rsa")
    assert kinds(hits) == ["Private Key"]
    assert hits[0].line == 2
    assert hits[0].secret == PEM


def test_json_strings_are_also_scanned_decoded() -> None:
    # escaping hides `password = "..."` from the raw scan; a key is reported once, not twice
    content = json.dumps({"cmd": f'password = "{PASSWORD}"', "key": PEM}, indent=1).encode()
    hits = scan_bytes(content, display_path="trace/session_clean.json")
    assert [(h.line, h.kind) for h in hits] == [(2, "Secret Keyword"), (3, "Private Key")]
    assert hits[0].secret == PASSWORD


def test_pragma_allowlists_a_line() -> None:
    content = f'password = "{PASSWORD}"  # pragma: allowlist secret\n'
    assert scan_bytes(content.encode(), display_path="settings.py") == []


def test_secret_never_in_repr_or_describe() -> None:
    (hit,) = scan_bytes(f"{AWS_KEY}\n".encode(), display_path="f")
    assert AWS_KEY not in repr(hit)
    assert AWS_KEY not in hit.describe()
    assert hit.describe() == f"f:1: AWS Access Key (hash {hit.hashed[:8]})"


def test_a_nul_byte_never_turns_the_scan_off() -> None:
    """Issue 11: one NUL byte anywhere used to hide the whole file."""
    content = b"\0\x01\xff\xfe binary header\n" + AWS_KEY.encode() + b"\0trailer"
    (hit,) = scan_bytes(content, display_path="blob.bin")
    assert (hit.kind, hit.line, hit.secret) == ("AWS Access Key", 2, AWS_KEY)


def patch_with(added: list[str], removed: list[str] | None = None) -> bytes:
    removed = removed or []
    lines = [
        "diff --git a/config.py b/config.py",
        f"index {SHA}..{OTHER_SHA} 100644",
        "--- a/config.py",
        "+++ b/config.py",
        f"@@ -1,{len(removed) + 1} +1,{len(added) + 1} @@",
        " context = 1",
        *(f"-{line}" for line in removed),
        *(f"+{line}" for line in added),
        *new_binary_file("blob.bin", bytes(range(12))),
    ]
    return ("\n".join(lines) + "\n").encode()


def test_patch_scan_counts_only_added_lines_with_patch_line_numbers() -> None:
    patch = patch_with(
        added=["x = 1", f'API_PASSWORD = "{PASSWORD}"'],
        removed=[f'OLD_PASSWORD = "{PASSWORD}x"'],
    )
    hits = scan_patch(patch, display_path="datums/x/diff.patch")
    assert [(h.file, h.line, h.kind) for h in hits] == [
        ("datums/x/diff.patch", 9, "Secret Keyword")
    ]
    assert hits[0].secret == PASSWORD


def test_patch_headers_and_binary_hunks_are_not_hits() -> None:
    assert scan_patch(patch_with(added=["x = 2"]), display_path="diff.patch") == []


# --- allowlist --------------------------------------------------------------------------------


def test_allowlist_entry_allows_that_hash_in_that_file_only() -> None:
    (hit,) = scan_bytes(f"{AWS_KEY}\n".encode(), display_path="datums/x/trace/session_clean.json")
    text = (
        "# reviewed exceptions\n\n"
        f"{hit.hashed} trace/session_clean.json # AWS's documented example key\n"
    ).encode()
    allowlist = load_allowlist(text, display_path="datums/x/secrets.allowlist")
    assert allowlist.allows(hit)
    elsewhere = SecretHit("datums/x/notes.md", 1, hit.kind, hit.hashed, hit.secret)
    assert not allowlist.allows(elsewhere)
    other = SecretHit(hit.file, 1, hit.kind, "0" * 40, "other")
    assert not allowlist.allows(other)
    assert allowlist.entries[0].reason == "AWS's documented example key"
    assert allowlist.unused([hit]) == []


def test_allowlist_entry_without_reason_is_an_error_naming_the_line() -> None:
    text = f"# header\n{SHA} diff.patch # fine\n{OTHER_SHA} notes.md\n{SHA} x #   \n".encode()
    with pytest.raises(AllowlistInvalid) as caught:
        load_allowlist(text, display_path="datums/x/secrets.allowlist")
    lines = str(caught.value).splitlines()
    assert lines == [
        "datums/x/secrets.allowlist: line 3: entry has no reason "
        "(append ' # why this is not a real secret')",
        "datums/x/secrets.allowlist: line 4: entry has no reason "
        "(append ' # why this is not a real secret')",
    ]
    assert [e.location for e in caught.value.errors] == ["line 3", "line 4"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not-a-hash diff.patch # why", "'not-a-hash' is not a hashed secret"),
        (f"{SHA} ../x # why", "'../x' leaves the datum"),
        ("justoneword", "not an allowlist entry"),
    ],
)
def test_allowlist_malformed_entries(line: str, message: str) -> None:
    with pytest.raises(AllowlistInvalid, match="line 1: " + message.replace("(", r"\(")):
        load_allowlist(line.encode(), display_path="secrets.allowlist")


def test_no_allowlist_file_allows_nothing() -> None:
    (hit,) = scan_bytes(f"{AWS_KEY}\n".encode(), display_path="f")
    assert not load_allowlist(None, display_path="secrets.allowlist").allows(hit)


# --- redaction --------------------------------------------------------------------------------


def test_redact_replaces_with_placeholders_and_keeps_everything_else() -> None:
    # CRLF, and a byte that is not UTF-8, must survive untouched.
    content = f"keep me\r\nkey={AWS_KEY} tail\nmulti:\n{PEM}\nend ".encode() + b"\xff\n"
    redacted, hits = redact(content, display_path="notes.md")
    assert kinds(hits) == ["AWS Access Key", "Private Key"]
    aws, pem = hits
    expected = (
        f"keep me\r\nkey={placeholder(aws)} tail\nmulti:\n{placeholder(pem)}\n\n\n\nend ".encode()
        + b"\xff\n"
    )
    assert redacted == expected
    assert placeholder(aws) == f"<REDACTED:AWS Access Key:{aws.hashed[:8]}>"
    assert redact(redacted, display_path="notes.md") == (redacted, [])


def test_redacted_json_stays_valid_and_clean() -> None:
    document = {
        "messages": [
            {"role": "tool", "content": f"export AWS_ACCESS_KEY_ID={AWS_KEY}"},
            {"role": "tool", "content": PEM},
            {"password": PASSWORD, "token": GITHUB_TOKEN},
        ]
    }
    content = json.dumps(document, indent=2).encode()
    redacted, hits = redact(content, display_path="session_clean.json")
    assert len(hits) >= 4
    parsed = json.loads(redacted)
    text = json.dumps(parsed)
    for secret in (AWS_KEY, PASSWORD, GITHUB_TOKEN, "MIIEpAIBAAKCAQEA"):
        assert secret not in text
    assert scan_bytes(redacted, display_path="session_clean.json") == []


def test_redacted_patch_keeps_its_lines() -> None:
    patch = patch_with(added=[f'API_PASSWORD = "{PASSWORD}"', "y = 2"])
    redacted, hits = redact(patch, display_path="diff.patch", as_patch=True)
    assert len(hits) == 1
    assert redacted.count(b"\n") == patch.count(b"\n")
    assert f'+API_PASSWORD = "{placeholder(hits[0])}"'.encode() in redacted
    assert PASSWORD.encode() not in redacted


def test_scanning_a_file_on_disk_matches_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text(f"{SLACK_TOKEN}\n", encoding="utf-8")
    assert kinds(scan_bytes(path.read_bytes(), display_path=str(path))) == ["Slack Token"]


# --- datum redact -----------------------------------------------------------------------------


def redact_cli(*args: str) -> Result:
    return CliRunner().invoke(cli, ["redact", *args])


def test_redact_command_rewrites_files_and_says_what_it_replaced(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    trace.mkdir()
    session = trace / "session_clean.json"
    session.write_text(json.dumps({"env": f"AWS={AWS_KEY}", "ok": "nothing here"}, indent=1))
    (trace / "session_id.txt").write_text("sess_1\n")
    notes = tmp_path / "notes.md"
    notes.write_text(f"token: {GITHUB_TOKEN}\n")
    before = session.read_bytes()

    dry = redact_cli(str(trace), str(notes), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would replace 2 credential(s) in 2 file(s)" in dry.output
    assert session.read_bytes() == before

    done = redact_cli(str(trace), str(notes))
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[0].startswith(f"{session}:2: AWS Access Key -> <REDACTED:AWS Access Key:")
    assert lines[1].startswith(f"{notes}:1: GitHub Token -> <REDACTED:GitHub Token:")
    assert lines[2] == "replaced 2 credential(s) in 2 file(s)"
    for secret in (AWS_KEY, GITHUB_TOKEN):
        assert secret not in done.output
    assert json.loads(session.read_text())["ok"] == "nothing here"
    assert AWS_KEY not in session.read_text() and GITHUB_TOKEN not in notes.read_text()
    assert redact_cli(str(trace)).output == "replaced 0 credential(s) in 0 file(s)\n"


def test_redaction_stays_inside_json_strings(tmp_path: Path) -> None:
    begin, end = PEM.splitlines()[0], PEM.splitlines()[-1]
    path = tmp_path / "session_clean.json"
    path.write_text(json.dumps({"a": begin, "b": end, "c": PEM}))
    assert redact_cli(str(path)).exit_code == 0
    document = json.loads(path.read_text())
    assert document["a"].startswith("<REDACTED:Private Key:")
    assert document["b"] == end
    assert document["c"].startswith("<REDACTED:Private Key:")


def test_redact_leaves_json_alone_rather_than_break_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "session_clean.json"
    path.write_text(json.dumps({"env": AWS_KEY}))
    before = path.read_bytes()
    hits = scan_bytes(before, display_path=str(path))
    broken = Redaction(b'{"env": ', hits, [])
    monkeypatch.setattr("datumkit.cli.commands.redact.redact_file", lambda *a, **k: broken)
    result = redact_cli(str(path))
    assert result.exit_code == 1
    assert f"{path}: left unchanged: redaction would break its JSON" in result.output
    assert path.read_bytes() == before


def test_redact_needs_existing_paths(tmp_path: Path) -> None:
    assert redact_cli(str(tmp_path / "missing")).exit_code == 2
