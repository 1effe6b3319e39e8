"""One module per `datum` subcommand: plain arguments in, an exit code out.

cli.py only parses arguments and dispatches here; these functions print for the user and return
the documented exit code (README, "Exit codes"); they never call sys.exit.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_FAILED = 3
