"""The pytest fixtures of the `datum review` tests (loaded with `pytest_plugins`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.reviewrepo import DatumRepo, Upstream, build_upstream, new_datum_repo


@pytest.fixture(scope="session")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    """The calculator upstream, built once per session (its SHAs are fixed)."""
    return build_upstream(tmp_path_factory.mktemp("review-upstream") / "calc")


@pytest.fixture
def datum_repo(tmp_path: Path, upstream: Upstream) -> DatumRepo:
    """An empty datum repository with one commit and the upstream's mirror configured."""
    return new_datum_repo(tmp_path / "repo", upstream)
