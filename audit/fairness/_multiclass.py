"""``multiclass_fairness_report``: group metrics and one-vs-rest disparities of a K-class classifier.

Every metric is a function of a K x K confusion matrix (rows true, columns
predicted). Each row falls in one *cell*, its combination of all sensitive
features; the cells' confusion counts are one ``np.bincount`` and every
grouping (one feature, or the intersection of all) is a sum of cells, as in the
binary report (``_counts``).

The macro averages follow scikit-learn's defaults inside each group: the mean
over the classes that occur in the group's ``y_true`` or ``y_pred``, a 0/0
precision or recall counting as 0 (``zero_division=0``); balanced accuracy is
the mean recall over the classes present in ``y_true``. So every number equals
Fairlearn's ``MetricFrame`` with the matching scikit-learn metric.

Intervals need no resampling (``_multiclass_ci``): a group's rates (accuracy, each class's
selection rate and recall) get exact Clopper–Pearson intervals, its macro averages the MOVER
combination of its classes' exact intervals, every disparity the box of simultaneous group bands
(which handles the selection of the largest and smallest group), and the rate disparities a
parity test (the exact conditional mid-p test of each group against the rest, Holm over the model).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit.fairness._counts import Grouping
from audit.fairness._group_report import (
    block,
    blocks,
    excluded_groups,
    few_groups,
    interval_entry,
    json_floats,
    report,
    spread,
    sufficient,
    used_groups,
)
from audit.fairness._inputs import MISSING_GROUP
from audit.fairness._multiclass_ci import GroupingCI, class_components, grouping_ci, macro_interval, parity_tests
from audit.fairness._multiclass_inputs import _Inputs, prepare_inputs
from audit.fairness._specs import (
    MULTICLASS_CI_METHOD,
    MULTICLASS_DISPARITIES,
    MULTICLASS_DISPARITY_METHOD,
    MULTICLASS_METRICS,
)
from audit.fairness._sufficiency import DEFAULT_MIN_GROUP_POSITIVES

__all__ = ["confusion_metrics", "multiclass_fairness_report"]

_FEW_CLASS_GROUPS = (
    "no class has two groups with enough data for its recall (at least {min_rows} rows and {min_pos} true rows "
    "of the class); a disparity needs two groups to compare"
)
_NO_RATIO = "no class is predicted in any group with enough data, so no selection-rate ratio is defined"
#: The group metrics with one value per group (the per-class ones are listed per class).
GROUP_SCALARS = tuple(name for name, m in MULTICLASS_METRICS.items() if not m.per_class)
OVERALL_METRICS = ("accuracy", "macro_precision", "macro_recall", "macro_f1", "balanced_accuracy")


def _fold(x: np.ndarray, how) -> np.ndarray:
    """``how`` (np.max or np.min) over the last axis ignoring NaN; NaN where all are NaN."""
    fill = -np.inf if how is np.max else np.inf
    out = how(np.where(np.isnan(x), fill, x), axis=-1)
    return np.where(np.isnan(x).all(axis=-1), np.nan, out)


def confusion_metrics(conf: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics of confusion matrices ``conf`` (..., K, K), with scikit-learn's default macro averaging.

    Examples
    --------
    >>> m = confusion_metrics(np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 0.0]]))
    >>> float(m["accuracy"]), float(m["macro_recall"]), m["recall"].tolist()
    (0.8333333333333334, 0.8333333333333333, [0.6666666666666666, 1.0, nan])
    """
    tp = np.diagonal(conf, axis1=-2, axis2=-1)
    true_sum, pred_sum = conf.sum(axis=-1), conf.sum(axis=-2)
    n = true_sum.sum(axis=-1)
    present = (true_sum + pred_sum) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(true_sum > 0, tp / true_sum, np.nan)
        precision = np.where(pred_sum > 0, tp / pred_sum, 0.0)
        f1 = np.where(present, 2.0 * tp / (true_sum + pred_sum), 0.0)
        recall0 = np.nan_to_num(recall, nan=0.0)
        n_present = present.sum(axis=-1)
        return {
            "accuracy": tp.sum(axis=-1) / n,
            "macro_precision": precision.sum(axis=-1) / n_present,
            "macro_recall": recall0.sum(axis=-1) / n_present,
            "macro_f1": f1.sum(axis=-1) / n_present,
            "balanced_accuracy": recall0.sum(axis=-1) / (true_sum > 0).sum(axis=-1),
            "selection_rate": pred_sum / n[..., None],
            "recall": recall,
            "true_sum": true_sum,
        }


def _grouping_stats(conf: np.ndarray, enough: np.ndarray, positives_ok: np.ndarray) -> dict[str, np.ndarray]:
    """Group metrics (..., G) and disparities (...,) / per class (..., K) from group confusions (..., G, K, K).

    Each disparity of :data:`MULTICLASS_DISPARITIES` is its statistic over the groups with enough rows (a
    per-class metric's recall also needs the class's true rows): a per-class one is computed per class
    (``<name>_by_class``) and folded to its worst class.
    """
    m = confusion_metrics(conf)
    out = {name: m[name] for name in GROUP_SCALARS}
    for name, d in MULTICLASS_DISPARITIES.items():
        if not MULTICLASS_METRICS[d.metric].per_class:
            out[name] = spread(m[d.metric], enough)[d.index]
            continue
        mask = enough if not MULTICLASS_METRICS[d.metric].denominators else (enough[:, None] & positives_ok).T
        by_class = spread(np.swapaxes(m[d.metric], -1, -2), mask)[d.index]
        out[f"{name}_by_class"] = by_class
        out[name] = _fold(by_class, np.min if d.lowest else np.max)
    return out


def multiclass_fairness_report(
    *,
    y_true,
    y_pred,
    proba,
    sensitive: pd.DataFrame,
    classes: Sequence[str],
    n_boot: int = 1000,
    ci_level: float = 0.95,
    min_group_size: int = 30,
    min_group_positives: int = DEFAULT_MIN_GROUP_POSITIVES,
    intersections: bool = True,
    seed: int = 0,
) -> dict:
    """Group metrics, one-vs-rest disparities, exact intervals and parity tests for a K-class classifier.

    Parameters
    ----------
    y_true, y_pred : array-like of int
        True and predicted class indices ``0 .. K-1`` (positions in ``classes``).
    proba : array-like of shape (n, K), optional
        Predicted class probabilities; checked (shape, range, rows summing to 1) but not yet reported on.
    sensitive : DataFrame
        One column per sensitive feature, any dtype. Missing values form the group ``"<missing>"``.
        With several columns each is reported alone and, when ``intersections``, all of them
        together (key ``"f1 & f2"``, groups ``"a & b"``), as in :func:`fairness_report`.
    classes : sequence of str
        Display label of each class index (K >= 2).
    n_boot : int
        0 turns intervals and tests off (every ``ci`` and ``p_value`` is null); any other value
        keeps them on. No interval resamples: they are exact (see ``ci.method``).
    ci_level : float
        Interval coverage, e.g. 0.95.
    min_group_size : int
        Groups with fewer rows are not ``sufficient`` and left out of every disparity.
    min_group_positives : int
        Least number of true rows of a class for a group's recall of it (else null, and left out of
        ``recall_difference_ovr`` for that class).
    intersections : bool
        Also report the intersection of all sensitive features.
    seed : int
        Unused (the intervals are exact); kept so that every report takes the same settings.

    Returns
    -------
    dict
        JSON-serialisable: ``task``, ``classes``, ``n``, ``ci`` (``method``, ``disparity_method``,
        ``n_boot`` = 0 resamples, ``level``, ``multiple_testing``), ``overall`` and ``by_feature`` (``groups``,
        ``disparities``, ``excluded_groups`` per grouping). Differences are max - min over the
        sufficient groups, ratios min / max; a one-vs-rest value is the worst class (max
        difference, min ratio). Each group has exact intervals of its rates (``selection_rate_ci``,
        ``recall_ci`` per class); each disparity a simultaneous interval (``ci``), and the rate
        disparities ``p_value``, ``p_adjusted`` (Holm over the model), ``significant`` and
        ``detectable_difference`` (80% power).

    Raises
    ------
    ConfigError
        For invalid parameters or ``classes``.
    DataError
        For inputs that cannot be audited (every problem listed once).

    Examples
    --------
    >>> import pandas as pd
    >>> r = multiclass_fairness_report(
    ...     y_true=[0, 1, 2, 0, 1, 2], y_pred=[0, 1, 1, 0, 2, 2], proba=None, classes=["a", "b", "c"],
    ...     sensitive=pd.DataFrame({"sex": list("FFFMMM")}), n_boot=0, min_group_size=3, min_group_positives=1)
    >>> r["overall"]["accuracy"]
    {'value': 0.6666666666666666, 'ci': None}
    >>> d = r["by_feature"]["sex"]["disparities"]["recall_difference_ovr"]
    >>> d["by_class"], d["worst_class"]
    ({'a': 0.0, 'b': 1.0, 'c': 1.0}, 'b')
    """
    inp = prepare_inputs(y_true=y_true, y_pred=y_pred, proba=proba, sensitive=sensitive, classes=classes,
                   n_boot=n_boot, ci_level=ci_level, min_group_size=min_group_size,
                   min_group_positives=min_group_positives, intersections=intersections)
    k = len(inp.classes)
    conf = np.bincount(inp.layout.row_cell * (k * k) + inp.y * k + inp.p,
                       minlength=inp.layout.n_cells * k * k).reshape(inp.layout.n_cells, k * k)
    group_conf = [g.aggregate(conf).reshape(-1, k, k) for g in inp.layout.groupings]
    masks = [_masks(c, min_group_size, min_group_positives) for c in group_conf]
    point = _evaluate(conf[None].astype(np.float64), inp.layout.groupings, masks, k, detail=True)
    point = {key: v[0] for key, v in point.items()}
    level = float(ci_level)
    inference = None
    if n_boot > 0:  # n_boot = 0 turns intervals and tests off; none of them resamples
        inference = _inference(conf.sum(axis=0).reshape(k, k), group_conf, masks, level=level)
    return _assemble(inp, point, inference, masks, level=level,
                     thresholds=(int(min_group_size), int(min_group_positives)))


# (G,) groups with enough rows; (G, K) groups with enough true rows of each class for its recall
_Masks = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class _Inference:
    overall: dict[str, tuple[np.ndarray, np.ndarray]]
    groupings: list[GroupingCI]
    tests: list[dict]
    summary: dict


def _inference(overall_conf: np.ndarray, group_conf: list[np.ndarray], masks: list[_Masks], *,
               level: float) -> _Inference:
    """Every interval and test of the report (``_multiclass_ci``)."""
    acc = class_components(overall_conf, level)["accuracy"]
    recall = macro_interval(overall_conf, level, "recall")
    overall = {"accuracy": (acc[1], acc[2]), "macro_precision": macro_interval(overall_conf, level, "precision"),
               "macro_recall": recall, "macro_f1": macro_interval(overall_conf, level, "f1"),
               "balanced_accuracy": recall}
    cis = [grouping_ci(c, *m, level) for c, m in zip(group_conf, masks, strict=True)]
    rec_masks = [m[0][:, None] & m[1] for m in masks]
    tests, summary = parity_tests([(c, m[0], r) for c, m, r in zip(group_conf, masks, rec_masks, strict=True)],
                                  level=level)
    return _Inference(overall=overall, groupings=cis, tests=tests, summary=summary)


def _assemble(inp: _Inputs, point: dict, inference: _Inference | None, masks: list[_Masks], *, level: float,
              thresholds: tuple[int, int]) -> dict:
    """The report: settings, overall metrics and one block per grouping."""
    by_feature = blocks(inp.layout.groupings, lambda gi, g: _block(gi, g, point, inference, masks[gi], inp.classes,
                                                                   thresholds=thresholds))
    overall: dict[str, dict | int] = {m: interval_entry(point[("overall", m)], inference.overall[m] if inference else None)
               for m in OVERALL_METRICS}
    overall["n"] = int(len(inp.y))
    settings = {
        "task": "multiclass",
        "classes": list(inp.classes),
        "n": int(len(inp.y)),
        "min_group_size": thresholds[0],
        "min_group_positives": thresholds[1],
        "missing_group": MISSING_GROUP,
        "ci": {"method": MULTICLASS_CI_METHOD if inference else None,
               "disparity_method": MULTICLASS_DISPARITY_METHOD if inference else None, "exact": True,
               "n_boot": 0, "level": level,  # no interval resamples (the n_boot setting only turns them on or off)
               "multiple_testing": inference.summary if inference else None},
    }
    return report(settings, overall=overall, by_feature=by_feature)


def _masks(group_conf: np.ndarray, min_group_size: int, min_group_positives: int) -> _Masks:
    """(G,) groups with enough rows, and (G, K) groups with enough true rows of each class for its recall."""
    true_sum = group_conf.sum(axis=-1)
    rows = true_sum.sum(axis=-1)
    return (sufficient(rows, min_group_size=min_group_size),
            sufficient(rows, MULTICLASS_METRICS["recall"], {"class_rows": true_sum}, min_group_size=0,
                       min_group_positives=min_group_positives))


def _evaluate(cell_conf: np.ndarray, groupings: list[Grouping], masks: list[_Masks], k: int, *,
              detail: bool = False) -> dict:
    """Every reported figure, from cell confusions (b, C, K*K): keys ("overall", m) and (gi, name)."""
    b = cell_conf.shape[0]
    m = confusion_metrics(cell_conf.sum(axis=1).reshape(b, k, k))
    out: dict[tuple[str | int, str], np.ndarray] = {("overall", name): m[name] for name in OVERALL_METRICS}
    for gi, g in enumerate(groupings):
        group_conf = g.aggregate(cell_conf)
        stats = _grouping_stats(group_conf.reshape(b, -1, k, k), *masks[gi])
        out.update({(gi, name): v for name, v in stats.items()})
        if detail:  # the point estimate also keeps what the group entries show
            gm = confusion_metrics(group_conf.reshape(b, -1, k, k))
            out[(gi, "confusion")] = group_conf.reshape(b, -1, k, k)
            out[(gi, "selection_rate")] = gm["selection_rate"]
            out[(gi, "recall")] = gm["recall"]
    return out


def _pair(lo, hi) -> list[float] | None:
    return [float(lo), float(hi)] if np.isfinite(lo) and np.isfinite(hi) else None


def _block(gi: int, g: Grouping, point: dict, inference: _Inference | None, masks: _Masks, classes: list[str], *,
           thresholds: tuple[int, int]) -> dict:
    """One grouping: its groups, disparities and the groups left out of them."""
    enough, positives_ok = masks
    counts = point[(gi, "confusion")].astype(np.int64)
    ci = inference.groupings[gi].groups if inference else None
    groups = []
    for j, label in enumerate(g.labels):
        entry = {"group": label, "values": dict(g.values[j]), "n": int(counts[j].sum()),
                 "sufficient": bool(enough[j]),
                 **{m: interval_entry(point[(gi, m)][j], (ci[m][0][j], ci[m][1][j]) if ci else None)
                    for m in GROUP_SCALARS},
                 "selection_rate": json_floats(point[(gi, "selection_rate")][j], classes),
                 "recall": json_floats(point[(gi, "recall")][j], classes, keep=positives_ok[j]),
                 "confusion": counts[j].tolist()}
        if ci:
            entry["selection_rate_ci"] = {c: _pair(ci["selection_rate"][0][j][i], ci["selection_rate"][1][j][i])
                                          for i, c in enumerate(classes)}
            entry["recall_ci"] = {c: _pair(ci["recall"][0][j][i], ci["recall"][1][j][i]) if positives_ok[j, i] else None
                                  for i, c in enumerate(classes)}
        groups.append(entry)
    return block(g, groups, _disparities(gi, g, point, inference, masks, classes, thresholds=thresholds),
                 excluded_groups=excluded_groups(groups, min_group_size=thresholds[0]))


def _disparities(gi: int, g: Grouping, point: dict, inference: _Inference | None, masks: _Masks, classes: list[str], *,
                 thresholds: tuple[int, int]) -> dict:
    """Every disparity of one grouping: value, interval, test, the groups used and why it is null when it is."""
    enough, positives_ok = masks
    min_group_size, min_group_positives = thresholds
    used = used_groups(g.labels, enough)
    out = {}
    for name, d in MULTICLASS_DISPARITIES.items():
        entry = interval_entry(point[(gi, name)], inference.groupings[gi].disparities[name] if inference else None)
        few = None if len(used) >= 2 else few_groups(len(used), len(g.labels), min_rows=min_group_size, metrics=d.metric)
        entry.update(groups_used=used if few is None else [], reason=few)
        if MULTICLASS_METRICS[d.metric].per_class:
            by_class = point[(gi, f"{name}_by_class")]
            entry["by_class"] = json_floats(by_class, classes)
            entry["worst_class"] = _worst(by_class, classes, lowest=d.lowest)
        test = inference.tests[gi].get(name) if inference and entry["value"] is not None else None
        entry.update(test or {"p_value": None, "p_adjusted": None, "significant": None, "detectable_difference": None})
        out[name] = entry
    ratio = out["selection_rate_ratio_ovr"]
    if ratio["reason"] is None and ratio["value"] is None:
        ratio["reason"] = _NO_RATIO
    _recall_groups(out["recall_difference_ovr"], g, enough[:, None] & positives_ok, classes,
                   min_group_size=min_group_size, min_group_positives=min_group_positives)
    return out


def _recall_groups(entry: dict, g: Grouping, mask: np.ndarray, classes: list[str], *, min_group_size: int,
                   min_group_positives: int) -> None:
    """The groups each class's recall difference rests on (two or more), and the reason when no class has two."""
    by_class = {c: [g.labels[j] for j in np.flatnonzero(mask[:, ci])] for ci, c in enumerate(classes)}
    by_class = {c: labels if len(labels) >= 2 else [] for c, labels in by_class.items()}
    entry["groups_used_by_class"] = by_class
    entry["groups_used"] = [label for label in g.labels if any(label in v for v in by_class.values())]
    if entry["value"] is None and entry["reason"] is None:
        entry["reason"] = _FEW_CLASS_GROUPS.format(min_rows=min_group_size, min_pos=min_group_positives)


def _worst(by_class: np.ndarray, classes: list[str], *, lowest: bool) -> str | None:
    if np.isnan(by_class).all():
        return None
    return classes[int(np.nanargmin(by_class) if lowest else np.nanargmax(by_class))]
