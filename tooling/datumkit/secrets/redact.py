"""Replacing credentials by placeholders, keeping every other byte and every line.

What :mod:`datumkit.secrets.scan` locates is replaced by ``<REDACTED:kind:hash8>``: the same
credential reads the same everywhere, and an allowlist entry can still be matched to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from datumkit.secrets.scan import SecretHit, decode, locate_in_bytes, locate_in_patch


def placeholder(hit: SecretHit) -> str:
    """What replaces a credential: its kind and the start of its hash, e.g.
    ``<REDACTED:AWS Access Key:25910f98>``, so the same credential reads the same everywhere."""
    return f"<REDACTED:{hit.kind}:{hit.hashed[:8]}>"


@dataclass(frozen=True)
class Redaction:
    """A file's redacted bytes, what was replaced, and what could not be."""

    content: bytes
    replaced: list[SecretHit]
    #: credentials inside data that cannot be edited as text (a ``GIT binary patch`` hunk):
    #: the file still holds them, so whoever runs the redaction must hear of them
    left: list[SecretHit]


def redact(
    content: bytes, *, display_path: str, as_patch: bool = False
) -> tuple[bytes, list[SecretHit]]:
    """`content` with every credential it can replace replaced, and those replaced.

    See :func:`redact_file` for what cannot be replaced.
    """
    result = redact_file(content, display_path=display_path, as_patch=as_patch)
    return result.content, result.replaced


def redact_file(content: bytes, *, display_path: str, as_patch: bool = False) -> Redaction:
    """Every credential in `content` replaced by its :func:`placeholder`, where it can be.

    Lines stay lines (a multi-line private key leaves its lines empty), so a redacted patch
    keeps its hunk counts. Bytes outside the credentials are kept exactly, NUL bytes and
    invalid UTF-8 included. A credential inside a binary hunk of a patch is reported in
    ``left``: re-encoding the hunk would also need a new blob id on its ``index`` line, which
    regenerating the patch without that file gives for free.
    """
    locate = locate_in_patch if as_patch else locate_in_bytes
    found = locate(content, display_path=display_path)
    editable = [located for located in found if located.spans]
    left = [located.hit for located in found if not located.spans]
    if not editable:
        return Redaction(content, [], left)
    lines = decode(content).split("\n")
    replacements: dict[int, list[tuple[int, int, str]]] = {}
    for located in editable:
        # every copy of a value on its line reads as the placeholder; the lines after the first
        # of a multi-line credential (a PEM block) are emptied
        first = located.spans[0].line
        for span in located.spans:
            marker = placeholder(located.hit) if span.line == first else ""
            replacements.setdefault(span.line, []).append((span.start, span.end, marker))
    for index, edits in replacements.items():
        lines[index] = _apply_edits(lines[index], edits)
    redacted = "\n".join(lines).encode("utf-8", "surrogateescape")
    return Redaction(redacted, [located.hit for located in editable], left)


def _apply_edits(line: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace spans of one line; overlapping spans (two plugins, one credential) merge."""
    merged: list[tuple[int, int, str]] = []
    for start, end, marker in sorted(edits):
        if merged and start < merged[-1][1]:
            last_start, last_end, last_marker = merged[-1]
            merged[-1] = (last_start, max(end, last_end), last_marker or marker)
        else:
            merged.append((start, end, marker))
    pieces = []
    position = 0
    for start, end, marker in merged:
        pieces += [line[position:start], marker]
        position = end
    pieces.append(line[position:])
    return "".join(pieces)
