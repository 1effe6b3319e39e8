"""How commands talk to the user: results on stdout, problems on stderr, one line each.

Messages quote values from datums (file names, field names, directory names), and a datum may
be hostile: every line goes through :func:`terminal_safe`, so an escape sequence in a file
name cannot retitle the terminal, hide a line or fake a "passed".
"""

from __future__ import annotations

import re

import click

from datumkit.errors import DatumError

#: C0 controls but newline and tab, DEL, C1 controls, line separators, bidirectional controls
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def terminal_safe(text: str) -> str:
    """`text` with every character that could steer a terminal shown as an escape (\\x1b)."""
    return _UNSAFE.sub(lambda m: repr(m.group())[1:-1], text)


def say(text: str = "") -> None:
    click.echo(terminal_safe(text))


def warn(text: str) -> None:
    click.echo(terminal_safe(text), err=True)


def report_error(error: DatumError) -> None:
    """Print a DatumError (one or several lines) on stderr."""
    for line in str(error).splitlines():
        warn(line)
