"""What `datum review` costs per changed datum, beyond its fixed start-up.

    python benchmarks/review.py [--datums 200] [--changed 1 50] [--runs 5]
                                [--distinct-patches] [--reference REV] [--keep DIR]

Builds a repository of N generated, locked datums (as benchmarks/precommit.py does), then two
branches off main: one retitling (and regenerating) the first K1 datums, one the first K2. Both
`datum review main..<branch> --format json` runs are interleaved (A B, B A, ...) and reported
as min-median-max; the per-datum cost is the slope (median(K2) - median(K1)) / (K2 - K1), which
cancels interpreter start-up, imports and reading the revisions. The slope of the fastest runs
(min(K2) - min(K1)) / (K2 - K1) is printed too, and the median of the per-round slopes (a
round runs K1 and K2 seconds apart, so load that changes between rounds cancels), and the same
three slopes of the CPU time the review process used (user + system): on a shared machine a
busy neighbour stretches wall time, not CPU time, so those are the closer estimate of the work
itself. Goal (issue 14): <= 5 ms per
changed datum.

The datums are copies of one example, so they share one diff.patch: review applies a patch once
per (upstream, baseline, diff.patch blob), and then only the first datum pays for the apply.
`--distinct-patches` gives every datum a patch of its own (one more new file naming the datum),
which is what a repository of real datums looks like.

`--reference REV` also times this repository's `tooling/` at REV (read with `git archive`,
imported through PYTHONPATH by the same interpreter) in the same interleaved rounds, so the
ratio of the two slopes holds even when the machine's load changes between runs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from precommit import REPO_ROOT, build_upstream, make_repository

BIN = Path(sys.executable).parent
GOAL_SECONDS = 0.005


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def datum(root: Path, *args: str) -> None:
    subprocess.run([str(BIN / "datum"), *args], cwd=root, check=True, capture_output=True)


def branch_retitling(root: Path, branch: str, names: Sequence[str]) -> None:
    """A commit on `branch` that retitles `names` and regenerates their files."""
    git(root, "checkout", "-q", "-b", branch, "main")
    for name in names:
        path = root / "datums" / name / "datum.yaml"
        path.write_text(path.read_text().replace('title: "Re-Bench:', 'title: "Re-Bench (v2):'))
    datum(root, "generate", *names)
    git(root, "add", "-A")
    git(root, "commit", "-qm", f"retitle {len(names)} datums")
    git(root, "checkout", "-q", "main")


def _new_file_section(path: str, content: bytes) -> bytes:
    header = b"blob %d\0" % len(content)
    blob = hashlib.sha1(header + content, usedforsecurity=False).hexdigest()
    lines = content.decode().splitlines()
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..{blob[:7]}\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n"
        + "".join(f"+{line}\n" for line in lines)
    ).encode()


def distinct_patches(root: Path, names: Sequence[str]) -> None:
    """Give every datum's diff.patch a new file of its own, regenerate, commit on main."""
    for name in names:
        patch = root / "datums" / name / "diff.patch"
        content = f"Benchmark marker of {name}.\n".encode()
        patch.write_bytes(patch.read_bytes() + _new_file_section(f"MARKER-{name}.txt", content))
    datum(root, "generate", "--all")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "a patch of its own for every datum")


def reference_tree(workdir: Path, revision: str) -> Path:
    """This repository's tooling/ at `revision`, unpacked under `workdir`."""
    target = workdir / "reference"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", revision, "tooling"], cwd=REPO_ROOT, check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target / "tooling"


@dataclass
class Timing:
    """Wall and CPU seconds of one command over interleaved rounds."""

    label: str
    command: list[str]
    cwd: Path
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def spread(self, times: list[float]) -> str:
        """min-median-max in seconds."""
        return f"{min(times):.3f}-{statistics.median(times):.3f}-{max(times):.3f}s"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def interleaved(timings: Sequence[Timing], runs: int, env: dict[str, str]) -> None:
    """Every command once per round, in a rotating order (A B C, B C A, ...); all must pass."""
    for round_no in range(runs):
        shift = round_no % len(timings)
        for timing in [*timings[shift:], *timings[:shift]]:
            cpu, started = _children_cpu(), time.perf_counter()
            result = subprocess.run(
                timing.command, cwd=timing.cwd, env=env, capture_output=True, text=True
            )
            timing.wall.append(time.perf_counter() - started)
            timing.cpu.append(_children_cpu() - cpu)
            if result.returncode != 0:
                raise SystemExit(f"{timing.label} failed:\n{result.stdout}\n{result.stderr}")


def slope(few: list[float], many: list[float], count: int) -> tuple[float, float, float]:
    """Seconds per changed datum: from the medians, from the fastest runs, and the median of
    the per-round slopes (both runs of a round are seconds apart, so a neighbour's load that
    comes and goes between rounds cancels out of that one)."""
    median = (statistics.median(many) - statistics.median(few)) / count
    paired = statistics.median((m - f) / count for f, m in zip(few, many, strict=True))
    return median, (min(many) - min(few)) / count, paired


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datums", type=int, default=200)
    parser.add_argument("--changed", type=int, nargs=2, default=[1, 50], metavar=("K1", "K2"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--distinct-patches", action="store_true", help="no two datums share one")
    parser.add_argument("--reference", metavar="REV", help="also time tooling/ at REV")
    parser.add_argument("--keep", type=Path, help="build in DIR and keep it")
    args = parser.parse_args(argv)
    few, many = args.changed
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="datumkit-review-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATUMKIT_CACHE": str(workdir / "cache")}
    env.pop("PYTHONPATH", None)
    try:
        mirror = workdir / "upstream.git"
        if not mirror.exists():
            build_upstream.build(REPO_ROOT / "examples" / "banking77-upstream.toml", mirror)
        root = workdir / "repo"
        shutil.rmtree(root, ignore_errors=True)
        names = make_repository(root, args.datums, mirror)
        git(root, "branch", "-M", "main")
        if args.distinct_patches:
            distinct_patches(root, names)
        branch_retitling(root, "few", names[:few])
        branch_retitling(root, "many", names[:many])
        review = [str(BIN / "datum"), "review", "--format", "json"]
        # both sides start through `env`, so neither pays for an exec the other does not
        routes = {"this tree": ["env", "-u", "PYTHONPATH"]}
        if args.reference:
            tooling = reference_tree(workdir, args.reference)
            routes[args.reference] = ["env", f"PYTHONPATH={tooling}"]
        timings = {
            route: (
                Timing(f"{route}, {few} changed", [*prefix, *review, "main..few"], root),
                Timing(f"{route}, {many} changed", [*prefix, *review, "main..many"], root),
            )
            for route, prefix in routes.items()
        }
        before = load()
        interleaved([t for pair in timings.values() for t in pair], args.runs, env)
        print(f"cores: {os.cpu_count()}  datums: {args.datums}  runs: {args.runs}")
        print(f"patches: {'distinct' if args.distinct_patches else 'one shared by all datums'}")
        print(f"load average (1 5 15 min): {before} before, {load()} after")
        slopes: dict[tuple[str, str], tuple[float, float]] = {}
        for route, (low, high) in timings.items():
            for timing in (low, high):
                print(
                    f"datum review, {timing.label}: wall {timing.spread(timing.wall)}, "
                    f"CPU {timing.spread(timing.cpu)} (min-median-max)"
                )
            for kind in ("wall", "cpu"):
                slopes[route, kind] = slope(getattr(low, kind), getattr(high, kind), many - few)
                from_median, from_fastest, paired = slopes[route, kind]
                met = "MET" if from_median <= GOAL_SECONDS else "MISSED"
                print(
                    f"{route}: {kind} per changed datum beyond start-up: "
                    f"{from_median * 1000:.2f} ms from medians, {from_fastest * 1000:.2f} ms "
                    f"from the fastest runs, {paired * 1000:.2f} ms from paired rounds  "
                    f"{met} (goal {GOAL_SECONDS * 1000:g} ms)"
                )
        if args.reference:
            for kind in ("wall", "cpu"):
                ours, theirs = slopes["this tree", kind], slopes[args.reference, kind]
                print(
                    f"{kind} slope ratio {args.reference} / this tree: "
                    f"{theirs[0] / ours[0]:.2f}x (medians), {theirs[1] / ours[1]:.2f}x (fastest), "
                    f"{theirs[2] / ours[2]:.2f}x (paired rounds)"
                )
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
