"""Type conversion behind the result sections: JSON values in, declared types out.

:func:`to_jsonable` makes any section or value plain JSON; :class:`Schema` and
:func:`doc` attach JSON Schema keywords and descriptions to types and fields;
``_convert`` checks a value against a type hint and builds nested sections.

Examples
--------
>>> doc("share of rows", minimum=0)
{'doc': 'share of rows', 'minimum': 0}
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Schema", "doc", "json_key", "to_jsonable"]


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, tuples, sections and non-finite floats into plain JSON data.

    NaN and infinities become ``None``: an undefined number is reported as
    undefined, never as a number.

    Examples
    --------
    >>> to_jsonable({"a": np.float64("nan"), "b": (1, np.int64(2))})
    {'a': None, 'b': [1, 2]}
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type) and hasattr(obj, "to_dict"):  # a Section
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


def _type_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


def _declared_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls) if f.name != "extra")


# Cached per class. Typed as plain callables: mypy does not count a dataclass's type as Hashable (its instances are
# not, with eq=True), although every class object is.
_hints: Callable[[type], dict[str, Any]] = functools.cache(_type_hints)
_field_names: Callable[[type], frozenset[str]] = functools.cache(_declared_names)


def json_key(f: dataclasses.Field[Any]) -> str:
    """The JSON key of a dataclass field (``metadata["key"]`` or its name)."""
    return typing.cast(str, f.metadata.get("key", f.name))


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
    if isinstance(tp, type) and dataclasses.is_dataclass(tp) and hasattr(tp, "from_dict"):  # a Section
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


def _absent_value(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None
