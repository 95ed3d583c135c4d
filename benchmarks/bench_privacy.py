"""Privacy benchmark on Adult: DP vs non-private epoch time per grad-sample mode, accuracy per ε, audit time.

Run: .venv/bin/python benchmarks/bench_privacy.py [--quick] [--attacks-only] [--reference-models 1 2 4]
     .venv/bin/python benchmarks/bench_privacy.py --costs [--repeats 3] [--curve-rows 300000]
Ratios are of medians over epochs; the non-private loop is the same minibatch Adam loop
without per-example gradients, clipping or noise, at the same batch size.

``--costs``: CPU seconds on one torch thread, medians of interleaved runs, each against its
anchor measured in the same run: a default ``train_private`` against the same epochs without privacy, our
accounting against Opacus's accountants, the utility curve's scoring against Fairlearn's MetricFrame and the
whole curve stage against the same stage with Opacus's accounting per epoch and MetricFrame scoring.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
warnings.filterwarnings("ignore")

from audit.models import MLP, predict_proba  # noqa: E402
from audit.privacy import (  # noqa: E402
    DP_DEFAULTS,
    canary_audit,
    gradient_canary_audit,
    identifier_scan,
    membership_inference,
    privacy_utility_curve,
    train_non_private,
    train_private,
)
from tests.audit.privacy.conftest import encode_adult  # noqa: E402


def nonprivate_epoch_times(X, y, *, batch_size, epochs, model=None, loss_fn=None):
    from audit.models import binary_loss

    X_t, y_t = torch.tensor(X), torch.tensor(y)
    model = model if model is not None else MLP(X.shape[1])
    loss_fn = loss_fn if loss_fn is not None else binary_loss
    opt = torch.optim.Adam(model.parameters(), lr=DP_DEFAULTS["learning_rate"])

    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(len(X_t))
        for s in range(0, len(X_t), batch_size):
            idx = perm[s : s + batch_size]
            opt.zero_grad()
            loss_fn(model(X_t[idx]), y_t[idx]).backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    return times


def accuracy(model, X, y):
    return float(((predict_proba(model, X) >= 0.5) == y).mean())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer epochs and ε values")
    ap.add_argument("--attacks-only", action="store_true", help="only the membership attacks' cost (RMIA, LiRA)")
    ap.add_argument("--reference-models", type=int, nargs="+", default=[1, 2, 4], help="reference models to time")
    ap.add_argument("--costs", action="store_true", help="only the accounting, training-ratio and curve-stage costs")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repeats for --costs")
    ap.add_argument("--curve-rows", type=int, default=300_000, help="test rows of the curve benchmarks (--costs)")
    args = ap.parse_args()
    if args.costs:
        bench_costs(repeats=args.repeats, curve_rows=args.curve_rows)
        return
    torch.set_num_threads(2)
    X, y, Xt, yt, sens = encode_adult()
    print(f"Adult: {X.shape[0]} train x {X.shape[1]} features, {len(Xt)} test; torch threads {torch.get_num_threads()}")
    if args.attacks_only:
        bench_reference_attacks(X, y, Xt, yt, ks=args.reference_models)
        return
    bench_epoch_times(X, y)
    bench_cnn_epoch_times()
    bench_accounting(len(X))
    bench_accuracy(X, y, Xt, yt, sens, quick=args.quick)
    bench_whole_audit(X, y, Xt, yt)
    bench_reference_attacks(X, y, Xt, yt, ks=args.reference_models)


def _tpr_text(attack: dict, i: int) -> str:
    p = attack["low_fpr"][i]
    if p["tpr"] is None:
        return f"n/r ({p['false_positive_allowance']} FP allowed)"
    return f"{p['tpr']:.4f} [{p['tpr_ci'][0]:.4f}, {p['tpr_ci'][1]:.4f}] ({p['false_positives']} FP)"


def bench_reference_attacks(X, y, Xt, yt, *, ks):
    """Cost of RMIA and LiRA: seconds per reference model and for the whole attack, for each audited model."""
    from audit.privacy import DPSettings, membership_audit, private_trainer, train_with_settings

    print("\n## Membership attacks with reference models (offline RMIA, LiRA), clean non-members, 5,000 of each")
    settings = DPSettings(epsilon=1.0)
    t0 = time.perf_counter()
    torch.manual_seed(0)
    private = train_with_settings(MLP(X.shape[1]), X, y, settings=settings, seed=0).model
    t_private = time.perf_counter() - t0
    t0 = time.perf_counter()
    torch.manual_seed(0)
    plain = train_non_private(MLP(X.shape[1]), X, y)
    t_plain = time.perf_counter() - t0
    print(f"audited models: private (ε=1) trained in {t_private:.1f} s, non-private in {t_plain:.1f} s")

    def plain_fn(Xa, ya, seed):
        torch.manual_seed(seed)
        return train_non_private(MLP(X.shape[1]), Xa, ya, seed=seed)

    trainers = {"private": (private_trainer(lambda: MLP(X.shape[1]), settings, n_target=len(X)), "DP-SGD"),
                "non-private": (plain_fn, "plain")}
    for k in ks:
        t0 = time.perf_counter()
        res = membership_audit({"private": private, "non-private": plain}, X_train=X, y_train=y, X_heldout=Xt,
                               y_heldout=yt, trainers=trainers, reference_models=k, max_rows=5000, seed=0)
        total = time.perf_counter() - t0
        c = res["private"]["nonmember_cleaning"]
        print(f"k={k}: whole membership audit (both models, all attacks) {total:.1f} s; non-members: "
              f"{c['exact_duplicates_removed']} exact + {c['near_duplicates_removed']} near duplicates removed, "
              f"{res['private']['n_nonmembers']} attacked, {c['population_rows']} population rows")
        for name, section in res.items():
            ref = section["reference_models"]
            per = statistics.median(ref["seconds_per_model"])
            ratio = per / (t_private if name == "private" else t_plain)
            print(f"  {name:11s} reference attack {ref['seconds']:.1f} s, {per:.2f} s per reference model "
                  f"({ref['rows_per_model'][0]} rows; {ratio:.2f}x the audited model's training)")
            for attack, a in section["attacks"].items():
                print(f"    {attack:14s} AUC {a['auc']:.4f}  TPR@1%FPR {_tpr_text(a, 0)}  TPR@0.1%FPR {_tpr_text(a, 1)}")


def bench_epoch_times(X, y):
    print("\n## Epoch time, private / non-private (median over epochs, training only)")
    for bs in (256, DP_DEFAULTS["batch_size"]):
        base = statistics.median(nonprivate_epoch_times(X, y, batch_size=bs, epochs=5))
        for mode in ("bookkeeping", "ghost", "hooks", "functorch", "ew"):
            torch.manual_seed(0)
            res = train_private(MLP(X.shape[1]), X, y, epsilon=8.0, epochs=5, batch_size=bs, grad_sample_mode=mode, accountant="rdp")
            med = statistics.median(res.seconds_per_epoch)
            print(f"batch {bs:5d}  {mode:9s}  DP {med:6.3f} s  non-private {base:6.3f} s  ratio {med / base:5.2f}x")


def bench_cnn_epoch_times():
    print("\n## Epoch time on scikit-learn's digits, the example CNN (Conv-ReLU-MaxPool-Linear), batch 256")
    from sklearn.datasets import load_digits
    from torch import nn

    digits = load_digits()
    Xd, yd = (digits.images / 16.0).astype(np.float32)[:, None], digits.target.astype(np.int64)

    def cnn():
        return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 4 * 4, 10))

    torch.manual_seed(0)
    base = statistics.median(nonprivate_epoch_times(Xd, yd, batch_size=256, epochs=5, model=cnn(), loss_fn=nn.CrossEntropyLoss()))
    for mode in ("bookkeeping", "ghost", "hooks"):
        torch.manual_seed(0)
        res = train_private(cnn(), Xd, yd, epsilon=4.0, epochs=5, batch_size=256, loss_fn=nn.CrossEntropyLoss(),
                            grad_sample_mode=mode, accountant="rdp")
        med = statistics.median(res.seconds_per_epoch)
        print(f"digits CNN  {mode:11s}  DP {med:6.4f} s  non-private {base:6.4f} s  ratio {med / base:5.2f}x")


def bench_accounting(n_rows):
    print("\n## Accounting: one PRV ε evaluation (done once per epoch, outside the epoch times above)")
    from opacus.accountants import PRVAccountant

    q, per_epoch = 1 / int(np.ceil(n_rows / DP_DEFAULTS["batch_size"])), int(np.ceil(n_rows / DP_DEFAULTS["batch_size"]))
    acc = PRVAccountant()
    acc.history = [(3.5, q, per_epoch * DP_DEFAULTS["epochs"])]
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        acc.get_epsilon(delta=1e-6)
        times.append(time.perf_counter() - t0)
    print(f"PRV get_epsilon after {per_epoch * DP_DEFAULTS['epochs']} steps: median {statistics.median(times):.3f} s "
          "(independent of the number of rows; Opacus's own cost)")


def bench_accuracy(X, y, Xt, yt, sens, *, quick):
    print("\n## Accuracy at each ε (defaults: " + ", ".join(f"{k}={v}" for k, v in DP_DEFAULTS.items()) + ")")
    t0 = time.perf_counter()
    eps_grid = (1.0,) if quick else (0.5, 1.0, 2.0, 4.0, 8.0)
    curve = privacy_utility_curve(model_factory=lambda: MLP(X.shape[1]), X_train=X, y_train=y, X_test=Xt, y_test=yt,
                                  sensitive_test=sens, epsilons=eps_grid)
    ref = curve[-1]["accuracy"]
    for p in curve:
        label = "non-private" if p["epsilon"] is None else f"eps={p['epsilon']:<4}"
        print(f"{label:12s} accuracy {p['accuracy']:.4f} (ref - this = {100 * (ref - p['accuracy']):+.2f} pts)  "
              f"DPD sex {p['demographic_parity_difference']['sex']:.3f}  EOD sex {p['equalized_odds_difference']['sex']:.3f}")
    print(f"curve wall time {time.perf_counter() - t0:.1f} s")


def bench_whole_audit(X, y, Xt, yt):
    print("\n## Whole privacy audit at ε=1 (train private, membership inference x2 models, both canary audits, scan)")
    # Cold: forget the noise calibrations and ε evaluations memoised by the sections above.
    from audit.privacy._settings import epsilon_after, noise_multiplier_for

    noise_multiplier_for.cache_clear()
    epsilon_after.cache_clear()
    t, r = run_whole_audit(X, y, Xt, yt)
    priv, ref_model = r["private"], r["reference"]
    print(f"private accuracy {accuracy(priv.model, Xt, yt):.4f}, reference {accuracy(ref_model, Xt, yt):.4f}, "
          f"eps spent {priv.epsilon_spent:.4f}")
    for name, mi in r["mi"].items():
        a = mi["attacks"]
        print(f"MI {name:9s} loss AUC {a['loss_threshold']['auc']:.4f}  score AUC {a['score']['auc']:.4f}  "
              f"TPR@1%FPR {_tpr_text(a['loss_threshold'], 0)}")
    gcan, can = r["gradient_canaries"], r["input_canaries"]
    print(f"white-box gradient canaries: eps lower bound {gcan['epsilon_lower_bound']:.3f} vs accountant "
          f"{gcan['epsilon_accountant']:.3f} ({gcan['n_correct']}/{gcan['n_guesses']} correct); released noise / claimed "
          f"{gcan['score_noise_ratio']:.3f}")
    print(f"black-box input canaries:    eps lower bound {can['epsilon_lower_bound']:.3f} vs accountant "
          f"{can['epsilon_accountant']:.3f} ({can['n_correct']}/{can['n_guesses']} correct)")
    print(f"identifier scan flags: {len(r['scan'])}")
    print(f"timings: private training {t['private']:.1f} s, MI {t['mi']:.1f} s, gradient canaries {t['gradient_canaries']:.1f} s, "
          f"input canaries {t['input_canaries']:.1f} s, scan {t['scan']:.2f} s; "
          f"whole audit (incl. reference training) {t['total']:.1f} s")


def run_whole_audit(X, y, Xt, yt):
    """Each stage of a privacy audit at ε=1, in order; returns (seconds per stage and in total, results)."""
    from audit.data.datasets import load_adult

    t, r = {}, {}
    t0 = time.perf_counter()
    torch.manual_seed(0)
    r["private"] = train_private(MLP(X.shape[1]), X, y, epsilon=1.0)
    t["private"] = time.perf_counter() - t0
    torch.manual_seed(0)
    r["reference"] = train_non_private(MLP(X.shape[1]), X, y)  # timed only in the total
    stages = {
        "mi": lambda: {name: membership_inference(m, X_members=X[: len(Xt)], y_members=y[: len(Xt)], X_nonmembers=Xt,
                                                  y_nonmembers=yt)
                       for name, m in (("private", r["private"].model), ("reference", r["reference"]))},
        "gradient_canaries": lambda: gradient_canary_audit(lambda: MLP(X.shape[1]), X, y, m=1000, epsilon=1.0),
        "input_canaries": lambda: canary_audit(lambda: MLP(X.shape[1]), X, y, m=1000, epsilon=1.0),
        "scan": lambda: identifier_scan(load_adult()[0]),
    }
    for name, stage in stages.items():
        t1 = time.perf_counter()
        r[name] = stage()
        t[name] = time.perf_counter() - t1
    t["total"] = time.perf_counter() - t0
    return t, r


# ---------------------------------------------------------------- --costs: each against its anchor, CPU seconds
def _cpu(fn):
    gc.collect()
    t = time.process_time()
    out = fn()
    return time.process_time() - t, out


def _forget_accounting():
    """Cold: no noise calibration, ε or RDP curve remembered from an earlier training."""
    from audit.privacy._accounting import _rdp_curve
    from audit.privacy._settings import epsilon_after, noise_multiplier_for

    noise_multiplier_for.cache_clear()
    epsilon_after.cache_clear()
    _rdp_curve.cache_clear()


def _opacus_epsilon(mechanism, history, delta):
    from opacus.accountants import create_accountant

    accountant = create_accountant(mechanism=mechanism)
    accountant.history = list(history)
    return float(accountant.get_epsilon(delta=delta))


def bench_costs(*, repeats, curve_rows):
    torch.set_num_threads(1)
    X, y, Xt, yt, sens = encode_adult()
    print(f"Adult: {X.shape[0]} train x {X.shape[1]} features; CPU seconds, 1 torch thread, medians of {repeats} "
          "interleaved runs")
    bench_train_ratio(X, y, repeats=repeats)
    bench_accounting_cost(len(X), repeats=repeats)
    bench_curve_scoring(yt, sens, rows=curve_rows, repeats=repeats)
    bench_curve_stage(X, y, Xt, yt, sens, rows=curve_rows, repeats=max(1, repeats - 1))


def bench_train_ratio(X, y, *, repeats):
    """A default train_private (ε = 1, cold: its noise search included) against the same epochs without privacy."""
    from audit.privacy._settings import noise_multiplier_for

    print("\n## train_private (defaults, ε=1) / the same epochs without privacy (train_non_private, DP defaults)")
    t = {"non-private": [], "private, cold": [], "private, noise known": [], "+ reading ε per epoch": []}
    for _ in range(repeats):
        torch.manual_seed(0)
        t["non-private"].append(_cpu(lambda: train_non_private(MLP(X.shape[1]), X, y))[0])
        _forget_accounting()
        torch.manual_seed(0)
        cold, res = _cpu(lambda: train_private(MLP(X.shape[1]), X, y, epsilon=1.0))
        t["private, cold"].append(cold)
        t["+ reading ε per epoch"].append(cold + _cpu(lambda r=res: r.epsilon_history)[0])
        sigma = res.noise_multiplier
        _forget_accounting()  # as in a run: the settings check found the noise before training
        q, per = 1 / int(np.ceil(len(X) / DP_DEFAULTS["batch_size"])), int(np.ceil(len(X) / DP_DEFAULTS["batch_size"]))
        assert noise_multiplier_for(epsilon=1.0, delta=res.delta, sample_rate=q, steps=DP_DEFAULTS["epochs"] * per,
                                    accountant="prv") == sigma
        torch.manual_seed(0)
        t["private, noise known"].append(_cpu(lambda: train_private(MLP(X.shape[1]), X, y, epsilon=1.0))[0])
    base = statistics.median(t["non-private"])
    for name, values in t.items():
        med = statistics.median(values)
        print(f"{name:24s} {med:6.2f} s  ratio {med / base:5.2f}x  (runs: {', '.join(f'{v:.2f}' for v in values)})")


def bench_accounting_cost(n_rows, *, repeats):
    """One ε evaluation, a training's per-epoch ε and the noise search: Opacus's accountant against ours."""
    from opacus.accountants.utils import get_noise_multiplier

    from audit.privacy._accounting import accountant_epsilon, search_noise_multiplier

    print("\n## Accounting (PRV, default settings): Opacus's accountant / ours (the same numbers, compared)")
    per = int(np.ceil(n_rows / DP_DEFAULTS["batch_size"]))
    q, steps, delta = 1 / per, per * DP_DEFAULTS["epochs"], 1e-6
    for eps in (1.0, 8.0):
        sigma = get_noise_multiplier(target_epsilon=eps, target_delta=delta, sample_rate=q, steps=steps, accountant="prv")
        jobs = {
            "one ε (final)": (lambda s=sigma: _opacus_epsilon("prv", ((s, q, steps),), delta),
                              lambda s=sigma: accountant_epsilon("prv", ((s, q, steps),), delta)),
            "ε after each epoch": (
                lambda s=sigma: [_opacus_epsilon("prv", ((s, q, per * k),), delta) for k in range(1, 21)],
                lambda s=sigma: [accountant_epsilon("prv", ((s, q, per * k),), delta) for k in range(1, 21)]),
            "noise search": (
                lambda e=eps: get_noise_multiplier(target_epsilon=e, target_delta=delta, sample_rate=q, steps=steps,
                                                   accountant="prv"),
                lambda e=eps: search_noise_multiplier(
                    target_epsilon=e, epsilon_of=lambda s: accountant_epsilon("prv", ((s, q, steps),), delta))),
        }
        for name, (anchor, ours) in jobs.items():
            a, o = [], []
            for _ in range(repeats):
                _forget_accounting()
                ta, va = _cpu(anchor)
                _forget_accounting()
                to, vo = _cpu(ours)
                assert va == vo, (name, va, vo)
                a.append(ta)
                o.append(to)
            ma, mo = statistics.median(a), statistics.median(o)
            print(f"ε={eps:g} (σ={sigma:.4g}) {name:20s} Opacus {ma:6.3f} s  ours {mo:6.3f} s  ratio {ma / mo:5.2f}x")


def _resampled_test(yt, sens, rows, seed=0):
    idx = np.random.default_rng(seed).integers(0, len(yt), rows)
    return np.asarray(yt)[idx].astype(np.int64), sens.iloc[idx].reset_index(drop=True)


def bench_curve_scoring(yt, sens, *, rows, repeats):
    """Scoring the curve's six points (5 ε and the non-private one) at ``rows`` test rows: MetricFrame / the engine."""
    from audit.privacy._curve import _features, _point
    from tests.audit.privacy.test_curve_scoring import _metricframe_point

    print(f"\n## Utility-curve scoring, 6 points at {rows:,} test rows (sex, race): MetricFrame / the engine")
    y_true, sensitive = _resampled_test(yt, sens, rows)
    rng = np.random.default_rng(1)
    preds = [np.where(rng.random(rows) < 0.85, y_true, 1 - y_true) for _ in range(6)]
    a, o = [], []
    for _ in range(repeats):
        ta, old = _cpu(lambda: [_metricframe_point(1.0, y_true, p, sensitive) for p in preds])
        to, new = _cpu(lambda: (lambda f: [_point(1.0, y_true, p, f) for p in preds])(_features(sensitive)))
        assert old == new
        a.append(ta)
        o.append(to)
    ma, mo = statistics.median(a), statistics.median(o)
    print(f"MetricFrame {ma:6.3f} s  engine {mo:6.3f} s  ratio {ma / mo:6.1f}x  (the same numbers, compared)")


def bench_curve_stage(X, y, Xt, yt, sens, *, rows, repeats):
    """The demo's curve stage (ε 0.5, 2, 4, 8 trained, ε=1 the audited model, non-private) at ``rows`` test rows.

    The anchor is the same stage as it was: Opacus's accountants (ε after every epoch, the noise search
    by ``get_noise_multiplier``) and MetricFrame scoring, swapped in here.
    """
    import contextlib
    from unittest import mock

    from audit.privacy import _accounting, _curve
    from tests.audit.privacy.test_curve_scoring import _metricframe_point

    print(f"\n## Utility-curve stage, demo grid, {len(X):,} training rows, {rows:,} test rows: before / now")
    y_true, sensitive = _resampled_test(yt, sens, rows)
    X_test = Xt[np.random.default_rng(0).integers(0, len(Xt), rows)]
    torch.manual_seed(0)
    audited = train_private(MLP(X.shape[1]), X, y, epsilon=1.0).model

    def stage():
        return privacy_utility_curve(model_factory=lambda: MLP(X.shape[1]), X_train=X, y_train=y, X_test=X_test,
                                     y_test=y_true, sensitive_test=sensitive, epsilons=(0.5, 1, 2, 4, 8),
                                     trained={1.0: audited})

    def per_epoch(*args, **kwargs):
        res = train_private(*args, **kwargs)
        res.epsilon_history  # noqa: B018 - the old trainer asked for ε after every epoch
        return res

    @contextlib.contextmanager
    def before():
        with mock.patch.object(_accounting, "accountant_epsilon", _opacus_epsilon), \
                mock.patch.object(_curve, "train_private", per_epoch), \
                mock.patch.object(_curve, "_point", lambda e, yt_, yp, _f: _metricframe_point(e, yt_, yp, sensitive)):
            yield

    a, o = [], []
    for _ in range(repeats):
        _forget_accounting()
        with before():
            ta, old = _cpu(stage)
        _forget_accounting()
        to, new = _cpu(stage)
        assert [p["accuracy"] for p in old] == [p["accuracy"] for p in new]
        a.append(ta)
        o.append(to)
    ma, mo = statistics.median(a), statistics.median(o)
    print(f"before {ma:6.2f} s  now {mo:6.2f} s  ratio {ma / mo:5.2f}x  (runs before: {', '.join(f'{v:.1f}' for v in a)}; "
          f"now: {', '.join(f'{v:.1f}' for v in o)})")


if __name__ == "__main__":
    main()
