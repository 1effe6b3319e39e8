"""Replacing credentials by placeholders, keeping every other byte and every line.

What :mod:`datumkit.secrets.scan` locates is replaced by ``<REDACTED:kind:hash8>``: the same
credential reads the same everywhere, and an allowlist entry can still be matched to it.
"""

from __future__ import annotations

from datumkit.secrets.scan import SecretHit, decode, locate_in_bytes, locate_in_patch


def placeholder(hit: SecretHit) -> str:
    """What replaces a credential: its kind and the start of its hash, e.g.
    ``<REDACTED:AWS Access Key:25910f98>``, so the same credential reads the same everywhere."""
    return f"<REDACTED:{hit.kind}:{hit.hashed[:8]}>"


def redact(
    content: bytes, *, display_path: str, as_patch: bool = False
) -> tuple[bytes, list[SecretHit]]:
    """`content` with every credential replaced by its :func:`placeholder`, and the hits.

    Lines stay lines (a multi-line private key leaves its lines empty), so a redacted patch
    keeps its hunk counts. Bytes outside the credentials are kept exactly.
    """
    locate = locate_in_patch if as_patch else locate_in_bytes
    found = locate(content, display_path=display_path)
    if not found:
        return content, []
    text = decode(content)
    assert text is not None  # binary content has no hits
    lines = text.split("\n")
    replacements: dict[int, list[tuple[int, int, str]]] = {}
    for located in found:
        for number, span in enumerate(located.spans):
            marker = placeholder(located.hit) if number == 0 else ""
            replacements.setdefault(span.line, []).append((span.start, span.end, marker))
    for index, edits in replacements.items():
        lines[index] = _apply_edits(lines[index], edits)
    redacted = "\n".join(lines).encode("utf-8", "surrogateescape")
    return redacted, [located.hit for located in found]


def _apply_edits(line: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace spans of one line; overlapping spans (two plugins, one credential) merge."""
    merged: list[tuple[int, int, str]] = []
    for start, end, marker in sorted(edits):
        if merged and start < merged[-1][1]:
            last_start, last_end, last_marker = merged[-1]
            merged[-1] = (last_start, max(end, last_end), last_marker or marker)
        else:
            merged.append((start, end, marker))
    for start, end, marker in reversed(merged):
        line = line[:start] + marker + line[end:]
    return line
