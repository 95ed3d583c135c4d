"""Integrated Gradients throughput on the Adult test set: rai-audit vs Captum's default call.

Trains the built-in MLP (64, 32) on the bundled Adult training split (a few
epochs: the weights do not change the cost), then attributes the whole test
set (16,281 rows, ~108 encoded columns) with IG, n_steps=50, Gauss-Legendre,
baseline = training mean, three ways, interleaved ``--repeats`` times:

- ``captum_default``: ``IntegratedGradients(f).attribute(X, baselines=b)``
- ``captum_batched``: the same with ``internal_batch_size=n_steps * 512``
- ``rai_audit``: ``audit.explain.IntegratedGradients`` (chunked)

and prints median rows/s, the ratio of medians vs Captum's default, and the
max abs difference of the attributions. Also times one full
``explain_tabular`` call (attributions, views, reliance, faithfulness checks).

Run::

    .venv/bin/python benchmarks/bench_explain.py [--repeats 3] [--rows N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch


def _adult(rows: int | None):
    from audit.data import TabularPreprocessor
    from audit.data.datasets import load_adult

    train, test = load_adult()
    if rows is not None:
        test = test.iloc[:rows]
    features = [c for c in train.columns if c != "income"]
    pre = TabularPreprocessor().fit(train[features])
    X_train, X_test = pre.transform(train[features]), pre.transform(test[features])
    y_train = (train["income"] == ">50K").to_numpy().astype(np.int64)
    y_test = (test["income"] == ">50K").to_numpy().astype(np.int64)
    return train, test, features, pre, X_train, X_test, y_train, y_test


def _train(X: np.ndarray, y: np.ndarray) -> torch.nn.Module:
    from audit.models import MLP, binary_loss

    torch.manual_seed(0)
    model = MLP(X.shape[1])
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(2):
        perm = torch.randperm(len(X_t))
        for s in range(0, len(X_t), 1024):
            i = perm[s : s + 1024]
            opt.zero_grad()
            binary_loss(model(X_t[i]), y_t[i]).backward()
            opt.step()
    return model.eval()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=None, help="attribute only the first N test rows")
    parser.add_argument("--n-steps", type=int, default=50)
    args = parser.parse_args(argv)

    from captum.attr import IntegratedGradients as CaptumIG

    from audit.explain import IntegratedGradients, explain_tabular
    from audit.models import positive_logit

    train, test, features, pre, X_train, X_test, y_train, y_test = _adult(args.rows)
    model = _train(X_train, y_train)
    X = torch.from_numpy(X_test)
    b = torch.from_numpy(X_train.mean(axis=0, keepdims=True))
    forward = lambda x: positive_logit(model(x))  # noqa: E731
    n = len(X)
    print(f"Adult test set: {n} rows x {X.shape[1]} encoded columns; IG n_steps={args.n_steps}; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads; medians of {args.repeats} interleaved runs")

    runs = {
        "captum_default": lambda: CaptumIG(forward).attribute(X, baselines=b, n_steps=args.n_steps),
        "captum_batched": lambda: CaptumIG(forward).attribute(X, baselines=b, n_steps=args.n_steps,
                                                              internal_batch_size=args.n_steps * 512),
        "rai_audit": lambda: torch.from_numpy(IntegratedGradients(model, n_steps=args.n_steps).attribute(X, baselines=b)),
    }
    times: dict[str, list[float]] = {k: [] for k in runs}
    results: dict[str, torch.Tensor] = {}
    for _ in range(args.repeats):
        for name, fn in runs.items():  # interleaved: background load hits every method alike
            t0 = time.perf_counter()
            results[name] = fn().detach()
            times[name].append(time.perf_counter() - t0)
    base = statistics.median(times["captum_default"])
    print(f"{'method':<16}{'median s':>10}{'rows/s':>10}{'vs default':>12}{'max |diff|':>12}")
    for name in runs:
        med = statistics.median(times[name])
        diff = float((results[name] - results["captum_default"]).abs().max())
        print(f"{name:<16}{med:>10.2f}{n / med:>10.0f}{base / med:>11.1f}x{diff:>12.1e}")

    t0 = time.perf_counter()
    section, _ = explain_tabular(
        model, X_explain=X_test, X_train=X_train, feature_names=pre.feature_names_, feature_groups=pre.feature_groups_,
        raw_explain=test[features], y_explain=y_test, sensitive_explain=test[["sex", "race"]],
        raw_train=train[features], sensitive_train=train[["sex", "race"]],
    )
    total = time.perf_counter() - t0
    print(f"explain_tabular (IG + views + reliance + checks) on {n} rows: {total:.2f} s "
          f"(attribution {section['timing']['attribution_s']:.2f} s, checks {section['faithfulness']['checks_s']:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
