import unittest

from banking77.classifier import build_classifier
from banking77.data import load_split


class ClassifierTest(unittest.TestCase):
    def test_predicts_a_known_label(self) -> None:
        labels = {label for _, label in load_split("train")}
        classifier = build_classifier().fit(load_split("train"))
        self.assertIn(classifier.predict("where is my new card?"), labels)

    def test_lost_card(self) -> None:
        classifier = build_classifier().fit(load_split("train"))
        self.assertEqual(classifier.predict("I lost my card yesterday"), "lost_or_stolen_card")


if __name__ == "__main__":
    unittest.main()
