"""`datum capture [WORKSPACE] --baseline REV --title TEXT`: a session becomes a created-task dir.

The session's repository is only read; the directory appears complete or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from datumkit.cli.commands import EXIT_OK
from datumkit.cli.output import say, warn
from datumkit.secrets.scan import SecretHit
from datumkit.session.capture import (
    CaptureRequest,
    capture,
    default_created_parent,
    slugify,
)


def capture_session(
    request: CaptureRequest, *, out: Path | None, project_root: Path | None, force: bool
) -> int:
    target = out or default_created_parent(project_root) / (request.slug or slugify(request.title))
    result = capture(request, target, force=force)
    info = result.repo_info
    say(f"captured {result.diff.workspace} into {result.directory}")
    say(
        f"  baseline {info['baseline_sha'][:12]} -> {info['head_sha'][:12]}"
        f"{' + uncommitted changes' if info['dirty'] else ''}: {info['files_changed']} file(s), "
        f"+{info['lines_added']} -{info['lines_removed']} lines; the patch rebuilds the "
        "session's tree exactly (verified)"
    )
    for name in result.files:
        say(f"  {name}")
    for note in result.notes:
        say(f"  note: {note}")
    report_secrets(result.secrets, fix=f"datum redact {result.directory}")
    say(
        f"next: review {result.directory}/tb_meta.json, then `datum bundle {result.directory} "
        "--name NAME`"
    )
    return EXIT_OK


def report_secrets(hits: Sequence[SecretHit], *, fix: str) -> None:
    """Warn about credentials (never showing them) and say how to remove them."""
    if not hits:
        return
    warn(f"warning: {len(hits)} credential(s) found; `datum bundle` will refuse them:")
    for hit in hits:
        warn(f"  {hit.describe()}")
    warn(f"  replace them with placeholders: `{fix}`")
