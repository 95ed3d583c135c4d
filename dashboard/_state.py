"""Which runs root and run are open, and the cached loaders every page shares.

Caching: a sealed run is identified by its path and the sha256 of its
``manifest.json`` (which covers every file but the review record), so a run
re-written under the same name is loaded afresh while page switches and slider
moves reuse what is in memory. The typed record and the large objects (the
predictions frame, threshold curves) use ``st.cache_resource`` so a cache hit does
not copy them (st.cache_data unpickled the whole record 3-8 times per page view,
6-75 ms each); pages treat them as read-only (tests/dashboard/test_pages.py checks
that rendering every page leaves the record unchanged).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from audit.exceptions import AuditError, RunDirError
from audit.fairness import MISSING_GROUP, threshold_analysis
from audit.records.rundir import confine, list_runs, load_result, manifest_sha256
from audit.result import AuditResult
from dashboard._data import as_result, read_predictions, run_array, run_file, run_summary

__all__ = [
    "COHORTS_KEY", "ROOT_ENV", "RUN_KEY", "RUN_PARAM", "Run", "active_cohort", "current_run", "list_run_names", "load_run",
    "TRUST_ENV", "predictions", "run_picker", "runs_root", "select_run", "set_cohort", "summaries", "test_features",
    "threshold_curves", "trusted_factories",
]

ROOT_ENV = "RAI_AUDIT_RUNS_ROOT"
TRUST_ENV = "RAI_AUDIT_TRUST_FACTORIES"  # comma-separated module:function, as --trust-factory
_ROOT_KEY = "_runs_root"
RUN_KEY = "run"  # the selected run's name: plain session state, never a widget's key (see select_run)
RUN_PARAM = "run"  # ...and in every page's URL, ?run=NAME
_PICKER_KEY = "_run_picker"  # the sidebar selectbox's own key
_REFUSED_KEY = "_run_refused"  # a name a link gave that is not a run under the root
COHORTS_KEY = "cohorts"  # name → conditions, saved for this session
_ACTIVE_KEY = "cohort_active"  # the conditions every scoped page uses (mirrored in ?cohort=)

_NO_ROOT = ("The runs root {root} is not a directory. Fix: start the dashboard with 'rai-audit dashboard PATH' naming the "
            "folder that holds your run directories.")


@dataclass(frozen=True)
class Run:
    """An opened run: where it is, its identity and its typed ``audit.json``."""

    name: str
    path: Path
    sha: str
    result: AuditResult


def runs_root() -> Path:
    """The runs root fixed at start-up: ``--runs-root`` after ``--`` on the command line, else $RAI_AUDIT_RUNS_ROOT, else ``runs``.

    Read once per session and kept; nothing in the UI can change it.
    """
    if _ROOT_KEY not in st.session_state:
        given = _launch_values("--runs-root")
        root = (given[-1] if given else None) or os.environ.get(ROOT_ENV) or "runs"
        st.session_state[_ROOT_KEY] = str(Path(root).resolve())
    return Path(st.session_state[_ROOT_KEY])


def _launch_values(flag: str) -> list[str]:
    """Every value of ``flag`` among the app's own arguments (what the launcher passes after ``--``), in order."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(flag, action="append", default=[], dest="values")
    known, _ = parser.parse_known_args(sys.argv[1:])
    return list(known.values)


def trusted_factories() -> frozenset[str]:
    """The model factories What-if may import and run to rebuild a run's model: ``--trust-factory`` after ``--`` on
    the command line (``rai-audit dashboard --trust-factory M:F``), else $RAI_AUDIT_TRUST_FACTORIES (comma-separated).

    Only the person who starts the server can trust a factory; nothing in a run or the UI can add one.
    """
    named = _launch_values("--trust-factory") or [f for f in os.environ.get(TRUST_ENV, "").split(",") if f.strip()]
    return frozenset(f.strip() for f in named)


def list_run_names(root: Path) -> list[str]:
    """Names of the complete runs directly under ``root``, newest first."""
    return [p.name for p in list_runs(root)]


def select_run(names: list[str]) -> tuple[str, str | None]:
    """The run every page shows, kept in the session and in the URL; and a name the link gave that is not a run.

    The URL's ``?run=`` wins (a shared link opens the run it names), then the session's choice, and only
    when neither names a listed run the newest one. The choice lives under a plain session key rather than the
    sidebar widget's: Streamlit drops a widget's state when a page switch (``st.switch_page``) skips it,
    which fell back to the newest run. The URL is set again on every rerun, because a page switch drops it.

    Examples
    --------
    >>> chosen, unknown = select_run(["newest", "alpha"])  # doctest: +SKIP (inside a Streamlit script run)
    """
    wanted = st.query_params.get(RUN_PARAM)
    current = st.session_state.get(RUN_KEY)
    chosen = wanted if wanted in names else current if current in names else names[0]
    st.session_state[RUN_KEY] = chosen
    if wanted is not None and wanted not in names:
        st.session_state[_REFUSED_KEY] = wanted  # said on every page until a run is picked (the URL names the run shown)
    if st.query_params.get(RUN_PARAM) != chosen:
        st.query_params[RUN_PARAM] = chosen
    return chosen, st.session_state.get(_REFUSED_KEY)


def _picked() -> None:
    """The sidebar picker changed: the session and the URL follow it (before the rerun reads them)."""
    st.session_state[RUN_KEY] = st.session_state[_PICKER_KEY]
    st.session_state.pop(_REFUSED_KEY, None)
    st.query_params[RUN_PARAM] = st.session_state[_PICKER_KEY]


def run_picker(names: list[str], chosen: str) -> None:
    """The sidebar's run selectbox, showing ``chosen`` (from :func:`select_run`)."""
    st.session_state[_PICKER_KEY] = chosen
    st.selectbox("Run", names, key=_PICKER_KEY, on_change=_picked,
                 help="Runs under the runs root, newest first (by creation time). The run is kept in the page's link.")


def _open(root: Path, name: str) -> tuple[Path, str]:
    path = confine(name, root)
    if path.parent != Path(root).resolve():
        raise RunDirError(f"{name!r} is not a run directly under the runs root {root}. Fix: pick a run from the list.")
    return path, manifest_sha256(path)


@st.cache_resource(max_entries=64, show_spinner=False)  # shared, not copied: pages only read the record
def _load_result(path: str, sha: str) -> AuditResult:
    return as_result(load_result(path))


def load_run(root: Path, name: str) -> Run:
    """Open the run ``name`` under ``root`` (confined: ``..``, absolute paths and links out are refused).

    Raises
    ------
    RunDirError
        When the name escapes the root or the run is incomplete or corrupt.
    """
    path, sha = _open(root, name)
    return Run(name=path.name, path=path, sha=sha, result=_load_result(str(path), sha))


def summaries(root: Path, names: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The Runs table, and a message for each run that could not be read (shown, not raised)."""
    rows, errors = [], []
    for name in names:
        try:
            rows.append(run_summary(load_run(root, name).result, name=name))
        except AuditError as exc:
            errors.append(f"{name}: {exc}")
    return pd.DataFrame(rows), errors


@st.cache_resource(max_entries=8, show_spinner=False)
def _predictions(path: str, sha: str, rel: str) -> pd.DataFrame:
    return read_predictions(run_file(Path(path), rel), task=_load_result(path, sha).kind)  # what the labels are


def predictions(run: Run) -> pd.DataFrame:
    """The run's ``predictions.csv`` (cached per run; do not modify the frame)."""
    rel = run.result.artifacts.predictions or "predictions.csv"
    return _predictions(str(run.path), run.sha, rel)


@st.cache_resource(max_entries=64, show_spinner=False)
def _curves(path: str, sha: str, model: str, feature: str) -> dict[str, Any]:

    frame = _predictions(path, sha, _pred_rel(path, sha))
    part = frame[frame["model"] == model]
    if " & " in feature and feature not in part:
        cols = [c.strip() for c in feature.split(" & ")]
        sensitive = part[cols].astype("string").fillna(MISSING_GROUP).agg(" & ".join, axis=1).rename(feature)
    else:
        sensitive = part[feature].rename(feature)
    return threshold_analysis(y_true=part["y_true"].to_numpy(), y_score=part["y_score"].to_numpy(),
                              sensitive=sensitive, thresholds=None, pos_label=1)


def _pred_rel(path: str, sha: str) -> str:
    return _load_result(path, sha).artifacts.predictions or "predictions.csv"


def threshold_curves(run: Run, *, model: str, feature: str) -> dict[str, Any]:
    """Per-group cumulative counts at every distinct score (one sort per group), cached per run, model and feature."""
    return _curves(str(run.path), run.sha, model, feature)


def current_run() -> Run | None:
    """The run picked in the sidebar, or None (pages then say so and stop)."""
    name = st.session_state.get(RUN_KEY)
    if not name:
        return None
    return load_run(runs_root(), name)


@st.cache_resource(max_entries=8, show_spinner=False)
def _features(path: str, sha: str) -> pd.DataFrame | None:
    from audit.slices import unpack_features

    result = _load_result(path, sha)
    section = result.slices
    if section is None or not section.test_features:
        return None
    array = run_array(Path(path), section.test_features)
    return unpack_features(array, [c.to_dict() for c in section.features])


def test_features(run: Run) -> pd.DataFrame | None:
    """The raw test features the error-analysis stage stored (rows in predictions.csv order), or None for older runs.

    Raises
    ------
    AuditError
        When the file is missing, escapes the run or does not match its layout.
    """
    return _features(str(run.path), run.sha)


def active_cohort() -> list[dict[str, Any]]:
    """The active cohort's conditions: the session's, else the URL's ``?cohort=`` (empty: the whole test set)."""
    from dashboard._cohorts import COHORT_PARAM, decode, encode

    if _ACTIVE_KEY not in st.session_state:
        st.session_state[_ACTIVE_KEY] = decode(st.query_params.get(COHORT_PARAM)) or []
    conds = list(st.session_state[_ACTIVE_KEY])
    if conds and st.query_params.get(COHORT_PARAM) != encode(conds):
        st.query_params[COHORT_PARAM] = encode(conds)  # a page switch drops the query string; the link keeps the cohort
    return conds


def set_cohort(conditions: list[dict[str, Any]] | None, *, name: str | None = None) -> None:
    """Make ``conditions`` the active cohort (saved under ``name`` when given) and put it in the URL."""
    from dashboard._cohorts import COHORT_PARAM, encode, from_slice

    conds = from_slice(list(conditions or []))
    st.session_state[_ACTIVE_KEY] = conds
    if name:
        st.session_state.setdefault(COHORTS_KEY, {})[name] = conds
    if conds:
        st.query_params[COHORT_PARAM] = encode(conds)
    elif COHORT_PARAM in st.query_params:
        del st.query_params[COHORT_PARAM]


def saved_cohorts() -> dict[str, list[dict[str, Any]]]:
    """The cohorts saved in this session, by name."""
    return dict(st.session_state.get(COHORTS_KEY) or {})
