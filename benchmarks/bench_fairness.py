"""Benchmark the fairness engine against Fairlearn's MetricFrame.

Synthetic data: 2 sensitive features (2 x 5 groups), binary labels and predictions.
Prints medians and ratios (MetricFrame / ours) for
  * point metrics: ``fairness_report(n_boot=0)`` (9 rates + every disparity, for each
    feature alone and their intersection, and the overall values) against one
    ``MetricFrame`` with 4 metrics (selection rate, accuracy, TPR, FPR) over the
    intersection of the two features: Fairlearn does less work in this comparison;
  * 1000-resample intervals: ``fairness_report(n_boot=1000)`` against
    ``MetricFrame(n_boot=k)``, extrapolated linearly to 1000 resamples (stated);
  * peak memory of ``fairness_report`` at the largest size (tracemalloc: numpy's
    allocations are traced; the input arrays themselves are excluded).

Usage: .venv/bin/python benchmarks/bench_fairness.py [--quick]
  --quick: 100k rows only, fewer repeats (< 60 s). Full: 100k, 1M, 10M rows;
  MetricFrame at 10M is extrapolated from 1M (it would take minutes), and says so.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd


def make_data(n: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, n)
    b = rng.integers(0, 5, n)
    y = (rng.random(n) < 0.3 + 0.1 * a).astype(np.int8)
    p = (rng.random(n) < 0.25 + 0.05 * b).astype(np.int8)
    sens = pd.DataFrame({"a": pd.Categorical.from_codes(a, ["F", "M"]),
                         "b": pd.Categorical.from_codes(b, ["r0", "r1", "r2", "r3", "r4"])})
    return {"y": y, "p": p, "sens": sens}


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def ours(d: dict, n_boot: int):
    from audit.fairness import fairness_report

    return fairness_report(y_true=d["y"], y_pred=d["p"], sensitive=d["sens"], n_boot=n_boot)


def metricframe(d: dict, n_boot: int | None = None):
    import sklearn.metrics as skm
    from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate

    kw = {"n_boot": n_boot, "ci_quantiles": [0.025, 0.975], "random_state": 0} if n_boot else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MetricFrame(
            metrics={"selection_rate": selection_rate, "accuracy": skm.accuracy_score,
                     "tpr": true_positive_rate, "fpr": false_positive_rate},
            y_true=d["y"], y_pred=d["p"], sensitive_features=d["sens"], **kw,
        )


def check_same(d: dict) -> float:
    """Largest absolute difference between our intersection metrics and MetricFrame's."""
    rep = ours(d, 0)["by_feature"]["a & b"]
    mf = metricframe(d).by_group
    worst = 0.0
    for g in rep["groups"]:
        row = mf.loc[(g["values"]["a"], g["values"]["b"])]
        for m in ("selection_rate", "accuracy", "tpr", "fpr"):
            worst = max(worst, abs(g["metrics"][m]["value"] - row[m]))
    return worst


def peak_memory_mb(d: dict, n_boot: int) -> float:
    tracemalloc.start()
    ours(d, n_boot)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k rows only (< 60 s)")
    args = parser.parse_args()
    sizes = [100_000] if args.quick else [100_000, 1_000_000, 10_000_000]
    fl_boot_k = {100_000: 3 if args.quick else 10, 1_000_000: 1}
    rows = []
    fl_point_per_row = fl_boot_per_resample_row = None
    for n in sizes:
        d = make_data(n)
        repeats = 3 if n <= 1_000_000 else 1
        t_ours = median_time(lambda: ours(d, 0), repeats)
        t_ours_boot = median_time(lambda: ours(d, 1000), repeats)
        if n <= 1_000_000:
            t_fl = median_time(lambda: metricframe(d), 1 if (args.quick or n > 100_000) else 3)
            fl_point_per_row = t_fl / n
            k = fl_boot_k[n]
            t_k = median_time(lambda: metricframe(d, k), 1)
            t_fl_boot = (t_k - t_fl) / k * 1000 + t_fl  # extrapolated to 1000 resamples
            fl_boot_per_resample_row = (t_k - t_fl) / k / n
            fl_note = f"measured; n_boot=1000 extrapolated from n_boot={k}"
            diff = check_same(d)
        else:
            t_fl = fl_point_per_row * n
            t_fl_boot = t_fl + fl_boot_per_resample_row * 1000 * n
            fl_note = "extrapolated linearly from 1M rows"
            diff = None
        rows.append((n, t_ours, t_fl, t_ours_boot, t_fl_boot, fl_note, diff))
        print(f"done {n:>10,} rows", flush=True)
    big = make_data(sizes[-1])
    mem = peak_memory_mb(big, 1000)
    input_mb = (big["y"].nbytes + big["p"].nbytes + big["sens"].memory_usage(deep=True).sum()) / 2**20

    print()
    print("| rows | ours, point (s) | MetricFrame, point (s) | ratio | ours, 1000 CIs (s) | "
          "MetricFrame, 1000 CIs (s) | ratio | max abs diff | MetricFrame timing |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for n, t_o, t_f, t_ob, t_fb, note, diff in rows:
        d = "n/a" if diff is None else f"{diff:.1e}"
        print(f"| {n:,} | {t_o:.3f} | {t_f:.2f} | {t_f / t_o:,.0f}x | {t_ob:.3f} | {t_fb:,.0f} | "
              f"{t_fb / t_ob:,.0f}x | {d} | {note} |")
    print()
    print(f"Peak memory of fairness_report(n_boot=1000) at {sizes[-1]:,} rows: {mem:,.0f} MiB "
          f"(tracemalloc, beyond the {input_mb:,.0f} MiB of inputs).")
    print("Ours: 9 rates + all disparities for each feature and the intersection; MetricFrame: 4 metrics, "
          "intersection only. Times are medians; ratios = MetricFrame / ours.")


if __name__ == "__main__":
    main()
