"""Importing detect-secrets without importing `requests` until something really uses it.

detect-secrets imports `requests` at the top of its plugin modules for one purpose: *verifying*
a found secret against the live service. datumkit never verifies (ARCHITECTURE.md invariant 4:
no network outside `datum fetch`; :mod:`datumkit.secrets.detect` calls the plugins'
``analyze_string``, never ``verify``), yet `requests` (urllib3, http.client, ssl, charset
detection) is about half of what importing detect-secrets costs, and every pre-commit run paid
it.

:func:`import_detect_secrets` imports detect-secrets while ``sys.modules["requests"]`` is a
stand-in that imports the real library on first use of any of its names. The one name read
while detect-secrets is imported is ``requests.Response``, in the return annotation of two
verification functions; the stand-in answers it with a placeholder class (an annotation nobody
evaluates). The stand-in leaves ``sys.modules`` as soon as detect-secrets is imported, so any
later ``import requests`` anywhere gets the real module, and a verification (which datumkit
never asks for) would reach the real `requests` through the stand-in.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

#: detect-secrets' modules that `import requests` at their top, and the package (whose
#: __init__ imports its filters and plugin base, which import it too)
MODULES = (
    "detect_secrets",
    "detect_secrets.plugins.aws",
    "detect_secrets.plugins.cloudant",
    "detect_secrets.plugins.ibm_cloud_iam",
    "detect_secrets.plugins.ibm_cos_hmac",
    "detect_secrets.plugins.mailchimp",
    "detect_secrets.plugins.slack",
    "detect_secrets.plugins.softlayer",
    "detect_secrets.plugins.stripe",
    "detect_secrets.plugins.telegram_token",
)


class UnloadedResponse:
    """What ``requests.Response`` names in an annotation evaluated before `requests` loads."""


class _DeferredRequests(types.ModuleType):
    """`requests`, imported on the first use of any name but an early ``Response``."""

    _real: types.ModuleType | None = None

    def __getattr__(self, name: str) -> Any:
        if self._real is None:
            if name == "Response":
                return UnloadedResponse
            if sys.modules.get("requests") is self:
                del sys.modules["requests"]
            self._real = importlib.import_module("requests")
        return getattr(self._real, name)


def import_detect_secrets() -> None:
    """Import detect-secrets (and the plugin modules datumkit runs) without `requests`.

    Does nothing when detect-secrets is already imported, or `requests` is (nothing to save).
    """
    if "detect_secrets" in sys.modules or "requests" in sys.modules:
        return
    stand_in = _DeferredRequests("requests", "requests, imported on first use (see datumkit)")
    sys.modules["requests"] = stand_in
    try:
        for module in MODULES:
            importlib.import_module(module)
    finally:
        if sys.modules.get("requests") is stand_in:
            del sys.modules["requests"]
