"""One error family for everything a user can get wrong.

Every error datumkit raises for bad input is a :class:`DatumError`: it carries the file, the
location inside it (a field path, a hunk header, a line) and what to do, so the CLI can print one
clear line and pick the documented exit code without knowing which module raised it.
"""

from __future__ import annotations

from collections.abc import Sequence


class DatumError(Exception):
    """A problem the user can fix, printed as ``<file>: <location>: <message> (<hint>)``."""

    #: exit code the CLI uses when this error ends a command (see README, "Exit codes").
    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        location: str | None = None,
        hint: str | None = None,
        fetch_fixes: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.location = location
        #: set when `datum fetch` fixes the problem: what follows the command in the hint
        #: ("to create it, ..."); the layer that knows which datum names it (:func:`for_datum`)
        self.fetch_fixes = fetch_fixes
        self.hint = hint if fetch_fixes is None else _fetch_hint(None, fetch_fixes)

    @property
    def detail(self) -> str:
        """The message with its hint, without file and location."""
        return self.message if self.hint is None else f"{self.message} ({self.hint})"

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.location) if p]
        return ": ".join([*parts, self.detail])


class DatumErrors(DatumError):
    """Several problems found in one pass (a file with many bad lines): `errors` lists them all.

    Printed one per line, so a user fixes everything in one round instead of one per run.
    """

    def __init__(self, errors: Sequence[DatumError]) -> None:
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.message, file=first.file, location=first.location, hint=first.hint)

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


class UsageProblem(DatumError):
    """The command's arguments are wrong (unknown datum, bad name): exit code 2, like click's."""

    exit_code = 2


class OperationFailed(DatumError):
    """The environment failed us (network, disk, git): exit code 3, retrying may help."""

    exit_code = 3


def _fetch_hint(datum: str | None, then: str) -> str:
    command = f"datum fetch {datum}" if datum else "datum fetch NAME"
    subject = "" if datum else " (NAME: a datum of this upstream)"
    return f"run `{command}`{subject} {then}".rstrip()


def for_datum(error: DatumError, datum: str) -> DatumError:
    """Name the datum in a hint that asks for `datum fetch`: the error carries the rest as data
    (``fetch_fixes``), so no layer patches another's wording."""
    if error.fetch_fixes is not None:
        error.hint = _fetch_hint(datum, error.fetch_fixes)
    return error


def detail_for_datum(error: DatumError, datum: str) -> str:
    """:attr:`DatumError.detail` with the datum named in a `datum fetch` hint, leaving `error`
    as it is (review keeps one error per mirror for every datum that reads it)."""
    if error.fetch_fixes is None:
        return error.detail
    return f"{error.message} ({_fetch_hint(datum, error.fetch_fixes)})"
