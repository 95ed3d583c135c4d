"""rai-audit: a responsible-AI audit toolkit for PyTorch models.

The public surface: load a config and run the audit (:func:`run_audit`), or
audit a model trained elsewhere (:func:`audit_model`); both return an
:class:`AuditResult`.

Examples
--------
>>> import audit
>>> cfg = audit.load_config("examples/adult/audit.toml")  # doctest: +SKIP
>>> outcome = audit.run_audit(cfg)  # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from audit.config import AuditConfig, GateSpec, load_config
from audit.exceptions import AuditError
from audit.result import SCHEMA_VERSION, AuditResult
from audit.verdict.concerns import find_concerns

# Imported on first use (torch-heavy training code stays out of the dashboard and the CLI's start), and
# declared here for type checkers and IDEs; tests/audit/test_public_api.py keeps the two in sync.
_LAZY = {"run_audit": "audit.pipeline.runner", "audit_model": "audit.pipeline.runner"}

if TYPE_CHECKING:
    from audit.pipeline.runner import audit_model, run_audit

__version__ = "0.1.0"

__all__ = [
    "SCHEMA_VERSION",
    "AuditConfig",
    "AuditError",
    "AuditResult",
    "GateSpec",
    "__version__",
    "audit_model",
    "find_concerns",
    "load_config",
    "run_audit",
]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'audit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
