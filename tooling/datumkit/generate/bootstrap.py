"""overlay_files/box_bootstrap.sh: run inside the agent's box before the session starts.

POSIX sh with `set -eu`, so it runs on any base image and stops at the first problem. It refuses
to start a session on the wrong commit (the most common silent failure of a hand-made datum),
exports the datum's environment and moves to the task directory; given a command
(`box_bootstrap.sh pytest -q`) it then runs that command there, like a container entrypoint.
"""

from __future__ import annotations

from datumkit.generate.header import banner
from datumkit.generate.quoting import sh_quote
from datumkit.model.datumdir import OVERLAY_DIR, DatumSource

PATH = f"{OVERLAY_DIR}/box_bootstrap.sh"


def render(source: DatumSource) -> dict[str, bytes]:
    datum = source.datum
    repo_root = datum.environment.workdir
    lines = [
        "#!/bin/sh",
        *banner(source),
        "set -eu",
        "",
        f"TASK_ID={sh_quote(datum.task_id)}",
        f"BASELINE_SHA={datum.repo.start_commit_sha}",
        f'REPO_DIR="${{REPO_DIR:-{repo_root}}}"',
        "",
        'cd "$REPO_DIR"',
        'head_sha="$(git rev-parse HEAD)"',
        'if [ "$head_sha" != "$BASELINE_SHA" ]; then',
        '    echo "box_bootstrap: $REPO_DIR is at $head_sha, expected $BASELINE_SHA" >&2',
        "    exit 1",
        "fi",
    ]
    for key, value in datum.environment.env.items():
        lines.append(f"export {key}={sh_quote(value)}")
    if datum.repo.subdir:
        lines.append(f"cd {sh_quote(datum.repo.subdir)}")
    lines += [
        'echo "box_bootstrap: $TASK_ID ready at $BASELINE_SHA in $(pwd)" >&2',
        'if [ "$#" -gt 0 ]; then',
        '    exec "$@"',
        "fi",
    ]
    return {PATH: ("\n".join(lines) + "\n").encode("utf-8")}
