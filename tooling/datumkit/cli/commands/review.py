"""`datum review BASE..HEAD | --staged`: what the datums of a change mean, for a reviewer.

Exit codes: 0 the review ran and found nothing blocking; 1 it found a blocking problem at HEAD
(invalid datum, patch that does not apply, stale or hand-edited GENERATED files); 2 usage (bad
revision, not a git repository); 3 git itself failed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Literal

import click
import pygit2

from datumkit.cli.commands import EXIT_FINDINGS, EXIT_OK
from datumkit.errors import OperationFailed
from datumkit.git.mirrors import MirrorLocator
from datumkit.model.root import find_project_root
from datumkit.review import (
    Mirrors,
    open_repository,
    render_json,
    render_markdown,
    render_text,
    resolve_range,
    review_range,
)
from datumkit.review.revisions import datums_path

Format = Literal["text", "markdown", "json"]
ColorChoice = Literal["auto", "always", "never"]


def use_color(choice: ColorChoice) -> bool:
    """Colour for a terminal: 'auto' means stdout is a TTY and NO_COLOR is not set."""
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def review(
    root: Path | None,
    cache_dir: Path | None,
    revisions: str | None,
    *,
    staged: bool,
    output: Format,
    color: ColorChoice = "auto",
) -> int:
    """Review the datums that changed in `revisions` (or the index) of the repository at `root`
    (default: the datum repository or git repository around the current directory)."""
    start = root.resolve() if root is not None else Path.cwd()
    project_root = root.resolve() if root is not None else find_project_root(start) or start
    repo = open_repository(project_root)
    try:
        selected = resolve_range(
            repo, revisions, staged=staged, where=datums_path(repo, project_root)
        )
        mirrors = Mirrors(MirrorLocator.for_project(project_root, cache_dir))
        result = review_range(selected.base, selected.head, mirrors, spec=selected.spec)
    except pygit2.GitError as error:
        raise OperationFailed(f"git: {error}", hint="check the repository") from None
    if output == "json":
        text = render_json.render(result)
    elif output == "markdown":
        text = render_markdown.render(result)
    else:
        text = render_text.render(result, color=use_color(color))
    click.echo(text, nl=False, color=output == "text" and use_color(color))
    return EXIT_OK if result.ok else EXIT_FINDINGS
