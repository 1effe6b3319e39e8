"""Is the secret scan linear? Time it on 5 MiB inputs built to make a backtracking scan blow up.

The goal (issue: "scanning is linear"): a 5 MiB keyword-dense trace scans in under 5 s. Each
shape below is built to hit one way a regex-driven scanner goes super-linear: a realistic trace
whose every message talks about passwords and keys (JSON-escaped, so it is scanned twice), one
long line of keywords without separators (detect-secrets' keyword rules are cubic on it),
assignments without closing quotes, comparisons, and text dense in a credential prefix
(``sk-``, ``eyJ``). Each size is run at 1/4 and at full size: a linear scan takes about four
times as long at full size, a quadratic one sixteen times.

Rounds interleave the shapes (A B C ... A B C ...) so that a slow moment of the machine does not
land on one shape; each line reports the median and the min-max of the rounds. Each scan is
followed by a reference on the same text: one C-level regex search for detect-secrets' keywords
(``re.findall`` over the lower-cased text, the least any keyword scanner does). The ratio of the
two medians ("x ref") says how the scan compares on a machine busier or quieter than this one.
Usage::

    python benchmarks/secrets_scan.py [--mib 5] [--rounds 3] [--datum datums/banking77]

It ends with the scan ``datum check`` runs on a small datum (every scanned file of
``datums/banking77``), per call: the figure ``check --all`` multiplies by the number of datums.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tooling"))

from detect_secrets.plugins.keyword import DENYLIST

from datumkit.secrets.scan import scan_bytes, scan_patch

GOAL_SECONDS = 5.0


def trace(size: int) -> bytes:
    """JSON Lines of an agent session about credentials: keywords everywhere, few real hits."""
    lines = []
    total = i = 0
    while total < size:
        message = {
            "role": "assistant" if i % 2 else "tool",
            "content": (
                f'password = "hunter{i}"\nAPI_KEY: placeholder-{i}\nsecret_token = get_secret()\n'
                f"the password and the secret key and the api_key and db_password {i} "
                f'if "value{i}" == password: check(secret, passwd, pwd)\n'
            ),
        }
        line = json.dumps(message) + "\n"
        lines.append(line)
        total += len(line)
        i += 1
    return "".join(lines).encode()[:size]


def repeated(unit: str) -> Callable[[int], bytes]:
    def build(size: int) -> bytes:
        return (unit * (size // len(unit) + 1)).encode()[:size]

    return build


def patch_of(size: int) -> bytes:
    """A patch adding one file whose lines are all keyword assignments."""
    body = trace(size).decode().replace("\n", "\n+")
    count = body.count("\n") + 1
    head = "diff --git a/t.py b/t.py\nnew file mode 100644\n--- /dev/null\n+++ b/t.py\n"
    return (head + f"@@ -0,0 +1,{count} @@\n+" + body + "\n").encode()


SHAPES: dict[str, tuple[Callable[[int], bytes], str]] = {
    "keyword-dense trace (JSONL)": (trace, "trace/session.jsonl"),
    "one line of keywords": (repeated("secret_"), "notes.md"),
    "unclosed assignments": (repeated('password="'), "notes.md"),
    "comparisons": (repeated('"x" == password '), "notes.md"),
    "sk- dense": (repeated("sk-"), "notes.md"),
    "eyJ dense": (repeated("eyJ"), "notes.md"),
    "escaped quotes": (repeated('"\\"'), "trace/x.json"),
    "keyword-dense patch": (patch_of, "diff.patch"),
}


_KEYWORDS = re.compile("|".join(DENYLIST))


def reference(data: bytes) -> int:
    """The reference: one regex search for every keyword in the text."""
    return len(_KEYWORDS.findall(data.decode("utf-8", "surrogateescape").lower()))


def scan(data: bytes, name: str) -> int:
    if name.endswith(".patch"):
        return len(scan_patch(data, display_path=name))
    return len(scan_bytes(data, display_path=name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--datum", type=Path, default=Path(__file__).resolve().parent.parent / "datums/banking77"
    )
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    full = int(args.mib * 2**20)
    inputs = {
        (shape, size): build(size)
        for shape, (build, _) in SHAPES.items()
        for size in (full // 4, full)
    }
    times: dict[tuple[str, int], list[float]] = {key: [] for key in inputs}
    references: dict[tuple[str, int], list[float]] = {key: [] for key in inputs}
    hits: dict[tuple[str, int], int] = {}
    for _ in range(args.rounds):
        for (shape, size), data in inputs.items():
            started = time.perf_counter()
            hits[(shape, size)] = scan(data, SHAPES[shape][1])
            times[(shape, size)].append(time.perf_counter() - started)
            started = time.perf_counter()
            reference(data)
            references[(shape, size)].append(time.perf_counter() - started)
    worst = 0.0
    print(
        f"{'shape':30} {'size':>9} {'median s':>9} {'min-max s':>15} {'x from 1/4':>10} "
        f"{'ref s':>6} {'x ref':>6} hits"
    )
    for shape in SHAPES:
        small = statistics.median(times[(shape, full // 4)])
        for size in (full // 4, full):
            samples = times[(shape, size)]
            median = statistics.median(samples)
            ref = statistics.median(references[(shape, size)])
            growth = f"{median / small:10.1f}" if size == full and small else " " * 10
            span = f"{min(samples):.2f}-{max(samples):.2f}"
            print(
                f"{shape:30} {size / 2**20:7.2f}Mi {median:9.2f} {span:>15} {growth} "
                f"{ref:6.3f} {median / ref:6.0f} {hits[(shape, size)]}"
            )
            if size == full:
                worst = max(worst, median)
    verdict = "meets" if worst < GOAL_SECONDS else "MISSES"
    print(f"slowest full-size shape: {worst:.2f} s ({verdict} the {GOAL_SECONDS:.0f} s goal)")
    small_files(args.datum, args.calls)


def small_files(datum: Path, calls: int) -> None:
    """The scan ``datum check`` runs per datum: each scanned file of a small datum, per call."""
    from datumkit.checks.secrets import scan_datum_files

    files = [
        (path.relative_to(datum).as_posix(), path.read_bytes())
        for path in sorted(datum.rglob("*"))
        if path.is_file()
    ]
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        scan_datum_files(files, display_dir=datum.as_posix())
        samples.append(time.perf_counter() - started)
    size = sum(len(content) for _, content in files)
    print(
        f"{datum.name} ({len(files)} files, {size / 1024:.1f} KiB): "
        f"{statistics.median(samples) * 1000:.2f} ms per call "
        f"[{min(samples) * 1000:.2f}-{max(samples) * 1000:.2f}], {calls} calls"
    )


if __name__ == "__main__":
    main()
