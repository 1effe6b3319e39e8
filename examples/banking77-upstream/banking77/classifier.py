"""Baseline: hand-written keyword rules, first match wins."""

from __future__ import annotations

RULES: list[tuple[str, tuple[str, ...]]] = [
    ("card_arrival", ("arrive", "delivery")),
    ("exchange_rate", ("exchange rate",)),
    ("lost_or_stolen_card", ("lost", "stolen")),
    ("top_up_failed", ("top up", "top-up")),
    ("pin_blocked", ("pin",)),
    ("transfer_not_received_by_recipient", ("transfer",)),
]
FALLBACK = "card_arrival"


class KeywordClassifier:
    """Predicts the first intent whose keyword occurs in the message."""

    def fit(self, examples: list[tuple[str, str]]) -> KeywordClassifier:
        return self

    def predict(self, text: str) -> str:
        lowered = text.lower()
        for label, keywords in RULES:
            if any(keyword in lowered for keyword in keywords):
                return label
        return FALLBACK


def build_classifier() -> KeywordClassifier:
    return KeywordClassifier()
