"""How commands talk to the user: results on stdout, problems on stderr, one line each."""

from __future__ import annotations

import click

from datumkit.errors import DatumError


def say(text: str = "") -> None:
    click.echo(text)


def warn(text: str) -> None:
    click.echo(text, err=True)


def report_error(error: DatumError) -> None:
    """Print a DatumError (one or several lines) on stderr."""
    for line in str(error).splitlines():
        warn(line)
