"""Quoting datum values into the two languages generation writes: Dockerfile and POSIX sh.

A datum is untrusted input (ARCHITECTURE.md invariant 6). Every value that reaches the generated
Dockerfile or `overlay_files/box_bootstrap.sh` goes through exactly one function here, chosen by
where it lands, so no value can add a Dockerfile instruction, end a shell word, expand a
variable or run a command. A value a target language cannot carry exactly (a newline in an
ENV value, a NUL anywhere) is refused with `QuotingError`, never approximated: a datum that
builds something other than what it says is as bad as one that does not build.

These functions do not rely on datum.yaml having been validated (the model rejects most of
these values too); generation must be safe for a `Datum` built any other way.
"""

from __future__ import annotations

import re
import shlex

#: C0 controls and DEL: a Dockerfile line ends at LF (and CR), and no value of a datum needs them.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
#: what a Dockerfile path argument (WORKDIR) may hold unquoted: no space, quote, `$` or `\`.
_DOCKER_PATH_RE = re.compile(r"^/[A-Za-z0-9._+@%,=:/-]*$")
#: an image reference: [registry[:port]/]name[:tag][@algo:digest]; no `$` (no ARG expansion).
_IMAGE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@-]*$")
#: environment variable names, for `ENV NAME=` and `export NAME=`.
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class QuotingError(ValueError):
    """`value` cannot be written into the target language exactly and harmlessly."""


def _no_controls(value: str, where: str) -> None:
    match = _CONTROL_RE.search(value)
    if match:
        raise QuotingError(
            f"contains the control character {match.group()!r}, which {where} cannot carry"
        )


# --- POSIX sh ---------------------------------------------------------------------------------


def sh_quote(value: str) -> str:
    """A POSIX sh word that is exactly `value` (single-quoted unless plainly safe).

    Newlines are fine inside single quotes; NUL is not representable in a shell word at all.
    """
    if "\x00" in value:
        raise QuotingError("contains a NUL character, which a shell word cannot carry")
    return shlex.quote(value)


def sh_argument(value: str) -> str:
    """`sh_quote`, for a value passed to a program as an operand: never read as an option."""
    if value.startswith("-"):
        raise QuotingError(f"{value!r} starts with '-', so a program would read it as an option")
    return sh_quote(value)


def sh_relative_path(value: str) -> str:
    """A path below the current directory as one sh word: never absolute, never `..`.

    Written as `./value`, so even a name starting with `-` is an operand, not an option.
    """
    if value.startswith("/") or ".." in value.split("/"):
        raise QuotingError(f"{value!r} leaves the repository (absolute, or with '..')")
    return sh_quote(f"./{value}")


def sh_env_name(name: str) -> str:
    """A variable name for `export NAME=...` / `ENV NAME=...`: letters, digits and `_` only."""
    if not _ENV_NAME_RE.match(name):
        raise QuotingError(f"{name!r} is not an environment variable name")
    return name


# --- Dockerfile -------------------------------------------------------------------------------


def dockerfile_quote(value: str) -> str:
    """A double-quoted Dockerfile word (ENV/LABEL/ARG) that is exactly `value`, no expansion.

    Inside double quotes Docker's lexer treats only `\\`, `"` and `$` specially; each is escaped.
    A line break cannot be written inside a word (the instruction would end there), so control
    characters are refused.
    """
    _no_controls(value, "a Dockerfile value")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def dockerfile_path(value: str) -> str:
    """An absolute path as a WORKDIR argument, which Docker neither quotes reliably nor escapes.

    Only characters that mean nothing to Docker's parser and lexer are allowed.
    """
    if not _DOCKER_PATH_RE.match(value) or ".." in value.split("/"):
        raise QuotingError(
            f"{value!r} is not a plain absolute path (letters, digits and ._+@%,=:/- only, no '..')"
        )
    return value


def dockerfile_image(value: str) -> str:
    """An image reference for FROM: no spaces, quotes, `$` (ARG expansion) or line breaks."""
    if not _IMAGE_RE.match(value):
        raise QuotingError(f"{value!r} is not a container image reference")
    return value


def dockerfile_run(command: str) -> str:
    """A shell command placed on one line of a shell-form RUN instruction, as written.

    The command is shell by design (an install step), so it is not quoted; what it may not do is
    leave its line: a line break would start a new Dockerfile instruction, and a trailing `\\`
    would continue into the next one.
    """
    _no_controls(command, "one line of a RUN instruction")
    if command.rstrip().endswith("\\"):
        raise QuotingError("ends with '\\', which would join the next Dockerfile line to it")
    if not command.strip():
        raise QuotingError("is empty")
    return command


def dockerfile_sh_word(value: str) -> str:
    """`sh_quote` for a word on a RUN line: a line break inside quotes would still end the line."""
    _no_controls(value, "a RUN instruction")
    return sh_quote(value)


def dockerfile_sh_argument(value: str) -> str:
    """`sh_argument` for an operand on a RUN line (never read as an option)."""
    _no_controls(value, "a RUN instruction")
    return sh_argument(value)


def dockerfile_comment(text: str) -> str:
    """Text for a `#` comment line: it must stay one line."""
    _no_controls(text, "a Dockerfile comment")
    return text
