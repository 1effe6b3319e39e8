"""One datum's files read once per check run, however many checks read them.

Every check of a datum reads its files through the same `DatumFiles`: diff.patch is read by the
patch, leaks and secrets checks, datum.yaml by loading and the secrets scan, the directory is
listed by three checks. :func:`datumkit.checks.check_datum` wraps the datum's files in a
:class:`ReadOnce` for the length of one datum's checks, so each file is read (and each path
checked for symlinks leaving the directory) once. The memo lives only as long as that one
run: nothing is shared between datums or between runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from datumkit.model.datumdir import DatumFiles


@dataclass
class ReadOnce:
    """A `DatumFiles` that remembers what it read (errors are not remembered: raised again)."""

    files: DatumFiles
    _read: dict[str, bytes | None] = field(default_factory=dict, repr=False)
    _listing: list[str] | None = field(default=None, repr=False)

    def read(self, relative: str) -> bytes | None:
        if relative not in self._read:
            self._read[relative] = self.files.read(relative)
        return self._read[relative]

    def list(self, prefix: str = "") -> list[str]:
        if self._listing is None:
            self._listing = self.files.list()
        return [path for path in self._listing if path.startswith(prefix)]
