"""The `secrets` check: no credentials in what a datum ships (detect-secrets does the finding).

Scans the datum's SOURCE files: diff.patch (added lines only), datum.yaml, notes.md, trace/ and
any other file people put in the directory. GENERATED files are derived from datum.yaml and are
not scanned twice. Exceptions live in `datums/<name>/secrets.allowlist`, reviewed in git like
any other source file; each needs a reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from datumkit.checks.findings import Finding
from datumkit.model.datumdir import GENERATED_FILES, OVERLAY_DIR, PATCH_FILE, DatumDirectory
from datumkit.model.project import Project
from datumkit.secrets.scan import (
    ALLOWLIST_FILE,
    AllowlistInvalid,
    SecretHit,
    allowlist_entry,
    load_allowlist,
    scan_bytes,
    scan_patch,
    scanning,
)

NAME = "secrets"


def _scanned_files(source: DatumDirectory) -> Iterator[str]:
    for relative in source.files.list():
        generated = relative in GENERATED_FILES or relative.startswith(f"{OVERLAY_DIR}/")
        if not generated and relative != ALLOWLIST_FILE:
            yield relative


def _hits(source: DatumDirectory) -> Iterator[tuple[str, SecretHit]]:
    for relative in _scanned_files(source):
        content = source.read(relative)
        if content is None:
            continue
        display = source.display(relative)
        scan = scan_patch if relative == PATCH_FILE else scan_bytes
        for hit in scan(content, display_path=display):
            yield relative, hit


def run(source: DatumDirectory, context: Project) -> Iterable[Finding]:
    allowlist_path = source.display(ALLOWLIST_FILE)
    try:
        allowlist = load_allowlist(source.read(ALLOWLIST_FILE), display_path=allowlist_path)
    except AllowlistInvalid as invalid:
        for error in invalid.errors:
            yield Finding.from_error(NAME, source.name, error, allowlist_path)
        return
    with scanning():  # one detect-secrets configuration for all the datum's files
        hits = list(_hits(source))
    for relative, hit in hits:
        if allowlist.allows(hit):
            continue
        entry = allowlist_entry(hit, relative, "<why this is not a real secret>")
        yield Finding(
            NAME,
            source.name,
            hit.file,
            f"line {hit.line}",
            f"{hit.kind} (hash {hit.hashed[:8]}) (remove it, e.g. `datum redact {hit.file}`; "
            f"if it is not a real credential, add `{entry}` to {allowlist_path})",
        )
    for unused in allowlist.unused([hit for _, hit in hits]):
        yield Finding(
            NAME,
            source.name,
            allowlist_path,
            f"line {unused.line}",
            "allows a secret that is no longer there (delete the entry)",
            "warning",
        )
