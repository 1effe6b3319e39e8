"""Real-history mode of ``patch_check.py``: replay the commits of a local bare repository.

Kept apart from the synthetic benchmark because it needs nothing of it; see the docstring of
``patch_check.py`` for what it measures. The mirror is never written: git's scratch index and
libgit2's index live in a scratch repository that borrows the mirror's objects.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygit2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tooling"))

from datumkit.git.apply import apply_patch_in_memory
from datumkit.git.errors import PatchError

CLASSES = (("< 10 KB", 0, 10_000), ("10-200 KB", 10_000, 200_000), (">= 200 KB", 200_000, None))
ROUTES = ("ours", "git", "libgit2", "limit", "floor")
LABELS = {
    "ours": "(A) apply_patch_in_memory",
    "git": "(B) git read-tree + apply --cached --check",
    "libgit2": "(C) libgit2 parse_diff + applies(INDEX)",
    "limit": "(D) limit: read the touched blobs",
    "floor": "(E) floor: (D) + the trees on the touched paths + SHA-1 of the new blobs",
    "ref": "(R) apply_patch_in_memory of the --reference checkout",
}
Apply = Callable[[pygit2.Repository, str, bytes], Any]


def load_reference(tooling: Path) -> tuple[Apply, type[Exception]]:
    """``apply_patch_in_memory`` and ``PatchError`` of another checkout's ``tooling/``.

    Imported under the same package name with this checkout's modules set aside, then put back:
    the reference's functions keep their own module globals, so both versions run in this one
    process and can be interleaved per commit (the steadiest before/after on a shared machine).
    """
    ours = {k: v for k, v in sys.modules.items() if k == "datumkit" or k.startswith("datumkit.")}
    for name in ours:
        del sys.modules[name]
    sys.path.insert(0, str(tooling.resolve()))
    try:
        from datumkit.git.apply import apply_patch_in_memory as reference
        from datumkit.git.errors import PatchError as reference_error
    finally:
        sys.path.pop(0)
        for name in [k for k in sys.modules if k == "datumkit" or k.startswith("datumkit.")]:
            del sys.modules[name]
        sys.modules.update(ours)
    return reference, reference_error


@dataclass
class Case:
    """One commit: its parent, the patch between them and what the patch should produce."""

    commit: str
    parent: str
    tree: str
    patch: bytes
    blobs: list[str]
    #: the parent's trees on the touched paths, and the new blobs' contents (for the floor)
    trees: list[str] = field(default_factory=list)
    new_blobs: list[bytes] = field(default_factory=list)
    times: dict[str, list[float]] = field(default_factory=dict)
    exact: dict[str, bool] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.patch)


def git(mirror: Path, *args: str, **kwargs: object) -> bytes:
    done = subprocess.run(
        ["git", "--git-dir", str(mirror), *args], capture_output=True, check=True, **kwargs
    )  # type: ignore[call-overload]
    return bytes(done.stdout)


def pick_commits(mirror: Path, count: int, scan: int) -> list[str]:
    """The count/10 largest patches of the newest `scan` commits, the rest spread over them."""
    stream = git(
        mirror,
        "log",
        "--no-merges",
        "--first-parent",
        f"-n{scan}",
        "--format=@@commit %H",
        "-p",
        "--binary",
        "HEAD",
    )
    sizes: dict[str, int] = {}
    current = ""
    for line in stream.splitlines(keepends=True):
        if line.startswith(b"@@commit "):
            current = line[9:].strip().decode()
            sizes[current] = 0
        elif current:
            sizes[current] += len(line)
    ordered = [c for c, size in sizes.items() if size > 0]
    largest = sorted(ordered, key=lambda c: -sizes[c])[: max(1, count // 10)]
    rest = [c for c in ordered if c not in set(largest)]
    step = max(1, len(rest) // max(1, count - len(largest)))
    return largest + rest[::step][: count - len(largest)]


def load_case(mirror: Path, repo: pygit2.Repository, commit: str) -> Case | None:
    obj = repo.revparse_single(commit)
    assert isinstance(obj, pygit2.Commit)
    if len(obj.parents) != 1:
        return None
    parent = str(obj.parents[0].id)
    patch = git(mirror, "diff", "--binary", parent, commit)
    raw = git(mirror, "diff-tree", "-r", "--no-renames", "--no-commit-id", parent, commit)
    rows = [line.split("\t", 1) for line in raw.decode().splitlines()]
    fields = [(meta.split(), path) for meta, path in rows]
    blobs = [f[2] for f, _ in fields if f[2] != "0" * 40 and f[0] != ":160000"]
    new_ids = [f[3] for f, _ in fields if f[3] != "0" * 40 and f[1] != "160000"]
    return Case(
        commit,
        parent,
        str(obj.tree_id),
        patch,
        blobs,
        trees=_trees_on_paths(obj.parents[0].tree, [path for _, path in fields]),
        new_blobs=[repo.odb.read(oid)[1] for oid in new_ids],
    )


def _trees_on_paths(root: pygit2.Tree, paths: list[str]) -> list[str]:
    """The ids of the parent's root tree and of its directories on ``paths`` (those that exist)."""
    found = {str(root.id): None}
    for path in paths:
        tree = root
        for part in path.split("/")[:-1]:
            if part not in tree:
                break
            entry = tree[part]
            if not isinstance(entry, pygit2.Tree):
                break
            found[str(entry.id)] = None
            tree = entry
    return list(found)


class Routes:
    """The four ways of proving a patch applies, each opening what it needs per call."""

    def __init__(self, mirror: Path, scratch: Path, reference: Path | None = None) -> None:
        self.mirror = mirror
        self.names = ROUTES if reference is None else (*ROUTES, "ref")
        self.reference = None if reference is None else load_reference(reference)
        self.scratch = scratch / "scratch.git"
        subprocess.run(["git", "init", "-q", "--bare", str(self.scratch)], check=True)
        objects = (mirror / "objects").resolve()
        (self.scratch / "objects" / "info" / "alternates").write_text(f"{objects}\n")
        self.index = str(scratch / "git-index")

    def ours(self, case: Case) -> str | None:
        try:
            repo = pygit2.Repository(str(self.mirror))
            return apply_patch_in_memory(repo, case.parent, case.patch).patched_tree
        except PatchError:
            return None

    def ref(self, case: Case) -> str | None:
        assert self.reference is not None
        apply, error = self.reference
        try:
            repo = pygit2.Repository(str(self.mirror))
            return str(apply(repo, case.parent, case.patch).patched_tree)
        except error:
            return None

    def git(self, case: Case, *, check: bool = True) -> str | None:
        env = {**os.environ, "GIT_INDEX_FILE": self.index}
        base = ["git", "--git-dir", str(self.scratch)]
        subprocess.run([*base, "read-tree", case.parent], env=env, check=True)
        applied = subprocess.run(
            [*base, "apply", "--cached", *(["--check"] if check else []), "-"],
            env=env,
            input=case.patch,
            capture_output=True,
        )
        if applied.returncode or check:
            return None
        tree = subprocess.run([*base, "write-tree"], env=env, capture_output=True, check=True)
        return tree.stdout.decode().strip()

    def libgit2(self, case: Case, *, check: bool = True) -> str | None:
        repo = pygit2.Repository(str(self.scratch))
        try:
            diff = pygit2.Diff.parse_diff(case.patch)
        except (pygit2.GitError, ValueError):
            return None
        parent = repo.get(case.parent)
        assert isinstance(parent, pygit2.Commit)
        repo.index.read_tree(parent.tree)
        if check:
            return "ok" if repo.applies(diff, pygit2.enums.ApplyLocation.INDEX) else None
        try:
            repo.apply(diff, pygit2.enums.ApplyLocation.INDEX)
        except pygit2.GitError:
            return None
        return str(repo.index.write_tree())

    def limit(self, case: Case) -> str | None:
        repo = pygit2.Repository(str(self.mirror))
        repo.get(case.parent)  # the commit object: every route needs at least that
        for blob in case.blobs:
            repo.odb.read(blob)
        return None

    def floor(self, case: Case) -> str | None:
        """What any route that computes the exact patched tree id cannot skip, done in C.

        The limit, plus reading the trees on the touched paths (to find the blobs and to
        splice the new trees) and SHA-1 of every new blob (its id goes into its tree).
        """
        repo = pygit2.Repository(str(self.mirror))
        repo.get(case.parent)
        for tree in case.trees:
            repo.odb.read(tree)
        for blob in case.blobs:
            repo.odb.read(blob)
        for data in case.new_blobs:
            digest = hashlib.sha1(b"blob %d\0" % len(data), usedforsecurity=False)
            digest.update(data)
            digest.hexdigest()
        return None


def measure(cases: list[Case], routes: Routes, repeat: int) -> None:
    """Interleaved: every case runs every route per round, in an order that rotates."""
    calls: dict[str, Callable[[Case], str | None]] = {
        "ours": routes.ours,
        "git": routes.git,
        "libgit2": routes.libgit2,
        "limit": routes.limit,
        "floor": routes.floor,
        "ref": routes.ref,
    }
    names = routes.names
    for case in cases:
        for route in names:  # warm the page cache and imports; not counted
            calls[route](case)
            case.times[route] = []
    for round_no in range(repeat):
        for n, case in enumerate(cases):
            shift = (round_no + n) % len(names)
            for route in names[shift:] + names[:shift]:
                started = time.perf_counter()
                calls[route](case)
                case.times[route].append(time.perf_counter() - started)
    for case in cases:
        case.exact["ours"] = routes.ours(case) == case.tree
        case.exact["git"] = routes.git(case, check=False) == case.tree
        case.exact["libgit2"] = routes.libgit2(case, check=False) == case.tree
        if "ref" in names:
            case.exact["ref"] = routes.ref(case) == case.tree


def peak_memory(routes: Routes, case: Case) -> tuple[int, int]:
    """Peak traced allocation of (A) on ``case``, and patch size plus touched blob sizes."""
    repo = pygit2.Repository(str(routes.mirror))
    blobs = sum(len(repo.odb.read(blob)[1]) for blob in case.blobs)
    tracemalloc.start()
    routes.ours(case)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, case.size + blobs


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def paired(group: list[Case]) -> str:
    """Ratios taken per commit within one round, where the routes ran back to back.

    On a shared machine the load drifts between rounds; the two routes of one commit in one
    round saw the same load, so the median of these ratios is the steadier comparison.
    """
    cells = []
    pairs = [("ours", "limit"), ("ours", "floor"), ("git", "ours"), ("libgit2", "ours")]
    if "ref" in group[0].times:
        pairs.append(("ours", "ref"))
    for top, bottom in pairs:
        ratios = [t / b for c in group for t, b in zip(c.times[top], c.times[bottom], strict=True)]
        cells.append(
            f"{top}/{bottom} {statistics.median(ratios):.2f}x [{min(ratios):.2f}-{max(ratios):.2f}]"
        )
    return ", ".join(cells)


def report(cases: list[Case], routes: Routes) -> bool:
    """Print the per-class table; return whether our trees were exact on every case."""
    print(f"\n{len(cases)} commits; per-commit median of the rounds, then per class:")
    print("median [min-max] ms per patch\n")
    names = routes.names
    header = f"{'class':<10} {'n':>3}  " + "  ".join(f"{r:>24}" for r in names)
    print(header)
    for name, low, high in CLASSES:
        group = [c for c in cases if c.size >= low and (high is None or c.size < high)]
        if not group:
            continue
        medians = {r: [statistics.median(c.times[r]) for c in group] for r in names}
        cells = [
            f"{ms(statistics.median(v)):>8} [{ms(min(v))}-{ms(max(v))}]" for v in medians.values()
        ]
        print(f"{name:<10} {len(group):>3}  " + "  ".join(f"{cell:>24}" for cell in cells))
        mid = {r: statistics.median(v) for r, v in medians.items()}
        print(
            f"{'':<10}      ours/limit {mid['ours'] / mid['limit']:.2f}x (goal <= 1.5x), "
            f"git/ours {mid['git'] / mid['ours']:.1f}x, "
            f"libgit2/ours {mid['libgit2'] / mid['ours']:.1f}x (goal > 1x each)"
        )
        print(
            f"{'':<10}      floor/limit {mid['floor'] / mid['limit']:.2f}x, "
            f"ours/floor {mid['ours'] / mid['floor']:.2f}x (the floor: trees and hashing "
            "that an exact tree id needs)"
        )
        print(f"{'':<10}      paired, per commit (median [min-max]): " + paired(group))
        exact = [c for c in group if c.exact["libgit2"]]
        if len(exact) < len(group):
            ours = statistics.median(statistics.median(c.times["ours"]) for c in exact)
            lib = statistics.median(statistics.median(c.times["libgit2"]) for c in exact)
            print(
                f"{'':<10}      on the {len(exact)} commits libgit2 gets right: "
                f"libgit2/ours {lib / ours:.1f}x (it refuses the others in ~1 ms)"
            )
    print()
    for route in ("ours", "git", "libgit2", *(("ref",) if "ref" in names else ())):
        exact = sum(c.exact[route] for c in cases)
        print(f"exact trees {LABELS[route]}: {exact}/{len(cases)}")
    wrong = [c.commit[:12] for c in cases if not c.exact["ours"]]
    if wrong:
        print(f"  ours differs on: {' '.join(wrong)}")
    largest = max(cases, key=lambda c: c.size)
    peak, inputs = peak_memory(routes, largest)
    print(
        f"\npeak memory of (A) on the largest patch ({largest.size / 1e6:.2f} MB, "
        f"{largest.commit[:12]}): {peak / 1e6:.1f} MB traced, patch + touched blobs "
        f"{inputs / 1e6:.1f} MB, ratio {peak / inputs:.2f}x (goal <= 2x)"
    )
    return not wrong


def run_history(
    mirror: Path,
    count: int,
    repeat: int,
    scan: int,
    reference: Path | None = None,
    phases: bool = False,
) -> int:
    """Entry point of ``patch_check.py --mirror``; ``phases`` adds the table of
    ``patch_phases.py`` (where (A)'s time goes) after the routes' table."""
    mirror = mirror.resolve()
    repo = pygit2.Repository(str(mirror))
    version = git(mirror, "version").decode().split()[-1]
    print(
        f"git {version}, pygit2 {pygit2.__version__} (libgit2 {pygit2.LIBGIT2_VERSION}), "
        f"{os.cpu_count()} cpus, mirror {mirror}"
    )
    started = time.perf_counter()
    loaded = [load_case(mirror, repo, c) for c in pick_commits(mirror, count, scan)]
    cases = [c for c in loaded if c is not None]
    print(f"picked and diffed {len(cases)} commits in {time.perf_counter() - started:.1f}s")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    scratch = Path(tempfile.mkdtemp(prefix="patch-history-"))
    try:
        routes = Routes(mirror, scratch, reference)
        measure(cases, routes, repeat)
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        exact = report(cases, routes)
        if phases:
            from patch_phases import phase_costs

            phase_costs(cases, routes, repeat, CLASSES)
        return 0 if exact else 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
