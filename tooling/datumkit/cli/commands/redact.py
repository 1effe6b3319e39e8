"""`datum redact PATH...`: replace credentials in files with placeholders, in place.

Patches (``*.patch``, ``*.diff``) are redacted on their added lines only, keeping every line, so
they still apply. A JSON file stays valid JSON, or is left alone. Binary files are redacted byte
for byte (a NUL byte stops nothing); a credential inside a ``GIT binary patch`` hunk cannot be
edited as text and is reported (exit 1). A symbolic link named on the command line is refused:
rewriting it would replace the link and leave the credential in its target. Each file is
rewritten atomically. What was replaced is printed as file:line and kind, never the credential.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from datumkit.bounded import MAX_FILE_BYTES, read_capped
from datumkit.cli.commands import EXIT_FINDINGS, EXIT_OK
from datumkit.cli.output import say, warn
from datumkit.errors import UsageProblem
from datumkit.fsio import write_atomic
from datumkit.secrets.redact import placeholder, redact_file

PATCH_SUFFIXES = (".patch", ".diff")


def redact_paths(paths: Sequence[Path], *, dry_run: bool) -> int:
    replaced = files_changed = refused = 0
    for path in _files(paths):
        content = read_capped(path, MAX_FILE_BYTES)
        result = redact_file(
            content, display_path=str(path), as_patch=path.suffix in PATCH_SUFFIXES
        )
        for hit in result.left:
            warn(
                f"{hit.describe()}: inside binary data, left in place; remove that file from "
                "the patch (or replace its content) and regenerate the patch"
            )
        refused += bool(result.left)
        if not result.replaced:
            continue
        if path.suffix == ".json" and _parses(content) and not _parses(result.content):
            warn(f"{path}: left unchanged: redaction would break its JSON; edit it by hand")
            refused += 1
            continue
        for hit in result.replaced:
            say(f"{hit.file}:{hit.line}: {hit.kind} -> {placeholder(hit)}")
        if not dry_run:
            write_atomic(path, result.content)
        replaced += len(result.replaced)
        files_changed += 1
    verb = "would replace" if dry_run else "replaced"
    say(f"{verb} {replaced} credential(s) in {files_changed} file(s)")
    return EXIT_FINDINGS if refused else EXIT_OK


def _files(paths: Sequence[Path]) -> Iterator[Path]:
    """The regular files to redact; links inside a directory are skipped (git stores a link's
    text, not its target), a link named on the command line is refused."""
    for path in paths:
        if path.is_symlink():
            raise UsageProblem(
                f"{path} is a symbolic link (to {os.readlink(path)})",
                hint="give the file it points to, if that is the file you mean to rewrite",
            )
        if path.is_dir():
            yield from (p for p in sorted(path.rglob("*")) if p.is_file() and not p.is_symlink())
        elif path.is_file():
            yield path
        else:
            raise UsageProblem(f"{path} does not exist", hint="give files or directories")


def _parses(content: bytes) -> bool:
    try:
        json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    return True
