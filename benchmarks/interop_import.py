"""What `datum import swebench` costs on a large JSONL: time per instance, parallel speed-up, and
memory that does not grow with the file.

    python benchmarks/interop_import.py [--instances 2000] [--small 500] [--pad-kb 16] [--runs 2]

Builds, in a temporary directory, a fixture upstream (acme/calc: a baseline commit, a fix and its
test as two `git diff` patches) with a bare mirror, and two JSONL files of SWE-bench rows that
differ only in instance_id, whose problem statements are padded to --pad-kb KiB so the big file
is large. Then, interleaved (A B A B), imports into fresh datum repositories:

- the big file with --jobs 1 and with --jobs 2 (every datum generated and checked: schema,
  generated, patch applied in memory from the mirror, secrets);
- the small file with --jobs 2, whose peak memory is compared with the big file's: a streaming
  import's peak does not grow with the number of rows.

Peak memory is the largest resident set of the import process and its workers
(RUSAGE_CHILDREN's ru_maxrss). Figures are medians with min-max.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BIN = Path(sys.executable).parent
URL = "https://github.com/acme/calc.git"
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_AUTHOR_DATE": "2024-01-02T03:04:05+00:00",
    "GIT_COMMITTER_DATE": "2024-01-02T03:04:05+00:00",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True
    )
    return done.stdout


def upstream(base: Path) -> tuple[Path, str, str, str]:
    """(mirror, baseline sha, gold patch, test patch) of a tiny calculator repository."""
    work = base / "calc"
    (work / "tests").mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    (work / "calc.py").write_text("def div(a, b):\n    return a / b\n")
    (work / "tests/test_calc.py").write_text("from calc import div\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "baseline")
    sha = git(work, "rev-parse", "HEAD").strip()
    (work / "calc.py").write_text(
        "def div(a, b):\n    if b == 0:\n        raise ZeroDivisionError('undefined')\n"
        "    return a / b\n"
    )
    (work / "tests/test_calc.py").write_text(
        "from calc import div\n\n\ndef test_div_zero():\n    pass\n"
    )
    gold = git(work, "diff", "--", "calc.py")
    tests = git(work, "diff", "--", "tests")
    mirror = base / "calc.git"
    git(base, "clone", "-q", "--bare", str(work), str(mirror))
    return mirror, sha, gold, tests


def write_rows(path: Path, count: int, sha: str, gold: str, tests: str, pad_kb: int) -> int:
    padding = ("The statement goes on. " * (pad_kb * 1024 // 23 + 1))[: pad_kb * 1024]
    with path.open("w", encoding="utf-8") as handle:
        for n in range(count):
            row = {
                "repo": "acme/calc",
                "instance_id": f"acme__calc-{n}",
                "base_commit": sha,
                "patch": gold,
                "test_patch": tests,
                "problem_statement": f"Instance {n}: div(1, 0) is unclear.\n\n{padding}\n",
                "hints_text": "",
                "created_at": "2024-01-02T03:04:05Z",
                "version": "1.0",
                "FAIL_TO_PASS": json.dumps(["tests/test_calc.py::test_div_zero"]),
                "PASS_TO_PASS": "[]",
                "environment_setup_commit": sha,
            }
            handle.write(json.dumps(row) + "\n")
    return path.stat().st_size


def datum_repo(base: Path, mirror: Path) -> Path:
    base.mkdir(parents=True)
    (base / "datums").mkdir()
    (base / "pyproject.toml").write_text(f'[tool.datumkit.mirrors]\n"{URL}" = "{mirror}"\n')
    return base


def run_import(root: Path, rows: Path, jobs: int) -> tuple[float, float, int]:
    """(seconds, peak resident MiB of the import and its workers, datums imported)."""
    command = [str(BIN / "datum"), "--root", str(root), "import", "swebench", str(rows)]
    script = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "elapsed = time.perf_counter() - start\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(elapsed, peak, done.returncode)\n"
        "sys.stderr.write(done.stderr.decode()[-2000:])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *command, "--jobs", str(jobs)],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed, peak, code = done.stdout.split()
    imported = len(list((root / "datums").iterdir()))
    if code != "0":
        print(done.stderr, file=sys.stderr)
    return float(elapsed), float(peak), imported


def summary(values: list[float], unit: str) -> str:
    return f"{statistics.median(values):.1f} {unit} ({min(values):.1f}-{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=2000)
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--pad-kb", type=int, default=16)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="datumkit-interop-bench-") as temp:
        base = Path(temp)
        mirror, sha, gold, tests = upstream(base)
        big, small = base / "big.jsonl", base / "small.jsonl"
        size = write_rows(big, args.instances, sha, gold, tests, args.pad_kb)
        write_rows(small, args.small, sha, gold, tests, args.pad_kb)
        print(f"{args.instances} rows, {size / 2**20:.1f} MiB; cores: {os.cpu_count()}")
        results: dict[str, list[tuple[float, float, int]]] = {}
        cases = [
            ("big, --jobs 1", big, 1),
            ("big, --jobs 2", big, 2),
            ("small, --jobs 2", small, 2),
        ]
        for run in range(args.runs):
            for label, rows, jobs in cases:  # interleaved: A B C A B C
                root = datum_repo(base / f"repo-{run}-{jobs}-{rows.stem}", mirror)
                results.setdefault(label, []).append(run_import(root, rows, jobs))
        print(f"{'case':<18} {'wall time':>22} {'per instance':>16} {'peak memory':>24} imported")
        for label, rows, _jobs in cases:
            count = args.instances if rows == big else args.small
            times = [r[0] for r in results[label]]
            per = [t / count * 1000 for t in times]
            peaks = [r[1] for r in results[label]]
            print(
                f"{label:<18} {summary(times, 's'):>22} {summary(per, 'ms'):>16} "
                f"{summary(peaks, 'MiB'):>24} {results[label][0][2]}"
            )
        one = statistics.median(r[0] for r in results["big, --jobs 1"])
        two = statistics.median(r[0] for r in results["big, --jobs 2"])
        print(f"speed-up of --jobs 2 over --jobs 1: {one / two:.2f}x")
        big_peak = statistics.median(r[1] for r in results["big, --jobs 2"])
        small_peak = statistics.median(r[1] for r in results["small, --jobs 2"])
        print(f"peak memory, {args.instances} vs {args.small} rows: {big_peak / small_peak:.2f}x")


if __name__ == "__main__":
    main()
