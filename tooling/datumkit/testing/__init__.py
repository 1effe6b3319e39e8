"""`datum test`: run a datum's declared tests on the baseline and the patched tree, decide the
verdict (FAIL_TO_PASS, PASS_TO_PASS, metric bounds, missing and flaky tests), write the receipt.

Modules: `trees` (the two trees), `sandbox` (clean environment, venv, timeout), `results`
(JUnit XML), `metric`, `verdict` (pure rules), `run` (one datum, venv runner), `docker` (the
Docker runner), `receipt` (verification.json).
"""
