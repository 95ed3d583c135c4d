"""Exit codes shared by the ``rai-audit`` subcommands, and the dashboard's default address."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from audit.choices import DASHBOARD_HOST as DEFAULT_HOST
from audit.choices import DASHBOARD_PORT as DEFAULT_PORT

if TYPE_CHECKING:
    import argparse

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "EXIT_ERROR", "EXIT_GATE_FAILED", "EXIT_OK", "Subparsers"]

#: What ``parser.add_subparsers()`` returns, to which each subcommand's ``add_subparser`` adds its parser.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

#: 0: every gate passed (or the command succeeded); 1: a gate failed, or ``verify`` found a
#: difference; 2: bad input or an error.
EXIT_OK, EXIT_GATE_FAILED, EXIT_ERROR = 0, 1, 2
