"""Progress while many datums are checked: a bar on a terminal, plain lines in logs.

tqdm draws the bar (on stderr, so stdout stays the report); when stderr is not a terminal (CI,
pre-commit) a bar would be noise, so each finished datum gets one line instead.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from datumkit.checks import DatumReport
from datumkit.cli.output import terminal_safe

if TYPE_CHECKING:  # tqdm is imported only when a bar is drawn (a terminal), not in logs or CI
    from tqdm import tqdm


class CheckProgress:
    """Context manager fed one DatumReport at a time."""

    def __init__(self, total: int, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.enabled = enabled and total > 1
        self.bar: tqdm[Any] | None = None
        if self.enabled and self.stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, file=self.stream, unit="datum", desc="checking")

    def __enter__(self) -> CheckProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.bar is not None:
            self.bar.close()

    def __call__(self, report: DatumReport) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(1)
            if not report.ok:
                self.bar.set_postfix_str(terminal_safe(f"last failure: {report.name}"))
            return
        errors = sum(1 for f in report.findings if f.severity == "error")
        status = "ok" if report.ok else f"FAILED ({errors} finding{'s' if errors != 1 else ''})"
        width = len(str(self.total))
        line = f"[{self.done:>{width}}/{self.total}] {report.name}: {status}"
        print(terminal_safe(line), file=self.stream)
