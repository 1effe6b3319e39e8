"""Finding: one thing wrong with one datum, in a shape every report format can render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from datumkit.errors import DatumError

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """What is wrong, where (file and field, hunk or line), and, inside `message`, what to do."""

    check: str
    datum: str
    file: str
    location: str | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        parts = [self.file, self.location, self.message]
        return ": ".join(p for p in parts if p)

    @classmethod
    def from_error(cls, check: str, datum: str, error: DatumError, default_file: str) -> Finding:
        """A finding carrying a DatumError's file, location, message and hint."""
        return cls(check, datum, error.file or default_file, error.location, error.detail)

    def to_json(self) -> dict[str, Any]:
        # spelled out: dataclasses.asdict deep-copies field by field, and `check --all --json`
        # turns thousands of findings into JSON
        return {
            "check": self.check,
            "datum": self.datum,
            "file": self.file,
            "location": self.location,
            "message": self.message,
            "severity": self.severity,
        }
