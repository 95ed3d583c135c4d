"""Temporary dict-style access to result sections (``result.run["name"]``, ``artifacts.setdefault(...)``).

Kept only until ``audit/pipeline/runner.py``, ``examples/`` and ``tests/audit/pipeline/test_runner.py`` read and set
attributes (issue 12); new code must use attributes. Delete this module, its base in
:class:`audit.result._base.Section` and ``test_transitional_dict_style_mutation_still_works``.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import TYPE_CHECKING, Any

from audit.result._convert import _absent_value, _convert, _hints, _Mismatch

__all__ = ["DictAccess"]


class DictAccess:
    """Mapping-style reads and writes on a section's JSON keys (temporary; use attributes)."""

    if TYPE_CHECKING:  # what it reads of the Section it is mixed into
        extra: dict[str, Any]

        @classmethod
        def _typed_fields(cls) -> list[dataclasses.Field[Any]]: ...

        def _field_for(self, key: str) -> dataclasses.Field[Any] | None: ...

    def _flat(self) -> dict[str, Any] | None:
        f = next((f for f in self._typed_fields() if f.metadata.get("flatten")), None)
        return None if f is None else getattr(self, f.name)

    def __getitem__(self, key: str) -> Any:
        f = self._field_for(key)
        if f is not None and (key not in self.extra or getattr(self, f.name) != _absent_value(f)):
            return getattr(self, f.name)
        flat = self._flat()
        if flat is not None and key in flat:
            return flat[key]
        return self.extra[key]

    def __setitem__(self, key: str, value: Any) -> None:
        f = self._field_for(key)
        flat = self._flat()
        if f is not None:
            try:
                setattr(self, f.name, _convert(_hints(type(self))[f.name], value))
                self.extra.pop(key, None)
                return
            except _Mismatch:
                pass
        elif flat is not None and isinstance(value, dict):
            flat_field = next(g for g in self._typed_fields() if g.metadata.get("flatten"))
            flat[key] = _convert(typing.get_args(_hints(type(self))[flat_field.name])[1], value)
            return
        self.extra[key] = value

    def __contains__(self, key: str) -> bool:
        try:
            return self[key] is not None
        except KeyError:
            return False

    def get(self, key: str, default: Any = None) -> Any:
        """Transitional dict-style read (use the attribute)."""
        try:
            value = self[key]
        except KeyError:
            return default
        return default if value is None else value

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Transitional dict-style ``setdefault`` (set the attribute)."""
        if key not in self:
            self[key] = default
        return self[key]
