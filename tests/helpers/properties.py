"""Hypothesis settings every property test shares.

Why one place: CI must give the same verdict on every run (``derandomize``: the examples follow
from the test, not from a clock), on a shared machine where a slow example is load, not a bug
(no deadline, no "too slow" health check), with the generated patches and texts that are large
by design (no "data too large" check). Only the number of examples differs between tests.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def ci_settings(max_examples: int) -> settings:
    """Deterministic settings for a property test trying `max_examples` examples."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
