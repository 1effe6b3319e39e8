"""Tree entry names git refuses to check out, and why (git's verify_path and friends).

An upstream is untrusted: a crafted tree can name an entry `..`, `.git`, or a name Windows or
macOS file systems turn into `.git` (`.GIT.`, `git~1`, `.g\u200cit`). `git checkout` refuses them
(core.protectNTFS is on by default, and the HFS rules cost nothing), and so does materialize:
such a tree never reaches a disk through datumkit.
"""

from __future__ import annotations

import re

#: code points HFS+ ignores when comparing names (git's next_hfs_char)
_HFS_IGNORED = re.compile("[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]")
#: .git followed by NTFS-stripped trailing dots/spaces, or an alternate data stream
_NTFS_DOTGIT = re.compile(r"^(?:\.git|git~1)[. ]*(?::.*)?$", re.IGNORECASE)
#: files git refuses as symbolic links (they would be read through the link)
_NO_SYMLINK = (".gitmodules", ".gitattributes", ".gitignore", ".mailmap")


def refused_name(name: str, *, symlink: bool = False) -> str | None:
    """Why git would refuse a tree entry called `name` (None: it is fine)."""
    if name in ("", ".", ".."):
        return f"the tree entry {name!r} is not a file name"
    if "/" in name or "\0" in name:
        return f"the tree entry {name!r} contains '/' or NUL"
    if name.lower() == ".git":
        return "a tree entry named .git would replace the repository's own directory"
    if _NTFS_DOTGIT.match(name):
        return f"{name!r} means .git on NTFS (git refuses it: core.protectNTFS)"
    if _HFS_IGNORED.sub("", name).lower() == ".git":
        return f"{name!r} means .git on HFS+ (git refuses it: core.protectHFS)"
    if "\\" in name and any(
        refused_name(part) for part in name.split("\\") if part not in ("", ".", "..")
    ):
        return f"{name!r} names .git on NTFS, where '\\' separates directories"
    if symlink:
        base = _HFS_IGNORED.sub("", name).lower().rstrip(". ")
        if base in _NO_SYMLINK:
            return f"{name!r} may not be a symbolic link (git refuses it)"
    return None
