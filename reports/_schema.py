"""The published JSON Schema of ``audit.json`` and validation against it.

The schema (``reports/schema/audit.schema.json``, JSON Schema 2020-12) is the
contract for the keys readers rely on; objects accept extra keys so sections
can grow within schema 1.x. JSON Schema cannot see NaN or infinity (Python's
``json`` reads them as numbers), so validation also rejects non-finite numbers:
the audit record says ``null`` for undefined values.

Examples
--------
>>> schema_problems({"schema_version": "1.0"})[:1]
["(root): 'run' is a required property"]
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

from audit.exceptions import RunDirError

__all__ = ["SCHEMA_PATH", "load_schema", "schema_problems", "validate_result"]

SCHEMA_PATH = Path(__file__).parent / "schema" / "audit.schema.json"
MAX_PROBLEMS = 50
_MAX_MESSAGE = 200

_INVALID = ("audit.json does not match the published schema ({schema}): {n} problem(s).\n{problems}\n"
            "Expected a record written by 'rai-audit run' (see docs/audit_result.md); re-run the audit or fix the listed keys.")


@functools.cache
def load_schema() -> dict[str, Any]:
    """The JSON Schema of ``audit.json`` as a dict (cached)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _where(path: Any) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path)]
    return "".join(parts) or "(root)"


def _non_finite(x: Any, path: list, out: list[str]) -> None:
    if isinstance(x, float) and not math.isfinite(x):
        out.append(f"{_where(path)}: {x!r} is not allowed; undefined numbers must be null")
    elif isinstance(x, dict):
        for k, v in x.items():
            _non_finite(v, [*path, k], out)
    elif isinstance(x, list):
        for i, v in enumerate(x):
            _non_finite(v, [*path, i], out)


def schema_problems(result: Any) -> list[str]:
    """Every way ``result`` departs from the schema, as readable lines (empty when valid).

    Examples
    --------
    >>> schema_problems({"schema_version": "1.0", "run": {"name": "r", "created_at": "2024-01-01T00:00:00+00:00"},
    ...                  "data": {}, "models": {}, "gates": [], "verdict": "pass"})
    []
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    problems = []
    for err in sorted(validator.iter_errors(result), key=lambda e: [str(p) for p in e.absolute_path]):
        # oneOf/anyOf errors quote the whole instance; the deepest sub-error names the key that is wrong.
        while err.context:
            err = max(err.context, key=lambda e: len(e.absolute_path))
        message = err.message if len(err.message) <= _MAX_MESSAGE else err.message[:_MAX_MESSAGE] + "…"
        problems.append(f"{_where(list(err.absolute_path))}: {message}")
    _non_finite(result, [], problems)
    return problems


def validate_result(result: Any) -> None:
    """Raise :class:`~audit.exceptions.RunDirError` listing every schema problem, or return None.

    Examples
    --------
    >>> validate_result({"schema_version": "1.0"})
    Traceback (most recent call last):
    ...
    audit.exceptions.RunDirError: audit.json does not match the published schema ...
    """
    problems = schema_problems(result)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        more = [f"... and {len(problems) - MAX_PROBLEMS} more"] if len(problems) > MAX_PROBLEMS else []
        raise RunDirError(
            _INVALID.format(schema=SCHEMA_PATH.name, n=len(problems), problems="\n".join(f"  - {p}" for p in shown + more)),
            problems=problems,
        )
