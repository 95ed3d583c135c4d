"""Exact intervals and tests of group rates and their disparities, from confusion counts alone.

Each rate metric is a proportion of disjoint rows (TPR: true positives among a group's actual
positives, ...), so given the group sizes the groups' counts are independent binomials. On that
alone (no normal approximation, no resampling) this module builds:

* **group intervals**: Clopper–Pearson at ``level`` (balanced accuracy: the mean of its TPR and
  TNR intervals, each at ``sqrt(level)``);
* **simultaneous bands**: the same intervals at the Šidák level ``level ** (1/G)``, which cover
  all G groups at once with probability at least ``level``;
* **disparity intervals**: when every group's rate lies in its band (probability ≥ ``level``), the
  true disparity lies in the range the disparity takes over that *box* of rates: ``max − min`` in
  ``[max L − min U, max U − min L]``, ``min / max`` in ``[min L / max U, min U / max L]``, the
  largest gap to the overall rate (a weighted mean of the group rates) between the box's linear
  bounds; two groups' difference uses the MOVER interval with Clopper–Pearson limits (Newcombe's
  construction; coverage ≥ 95% in every cell of docs/validity.md, where Newcombe's Wilson version
  falls to 90%). Equalized odds takes TPR and FPR together (their rows are disjoint, so each at
  ``sqrt(level)``);
* **parity tests**: each group against the others pooled, by the exact conditional (hypergeometric)
  distribution of its count given the total, two-sided by distance from the expected count, with
  Lancaster's mid-p (two groups: one test); balanced accuracy by inverting its box. These are the
  elementary tests that :mod:`audit.fairness._policy` adjusts with Holm across the model.
* **detectable difference**: the smallest difference of the smallest group from the rest that its
  test detects with 80% power at the family-wise level (:func:`~._proportions.detectable_difference`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from audit.fairness._counts import FN, FP, TN, TP, outcome_sum
from audit.fairness._proportions import clopper_pearson, detectable_difference, sidak_level

__all__ = ["DISPARITY_CI_METHOD", "GROUP_CI_METHOD", "PROPORTIONS", "SIMULTANEOUS_METHOD", "Linear", "disparity_ci",
           "group_intervals", "linear_form", "mid_p_vs_rest", "parity_tests", "rate_counts"]

GROUP_CI_METHOD = ("exact (Clopper-Pearson) interval of each rate, conditional on the group's denominator; balanced "
                   "accuracy: the mean of its TPR and TNR intervals, each at sqrt(level)")
DISPARITY_CI_METHOD = (
    "the range of the disparity over the box of simultaneous exact group intervals (Sidak level over the groups "
    "compared; equalized odds: TPR and FPR at sqrt(level) each); two groups' difference: MOVER with Clopper-Pearson "
    "limits"
)
SIMULTANEOUS_METHOD = (
    "group rates: exact intervals at the Sidak level level**(1/G), covering every group at once; disparities: the "
    "same construction at the Bonferroni level over the model's tested hypotheses, covering every disparity at once"
)

ALL = (TN, FP, FN, TP)
PROPORTIONS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "selection_rate": ((FP, TP), ALL),
    "accuracy": ((TN, TP), ALL),
    "base_rate": ((FN, TP), ALL),
    "tpr": ((TP,), (TP, FN)),
    "fnr": ((FN,), (TP, FN)),
    "fpr": ((FP,), (FP, TN)),
    "tnr": ((TN,), (FP, TN)),
    "precision": ((TP,), (TP, FP)),
}
"""Metric -> (numerator cells, denominator cells) of every rate that is a proportion."""


def rate_counts(counts: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Successes and trials of a proportion ``metric`` from counts (..., G, 4) ordered TN, FP, FN, TP.

    Examples
    --------
    >>> k, n = rate_counts(np.array([[5, 1, 2, 3]]), "tpr")
    >>> k.tolist(), n.tolist()
    ([3], [5])
    """
    num, den = PROPORTIONS[metric]
    c = np.asarray(counts, dtype=np.int64)
    return outcome_sum(c, num), outcome_sum(c, den)


_BOXES: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


@dataclass(frozen=True)
class Linear:
    """A metric as linear forms of independent component rates: ``value_g = A[g] @ x``, ``overall = b @ x``.

    ``k``/``n`` are the components' successes and trials (J,); a proportion metric has one
    component per group (``A`` the identity), balanced accuracy two (TPR and TNR).
    """

    A: np.ndarray
    b: np.ndarray
    k: np.ndarray
    n: np.ndarray

    def box(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """Component intervals covering all components at once with probability ≥ ``level`` (Šidák)."""
        key = (self.k.tobytes(), self.n.tobytes(), float(level))
        if key not in _BOXES:
            if len(_BOXES) > 4096:  # one report asks for a few hundred; keep memory bounded across reports
                _BOXES.clear()
            present = self.n > 0
            lo, hi = clopper_pearson(self.k, self.n, sidak_level(level, max(int(present.sum()), 1)))
            _BOXES[key] = (np.where(present, lo, 0.0), np.where(present, hi, 1.0))
        return _BOXES[key]

    def group_bounds(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Range of each group's value over the box ``[lo, hi]`` (A has non-negative entries)."""
        return self.A @ lo, self.A @ hi


def linear_form(counts: np.ndarray, metric: str) -> Linear:
    """The :class:`Linear` form of ``metric`` over the groups of ``counts`` (G, 4)."""
    c = np.asarray(counts, dtype=np.int64)
    g = len(c)
    if metric in PROPORTIONS:
        k, n = rate_counts(c, metric)
        return Linear(A=np.eye(g), b=n / max(int(n.sum()), 1), k=k, n=n)
    if metric != "balanced_accuracy":
        raise KeyError(metric)
    kp, npos = rate_counts(c, "tpr")
    kn, nneg = rate_counts(c, "tnr")
    # scikit-learn averages the recalls of the classes present in the group: one class gives weight 1
    both = (npos > 0) & (nneg > 0)
    wp = np.where(both, 0.5, (npos > 0).astype(float))
    wn = np.where(both, 0.5, (nneg > 0).astype(float))
    A = np.hstack([np.diag(wp), np.diag(wn)])
    total_p, total_n = max(int(npos.sum()), 1), max(int(nneg.sum()), 1)
    b = np.concatenate([0.5 * npos / total_p, 0.5 * nneg / total_n])
    return Linear(A=A, b=b, k=np.concatenate([kp, kn]), n=np.concatenate([npos, nneg]))


def group_intervals(counts: np.ndarray, metric: str, level: float, *, simultaneous: bool = False
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Each group's interval of ``metric`` (marginal at ``level``, or a band over the groups with data).

    Examples
    --------
    >>> lo, hi = group_intervals(np.array([[60, 0, 0, 0], [50, 5, 2, 3]]), "selection_rate", 0.95)
    >>> float(lo[0]), round(float(hi[0]), 3)
    (0.0, 0.06)
    """
    c = np.asarray(counts, dtype=np.int64)
    if metric in PROPORTIONS:
        k, n = rate_counts(c, metric)
        present = n > 0
        each = sidak_level(level, max(int(present.sum()), 1)) if simultaneous else level
        return clopper_pearson(k, n, each)
    if metric == "balanced_accuracy":
        form = linear_form(c, metric)
        rows = c.sum(axis=-1) > 0
        each = sidak_level(level, max(int(rows.sum()), 1)) if simultaneous else level
        halves = (form.n > 0).reshape(2, -1).sum(axis=0)  # classes present per group: 1 or 2 intervals to cover
        per = np.concatenate([np.power(each, 1.0 / np.maximum(halves, 1))] * 2)
        lo, hi = clopper_pearson(form.k, form.n, per)
        lo, hi = np.where(form.n > 0, lo, 0.0), np.where(form.n > 0, hi, 0.0)
        return form.A @ lo, form.A @ hi
    raise KeyError(metric)


def _mover_difference(k: np.ndarray, n: np.ndarray, level: float) -> tuple[float, float]:
    """Interval of |p1 − p2| for two groups: MOVER with Clopper–Pearson limits, folded at 0."""
    p = k / np.maximum(n, 1)
    lo, hi = clopper_pearson(k, n, level)
    d = p[0] - p[1]
    low = d - np.sqrt((p[0] - lo[0]) ** 2 + (hi[1] - p[1]) ** 2)
    high = d + np.sqrt((hi[0] - p[0]) ** 2 + (p[1] - lo[1]) ** 2)
    if low <= 0 <= high:
        return 0.0, float(max(-low, high))
    return float(min(abs(low), abs(high))), float(max(abs(low), abs(high)))


def _linear_extremes(c: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[float, float]:
    """Minimum and maximum of ``c @ x`` over the box ``lo <= x <= hi``."""
    return float(np.minimum(c * lo, c * hi).sum()), float(np.maximum(c * lo, c * hi).sum())


def _least_gap(form: Linear, lo: np.ndarray, hi: np.ndarray) -> float:
    """A lower bound of the largest |group − overall| gap over the box (0: parity may hold).

    Each group's gap is at least its own smallest value over the box, so the largest gap is at
    least the largest of those: valid, and tight when one group's interval lies apart from the others.
    """
    D = form.A - form.b[None, :]
    least = [max(_linear_extremes(row, lo, hi)[0], _linear_extremes(-row, lo, hi)[0]) for row in D]
    return max(0.0, float(max(least)))


def _ratio_min(a: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Minimum of ``(a @ x) / (b @ x)`` over the box (Dinkelbach's iteration; a, b ≥ 0)."""
    x = lo.copy()
    lam = 0.0
    for _ in range(50):
        den = float(b @ x)
        if den <= 0:
            return 0.0
        lam_new = float(a @ x) / den
        c = a - lam_new * b
        x = np.where(c > 0, lo, hi)
        if abs(lam_new - lam) < 1e-13:
            break
        lam = lam_new
    den = float(b @ x)
    return min(lam, float(a @ x) / den) if den > 0 else 0.0


def _folded_ratio_min(form: Linear, lo: np.ndarray, hi: np.ndarray) -> float:
    """Least value over the box of ``min_g min(v_g / o, o / v_g)`` (v_g a group's value, o the overall)."""
    if form.A.shape[0] != form.A.shape[1]:  # balanced accuracy: Dinkelbach per group and direction
        return min(min(_ratio_min(a, form.b, lo, hi), _ratio_min(form.b, a, lo, hi)) for a in form.A)
    w = form.b
    rest_hi, rest_lo = w @ hi - w * hi, w @ lo - w * lo  # the other groups at their highest / lowest
    with np.errstate(divide="ignore", invalid="ignore"):
        below = lo / (w * lo + rest_hi)  # the group at its lowest, the others at their highest
        above = (w * hi + rest_lo) / hi  # and the reverse
    return float(np.nan_to_num(np.minimum(below, above), nan=0.0).min())


def _between(form: Linear, level: float, kind: str) -> tuple[float, float]:
    if form.A.shape[0] == 2 and form.A.shape[1] == 2 and kind == "difference":
        return _mover_difference(form.k, form.n, level)
    glo, ghi = form.group_bounds(*form.box(level))
    if kind == "difference":
        return max(0.0, float(glo.max() - ghi.min())), float(ghi.max() - glo.min())
    low = float(glo.min() / ghi.max()) if ghi.max() > 0 else 0.0
    high = min(1.0, float(ghi.min() / glo.max())) if glo.max() > 0 else 1.0
    return low, high


def _to_overall(form: Linear, level: float, kind: str) -> tuple[float, float]:
    lo, hi = form.box(level)
    D = form.A - form.b[None, :]
    least_gap = _least_gap(form, lo, hi)
    if kind == "difference":
        largest = max(max(abs(v) for v in _linear_extremes(row, lo, hi)) for row in D)
        return least_gap, float(largest)
    # the folded ratio min_g min(v_g / o, o / v_g): its least value over the box, group by group
    low = _folded_ratio_min(form, lo, hi)
    if least_gap == 0.0:
        return max(0.0, low), 1.0
    glo, ghi = form.group_bounds(lo, hi)
    between_high = min(1.0, float(ghi.min() / glo.max())) if glo.max() > 0 else 1.0
    # the overall rate lies between the smallest and largest group rate for a proportion, so the
    # folded ratio is at most sqrt(min / max); balanced accuracy has no such bound: 1
    high = float(np.sqrt(between_high)) if form.A.shape[0] == form.A.shape[1] else 1.0
    return max(0.0, low), high


def _single(counts: np.ndarray, metric: str, level: float, kind: str, to_overall: bool) -> tuple[float, float]:
    form = linear_form(counts, metric)
    return _to_overall(form, level, kind) if to_overall else _between(form, level, kind)


def disparity_ci(name: str, metrics: tuple[str, ...], counts: np.ndarray, level: float) -> tuple[float, float]:
    """Interval of disparity ``name`` (comparing ``metrics``) over the groups of ``counts`` (G, 4).

    Examples
    --------
    >>> c = np.array([[40, 10, 10, 40], [45, 5, 20, 30]])
    >>> lo, hi = disparity_ci("demographic_parity_difference", ("selection_rate",), c, 0.95)
    >>> round(lo, 3), round(hi, 3)
    (0.006, 0.288)
    """
    kind = "ratio" if "_ratio" in name else "difference"
    to_overall = name.endswith("_to_overall")
    each = level ** (1.0 / len(metrics))  # TPR and FPR rest on disjoint rows: independent
    parts = [_single(counts, m, each, kind, to_overall) for m in metrics]
    if len(parts) == 1:
        return parts[0]
    los, his = zip(*parts, strict=True)
    if "_mean" in name:
        return float(np.mean(los)), float(np.mean(his))
    return (max(los), max(his)) if kind == "difference" else (min(los), min(his))


def mid_p_vs_rest(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided exact conditional mid-p of each group against the others pooled.

    Given the total count, a group's count is hypergeometric under equal rates; the p-value is
    the probability of a count at least as far from its expectation, counting the observed
    distance half (Lancaster's mid-p: the exact test's conservatism at small counts removed).

    Examples
    --------
    >>> [round(float(p), 4) for p in mid_p_vs_rest(np.array([2, 10]), np.array([20, 1000]))]
    [0.0114, 0.0114]
    """
    k = np.asarray(k, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    total_k, total_n = int(k.sum()), int(n.sum())
    expected = n * total_k / max(total_n, 1)
    dist = np.abs(k - expected)
    low_pt = np.floor(expected - dist + 1e-9)
    high_pt = np.ceil(expected + dist - 1e-9)
    tail = stats.hypergeom.cdf(low_pt, total_n, total_k, n) + stats.hypergeom.sf(high_pt - 1, total_n, total_k, n)
    at = stats.hypergeom.pmf(k, total_n, total_k, n)
    mirror = 2 * expected - k
    on_grid = (np.abs(mirror - np.round(mirror)) < 1e-9) & (dist > 1e-9)
    at_mirror = np.where(on_grid, stats.hypergeom.pmf(np.round(mirror), total_n, total_k, n), 0.0)
    p = tail - 0.5 * (at + at_mirror)
    return np.where((n > 0) & (n < total_n), np.clip(p, 0.0, 1.0), 1.0)


def _box_inversion_p(form: Linear) -> float:
    """Smallest α at which the level-(1 − α) box excludes equal values in every group (bisection)."""
    def excludes(alpha: float) -> bool:
        glo, ghi = form.group_bounds(*form.box(1.0 - alpha))
        return bool(glo.max() > ghi.min())

    if not excludes(0.999999):
        return 1.0
    low, high = 1e-12, 0.999999
    if excludes(low):
        return low
    for _ in range(24):  # p to about 3% of itself: enough for Holm
        mid = float(np.sqrt(low * high))
        low, high = (low, mid) if excludes(mid) else (mid, high)
    return high


def parity_tests(counts: np.ndarray, metric: str) -> np.ndarray:
    """Elementary p-values of "every group has the same ``metric``" over the groups of ``counts`` (G, 4).

    One test for two groups, one per group (against the rest) for more; balanced accuracy: one.

    Examples
    --------
    >>> [round(float(p), 4) for p in parity_tests(np.array([[40, 10, 10, 40], [45, 5, 20, 30]]), "selection_rate")]
    [0.0334]
    """
    if metric not in PROPORTIONS:
        return np.array([_box_inversion_p(linear_form(counts, metric))])
    k, n = rate_counts(counts, metric)
    p = mid_p_vs_rest(k, n)
    return p[:1] if len(p) == 2 else p


def detectable(counts: np.ndarray, metric: str, *, alpha: float, power: float = 0.8) -> float | None:
    """Smallest difference of the smallest group from the others its test detects (None: not a proportion)."""
    if metric not in PROPORTIONS:
        return None
    k, n = rate_counts(counts, metric)
    total = int(n.sum())
    if total == 0:
        return None
    small = int(n.min())
    return detectable_difference(float(k.sum()) / total, small, total - small, alpha=alpha, power=power)
