"""The Dockerfile of a datum's baseline environment, for runners that build their own images.

Harbor's `environment/Dockerfile` and a SWE-bench task's `Dockerfile` are the image an agent
starts in, so they hold the baseline and nothing else (ARCHITECTURE.md invariant 7). The
datum's generated Dockerfile already has that as its `baseline` stage (exact baseline commit,
no remote, no later history, install steps, env; nothing copied from the build context), so
this is that stage, rendered from the model by the same generator and quoting, without the
`solution` stage that copies and applies diff.patch.
"""

from __future__ import annotations

from datumkit.errors import DatumError
from datumkit.generate.dockerfile import BASELINE_STAGE, SOLUTION_STAGE, render
from datumkit.model.datum import Datum
from datumkit.model.datumdir import DatumSource


def task_directory(datum: Datum) -> str:
    """Where the datum's task lives in the image: the workdir, or its subdir inside it."""
    workdir = datum.environment.workdir
    return f"{workdir.rstrip('/')}/{datum.repo.subdir}" if datum.repo.subdir else workdir


def render_baseline_dockerfile(source: DatumSource, *, comment: str) -> str:
    """The `baseline` stage of the datum's Dockerfile, under `comment` instead of its banner."""
    lines = render(source)["Dockerfile"].decode("utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("FROM "))
    end = lines.index(f"FROM {BASELINE_STAGE} AS {SOLUTION_STAGE}")
    stage = lines[start:end]
    while stage and not stage[-1].strip():
        stage.pop()
    if any(line.startswith(("COPY", "ADD")) for line in stage):  # the stage must copy nothing
        raise DatumError(
            "the baseline stage copies files from the build context",
            file=source.display("Dockerfile"),
            hint="the agent's image must not hold the patch: report this as a bug",
        )
    header = [f"# {line}" if line else "#" for line in comment.splitlines()]
    return "\n".join([*header, *stage]) + "\n"
