"""`datum new NAME`: a commented datum.yaml to fill in."""

from __future__ import annotations

from importlib import resources
from string import Template

from datumkit.cli.commands import EXIT_OK
from datumkit.cli.output import say
from datumkit.errors import UsageProblem
from datumkit.fsio import write_atomic
from datumkit.model.datumdir import DATUM_YAML, DATUMS_DIR, check_datum_name
from datumkit.model.project import Project


def new_datum_yaml(name: str) -> bytes:
    template = (
        resources.files("datumkit")
        .joinpath("generate/templates/datum.yaml.tmpl")
        .read_text("utf-8")
    )
    return Template(template).substitute(name=name).encode("utf-8")


def new(project: Project, name: str) -> int:
    check_datum_name(name)
    directory = project.directory(name)
    if directory.exists():
        raise UsageProblem(
            f"{DATUMS_DIR}/{name} already exists",
            hint="pick another name or edit the existing datum",
        )
    write_atomic(directory / DATUM_YAML, new_datum_yaml(name))
    say(f"created {DATUMS_DIR}/{name}/{DATUM_YAML}")
    say(f"next: fill it in, add {DATUMS_DIR}/{name}/diff.patch, then `make datum NAME={name}`")
    return EXIT_OK
