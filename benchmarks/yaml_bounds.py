"""What do the YAML bounds (depth, aliases, long numbers) cost per datum.yaml load?

`load_plain` first walks libyaml's events to refuse hostile nesting before any object is built
(building objects recursively overflows the C stack on deep input). That is a second parse of a
file that is parsed on every check, so this measures it against the bare libyaml load, A B A B
interleaved so machine noise hits both alike, and prints medians with min-max. Usage::

    python benchmarks/yaml_bounds.py [--rounds 9] [--loads 300]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from ruamel.yaml import YAML

from datumkit.model.yamlio import check_bounds, load_plain

DATUM_YAML = Path(__file__).resolve().parent.parent / "datums" / "banking77" / "datum.yaml"


def _per_load_us(function: Callable[[], object], loads: int) -> float:
    started = time.perf_counter()
    for _ in range(loads):
        function()
    return (time.perf_counter() - started) / loads * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--loads", type=int, default=300)
    args = parser.parse_args()
    raw = DATUM_YAML.read_bytes()
    text = raw.decode("utf-8")
    yaml = YAML(typ="safe", pure=False)
    variants: dict[str, Callable[[], object]] = {
        "libyaml load only": lambda: yaml.load(text),
        "bounds check only": lambda: check_bounds(text, file="datum.yaml"),
        "load_plain (both)": lambda: load_plain(raw, file="datum.yaml"),
    }
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, function in variants.items():
            timings[name].append(_per_load_us(function, args.loads))
    print(f"{DATUM_YAML.name} ({len(raw)} bytes), {args.rounds} rounds x {args.loads} loads")
    for name, values in timings.items():
        print(
            f"  {name:<18} median {statistics.median(values):7.0f} us"
            f"  (min {min(values):.0f}, max {max(values):.0f})"
        )


if __name__ == "__main__":
    main()
