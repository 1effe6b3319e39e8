"""`datum fetch` goes through the git command line: the user's git config applies, and every
object received passes git's fsck, so a hostile upstream cannot plant `..` or `.git` entries."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from datumkit.git.fetch import fetch_mirror
from datumkit.git.mirrors import FetchFailed, MirrorLocator, mirror_path, open_mirror
from helpers.repo import git


def _plumb(cwd: Path, *args: str, data: bytes | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, input=data, capture_output=True, check=True)
    return done.stdout.decode().strip()


def _hostile_upstream(path: Path, entry: bytes) -> Path:
    """A repository whose only commit has a tree entry named ``entry`` (git would never write
    one; `hash-object --literally` does)."""
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    blob = _plumb(path, "hash-object", "-w", "--stdin", data=b"owned\n")
    tree_bytes = b"100644 " + entry + b"\0" + bytes.fromhex(blob)
    tree = _plumb(
        path, "hash-object", "-w", "--literally", "-t", "tree", "--stdin", data=tree_bytes
    )
    commit = _plumb(path, "commit-tree", tree, "-m", "hostile")
    git(path, "update-ref", "refs/heads/main", commit)
    return path


@pytest.mark.parametrize("entry", [b"..", b".git", b"."], ids=["dotdot", "dotgit", "dot"])
def test_fetch_refuses_objects_git_fsck_refuses(tmp_path: Path, entry: bytes) -> None:
    upstream = _hostile_upstream(tmp_path / "hostile", entry)
    locator = MirrorLocator(cache_dir=tmp_path / "cache")
    with pytest.raises(FetchFailed) as caught:
        fetch_mirror(locator, str(upstream), branch="main")
    message = str(caught.value)
    assert "fsck refused an object the upstream sent" in message
    assert "\n" not in message
    assert not mirror_path(str(upstream), locator.cache_dir).exists()
    assert [p.name for p in (tmp_path / "cache").iterdir() if not p.name.endswith(".lock")] == []


def test_fetch_of_a_clean_upstream_passes_fsck(tmp_path: Path) -> None:
    upstream = tmp_path / "clean"
    upstream.mkdir()
    git(upstream, "init", "-q", "-b", "main")
    (upstream / "a.txt").write_text("a\n")
    git(upstream, "add", "a.txt")
    git(upstream, "commit", "-q", "-m", "clean")
    head = git(upstream, "rev-parse", "HEAD").strip()
    locator = MirrorLocator(cache_dir=tmp_path / "cache")
    result = fetch_mirror(locator, str(upstream), branch="main", want=[head])
    assert result.fetched_shas == (head,)


def test_fetch_honours_the_users_git_config_insteadof(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A URL that only the user's git config can resolve (insteadOf to a local path): the fetch
    uses it, exactly as `git fetch` would -- the same path gives credential helpers, ssh config
    and proxies."""
    upstream = tmp_path / "served"
    upstream.mkdir()
    git(upstream, "init", "-q", "-b", "main")
    (upstream / "a.txt").write_text("a\n")
    git(upstream, "add", "a.txt")
    git(upstream, "commit", "-q", "-m", "one")
    head = git(upstream, "rev-parse", "HEAD").strip()
    config = tmp_path / "gitconfig"
    config.write_text(
        f'[url "{upstream.as_uri()}"]\n\tinsteadOf = https://git.example.invalid/org/repo\n'
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    url = "https://git.example.invalid/org/repo"
    locator = MirrorLocator(cache_dir=tmp_path / "cache")
    result = fetch_mirror(locator, url, branch="main", want=[head])
    assert result.created and result.fetched_shas == (head,)
    assert str(open_mirror(locator, url).references["refs/heads/main"].target) == head


def test_credentials_in_a_url_never_reach_the_error(tmp_path: Path) -> None:
    url = "https://user:s3cret-token@127.0.0.1:9/org/repo.git"
    locator = MirrorLocator(cache_dir=tmp_path / "cache")
    with pytest.raises(FetchFailed) as caught:
        fetch_mirror(locator, url, branch="main", timeout_s=30)
    assert "s3cret-token" not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


def test_a_cosmetic_header_slip_of_real_histories_is_accepted(tmp_path: Path) -> None:
    """Old histories (psf/requests) have commits with a malformed time zone; fsck warns, the
    fetch goes on -- only formatting slips of headers are downgraded, never tree problems."""
    upstream = tmp_path / "old"
    upstream.mkdir()
    git(upstream, "init", "-q", "-b", "main")
    blob = _plumb(upstream, "hash-object", "-w", "--stdin", data=b"a\n")
    tree_bytes = b"100644 a.txt\0" + bytes.fromhex(blob)
    tree = _plumb(upstream, "hash-object", "-w", "-t", "tree", "--stdin", data=tree_bytes)
    commit_bytes = (
        f"tree {tree}\nauthor A <a@example.invalid> 1200000000 +05d0\n"
        f"committer A <a@example.invalid> 1200000000 +05d0\n\nold\n"
    ).encode()
    commit = _plumb(
        upstream, "hash-object", "-w", "--literally", "-t", "commit", "--stdin", data=commit_bytes
    )
    git(upstream, "update-ref", "refs/heads/main", commit)
    locator = MirrorLocator(cache_dir=tmp_path / "cache")
    result = fetch_mirror(locator, str(upstream), branch="main", want=[commit])
    assert result.fetched_shas == (commit,)


@pytest.mark.parametrize(
    "url",
    [
        "-oProxyCommand=touch {marker}@host:repo",
        "ssh://-oProxyCommand=touch {marker}/repo",
        "--upload-pack=touch {marker}",
        "ext::sh -c touch% {marker}",
    ],
)
def test_option_like_and_command_urls_run_nothing(tmp_path: Path, url: str) -> None:
    marker = tmp_path / "pwned"
    locator = MirrorLocator(cache_dir=tmp_path / "cache")
    with pytest.raises(FetchFailed):
        fetch_mirror(locator, url.format(marker=marker), branch="main", timeout_s=30)
    assert not marker.exists()
