"""``fairness_report_from_counts``: the fairness report from a table of counts instead of rows.

Every number of :func:`~audit.fairness.fairness_report` rests on counts per finest cell (the
combination of all sensitive values): confusion counts, the (calibration bin, label) counts and
score sums, and, for ROC AUC, a score histogram per (cell, label). A cluster can compute those
counts with one group-by (:mod:`audit.fairness._frames`), and this module turns that small table
into the same report on the driver, through the same :class:`~audit.fairness._engine.Engine`, policy
and assembly as the in-memory path: the rate metrics, disparities, bootstrap intervals, p-values and
ECE equal the in-memory numbers (to float rounding).

ROC AUC from a histogram is the Mann-Whitney statistic with every bin's scores tied. It is exact
when no bin holds two different scores across the classes (checked per group with each bin's
smallest and largest score); otherwise it is marked approximate, with the bin width and a bound on
its distance from the exact AUC (half the share of positive-negative pairs that share a bin).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from audit.exceptions import ConfigError, DataError
from audit.fairness._counts import Cells, Grouping
from audit.fairness._entries import json_float, value_ci
from audit.fairness._group_report import group_cells
from audit.fairness._inputs import Inputs, check_params, encode_labels, encode_sensitive
from audit.fairness._metrics import UNDEFINED_MODES
from audit.fairness._policy import Policy, check_policy
from audit.fairness._report import (
    _BAD_UNDEFINED,
    _assemble,
    _estimates,
    auc_disparity_sources,
    ece_intervals,
    score_group_entries,
)
from audit.fairness._scores import AUC_CI_METHOD, ECE_CI_METHOD, N_BINS, ece
from audit.fairness._sufficiency import DEFAULT_MIN_GROUP_POSITIVES

__all__ = [
    "AUC_BINS",
    "CAL_BIN",
    "COUNT",
    "SCORE_BIN",
    "SCORE_MAX",
    "SCORE_MIN",
    "SCORE_NULLS",
    "SCORE_SUM",
    "fairness_report_from_counts",
]

# Column names of the count table (what the engine's group-by returns besides the key columns).
COUNT = "__count"
SCORE_BIN = "__score_bin"  # floor(score * auc_bins), the AUC histogram bin
CAL_BIN = "__cal_bin"  # min(floor(score * 10), 9), the calibration bin (as _scores.bin_index)
SCORE_SUM, SCORE_MIN, SCORE_MAX, SCORE_NULLS = "__score_sum", "__score_min", "__score_max", "__score_nulls"
AUC_BINS = 10_000
"""Default number of equal-width score bins of the ROC AUC histogram (bin width 1e-4)."""

AUC_EXACT = "exact: Mann-Whitney over a score histogram in which no bin holds two different scores of opposite classes"
AUC_APPROXIMATE = (
    "approximate: Mann-Whitney over a score histogram of bin width {width:g} (scores within a bin tied); "
    "max_abs_error bounds the distance from the exact AUC"
)
_MISSING_COLUMNS = ("The count table has no column(s) {missing}; its columns are {columns}. Expected the key columns "
                    "and {count!r}. Fix: build it with audit.fairness.count_table or the engine's group-by.")
_SCORE_NAN = ("y_score contains {count} missing value(s). Expected a probability for every example. "
              "Fix: drop those rows or recompute the scores.")
_SCORE_RANGE = ("y_score has values outside [0, 1] (min {lo:.6g}, max {hi:.6g}). Expected probabilities "
                "of the positive class. Fix: apply a sigmoid/softmax to logits before the audit.")


def fairness_report_from_counts(
    table: pd.DataFrame,
    *,
    y_true: str,
    y_pred: str,
    sensitive: list[str],
    pos_label=1,
    auc_bins: int = AUC_BINS,
    n_boot: int = 1000,
    ci_level: float = 0.95,
    stratified: bool = True,
    min_group_size: int = 30,
    intersections: bool = True,
    seed: int = 0,
    undefined: str = "zero",
    min_group_positives: int = DEFAULT_MIN_GROUP_POSITIVES,
    disparity_groups: str = "sufficient",
) -> dict:
    """The :func:`~audit.fairness.fairness_report` of the rows a count table summarises.

    Parameters
    ----------
    table : DataFrame
        One row per distinct combination of the key columns (the ``sensitive`` columns, ``y_true``,
        ``y_pred`` and, with scores, ``__score_bin`` and ``__cal_bin``) with its row count in
        ``__count`` and, with scores, the sum, smallest and largest score and the missing scores
        (``__score_sum``, ``__score_min``, ``__score_max``, ``__score_nulls``). Missing sensitive
        values are kept as keys (they form the group ``"<missing>"``).
    y_true, y_pred : str
        The label columns (any two values; ``pos_label`` is the favourable one).
    sensitive : list of str
        The sensitive columns, as in :func:`~audit.fairness.fairness_report`.
    auc_bins : int
        The number of equal-width bins ``__score_bin`` was computed with (bin width ``1 / auc_bins``).
    pos_label, n_boot, ci_level, stratified, min_group_size, intersections, seed, undefined, min_group_positives, disparity_groups
        As in :func:`~audit.fairness.fairness_report`.

    Returns
    -------
    dict
        The same report as :func:`~audit.fairness.fairness_report`; with scores, ``ci.score_metrics``
        also says how ROC AUC was counted (``roc_auc_counting``), and an approximate AUC carries
        ``approximation`` (bin width and the largest possible error).

    Examples
    --------
    >>> t = pd.DataFrame({"sex": list("FFMM"), "y": [0, 1, 1, 0], "p": [0, 1, 0, 1], "__count": [40, 60, 50, 50]})
    >>> r = fairness_report_from_counts(t, y_true="y", y_pred="p", sensitive=["sex"], n_boot=0)
    >>> r["n"], round(r["by_feature"]["sex"]["disparities"]["demographic_parity_difference"]["value"], 12)
    (200, 0.1)
    """
    check_params(n_boot=n_boot, ci_level=ci_level, min_group_size=min_group_size)
    check_policy(min_group_positives=min_group_positives, disparity_groups=disparity_groups)
    if undefined not in UNDEFINED_MODES:
        raise ConfigError(_BAD_UNDEFINED.format(value=undefined, modes=list(UNDEFINED_MODES)))
    features, y, p, weights = _encode(table, y_true=y_true, y_pred=y_pred, sensitive=sensitive, pos_label=pos_label)
    cells, row_cell = _weighted_cells(y, p, weights, features)
    groupings = group_cells(cells, len(features), intersections=intersections)
    policy = Policy(min_group_size=int(min_group_size), min_group_positives=int(min_group_positives),
                    mode=disparity_groups)
    no_rows = Inputs(y=y, p=p, score=None, features=features, labels=[])
    est = _estimates(no_rows, cells, groupings, policy=policy, undefined=undefined, n_boot=n_boot,
                     stratified=stratified, ci_level=ci_level, seed=seed)
    counting = None
    if SCORE_BIN in table.columns:
        hist = _Histogram(table, y, row_cell, auc_bins=auc_bins)
        auc_masks = [policy.mask(est.dens[gi], ("roc_auc",)) for gi in range(len(groupings))]
        est.score_part, counting = _score_metrics(hist, cells, groupings, n_boot=int(n_boot), stratified=stratified,
                                                  level=ci_level, seed=seed, auc_masks=auc_masks)
    report = _assemble(est, groupings, policy=policy, n=int(weights.sum()), pos_label=pos_label, n_boot=n_boot,
                       ci_level=ci_level, stratified=stratified, undefined=undefined)
    if counting is not None:
        report["ci"]["score_metrics"]["roc_auc_counting"] = counting
    return report


def _encode(table: pd.DataFrame, *, y_true: str, y_pred: str, sensitive: list[str], pos_label):
    """Features (codes per table row), labels and row counts, every problem raised at once."""
    wanted = [*sensitive, y_true, y_pred, COUNT]
    missing = [c for c in wanted if c not in table.columns]
    if missing:
        raise DataError(_MISSING_COLUMNS.format(missing=missing, columns=[str(c) for c in table.columns][:30],
                                                count=COUNT))
    # an engine may return unobserved category combinations with count 0: they are no rows, and no group
    table = table[table[COUNT].to_numpy(dtype=np.int64) > 0].reset_index(drop=True)
    weights = table[COUNT].to_numpy(dtype=np.int64)
    if weights.sum() == 0:
        raise DataError("y_true is empty. Expected at least one example. Fix: pass the test-set labels.")
    problems: list[str] = []
    for name in (y_true, y_pred):
        n_na = int(weights[table[name].isna().to_numpy()].sum())
        if n_na:
            problems.append(f"{name} contains {n_na} missing value(s) (NaN/None). Expected a label for every "
                            "example. Fix: drop or fill those rows before the audit.")
    if problems:
        raise DataError("\n".join(problems), problems=problems)
    y, p, _ = encode_labels(table[y_true], table[y_pred], pos_label=pos_label, problems=problems)
    if SCORE_BIN in table.columns:
        problems += _score_problems(table)
    features = encode_sensitive(table[list(sensitive)], n=len(table), problems=problems)
    if problems:
        raise DataError("\n".join(problems), problems=problems)
    return features, y, p, weights


def _score_problems(table: pd.DataFrame) -> list[str]:
    nulls = int(table[SCORE_NULLS].sum())
    if nulls:
        return [_SCORE_NAN.format(count=nulls)]
    lo, hi = float(table[SCORE_MIN].min()), float(table[SCORE_MAX].max())
    if not (0.0 <= lo and hi <= 1.0):  # NaN fails both comparisons
        return [_SCORE_RANGE.format(lo=lo, hi=hi)]
    return []


def _weighted_cells(y: np.ndarray, p: np.ndarray, weights: np.ndarray, features) -> tuple[Cells, np.ndarray]:
    """:class:`Cells` as :func:`~audit.fairness._counts.count_cells` builds them, from weighted table rows.

    The cells are ordered by their mixed-radix id, as ``count_cells`` orders them, so the bootstrap
    draws the same multinomials. Returns the cells and the cell of every table row.
    """
    sizes = [len(f.groups) for f in features]
    cell = np.zeros(len(y), dtype=np.int64)
    for f, size in zip(features, sizes, strict=True):
        cell = cell * size + f.codes
    observed, row_cell = np.unique(cell, return_inverse=True)
    outcome = (y.astype(np.int64) << 1) | p.astype(np.int64)
    counts = np.zeros((len(observed), 4), dtype=np.int64)
    np.add.at(counts, (row_cell, outcome), weights)
    keep = counts.sum(axis=1) > 0  # zero-count rows (never from a group-by) would make empty cells
    if not keep.all():
        lookup = np.cumsum(keep) - 1
        observed, counts, row_cell = observed[keep], counts[keep], lookup[row_cell]
    codes = np.empty((len(observed), len(features)), dtype=np.int64)
    rest = observed.copy()
    for j in range(len(features) - 1, -1, -1):
        codes[:, j] = rest % sizes[j]
        rest //= sizes[j]
    return Cells(counts=counts, codes=codes, row_cell=row_cell, features=features), row_cell


class _Histogram:
    """The score part of a count table: calibration counts per cell and the AUC histogram rows."""

    def __init__(self, table: pd.DataFrame, y: np.ndarray, row_cell: np.ndarray, *, auc_bins: int) -> None:
        self.width = 1.0 / auc_bins
        self.y = y.astype(np.int64)
        self.row_cell = row_cell
        self.count = table[COUNT].to_numpy(dtype=np.int64)
        self.bin = table[SCORE_BIN].to_numpy(dtype=np.int64)
        self.cal = table[CAL_BIN].to_numpy(dtype=np.int64)
        self.sum = table[SCORE_SUM].to_numpy(dtype=np.float64)
        self.lo = table[SCORE_MIN].to_numpy(dtype=np.float64)
        self.hi = table[SCORE_MAX].to_numpy(dtype=np.float64)

    def calibration(self, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
        """Counts and score sums per (cell, calibration bin, label), as ``_scores.calibration_cells``."""
        k = N_BINS * 2
        idx = self.row_cell * k + self.cal * 2 + self.y
        counts = np.bincount(idx, weights=self.count, minlength=n_cells * k).reshape(n_cells, k)
        sums = np.bincount(idx, weights=self.sum, minlength=n_cells * k).reshape(n_cells, k)
        return np.rint(counts).astype(np.int64), sums

    def auc(self, row_group: np.ndarray, n_groups: int, *, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(G, 4) AUC, lower, upper, DeLong SE per group, whether each is exact, and each one's error bound."""
        frame = pd.DataFrame({"g": row_group, "b": self.bin, "n0": self.count * (1 - self.y), "n1": self.count * self.y,
                              "lo": self.lo, "hi": self.hi})
        per_bin = frame.groupby(["g", "b"], sort=True).agg(n0=("n0", "sum"), n1=("n1", "sum"), lo=("lo", "min"),
                                                            hi=("hi", "max"))
        z = ndtri(0.5 + level / 2.0)
        out = np.full((n_groups, 4), np.nan)
        exact = np.ones(n_groups, dtype=bool)
        bound = np.zeros(n_groups)
        gidx = per_bin.index.get_level_values("g").to_numpy()
        starts = np.searchsorted(gidx, np.arange(n_groups + 1))
        n0_all, n1_all = per_bin["n0"].to_numpy(np.float64), per_bin["n1"].to_numpy(np.float64)
        mixed = (per_bin["n0"].to_numpy() > 0) & (per_bin["n1"].to_numpy() > 0) & (per_bin["lo"] < per_bin["hi"]).to_numpy()
        for g in range(n_groups):
            s = slice(starts[g], starts[g + 1])
            auc, se = auc_from_histogram(n0_all[s], n1_all[s])
            out[g] = _interval(auc, se, z)
            pairs = n0_all[s].sum() * n1_all[s].sum()
            exact[g] = not mixed[s].any()
            bound[g] = 0.5 * float((n0_all[s] * n1_all[s])[mixed[s]].sum() / pairs) if pairs else 0.0
        return out, exact, bound


def auc_from_histogram(n0: np.ndarray, n1: np.ndarray) -> tuple[float, float]:
    """ROC AUC and DeLong's standard error from per-bin class counts (bins in score order, ties within a bin).

    Equal to ``_scores.auc_and_se`` on the rows when each bin holds one score value.

    Examples
    --------
    >>> auc_from_histogram(np.array([1.0, 0, 1, 0]), np.array([0.0, 1, 0, 1]))[0]  # scores 0.1 0.35 0.4 0.8
    0.75
    """
    N0, N1 = n0.sum(), n1.sum()
    if N0 == 0 or N1 == 0:
        return np.nan, np.nan
    below0 = np.cumsum(n0) - n0  # negatives below each bin
    above1 = N1 - np.cumsum(n1)  # positives above each bin
    v10 = (below0 + 0.5 * n0) / N0  # per positive in the bin
    v01 = (above1 + 0.5 * n1) / N1  # per negative in the bin
    auc = float((n1 * v10).sum() / N1)
    if N1 < 2 or N0 < 2:
        return auc, np.nan
    m10, m01 = auc, float((n0 * v01).sum() / N0)
    var10 = float((n1 * (v10 - m10) ** 2).sum() / (N1 - 1))
    var01 = float((n0 * (v01 - m01) ** 2).sum() / (N0 - 1))
    return auc, float(np.sqrt(var10 / N1 + var01 / N0))


def _interval(auc: float, se: float, z: float) -> tuple[float, float, float, float]:
    if np.isnan(se):
        return auc, np.nan, np.nan, np.nan
    return float(auc), float(max(0.0, auc - z * se)), float(min(1.0, auc + z * se)), float(se)


def _auc_entry(row: np.ndarray, exact: bool, bound: float, width: float) -> dict:
    entry = {**value_ci(*row[:3]), "ci_method": AUC_CI_METHOD}
    if not exact and json_float(row[0]) is not None:
        entry["approximation"] = {"bin_width": width, "max_abs_error": float(bound)}
    return entry


def _score_metrics(hist: _Histogram, cells: Cells, groupings: list[Grouping], *, n_boot: int, stratified: bool,
                   level: float, seed: int, auc_masks: list[np.ndarray]) -> tuple[dict, str]:
    """``_report._score_metrics`` on counts: the same ECE draws and AUC disparity draws (same seeds)."""
    cal_counts, cal_sums = hist.calibration(len(cells.counts))
    ece_overall, ece_groups = ece_intervals(cal_counts, cal_sums, groupings, n_boot=n_boot, stratified=stratified,
                                            level=level, seed=seed)
    overall_auc, overall_exact, overall_bound = hist.auc(np.zeros(len(hist.y), dtype=np.int64), 1, level=level)
    all_exact = bool(overall_exact[0])
    ece_o = ece(cal_counts.sum(axis=0), cal_sums.sum(axis=0))
    out: dict = {"overall": {"roc_auc": _auc_entry(overall_auc[0], overall_exact[0], overall_bound[0], hist.width),
                             "ece": {**value_ci(ece_o, *(ece_overall or (None, None))), "ci_method": ECE_CI_METHOD}},
                 "groups": [], "disparities": [], "sufficient_disparities": []}
    for gi, g in enumerate(groupings):
        aucs, exact, bound = hist.auc(g.cell_group[hist.row_cell], len(g.labels), level=level)
        all_exact &= bool(exact.all())
        every, sufficient = auc_disparity_sources(aucs, auc_masks[gi], level=level, n_boot=n_boot, seed=seed, gi=gi)
        out["disparities"].append(every)
        out["sufficient_disparities"].append(sufficient)
        entries = [_auc_entry(aucs[k], exact[k], bound[k], hist.width) for k in range(len(g.labels))]
        out["groups"].append(score_group_entries(g, cal_counts, cal_sums, ece_groups[gi], entries))
    counting = AUC_EXACT if all_exact else AUC_APPROXIMATE.format(width=hist.width)
    return out, counting
