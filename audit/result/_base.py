"""The machinery every result section shares: typed fields, tolerant reading, lossless writing.

A section is a keyword-only dataclass deriving from :class:`Section`. Each field
carries a one-line description in ``field(metadata={"doc": ...})``; the JSON
Schema (``reports/schema/audit.schema.json``) and the field reference in
``docs/audit_result.md`` are generated from these classes.

Reading is tolerant and writing is lossless:

* keys a section does not declare are kept in its ``extra`` mapping;
* a value whose shape does not match its field's type is kept verbatim in
  ``extra`` too, and the field reads as its default (``None`` or empty), so a
  typed field always holds its declared type;
* :meth:`Section.to_dict` writes back exactly the keys that were read, in the
  order they were read, followed by any field set afterwards, so
  ``Cls.from_dict(d).to_dict() == d`` for every record this package wrote.

A section built directly (not read) writes every field, ``None`` as ``null``.

Examples
--------
>>> from audit.result import Metric
>>> m = Metric.from_dict({"value": 0.5, "ci": [0.4, 0.6], "note": "kept"})
>>> m.value, m.extra
(0.5, {'note': 'kept'})
>>> m.to_dict()
{'value': 0.5, 'ci': [0.4, 0.6], 'note': 'kept'}
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from audit.result._convert import (
    _MISSING,
    Schema,
    _absent_value,
    _convert,
    _converted,
    _field_names,
    _hints,
    _Mismatch,
    doc,
    json_key,
    to_jsonable,
)
from audit.result._legacy import DictAccess


def _required(f: dataclasses.Field[Any]) -> bool:
    """A field the schema requires: no default, or marked ``required``."""
    no_default = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    return no_default or bool(f.metadata.get("required"))

__all__ = ["Schema", "Section", "doc", "to_jsonable"]

_S = TypeVar("_S", bound="Section")


@dataclass(kw_only=True)
class Section(DictAccess):
    """Base of every result section: typed fields plus ``extra`` for keys it does not declare.

    Build one from plain data with :meth:`from_dict` (or by passing plain dicts
    to the constructor: nested sections are converted) and write it back with
    :meth:`to_dict`.
    """

    extra: dict[str, Any] = field(default_factory=dict, repr=False,
                                  metadata=doc("keys this version does not declare, kept verbatim"))

    _read_keys: ClassVar[tuple[str, ...] | None] = None
    #: A section built in code leaves optional fields that are None out (1.0 readers require non-null values
    #: wherever many keys are present); required fields are always written. Sections that must list every
    #: key (AuditResult, GateResult) set this to False.
    _omit_none: ClassVar[bool] = True

    def __post_init__(self) -> None:
        hints = _hints(type(self))
        for f in self._typed_fields():
            value = getattr(self, f.name)
            if value is None:
                continue  # a required field missing from a tolerant read; the schema judges the record
            try:
                converted = _convert(hints[f.name], value)
            except _Mismatch:
                self.extra.setdefault(json_key(f), value)
                converted = _absent_value(f)
            if converted is not value:
                object.__setattr__(self, f.name, converted)
        object.__setattr__(self, "_ready", True)

    def __setattr__(self, name: str, value: Any) -> None:
        """Assigning plain data to a typed field converts it (``result.gates = [{...}]`` gives GateResults)."""
        hints = _hints(type(self))
        if name in _field_names(type(self)) and self.__dict__.get("_ready"):
            try:
                value = _convert(hints[name], value)
            except _Mismatch:
                raise TypeError(f"{type(self).__name__}.{name} expects {hints[name]}, "
                                f"found {type(value).__name__}: {value!r:.80}") from None
        object.__setattr__(self, name, value)

    @classmethod
    def _typed_fields(cls) -> list[dataclasses.Field[Any]]:
        return [f for f in dataclasses.fields(cls) if f.name != "extra"]

    @classmethod
    def from_dict(cls: type[_S], data: dict[str, Any]) -> _S:
        """Read a section from plain JSON data; unknown keys go to ``extra``.

        Missing fields take their default (``None`` or empty); a required field
        that is missing reads as ``None``.
        """
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__} must be read from a JSON object, found {type(data).__name__}")
        known = {json_key(f): f for f in cls._typed_fields()}
        flat = next((f for f in known.values() if f.metadata.get("flatten")), None)
        flat_item = typing.get_args(_hints(cls)[flat.name])[1] if flat is not None else None
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            if key in known and flat is not known[key]:
                kwargs[known[key].name] = value
            elif flat is not None and value is not None and (item := _converted(flat_item, value)) is not _MISSING:
                kwargs.setdefault(flat.name, {})[key] = item
            else:
                extra[key] = value
        for f in known.values():
            if f.name not in kwargs and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                kwargs[f.name] = None
        obj = cls(**kwargs, extra=extra)
        object.__setattr__(obj, "_read_keys", tuple(data))  # this instance's keys shadow the class's None
        return obj

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: the keys read (in their order), then fields set since, then ``extra``."""
        read = self._read_keys
        written: dict[str, Any] = {}
        for f in self._typed_fields():
            value = getattr(self, f.name)
            if f.metadata.get("flatten"):
                for k, v in (value or {}).items():
                    written[k] = to_jsonable(v)
                continue
            key = json_key(f)
            is_absent = value == _absent_value(f)
            if key in self.extra and is_absent:
                continue
            if read is not None and key not in read and is_absent:
                continue
            if value is None and self._omit_none and not _required(f) and (read is None or key not in read):
                continue
            written[key] = to_jsonable(value)
        for key, value in self.extra.items():
            written.setdefault(key, to_jsonable(value))
        if read is None:
            return written
        ordered = {k: written[k] for k in read if k in written}
        ordered.update((k, v) for k, v in written.items() if k not in ordered)
        return ordered

    def has(self, key: str) -> bool:
        """Whether ``key`` was given: read from the source, set since, or (for a section built in code) not None.

        Tells an absent key from one given as ``null`` in a record that was read.

        Examples
        --------
        >>> from audit.result import Privacy
        >>> Privacy.from_dict({"identifier_scan": None}).has("identifier_scan"), Privacy.from_dict({}).has("identifier_scan")
        (True, False)
        """
        if key in self.extra:
            return True
        f = self._field_for(key)
        value = getattr(self, f.name) if f is not None else None
        if self._read_keys is not None and key in self._read_keys:
            return True
        if self._read_keys is not None:
            return f is not None and value != _absent_value(f)
        return value is not None

    def _field_for(self, key: str) -> dataclasses.Field[Any] | None:
        return next((f for f in self._typed_fields() if json_key(f) == key and not f.metadata.get("flatten")), None)
