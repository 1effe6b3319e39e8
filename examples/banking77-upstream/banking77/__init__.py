"""BANKING77-style intent classification baseline."""
