"""The one switch for golden files: `DATUMKIT_UPDATE_GOLDEN=1 make test` rewrites them.

Review the diff after an intended change; without the switch a golden mismatch fails the test.
"""

from __future__ import annotations

import os

UPDATE = os.environ.get("DATUMKIT_UPDATE_GOLDEN") == "1"
