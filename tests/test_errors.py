"""Errors carry data; the datum is named where it is known, never patched into another's text."""

from __future__ import annotations

from datumkit.errors import DatumError, detail_for_datum, for_datum
from datumkit.git.mirrors import MirrorMissing


def test_a_fetch_hint_without_a_datum_says_which_to_name() -> None:
    error = MirrorMissing("no local mirror of x", fetch_fixes="to create it")
    assert error.hint == "run `datum fetch NAME` (NAME: a datum of this upstream) to create it"


def test_for_datum_names_the_datum_and_detail_for_datum_leaves_the_error_alone() -> None:
    shared = MirrorMissing("no local mirror of x", fetch_fixes="to create it")
    assert (
        detail_for_datum(shared, "b77")
        == "no local mirror of x (run `datum fetch b77` to create it)"
    )
    assert "NAME" in shared.detail, "review shares one error between datums: never mutated"
    named = for_datum(shared, "b77")
    assert named.hint == "run `datum fetch b77` to create it"


def test_an_error_that_fetch_cannot_fix_keeps_its_hint() -> None:
    error = DatumError("bad", hint="fix it")
    assert for_datum(error, "b77").hint == "fix it"
    assert detail_for_datum(error, "b77") == "bad (fix it)"
