"""Running a datum's commands: a clean environment, an isolated venv, a timeout that really stops.

A datum is untrusted input (ARCHITECTURE.md invariant 6): its install steps and test command run
with an environment built from scratch, not the user's. Only the variables in `PASS_THROUGH`
(and those named with `--pass-env`) reach it, HOME and TMPDIR point into the run's own temporary
directory, and the datum's `environment.env` is applied last, as the Dockerfile's `ENV` would.
Credentials in the user's environment (tokens, cloud keys, SSH agents) therefore never reach the
datum's code unless the user names them.

Each command runs in its own process group; on timeout the whole group is killed (a test that
forks a server or a `sleep` would otherwise outlive the run).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from datumkit.errors import DatumError, OperationFailed

#: Variables taken from the user's environment when set: what finds programs, what decodes text,
#: and how pip reaches the package index (install steps need it; an index URL with a password
#: in it does reach the datum's install steps: use a keyring, or leave it out of PIP_*).
PASS_THROUGH: tuple[str, ...] = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_TRUSTED_HOST",
    "PIP_CERT",
    "PIP_DEFAULT_TIMEOUT",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "PIP_CONFIG_FILE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)
#: how much of a failing command's output a report quotes
OUTPUT_TAIL_LINES = 5
_KILL_GRACE_SEC = 2.0


@dataclass(frozen=True)
class CommandResult:
    """What one command did. `output` is its combined stdout/stderr (capped at the tail)."""

    exit_code: int | None
    timed_out: bool
    elapsed: float
    output: str
    stdout: str = ""

    @property
    def ok(self) -> bool:
        return not self.timed_out and self.exit_code == 0

    def tail(self, lines: int = OUTPUT_TAIL_LINES) -> str:
        kept = [line for line in self.output.splitlines() if line.strip()][-lines:]
        return " | ".join(kept)


def _user_pip_config() -> str | None:
    """pip reads ~/.config/pip/pip.conf; with HOME moved it would not, so name it explicitly."""
    home = Path.home()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    for candidate in (
        Path(xdg) / "pip" / "pip.conf" if xdg else None,
        home / ".config" / "pip" / "pip.conf",
        home / ".pip" / "pip.conf",
    ):
        if candidate is not None and candidate.is_file():
            return str(candidate)
    return None


def clean_environment(
    *,
    home: Path,
    tmpdir: Path,
    venv: Path | None,
    datum_env: Mapping[str, str],
    pass_env: Sequence[str] = (),
    source: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment a datum's command sees; see the module docstring for what and why."""
    outside = os.environ if source is None else source
    env = {name: outside[name] for name in (*PASS_THROUGH, *pass_env) if name in outside}
    env.setdefault("PATH", os.defpath)
    env.setdefault("LANG", "C.UTF-8")
    if "PIP_CONFIG_FILE" not in env and (config := _user_pip_config()) is not None:
        env["PIP_CONFIG_FILE"] = config
    env["HOME"] = str(home)
    env["TMPDIR"] = str(tmpdir)
    env["PYTHONNOUSERSITE"] = "1"
    if venv is not None:
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    for name, value in datum_env.items():
        if "\x00" in value:
            raise DatumError(
                "contains a NUL character",
                location=f"environment.env.{name}",
                hint="remove it; no process can receive it",
            )
        env[name] = value
    return env


def run_command(
    command: str | Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    log: Path | None = None,
) -> CommandResult:
    """Run `command` (a shell line, or an argv) in its own process group, under `timeout`.

    Output goes to `log`.out/.err (or temporary files next to `cwd`); stdin is closed, so a
    test waiting for input ends instead of hanging until the timeout.
    """
    argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
    started = time.monotonic()
    base = log if log is not None else cwd.parent / ".datumkit-command"
    out_path, err_path = base.with_suffix(".out"), base.with_suffix(".err")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        try:
            process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        except OSError as error:
            raise OperationFailed(
                f"cannot start {argv[0]}: {error.strerror or error}", hint="check PATH"
            ) from None
        timed_out = False
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(process)
    stdout = _tail(out_path)
    stderr = _tail(err_path)
    if log is None:
        out_path.unlink(missing_ok=True)
        err_path.unlink(missing_ok=True)
    return CommandResult(
        None if timed_out else process.returncode,
        timed_out,
        time.monotonic() - started,
        stdout + stderr,
        stdout,
    )


def _tail(path: Path, limit: int = 1024 * 1024) -> str:
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - limit))
        return handle.read().decode("utf-8", "replace")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole group, SIGKILL after a grace period; reap the leader."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=_KILL_GRACE_SEC)
            if sig == signal.SIGTERM:
                # the leader is gone; make sure its children are too
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            break
        except subprocess.TimeoutExpired:
            continue
    if process.poll() is None:
        process.wait()


def create_venv(directory: Path, *, with_pip: bool, python: str | None = None) -> Path:
    """An isolated virtual environment (no system site-packages); pip only when installs need it.

    `python -m venv` with pip takes seconds (ensurepip); without it, a fraction of one.
    """
    interpreter = python or sys.executable
    argv = [interpreter, "-m", "venv", *([] if with_pip else ["--without-pip"]), str(directory)]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise OperationFailed(
            f"cannot create a virtual environment in {directory}: "
            f"{(result.stderr or result.stdout).strip().splitlines()[-1:]}",
            hint="check that the python running datumkit has the venv module (python3-venv)",
        )
    return directory
