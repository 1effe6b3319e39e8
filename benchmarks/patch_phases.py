"""``patch_check.py --mirror ... --phases``: where (A)'s time goes, phase by phase, per size class.

The real-history table says how far ``apply_patch_in_memory`` is from the limit (D) and the
floor (E); this says which of its phases that distance is made of. Each phase's function is
wrapped with a timer for the duration of this run only (the wrappers are taken off again), and
times are inclusive: "hunks" contains "hunks: sides", "build" contains the tree and blob
hashing. Each case runs the floor first (so (A) finds the trees and blobs it reads in libgit2's
pack caches, as it mostly does in the rotating table), then (A) once with the timers; per case
the median of the rounds, per class the median of the cases, and each phase as a multiple of
the class's median limit (D) from the interleaved table, which also gives (E) and (A) untimed
for comparison. "Python, rest" is the total less the phases named (per file and per hunk
bookkeeping, tree lookups once their trees are read, result objects). A wrapper costs about
half a microsecond a call.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pygit2

from datumkit.git import apply as apply_module
from datumkit.git import hunkapply, patchparse, tree

#: (label, owner, attribute); a label shared by two wrappers adds their times
PHASES: tuple[tuple[str, Any, str], ...] = (
    ("resolve the commit", apply_module, "resolve_baseline"),
    ("parse", apply_module, "parse_patch_once"),
    ("tree lookups (incl. reads)", tree.TreeReader, "lookup"),
    ("tree reads", tree.TreeReader, "tree"),
    ("blob reads", tree.TreeReader, "blob"),
    ("deletion by hash", apply_module, "_deletes_exactly"),
    ("hunks", apply_module, "apply_hunks"),
    ("hunks: sides", patchparse.ParsedHunk, "sides"),
    ("hunks: find", hunkapply, "find_image"),
    ("build", apply_module, "_build_tree"),
)
#: labels inside another phase, left out of "Python, rest"
NESTED = {"tree reads", "hunks: sides", "hunks: find", "SHA-1 new blobs", "SHA-1 new trees"}


@contextmanager
def timers(acc: dict[str, float]) -> Iterator[None]:
    """Every phase function wrapped to add its wall time to ``acc`` while the block runs."""
    saved: list[tuple[Any, str, Any]] = []

    def timed(label: str | Callable[..., str], function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                key = label if isinstance(label, str) else label(*args)
                acc[key] = acc.get(key, 0.0) + time.perf_counter() - started

        return wrapper

    hashing: list[tuple[str, Any, str, str | Callable[..., str]]] = [
        (label, owner, name, label) for label, owner, name in PHASES
    ]
    hashing.append(
        ("", tree, "hash_object", lambda kind, _data: f"SHA-1 new {kind}s")  # blob or tree
    )
    for _, owner, name, label in hashing:
        original = owner.__dict__[name]
        saved.append((owner, name, original))
        setattr(owner, name, timed(label, original))
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def phase_costs(cases: list[Any], routes: Any, repeat: int, classes: tuple[Any, ...]) -> None:
    """Print the phase table per size class (see the module docstring)."""
    per_case: dict[int, dict[str, list[float]]] = {id(c): {} for c in cases}
    acc: dict[str, float] = {}
    with timers(acc):
        for _ in range(repeat):
            for case in cases:
                routes.floor(case)  # its trees and blobs warm in the pack caches, as in the table
                acc.clear()
                started = time.perf_counter()
                repo = pygit2.Repository(str(routes.mirror))
                opened = time.perf_counter() - started
                apply_module.apply_patch_in_memory(repo, case.parent, case.patch)
                acc["(A) total"] = time.perf_counter() - started
                acc["open the repository"] = opened
                for label, seconds in acc.items():
                    per_case[id(case)].setdefault(label, []).append(seconds)
    print(
        "\nwhere (A)'s time goes: median ms per patch, and x the class's median limit (D);"
        "\n(D), (E) and (A) as in the table above, '(A) total' with the timers on"
    )
    for name, low, high in classes:
        group = [c for c in cases if c.size >= low and (high is None or c.size < high)]
        if not group:
            continue
        labels = {label for c in group for label in per_case[id(c)]}
        medians = {
            label: statistics.median(
                statistics.median(per_case[id(c)].get(label, [0.0])) for c in group
            )
            for label in labels
        }
        named = [label for label in labels if label not in NESTED and label != "(A) total"]
        rest = [
            statistics.median(per_case[id(c)]["(A) total"])
            - sum(statistics.median(per_case[id(c)].get(label, [0.0])) for label in named)
            for c in group
        ]
        medians["Python, rest"] = statistics.median(rest)
        for route, label in (("limit", "(D) limit"), ("floor", "(E) floor"), ("ours", "(A)")):
            medians[label] = statistics.median(statistics.median(c.times[route]) for c in group)
        limit = medians["(D) limit"]
        order = ["(D) limit", "(E) floor", "(A)", "(A) total", "open the repository"]
        order += [label for label, _, _ in PHASES if label in medians]
        order += ["SHA-1 new blobs", "SHA-1 new trees", "Python, rest"]
        print(f"  {name} (n={len(group)})")
        for label in order:
            if label in medians:
                value = medians[label]
                print(f"    {label:<28} {value * 1000:8.3f} ms  {value / limit:5.2f}x")
