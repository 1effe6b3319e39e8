"""Dockerfile: the environment a runner builds, in two stages, from `repo` and `environment`.

ARCHITECTURE.md invariant 7: the agent's environment never contains the answer. So:

- stage `baseline` is the agent's environment: the repository at exactly the baseline SHA,
  install steps run, the datum's env set. It copies nothing from the build context, and the one
  RUN that fetches also forgets: whichever way the commit arrived (fetch by SHA, or the whole
  branch when a server refuses a bare SHA), the stage keeps **only the baseline commit** (a
  shallow repository, `.git/shallow` = the baseline), no remote (the URL is never stored), no
  ref but a detached HEAD, no reflog, no FETCH_HEAD, and no object the baseline does not reach
  (`git gc --prune=now`). Fetch and cleanup share one RUN so no layer ever holds later commits.
  Only the baseline commit rather than its history: it is the same result on both fetch paths,
  it is what `--depth 1` gives anyway, and it is small; an agent needs the tree, not the log.
- stage `solution` (`FROM baseline`) copies diff.patch, applies it and FAILS the build when it
  does not apply (the seed's `git apply ... || true` hid broken datums). It is the last stage,
  so a plain `docker build` gives the patched environment, as in the seed guide;
  `docker build --target baseline` gives the agent's.
- `APPLY_PATCH` (the old switch) is gone; passing `--build-arg APPLY_PATCH=0` fails the build
  instead of silently producing the solution image where a baseline was wanted.
- the base image comes from datum.yaml and may be pinned by digest; REPO_URL is a build
  argument so a mirror can stand in for the upstream; apt installs no recommends and leaves no
  lists behind; nothing unpinned is installed that the datum did not ask for.

Every datum value goes through `generate.quoting` (invariant 6); values that cannot be written
exactly are refused with the field named.
"""

from __future__ import annotations

import re

from datumkit.errors import DatumError
from datumkit.generate.header import banner
from datumkit.generate.quoted import quoted
from datumkit.generate.quoting import (
    dockerfile_comment,
    dockerfile_image,
    dockerfile_path,
    dockerfile_quote,
    dockerfile_run,
    dockerfile_sh_argument,
    dockerfile_sh_word,
    sh_env_name,
    sh_quote,
)
from datumkit.model.datumdir import DATUM_YAML, PATCH_FILE, DatumSource

PATH = "Dockerfile"
PATCH_IN_IMAGE = "/tmp/datumkit/diff.patch"
BASE_PACKAGES = ("ca-certificates", "git")
BASELINE_STAGE = "baseline"
SOLUTION_STAGE = "solution"
_SHA_RE = re.compile(r"[0-9a-f]{40}")


def _run(commands: list[str]) -> list[str]:
    """One RUN instruction whose commands are chained with && (any failure fails the build)."""
    lines = [f"RUN {commands[0]}"]
    lines += [f"    && {command}" for command in commands[1:]]
    return [line + " \\" for line in lines[:-1]] + [lines[-1]]


def _workdir(wanted: str, current: str) -> list[str]:
    """A WORKDIR line only where the directory actually changes."""
    return [] if wanted == current else [f"WORKDIR {wanted}"]


def _sha(source: DatumSource) -> str:
    """The baseline SHA, which becomes a bare git argument: 40 lowercase hex or refused."""
    sha = source.datum.repo.start_commit_sha
    if not _SHA_RE.fullmatch(sha):
        raise DatumError(
            f"{sha!r} is not a full commit SHA",
            file=source.display(DATUM_YAML),
            location="repo.start_commit_sha",
            hint="use the 40-character lowercase SHA that `git rev-parse <commit>` prints",
        )
    return sha


def _fetch_commands(source: DatumSource) -> list[str]:
    """Fetch exactly the baseline, then forget everything but the baseline commit."""
    repo = source.datum.repo
    sha = _sha(source)
    branch = quoted(source, "repo.branch", dockerfile_sh_argument, f"refs/heads/{repo.branch}")
    commands = ["git init --quiet ."]
    if repo.sparse_checkout:
        # Patterns go on stdin, never on the command line, so none can be read as an option.
        patterns = " ".join(
            quoted(source, f"repo.sparse_checkout[{i}]", dockerfile_sh_word, pattern)
            for i, pattern in enumerate(repo.sparse_checkout)
        )
        commands += [
            f"printf '%s\\n' {patterns} > .git/datumkit-sparse",
            "git sparse-checkout set --no-cone --stdin < .git/datumkit-sparse",
            "rm .git/datumkit-sparse",
        ]
    commands += [
        # By URL, not through a remote: nothing of where it came from stays in .git/config.
        # Servers that refuse to serve a bare SHA still serve the branch that contains it.
        f'{{ git fetch --quiet --depth 1 -- "$REPO_URL" {sha} '
        f'|| git fetch --quiet -- "$REPO_URL" {branch}; }}',
        f"git -c advice.detachedHead=false checkout --quiet --detach {sha}",
        f'test "$(git rev-parse HEAD)" = {sha}',
        # Forget: the baseline commit only (shallow), no refs, reflog, FETCH_HEAD or objects the
        # baseline does not reach; then prove it.
        "git rev-parse HEAD > .git/shallow",
        "rm -f .git/FETCH_HEAD .git/ORIG_HEAD",
        "for ref in $(git for-each-ref --format='%(refname)'); do git update-ref -d \"$ref\"; done",
        "git reflog expire --expire=now --all",
        "git -c gc.cruftPacks=false gc --quiet --prune=now",
        "rm -rf .git/logs",
        f'test "$(git rev-list --all)" = {sha}',
    ]
    return commands


def render(source: DatumSource) -> dict[str, bytes]:
    datum = source.datum
    env = datum.environment
    repo_root = quoted(source, "environment.workdir", dockerfile_path, env.workdir)
    task_dir = repo_root
    if datum.repo.subdir:
        joined = f"{repo_root.rstrip('/')}/{datum.repo.subdir}"
        task_dir = quoted(source, "repo.subdir", dockerfile_path, joined)
    packages = " ".join(
        [
            *BASE_PACKAGES,
            *(
                quoted(source, "environment.system_packages", dockerfile_sh_argument, package)
                for package in sorted(set(env.system_packages) - set(BASE_PACKAGES))
            ),
        ]
    )
    tag = quoted(source, "task_id", lambda v: dockerfile_comment(sh_quote(v)), datum.task_id)

    lines = [
        *banner(source),
        "#",
        "# Two stages. `baseline` is the agent's environment: the repository at exactly the",
        "# baseline commit (no later history, no remote, nothing of diff.patch); `solution`",
        "# applies diff.patch on top of it and is the default target.",
        "#",
        f"#   docker build --target {BASELINE_STAGE} -t {tag}-baseline {source.directory}",
        f"#   docker build -t {tag} {source.directory}",
        "#   --build-arg REPO_URL=<url>   fetch the baseline from a mirror instead",
        f"FROM {quoted(source, 'environment.base_image', dockerfile_image, env.base_image)}"
        f" AS {BASELINE_STAGE}",
        "",
        f"LABEL io.datumkit.task-id={quoted(source, 'task_id', dockerfile_quote, datum.task_id)}"
        " \\",
        f"      io.datumkit.baseline-sha={dockerfile_quote(_sha(source))}",
        "",
        f"ARG REPO_URL={quoted(source, 'repo.git_url', dockerfile_quote, datum.repo.git_url)}",
        "",
        "# Reproducibility comes from the base image (pin it by digest); apt versions are not",
        "# pinned because they differ per base image.",
        "# hadolint ignore=DL3008",
        *_run(
            [
                "apt-get update",
                f"apt-get install -y --no-install-recommends {packages}",
                "rm -rf /var/lib/apt/lists/*",
            ]
        ),
        "",
        f"WORKDIR {repo_root}",
        "# One RUN fetches and forgets, so no layer ever holds a commit after the baseline.",
        *_run(_fetch_commands(source)),
    ]
    if env.env:
        lines.append("")
        for key, value in env.env.items():
            where = f"environment.env.{key}"
            name = quoted(source, where, sh_env_name, key)
            lines.append(f"ENV {name}={quoted(source, where, dockerfile_quote, value)}")
    current = repo_root
    if env.install:
        install = [
            quoted(source, f"environment.install[{i}]", dockerfile_run, command)
            for i, command in enumerate(env.install)
        ]
        lines += ["", *_workdir(task_dir, repo_root), *_run(install)]
        current = task_dir
    lines += [*_workdir(task_dir, current)]
    lines += [
        "",
        f"FROM {BASELINE_STAGE} AS {SOLUTION_STAGE}",
        "# The old switch: the agent's environment is now `--target baseline`, never this stage.",
        "ARG APPLY_PATCH",
        f"COPY {PATCH_FILE} {PATCH_IN_IMAGE}",
        *_workdir(repo_root, task_dir),
        'RUN if [ "${APPLY_PATCH:-1}" != 1 ]; then \\',
        '        echo "APPLY_PATCH is gone: build the baseline with --target baseline" >&2; \\',
        "        exit 1; \\",
        "    fi \\",
        f"    && git apply --whitespace=nowarn {PATCH_IN_IMAGE} \\",
        f"    && rm {PATCH_IN_IMAGE}",
        *_workdir(task_dir, repo_root),
    ]
    return {PATH: ("\n".join(lines) + "\n").encode("utf-8")}
