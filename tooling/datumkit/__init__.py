"""datumkit: benchmark datums for coding agents, kept as code in git."""

__version__ = "0.1.0"
