"""``GIT binary patch`` sections written the way ``git diff --binary`` writes them.

Tests need binary literals with chosen (hostile) content: a credential inside, a text file marked
binary, data that inflates past its declared size. git's encoding is deflate, then base85 in
lines of at most 52 bytes, each led by a character giving its length ('A'..'Z' = 1..26,
'a'..'z' = 27..52); ``test_binary_literal_helper_is_what_git_applies`` proves git accepts it.
"""

from __future__ import annotations

import base64
import hashlib
import zlib


def blob_id(content: bytes) -> str:
    """git's object id of a blob with `content`."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def base85_lines(data: bytes) -> list[str]:
    """`data` as the data lines of a binary hunk."""
    lines = []
    for start in range(0, len(data), 52):
        chunk = data[start : start + 52]
        marker = (
            chr(ord("A") + len(chunk) - 1) if len(chunk) <= 26 else chr(ord("a") + len(chunk) - 27)
        )
        lines.append(marker + base64.b85encode(chunk, pad=True).decode("ascii"))
    return lines


def literal(
    content: bytes, *, declared: int | None = None, deflated: bytes | None = None
) -> list[str]:
    """A ``literal N`` hunk (N = `declared`, by default the real size) and its blank line."""
    size = len(content) if declared is None else declared
    data = zlib.compress(content, 9) if deflated is None else deflated
    return [f"literal {size}", *base85_lines(data), ""]


def new_binary_file(path: str, content: bytes, **options: int | bytes | None) -> list[str]:
    """The section of a patch that adds `path` with `content` as a binary file."""
    return [
        f"diff --git a/{path} b/{path}",
        "new file mode 100644",
        f"index 0000000000000000000000000000000000000000..{blob_id(content)}",
        "GIT binary patch",
        *literal(content, **options),  # type: ignore[arg-type]
        "literal 0",
        "HcmV?d00001",
        "",
    ]
