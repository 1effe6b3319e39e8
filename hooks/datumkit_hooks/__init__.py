"""pre-commit entry points for datum repositories (installed as the `datumkit_hooks` package).

Thin on purpose: each hook maps the file names pre-commit passes to the datums they belong to and
calls the library. See `.pre-commit-hooks.yaml` for the hook ids.
"""
