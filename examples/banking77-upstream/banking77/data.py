"""Loading the labelled sample: CSV files with `text,label` rows."""

from __future__ import annotations

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def load_split(split: str) -> list[tuple[str, str]]:
    """Return (text, label) pairs of `split` ("train" or "test")."""
    with open(DATA_DIR / f"{split}.csv", newline="", encoding="utf-8") as handle:
        return [(row["text"], row["label"]) for row in csv.DictReader(handle)]
