"""Quoting values into sh and Dockerfile syntax, so no datum text can break out of its string."""

from __future__ import annotations

import shlex


def sh_quote(value: str) -> str:
    """A POSIX sh word that is exactly `value`."""
    return shlex.quote(value)


def dockerfile_quote(value: str) -> str:
    """A double-quoted Dockerfile word (ENV/LABEL/ARG) that is exactly `value`, no expansion."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    escaped = escaped.replace("\n", "\\n")
    return f'"{escaped}"'
