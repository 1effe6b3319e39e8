"""Which removed and added datum directories are one datum renamed: scored like git scores a
renamed file, by the share of lines both sides have."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

from datumkit.model.datumdir import DATUM_YAML, PATCH_FILE
from datumkit.review.gitfiles import GitFiles

#: A removed and an added datum are one renamed datum at this similarity (percent) or more.
RENAME_THRESHOLD = 50


def _yaml_lines(files: GitFiles) -> Counter[bytes]:
    """datum.yaml lines that carry a value (not bare keys, comments or blank lines)."""
    lines = (line.strip() for line in (files.read(DATUM_YAML) or b"").splitlines())
    return Counter(s for s in lines if s and not s.startswith(b"#") and not s.endswith(b":"))


def _patch_lines(files: GitFiles) -> Counter[bytes]:
    """The changed lines of diff.patch (not its context, which is the upstream's code)."""
    lines = (files.read(PATCH_FILE) or b"").splitlines()
    return Counter(
        s for s in lines if s[:1] in (b"+", b"-") and not s.startswith((b"+++ ", b"--- "))
    )


def _share(a: Counter[bytes], b: Counter[bytes]) -> int:
    total = sum(a.values()) + sum(b.values())
    return 100 if total == 0 else math.floor(200 * sum((a & b).values()) / total)


_Fingerprint = tuple[Counter[bytes], Counter[bytes]]


def _fingerprint(files: GitFiles) -> _Fingerprint:
    return _yaml_lines(files), _patch_lines(files)


def _alike(old: _Fingerprint, new: _Fingerprint) -> int:
    return min(_share(old[0], new[0]), _share(old[1], new[1]))


def similarity(old: GitFiles, new: GitFiles) -> int:
    """How alike two datum directories are, in percent, scored like git scores a renamed file:
    the share of lines both have. datum.yaml and diff.patch must *both* be alike (the lower
    score counts): datums made from one template share most of their YAML, and datums of one
    upstream may share patch lines, but a renamed datum keeps both."""
    return _alike(_fingerprint(old), _fingerprint(new))


def find_renames(
    base: Mapping[str, GitFiles], head: Mapping[str, GitFiles]
) -> dict[str, tuple[str, int]]:
    """new name -> (old name, similarity) for removed/added pairs that are one datum renamed."""
    before = {name: _fingerprint(files) for name, files in base.items()}
    after = {name: _fingerprint(files) for name, files in head.items()}
    scored = [
        (_alike(old, new), old_name, new_name)
        for old_name, old in before.items()
        for new_name, new in after.items()
    ]
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    found: dict[str, tuple[str, int]] = {}
    taken: set[str] = set()
    for score, old_name, new_name in scored:
        if score >= RENAME_THRESHOLD and old_name not in taken and new_name not in found:
            found[new_name] = (old_name, score)
            taken.add(old_name)
    return found
