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

from audit.verdict.concerns import find_concerns
from audit.config import AuditConfig, GateSpec, load_config
from audit.exceptions import AuditError
from audit.result import SCHEMA_VERSION, AuditResult

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


def __getattr__(name: str):
    # Lazy: importing `audit` must not pull torch-heavy training code into the dashboard.
    if name in ("run_audit", "audit_model"):
        from audit.pipeline import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'audit' has no attribute {name!r}")
