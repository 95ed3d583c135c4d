"""Exit codes shared by the ``rai-audit`` subcommands."""

from __future__ import annotations

__all__ = ["EXIT_ERROR", "EXIT_GATE_FAILED", "EXIT_OK"]

#: 0: every gate passed (or the command succeeded); 1: a gate failed, or ``verify`` found a
#: difference; 2: bad input or an error.
EXIT_OK, EXIT_GATE_FAILED, EXIT_ERROR = 0, 1, 2
