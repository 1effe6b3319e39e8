"""Build the bundled example's upstream repository from committed files, reproducibly.

No network reaches GitHub where datumkit is developed and tested, so the example datum's upstream
is built here from `examples/<source>/` as described by a manifest (`examples/<name>.toml`). Fixed
author, committer, dates and messages make the commit SHAs identical on every machine, which is
what lets `datums/banking77/datum.yaml` name its baseline by SHA.

    python examples/build_upstream.py examples/banking77-upstream.toml \
        build/upstream/banking77-upstream.git

Prints the SHA of each commit. Re-running is a no-op when the repository is already there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path

import pygit2

FILE_MODE = pygit2.enums.FileMode.BLOB
TREE_MODE = pygit2.enums.FileMode.TREE


def _collect_files(source: Path) -> dict[str, bytes]:
    """Every file under `source` by posix path, skipping caches that a local run may leave."""
    files = {}
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source).as_posix()
        if path.is_file() and "__pycache__" not in relative.split("/"):
            files[relative] = path.read_bytes()
    return files


def _write_tree(repo: pygit2.Repository, files: Mapping[str, bytes]) -> pygit2.Oid:
    """Write nested trees for `files` (path -> content) and return the root tree id."""
    blobs: dict[str, bytes] = {}
    subdirs: dict[str, dict[str, bytes]] = {}
    for path, content in files.items():
        head, _, rest = path.partition("/")
        if rest:
            subdirs.setdefault(head, {})[rest] = content
        else:
            blobs[head] = content
    builder = repo.TreeBuilder()
    for name, content in blobs.items():
        builder.insert(name, repo.create_blob(content), FILE_MODE)
    for name, children in subdirs.items():
        builder.insert(name, _write_tree(repo, children), TREE_MODE)
    return builder.write()


def _signature(text: str, when: str) -> pygit2.Signature:
    name, _, email = text.partition(" <")
    moment = dt.datetime.fromisoformat(when)
    offset = moment.utcoffset() or dt.timedelta()
    return pygit2.Signature(
        name, email.rstrip(">"), int(moment.timestamp()), int(offset.total_seconds() // 60)
    )


def build(manifest_path: Path, destination: Path) -> list[str]:
    """Create the bare repository at `destination`; return its commit SHAs, oldest first."""
    manifest = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
    files = _collect_files(manifest_path.parent / manifest["source"])
    branch = manifest.get("branch", "main")

    staging = Path(tempfile.mkdtemp(prefix=".upstream-", dir=destination.parent))
    try:
        repo = pygit2.init_repository(str(staging), bare=True, initial_head=branch)
        parents: list[pygit2.Oid] = []
        shas = []
        for commit in manifest["commits"]:
            selected = {
                path: content
                for path, content in files.items()
                if any(path.startswith(prefix) for prefix in commit["paths"])
            }
            signature = _signature(manifest["author"], commit["date"])
            oid = repo.create_commit(
                f"refs/heads/{branch}",
                signature,
                signature,
                commit["message"] + "\n",
                _write_tree(repo, selected),
                parents,
            )
            parents = [oid]
            shas.append(str(oid))
        if destination.exists():
            existing = pygit2.Repository(str(destination))
            if str(existing.references[f"refs/heads/{branch}"].target) == shas[-1]:
                return shas
            shutil.rmtree(destination)
        staging.rename(destination)
        return shas
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("destination", type=Path)
    args = parser.parse_args(argv)
    args.destination.parent.mkdir(parents=True, exist_ok=True)
    for sha in build(args.manifest, args.destination):
        print(sha)
    return 0


if __name__ == "__main__":
    sys.exit(main())
