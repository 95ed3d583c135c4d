"""Benchmark the scale-out fairness audit: pandas in memory vs counts on pandas, Dask and Spark, and Fairlearn.

Synthetic predictions (sex with a 10 % missing group, race with 5 groups, labels, float64 scores and
thresholded predictions) are written once as Parquet files of ``--rows-per-file`` rows. Each engine
then runs in its own process, which a sampler watches (resident memory of the process and all its
children, JVM included, every 0.1 s), and reports its wall time and the time of its phases:

* ``in-memory``: ``pd.read_parquet`` of every file, then ``fairness_report`` on the arrays (the path
  ``rai-audit fairness --engine pandas`` takes for one file);
* ``pandas-counts``: ``fairness_report_from_frame(engine="pandas")``: read, one pandas group-by, the
  report from the counts;
* ``dask``: the same on Dask (threads, one per core), the Parquet folder read lazily, by partition;
* ``spark``: the same on Spark ``local[*]`` (session start timed apart);
* ``fairlearn``: ``MetricFrame`` with 4 metrics (selection rate, TPR, FPR, accuracy) over the
  intersection, no intervals, no AUC: it does less work than the report, and it needs the rows in memory.

Every engine's report is compared with the in-memory one: rates, disparities, intervals and ECE must
agree to 1e-9; ROC AUC (float scores, histogram of width 1e-4) is checked against its stated bound.

Usage: .venv/bin/python benchmarks/bench_scale.py [--rows 10000000] [--engines in-memory,pandas-counts,dask,spark,fairlearn]
       [--data DIR] [--rows-per-file 1000000] [--n-boot 1000] [--json OUT]
The 100M-row run: --rows 100000000 --engines dask (the only engine here whose memory stays bounded).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SENSITIVE = ["sex", "race"]
ENGINES = ("in-memory", "pandas-counts", "dask", "spark", "fairlearn")


# ---------------------------------------------------------------- data
def write_data(folder: Path, rows: int, rows_per_file: int, seed: int = 0) -> None:
    """Parquet files of synthetic predictions, generated one file at a time (bounded memory)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    for i, start in enumerate(range(0, rows, rows_per_file)):
        n = min(rows_per_file, rows - start)
        rng = np.random.default_rng([seed, i])
        sex = rng.choice(3, n, p=[0.45, 0.45, 0.10])
        race = rng.choice(5, n, p=[0.6, 0.2, 0.1, 0.07, 0.03])
        y = (rng.random(n) < 0.25 + 0.05 * (sex == 1)).astype(np.int8)
        logit = 2.0 * (y - 0.5) + 0.3 * (sex == 1) - 0.2 * (race == 4) + rng.normal(0, 1.2, n)
        score = 1.0 / (1.0 + np.exp(-logit))
        sex_arr = pa.DictionaryArray.from_arrays(pa.array(np.where(sex == 2, 0, sex).astype(np.int8),
                                                          mask=sex == 2), pa.array(["F", "M"]))
        race_arr = pa.DictionaryArray.from_arrays(pa.array(race.astype(np.int8)), pa.array([f"r{k}" for k in range(5)]))
        table = pa.table({"sex": sex_arr, "race": race_arr, "y_true": y, "y_pred": (score >= 0.5).astype(np.int8),
                          "y_score": score})
        pq.write_table(table, folder / f"part-{i:05d}.parquet")


# ---------------------------------------------------------------- workers (one process each)
def worker(engine: str, data: str, n_boot: int, out: str, scores: bool = True) -> None:
    import warnings

    warnings.filterwarnings("ignore")
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    t0 = time.perf_counter()
    phases: dict[str, float] = {}
    report = None
    if engine in ("in-memory", "fairlearn"):
        import pandas as pd

        frame = pd.read_parquet(data)
        phases["read"] = time.perf_counter() - t0
        t = time.perf_counter()
        if engine == "in-memory":
            from audit.fairness import fairness_report

            report = fairness_report(y_true=frame["y_true"], y_pred=frame["y_pred"],
                                     y_score=frame["y_score"] if scores else None, sensitive=frame[SENSITIVE],
                                     n_boot=n_boot)
        else:
            from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate
            from sklearn.metrics import accuracy_score

            sens = frame[SENSITIVE].astype(object).fillna("<missing>")
            mf = MetricFrame(metrics={"selection_rate": selection_rate, "tpr": true_positive_rate,
                                      "fpr": false_positive_rate, "accuracy": accuracy_score},
                             y_true=frame["y_true"].to_numpy(), y_pred=frame["y_pred"].to_numpy(),
                             sensitive_features=sens)
            mf.difference()
        phases["audit"] = time.perf_counter() - t
    else:
        from audit.fairness import count_table, fairness_report_from_counts
        from audit.fairness._frames import read_parquet, spark_session

        kind = {"pandas-counts": "pandas", "dask": "dask", "spark": "spark"}[engine]
        if kind == "dask":
            import dask

            dask.config.set(scheduler="threads", num_workers=os.cpu_count())
        if kind == "spark":
            spark_session().sparkContext.setLogLevel("ERROR")
            phases["session_start"] = time.perf_counter() - t0
        t = time.perf_counter()
        frame = read_parquet(data, engine=kind, columns=[*SENSITIVE, "y_true", "y_pred", "y_score"])
        table = count_table(frame, y_true="y_true", y_pred="y_pred", sensitive=SENSITIVE,
                            y_score="y_score" if scores else None)
        phases["count_on_engine"] = time.perf_counter() - t
        phases["table_rows"] = len(table)
        t = time.perf_counter()
        report = fairness_report_from_counts(table, y_true="y_true", y_pred="y_pred", sensitive=SENSITIVE,
                                             n_boot=n_boot)
        phases["report_from_counts"] = time.perf_counter() - t
    phases["total"] = time.perf_counter() - t0
    Path(out).write_text(json.dumps({"phases": phases, "report": report}), encoding="utf-8")


# ---------------------------------------------------------------- the parent: run, watch, compare
def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


def run_engine(engine: str, data: Path, n_boot: int, tmp: Path, scores: bool = True) -> dict:
    out = tmp / f"{engine}.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, __file__, "--worker", engine, "--data", str(data), "--n-boot", str(n_boot),
                             "--out", str(out), *([] if scores else ["--no-scores"])], env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
    peak = [0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.1)

    watcher = threading.Thread(target=sample, daemon=True)
    t = time.perf_counter()
    watcher.start()
    proc.wait()
    wall = time.perf_counter() - t
    watcher.join()
    if proc.returncode != 0:
        return {"engine": engine, "error": f"exit {proc.returncode}", "wall_s": wall, "peak_rss_gib": peak[0] / 2**30}
    result = json.loads(out.read_text())
    return {"engine": engine, "wall_s": wall, "peak_rss_gib": peak[0] / 2**30, **result}


def compare(reference: dict, other: dict) -> tuple[float, float, int]:
    """Largest difference outside ROC AUC, largest AUC excess over its stated bound, AUC entries checked."""
    worst, auc_excess, n_auc = 0.0, 0.0, 0

    def walk(a, b, path):
        nonlocal worst, auc_excess, n_auc
        if isinstance(a, dict):
            if "roc_auc" in path.split("/")[-1:] and "value" in a and isinstance(b, dict):
                n_auc += 1
                bound = (b.get("approximation") or {}).get("max_abs_error", 0.0)
                if a["value"] is not None:
                    auc_excess = max(auc_excess, abs(a["value"] - b["value"]) - bound)
                return
            for k in a:
                if k in ("roc_auc_counting",) or k.startswith("roc_auc_"):
                    continue
                walk(a[k], b.get(k) if isinstance(b, dict) else None, f"{path}/{k}")
        elif isinstance(a, list) and isinstance(b, list):
            # lenient like the dict walk above: differences are measured here, not asserted
            for i, (u, v) in enumerate(zip(a, b, strict=False)):
                walk(u, v, f"{path}[{i}]")
        elif isinstance(a, float) and isinstance(b, float):
            worst = max(worst, abs(a - b))

    walk(reference, other, "")
    return worst, auc_excess, n_auc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--rows-per-file", type=int, default=1_000_000)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--data", type=Path, help="folder for the Parquet files (kept; reused when it holds --rows rows)")
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--no-scores", action="store_true",
                    help="audit labels only (no ROC AUC / ECE): isolates the rate metrics from the in-memory AUC's sorts")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, str(args.data), args.n_boot, args.out, scores=not args.no_scores)
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench_scale_"))
    data = args.data or tmp / "data"
    marker = data / f".rows-{args.rows}"
    if not marker.exists():
        t = time.perf_counter()
        write_data(data, args.rows, args.rows_per_file)
        marker.touch()
        print(f"wrote {args.rows:,} rows to {data} in {time.perf_counter() - t:.0f} s", flush=True)
    size = sum(f.stat().st_size for f in data.glob("*.parquet"))
    print(f"data: {args.rows:,} rows, {size / 2**30:.2f} GiB Parquet; cores: {os.cpu_count()}; "
          f"load average before: {os.getloadavg()}", flush=True)
    results = []
    for engine in args.engines.split(","):
        r = run_engine(engine, data, args.n_boot, tmp, scores=not args.no_scores)
        r["load_after"] = os.getloadavg()
        results.append(r)
        phases = {k: round(v, 2) if isinstance(v, float) else v for k, v in r.get("phases", {}).items()}
        print(f"{engine:14s} wall {r['wall_s']:8.1f} s  peak RSS {r['peak_rss_gib']:6.2f} GiB  {phases} "
              f"{r.get('error', '')}  load {r['load_after'][0]:.1f}", flush=True)
    base = next((r for r in results if r["engine"] == "in-memory" and "report" in r), None)
    for r in results:
        if base is not None and r is not base and r.get("report"):
            worst, excess, n_auc = compare(base["report"], r["report"])
            r["max_abs_diff"], r["auc_excess_over_bound"] = worst, excess
            print(f"{r['engine']:14s} vs in-memory: max |diff| (rates, disparities, CIs, ECE) {worst:.2e}; "
                  f"ROC AUC within its bound: {excess <= 1e-12} ({n_auc} entries); "
                  f"time ratio {r['wall_s'] / base['wall_s']:.2f}, memory ratio "
                  f"{r['peak_rss_gib'] / base['peak_rss_gib']:.2f}")
    if args.json:
        for r in results:
            r.pop("report", None)
        args.json.write_text(json.dumps({"rows": args.rows, "results": results}, indent=1))


if __name__ == "__main__":
    main()
