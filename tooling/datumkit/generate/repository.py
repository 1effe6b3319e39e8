"""The files `datum init` writes: a datum repository that uses datumkit as an installed package.

A datum repository is not datumkit's checkout: its hooks come from datumkit's git repository at
a release tag (pre-commit's ``repo:`` + ``rev:``), and its workflows ``pip install`` a pinned
datumkit -- from a git URL and tag until datumkit is on the package index, then by version
(``--from-index``). Everything here is a pure function of :class:`Scaffold`, so the same options
always give the same bytes (ARCHITECTURE.md invariant 3) and a second `datum init` changes
nothing.

The values reach YAML, TOML, Markdown and shell (``pip install "$DATUMKIT"``), so they are
checked against narrow patterns first: a URL or version with a quote, space, newline or ``$``
is refused, never escaped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources

from datumkit import __version__
from datumkit.errors import UsageProblem

#: Where datumkit's sources (and its pre-commit hooks) are published.
DATUMKIT_GIT_URL = "https://github.com/datumkit/datumkit"

#: What each template becomes, in the order `datum init` reports them.
FILES: tuple[tuple[str, str], ...] = (
    ("pyproject.toml", "pyproject.toml"),
    (".pre-commit-config.yaml", "pre-commit-config.yaml"),
    (".gitignore", "gitignore"),
    ("README.md", "README.md"),
    (".github/workflows/datums.yml", "workflows/datums.yml"),
    (".github/workflows/datum-review.yml", "workflows/datum-review.yml"),
    (".github/workflows/datum-test.yml", "workflows/datum-test.yml"),
)
#: Created empty (with a .gitkeep), so `datum new` and root discovery work at once.
DATUMS_KEEP = "datums/.gitkeep"
#: `datum schema` for editors (yaml-language-server) and check-jsonschema; written only when the
#: pinned version is the running one, whose schema this is.
SCHEMA_FILE = "datum.schema.json"

_VERSION = re.compile(r"[0-9]+(?:\.[0-9]+)*(?:[._+-]?[A-Za-z0-9]+)*")
_URL = re.compile(r"(?:https://|ssh://|file://|git@|/)[A-Za-z0-9._~:/@+%=-]+")


@dataclass(frozen=True)
class Scaffold:
    """The choices a datum repository is written with."""

    version: str = __version__
    git_url: str = DATUMKIT_GIT_URL
    #: install ``datumkit==version`` from the package index instead of the git URL and tag
    from_index: bool = False

    def __post_init__(self) -> None:
        if not _VERSION.fullmatch(self.version):
            raise UsageProblem(
                f"{self.version!r} is not a datumkit version",
                hint="use a release number such as 0.1.0",
            )
        if not _URL.fullmatch(self.git_url) or ".." in self.git_url.split("/"):
            raise UsageProblem(
                f"{self.git_url!r} is not a git URL datum init can write",
                hint="use https://, ssh://, file://, git@host:path or an absolute path, "
                "without spaces or quotes",
            )

    @property
    def rev(self) -> str:
        """The release tag: ``v`` + version (CHANGELOG.md, "Releases")."""
        return f"v{self.version}"

    @property
    def pip_spec(self) -> str:
        if self.from_index:
            return f"datumkit=={self.version}"
        return f"datumkit @ git+{self.git_url}@{self.rev}"


def render_repository(scaffold: Scaffold) -> dict[str, bytes]:
    """Every file of a new datum repository, by path relative to its root."""
    values = {
        "__DATUMKIT_VERSION__": scaffold.version,
        "__DATUMKIT_GIT_URL__": scaffold.git_url,
        "__DATUMKIT_REV__": scaffold.rev,
        "__DATUMKIT_PIP_SPEC__": scaffold.pip_spec,
    }
    templates = resources.files("datumkit").joinpath("generate/templates/init")
    files = {}
    for target, template in FILES:
        text = templates.joinpath(template).read_text("utf-8")
        for key, value in values.items():
            text = text.replace(key, value)
        files[target] = text.encode("utf-8")
    files[DATUMS_KEEP] = b""
    if scaffold.version == __version__:
        from datumkit.model.datum import json_schemas

        schema = json.dumps(json_schemas()["datum.yaml"], indent=2, sort_keys=True) + "\n"
        files[SCHEMA_FILE] = schema.encode("utf-8")
    return files
