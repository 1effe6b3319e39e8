"""Importing many instances: streamed from their source, created in parallel, each on its own.

A SWE-bench JSONL can hold thousands of rows of several megabytes each, so rows are read one at a
time and at most a few per worker are in flight (memory stays bounded whatever the file's size).
Every instance either becomes a complete, checked datum or is skipped with a one-line reason;
one bad row never stops the others, and the caller prints the summary.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

from datumkit.errors import DatumError
from datumkit.interop.create import NewDatum, create_datum
from datumkit.model.project import Project

#: below this many instances, worker start-up costs more than it saves
PARALLEL_THRESHOLD = 8
IN_FLIGHT_PER_WORKER = 4


@dataclass(frozen=True)
class Outcome:
    """What became of one instance: imported as `name`, or skipped and why."""

    index: int
    origin: str
    name: str | None
    reason: str | None = None
    notes: tuple[str, ...] = ()
    #: a short label to count skips by in the summary
    kind: str = ""

    @property
    def imported(self) -> bool:
        return self.reason is None


@dataclass
class Summary:
    imported: list[Outcome] = field(default_factory=list)
    skipped: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        (self.imported if outcome.imported else self.skipped).append(outcome)

    def sort(self) -> None:
        """Source order, whatever order the workers finished in."""
        self.imported.sort(key=lambda o: o.index)
        self.skipped.sort(key=lambda o: o.index)


#: turns one source item into a datum to create, or raises DatumError
Planner = Callable[[object], NewDatum]


@dataclass(frozen=True)
class Item:
    """One thing to import: its origin, the keys that must be unique, and the payload."""

    index: int  # position in the source, for reporting in source order
    origin: str
    key: str | None  # the id in the source format (instance_id, task name); None: unreadable
    name: str | None  # the datum name it maps to
    payload: object  # given to the planner; a DatumError when the source item was unreadable


def _run_one(context: Project, planner: Planner, item: Item) -> Outcome:
    if isinstance(item.payload, DatumError):
        return _skipped(item, item.payload)
    try:
        new = planner(item.payload)
        create_datum(new, context)
    except DatumError as error:
        return _skipped(item, error)
    return Outcome(item.index, item.origin, new.name, None, new.notes)


def _skipped(item: Item, error: DatumError) -> Outcome:
    """The error as one line, without the origin the summary already names."""
    parts = [p for p in (error.file, error.location) if p and p != item.origin]
    text = ": ".join([*parts, error.detail]).splitlines()[0]
    return Outcome(item.index, item.origin, item.name, text, kind=getattr(error, "kind", "error"))


def select(
    items: Iterable[Item], pattern: str | None, limit: int | None
) -> Iterator[Item | Outcome]:
    """Items whose key matches `pattern`, at most `limit`; duplicates become skipped Outcomes."""
    regex = re.compile(pattern) if pattern else None
    seen_keys: dict[str, str] = {}
    seen_names: dict[str, str] = {}
    taken = 0
    for item in items:
        if limit is not None and taken >= limit:
            return
        if regex is not None and (item.key is None or not regex.search(item.key)):
            continue
        taken += 1
        if item.key is not None and item.key in seen_keys:
            yield Outcome(
                item.index,
                item.origin,
                item.name,
                f"duplicate id {item.key!r} (first at {seen_keys[item.key]})",
                kind="duplicate id",
            )
            continue
        if item.name is not None and item.name in seen_names:
            yield Outcome(
                item.index,
                item.origin,
                item.name,
                f"id {item.key!r} maps to datum name {item.name!r}, as {seen_names[item.name]} "
                "does: rename one of them",
                kind="duplicate name",
            )
            continue
        if item.key is not None:
            seen_keys[item.key] = item.origin
        if item.name is not None:
            seen_names[item.name] = item.origin
        yield item


def import_all(
    context: Project,
    items: Iterable[Item | Outcome],
    planner: Planner,
    *,
    jobs: int,
    on_outcome: Callable[[Outcome], None],
) -> Summary:
    """Create a datum for every item, `jobs` at a time; report each outcome as it is known."""
    summary = Summary()

    def done(outcome: Outcome) -> None:
        summary.add(outcome)
        on_outcome(outcome)

    source = iter(items)
    head = list(itertools.islice(source, PARALLEL_THRESHOLD))  # a few: no worker start-up
    iterator = itertools.chain(head, source)
    if jobs <= 1 or len(head) < PARALLEL_THRESHOLD:
        for entry in iterator:
            done(entry if isinstance(entry, Outcome) else _run_one(context, planner, entry))
        summary.sort()
        return summary
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: set[Future[Outcome]] = set()
        for entry in iterator:
            if isinstance(entry, Outcome):
                done(entry)
                continue
            pending.add(pool.submit(_run_one, context, planner, entry))
            if len(pending) >= jobs * IN_FLIGHT_PER_WORKER:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    done(future.result())
        for future in wait(pending).done:
            done(future.result())
    summary.sort()
    return summary
