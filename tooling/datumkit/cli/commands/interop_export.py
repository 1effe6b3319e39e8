"""`datum export swebench|harbor NAMES|--all --out ...`: datums in other formats.

Every selected datum is converted before anything is written; one that cannot be (no declared
tests for SWE-bench, an invalid datum.yaml) is named with the reason and nothing is written
(exit 1). The output appears complete or not at all.
"""

from __future__ import annotations

from pathlib import Path

from datumkit.cli.commands import EXIT_FINDINGS, EXIT_OK
from datumkit.cli.output import say, warn
from datumkit.errors import DatumError, UsageProblem
from datumkit.model.datumdir import DatumSource
from datumkit.model.project import Project


def _load_all(project: Project, names: list[str]) -> tuple[list[DatumSource], list[DatumError]]:
    sources, errors = [], []
    for name in names:
        try:
            sources.append(project.load(name))
        except DatumError as error:
            errors.append(error)
    return sources, errors


def _fail(errors: list[DatumError]) -> int:
    for error in errors:
        for line in str(error).splitlines():
            warn(line)
    warn(f"{len(errors)} datum(s) cannot be exported; nothing was written")
    return EXIT_FINDINGS


def _check_out(out: Path, force: bool) -> None:
    if out.exists() and not force and (not out.is_dir() or any(out.iterdir())):
        raise UsageProblem(
            f"{out} already exists", hint="pass --force to replace it, or choose another --out"
        )


def export_swebench(project: Project, names: list[str], out: Path, *, force: bool) -> int:
    from datumkit.interop.swebench_export import Exported, export_source
    from datumkit.interop.swebench_repo import write_jsonl, write_task_repo

    _check_out(out, force)
    sources, errors = _load_all(project, names)
    exports: list[Exported] = []
    for source in sources:
        try:
            exports.append(export_source(source))
        except DatumError as error:
            errors.append(error)
    if errors:
        return _fail(errors)
    ids: dict[str, str] = {}
    for source, exported in zip(sources, exports, strict=True):
        instance_id = exported.instance["instance_id"]
        if instance_id in ids:
            return _fail(
                [
                    DatumError(
                        f"exports instance_id {instance_id!r}, as datum {ids[instance_id]} does",
                        file=source.display("swebench.json"),
                        hint="give one of them another instance_id",
                    )
                ]
            )
        ids[instance_id] = source.name
    if out.suffix == ".jsonl":
        count = write_jsonl((e.instance for e in exports), out)
        say(f"wrote {count} instance(s) to {out}")
    else:
        write_task_repo(exports, out, replace=force)
        say(f"wrote a SWE-bench task repository with {len(exports)} task(s) to {out}")
    return EXIT_OK


def export_harbor(
    project: Project, names: list[str], out: Path, *, force: bool, terminal_bench: bool
) -> int:
    from datumkit.interop.harbor import HarborTask, export_task, write_tasks

    _check_out(out, force)
    sources, errors = _load_all(project, names)
    tasks: list[HarborTask] = []
    for source in sources:
        try:
            if terminal_bench:
                from datumkit.interop.terminal_bench import export_terminal_bench

                tasks.append(export_terminal_bench(source))
            else:
                tasks.append(export_task(source))
        except DatumError as error:
            errors.append(error)
    if errors:
        return _fail(errors)
    write_tasks(tasks, out, replace=force)
    layout = "Terminal-Bench" if terminal_bench else "Harbor"
    say(f"wrote {len(tasks)} {layout} task(s) to {out}")
    for task in tasks:
        say(f"  {out / task.name}")
    return EXIT_OK
