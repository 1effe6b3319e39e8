"""overlay_files/box_bootstrap.sh: run inside the agent's box before the session starts.

POSIX sh with `set -eu`, so it runs on any base image and stops at the first problem. It refuses
to start a session on the wrong commit (the most common silent failure of a hand-made datum),
exports the datum's environment and moves to the task directory; given a command
(`box_bootstrap.sh pytest -q`) it then runs that command there, like a container entrypoint.

Every datum value is a single-quoted sh word (`generate.quoting.sh_quote`) assigned to a variable
or passed as one operand; none is ever inside double quotes or a `${...:-default}`, where sh would
expand it (ARCHITECTURE.md invariant 6).
"""

from __future__ import annotations

from datumkit.generate.header import banner
from datumkit.generate.quoted import quoted
from datumkit.generate.quoting import sh_env_name, sh_quote, sh_relative_path
from datumkit.model.datumdir import OVERLAY_DIR, DatumSource

PATH = f"{OVERLAY_DIR}/box_bootstrap.sh"


def render(source: DatumSource) -> dict[str, bytes]:
    datum = source.datum
    sha = datum.repo.start_commit_sha
    repo_root = quoted(source, "environment.workdir", sh_quote, datum.environment.workdir)
    lines = [
        "#!/bin/sh",
        *banner(source),
        "set -eu",
        "",
        f"TASK_ID={quoted(source, 'task_id', sh_quote, datum.task_id)}",
        f"BASELINE_SHA={quoted(source, 'repo.start_commit_sha', sh_quote, sha)}",
        f"DEFAULT_REPO_DIR={repo_root}",
        'REPO_DIR="${REPO_DIR:-$DEFAULT_REPO_DIR}"',
        "",
        'cd -- "$REPO_DIR"',
        'head_sha="$(git rev-parse HEAD)"',
        'if [ "$head_sha" != "$BASELINE_SHA" ]; then',
        '    echo "box_bootstrap: $REPO_DIR is at $head_sha, expected $BASELINE_SHA" >&2',
        "    exit 1",
        "fi",
    ]
    for key, value in datum.environment.env.items():
        where = f"environment.env.{key}"
        name = quoted(source, where, sh_env_name, key)
        lines.append(f"export {name}={quoted(source, where, sh_quote, value)}")
    if datum.repo.subdir:
        # `./subdir`, after `--`: never `cd -` (the previous directory), never out of the repo.
        subdir = quoted(source, "repo.subdir", sh_relative_path, datum.repo.subdir)
        lines.append(f"cd -- {subdir}")
    lines += [
        'echo "box_bootstrap: $TASK_ID ready at $BASELINE_SHA in $(pwd)" >&2',
        'if [ "$#" -gt 0 ]; then',
        '    exec "$@"',
        "fi",
    ]
    return {PATH: ("\n".join(lines) + "\n").encode("utf-8")}
