"""`datum init`: a datum repository that is not datumkit's checkout works end to end.

The end-to-end test builds datumkit's wheel from a copy of this checkout (committed and tagged
``v<version>`` in a temporary git repository), installs it into a fresh venv outside the
checkout, scaffolds a repository with the *installed* `datum init`, adds the banking77 datum,
and runs `pre-commit run --all-files` (hooks by path and rev: pre-commit clones the tag and
installs datumkit from it) and `datum check --all`. It takes about a minute, most of it
pre-commit installing the hook environment from the package index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from click.testing import CliRunner

from datumkit import __version__
from datumkit.cli.main import cli
from datumkit.generate.repository import FILES, Scaffold, render_repository
from helpers.repo import BANKING77, BANKING77_URL, REPO_ROOT, git

WORKFLOWS = [target for target, _ in FILES if target.startswith(".github/workflows/")]


def _init(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["init", *args])
    return result.exit_code, result.output


def test_init_scaffolds_every_file_and_is_idempotent(tmp_path: Path) -> None:
    code, output = _init(str(tmp_path / "repo"))
    assert code == 0, output
    root = tmp_path / "repo"
    expected = {target for target, _ in FILES} | {"datums/.gitkeep", "datum.schema.json"}
    found = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert found == expected
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    config = (root / ".pre-commit-config.yaml").read_text()
    assert f"rev: v{__version__}" in config
    assert "data/tasks/created/" in (root / ".gitignore").read_text()
    for workflow in WORKFLOWS:
        text = (root / workflow).read_text()
        assert f"datumkit @ git+https://github.com/datumkit/datumkit@v{__version__}" in text
        assert "make setup" not in text
        assert "cache: pip" in text
    code, output = _init(str(root))
    assert code == 0
    assert set(output.split()[: 2 * len(expected) : 2]) == {"unchanged"}
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_init_never_overwrites_without_force_and_merges_existing_files(tmp_path: Path) -> None:
    root = tmp_path / "bench"
    (root / ".github/workflows").mkdir(parents=True)
    (root / "README.md").write_text("# My benchmark\n")
    (root / ".gitignore").write_text("*.pyc\n")
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\n')
    code, output = _init(str(root))
    assert code == 0, output
    assert (root / "README.md").read_text() == "# My benchmark\n"
    assert "kept      README.md" in output
    gitignore = (root / ".gitignore").read_text()
    assert gitignore.startswith("*.pyc\n") and "data/tasks/created/" in gitignore
    pyproject = (root / "pyproject.toml").read_text()
    assert pyproject.startswith('[project]\nname = "bench"\n') and "[tool.datumkit]" in pyproject
    code, output = _init(str(root), "--force")
    assert "replaced  README.md" in output
    assert (root / "README.md").read_text().startswith("# Datums")


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--datumkit-url", 'https://x.invalid/a"; touch /tmp/pwned; "'),
        ("--datumkit-url", "https://x.invalid/a\nrev: main"),
        ("--datumkit-url", "https://x.invalid/$(id)"),
        ("--datumkit-url", "/srv/../etc"),
        ("--datumkit-url", "-c core.sshCommand=evil"),
        ("--datumkit-version", "1.0\nrev: main"),
        ("--datumkit-version", "1.0 && curl evil"),
        ("--datumkit-version", "-rf"),
    ],
)
def test_init_refuses_values_that_would_inject_into_generated_files(
    tmp_path: Path, option: str, value: str
) -> None:
    code, output = _init(str(tmp_path / "repo"), option, value)
    assert code == 2, output
    assert not (tmp_path / "repo").exists()


def test_from_index_pins_the_version() -> None:
    files = render_repository(Scaffold(version="1.2.3", from_index=True))
    assert b'DATUMKIT: "datumkit==1.2.3"' in files[".github/workflows/datums.yml"]
    assert b"rev: v1.2.3" in files[".pre-commit-config.yaml"]
    assert "datum.schema.json" not in files  # another release's schema is not ours to write


def test_the_scaffolded_schema_is_datum_schema(tmp_path: Path) -> None:
    _init(str(tmp_path / "repo"))
    printed = CliRunner().invoke(cli, ["schema"]).output
    assert (tmp_path / "repo/datum.schema.json").read_text() == printed


def test_workflows_are_valid_github_workflows(tmp_path: Path) -> None:
    """check-jsonschema's bundled GitHub workflow schema (offline), and actionlint if present."""
    _init(str(tmp_path / "repo"))
    paths = [str(tmp_path / "repo" / w) for w in WORKFLOWS]
    paths += [str(p) for p in sorted((REPO_ROOT / ".github/workflows").glob("*.yml"))]
    tool = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run(
        [str(tool), "--builtin-schema", "vendor.github-workflows", *paths],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    actionlint = shutil.which("actionlint")
    if actionlint is not None:
        linted = subprocess.run([actionlint, *paths], capture_output=True, text=True, check=False)
        assert linted.returncode == 0, linted.stdout


def _source_copy(destination: Path) -> Path:
    """This checkout's files (tracked and new, not ignored) as a git repo tagged v<version>."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = REPO_ROOT / relative
        if source.is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(destination, "init", "-q")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "-m", f"datumkit {__version__}")
    git(destination, "tag", f"v{__version__}")
    return destination


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=900
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


def test_a_datum_repository_made_by_init_works_with_the_installed_wheel(
    tmp_path: Path, banking77_upstream: Path
) -> None:
    source = _source_copy(tmp_path / "datumkit")
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), "."], source)
    (wheel,) = dist.glob("datumkit-*.whl")
    # A venv of its own, with the wheel installed; its dependencies are this venv's (a .pth
    # file), so the test needs no download for them -- datumkit itself comes from the wheel.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    bin_dir = venv / "bin"
    site = Path(
        _run(
            [
                str(bin_dir / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            tmp_path,
        ).strip()
    )
    (site / "zz-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], tmp_path)
    where = _run(
        [str(bin_dir / "python"), "-c", "import datumkit; print(datumkit.__file__)"], tmp_path
    )
    assert Path(where.strip()).is_relative_to(site)  # the wheel's copy, not this checkout

    repo = tmp_path / "bench"
    env = {k: v for k, v in os.environ.items() if k != "DATUMKIT_ROOT"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    _run(["datum", "init", str(repo), "--datumkit-url", str(source)], tmp_path, env)
    shutil.copytree(BANKING77, repo / "datums/banking77")
    with (repo / "pyproject.toml").open("a") as handle:
        handle.write(f'"{BANKING77_URL}" = "{banking77_upstream}"\n')
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "datum repository")
    config = (repo / ".pre-commit-config.yaml").read_text()
    assert f"repo: {source}\n    rev: v{__version__}\n" in config

    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    assert pre_commit is not None
    output = _run([pre_commit, "run", "--all-files"], repo, env)
    # one hook, every check: the scaffold lists datum-check, not the single-check ids
    assert any(
        line.startswith("datum check (every check") and line.endswith("Passed")
        for line in output.splitlines()
    ), output
    assert "datum schema" not in output, output
    checked = _run(["datum", "check", "--all"], repo, env)
    assert "1 passed" in checked or "checked 1 datum" in checked, checked
    assert _run(["git", "status", "--porcelain"], repo) == ""


def test_mirror_caches_are_keyed_per_shard_and_upstream_set_and_pip_is_cached(
    tmp_path: Path,
) -> None:
    from ruamel.yaml import YAML

    _init(str(tmp_path / "repo"))
    paths = [tmp_path / "repo" / w for w in WORKFLOWS]
    paths += sorted((REPO_ROOT / ".github/workflows").glob("*.yml"))
    for path in paths:
        jobs = YAML(typ="safe").load(path.read_text())["jobs"]
        for name, job in jobs.items():
            steps = job["steps"]
            caches = [s for s in steps if s.get("with", {}).get("path") == ".datumkit-cache"]
            assert caches, f"{path.name}:{name} caches no mirrors"
            for cache in caches:
                key = cache["with"]["key"]
                assert "steps.upstreams.outputs.hash" in key, (path.name, key)
                assert "hashFiles('datums" not in key
                if "matrix" in job.get("strategy", {}):
                    assert "matrix.shard" in key, (path.name, key)
            setup = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
            assert setup["with"]["cache"] == "pip", (path.name, name)
