"""Benchmark the multiclass and regression fairness reports against Fairlearn's MetricFrame.

Synthetic data: 2 sensitive features (2 x 5 groups) and their intersection; 6 classes for the
multiclass report; a skewed numeric target for the regression report. Prints medians and ratios
(MetricFrame / ours) for

  * point figures: ``multiclass_fairness_report(n_boot=0)`` (accuracy, macro recall and F1, the
    selection rate and recall of every class, confusion matrices, six disparities, for each feature
    and the intersection) against one ``MetricFrame`` per feature and the intersection with
    accuracy, macro recall and macro F1 (scikit-learn) and the selection rate of each class
    (Fairlearn does less work); ``regression_fairness_report(n_boot=0)`` against ``MetricFrame``
    with MAE, RMSE and mean prediction;
  * the same reports with 1000 bootstrap resamples (MetricFrame's own bootstrap is not timed: at
    these sizes it would take minutes per resample count).

The figures are checked equal first (accuracy and MAE by group, to 1e-12).

Usage: .venv/bin/python benchmarks/bench_tasks.py [--quick]
  --quick: 100k rows only (< 1 min). Full: 100k and 1M rows.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd
from bench_fairness import median_time  # the same medians as the binary benchmark (this folder is on sys.path)

CLASSES = [f"c{k}" for k in range(6)]


def make_data(n: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 2, n), rng.integers(0, 5, n)
    y = rng.integers(0, len(CLASSES), n)
    pred = np.where(rng.random(n) < 0.5 + 0.05 * b, y, rng.integers(0, len(CLASSES), n))
    target = rng.lognormal(3.0 + 0.2 * a, 0.5, n)
    estimate = target * rng.normal(1.0, 0.2 + 0.05 * b, n)
    sens = pd.DataFrame({"a": pd.Categorical.from_codes(a, ["F", "M"]),
                         "b": pd.Categorical.from_codes(b, ["r0", "r1", "r2", "r3", "r4"])})
    return {"y": y, "pred": pred, "target": target, "estimate": estimate, "sens": sens}


def ours_multiclass(d: dict, n_boot: int) -> dict:
    from audit.fairness import multiclass_fairness_report

    return multiclass_fairness_report(y_true=d["y"], y_pred=d["pred"], proba=None, sensitive=d["sens"],
                                      classes=CLASSES, n_boot=n_boot)


def ours_regression(d: dict, n_boot: int) -> dict:
    from audit.fairness import regression_fairness_report

    return regression_fairness_report(y_true=d["target"], y_pred=d["estimate"], sensitive=d["sens"], n_boot=n_boot)


def _frames(metrics: dict, y, p, sens: pd.DataFrame) -> list:
    from fairlearn.metrics import MetricFrame

    groupings = [sens[["a"]], sens[["b"]], sens[["a", "b"]]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [MetricFrame(metrics=metrics, y_true=y, y_pred=p, sensitive_features=g) for g in groupings]


def metricframe_multiclass(d: dict) -> list:
    from fairlearn.metrics import selection_rate
    from sklearn.metrics import accuracy_score, f1_score, recall_score

    metrics = {"accuracy": accuracy_score,
               "macro_recall": lambda y, p: recall_score(y, p, average="macro", zero_division=0),
               "macro_f1": lambda y, p: f1_score(y, p, average="macro", zero_division=0),
               **{f"selection_{k}": (lambda y, p, k=k: selection_rate(y, p, pos_label=k)) for k in range(len(CLASSES))}}
    return _frames(metrics, d["y"], d["pred"], d["sens"])


def metricframe_regression(d: dict) -> list:
    from sklearn.metrics import mean_absolute_error, mean_squared_error

    metrics = {"mae": mean_absolute_error, "rmse": lambda y, p: float(np.sqrt(mean_squared_error(y, p))),
               "mean_prediction": lambda y, p: float(np.mean(p))}
    return _frames(metrics, d["target"], d["estimate"], d["sens"])


def check_same(d: dict) -> float:
    """Largest gap between our group accuracy / MAE and MetricFrame's, over the first feature."""
    gaps = []
    for ours, frames, key in ((ours_multiclass(d, 0), metricframe_multiclass(d), "accuracy"),
                              (ours_regression(d, 0), metricframe_regression(d), "mae")):
        by_group = frames[0].by_group[key]
        for g in ours["by_feature"]["a"]["groups"]:
            gaps.append(abs(g[key]["value"] - float(by_group.loc[g["group"]])))
    return max(gaps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k rows only (< 1 min)")
    args = parser.parse_args()
    sizes = [100_000] if args.quick else [100_000, 1_000_000]
    repeats = 3 if args.quick else 5
    rows = []
    for n in sizes:
        d = make_data(n)
        gap = check_same(d)
        assert gap < 1e-12, f"the reports differ from MetricFrame by {gap}"
        times = {
            "mc": median_time(lambda d=d: ours_multiclass(d, 0), repeats),
            "mc_fl": median_time(lambda d=d: metricframe_multiclass(d), 1 if n > 100_000 else repeats),
            "mc_boot": median_time(lambda d=d: ours_multiclass(d, 1000), 1 if n > 100_000 else repeats),
            "rg": median_time(lambda d=d: ours_regression(d, 0), repeats),
            "rg_fl": median_time(lambda d=d: metricframe_regression(d), 1 if n > 100_000 else repeats),
            "rg_boot": median_time(lambda d=d: ours_regression(d, 1000), 1 if n > 100_000 else repeats),
        }
        rows.append((n, gap, times))
        print(f"done {n:>10,} rows", flush=True)
    print()
    print("| rows | task | ours, point (s) | MetricFrame, point (s) | ratio | ours, 1000 resamples (s) |")
    print("|---:|---|---:|---:|---:|---:|")
    for n, _, t in rows:
        print(f"| {n:,} | multiclass | {t['mc']:.3f} | {t['mc_fl']:.2f} | {t['mc_fl'] / t['mc']:,.0f}x | {t['mc_boot']:.2f} |")
        print(f"| {n:,} | regression | {t['rg']:.3f} | {t['rg_fl']:.2f} | {t['rg_fl'] / t['rg']:,.0f}x | {t['rg_boot']:.2f} |")
    print()
    print(f"Largest gap to MetricFrame (group accuracy and MAE): {max(g for _, g, _ in rows):.1e}. Medians; "
          "ratios = MetricFrame / ours. Ours computes more (every class, confusion matrices, disparities).")


if __name__ == "__main__":
    main()
