"""What validation costs in a large datum repository: pre-commit on one datum, check --all.

    python benchmarks/precommit.py [--datums 2000] [--runs 5] [--jobs N] [--keep DIR]
                                   [--hooks-only] [--no-compile] [--reference-hooks DIR]
                                   [--installed]
                                   [--only check-all] [--reference-datum EXE]

Builds, in a temporary directory, a git repository of N datums (the bundled banking77 datum
under different names, each with its own title and its own line in notes.md, so no two datums
have the same datum.yaml, notes or generated files; all generated and locked, sharing the
example upstream's mirror and its patch) and a repository holding one datum, then measures in
the same run:

- `datum check --all` over the N datums (every check, patch check included, mirrors present):
  without the cache (cold, with the CPU time of the run per datum), with it over the unchanged
  repository (warm), and once after editing 10 datums (with how many were checked again);
- `pre-commit run --files <one datum's files>` with datumkit's four hooks, in the N-datum
  repository and in the 1-datum repository, and the ratio of the two;
- pre-commit's own start-up (`pre-commit run --files` on a file no hook matches), so the
  hooks' own work is the difference.

It also times the one-process `datum-check` hook (`pre-commit run -c one-hook...`) against the
four single-check hooks, a hook that runs `true` on the same files (what pre-commit itself
costs to run a hook, mostly the `git diff` it runs after every hook, timed too), and
`datum --version`/`--help` against `python -c pass`. Commands are
interleaved (A B C, B C A, ...) and reported as min-median-max, with the load average.

`--hooks-only` skips the `check --all` timings; `--keep DIR` keeps the repositories and a later
run with the same DIR and `--datums` reuses them. datumkit is byte-compiled first, as pip does
when pre-commit installs the hooks (`--no-compile` to time an editable install without .pyc).
`--reference DIR` (a tree holding another version's tooling/ and hooks/, e.g. from
`git archive main tooling hooks`) adds that version's datum-check hook to the same interleaved
rounds, run from this venv with DIR on PYTHONPATH: the before/after ratio under the same load.

`--installed` also times the datum-check hook as pre-commit users get it: a wheel of this
checkout installed (not editable, byte-compiled by pip) into a virtualenv made for the run, its
dependencies taken from this venv through a .pth file. An editable install adds its import
finder to every start-up (~20 ms: pathlib, fnmatch, urllib.parse in `site`), which pre-commit's
`pip install .` of the hook repository does not have. With `--reference-hooks`, the reference
runs from that virtualenv too (DIR on PYTHONPATH), so the two are compared on equal terms.

Goals (issues 4 and 14): check --all of 2,000 datums under 30 s on 2 cores; one datum's four
hooks under 1 s, its datum-check hook under 0.35 s, beyond pre-commit's start-up; the
2,000-datum / 1-datum ratio at most 1.5; `datum --version`/`--help` under 0.1 s beyond the
interpreter's start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "examples"))

import build_upstream  # noqa: E402
from datumkit.generate import render_all  # noqa: E402
from datumkit.generate.lock import render_lock  # noqa: E402
from datumkit.generate.writer import write_outputs  # noqa: E402
from datumkit.git.mirrors import MirrorLocator  # noqa: E402
from datumkit.model.applied import apply_datum_patch  # noqa: E402
from datumkit.model.datumdir import DiskFiles, load_source  # noqa: E402

BIN = Path(sys.executable).parent
EXAMPLE = REPO_ROOT / "datums" / "banking77"
URL = "https://example.invalid/datumkit/banking77-upstream.git"
HOOKS = ("schema", "generated", "patch", "secrets")
SOURCE_FILES = ("datum.yaml", "diff.patch", "notes.md")
ONE_HOOK_CONFIG = "one-hook.pre-commit-config.yaml"
#: pre-commit's check, after each hook, of whether the hook changed files (run.py `_get_diff`)
GIT_DIFF = ("git", "diff", "--no-ext-diff", "--no-textconv", "--ignore-submodules")


#: the `datum-hook` console script of whichever datumkit_hooks is first on the path: the
#: reference (--reference-hooks, on PYTHONPATH) runs through its own entry point, which this
#: venv's generated script may not name
ANY_VERSION_ENTRY = """import sys
import datumkit_hooks.main as hook
sys.exit(getattr(hook, "run", hook.main)())
"""


def hooks_config(
    hooks: Sequence[str] = HOOKS, bin_dir: Path = BIN, script: Path | None = None
) -> str:
    """A `repo: local` config running this checkout's hooks (`all` is the datum-check hook),
    installed in `bin_dir` (or `script` run by its python)."""
    lines = ["repos:", "  - repo: local", "    hooks:"]
    for hook in hooks:
        hook_id = "datum-check" if hook == "all" else f"datum-{hook}"
        command = f"{bin_dir / 'python'} {script}" if script else f"{bin_dir / 'datum-hook'}"
        entry = f"{command} {hook}"
        if hook == "noop":  # what pre-commit itself costs to run a hook on the files
            hook_id, entry = "noop", shutil.which("true") or "true"
        lines += [
            f"      - id: {hook_id}",
            f"        name: {hook_id}",
            f"        entry: {entry}",
            "        language: unsupported",
            "        files: ^datums/",
            "        require_serial: true",
        ]
    return "\n".join(lines) + "\n"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args], cwd=cwd, check=True, capture_output=True
    )


def make_repository(root: Path, count: int, mirror: Path) -> list[str]:
    """A committed datum repository with `count` generated, locked datums."""
    (root / "datums").mkdir(parents=True)
    (root / "pyproject.toml").write_text(f'[tool.datumkit.mirrors]\n"{URL}" = "{mirror}"\n')
    (root / ".pre-commit-config.yaml").write_text(hooks_config())
    (root / ONE_HOOK_CONFIG).write_text(hooks_config(("all",)))
    (root / "README.md").write_text("a datum repository\n")
    locator = MirrorLocator.for_project(root, root / ".cache")
    template = (EXAMPLE / "datum.yaml").read_text()
    title = next(line for line in template.splitlines() if line.startswith("  title: "))
    names = [f"task-{index:05d}" for index in range(count)]
    for name in names:
        directory = root / "datums" / name
        directory.mkdir()
        for file in SOURCE_FILES:
            shutil.copyfile(EXAMPLE / file, directory / file)
        # every datum its own content: a result memoised by content would show up as a lie here
        own_title = f'{title[:-1]} ({name})"' if title.endswith('"') else f"{title} ({name})"
        (directory / "datum.yaml").write_text(
            template.replace("task_id: re-bench-banking77", f"task_id: re-bench-{name}").replace(
                title, own_title, 1
            )
        )
        notes = directory / "notes.md"
        notes.write_text(notes.read_text() + f"\nBenchmark copy {name}.\n")
        source = load_source(name, DiskFiles(directory))
        outputs = render_all(source)
        outputs["datum.lock"] = render_lock(source, apply_datum_patch(source, locator))
        write_outputs(directory, outputs)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@b",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@b",
    }
    subprocess.run(["git", "-c", "init.defaultBranch=main", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "datums"], cwd=root, check=True, env=env)
    return names


@dataclass
class Timing:
    """Wall times of one command, collected over interleaved rounds."""

    label: str
    command: list[str]
    cwd: Path
    times: list[float] = field(default_factory=list)
    #: added to the environment of this command only
    extra_env: dict[str, str] = field(default_factory=dict)
    #: CPU seconds (user + system) of each run, the command's processes and their children
    cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def spread(self) -> str:
        """min-median-max in seconds."""
        return f"{min(self.times):.3f}-{self.median:.3f}-{max(self.times):.3f}s"


def interleaved(timings: Sequence[Timing], runs: int, env: dict[str, str]) -> None:
    """Run every command once per round, in an order that rotates: A B C, B C A, ...

    Interleaving spreads a noisy neighbour over all commands instead of one, so the ratios
    between them stay meaningful on a shared machine. Every command must succeed.
    """
    for round_no in range(runs):
        shift = round_no % len(timings)
        for timing in [*timings[shift:], *timings[:shift]]:
            before = _children_cpu()
            started = time.perf_counter()
            result = subprocess.run(
                timing.command,
                cwd=timing.cwd,
                env={**env, **timing.extra_env},
                capture_output=True,
                text=True,
            )
            timing.times.append(time.perf_counter() - started)
            timing.cpu.append(_children_cpu() - before)
            if result.returncode != 0:
                raise SystemExit(f"{timing.label} failed:\n{result.stdout}\n{result.stderr}")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def datum_files(root: Path, name: str) -> list[str]:
    directory = root / "datums" / name
    return [p.relative_to(root).as_posix() for p in sorted(directory.rglob("*")) if p.is_file()]


def compile_sources(checkout: Path) -> None:
    """Byte-compile datumkit's modules, as pip does when pre-commit installs the hooks.

    An editable install compiles nothing, and with PYTHONDONTWRITEBYTECODE (common in CI and
    sandboxes) every run would compile every module it imports again: a cost no user of the
    installed hooks pays.
    """
    for package in ("tooling", "hooks"):
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(checkout / package)],
            check=True,
            capture_output=True,
        )


def install_checkout(workdir: Path) -> Path:
    """This checkout installed as pre-commit installs a hook repository; returns its bin/.

    A wheel (built by pip, in its isolated build environment) installed with --no-deps into a
    fresh virtualenv of this interpreter, which pip byte-compiles; the dependencies come from
    this venv's site-packages through a .pth file (their import costs are the same files'), so
    nothing but the wheel's own build is downloaded.
    """
    wheels, venv = workdir / "wheel", workdir / "installed-venv"
    for stale in (wheels, venv):
        shutil.rmtree(stale, ignore_errors=True)
    quiet = {"check": True, "capture_output": True}
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", "-w", str(wheels), str(REPO_ROOT)], **quiet)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], **quiet)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours = subprocess.run(
        [sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "_benchmark_dependencies.pth").write_text(ours + "\n")
    [wheel] = wheels.glob("*.whl")
    subprocess.run(
        [*pip, "--python", str(python), "install", "-q", "--no-deps", str(wheel)], **quiet
    )
    return venv / "bin"


def _reusable(root: Path, names: Sequence[str]) -> bool:
    """A repository kept by an earlier `--keep` run with these datums, committed."""
    last = root / "datums" / names[-1] / "datum.lock"
    return last.is_file() and (root / ".git").is_dir() and (root / ONE_HOOK_CONFIG).is_file()


def verdict(value: float, goal: float, unit: str, *, lower_is_better: bool = True) -> str:
    met = value <= goal if lower_is_better else value >= goal
    distance = goal - value if lower_is_better else value - goal
    return f"{'MET' if met else 'MISSED'} (goal {goal:g}{unit}, margin {distance:+.2f}{unit})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datums", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=None, help="datum check --jobs")
    parser.add_argument("--keep", type=Path, help="build in DIR and keep it")
    parser.add_argument(
        "--reference-hooks",
        type=Path,
        help="also time the datum-check hook of another checkout's tooling/ and hooks/ "
        "(e.g. `git archive main tooling hooks`), interleaved, for a before/after ratio",
    )
    parser.add_argument(
        "--installed",
        action="store_true",
        help="also time the datum-check hook installed non-editable, as pre-commit installs it",
    )
    parser.add_argument(
        "--no-compile",
        action="store_true",
        help="do not byte-compile datumkit first (time it as an editable install without .pyc)",
    )
    parser.add_argument(
        "--hooks-only",
        action="store_true",
        help="time only pre-commit and the CLI's start-up (skip check --all)",
    )
    parser.add_argument(
        "--only", choices=["check-all"], help="measure only `datum check --all` (cold, warm, edit)"
    )
    parser.add_argument(
        "--reference-datum",
        type=Path,
        help="another build's `datum` executable: its check --all runs, interleaved with ours, "
        "on a copy of the repository (the ratios are the figures that survive a loaded machine)",
    )
    args = parser.parse_args(argv)

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="datumkit-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(workdir / "pre-commit-home"),
        "DATUMKIT_CACHE": str(workdir / "cache"),
    }
    try:
        mirror = workdir / "upstream.git"
        if not mirror.exists():
            build_upstream.build(REPO_ROOT / "examples" / "banking77-upstream.toml", mirror)
        print(f"cores: {os.cpu_count()}  datums: {args.datums}  runs: {args.runs} (medians)")
        print(f"load average at the start: {load()}")
        started = time.perf_counter()
        big, small = workdir / "large", workdir / "single"
        names = [f"task-{index:05d}" for index in range(args.datums)]
        if _reusable(big, names) and _reusable(small, names[:1]):
            print("reusing the repositories kept in", workdir)
        else:
            for root in (big, small):
                shutil.rmtree(root, ignore_errors=True)
            names = make_repository(big, args.datums, mirror)
            make_repository(small, 1, mirror)
            print(f"built the repositories in {time.perf_counter() - started:.1f}s")

        if not args.no_compile:
            compile_sources(REPO_ROOT)
            if args.reference_hooks:
                compile_sources(args.reference_hooks)
        load_before = " ".join(f"{value:.2f}" for value in os.getloadavg())
        datum = str(BIN / "datum")
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        check = [datum, "check", "--all", "--json", *jobs]
        check_all = Timing("check --all --no-cache (cold)", [*check, "--no-cache"], big)
        warm = Timing("check --all, nothing changed (warm cache)", check, big)
        edited = names[:: max(1, len(names) // 10)][:10]
        after_edit, rechecked = 0.0, 0
        if not args.hooks_only:
            subprocess.run(check, cwd=big, env=env, capture_output=True, check=True)  # fill it
            measured = [check_all, warm]
            if args.reference_datum is not None:
                reference = workdir / "large-reference"
                shutil.rmtree(reference, ignore_errors=True)
                shutil.copytree(big, reference, symlinks=True)
                shutil.rmtree(reference / ".git" / "datumkit", ignore_errors=True)
                theirs = [str(args.reference_datum), *check[1:]]
                subprocess.run(theirs, cwd=reference, env=env, capture_output=True, check=True)
                measured += [
                    Timing("reference cold", [*theirs, "--no-cache"], reference),
                    Timing("reference warm", theirs, reference),
                ]
            interleaved(measured, args.runs if args.only else max(1, args.runs // 2), env)
            for name in edited:
                notes = big / "datums" / name / "notes.md"
                notes.write_text(notes.read_text() + "\nEdited for the benchmark.\n")
            started = time.perf_counter()
            done = subprocess.run(check, cwd=big, env=env, capture_output=True, check=True)
            after_edit = time.perf_counter() - started
            rechecked = args.datums - int(json.loads(done.stdout)["summary"]["cached"])
            git(big, "checkout", "--", "datums")  # pre-commit below must see a clean tree
            if args.reference_datum is not None:
                report_reference(args.datums, measured)
            if args.only == "check-all":
                report_check_all(args.datums, check_all, warm, after_edit, len(edited), rechecked)
                print(f"load average at the end: {load()}")
                return 0

        pre_commit = str(BIN / "pre-commit")
        one = datum_files(big, names[len(names) // 2])
        single = datum_files(small, "task-00000")
        run = [pre_commit, "run"]
        # this checkout's hooks, from configs outside the repositories: a kept repository's own
        # configs name the venv of whichever checkout built it
        four_config = workdir / "four-hooks.pre-commit-config.yaml"
        four_config.write_text(hooks_config())
        one_config = workdir / ONE_HOOK_CONFIG
        one_config.write_text(hooks_config(("all",)))
        four_hooks, one_hook = ["-c", str(four_config)], ["-c", str(one_config)]
        noop_config = workdir / "noop.pre-commit-config.yaml"
        noop_config.write_text(hooks_config(("noop",)))
        noop_hook = ["-c", str(noop_config)]
        timings = {
            "startup big": Timing("start-up", [*run, *four_hooks, "--files", "README.md"], big),
            "startup small": Timing("start-up", [*run, *four_hooks, "--files", "README.md"], small),
            "four big": Timing("four hooks", [*run, *four_hooks, "--files", *one], big),
            "four small": Timing("four hooks", [*run, *four_hooks, "--files", *single], small),
            "one big": Timing("datum-check", [*run, *one_hook, "--files", *one], big),
            "one small": Timing("datum-check", [*run, *one_hook, "--files", *single], small),
            "noop big": Timing("no-op hook", [*run, *noop_hook, "--files", *one], big),
            # what pre-commit runs after every hook to see whether it changed files
            "git diff big": Timing("git diff", [*GIT_DIFF], big),
        }
        reference_env: dict[str, str] = {}
        if args.reference_hooks:
            reference = args.reference_hooks.resolve()
            paths = os.pathsep.join(str(reference / part) for part in ("tooling", "hooks"))
            reference_env = {"PYTHONPATH": paths}
            entry_script = workdir / "any-version-datum-hook.py"
            entry_script.write_text(ANY_VERSION_ENTRY)
            reference_config = workdir / "reference.pre-commit-config.yaml"
            reference_config.write_text(hooks_config(("all",), script=entry_script))
            timings["reference big"] = Timing(
                "datum-check of --reference",
                [*run, "-c", str(reference_config), "--files", *one],
                big,
                extra_env=reference_env,
            )
        if args.installed:
            installed_config = workdir / "installed.pre-commit-config.yaml"
            installed_bin = install_checkout(workdir)
            installed_config.write_text(hooks_config(("all",), installed_bin))
            installed = [*run, "-c", str(installed_config), "--files", *one]
            timings["installed big"] = Timing("datum-check, installed", installed, big)
            if reference_env:
                installed_reference = workdir / "installed-reference.pre-commit-config.yaml"
                installed_reference.write_text(
                    hooks_config(("all",), installed_bin, script=entry_script)
                )
                timings["installed reference big"] = Timing(
                    "datum-check of --reference, installed venv",
                    [*run, "-c", str(installed_reference), "--files", *one],
                    big,
                    extra_env=reference_env,
                )
        interleaved(list(timings.values()), args.runs, env)
        python = [sys.executable, "-c", "pass"]
        cli = {
            "python": Timing("python -c pass", python, small),
            "version": Timing("datum --version", [datum, "--version"], small),
            "help": Timing("datum --help", [datum, "--help"], small),
        }
        interleaved(list(cli.values()), max(5, args.runs * 2), env)

        print()
        print(f"load average before the timed runs: {load_before}")
        if not args.hooks_only:
            report_check_all(args.datums, check_all, warm, after_edit, len(edited), rechecked)
        print(
            f"pre-commit start-up (no hook runs): {timings['startup big'].spread()} in "
            f"{args.datums}-datum repo, {timings['startup small'].spread()} in 1-datum repo"
        )
        noop = timings["noop big"].median - timings["startup big"].median
        print(
            f"pre-commit, one datum, a hook that runs `true`: {timings['noop big'].spread()} "
            f"({noop:.3f}s beyond start-up: pre-commit's own cost of running a hook)"
        )
        print(
            f"  of which `{' '.join(GIT_DIFF)}`, run by pre-commit after every hook that ran "
            f"(it lstats every tracked file): {timings['git diff big'].spread()}"
        )
        for key, goal in (("four", 1.0), ("one", 0.35)):
            big_t, small_t = timings[f"{key} big"], timings[f"{key} small"]
            own_big = big_t.median - timings["startup big"].median
            own_small = small_t.median - timings["startup small"].median
            print(
                f"pre-commit, one datum, {big_t.label}, {args.datums}-datum repo: "
                f"{big_t.spread()} (hooks' own work {own_big:.3f}s, of which the hook "
                f"processes {big_t.median - timings['noop big'].median:.3f}s)  "
                f"{verdict(own_big, goal, 's')}"
            )
            print(
                f"pre-commit, one datum, {small_t.label}, 1-datum repo: {small_t.spread()} "
                f"(hooks' own work {own_small:.3f}s); large/single "
                f"{big_t.median / small_t.median:.2f}x  "
                f"{verdict(big_t.median / small_t.median, 1.5, 'x')}"
            )
        if args.reference_hooks:
            ref, new = timings["reference big"], timings["one big"]
            own_ref = ref.median - timings["startup big"].median
            own_new = new.median - timings["startup big"].median
            print(
                f"pre-commit, one datum, datum-check of --reference-hooks {args.reference_hooks}: "
                f"{ref.spread()} (hooks' own work {own_ref:.3f}s); this checkout's / reference's "
                f"own work {own_new / own_ref:.2f}x"
            )
        if args.installed:
            report_installed(args.datums, timings)
        base = cli["python"].median
        print(f"interpreter start-up (python -c pass): {cli['python'].spread()}")
        for key in ("version", "help"):
            extra = cli[key].median - base
            least = min(cli[key].times) - min(cli["python"].times)
            print(
                f"{cli[key].label}: {cli[key].spread()}, {extra:.3f}s beyond start-up "
                f"(fastest runs: {least:.3f}s)  {verdict(extra, 0.1, 's')}"
            )
        print(f"load average at the end: {load()}")
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def report_installed(datums: int, timings: dict[str, Timing]) -> None:
    """The datum-check hook as installed by pre-commit (no editable finder), and the reference
    run from the same virtualenv."""
    start = timings["startup big"].median
    new = timings["installed big"]
    own_new = new.median - start
    print(
        f"pre-commit, one datum, datum-check installed non-editable, {datums}-datum repo: "
        f"{new.spread()} (hooks' own work {own_new:.3f}s)  {verdict(own_new, 0.35, 's')}"
    )
    if "installed reference big" in timings:
        ref = timings["installed reference big"]
        own_ref = ref.median - start
        print(
            f"pre-commit, one datum, datum-check of --reference-hooks from that venv: "
            f"{ref.spread()} (hooks' own work {own_ref:.3f}s); this checkout's / reference's "
            f"own work {own_new / own_ref:.2f}x"
        )


def report_reference(datums: int, measured: Sequence[Timing]) -> None:
    cold, warm, their_cold, their_warm = measured
    print()
    for ours, theirs in ((cold, their_cold), (warm, their_warm)):
        cpu = f"CPU {statistics.median(ours.cpu):.2f}s vs {statistics.median(theirs.cpu):.2f}s"
        print(
            f"{ours.label}: ours {ours.spread()}, reference {theirs.spread()}; "
            f"reference/ours {theirs.median / ours.median:.2f}x (medians), {cpu}"
        )


def report_check_all(
    datums: int, cold: Timing, warm: Timing, after_edit: float, edited: int, rechecked: int
) -> None:
    print()
    cpu = statistics.median(cold.cpu) / datums * 1000
    print(
        f"datum check --all --no-cache (cold), {datums} datums: {cold.spread()} (min-median-max)"
        f"  ({cold.median / datums * 1000:.1f} ms wall, {cpu:.1f} ms CPU per datum)"
    )
    at_goal = "" if datums == 2000 else f" (goals are for 2,000 datums; ran {datums})"
    print(f"datum check --all, cold: {verdict(cold.median, 5, 's')}{at_goal}")
    print(
        f"datum check --all, warm cache, nothing changed: {warm.spread()}  "
        f"{verdict(warm.median, 1.0, 's')}{at_goal}"
    )
    print(
        f"datum check --all after editing {edited} datums: {after_edit:.2f}s (one run), "
        f"{rechecked} datums checked again  "
        f"{'MET' if rechecked == edited else 'MISSED'} (goal: only the {edited} edited)"
    )


if __name__ == "__main__":
    sys.exit(main())
