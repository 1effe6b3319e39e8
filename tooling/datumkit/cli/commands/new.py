"""`datum new NAME`: a commented datum.yaml to fill in."""

from __future__ import annotations

from importlib import resources
from string import Template

from datumkit.cli.commands import EXIT_OK
from datumkit.cli.output import say
from datumkit.errors import UsageProblem
from datumkit.fsio import write_atomic
from datumkit.model.datumdir import DATUM_YAML, DATUMS_DIR, PATCH_FILE, check_datum_name
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
    # A directory without datum.yaml (diff.patch put there first) is a datum being started:
    # fill it in. Only an existing datum.yaml, or a file in the way, is refused.
    if (directory / DATUM_YAML).exists() or (directory.exists() and not directory.is_dir()):
        raise UsageProblem(
            f"{DATUMS_DIR}/{name} already exists",
            hint=f"pick another name, or edit it with `datum set {name} FIELD VALUE`",
        )
    write_atomic(directory / DATUM_YAML, new_datum_yaml(name))
    say(f"created {DATUMS_DIR}/{name}/{DATUM_YAML}")
    patch = "" if (directory / PATCH_FILE).exists() else f", add {DATUMS_DIR}/{name}/{PATCH_FILE}"
    say(f"next: fill it in{patch}, then `make datum NAME={name}`")
    return EXIT_OK
