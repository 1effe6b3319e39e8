"""`datum fetch NAME...|--all`: create or update the mirrors of the datums' upstreams.

The only command that uses the network (ARCHITECTURE.md invariant 4). Datums sharing an upstream are
fetched together, once per URL, asking for every baseline they name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from datumkit.cli.commands import EXIT_FAILED, EXIT_FINDINGS, EXIT_OK
from datumkit.cli.output import report_error, say, warn
from datumkit.errors import DatumError
from datumkit.git.fetch import fetch_mirror
from datumkit.git.mirrors import FetchFailed
from datumkit.model.applied import clear_mirror_cache
from datumkit.model.project import Project


def fetch(project: Project, names: Sequence[str]) -> int:
    wanted: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    branches: dict[str, str] = {}
    invalid = 0
    for name in names:
        try:
            repo = project.load(name).datum.repo
        except DatumError as error:
            report_error(error)
            invalid += 1
            continue
        wanted[repo.git_url][repo.start_commit_sha].append(name)
        branches.setdefault(repo.git_url, repo.branch)
    locator = project.locator()
    failed = missing = 0
    for url, shas in wanted.items():
        try:
            result = fetch_mirror(locator, url, branch=branches[url], want=sorted(shas))
        except FetchFailed as error:
            report_error(error)
            failed += 1
            continue
        verb = "created" if result.created else "updated"
        if locator.configured_path(url) is not None:
            verb = "configured (not written)"
        say(f"{url}: {verb} {result.mirror}; {len(result.fetched_shas)} baseline(s) present")
        for sha in result.missing_shas:
            missing += 1
            warn(
                f"{url}: baseline {sha} of {', '.join(shas[sha])} is not in the upstream "
                "(check repo.start_commit_sha, or push the commit)"
            )
    clear_mirror_cache()
    if failed:
        return EXIT_FAILED
    return EXIT_FINDINGS if missing or invalid else EXIT_OK
