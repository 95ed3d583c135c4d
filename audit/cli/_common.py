"""Exit codes shared by the ``rai-audit`` subcommands."""

from __future__ import annotations

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "EXIT_ERROR", "EXIT_GATE_FAILED", "EXIT_OK"]

#: 0: every gate passed (or the command succeeded); 1: a gate failed, or ``verify`` found a
#: difference; 2: bad input or an error.
EXIT_OK, EXIT_GATE_FAILED, EXIT_ERROR = 0, 1, 2

#: Where ``rai-audit dashboard`` serves (this machine only), shared by the CLI parser and ``dashboard.launch``.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501
