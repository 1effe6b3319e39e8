"""How fast is `datum materialize` (exact checkout, .gitattributes applied) next to git?

Builds a synthetic repository (files in nested directories, a .gitattributes at the top and in
some directories with eol/text/binary rules), then times, interleaved A B A B so machine noise
hits both alike:

  (a) materialize_tree from the repository (datumkit: attributes, sparse rules, safe writes)
  (b) git init + fetch + checkout --detach into a fresh directory (what the Dockerfile does)

and prints median (min-max) per run for each, and whether the two trees are byte-identical.
Usage::

    python benchmarks/materialize.py [--files 2000 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pygit2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tooling"))

from datumkit.git.materialize import materialize_tree

FILES_PER_DIR = 50
ROOT_ATTRIBUTES = b"*.bat text eol=crlf\n*.txt text=auto eol=crlf\n*.bin binary\n"
DIR_ATTRIBUTES = b"*.txt -text\n"


def _git(cwd: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", *args], cwd=cwd, input=data, capture_output=True, check=True
    ).stdout


def build(root: Path, files: int) -> Path:
    repo = root / f"upstream-{files}"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / ".gitattributes").write_bytes(ROOT_ATTRIBUTES)
    for i in range(files):
        directory = repo / f"pkg{i // (FILES_PER_DIR * 10)}" / f"mod{(i // FILES_PER_DIR) % 10}"
        directory.mkdir(parents=True, exist_ok=True)
        suffix = (".py", ".txt", ".bat", ".bin")[i % 4]
        (directory / f"f{i}{suffix}").write_bytes(b"line one\nline two %d\n" % i * 20)
        if i % (FILES_PER_DIR * 10) == 0:
            (directory / ".gitattributes").write_bytes(DIR_ATTRIBUTES)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@b",
        "GIT_COMMITTER_NAME": "b",
    }
    env["GIT_COMMITTER_EMAIL"] = "b@b"
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, capture_output=True, env=env)
    subprocess.run(
        ["git", "commit", "-qm", "x"], cwd=repo, check=True, capture_output=True, env=env
    )
    return repo


def ours(repo: Path, out: Path) -> None:
    mirror = pygit2.Repository(str(repo))
    tree = str(mirror.revparse_single("HEAD").peel(pygit2.Tree).id)
    materialize_tree(mirror, tree, out)


def theirs(repo: Path, out: Path) -> None:
    out.mkdir()
    _git(out, "init", "-q")
    _git(out, "fetch", "-q", str(repo), "HEAD")
    _git(out, "-c", "advice.detachedHead=false", "checkout", "-q", "--detach", "FETCH_HEAD")
    shutil.rmtree(out / ".git")


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"git {_git(Path.cwd(), 'version').decode().split()[-1]}, {args.runs} runs each")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for files in args.files:
            repo = build(root, files)
            times: dict[str, list[float]] = {"materialize": [], "git checkout": []}
            for run in range(args.runs):
                for name, method in (("materialize", ours), ("git checkout", theirs)):
                    out = root / f"{name.replace(' ', '-')}-{files}-{run}"
                    start = time.perf_counter()
                    method(repo, out)
                    times[name].append(time.perf_counter() - start)
            same = snapshot(root / f"materialize-{files}-0") == snapshot(
                root / f"git-checkout-{files}-0"
            )
            for name, values in times.items():
                print(
                    f"{files:>6} files  {name:<13} median {statistics.median(values):.3f} s "
                    f"({min(values):.3f}-{max(values):.3f})"
                )
            print(f"{files:>6} files  identical bytes: {same}")


if __name__ == "__main__":
    main()
