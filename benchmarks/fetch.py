"""Is `datum fetch` as fast as `git clone --mirror`? (issue: it took 7.0 s vs 1.3 s before.)

Times, interleaved A B A B so that disk caches and machine load hit both alike:

  (a) git clone --mirror --quiet file://SOURCE DEST  (over git's transport, as for any remote)
  (b) fetch_mirror(SOURCE) into an empty cache    (a new mirror, every object fsck'd)
  (c) git clone --mirror --quiet SOURCE DEST        (a local path: git hard-links the objects)

SOURCE is a local repository; without one, a synthetic upstream is built with git fast-import
(--commits commits over --files files). Prints the median, min and max of each and the ratios
(b)/(a) and (b)/(c). Usage::

    python benchmarks/fetch.py [SOURCE] [--runs 5] [--commits 3000] [--files 1000]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tooling"))

from datumkit.git.fetch import fetch_mirror
from datumkit.git.mirrors import MirrorLocator


def _synthetic(path: Path, commits: int, files: int) -> str:
    """A repository with `commits` commits, each rewriting a few of `files` files."""
    rng = random.Random(7)
    lines = []
    for number in range(1, commits + 1):
        lines.append("commit refs/heads/main")
        lines.append(f"committer Bench <bench@example.invalid> {1_600_000_000 + number} +0000")
        message = f"change {number}"
        lines.append(f"data {len(message)}\n{message}")
        for _ in range(3 if number > 1 else files):
            index = rng.randrange(files) if number > 1 else len(lines)
            name = f"pkg{index % 37}/module_{index}.py"
            body = "".join(f"value_{index}_{rng.random()!r} = {n}\n" for n in range(40))
            lines.append(f"M 100644 inline {name}\ndata {len(body.encode())}\n{body}")
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    stream = ("\n".join(lines) + "\n").encode()
    subprocess.run(
        ["git", "--git-dir", str(path), "fast-import", "--quiet"], input=stream, check=True
    )
    subprocess.run(["git", "--git-dir", str(path), "gc", "-q"], check=True)
    return str(path)


def _clone(source: str, scratch: Path) -> float:
    target = scratch / "clone.git"
    started = time.perf_counter()
    subprocess.run(["git", "clone", "--mirror", "--quiet", source, str(target)], check=True)
    elapsed = time.perf_counter() - started
    shutil.rmtree(target)
    return elapsed


def _fetch(source: str, scratch: Path) -> float:
    cache = scratch / "cache"
    started = time.perf_counter()
    fetch_mirror(MirrorLocator(cache_dir=cache), source, branch=None)
    elapsed = time.perf_counter() - started
    shutil.rmtree(cache)
    return elapsed


def _summary(label: str, times: list[float]) -> str:
    return (
        f"{label}: median {statistics.median(times):.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}, {len(times)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--commits", type=int, default=3000)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    clones: list[float] = []
    fetches: list[float] = []
    local: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        source = args.source or _synthetic(scratch / "upstream.git", args.commits, args.files)
        url = Path(source).resolve().as_uri()
        for _ in range(args.runs):
            clones.append(_clone(url, scratch))
            fetches.append(_fetch(source, scratch))
            local.append(_clone(source, scratch))
    print(_summary("(a) git clone --mirror file://", clones))
    print(_summary("(b) datum fetch (new mirror)  ", fetches))
    print(_summary("(c) git clone --mirror PATH   ", local))
    median = statistics.median
    over_transport = median(fetches) / median(clones)
    over_hardlinks = median(fetches) / median(local)
    print(f"(b)/(a): {over_transport:.2f}x   (b)/(c): {over_hardlinks:.2f}x")


if __name__ == "__main__":
    main()
