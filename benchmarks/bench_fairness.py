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

Usage: .venv/bin/python benchmarks/bench_fairness.py [--quick] [--coverage AUDITS]
  --quick: 100k rows only, fewer repeats (< 60 s). Full: 100k, 1M, 10M rows;
  MetricFrame at 10M is extrapolated from 1M (it would take minutes), and says so.
  --coverage AUDITS: instead, simulate AUDITS audits per row of the coverage table of the
  simultaneous (max-t) group-rate bands and the family-wise error of the Holm-adjusted
  significance flags under no disparity (docs/fairness.md quotes it; 1000 audits take ~5 min).
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


def band_coverage(*, n_groups: int, n_per: int, audits: int, n_boot: int, seed: int) -> dict[str, float]:
    """Share of simulated audits whose simultaneous band covers every group's true rate (and the marginal CIs')."""
    from audit.fairness import fairness_report

    rng = np.random.default_rng(seed)
    true_fpr, true_tpr = np.linspace(0.1, 0.6, n_groups), np.linspace(0.5, 0.9, n_groups)
    truth = {"selection_rate": 0.4 * true_tpr + 0.6 * true_fpr, "tpr": true_tpr}
    hits = {"selection_rate": 0, "tpr": 0, "marginal selection_rate": 0}
    for _ in range(audits):
        g = np.repeat(np.arange(n_groups), n_per)
        y = (rng.random(len(g)) < 0.4).astype(int)
        p = np.where(y == 1, rng.random(len(g)) < true_tpr[g], rng.random(len(g)) < true_fpr[g]).astype(int)
        groups = fairness_report(y_true=y, y_pred=p, sensitive=pd.DataFrame({"g": g.astype(str)}), n_boot=n_boot,
                                 seed=int(rng.integers(1 << 30)))["by_feature"]["g"]["groups"]
        order = [int(x["group"]) for x in groups]
        for key, m, field in (("selection_rate", "selection_rate", "simultaneous_ci"), ("tpr", "tpr", "simultaneous_ci"),
                              ("marginal selection_rate", "selection_rate", "ci")):
            hits[key] += all(x["metrics"][m][field][0] <= truth[m][k] <= x["metrics"][m][field][1]
                             for k, x in zip(order, groups, strict=True))
    return {k: v / audits for k, v in hits.items()}


def null_family_error(*, audits: int, n_boot: int, seed: int) -> tuple[float, float, float]:
    """(share of no-disparity audits with a Holm-significant disparity, with any unadjusted p < alpha, tests per audit)."""
    from audit.fairness import fairness_report

    rng = np.random.default_rng(seed)
    holm_hit = raw_hit = tests = 0
    for _ in range(audits):
        n = 3000
        s = pd.DataFrame({"a": rng.choice(list("xyz"), n), "b": rng.choice(list("uv"), n)})
        y = (rng.random(n) < 0.3).astype(int)
        p = np.where(rng.random(n) < 0.7, y, (rng.random(n) < 0.3).astype(int))
        rep = fairness_report(y_true=y, y_pred=p, sensitive=s, n_boot=n_boot, seed=int(rng.integers(1 << 30)))
        pv = [e["p_value"] for b in rep["by_feature"].values() for e in b["disparities"].values() if e["p_value"] is not None]
        holm_hit += rep["ci"]["multiple_testing"]["significant"] > 0
        raw_hit += any(v < rep["ci"]["multiple_testing"]["alpha"] for v in pv)
        tests += len(pv)
    return holm_hit / audits, raw_hit / audits, tests / audits


def coverage_report(audits: int) -> None:
    print("| groups x rows, n_boot | band covers all selection rates | band covers all TPRs | marginal CIs cover all |")
    print("|---|---:|---:|---:|")
    for n_groups, n_per, n_boot in ((10, 2000, 1000), (12, 200, 300), (12, 200, 1000), (20, 100, 1000)):
        cov = band_coverage(n_groups=n_groups, n_per=n_per, audits=audits, n_boot=n_boot, seed=7)
        print(f"| {n_groups} x {n_per}, {n_boot} | {cov['selection_rate']:.1%} | {cov['tpr']:.1%} | "
              f"{cov['marginal selection_rate']:.1%} |", flush=True)
    holm_rate, raw_rate, tests = null_family_error(audits=max(50, audits // 3), n_boot=300, seed=11)
    print(f"\nNo disparity anywhere (features 3 and 2 groups + intersection, n = 3000, n_boot = 300, "
          f"{max(50, audits // 3)} audits, {tests:.0f} tests each): some disparity significant after Holm in "
          f"{holm_rate:.1%} of audits; some unadjusted p < 0.05 in {raw_rate:.1%}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k rows only (< 60 s)")
    parser.add_argument("--coverage", type=int, metavar="AUDITS", help="print the simultaneous-inference coverage table")
    args = parser.parse_args()
    if args.coverage:
        coverage_report(args.coverage)
        return
    sizes = [100_000] if args.quick else [100_000, 1_000_000, 10_000_000]
    fl_boot_k = {100_000: 3 if args.quick else 10, 1_000_000: 1}
    rows = []
    fl_point_per_row = fl_boot_per_resample_row = None
    for n in sizes:
        d = make_data(n)
        repeats = 3 if n <= 1_000_000 else 1
        t_ours = median_time(lambda d=d: ours(d, 0), repeats)
        t_ours_boot = median_time(lambda d=d: ours(d, 1000), repeats)
        if n <= 1_000_000:
            t_fl = median_time(lambda d=d: metricframe(d), 1 if (args.quick or n > 100_000) else 3)
            fl_point_per_row = t_fl / n
            k = fl_boot_k[n]
            t_k = median_time(lambda d=d, k=k: metricframe(d, k), 1)
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
