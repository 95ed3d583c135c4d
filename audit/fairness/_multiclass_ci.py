"""Exact-based intervals, simultaneous bands and parity tests for the multiclass report.

Every multiclass figure is a function of a group's K x K confusion counts, and groups are
disjoint sets of rows, so no resampling is needed:

* **rates** (accuracy, a class's selection rate and recall): a count of successes among a
  known number of rows: Clopper–Pearson intervals (``_proportions``), exact at any count and
  never of width 0;
* **macro averages** over classes (macro recall, precision, balanced accuracy, macro F1): the
  MOVER combination (``_group_bands.mover_mean``) of the classes' exact intervals. Recalls of
  different classes rest on disjoint rows (independent given the class counts); a class's F1 is
  ``2q / (1 + q)`` with ``q = TP / (rows that are the class or predicted as it)``, an exact
  interval of ``q`` maps to one of F1, and the F1s of two classes share the rows confused
  between them, so their correlation (multinomial delta method; 1 where it cannot be estimated)
  enters the combination. A class with no rows for a component adds its whole range;
* **disparities**: the box of simultaneous group bands (``_group_bands.spread_box``): bands at
  the Šidák level ``level ** (1 / G)`` over the G groups compared (independent), Bonferroni
  over the K selection rates of one group (one multinomial), Šidák over every (group, class)
  recall (disjoint rows). A worst class takes the largest per-class bounds;
* **parity tests**: the exact conditional test (hypergeometric, mid-p; as the binary report's) of each
  group against the other groups compared, for
  accuracy, every class's selection rate and every class's recall; Holm's method over every
  distinct test of the model (all groupings), so the family-wise error is at most ``1 - level``.
  Two groups give one test, not two. Macro recall and macro F1 have no exact test: their
  ``significant`` is null and their interval is the evidence.

Examples
--------
>>> conf = np.array([[[8, 2], [1, 9]], [[5, 5], [5, 5]]])
>>> c = class_components(conf, 0.95)
>>> [round(float(x), 3) for x in c["accuracy"][1]]
[0.621, 0.272]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from audit.fairness._exact import mid_p_vs_rest
from audit.fairness._group_bands import mover_mean, spread_box
from audit.fairness._holm import holm_adjusted
from audit.fairness._proportions import clopper_pearson, detectable_difference, sidak_level
from audit.fairness._specs import MULTICLASS_DISPARITIES

__all__ = ["GroupingCI", "class_components", "grouping_ci", "macro_interval", "parity_tests"]

#: Disparity -> the rate its group-vs-rest tests compare (the specifications' ``test``); the others are untested.
RATE_TESTS = {name: d.test for name, d in MULTICLASS_DISPARITIES.items() if d.test is not None}
UNTESTED = tuple(name for name, d in MULTICLASS_DISPARITIES.items() if d.test is None)
_TESTED_RATES = tuple(dict.fromkeys(RATE_TESTS.values()))  # accuracy, selection_rate, recall


def class_components(conf: np.ndarray, level) -> dict[str, tuple[np.ndarray, ...]]:
    """Per class (..., K): (estimate, low, high, known) of recall, precision, F1, selection rate; and accuracy.

    ``conf`` (..., K, K) holds confusion counts (rows true, columns predicted); ``level`` a scalar
    or an array over the leading axes. ``accuracy`` is (estimate, low, high) over the leading axes.
    """
    conf = np.asarray(conf, dtype=np.float64)
    lv = np.asarray(level, dtype=float)
    lk = lv[..., None] if lv.ndim else lv
    tp = np.diagonal(conf, axis1=-2, axis2=-1)
    true, pred = conf.sum(axis=-1), conf.sum(axis=-2)
    n = true.sum(axis=-1)
    union = true + pred - tp  # rows that are the class or are predicted as it

    def rate(k, m, lvl):
        lo, hi = clopper_pearson(k, m, lvl)
        with np.errstate(divide="ignore", invalid="ignore"):
            est = np.where(m > 0, k / np.where(m > 0, m, 1.0), 0.0)
        return est, lo, hi, m > 0

    q, q_lo, q_hi, known = rate(tp, union, lk)
    f1 = (2 * q / (1 + q), 2 * q_lo / (1 + q_lo), 2 * q_hi / (1 + q_hi), known)
    return {"recall": rate(tp, true, lk), "precision": rate(tp, pred, lk), "f1": f1,
            "selection_rate": rate(pred, np.broadcast_to(n[..., None], pred.shape), lk),
            "accuracy": rate(tp.sum(axis=-1), n, lv)[:3]}


def f1_correlation(conf: np.ndarray) -> np.ndarray:
    """Correlations (..., K, K) of the per-class F1 estimates (multinomial delta method).

    Where a class's F1 has no estimated variance (no errors touch it) its correlation with the
    others is taken as 1, the conservative choice.
    """
    conf = np.asarray(conf, dtype=np.float64)
    k = conf.shape[-1]
    n = conf.sum(axis=(-2, -1))
    p = conf / np.where(n > 0, n, 1.0)[..., None, None]
    d = np.diagonal(p, axis1=-2, axis2=-1)
    den = p.sum(axis=-1) + p.sum(axis=-2)
    eye = np.eye(k)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(den > 0, 1.0 / den, 0.0)
        # dF1_c / dp_ij = 2 [c == i == j] / den_c - 2 d_c ([i == c] + [j == c]) / den_c²
        grad = (2 * inv)[..., :, None, None] * (eye[:, :, None] * eye[:, None, :])
        grad = grad - (2 * d * inv * inv)[..., :, None, None] * (eye[:, :, None] + eye[:, None, :])
        flat = grad.reshape(*grad.shape[:-2], k * k)
        cov = np.einsum("...ax,...x,...bx->...ab", flat, p.reshape(*p.shape[:-2], k * k), flat)
        sd = np.sqrt(np.maximum(np.diagonal(cov, axis1=-2, axis2=-1), 0.0))
        corr = cov / (sd[..., :, None] * sd[..., None, :])
    flat_sd = ~(sd > 0)
    corr = np.where(flat_sd[..., :, None] | flat_sd[..., None, :] | ~np.isfinite(corr), 1.0, corr)
    idx = np.arange(k)
    corr[..., idx, idx] = 1.0
    return corr


def macro_interval(conf: np.ndarray, level, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Interval of a macro average over all K classes (``recall``, ``precision`` or ``f1``)."""
    est, low, high, known = class_components(conf, level)[metric]
    k = np.shape(conf)[-1]
    corr = f1_correlation(conf) if metric == "f1" else None
    lo, hi = mover_mean(est, low, high, np.full(k, 1.0 / k), corr=corr, known=known)
    return np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)


@dataclass
class GroupingCI:
    """Intervals of one grouping: each group's (marginal) and each disparity's (simultaneous)."""

    groups: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    disparities: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict)


def _bounds(component: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of one of :func:`class_components`' (estimate, low, high[, known])."""
    return component[1], component[2]


def _box_over_classes(lo: np.ndarray, hi: np.ndarray, mask: np.ndarray, which: int, *, lowest: bool):
    """Per-class boxes (K,) of one spread statistic over groups (lo/hi (G, K)), then the worst class."""
    box = spread_box(lo.T, hi.T, mask.T)[which]
    ok = np.isfinite(box[0])
    if not ok.any():
        return np.nan, np.nan
    fold = np.min if lowest else np.max
    return float(fold(box[0][ok])), float(fold(box[1][ok]))


def grouping_ci(conf: np.ndarray, sufficient: np.ndarray, positives_ok: np.ndarray, level: float) -> GroupingCI:
    """Group intervals at ``level`` and disparity intervals from simultaneous bands, for one grouping.

    ``conf`` (G, K, K) are the groups' confusion counts; ``sufficient`` (G,) the groups the
    disparities compare; ``positives_ok`` (G, K) the groups with enough true rows of a class for
    its recall.
    """
    g, k = conf.shape[0], conf.shape[-1]
    out = GroupingCI()
    marg = class_components(conf, level)
    out.groups = {"accuracy": _bounds(marg["accuracy"]), "macro_recall": macro_interval(conf, level, "recall"),
                  "macro_f1": macro_interval(conf, level, "f1"),
                  "selection_rate": _bounds(marg["selection_rate"]), "recall": _bounds(marg["recall"])}
    used = int(sufficient.sum())
    band = float(sidak_level(level, max(used, 1)))
    acc = class_components(conf, band)["accuracy"]
    for name, (lo, hi) in (("accuracy_difference", acc[1:]),
                           ("macro_recall_difference", macro_interval(conf, band, "recall")),
                           ("macro_f1_difference", macro_interval(conf, band, "f1"))):
        out.disparities[name] = spread_box(lo, hi, sufficient)[0]
    sel = class_components(conf, 1.0 - (1.0 - band) / k)["selection_rate"]
    mask = np.broadcast_to(sufficient[:, None], (g, k))
    out.disparities["selection_rate_difference_ovr"] = _box_over_classes(sel[1], sel[2], mask, 0, lowest=False)
    out.disparities["selection_rate_ratio_ovr"] = _box_over_classes(sel[1], sel[2], mask, 1, lowest=True)
    rec_mask = sufficient[:, None] & positives_ok
    rec_mask = rec_mask & (rec_mask.sum(axis=0) >= 2)[None, :]
    rec = class_components(conf, float(sidak_level(level, max(int(rec_mask.sum()), 1))))["recall"]
    out.disparities["recall_difference_ovr"] = _box_over_classes(rec[1], rec[2], rec_mask, 0, lowest=False)
    return out


def _tests(kind: str, conf: np.ndarray, mask: np.ndarray) -> list[tuple[float, float, float, float]]:
    """Group-vs-rest exact (mid-p) tests of one rate among ``mask``-ed groups: (p, pooled rate, smallest n, rest n) each."""
    tp = np.diagonal(conf, axis1=-2, axis2=-1)
    if kind == "accuracy":
        k, n = tp.sum(axis=-1)[:, None], conf.sum(axis=(-2, -1))[:, None]
        masks = mask[:, None]
    elif kind == "selection_rate":
        k, n = conf.sum(axis=-2), np.broadcast_to(conf.sum(axis=(-2, -1))[:, None], tp.shape)
        masks = np.broadcast_to(mask[:, None], tp.shape)
    else:
        k, n, masks = tp, conf.sum(axis=-1), mask
    out = []
    for c in range(k.shape[1]):
        idx = np.flatnonzero(masks[:, c])
        if len(idx) < 2:
            continue
        kc, nc = k[idx, c].astype(np.int64), n[idx, c].astype(np.int64)
        p = mid_p_vs_rest(kc, nc)  # as the binary report: exact conditional law, mid-p (power of a z-test)
        pooled = kc.sum() / max(nc.sum(), 1)
        for j in range(1 if len(idx) == 2 else len(idx)):  # two groups: one test, not two
            out.append((float(p[j]), float(pooled), float(nc.min()), float(nc.sum() - nc.min())))
    return out


def parity_tests(blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]], *, level: float) -> tuple[list[dict], dict]:
    """Group-vs-rest exact tests of every grouping's rate disparities, Holm-adjusted over all of them.

    ``blocks`` lists (confusion (G, K, K), sufficient (G,), recall mask (G, K)) per grouping. Returns,
    per grouping, ``{disparity: {p_value, p_adjusted, significant, detectable_difference}}``, and the
    summary of the family.
    """
    alpha = round(1.0 - level, 12)
    family, owners = [], []
    for gi, (conf, sufficient, rec_mask) in enumerate(blocks):
        for kind in _TESTED_RATES:
            mask = sufficient if kind != "recall" else rec_mask
            for t in _tests(kind, conf, mask):
                family.append(t)
                owners.append((gi, kind))
    adjusted = holm_adjusted([t[0] for t in family]) if family else np.zeros(0)
    m = max(len(family), 1)
    out: list[dict] = [{} for _ in blocks]
    for gi in range(len(blocks)):
        for name, kind in RATE_TESTS.items():
            mine = [j for j, o in enumerate(owners) if o == (gi, kind)]
            if not mine:
                continue
            detect = max(detectable_difference(family[j][1], family[j][2], family[j][3], alpha=alpha / m) for j in mine)
            p_adj = float(min(adjusted[j] for j in mine))
            out[gi][name] = {"p_value": float(min(family[j][0] for j in mine)), "p_adjusted": p_adj,
                             "significant": bool(p_adj <= alpha), "detectable_difference": float(detect)}
    summary = {"method": ("exact conditional test (hypergeometric, two-sided by distance from the expected count, "
                          "mid-p) of each group against the other groups compared (accuracy, every "
                          "class's selection rate and recall), Holm's step-down adjustment over every test of the "
                          "model"),
               "tests": len(family), "significant": int(sum(p <= alpha for p in adjusted)), "alpha": alpha,
               "untested": list(UNTESTED),
               "detectable_difference": ("smallest shift of the smallest compared group's rate from the rest that "
                                         "its test detects with 80% power at alpha / tests (arcsine approximation), "
                                         "the largest over classes")}
    return out, summary
