"""The :class:`AuditResult`: the one record every report and the dashboard read.

It is plain, JSON-serialisable data with a ``schema_version``. Each concern has
its own section (documented in ``docs/audit_result.md`` and by the JSON Schema
shipped in ``reports/schema/``); a section that was not run is ``None`` and
renders as "not run", never as an error.

Examples
--------
>>> r = AuditResult(run={"name": "demo"}, data={}, models={})
>>> AuditResult.from_json(r.to_json()).run["name"]
'demo'
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from audit.exceptions import RunDirError

__all__ = ["SCHEMA_VERSION", "AuditResult", "to_jsonable"]

SCHEMA_VERSION = "1.0"


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, tuples and non-finite floats into plain JSON data.

    NaN and infinities become ``None``: an undefined number is reported as
    undefined, never as a number.
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    return obj


@dataclass
class AuditResult:
    """Everything one audit found.

    Attributes
    ----------
    run : dict
        Name, created time, seed, config (normalised) and its sha256, data and weight
        hashes, environment (Python, platform, library versions, git commit).
    data : dict
        Dataset, sizes, target, positive label, features, sensitive features, base rates,
        representation audit and identifier scan.
    models : dict
        ``{"reference": {...}, "private": {...}}``: test accuracy, ROC AUC, parameters,
        training settings and history.
    fairness, privacy, explainability, compute : dict or None
        One section per concern; ``None`` when not run.
    gates : list of dict
        Each gate with value, bound and pass/fail.
    verdict : str
        ``"pass"`` or ``"fail"``.
    artifacts : dict
        Relative paths of files beside ``audit.json`` (predictions, weights, cards, arrays).
    """

    run: dict[str, Any]
    data: dict[str, Any]
    models: dict[str, Any]
    fairness: dict[str, Any] | None = None
    privacy: dict[str, Any] | None = None
    explainability: dict[str, Any] | None = None
    compute: dict[str, Any] | None = None
    gates: list[dict[str, Any]] = field(default_factory=list)
    verdict: str = "pass"
    artifacts: dict[str, Any] = field(default_factory=dict)
    task: str = "binary-classification"
    schema_version: str = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (numpy converted, NaN as None)."""
        return to_jsonable(asdict(self))

    def to_json(self, *, indent: int | None = 1) -> str:
        """Serialise to a JSON string; refuses NaN (there is none after :func:`to_jsonable`)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditResult:
        """Rebuild from :meth:`to_dict` output; unknown keys are refused with their names."""
        if not isinstance(data, dict):
            raise RunDirError(f"An audit result must be a JSON object, found {type(data).__name__}.")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        missing = sorted(n for n in ("run", "data", "models") if n not in data)
        if unknown or missing:
            raise RunDirError(f"audit.json does not match schema {SCHEMA_VERSION}: unknown keys {unknown}, missing keys {missing}.")
        major = str(data.get("schema_version", "")).split(".")[0]
        if major != SCHEMA_VERSION.split(".")[0]:
            raise RunDirError(
                f"audit.json has schema_version {data.get('schema_version')!r}; this rai-audit reads {SCHEMA_VERSION}. "
                "Re-run the audit or use a matching rai-audit version."
            )
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> AuditResult:
        """Parse :meth:`to_json` output."""
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise RunDirError(f"audit.json is not valid JSON: {exc}.") from None
