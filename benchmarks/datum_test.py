"""What does `datum test` add on top of the tests' own run time?

Builds the small `calc` upstream of the test-suite (stdlib unittest tests writing JUnit XML, a
metric script; no installs) and times, interleaved A B A B:

  (A) the tests' own run time: the test command and the metric command, run directly in an
      already materialized baseline-with-tests tree and patched tree, with this Python;
  (B) `datum test calc` as a user runs it (a new process): materialize both trees from the
      mirror, a venv per tree, a clean environment, K runs per side, JUnit parsing, verdict,
      receipt.

It prints medians (min-max) of A, B and B - A (the overhead), and B's own breakdown from
`--json` (setup per side = venv + install; runs). Usage::

    python benchmarks/datum_test.py [--runs 5] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tooling"))

from helpers.datumtest import NAME, good_tests, make_project  # noqa: E402

DATUM = str(Path(sys.executable).parent / "datum")


def _fmt(values: list[float]) -> str:
    low, high = min(values) * 1000, max(values) * 1000
    return f"{statistics.median(values) * 1000:8.0f} ms ({low:.0f}-{high:.0f})"


def _direct(trees: list[Path], repeat: int) -> float:
    """The test command and the metric command in each tree, as CI would run them."""
    started = time.perf_counter()
    for tree in trees:
        for _ in range(repeat):
            subprocess.run(
                [sys.executable, "run_tests.py", "test_calc.py"], cwd=tree, capture_output=True
            )
            subprocess.run([sys.executable, "evaluate.py"], cwd=tree, capture_output=True)
    return time.perf_counter() - started


def _datum_test(root: Path, repeat: int) -> tuple[float, dict[str, list[float]]]:
    started = time.perf_counter()
    done = subprocess.run(
        [DATUM, "--root", str(root), "test", NAME, "--json", "--repeat", str(repeat)],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    document = json.loads(done.stdout)
    entry = document["datums"][0]
    assert entry["ok"], entry
    return elapsed, entry["timings_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        tmp = Path(temporary)
        root = make_project(tmp, good_tests())
        trees = []
        for side, flag in (("baseline", ["--baseline"]), ("patched", [])):
            target = tmp / side
            subprocess.run(
                [DATUM, "--root", str(root), "materialize", NAME, str(target), *flag],
                check=True,
                capture_output=True,
            )
            trees.append(target)
        # the baseline side runs with the patch's test files, as datum test does
        (trees[0] / "tests" / "test_calc.py").write_bytes(
            (trees[1] / "tests" / "test_calc.py").read_bytes()
        )
        direct: list[float] = []
        full: list[float] = []
        breakdown: dict[str, list[float]] = {}
        _datum_test(root, args.repeat)  # warm-up: file caches, the first venv
        for _ in range(args.runs):
            direct.append(_direct(trees, args.repeat))
            elapsed, timings = _datum_test(root, args.repeat)
            full.append(elapsed)
            for key, values in timings.items():
                breakdown.setdefault(key, []).append(sum(values))
    overhead = [b - a for a, b in zip(direct, full, strict=True)]
    print(f"calc datum, {args.runs} interleaved runs, --repeat {args.repeat}, median (min-max)")
    print(f"  (A) tests' own run time, both trees   {_fmt(direct)}")
    print(f"  (B) datum test, end to end            {_fmt(full)}")
    print(f"  B - A: what datum test adds           {_fmt(overhead)}")
    ratio = statistics.median(full) / statistics.median(direct)
    print(f"  B / A                                 {ratio:8.1f}x")
    print("  breakdown of (B) from --json timings_s:")
    for key, values in breakdown.items():
        print(f"    {key:<22} {_fmt(values)}")


if __name__ == "__main__":
    main()
