"""Review: what the datums of a range of commits mean to change, for a reviewer.

Read top-down: :mod:`.revisions` turns ``BASE..HEAD`` (or ``--staged``) into two snapshots of git
objects; :mod:`.gitfiles` reads datums from them without a checkout and finds the datum
directories that differ; :mod:`.compare` compares each changed datum's two sides, using
:mod:`.renames` (removed + added = renamed), :mod:`.fields` (datum.yaml), :mod:`.interdiff`
(diff.patch) and :mod:`.upstream` (the mirror: baseline moves and whether the patch applies).
What it finds is plain data (:mod:`.results`); :mod:`.render_text`, :mod:`.render_markdown` and
:mod:`.render_json` present it; :mod:`.phrases` holds the words the first two share.
"""

from __future__ import annotations

from datumkit.review.compare import review_range
from datumkit.review.results import DatumReview, Review
from datumkit.review.revisions import ReviewRange, open_repository, resolve_range
from datumkit.review.upstream import Mirrors

__all__ = [
    "DatumReview",
    "Mirrors",
    "Review",
    "ReviewRange",
    "open_repository",
    "resolve_range",
    "review_range",
]
