"""Errors for a ``diff.patch`` that cannot be accepted, one class per thing the author must fix.

They live apart from :mod:`datumkit.git.apply` so that the parser (:mod:`datumkit.git.patchparse`),
the hunk engine and the public facade can all raise them without importing each other. Each
error prints as one line: the file inside the repository, the hunk, what is wrong, and what to
do about it (see :class:`datumkit.errors.DatumError`).
"""

from __future__ import annotations

from datumkit.errors import DatumError

#: What to do about a patch that does not fit its baseline.
REBASE_HINT = "rebase the patch onto the baseline, or move the baseline"


def one_line(text: str) -> str:
    """``text`` safe for a one-line message: control characters and undecodable bytes escaped.

    Paths come from the patch and may hold newlines or bytes that are not UTF-8; the promise that
    every error is one readable line must survive them.
    """
    raw = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in raw)


class PatchError(DatumError):
    """Base of every reason a patch is refused."""


class BaselineNotFound(PatchError):
    """The baseline commit is not in the mirror, so nothing can be proven about the patch."""

    def __init__(self, baseline: str, reason: str) -> None:
        super().__init__(
            f"baseline {baseline!r} is not a commit in the mirror: {reason}",
            hint="fetch the mirror, or fix repo.start_commit_sha",
        )
        self.baseline = baseline


class MalformedPatch(PatchError):
    """The patch text cannot be parsed; ``line_no`` is the 1-based line in the patch."""

    def __init__(
        self,
        message: str,
        *,
        line_no: int,
        path: str | None = None,
        hunk_header: str | None = None,
        hint: str = "regenerate the patch with `git diff --binary BASELINE HEAD`",
    ) -> None:
        location = ": ".join(p for p in (hunk_header, f"patch line {line_no}") if p)
        shown = None if path is None else one_line(path)
        super().__init__(message, file=shown, location=location, hint=hint)
        self.line_no = line_no
        self.path = path
        self.hunk_header = hunk_header


class UnsafePath(PatchError):
    """The patch names a path outside the tree (``..``, absolute) or inside ``.git``."""

    def __init__(self, path: str, reason: str, *, line_no: int) -> None:
        super().__init__(
            f"unsafe path: {reason}",
            file=one_line(path),
            location=f"patch line {line_no}",
            hint="a datum patch may only touch files inside the repository",
        )
        self.path = path
        self.line_no = line_no


class EmptyPatch(PatchError):
    """The patch contains no file change at all."""

    def __init__(self) -> None:
        super().__init__(
            "patch contains no file changes",
            file="diff.patch",
            hint="regenerate it with `git diff --binary BASELINE HEAD`",
        )


class PatchDoesNotApply(PatchError):
    """A file or hunk of the patch does not apply to the baseline.

    ``line_no`` is the line in the baseline file where the hunk first differs, ``expected`` the
    hunk's context or removed line there and ``actual`` what the baseline has (``None`` when the
    baseline file ends first, or when the failure is not about a line, e.g. a missing file).
    """

    def __init__(
        self,
        path: str,
        reason: str,
        *,
        hunk_header: str | None = None,
        line_no: int | None = None,
        expected: str | None = None,
        actual: str | None = None,
        hint: str = "rebase the patch onto the baseline, or move the baseline",
    ) -> None:
        super().__init__(
            f"does not apply: {reason}", file=one_line(path), location=hunk_header, hint=hint
        )
        self.path = path
        self.hunk_header = hunk_header
        self.line_no = line_no
        self.expected = expected
        self.actual = actual


class PatchAlreadyApplied(PatchError):
    """The patch does not apply, but its reverse does: the baseline already has the change."""

    def __init__(self, path: str, hunk_header: str | None) -> None:
        super().__init__(
            "already applied: the baseline already contains this change "
            "(the reverse patch applies cleanly)",
            file=one_line(path),
            location=hunk_header,
            hint="use the commit before the change as the baseline, or drop the patch",
        )
        self.path = path
        self.hunk_header = hunk_header
