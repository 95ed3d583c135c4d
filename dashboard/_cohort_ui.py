"""The cohort banner every scoped page shows, and the rows a cohort selects in a run.

Rows: the raw test features the error-analysis stage stored; for a run without them, the
sensitive columns of ``predictions.csv`` (so a cohort on ``sex`` or ``race`` still works).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from audit.exceptions import AuditError
from dashboard._cohorts import cohort_label, cohort_mask
from dashboard._data import PREDICTION_COLUMNS, md_escape
from dashboard._state import Run, active_cohort, predictions, set_cohort, test_features

__all__ = ["cohort_frame", "cohort_rows", "cohort_scope"]


def cohort_frame(run: Run) -> pd.DataFrame:
    """The columns a cohort can filter on, one row per test row (predictions.csv order)."""
    try:
        feats = test_features(run)
    except AuditError:
        feats = None
    preds = predictions(run)
    first = preds[preds["model"] == preds["model"].iloc[0]].reset_index(drop=True) if len(preds) else preds
    sens = first.drop(columns=[c for c in PREDICTION_COLUMNS if c in first.columns])
    if feats is None or len(feats) != len(first):
        return sens
    extra = [c for c in sens.columns if c not in feats.columns]
    return pd.concat([feats, sens[extra]], axis=1) if extra else feats


def cohort_rows(run: Run, conditions: list[dict[str, Any]] | None) -> np.ndarray:
    """Boolean mask over the test rows (raises DataError when a condition names a column the run lacks)."""
    return cohort_mask(cohort_frame(run), conditions)


def cohort_scope(run: Run, *, key: str) -> tuple[list[dict[str, Any]], np.ndarray | None]:
    """Show which cohort the page is scoped to and return ``(conditions, mask)``; mask None for the whole test set."""
    conds = active_cohort()
    if not conds:
        return [], None
    try:
        mask = cohort_rows(run, conds)
    except AuditError as exc:
        st.warning(f"The cohort **{md_escape(cohort_label(conds))}** does not apply to this run ({md_escape(exc)}); "
                   "showing the whole test set.")
        return [], None
    left, right = st.columns([5, 1])
    left.info(f"Scoped to the cohort **{md_escape(cohort_label(conds))}**: {int(mask.sum()):,} of {len(mask):,} test rows. "
              "Figures marked *cohort* are recomputed on these rows; the rest are the run's recorded whole-test-set figures.")
    if right.button("Clear cohort", key=f"{key}_clear"):
        set_cohort([])
        st.rerun()
    return conds, mask
