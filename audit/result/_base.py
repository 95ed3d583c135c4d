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
import functools
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

__all__ = ["Schema", "Section", "doc", "to_jsonable"]


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, tuples, sections and non-finite floats into plain JSON data.

    NaN and infinities become ``None``: an undefined number is reported as
    undefined, never as a number.

    Examples
    --------
    >>> to_jsonable({"a": np.float64("nan"), "b": (1, np.int64(2))})
    {'a': None, 'b': [1, 2]}
    """
    if isinstance(obj, Section):
        return obj.to_dict()
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    return obj


@dataclass(frozen=True)
class Schema:
    """JSON Schema keywords attached to a type with ``typing.Annotated``.

    ``name`` (optional) puts the schema in ``$defs`` under that name and refers to it.

    Examples
    --------
    >>> Schema(pattern="^a$").keywords
    {'pattern': '^a$'}
    """

    name: str | None = None
    keywords: dict[str, Any] = field(default_factory=dict)

    def __init__(self, name: str | None = None, /, **keywords: Any) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "keywords", {k.rstrip("_"): v for k, v in keywords.items()})

    def __hash__(self) -> int:
        return hash((self.name, repr(sorted(self.keywords.items()))))


def doc(text: str, **meta: Any) -> dict[str, Any]:
    """Field metadata: a one-line description plus schema hints.

    Hints: ``key`` (the JSON key when it is not a Python name), ``required``
    (force the key into the schema's ``required`` list although the field has a
    default), ``flatten`` (a ``dict`` field whose entries sit at the section's
    own level), and any JSON Schema keyword (``minimum``, ``maximum``,
    ``exclusiveMinimum``, ``pattern``...) applied to the field's non-null value.

    Examples
    --------
    >>> doc("share of rows", minimum=0, maximum=1)
    {'doc': 'share of rows', 'minimum': 0, 'maximum': 1}
    """
    return {"doc": text, **meta}


class _Mismatch(Exception):
    """A value does not have the shape its field declares (internal)."""


_MISSING = object()


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls) if f.name != "extra")


def json_key(f: dataclasses.Field) -> str:
    """The JSON key of a dataclass field (``metadata["key"]`` or its name)."""
    return f.metadata.get("key", f.name)


def _convert(tp: Any, value: Any) -> Any:
    """``value`` as an instance of type ``tp``, or raise :class:`_Mismatch`."""
    if value is None:
        if tp is Any or _allows_none(tp):
            return None
        raise _Mismatch
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _convert(typing.get_args(tp)[0], value)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        for arm in typing.get_args(tp):
            if arm is type(None):
                continue
            try:
                return _convert(arm, value)
            except _Mismatch:
                pass
        raise _Mismatch
    if origin is typing.Literal:
        allowed = typing.get_args(tp)
        if isinstance(value, type(allowed[0])):
            return value  # an unknown choice from a newer 1.x is kept; the schema judges it
        raise _Mismatch
    if origin is list:
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if not isinstance(value, (list, tuple)):
            raise _Mismatch
        (item,) = typing.get_args(tp)
        return [_convert(item, v) for v in value]
    if origin is dict:
        if not isinstance(value, dict):
            raise _Mismatch
        _, item = typing.get_args(tp)
        return {str(k): _convert(item, v) for k, v in value.items()}
    if isinstance(tp, type) and issubclass(tp, Section):
        if isinstance(value, tp):
            return value
        if isinstance(value, dict):
            return tp.from_dict(value)
        raise _Mismatch
    return _leaf(tp, value)


def _converted(tp: Any, value: Any) -> Any:
    """``value`` converted to ``tp``, or :data:`_MISSING` when it does not fit."""
    try:
        return _convert(tp, value)
    except _Mismatch:
        return _MISSING


def _leaf(tp: type, value: Any) -> Any:
    if isinstance(value, (np.generic, np.ndarray)):
        value = to_jsonable(value)
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return value  # JSON Schema counts 1.0 as an integer; kept as written
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value if not isinstance(value, float) or math.isfinite(value) else None
    elif tp is str:
        if isinstance(value, str):
            return value
    else:
        raise TypeError(f"unsupported field type {tp!r} in a result section")
    raise _Mismatch


def _allows_none(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _allows_none(typing.get_args(tp)[0])
    return origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)


def _absent_value(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


@dataclass(kw_only=True)
class Section:
    """Base of every result section: typed fields plus ``extra`` for keys it does not declare.

    Build one from plain data with :meth:`from_dict` (or by passing plain dicts
    to the constructor: nested sections are converted) and write it back with
    :meth:`to_dict`.
    """

    extra: dict[str, Any] = field(default_factory=dict, repr=False,
                                  metadata=doc("keys this version does not declare, kept verbatim"))

    _read_keys: ClassVar[tuple[str, ...] | None] = None

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
    def _typed_fields(cls) -> list[dataclasses.Field]:
        return [f for f in dataclasses.fields(cls) if f.name != "extra"]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
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
        obj._read_keys = tuple(data)
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

    # Transitional dict-style access, kept only until audit/runner.py and tests/audit/test_runner.py
    # read and set attributes (issue 12); new code must use attributes. Delete with its test.
    def _field_for(self, key: str) -> dataclasses.Field | None:
        return next((f for f in self._typed_fields() if json_key(f) == key and not f.metadata.get("flatten")), None)

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
