"""One datum's diff.patch is parsed once for the patch, secrets and leaks checks, never shared
between datums: the memo is keyed by the bytes object, not by its content."""

from __future__ import annotations

import pytest

from datumkit.git.errors import MalformedPatch
from datumkit.git.patchparse import parse_patch, parse_patch_once

PATCH = b"diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-old\n+new\n"


def test_the_same_object_is_parsed_once() -> None:
    patch = bytes(PATCH)
    first = parse_patch_once(patch)
    assert parse_patch_once(patch) is first
    assert first == parse_patch(patch)


def test_equal_content_in_another_object_is_parsed_again() -> None:
    """Two datums with the same patch each get their own parse (the benchmark's datums do)."""
    one, other = bytes(PATCH), b"".join([PATCH[:10], PATCH[10:]])
    assert one == other and one is not other
    parsed = parse_patch_once(one)
    again = parse_patch_once(other)
    assert again is not parsed and again == parsed


def test_errors_are_raised_fresh_each_time() -> None:
    """Callers rewrite the error they catch (file, location): each must get its own."""
    broken = b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n-only one line\n"
    with pytest.raises(MalformedPatch) as first:
        parse_patch_once(broken)
    first.value.location = "rewritten by a caller"
    with pytest.raises(MalformedPatch) as second:
        parse_patch_once(broken)
    assert second.value is not first.value
    assert second.value.location != "rewritten by a caller"
