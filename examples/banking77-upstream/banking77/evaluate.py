"""Evaluate the classifier on the test split and print the result as JSON."""

from __future__ import annotations

import json

from banking77.classifier import build_classifier
from banking77.data import load_split


def accuracy() -> float:
    classifier = build_classifier().fit(load_split("train"))
    test = load_split("test")
    correct = sum(classifier.predict(text) == label for text, label in test)
    return correct / len(test)


def main() -> None:
    print(json.dumps({"split": "test", "accuracy": round(accuracy(), 4)}))


if __name__ == "__main__":
    main()
