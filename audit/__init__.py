"""rai-audit: a responsible-AI audit toolkit for PyTorch models."""

from audit.exceptions import AuditError

__version__ = "0.1.0"

__all__ = ["AuditError", "__version__"]
