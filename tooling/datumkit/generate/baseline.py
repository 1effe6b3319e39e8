"""baseline_sha.txt: the baseline commit, for scripts that only want the SHA."""

from __future__ import annotations

from datumkit.model.datumdir import DatumSource

PATH = "baseline_sha.txt"


def render(source: DatumSource) -> dict[str, bytes]:
    return {PATH: f"{source.datum.repo.start_commit_sha}\n".encode("ascii")}
