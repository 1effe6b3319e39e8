"""Tests for datumkit.git.mirrors: the mirror cache, fetch, and offline reading.

Every upstream is a real repository made here with the git CLI (fixed author and dates, so SHAs
are stable); URLs are local paths and ``file://`` URLs only, so the suite needs no network.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import filelock
import platformdirs
import pygit2
import pytest

from datumkit.errors import DatumError
from datumkit.git import fetch as sources
from datumkit.git import urls
from datumkit.git.fetch import FetchResult, fetch_mirror
from datumkit.git.mirrors import (
    CACHE_ENV,
    CommitMissing,
    FetchFailed,
    MirrorLocator,
    MirrorMissing,
    SourceError,
    configured_mirrors,
    default_cache_dir,
    mirror_path,
    open_mirror,
    resolve_commit,
)
from datumkit.model.root import find_project_root
from helpers.repo import run_git

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Datum Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.invalid",
    "GIT_COMMITTER_NAME": "Datum Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00+00:00",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
_MIRROR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*-[0-9a-f]{12}\.git")


def git(cwd: Path, *args: str) -> str:
    """git with this module's fixed identity and no user config; its stripped stdout."""
    return run_git(cwd, *args, env=_GIT_ENV).decode().strip()


@dataclass
class Upstream:
    """A non-bare upstream repository on branch ``main``."""

    path: Path

    @property
    def file_url(self) -> str:
        return self.path.as_uri()

    def commit(self, name: str, text: str) -> str:
        (self.path / name).write_text(text)
        git(self.path, "add", name)
        git(self.path, "commit", "-q", "-m", f"write {name}")
        return git(self.path, "rev-parse", "HEAD")

    def commit_off_branch(self, name: str) -> str:
        """A commit that no branch or tag reaches but that stays in the object store."""
        git(self.path, "checkout", "-q", "-b", "doomed")
        sha = self.commit(name, "soon unreachable\n")
        git(self.path, "checkout", "-q", "main")
        git(self.path, "branch", "-q", "-D", "doomed")
        return sha

    def commit_on_pull_ref(self, name: str) -> str:
        """A commit reachable only from ``refs/pull/1/head`` (outside heads/ and tags/)."""
        git(self.path, "checkout", "-q", "--detach")
        sha = self.commit(name, "pull request\n")
        git(self.path, "update-ref", "refs/pull/1/head", sha)
        git(self.path, "checkout", "-q", "main")
        return sha


def make_upstream(path: Path) -> Upstream:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    upstream = Upstream(path)
    upstream.commit("README.md", "hello\n")
    git(path, "tag", "-a", "v1", "-m", "first release")
    upstream.commit("app.py", "print('hi')\n")
    return upstream


@pytest.fixture
def upstream(tmp_path: Path) -> Upstream:
    return make_upstream(tmp_path / "upstream")


@pytest.fixture
def locator(tmp_path: Path) -> MirrorLocator:
    return MirrorLocator(cache_dir=tmp_path / "cache")


@pytest.fixture(autouse=True)
def _no_ambient_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CACHE_ENV, raising=False)


def refs_of(repo: pygit2.Repository) -> set[str]:
    return set(repo.references)


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Content hash and mtime of every file under ``root``: any write shows up."""
    return {
        str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def staging_dirs(cache: Path) -> list[Path]:
    return [p for p in cache.glob(".*") if p.is_dir()] if cache.exists() else []


# ------------------------------------------------------------------------------------------
# mirror_path


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/org/repo.git",
        "git@github.com:org/repo.git",
        "ssh://git@example.com:2222/team/project.git",
        "https://user:s3cret-token@example.com/org/repo",
        "https://example.com/a b/ü/../../..//x?y=1#frag",
        "https://example.com/" + "very-long-name-" * 20,
        "/some/local/dir",
        "relative/dir",
        "file:///some/local/dir",
        "..",
        "git@host:",
    ],
)
def test_mirror_path_is_deterministic_and_filesystem_safe(url: str, tmp_path: Path) -> None:
    first = mirror_path(url, tmp_path)
    assert first == mirror_path(url, tmp_path)
    assert first.parent == tmp_path
    assert _MIRROR_NAME.fullmatch(first.name), first.name
    assert len(first.name) <= 70
    assert "s3cret" not in first.name


@pytest.mark.parametrize(
    "spellings",
    [
        [
            "https://github.com/org/repo",
            "https://github.com/org/repo.git",
            "https://github.com/org/repo/",
            "https://github.com/org/repo.git/",
            "HTTPS://GitHub.com/org/repo",
            "https://github.com:443/org/repo",
            "https://user:token@github.com/org/repo.git",
            "  https://github.com/org/repo.git\n",
        ],
        ["git@github.com:org/repo.git", "git@github.com:org/repo", "git@GITHUB.com:org/repo/"],
        ["ssh://git@host/org/repo.git", "git+ssh://git@host:22/org/repo"],
    ],
)
def test_mirror_path_normalises_spellings_of_one_repository(
    spellings: list[str], tmp_path: Path
) -> None:
    assert len({mirror_path(url, tmp_path) for url in spellings}) == 1


def test_mirror_path_keeps_different_repositories_apart(tmp_path: Path) -> None:
    urls = [
        "https://github.com/org/repo",
        "https://github.com/org/Repo",  # paths are case-sensitive in general
        "https://github.com/org/other",
        "https://gitlab.com/org/repo",
        "ssh://git@github.com/org/repo",
        "git@github.com:org/repo",
        "https://github.com:8443/org/repo",
        str(tmp_path / "x"),
        str(tmp_path / "x.git"),  # local directories: ".git" is part of the name
    ]
    assert len({mirror_path(url, tmp_path) for url in urls}) == len(urls)


def test_scp_like_ssh_url_gets_a_readable_slug(tmp_path: Path) -> None:
    path = mirror_path("git@github.com:datumkit/banking77.git", tmp_path)
    assert path.name.startswith("github.com-datumkit-banking77-")


def test_plain_path_and_file_url_share_one_mirror(upstream: Upstream, tmp_path: Path) -> None:
    by_path = mirror_path(str(upstream.path), tmp_path)
    assert mirror_path(upstream.file_url, tmp_path) == by_path
    assert mirror_path(str(upstream.path) + "/", tmp_path) == by_path


def test_relative_local_path_resolves_against_cwd(
    upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(upstream.path.parent)
    assert mirror_path("upstream", tmp_path) == mirror_path(str(upstream.path), tmp_path)


# ------------------------------------------------------------------------------------------
# configuration: [tool.datumkit.mirrors], project root, locator


def write_pyproject(root: Path, text: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(text)


def test_configured_mirrors_resolve_relative_paths_against_the_project(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        "[tool.datumkit.mirrors]\n"
        '"https://example.invalid/a.git" = "build/a.git"\n'
        f'"https://example.invalid/b.git" = "{tmp_path / "elsewhere" / "b.git"}"\n',
    )
    assert configured_mirrors(tmp_path) == {
        "https://example.invalid/a.git": tmp_path / "build" / "a.git",
        "https://example.invalid/b.git": tmp_path / "elsewhere" / "b.git",
    }


@pytest.mark.parametrize("text", [None, "[project]\nname = 'x'\n", "[tool.datumkit]\nother = 1\n"])
def test_configured_mirrors_absent_is_empty(text: str | None, tmp_path: Path) -> None:
    if text is not None:
        write_pyproject(tmp_path, text)
    assert configured_mirrors(tmp_path) == {}


@pytest.mark.parametrize(
    ("text", "location"),
    [
        ('[tool.datumkit]\nmirrors = "nope"\n', "tool.datumkit.mirrors"),
        ('[tool.datumkit.mirrors]\n"https://x.invalid/a" = 3\n', '"https://x.invalid/a"'),
        ("[tool.datumkit.mirrors\n", None),
    ],
)
def test_configured_mirrors_malformed_names_file_and_key(
    text: str, location: str | None, tmp_path: Path
) -> None:
    write_pyproject(tmp_path, text)
    with pytest.raises(SourceError) as caught:
        configured_mirrors(tmp_path)
    assert isinstance(caught.value, DatumError)
    assert caught.value.file == str(tmp_path / "pyproject.toml")
    if location is not None:
        assert location in str(caught.value)


def test_find_project_root_by_tool_table(tmp_path: Path) -> None:
    write_pyproject(tmp_path / "proj", "[tool.datumkit]\n")
    deep = tmp_path / "proj" / "a" / "b"
    deep.mkdir(parents=True)
    assert find_project_root(deep) == (tmp_path / "proj").resolve()


def test_find_project_root_by_datums_dir_skips_unrelated_pyproject(tmp_path: Path) -> None:
    (tmp_path / "proj" / "datums").mkdir(parents=True)
    write_pyproject(tmp_path / "proj" / "pkg", "[project]\nname = 'pkg'\n")
    start = tmp_path / "proj" / "pkg" / "module.py"
    start.write_text("")
    assert find_project_root(start) == (tmp_path / "proj").resolve()


def test_find_project_root_none_outside_projects(tmp_path: Path) -> None:
    assert find_project_root(tmp_path) is None


def test_default_cache_dir_is_the_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = Path(platformdirs.user_cache_dir("datumkit")) / "mirrors"
    assert default_cache_dir() == expected
    monkeypatch.setenv(CACHE_ENV, "")
    assert default_cache_dir() == expected


def test_locator_precedence_arg_then_env_then_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert MirrorLocator.for_project(None).cache_dir == default_cache_dir()
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "env"))
    assert MirrorLocator.for_project(None).cache_dir == tmp_path / "env"
    assert default_cache_dir() == tmp_path / "env"
    chosen = MirrorLocator.for_project(None, cache_dir=tmp_path / "arg")
    assert chosen.cache_dir == tmp_path / "arg"
    assert chosen.configured == {}


def test_locator_configured_mirror_wins_over_cache(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path, '[tool.datumkit.mirrors]\n"https://example.invalid/Org/a.git" = "m/a.git"\n'
    )
    locator = MirrorLocator.for_project(tmp_path, cache_dir=tmp_path / "cache")
    # any spelling of the configured URL finds the configured path
    for url in ("https://example.invalid/Org/a.git", "https://EXAMPLE.invalid/Org/a/"):
        assert locator.path_for(url) == tmp_path / "m" / "a.git"
    other = "https://example.invalid/org/b.git"
    assert locator.path_for(other) == mirror_path(other, tmp_path / "cache")
    assert locator.configured_path(other) is None


# ------------------------------------------------------------------------------------------
# fetch_mirror


def test_fetch_from_plain_path_creates_a_bare_mirror(
    upstream: Upstream, locator: MirrorLocator
) -> None:
    head = git(upstream.path, "rev-parse", "main")
    result = fetch_mirror(locator, str(upstream.path), branch="main", want=[head.upper()])
    assert result == FetchResult(
        git_url=str(upstream.path),
        mirror=mirror_path(str(upstream.path), locator.cache_dir),
        created=True,
        fetched_shas=(head,),
        missing_shas=(),
    )
    repo = open_mirror(locator, str(upstream.path))
    assert repo.is_bare
    assert repo.head.name == "refs/heads/main"
    assert str(repo.references["refs/heads/main"].target) == head
    assert str(repo.references["refs/tags/v1"].peel(pygit2.Commit).id) == git(
        upstream.path, "rev-parse", "v1^{commit}"
    )
    assert resolve_commit(repo, head, str(upstream.path)).message == "write app.py\n"
    # wanted commits are pinned, so no force-push or gc can lose a baseline
    assert f"{sources.PIN_PREFIX}{head}" in refs_of(repo)
    assert staging_dirs(locator.cache_dir) == []


def test_fetch_from_file_url_creates_a_bare_mirror(
    upstream: Upstream, locator: MirrorLocator
) -> None:
    head = git(upstream.path, "rev-parse", "main")
    result = fetch_mirror(locator, upstream.file_url, branch=None)
    assert result.created
    assert result.fetched_shas == result.missing_shas == ()
    repo = open_mirror(locator, upstream.file_url)
    assert repo.is_bare
    assert {"refs/heads/main", "refs/tags/v1"} <= refs_of(repo)
    history = [str(c.id) for c in repo.walk(repo.references["refs/heads/main"].target)]
    assert history == [head, git(upstream.path, "rev-parse", "main~1")]


def test_second_fetch_brings_new_commits_branches_tags_and_force_pushes(
    upstream: Upstream, locator: MirrorLocator
) -> None:
    url = str(upstream.path)
    old_head = git(upstream.path, "rev-parse", "main")
    fetch_mirror(locator, url, branch="main")
    new_head = upstream.commit("more.txt", "more\n")
    git(upstream.path, "tag", "v2")
    git(upstream.path, "branch", "feature", old_head)
    git(upstream.path, "checkout", "-q", "feature")
    rewritten = upstream.commit("feature.txt", "feature\n")
    git(upstream.path, "checkout", "-q", "main")

    result = fetch_mirror(locator, url, branch="main", want=[new_head])
    assert not result.created
    assert result.fetched_shas == (new_head,)
    repo = open_mirror(locator, url)
    assert str(repo.references["refs/heads/main"].target) == new_head
    assert str(repo.references["refs/heads/feature"].target) == rewritten
    assert "refs/tags/v2" in refs_of(repo)

    git(upstream.path, "branch", "-f", "feature", old_head)  # a force-push upstream
    fetch_mirror(locator, url, branch="main")
    assert str(open_mirror(locator, url).references["refs/heads/feature"].target) == old_head


@pytest.mark.parametrize("as_url", [False, True], ids=["path", "file-url"])
def test_wanted_commits_outside_branches_arrive_from_a_local_upstream(
    upstream: Upstream, locator: MirrorLocator, as_url: bool
) -> None:
    """Guarantee: a local upstream serves any commit its object store holds, even one no ref
    reaches (deleted branch) or one under refs/pull/; a SHA it lacks is reported missing."""
    orphan = upstream.commit_off_branch("orphan.txt")
    pulled = upstream.commit_on_pull_ref("pr.txt")
    absent = "0123456789abcdef0123456789abcdef01234567"
    url = upstream.file_url if as_url else str(upstream.path)

    result = fetch_mirror(locator, url, branch="main", want=[orphan, pulled, absent, orphan])

    assert result.fetched_shas == (orphan, pulled)
    assert result.missing_shas == (absent,)
    repo = open_mirror(locator, url)
    assert resolve_commit(repo, orphan, url).message == "write orphan.txt\n"
    assert (
        resolve_commit(repo, pulled, url).parents[0].id == repo.references["refs/heads/main"].target
    )
    assert {f"{sources.PIN_PREFIX}{orphan}", f"{sources.PIN_PREFIX}{pulled}"} <= refs_of(repo)
    assert not any(ref.startswith("refs/pull/") for ref in refs_of(repo))


def test_by_sha_fetch_over_a_transport_asks_the_server(upstream: Upstream, tmp_path: Path) -> None:
    """A remote upstream (file:// stands in) is asked by SHA with the server's own rules: git's
    protocol v2 serves a commit a ref reaches (refs/pull/1/head) even though no branch does; a
    SHA the server does not have stays missing without an error."""
    pulled = upstream.commit_on_pull_ref("pr.txt")
    absent = "0123456789abcdef0123456789abcdef01234567"
    repo = pygit2.init_repository(tmp_path / "m.git", bare=True)
    source = urls.parse_git_url(upstream.file_url)
    sources._fetch_by_sha(repo, source, [absent, pulled], time.monotonic() + 60)
    assert pulled in repo
    assert absent not in repo


# ------------------------------------------------------------------------------------------
# open_mirror / resolve_commit (offline)


def test_open_mirror_missing_says_run_datum_fetch(locator: MirrorLocator) -> None:
    url = "https://example.invalid/org/repo.git"
    with pytest.raises(MirrorMissing) as caught:
        open_mirror(locator, url)
    text = str(caught.value)
    assert "datum fetch" in text
    assert url in text
    assert str(mirror_path(url, locator.cache_dir)) in text
    assert "[tool.datumkit.mirrors]" in text


def test_open_mirror_rejects_a_directory_that_is_not_a_repository(
    tmp_path: Path, locator: MirrorLocator
) -> None:
    # the cache sits inside a git work tree: opening must not find that repository instead
    git(tmp_path, "init", "-q")
    url = "https://example.invalid/org/repo.git"
    mirror_path(url, locator.cache_dir).mkdir(parents=True)
    with pytest.raises(MirrorMissing):
        open_mirror(locator, url)


def test_open_mirror_never_touches_the_network(
    locator: MirrorLocator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(pygit2.Remote, "fetch", refuse)
    monkeypatch.setattr(pygit2.Remote, "connect", refuse)
    started = time.monotonic()
    with pytest.raises(MirrorMissing) as caught:
        open_mirror(locator, "https://user:s3cret@no-such-host.invalid/org/repo.git")
    assert not isinstance(caught.value, FetchFailed)
    assert time.monotonic() - started < 1.0
    assert "s3cret" not in str(caught.value)


def test_open_mirror_of_a_missing_configured_mirror_points_at_the_config(tmp_path: Path) -> None:
    url = "https://example.invalid/org/repo.git"
    locator = MirrorLocator(tmp_path / "cache", {url: tmp_path / "nowhere.git"})
    with pytest.raises(MirrorMissing) as caught:
        open_mirror(locator, url)
    assert "tool.datumkit.mirrors" in str(caught.value)
    assert str(tmp_path / "nowhere.git") in str(caught.value)


def test_resolve_commit_errors_name_url_and_sha(upstream: Upstream, locator: MirrorLocator) -> None:
    url = str(upstream.path)
    fetch_mirror(locator, url, branch="main")
    repo = open_mirror(locator, url)
    absent = "fedcba9876543210fedcba9876543210fedcba98"
    with pytest.raises(CommitMissing) as caught:
        resolve_commit(repo, absent, url)
    assert "datum fetch" in str(caught.value)
    assert absent in str(caught.value)
    assert url in str(caught.value)

    tree = str(repo.revparse_single("main^{tree}").id)
    with pytest.raises(CommitMissing, match="is a tree, not a commit"):
        resolve_commit(repo, tree, url)
    with pytest.raises(CommitMissing, match="not a commit SHA"):
        resolve_commit(repo, "main", url)


def test_resolve_commit_accepts_abbreviated_and_padded_shas(
    upstream: Upstream, locator: MirrorLocator
) -> None:
    url = str(upstream.path)
    head = git(upstream.path, "rev-parse", "main")
    fetch_mirror(locator, url, branch="main")
    repo = open_mirror(locator, url)
    assert str(resolve_commit(repo, f" {head[:12].upper()}\n", url).id) == head


# ------------------------------------------------------------------------------------------
# configured mirrors are read-only to datumkit


def test_fetch_never_writes_a_configured_mirror(upstream: Upstream, tmp_path: Path) -> None:
    configured = tmp_path / "offline" / "upstream.git"
    git(tmp_path, "clone", "-q", "--mirror", str(upstream.path), str(configured))
    old_head = git(upstream.path, "rev-parse", "main")
    new_head = upstream.commit("later.txt", "later\n")
    locator = MirrorLocator(tmp_path / "cache", {upstream.file_url: configured})
    before = snapshot(configured)

    result = fetch_mirror(locator, str(upstream.path), branch="main", want=[old_head, new_head])

    assert result == FetchResult(
        git_url=str(upstream.path),
        mirror=configured,
        created=False,
        fetched_shas=(old_head,),
        missing_shas=(new_head,),
    )
    assert snapshot(configured) == before
    assert not (tmp_path / "cache").exists()


def test_fetch_into_a_missing_configured_mirror_creates_nothing(
    upstream: Upstream, tmp_path: Path
) -> None:
    configured = tmp_path / "offline" / "upstream.git"
    locator = MirrorLocator(tmp_path / "cache", {str(upstream.path): configured})
    with pytest.raises(MirrorMissing):
        fetch_mirror(locator, str(upstream.path), branch="main")
    assert not configured.exists()
    assert not (tmp_path / "cache").exists()


# ------------------------------------------------------------------------------------------
# concurrency and failure


def test_two_processes_fetching_one_new_mirror_both_succeed(
    upstream: Upstream, locator: MirrorLocator
) -> None:
    url = str(upstream.path)
    head = git(upstream.path, "rev-parse", "main")
    mirror = mirror_path(url, locator.cache_dir)
    mirror.parent.mkdir(parents=True)
    context = multiprocessing.get_context("spawn")
    kwargs = {"branch": "main", "want": (head,)}
    # Hold the lock while both workers start, so that they really contend for it.
    gate = filelock.FileLock(str(mirror) + ".lock")
    with context.Pool(2) as pool:
        with gate:
            pending = [pool.apply_async(fetch_mirror, (locator, url), kwargs) for _ in range(2)]
            time.sleep(1.0)
        results = [job.get(timeout=60) for job in pending]

    assert sorted(r.created for r in results) == [False, True]
    assert all(r.fetched_shas == (head,) and r.missing_shas == () for r in results)
    repo = open_mirror(locator, url)
    assert str(resolve_commit(repo, head, url).id) == head
    assert staging_dirs(locator.cache_dir) == []


def test_fetch_from_a_missing_path_fails_and_leaves_no_mirror(
    tmp_path: Path, locator: MirrorLocator
) -> None:
    url = str(tmp_path / "no-such-upstream")
    with pytest.raises(FetchFailed) as caught:
        fetch_mirror(locator, url, branch="main")
    message = str(caught.value)
    assert url in message
    assert "\n" not in message
    assert not mirror_path(url, locator.cache_dir).exists()
    assert staging_dirs(locator.cache_dir) == []


def test_failing_transfer_removes_the_half_built_mirror(
    tmp_path: Path, locator: MirrorLocator
) -> None:
    not_a_repo = tmp_path / "plain-dir"
    not_a_repo.mkdir()
    url = not_a_repo.as_uri()
    with pytest.raises(FetchFailed, match=re.escape(str(not_a_repo))) as caught:
        fetch_mirror(locator, url, branch="main")
    assert "\n" not in str(caught.value)
    assert not mirror_path(url, locator.cache_dir).exists()
    assert staging_dirs(locator.cache_dir) == []


def test_junk_and_stale_staging_are_replaced_by_a_valid_mirror(
    upstream: Upstream, locator: MirrorLocator
) -> None:
    url = str(upstream.path)
    mirror = mirror_path(url, locator.cache_dir)
    (mirror / "objects").mkdir(parents=True)  # looks like a repo, is not one
    stale = mirror.with_name(f".{mirror.name}.123.dead{sources._STAGING_SUFFIX}")
    (stale / "objects").mkdir(parents=True)

    result = fetch_mirror(locator, url, branch="main")

    assert result.created
    assert open_mirror(locator, url).is_bare
    assert staging_dirs(locator.cache_dir) == []


def test_fetch_failure_keeps_an_existing_mirror_usable(
    upstream: Upstream, locator: MirrorLocator
) -> None:
    url = upstream.file_url
    head = git(upstream.path, "rev-parse", "main")
    fetch_mirror(locator, url, branch="main")
    (upstream.path / ".git").rename(upstream.path / "moved.git")  # the upstream goes away
    try:
        with pytest.raises(FetchFailed):
            fetch_mirror(locator, url, branch="main")
    finally:
        (upstream.path / "moved.git").rename(upstream.path / ".git")
    assert str(resolve_commit(open_mirror(locator, url), head, url).id) == head


def test_lock_timeout_is_a_fetch_failure(upstream: Upstream, locator: MirrorLocator) -> None:
    url = str(upstream.path)
    mirror = mirror_path(url, locator.cache_dir)
    mirror.parent.mkdir(parents=True)
    holder = filelock.FileLock(str(mirror) + ".lock")
    with holder, pytest.raises(FetchFailed, match="another process"):
        _fetch_in_thread(locator, url)


def _fetch_in_thread(locator: MirrorLocator, url: str) -> None:
    """filelock is re-entrant per thread; a second thread contends like another process."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(fetch_mirror, locator, url, branch="main", timeout_s=0.2).result()


@pytest.fixture(autouse=True)
def _restore_libgit2_timeouts() -> Iterator[None]:
    before = (pygit2.settings.server_connect_timeout, pygit2.settings.server_timeout)
    yield
    assert (pygit2.settings.server_connect_timeout, pygit2.settings.server_timeout) == before
