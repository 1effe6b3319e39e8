"""The Dockerfile of a datum's baseline environment, for runners that build their own images.

Harbor's `environment/Dockerfile` and a SWE-bench task's `Dockerfile` are the image an agent
starts in, so they hold the baseline and nothing else (ARCHITECTURE.md invariant 7): the exact
baseline commit, the install steps, the environment variables, and no diff.patch, no tests of the
patch, no history after the baseline and no remote. Rendered from the datum model, like the
datum's own Dockerfile, with the same quoting.
"""

from __future__ import annotations

from datumkit.generate.quoting import dockerfile_quote, sh_quote
from datumkit.model.datum import Datum

BASE_PACKAGES = ("ca-certificates", "git")


def task_directory(datum: Datum) -> str:
    """Where the datum's task lives in the image: the workdir, or its subdir inside it."""
    workdir = datum.environment.workdir
    return f"{workdir.rstrip('/')}/{datum.repo.subdir}" if datum.repo.subdir else workdir


def _run(commands: list[str]) -> list[str]:
    lines = [f"RUN {commands[0]}"] + [f"    && {command}" for command in commands[1:]]
    return [line + " \\" for line in lines[:-1]] + [lines[-1]]


def render_baseline_dockerfile(datum: Datum, *, comment: str) -> str:
    """The baseline image: fetch exactly the baseline SHA, verify it, drop the remote, install."""
    env = datum.environment
    repo = datum.repo
    sha = repo.start_commit_sha
    packages = " ".join([*BASE_PACKAGES, *sorted(set(env.system_packages) - set(BASE_PACKAGES))])
    fetch = ["git init --quiet .", 'git remote add origin "$REPO_URL"']
    if repo.sparse_checkout:
        patterns = " ".join(sh_quote(p) for p in repo.sparse_checkout)
        fetch.append(f"git sparse-checkout set --no-cone {patterns}")
    fetch += [
        f"{{ git fetch --quiet --depth 1 origin {sha} "
        f"|| git fetch --quiet origin {sh_quote(repo.branch)}; }}",
        f"git -c advice.detachedHead=false checkout --quiet --detach {sha}",
        f'test "$(git rev-parse HEAD)" = {sha}',
        # the agent's repository: the baseline commit only, no remote, no later history
        "git remote remove origin",
        "git reflog expire --expire=now --all",
        "git gc --quiet --prune=now",
    ]
    lines = [f"# {line}" if line else "#" for line in comment.splitlines()] + [
        f"FROM {env.base_image}",
        "",
        f"ARG REPO_URL={dockerfile_quote(repo.git_url)}",
        "",
        *_run(
            [
                "apt-get update",
                f"apt-get install -y --no-install-recommends {packages}",
                "rm -rf /var/lib/apt/lists/*",
            ]
        ),
        "",
        f"WORKDIR {env.workdir}",
        *_run(fetch),
    ]
    if env.env:
        lines += ["", *[f"ENV {key}={dockerfile_quote(value)}" for key, value in env.env.items()]]
    task_dir = task_directory(datum)
    if task_dir != env.workdir:
        lines += ["", f"WORKDIR {task_dir}"]
    if env.install:
        lines += ["", *_run(list(env.install))]
    return "\n".join(lines) + "\n"
