"""Dockerfile: the environment a runner builds, from the datum's `repo` and `environment`.

Starts from the seed guide's template and fixes what made it unsafe:
- it fetches exactly the baseline SHA and verifies HEAD afterwards (the seed cloned the default
  branch, so the image changed whenever upstream moved);
- it applies diff.patch and FAILS the build when it does not apply (the seed ended with
  `git apply ... || true`, which hid broken datums);
- the base image comes from datum.yaml and may be pinned by digest;
- REPO_URL is a build argument so a mirror can stand in for the upstream; APPLY_PATCH=0 builds the
  baseline environment an agent starts from;
- sparse checkout and subdir are honoured; apt installs no recommends and leaves no lists behind;
  there is no unpinned `pip install uv` the datum did not ask for.
"""

from __future__ import annotations

from datumkit.generate.header import banner
from datumkit.generate.quoting import dockerfile_quote, sh_quote
from datumkit.model.datumdir import PATCH_FILE, DatumSource

PATH = "Dockerfile"
PATCH_IN_IMAGE = "/tmp/datumkit/diff.patch"
BASE_PACKAGES = ("ca-certificates", "git")


def _run(commands: list[str]) -> list[str]:
    """One RUN instruction whose commands are chained with && (any failure fails the build)."""
    lines = [f"RUN {commands[0]}"]
    lines += [f"    && {command}" for command in commands[1:]]
    return [line + " \\" for line in lines[:-1]] + [lines[-1]]


def _workdir(wanted: str, current: str) -> list[str]:
    """A WORKDIR line only where the directory actually changes."""
    return [] if wanted == current else [f"WORKDIR {wanted}"]


def _fetch_commands(source: DatumSource) -> list[str]:
    repo = source.datum.repo
    sha = repo.start_commit_sha
    commands = ["git init --quiet .", 'git remote add origin "$REPO_URL"']
    if repo.sparse_checkout:
        patterns = " ".join(sh_quote(p) for p in repo.sparse_checkout)
        commands.append(f"git sparse-checkout set --no-cone {patterns}")
    commands += [
        # Servers that refuse to serve a bare SHA still serve the branch that contains it.
        f"{{ git fetch --quiet --depth 1 origin {sha} "
        f"|| git fetch --quiet origin {sh_quote(repo.branch)}; }}",
        f"git -c advice.detachedHead=false checkout --quiet --detach {sha}",
        f'test "$(git rev-parse HEAD)" = {sha}',
    ]
    return commands


def render(source: DatumSource) -> dict[str, bytes]:
    datum = source.datum
    env = datum.environment
    repo_root = env.workdir
    task_dir = f"{repo_root.rstrip('/')}/{datum.repo.subdir}" if datum.repo.subdir else repo_root
    packages = " ".join([*BASE_PACKAGES, *sorted(set(env.system_packages) - set(BASE_PACKAGES))])

    lines = [
        *banner(source),
        "#",
        f"#   docker build -t {datum.task_id} {source.directory}",
        "#   --build-arg REPO_URL=<url>   fetch the baseline from a mirror instead",
        "#   --build-arg APPLY_PATCH=0    the baseline environment, without diff.patch",
        f"FROM {env.base_image}",
        "",
        f"LABEL io.datumkit.task-id={dockerfile_quote(datum.task_id)} \\",
        f"      io.datumkit.baseline-sha={dockerfile_quote(datum.repo.start_commit_sha)}",
        "",
        f"ARG REPO_URL={dockerfile_quote(datum.repo.git_url)}",
        "ARG APPLY_PATCH=1",
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
        *_run(_fetch_commands(source)),
    ]
    if env.env:
        lines += ["", *[f"ENV {key}={dockerfile_quote(value)}" for key, value in env.env.items()]]
    if env.install:
        lines += ["", *_workdir(task_dir, repo_root), *_run(list(env.install))]
        current = task_dir
    else:
        current = repo_root
    lines += [
        "",
        f"COPY {PATCH_FILE} {PATCH_IN_IMAGE}",
        *_workdir(repo_root, current),
        'RUN if [ "$APPLY_PATCH" = 1 ]; then \\',
        f"        git apply --whitespace=nowarn {PATCH_IN_IMAGE}; \\",
        "    fi",
        *_workdir(task_dir, repo_root),
    ]
    return {PATH: ("\n".join(lines) + "\n").encode("utf-8")}
