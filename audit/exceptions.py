"""One exception hierarchy for rai-audit.

Every error a user can cause derives from :class:`AuditError`; the CLI turns
any of them into exit code 2 with the message and no traceback. Each family
also subclasses the builtin it resembles, as scikit-learn does, so callers can
catch ``ValueError`` or ``OSError`` as they are used to.
"""

from __future__ import annotations

__all__ = [
    "AuditError",
    "ConfigError",
    "DataError",
    "ModelError",
    "PrivacyError",
    "ExplainError",
    "RunDirError",
    "UnsafeFileError",
]


class AuditError(Exception):
    """Root of every error rai-audit raises on purpose.

    Parameters
    ----------
    message : str
        The whole message; say what was expected, what was found and how to fix it.
    problems : list of str, optional
        When validation collected several problems, each one on its own.
    """

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class ConfigError(AuditError, ValueError):
    """The audit configuration is invalid (unknown key, wrong type, bad value)."""


class DataError(AuditError, ValueError):
    """The data (table, predictions, labels, sensitive columns) cannot be audited as given."""


class ModelError(AuditError, ValueError):
    """The model cannot be built, loaded or run (bad factory, wrong output shape, bad weights)."""


class PrivacyError(AuditError, ValueError):
    """Differential-privacy settings or training cannot give the promised guarantee."""


class ExplainError(AuditError, ValueError):
    """Attributions cannot be computed or trusted (bad target, bad baseline, NaN)."""


class RunDirError(AuditError, OSError):
    """A run directory is missing, incomplete, corrupt, outside its root or unwritable."""


class UnsafeFileError(AuditError, ValueError):
    """A file would need unsafe deserialisation (e.g. a pickle payload) and was refused."""
