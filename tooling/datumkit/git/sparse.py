"""Non-cone sparse checkout, decided as git decides it (`git sparse-checkout set --no-cone`).

The Dockerfile hands `repo.sparse_checkout` to git as non-cone patterns, which follow
.gitignore rules: a pattern without '/' matches a name at any depth (`README.md` is every
README.md), a leading '/' anchors it, a trailing '/' matches directories only, `!` re-excludes,
the last matching pattern wins, and a matched directory brings everything inside it unless a
pattern for the file itself says otherwise (git's clear_ce_flags_dir).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from datumkit.git.attributes import PathPattern


@dataclass(frozen=True)
class SparsePatterns:
    """Parsed non-cone patterns; `includes(path)` for a file path of the tree."""

    patterns: tuple[tuple[PathPattern, bool], ...]

    @classmethod
    def parse(cls, lines: Iterable[str]) -> SparsePatterns:
        parsed = []
        for line in lines:
            text = line.rstrip("\n")
            if not text.strip() or text.startswith("#"):
                continue
            negative = text.startswith("!")
            text = text[1:] if negative else text
            if text.startswith("\\"):
                text = text[1:]
            parsed.append((PathPattern.parse(text), not negative))
        return cls(tuple(parsed))

    def _decide(self, path: str, *, is_dir: bool) -> bool | None:
        for pattern, include in reversed(self.patterns):
            if pattern.matches(path, is_dir=is_dir):
                return include
        return None

    def includes(self, path: str) -> bool:
        """Whether the file `path` is checked out."""
        decided = False
        parts = path.split("/")
        for depth in range(1, len(parts)):
            here = self._decide("/".join(parts[:depth]), is_dir=True)
            if here is not None:
                decided = here
        here = self._decide(path, is_dir=False)
        return decided if here is None else here
