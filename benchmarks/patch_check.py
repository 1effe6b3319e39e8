"""How fast is the in-memory patch check, compared with what git offers?

For each repository size this builds a synthetic upstream (files spread over nested directories,
then a linear history of small real-looking edits: modified, added, renamed, deleted files),
takes the diff of each commit as a datum patch, and times three ways of proving the patch
applies to its parent commit:

  (a) apply_patch_in_memory on the bare mirror (datumkit; opens the repository each time)
  (b) GIT_INDEX_FILE=tmp git read-tree <base> && git apply --cached --check
  (c) git worktree add --detach <tmp> <base> && git apply --check && git worktree remove --force

It prints the median per patch, the ratios (c)/(a) and (b)/(a) against the goals (>= 10x and
>= 2x at 10k files), how each method grows from the smallest to the largest repository, and
a correctness line: the tree ids (a) computes against those `git apply --cached` + `git
write-tree` produce. Usage::

    python benchmarks/patch_check.py [--files 1000 10000 50000] [--patches N] [--quick]

Real-history mode (issue 14) replays the commits of a local bare repository instead::

    python benchmarks/patch_check.py --mirror PATH --commits 100 [--repeat 3] [--reference DIR]

It takes ``git diff --binary parent commit`` of N non-merge first-parent commits (the N/10
largest of the scanned history and the rest spread evenly over it) and, per size class
(< 10 KB, 10-200 KB, >= 200 KB), times interleaved (A B C D E, rotating) routes that prove the
patch applies to the parent: (A) ``apply_patch_in_memory``, (B) ``git read-tree`` + ``git
apply --cached --check`` into a scratch index, (C) libgit2 through pygit2 (``Diff.parse_diff``,
the parent tree read into an in-memory index, ``Repository.applies(..., INDEX)``; pygit2 has no
``git_apply_to_tree``), (D) the limit: opening the repository, resolving the parent and
reading only the blobs the patch touches, and (E) the floor of an exact tree id: (D) plus
reading the parent's trees on the touched paths and SHA-1 of the new blobs, all in C. It prints
medians with min-max, the ratios to the limit, to the floor and to git/libgit2 (of the class
medians, and paired: per commit within one round, where
the routes ran back to back under the same load), the load average, how many patched trees
equal the commit's own tree, and the peak memory of (A) on the largest patch. The mirror is
only read (a scratch repository borrows its objects through ``objects/info/alternates``).
``--reference DIR`` (another checkout's ``tooling/``, e.g. the main branch's) adds its
``apply_patch_in_memory`` as route (R), interleaved with the others in the same process, and
prints ours/ref paired per commit: a before/after that the machine's load cannot tilt.
``--phases`` then times (A) phase by phase per size class, each phase as a multiple of the
limit (``patch_phases.py``): what the distance to the limit is made of.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pygit2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tooling"))

from datumkit.git.apply import apply_patch_in_memory

FILES_PER_DIR = 40
DIRS_PER_PACKAGE = 40
GOAL_AT = 10_000
GOAL_WORKTREE = 10.0
GOAL_INDEX = 2.0


# --------------------------------------------------------------------------- synthetic upstream


def file_path(i: int) -> str:
    """Nested like a real project: src/pkgNN/modNN/file_NNNNN.py, 40 files per directory."""
    package, module = divmod(i // FILES_PER_DIR, DIRS_PER_PACKAGE)
    return f"src/pkg{package:02d}/mod{module:02d}/file_{i:05d}.py"


def file_content(i: int) -> list[str]:
    lines = [f'"""Module {i}."""\n', "\n"]
    for j in range(10):
        lines += [f"def func_{i}_{j}(x):\n", f"    return x * {j} + {i}\n", "\n"]
    return lines


@dataclass
class History:
    """File contents as the edit history unfolds, and the fast-import stream that records it."""

    files: dict[str, list[str]]
    rng: random.Random
    clock: int = 1_700_000_000

    def commit(self, message: str, changes: list[str]) -> str:
        self.clock += 60
        head = (
            f"commit refs/heads/main\ncommitter Bench <bench@example.invalid> {self.clock} +0000\n"
            f"data {len(message.encode())}\n{message}\n"
        )
        return head + "".join(changes) + "\n"

    def put(self, path: str) -> str:
        data = "".join(self.files[path]).encode()
        return f"M 100644 inline {path}\ndata {len(data)}\n{data.decode()}\n"

    def edit(self, serial: int) -> str:
        """One commit: a few modified files, sometimes an added, renamed or deleted one."""
        paths = sorted(self.files)
        changes = []
        for path in self.rng.sample(paths, k=min(len(paths), self.rng.randint(2, 5))):
            lines = self.files[path]
            at = self.rng.randrange(2, len(lines))
            lines[at : at + 1] = [f"    # edit {serial}: keep the result stable\n", lines[at]]
            changes.append(self.put(path))
        roll = self.rng.random()
        if roll < 0.4:
            new = f"src/added/change_{serial:04d}.py"
            self.files[new] = [f"VALUE_{serial} = {serial}\n", "\n", "def value():\n"]
            self.files[new].append(f"    return VALUE_{serial}\n")
            changes.append(self.put(new))
        elif roll < 0.7:
            old = self.rng.choice(paths)
            new = old.replace(".py", f"_v{serial}.py")
            self.files[new] = self.files.pop(old)
            changes.append(f'R "{old}" "{new}"\n')
        elif roll < 0.85:
            old = self.rng.choice(paths)
            del self.files[old]
            changes.append(f"D {old}\n")
        return self.commit(f"edit {serial}", changes)


def fast_import_stream(count: int, edits: int, seed: int) -> Iterator[bytes]:
    history = History({file_path(i): file_content(i) for i in range(count)}, random.Random(seed))
    yield history.commit("import", [history.put(p) for p in sorted(history.files)]).encode()
    for serial in range(1, edits + 1):
        yield history.edit(serial).encode()


def build_mirror(where: Path, count: int, edits: int) -> tuple[Path, list[str]]:
    """A bare repository built with one `git fast-import` run; returns it and its commits."""
    mirror = where / f"upstream-{count}.git"
    git("init", "-q", "--bare", str(mirror))
    process = subprocess.Popen(
        ["git", "--git-dir", str(mirror), "fast-import", "--quiet"], stdin=subprocess.PIPE
    )
    assert process.stdin is not None
    for chunk in fast_import_stream(count, edits, seed=count):
        process.stdin.write(chunk)
    process.stdin.close()
    if process.wait():
        raise SystemExit("git fast-import failed")
    commits = git("--git-dir", str(mirror), "rev-list", "--reverse", "main").split()
    return mirror, commits


# --------------------------------------------------------------------------- the three methods


def git(*args: str, env: dict[str, str] | None = None, input: bytes | None = None) -> str:
    done = subprocess.run(
        ["git", *args],
        env={**os.environ, **(env or {})},
        input=input,
        capture_output=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"git {' '.join(args[:3])} failed: {done.stderr.decode().strip()}")
    return done.stdout.decode()


def in_memory(mirror: Path, base: str, patch: bytes) -> str:
    return apply_patch_in_memory(pygit2.Repository(str(mirror)), base, patch).patched_tree


def temp_index(mirror: Path, base: str, patch: bytes, scratch: Path, *, check: bool = True) -> str:
    env = {"GIT_INDEX_FILE": str(scratch / "bench-index")}
    gd = ("--git-dir", str(mirror))
    git(*gd, "read-tree", base, env=env)
    git(*gd, "apply", "--cached", *(["--check"] if check else []), "-", env=env, input=patch)
    tree = "" if check else git(*gd, "write-tree", env=env).strip()
    os.unlink(env["GIT_INDEX_FILE"])
    return tree


def worktree(mirror: Path, base: str, patch: bytes, scratch: Path) -> str:
    tree_dir = scratch / "bench-worktree"
    gd = ("--git-dir", str(mirror))
    git(*gd, "worktree", "add", "-q", "--detach", str(tree_dir), base)
    try:
        git("-C", str(tree_dir), "apply", "--check", "-", input=patch)
    finally:
        git(*gd, "worktree", "remove", "--force", str(tree_dir))
    return ""


Method = Callable[[Path, str, bytes], str]


def time_method(method: Method, jobs: list[tuple[str, bytes]], mirror: Path) -> list[float]:
    method(mirror, *jobs[0])  # warm the page cache and imports; not counted
    seconds = []
    for base, patch in jobs:
        start = time.perf_counter()
        method(mirror, base, patch)
        seconds.append(time.perf_counter() - start)
    return seconds


# --------------------------------------------------------------------------- report


@dataclass
class SizeResult:
    files: int
    build_s: float
    medians: dict[str, float]
    agree: int
    sampled: int
    checksum_ours: str
    checksum_git: str


def measure(count: int, patches: int, where: Path) -> SizeResult:
    start = time.perf_counter()
    mirror, commits = build_mirror(where, count, patches)
    build_s = time.perf_counter() - start
    gd = ("--git-dir", str(mirror))
    jobs = [
        (parent, git(*gd, "diff", "--binary", parent, child).encode())
        for parent, child in itertools.pairwise(commits)
    ]
    scratch = where / f"scratch-{count}"
    scratch.mkdir()
    methods: dict[str, Method] = {
        "a": in_memory,
        "b": lambda m, b, p: temp_index(m, b, p, scratch),
        "c": lambda m, b, p: worktree(m, b, p, scratch),
    }
    medians = {
        name: statistics.median(time_method(method, jobs, mirror))
        for name, method in methods.items()
    }
    sample = jobs[: min(len(jobs), 10)]
    ours = [in_memory(mirror, b, p) for b, p in sample]
    theirs = [temp_index(mirror, b, p, scratch, check=False) for b, p in sample]
    return SizeResult(
        files=count,
        build_s=build_s,
        medians=medians,
        agree=sum(o == t for o, t in zip(ours, theirs, strict=True)),
        sampled=len(sample),
        checksum_ours=hashlib.sha256("".join(ours).encode()).hexdigest()[:16],
        checksum_git=hashlib.sha256("".join(theirs).encode()).hexdigest()[:16],
    )


def print_report(results: list[SizeResult], patches: int) -> bool:
    """Print the table, growth and goals; return whether (a) and git agreed on every tree."""
    print(f"\nmedian time per patch ({patches} patches per size)")
    print(
        f"{'files':>8}  {'build':>7}  {'(a) memory':>11}  {'(b) index':>10}  "
        f"{'(c) worktree':>12}  {'(c)/(a)':>8}  {'(b)/(a)':>8}"
    )
    for r in results:
        a, b, c = (r.medians[k] * 1000 for k in "abc")
        print(
            f"{r.files:>8}  {r.build_s:>6.1f}s  {a:>9.1f}ms  {b:>8.1f}ms  {c:>10.1f}ms  "
            f"{c / a:>7.1f}x  {b / a:>7.1f}x"
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        growth = ", ".join(f"({k}) x{last.medians[k] / first.medians[k]:.1f}" for k in "abc")
        print(f"\ngrowth from {first.files} to {last.files} files: {growth}")
    at_goal = next((r for r in results if r.files == GOAL_AT), None)
    if at_goal is not None:
        a, b, c = (at_goal.medians[k] for k in "abc")
        for label, ratio, goal in (
            ("(c)/(a)", c / a, GOAL_WORKTREE),
            ("(b)/(a)", b / a, GOAL_INDEX),
        ):
            verdict = "met" if ratio >= goal else "MISSED"
            print(f"goal at {GOAL_AT} files: {label} >= {goal:.0f}x: {ratio:.1f}x, {verdict}")
    print("\ncorrectness: tree ids from (a) vs `git apply --cached` + `git write-tree`")
    agreed = True
    for r in results:
        same = r.agree == r.sampled and r.checksum_ours == r.checksum_git
        agreed = agreed and same
        print(
            f"  {r.files:>6} files: {r.agree}/{r.sampled} equal, sha256 of the ids "
            f"{r.checksum_ours} (a) vs {r.checksum_git} (git): {'agree' if same else 'DIFFER'}"
        )
    return agreed


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--files",
        type=int,
        nargs="+",
        default=[1000, 10_000, 50_000],
        help="repository sizes in files (default: 1000 10000 50000)",
    )
    parser.add_argument("--patches", type=int, default=12, help="patches per size (default: 12)")
    parser.add_argument("--quick", action="store_true", help="1000 files, 5 patches")
    parser.add_argument("--keep", type=Path, help="build here and keep the repositories")
    parser.add_argument("--mirror", type=Path, help="real-history mode: a local bare repository")
    parser.add_argument("--commits", type=int, default=100, help="real-history commits (100)")
    parser.add_argument("--repeat", type=int, default=3, help="real-history rounds (3)")
    parser.add_argument(
        "--scan", type=int, default=3000, help="real-history: newest commits scanned (3000)"
    )
    parser.add_argument(
        "--reference",
        type=Path,
        help="real-history: another checkout's tooling/ dir, run as route (R) interleaved",
    )
    parser.add_argument(
        "--phases",
        action="store_true",
        help="real-history: also time (A) phase by phase (parse, reads, hunks, trees) per class",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.files, args.patches = [1000], 5
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.mirror is not None:
        from real_history import run_history

        return run_history(
            args.mirror, args.commits, args.repeat, args.scan, args.reference, args.phases
        )
    where = args.keep or Path(tempfile.mkdtemp(prefix="patch-check-"))
    where.mkdir(parents=True, exist_ok=True)
    print(
        f"git {git('--version').split()[-1]}, pygit2 {metadata.version('pygit2')}, "
        f"{os.cpu_count()} cpus, building in {where}"
    )
    try:
        results = []
        for count in args.files:
            result = measure(count, args.patches, where)
            results.append(result)
            print(
                f"  {count} files: built in {result.build_s:.1f}s, "
                + ", ".join(f"({k}) {v * 1000:.1f}ms" for k, v in result.medians.items())
            )
        return 0 if print_report(results, args.patches) else 1
    finally:
        if args.keep is None:
            shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
