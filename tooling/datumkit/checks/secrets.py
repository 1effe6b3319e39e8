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
from datumkit.secrets.allowlist import (
    ALLOWLIST_FILE,
    AllowlistInvalid,
    allowlist_entry,
    load_allowlist,
)
from datumkit.secrets.detect import plugin_gates
from datumkit.secrets.scan import SecretHit, decode, scan_bytes, scan_patch

NAME = "secrets"
#: above this many bytes of scanned files, each text asks every gate itself: the time saved is
#: small next to the scan, and joining the files would hold another copy of all of them
GATES_SHARED_MAX_BYTES = 1 << 20


def is_scanned(relative: str) -> bool:
    """Whether a datum's file is scanned: every file but GENERATED ones and the allowlist."""
    generated = relative in GENERATED_FILES or relative.startswith(f"{OVERLAY_DIR}/")
    return not generated and relative != ALLOWLIST_FILE


def scan_datum_files(
    files: Iterable[tuple[str, bytes]], *, display_dir: str
) -> list[tuple[str, SecretHit]]:
    """(relative path, hit) for every credential in a datum's files, given as (path, bytes).

    The one scan of "what a datum ships", used by this check on a datum in the working tree or
    in git objects and by capture and bundle on what is about to become one. The patch is read
    as a patch (added lines, binary literals, everything but the baseline's lines); every other
    file is scanned whole. Files :func:`is_scanned` rejects are skipped.

    Which plugins can match at all is asked once of all the files together
    (:func:`datumkit.secrets.detect.plugin_gates`), not again for each text scanned: the same
    hits, about half the time on a small datum.
    """
    scanned = [(relative, content) for relative, content in files if is_scanned(relative)]
    shared = sum(len(content) for _, content in scanned) <= GATES_SHARED_MAX_BYTES
    gates = plugin_gates("\n".join(decode(content) for _, content in scanned)) if shared else None
    hits: list[tuple[str, SecretHit]] = []
    for relative, content in scanned:
        display = f"{display_dir}/{relative}"
        scan = scan_patch if relative == PATCH_FILE else scan_bytes
        hits += [(relative, hit) for hit in scan(content, display_path=display, gates=gates)]
    return hits


def _datum_files(source: DatumDirectory) -> Iterator[tuple[str, bytes]]:
    for relative in source.files.list():
        content = source.read(relative) if is_scanned(relative) else None
        if content is not None:
            yield relative, content


def run(source: DatumDirectory, context: Project) -> Iterable[Finding]:
    allowlist_path = source.display(ALLOWLIST_FILE)
    try:
        allowlist = load_allowlist(source.read(ALLOWLIST_FILE), display_path=allowlist_path)
    except AllowlistInvalid as invalid:
        for error in invalid.errors:
            yield Finding.from_error(NAME, source.name, error, allowlist_path)
        return
    hits = scan_datum_files(_datum_files(source), display_dir=source.directory)
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
