"""What `datum review` costs per changed datum, beyond its fixed start-up.

    python benchmarks/review.py [--datums 200] [--changed 1 50] [--runs 5] [--keep DIR]

Builds a repository of N generated, locked datums (as benchmarks/precommit.py does), then two
branches off main: one retitling (and regenerating) the first K1 datums, one the first K2. Both
`datum review main..<branch> --format json` runs are interleaved (A B, B A, ...) and reported
as min-median-max; the per-datum cost is the slope (median(K2) - median(K1)) / (K2 - K1), which
cancels interpreter start-up, imports and reading the revisions. Goal (issue 14): <= 5 ms per
changed datum.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from precommit import (
    REPO_ROOT,
    Timing,
    build_upstream,
    interleaved,
    make_repository,
)

BIN = Path(sys.executable).parent


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def branch_retitling(root: Path, branch: str, names: Sequence[str]) -> None:
    """A commit on `branch` that retitles `names` and regenerates their files."""
    git(root, "checkout", "-q", "-b", branch, "main")
    for name in names:
        path = root / "datums" / name / "datum.yaml"
        path.write_text(path.read_text().replace('title: "Re-Bench:', 'title: "Re-Bench (v2):'))
    subprocess.run(
        [str(BIN / "datum"), "generate", *names], cwd=root, check=True, capture_output=True
    )
    git(root, "add", "-A")
    git(root, "commit", "-qm", f"retitle {len(names)} datums")
    git(root, "checkout", "-q", "main")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datums", type=int, default=200)
    parser.add_argument("--changed", type=int, nargs=2, default=[1, 50], metavar=("K1", "K2"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build in DIR and keep it")
    args = parser.parse_args(argv)
    few, many = args.changed
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="datumkit-review-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATUMKIT_CACHE": str(workdir / "cache")}
    try:
        mirror = workdir / "upstream.git"
        if not mirror.exists():
            build_upstream.build(REPO_ROOT / "examples" / "banking77-upstream.toml", mirror)
        root = workdir / "repo"
        shutil.rmtree(root, ignore_errors=True)
        names = make_repository(root, args.datums, mirror)
        git(root, "branch", "-M", "main")
        branch_retitling(root, "few", names[:few])
        branch_retitling(root, "many", names[:many])
        review = [str(BIN / "datum"), "review", "--format", "json"]
        timings = [
            Timing(f"{few} changed", [*review, "main..few"], root),
            Timing(f"{many} changed", [*review, "main..many"], root),
        ]
        interleaved(timings, args.runs, env)
        print(f"cores: {os.cpu_count()}  datums: {args.datums}  runs: {args.runs}")
        for timing in timings:
            print(f"datum review, {timing.label}: {timing.spread()} (min-median-max)")
        slope = (timings[1].median - timings[0].median) / (many - few)
        met = "MET" if slope <= 0.005 else "MISSED"
        print(f"per changed datum beyond start-up: {slope * 1000:.2f} ms  {met} (goal 5 ms)")
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
