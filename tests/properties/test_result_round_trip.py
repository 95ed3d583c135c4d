"""Property: any audit result survives audit.json and the run directory unchanged, with no NaN on disk."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.records.rundir import RunDirWriter, is_complete_run, load_result, verify_run
from audit.result import AuditResult, to_jsonable

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False), _text)
_json = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_text, inner, max_size=4)),
                     max_leaves=25)
# What sections really hold before conversion: numpy scalars and arrays, NaN, infinities, tuples.
_raw_scalars = st.one_of(
    _scalars,
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True).map(np.float64),
    st.integers(-1000, 1000).map(np.int64),
    st.booleans().map(np.bool_),
)
_raw = st.recursive(_raw_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple), st.dictionaries(_text, inner, max_size=4),
    st.lists(st.floats(allow_nan=True), max_size=4).map(lambda xs: np.asarray(xs, dtype=np.float64)),
), max_leaves=25)


def _no_nan(obj) -> bool:
    if isinstance(obj, float):
        return math.isfinite(obj)
    if isinstance(obj, dict):
        return all(isinstance(k, str) and _no_nan(v) for k, v in obj.items())
    if isinstance(obj, list):
        return all(_no_nan(v) for v in obj)
    return obj is None or isinstance(obj, (bool, int, str))


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["fairness", "privacy", "explainability", "compute"]), _raw),
       st.dictionaries(_text, _json, max_size=4))
def test_sections_become_plain_json_without_nan(sections, run):
    result = AuditResult(run=run, data={}, models={}, **{k: {"x": v} for k, v in sections.items()})
    plain = result.to_dict()
    assert _no_nan(plain)
    text = result.to_json()  # allow_nan=False: raises if any NaN survived
    again = AuditResult.from_json(text)
    assert again.to_dict() == plain


@settings(max_examples=25, deadline=None)
@given(run=st.dictionaries(_text, _json, max_size=4), section=_json, gates=st.lists(st.dictionaries(_text, _json, max_size=3), max_size=3),
       verdict=st.sampled_from(["pass", "fail"]))
def test_run_directory_round_trip_and_copy_verifies(tmp_path_factory, run, section, gates, verdict):
    root = tmp_path_factory.mktemp("rt")
    result = AuditResult(run=run, data={"section": section}, models={}, gates=gates, verdict=verdict)
    with RunDirWriter(root / "run") as w:
        w.write_json("audit.json", result.to_dict())
    assert is_complete_run(root / "run") and not [p for p in root.iterdir() if p.name.startswith(".")]
    loaded = load_result(root / "run")
    assert loaded == json.loads(result.to_json())
    assert AuditResult.from_dict(loaded).to_dict() == result.to_dict()
    moved = root / "elsewhere" / "deeper" / "copy"
    shutil.copytree(root / "run", moved)
    assert verify_run(moved)["ok"], "a run copied to another path must still verify"


def test_to_jsonable_handles_numpy_and_non_finite():
    out = to_jsonable({"a": np.float32(0.5), "b": np.array([1.0, np.nan, np.inf]), "c": (np.int64(3), np.bool_(True))})
    assert out == {"a": 0.5, "b": [1.0, None, None], "c": [3, True]}
