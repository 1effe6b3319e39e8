"""datumkit: benchmark datums for coding agents, kept as code in git."""

#: The one place the version is written: pyproject.toml reads it (``dynamic = ["version"]``),
#: releases are tagged ``v<version>`` and `datum init` pins hooks and workflows to that tag.
__version__ = "0.1.0"
