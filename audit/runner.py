"""The audit facade shared by the CLI and the Python API.

``run_audit`` follows the one data flow: config → data → train (reference and
private) → predict → audits → :class:`~audit.result.AuditResult` → run
directory. ``audit_model`` starts from a model trained elsewhere and runs the
same audits.

Examples
--------
>>> from audit.config import load_config
>>> outcome = run_audit(load_config("examples/adult/audit.toml"))  # doctest: +SKIP
>>> outcome.result.verdict  # doctest: +SKIP
'pass'
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import platform
import shutil
import subprocess
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from audit.compute import (
    StageTimer,
    dp_step_flops_per_example,
    energy_and_co2,
    flops_per_example,
    peak_memory_mb,
    training_flops_per_example,
)
from audit.config import AuditConfig, DataSection, ExplainSection, FairnessSection
from audit.data import (
    PreparedData,
    TabularPreprocessor,
    check_table,
    encode_target,
    file_sha256,
    read_table,
    split_train_test,
)
from audit.exceptions import ConfigError, DataError, ModelError
from audit.gates import evaluate_gates, verdict
from audit.modeling import count_parameters, predict_proba
from audit.progress import Progress
from audit.result import AuditResult, to_jsonable
from audit.rundir import AUDIT_FILE, RunDirWriter

__all__ = ["RunOutcome", "audit_model", "prepare_data", "run_audit", "write_run"]

MITIGATION_FIT_ROWS = 5000
_LIBRARIES = ["torch", "captum", "fairlearn", "opacus", "pandas", "numpy", "scikit-learn", "streamlit", "rai-audit"]


@dataclass
class RunOutcome:
    """What :func:`run_audit` returns: the result and where it was written."""

    result: AuditResult
    run_dir: Path | None
    cards: dict[str, str]


def _environment() -> dict[str, Any]:
    versions = {}
    for lib in _LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = None
    commit = None
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, cwd=Path.cwd())
        commit = out.stdout.strip() if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "libraries": versions,
        "git_commit": commit,
    }


def _sensitive_frame(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    # Sensitive values are reported as strings; missing is its own group, stated in the card.
    return pd.DataFrame({c: frame[c].astype("string").fillna("<missing>").astype(object) for c in columns}, index=frame.index)


def prepare_data(config: AuditConfig) -> tuple[PreparedData, dict[str, str]]:
    """Load, check, split and encode the data the config names.

    Returns
    -------
    prepared, data_hashes
        The split and encoded data, and sha256 of each data file read.
    """
    d: DataSection = config.data
    hashes: dict[str, str] = {}
    if d.bundled is not None:
        from audit.datasets import load_bundled
        from audit.datasets._adult import ADULT_SHA256

        train_df, test_df = load_bundled(d.bundled)
        if d.bundled == "adult":
            hashes = {f"bundled:adult/{k}": v for k, v in ADULT_SHA256.items() if k != "adult.names"}
    else:
        path = config.resolve(d.path or "")
        train_df = read_table(path)
        hashes[str(d.path)] = file_sha256(path)
        test_df = None
        if d.test_path:
            tpath = config.resolve(d.test_path)
            test_df = read_table(tpath)
            hashes[str(d.test_path)] = file_sha256(tpath)
    check_table(train_df, target=d.target, positive_label=d.positive_label, sensitive_features=d.sensitive_features,
                drop_columns=d.drop_columns, label="training data" if test_df is not None else "data")
    if test_df is not None:
        extra = sorted(set(train_df.columns) ^ set(test_df.columns))
        if extra:
            raise DataError(
                f"The training and test files have different columns: {extra} appear in only one of them. "
                "Expected the same columns in both; rename or drop the extra ones."
            )
        check_table(test_df, target=d.target, positive_label=d.positive_label, sensitive_features=d.sensitive_features,
                    drop_columns=d.drop_columns, label="test data")
    if d.max_rows is not None and len(train_df) > d.max_rows:
        train_df = train_df.sample(n=d.max_rows, random_state=config.split.seed).sort_index()
    if test_df is None:
        y_all = encode_target(train_df[d.target], d.positive_label)
        tr, te = split_train_test(train_df, y=y_all, test_size=config.split.test_size, seed=config.split.seed)
        train_df, test_df = train_df.iloc[tr], train_df.iloc[te]
    elif d.max_rows is not None and len(test_df) > d.max_rows:
        test_df = test_df.sample(n=d.max_rows, random_state=config.split.seed).sort_index()
    train_df = train_df.reset_index(drop=True)
    test_df = test_df.reset_index(drop=True)
    y_train = encode_target(train_df[d.target], d.positive_label)
    y_test = encode_target(test_df[d.target], d.positive_label)
    for name, y in (("training", y_train), ("test", y_test)):
        if len(np.unique(y)) < 2:
            raise DataError(f"The {name} split has a single class after splitting; it needs both classes. Use more rows.")
    excluded = {d.target, *d.drop_columns} | (set() if d.use_sensitive_as_features else set(d.sensitive_features))
    feature_cols = [c for c in train_df.columns if c not in excluded]
    if not feature_cols:
        raise DataError("No feature columns are left after dropping the target, drop_columns and sensitive features.")
    pre = TabularPreprocessor().fit(train_df[feature_cols])
    X_train = pre.transform(train_df[feature_cols])
    X_test = pre.transform(test_df[feature_cols])
    summary = {
        "source": f"bundled:{d.bundled}" if d.bundled else str(d.path),
        "test_source": "bundled test split" if d.bundled else (str(d.test_path) if d.test_path else
                       f"stratified split, test_size={config.split.test_size}, seed={config.split.seed}"),
        "n_train": int(len(train_df)),
        "n_test": int(len(test_df)),
        "target": d.target,
        "positive_label": to_jsonable(d.positive_label),
        "base_rate_train": float(y_train.mean()),
        "base_rate_test": float(y_test.mean()),
        "sensitive_features": list(d.sensitive_features),
        "sensitive_used_as_features": d.use_sensitive_as_features,
        "features": feature_cols,
        "dropped_columns": list(d.drop_columns),
        "n_encoded_features": int(X_train.shape[1]),
        "encoded_feature_names": pre.feature_names_,
        "missing_values_train": {c: int(v) for c, v in train_df.isna().sum().items() if v},
    }
    if d.bundled:
        from audit.datasets import BUNDLED_DATASETS

        summary["attribution"] = BUNDLED_DATASETS[d.bundled][1]
    prepared = PreparedData(
        raw_train=train_df, raw_test=test_df, X_train=X_train, X_test=X_test, y_train=y_train, y_test=y_test,
        sensitive_train=_sensitive_frame(train_df, d.sensitive_features),
        sensitive_test=_sensitive_frame(test_df, d.sensitive_features),
        preprocessor=pre, summary=summary,
    )
    return prepared, hashes


def _roc_auc(y: np.ndarray, score: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score)) if len(np.unique(y)) == 2 else None


def _model_summary(model: nn.Module, y_test: np.ndarray, scores: np.ndarray, preds: np.ndarray) -> dict[str, Any]:
    return {
        "test_accuracy": float((preds == y_test).mean()),
        "test_roc_auc": _roc_auc(y_test, scores),
        "n_parameters": count_parameters(model),
        "architecture": repr(model),
    }


def _audit_models(
    models: dict[str, nn.Module],
    prepared: PreparedData,
    *,
    fairness_cfg: FairnessSection,
    explain_cfg: ExplainSection,
    intersections: bool,
    seed: int,
    timer: StageTimer,
    progress: Progress,
    membership_inference: bool,
    identifier_scan: bool,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, np.ndarray], pd.DataFrame]:
    """Predict with every model and run the fairness, explanation and membership audits."""
    from audit.explain import explain_tabular
    from audit.fairness import fairness_report, mitigation_report, representation_report

    p = prepared
    model_info: dict[str, Any] = {}
    fairness: dict[str, Any] = {}
    explain: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    pred_frames = []
    scores: dict[str, np.ndarray] = {}
    with progress.stage("predict and audit fairness"), timer.stage("audit_fairness"):
        for name, model in models.items():
            s = predict_proba(model, p.X_test)
            if not np.all(np.isfinite(s)):
                raise ModelError(f"The {name} model produced non-finite scores on the test data; check its weights and inputs.")
            yhat = (s >= 0.5).astype(np.int64)
            scores[name] = s
            model_info[name] = _model_summary(model, p.y_test, s, yhat)
            fairness[name] = fairness_report(
                y_true=p.y_test, y_pred=yhat, y_score=s, sensitive=p.sensitive_test, pos_label=1,
                n_boot=fairness_cfg.n_boot, ci_level=fairness_cfg.ci_level, stratified=fairness_cfg.stratified,
                min_group_size=fairness_cfg.min_group_size, intersections=intersections, seed=seed,
            )
            frame = pd.DataFrame({"model": name, "y_true": p.y_test, "y_pred": yhat, "y_score": s})
            for col in p.sensitive_test.columns:
                frame[col] = p.sensitive_test[col].to_numpy()
            pred_frames.append(frame)
            progress.note(f"{name}: accuracy {model_info[name]['test_accuracy']:.4f}")
        fairness["representation"] = representation_report(
            train=p.raw_train, test=p.raw_test, target=p.summary["target"], positive_label=p.summary["positive_label"],
            sensitive_features=list(p.sensitive_test.columns),
        )
    if fairness_cfg.mitigation != "none":
        with progress.stage(f"fairness mitigation ({fairness_cfg.mitigation})"), timer.stage("audit_mitigation"):
            first = list(p.sensitive_test.columns)[0]
            # Mitigations are fitted on a seeded sample of training rows: ExponentiatedGradient refits its
            # stand-in model dozens of times, and its row does not depend on the audited model, so it is
            # run once, for the model that would ship (private when there is one).
            fit_rows = np.sort(np.random.default_rng(seed).choice(len(p.X_train), size=min(len(p.X_train), MITIGATION_FIT_ROWS),
                                                                  replace=False))
            shipping = "private" if "private" in models else next(iter(models))
            for name, model in models.items():
                with_X = {"X_fit": p.X_train[fit_rows], "X_test": p.X_test} if name == shipping else {}
                fairness[name]["mitigation"] = mitigation_report(
                    y_fit=p.y_train[fit_rows], scores_fit=predict_proba(model, p.X_train[fit_rows]),
                    sensitive_fit=p.sensitive_train[first].iloc[fit_rows].reset_index(drop=True),
                    y_test=p.y_test, scores_test=scores[name], sensitive_test=p.sensitive_test[first],
                    constraint=fairness_cfg.mitigation, n_boot=min(fairness_cfg.n_boot, 200), seed=seed, **with_X,
                )
                fairness[name]["mitigation"]["fit_rows"] = int(len(fit_rows))
    privacy_audits: dict[str, Any] = {}
    if identifier_scan:
        from audit.privacy import identifier_scan as scan

        privacy_audits["identifier_scan"] = scan(p.raw_train)
    if membership_inference:
        from audit.privacy import membership_inference as mia

        with progress.stage("membership-inference attack"), timer.stage("audit_membership_inference"):
            rng = np.random.default_rng(seed)
            n = min(len(p.X_train), len(p.X_test), 5000)
            mem = rng.choice(len(p.X_train), size=n, replace=False)
            non = rng.choice(len(p.X_test), size=n, replace=False)
            privacy_audits["membership_inference"] = {
                name: mia(model, X_members=p.X_train[mem], y_members=p.y_train[mem],
                          X_nonmembers=p.X_test[non], y_nonmembers=p.y_test[non])
                for name, model in models.items()
            }
    if explain_cfg.enabled:
        with progress.stage(f"explain ({explain_cfg.method})"), timer.stage("audit_explain"):
            rows = np.arange(len(p.X_test))
            if explain_cfg.max_rows is not None and len(rows) > explain_cfg.max_rows:
                rows = np.sort(np.random.default_rng(seed).choice(rows, size=explain_cfg.max_rows, replace=False))
            for name, model in models.items():
                section, arr = explain_tabular(
                    model, X_explain=p.X_test[rows], X_train=p.X_train, feature_names=p.preprocessor.feature_names_,
                    feature_groups=p.preprocessor.feature_groups_, raw_explain=p.raw_test.iloc[rows][p.summary["features"]],
                    y_explain=p.y_test[rows], sensitive_explain=p.sensitive_test.iloc[rows],
                    raw_train=p.raw_train[p.summary["features"]], sensitive_train=p.sensitive_train,
                    method=explain_cfg.method, baseline=explain_cfg.baseline, n_examples=explain_cfg.n_examples,
                    checks=explain_cfg.checks, delta_tolerance=explain_cfg.delta_tolerance,
                    randomization_threshold=explain_cfg.randomization_threshold, seed=seed,
                )
                section["test_rows"] = "all" if len(rows) == len(p.X_test) else f"random sample of {len(rows)}"
                section.setdefault("artifacts", {})
                for key, value in arr.items():
                    rel = f"explanations/{name}_{key}.npy"
                    arrays[rel] = value
                    section["artifacts"][key] = rel
                explain[name] = section
                progress.note(f"{name}: top features {[g['feature'] for g in section['global_importance'][:3]]}")
    predictions = pd.concat(pred_frames, ignore_index=True)
    return model_info, fairness, {"privacy_audits": privacy_audits, "explain": explain}, arrays, predictions


_DP_FLOPS_BASIS = ("counted on one book-keeping DP-SGD step: its matrix products (forward, backward, clipped sums); "
                   "the element-wise work (per-example norms, clip factors, noise) is small and not counted")
_OPACUS_FLOPS_BASIS = ("counted on one non-private step (forward + backward); DP training with Opacus's {mode!r} mode "
                       "does more (per-example gradients or a second backward pass), which the wall and CPU times show")


def _compute_section(timer: StageTimer, models: dict[str, nn.Module], n_features: int, train_info: dict[str, Any],
                     n_train: int, power_watts: float, carbon: float) -> dict[str, Any]:
    stages = timer.to_dict()
    for entry in stages.values():
        entry.update(energy_and_co2(wall_s=entry["wall_s"], measured_j=entry["energy_j_measured"],
                                    power_watts=power_watts, carbon_intensity_g_per_kwh=carbon))
    per_model = {}
    for name, model in models.items():
        fpe = flops_per_example(model, n_features)
        info = train_info.get(name, {})
        epochs = info.get("epochs")
        stage = stages.get(f"train_{name}", {})
        tfpe = training_flops_per_example(model, n_features)
        basis = "counted on one training step (forward + backward)"
        if info.get("grad_sample_mode") == "bookkeeping":
            counted = dp_step_flops_per_example(model, n_features)
            if counted is not None:
                tfpe, basis = counted, _DP_FLOPS_BASIS
        elif info.get("grad_sample_mode"):
            basis = _OPACUS_FLOPS_BASIS.format(mode=info["grad_sample_mode"])
        per_model[name] = {
            "n_parameters": count_parameters(model),
            "flops_per_example": fpe,
            # Counted FLOPs per example of one step × examples seen (see training_flops_basis).
            "training_flops_per_example": tfpe,
            "training_flops_basis": basis,
            "training_flops_estimate": (tfpe * n_train * epochs) if (tfpe is not None and epochs) else None,
            "train_wall_s": stage.get("wall_s"),
            "train_cpu_s": stage.get("cpu_s"),
            "energy_kwh": stage.get("energy_kwh"),
            "co2_kg": stage.get("co2_kg"),
            "energy_basis": stage.get("energy_basis"),
        }
    total_wall = sum(s["wall_s"] for s in stages.values())
    total = energy_and_co2(wall_s=total_wall, measured_j=None if not timer.rapl_available else
                           sum(s["energy_j_measured"] or 0.0 for s in stages.values()),
                           power_watts=power_watts, carbon_intensity_g_per_kwh=carbon)
    return {
        "stages": stages,
        "models": per_model,
        "total_wall_s": total_wall,
        "peak_memory_mb": peak_memory_mb(),
        "total": total,
        "assumptions": {"power_watts": power_watts, "carbon_intensity_g_per_kwh": carbon,
                        "energy_source": "RAPL counters" if timer.rapl_available else "estimate (RAPL not readable)"},
    }


_GRADIENT_CANARIES = (
    "privacy.canary_kind = \"gradient\" needs a model whose trainable layers are all nn.Linear or nn.Conv2d, each "
    "used once per forward pass; this model has:\n- {lines}\nFix: set canary_kind = \"input\" (black-box "
    "canaries, any model) or \"auto\"."
)
_SECURE_RNG = (
    "privacy.secure_rng = true needs a model whose trainable layers are all nn.Linear or nn.Conv2d, each used once "
    "per forward pass (the trainer that draws noise from a CSPRNG); this model has:\n- {lines}\n"
    "Fix: set secure_rng = false (seeded, reproducible; fine for audits, not for a released model), or "
    "train the released model with Opacus's PrivacyEngine(secure_mode=True) and torchcsprng."
)


def _bookkeeping_options(pcfg: Any, model: nn.Module, sample: Any) -> str | None:
    """The canary kind to run (None: no canary audit), after refusing what the model cannot have.

    White-box canaries and secure randomness both need the book-keeping trainer; whether
    this model qualifies is checked once, before any training.
    """
    from audit.privacy._bookkeeping import bookkeeping_problems

    wants_gradient = pcfg.canary_audit and pcfg.canary_kind != "input"
    if not (wants_gradient or pcfg.secure_rng):
        return "input" if pcfg.canary_audit else None
    problems = bookkeeping_problems(model, torch.as_tensor(sample))
    if problems and pcfg.canary_audit and pcfg.canary_kind == "gradient":
        raise ConfigError(_GRADIENT_CANARIES.format(lines="\n- ".join(problems)), problems=problems)
    if problems and pcfg.secure_rng:
        raise ConfigError(_SECURE_RNG.format(lines="\n- ".join(problems)), problems=problems)
    if not pcfg.canary_audit:
        return None
    return "gradient" if wants_gradient and not problems else "input"


def run_audit(
    config: AuditConfig,
    *,
    out: str | Path | None = None,
    seed: int | None = None,
    write: bool = True,
    progress: Progress | None = None,
    runs_root: str | Path = "runs",
) -> RunOutcome:
    """Run the whole audit a config describes and write its run directory.

    Parameters
    ----------
    config : AuditConfig
        A validated config (see :func:`audit.config.load_config`).
    out : path, optional
        Run directory; default ``runs/<config-name>-<UTC timestamp>``.
    seed : int, optional
        Overrides the training and split seeds.
    write : bool
        False returns the result without writing anything.
    progress : Progress, optional
        Progress reporter; silent when omitted.

    Returns
    -------
    RunOutcome
    """
    if seed is not None:
        config = replace(config, training=replace(config.training, seed=seed), split=replace(config.split, seed=seed))
    progress = progress or Progress(total=0, enabled=False)
    timer = StageTimer()
    created = _dt.datetime.now(_dt.timezone.utc)
    n_stages = 3 + config.privacy.enabled + config.explain.enabled + (config.fairness.mitigation != "none") \
        + config.privacy.membership_inference + config.privacy.canary_audit + bool(config.privacy.utility_curve) + write
    progress.total = n_stages
    with progress.stage("load and prepare data"), timer.stage("prepare_data"):
        prepared, data_hashes = prepare_data(config)
        progress.note(f"{prepared.summary['n_train']} training rows, {prepared.summary['n_test']} test rows, "
                      f"{prepared.summary['n_encoded_features']} encoded features")
    from audit.training import build_model, model_factory, train_reference

    n_features = prepared.X_train.shape[1]
    tcfg = config.training
    models: dict[str, nn.Module] = {}
    train_info: dict[str, Any] = {}
    if config.model.weights:
        from audit.modeling import load_weights

        with progress.stage(f"load reference model weights {config.model.weights}"), timer.stage("train_reference"):
            weights_path = config.resolve(config.model.weights)
            ref = build_model(config.model, n_features=n_features, seed=tcfg.seed, base_dir=config.base_dir)
            models["reference"] = load_weights(ref, weights_path).eval()
            train_info["reference"] = {"trained_by": "user (weights loaded)", "weights_file": str(config.model.weights),
                                       "weights_file_sha256": file_sha256(weights_path)}
    else:
        with progress.stage("train reference model (non-private)"), timer.stage("train_reference"):
            ref = build_model(config.model, n_features=n_features, seed=tcfg.seed, base_dir=config.base_dir)
            models["reference"], train_info["reference"] = train_reference(
                ref, prepared.X_train, prepared.y_train, epochs=tcfg.epochs, batch_size=tcfg.batch_size,
                learning_rate=tcfg.learning_rate, seed=tcfg.seed, progress=progress.epochs("reference"),
            )
    dp_section = None
    pcfg = config.privacy
    stamp = created.strftime("%Y%m%dT%H%M%SZ")
    target = Path(out) if out is not None else Path(runs_root) / f"{config.name}-{stamp}"
    # Private training checkpoints every epoch beside the runs; the same config re-run after a crash resumes
    # from them (never resetting the accountant), and they are removed once the run is published.
    checkpoint_dir = (target.parent / ".checkpoints" / f"{config.fingerprint()[:16]}") if write else None
    if pcfg.enabled:
        from audit.privacy import DP_DEFAULTS, train_private
        if checkpoint_dir is not None and _checkpoint_busy(checkpoint_dir):
            progress.note(f"another run of this config is training with {checkpoint_dir}; this run trains without "
                          "checkpoints (same result; no resume after a crash)")
            checkpoint_dir = None

        dp_kwargs = _dp_kwargs(config, n_train=len(prepared.X_train), DP_DEFAULTS=DP_DEFAULTS)
        priv = build_model(config.model, n_features=n_features, seed=tcfg.seed, base_dir=config.base_dir)
        canary_kind = _bookkeeping_options(pcfg, priv, prepared.X_train[:2])
        with progress.stage(f"train private model (DP-SGD, target ε={pcfg.target_epsilon:g})"), timer.stage("train_private"):
            outcome = train_private(priv, prepared.X_train, prepared.y_train, seed=tcfg.seed, checkpoint_dir=checkpoint_dir,
                                    config_fingerprint=config.fingerprint(), progress=progress.epochs("private"), **dp_kwargs)
            models["private"] = outcome.model.eval()
            dp_section = outcome.to_dict()
            train_info["private"] = {"epochs": dp_section.get("epochs"), "batch_size": dp_section.get("batch_size"),
                                     "grad_sample_mode": dp_section.get("grad_sample_mode"),
                                     "learning_rate": dp_section.get("learning_rate"), "optimizer": dp_section.get("optimizer"),
                                     "loss_history": dp_section.get("loss_history")}
            if dp_section.get("resumed_from_epoch"):
                progress.note(f"resumed from the checkpoint after epoch {dp_section['resumed_from_epoch']}")
            progress.note(f"ε spent {dp_section['epsilon_spent']:.3f} of {pcfg.target_epsilon:g} (δ={dp_section['delta']:.2e})")
    model_info, fairness, extra, arrays, predictions = _audit_models(
        models, prepared, fairness_cfg=config.fairness, explain_cfg=config.explain,
        intersections=config.data.intersections, seed=tcfg.seed, timer=timer, progress=progress,
        membership_inference=pcfg.membership_inference, identifier_scan=pcfg.identifier_scan,
    )
    for name in models:
        model_info[name].update({"private": name == "private", **train_info[name]})
        model_info[name]["train_wall_s"] = timer.stages[f"train_{name}"]["wall_s"]
    privacy: dict[str, Any] = {"dp": dp_section, **extra["privacy_audits"]}
    if pcfg.enabled and pcfg.canary_audit:
        from audit.privacy import canary_audit, gradient_canary_audit

        audit_fn = gradient_canary_audit if canary_kind == "gradient" else canary_audit
        with progress.stage(f"canary audit ({pcfg.canaries} {canary_kind} canaries, one training run)"), timer.stage("audit_canary"):
            privacy["canary_audit"] = audit_fn(
                model_factory(config.model, n_features=n_features, base_dir=config.base_dir), prepared.X_train, prepared.y_train,
                m=pcfg.canaries, seed=tcfg.seed, **dp_kwargs,
            )
            ca = privacy["canary_audit"]
            progress.note(f"{ca['n_correct']}/{ca['n_guesses']} canary guesses correct: empirical ε lower bound "
                          f"{ca['epsilon_lower_bound']:.3f} (accountant ε {ca['epsilon_accountant']:.3f})")
            if ca.get("score_noise_ratio") is not None:
                progress.note(f"noise released on the canary coordinates: {ca['score_noise_ratio']:.3f}× the noise "
                              "the accountant assumed (1 expected)")
    if pcfg.utility_curve:
        from audit.privacy import privacy_utility_curve

        with progress.stage(f"privacy-utility curve (ε in {pcfg.utility_curve})"), timer.stage("audit_utility_curve"):
            kwargs = dict(dp_kwargs)
            kwargs.pop("epsilon", None)
            privacy["utility_curve"] = privacy_utility_curve(
                model_factory=model_factory(config.model, n_features=n_features, base_dir=config.base_dir), X_train=prepared.X_train,
                y_train=prepared.y_train, X_test=prepared.X_test, y_test=prepared.y_test,
                sensitive_test=prepared.sensitive_test, epsilons=tuple(pcfg.utility_curve), seed=tcfg.seed,
                progress=progress.note, **kwargs,
            )
    data_summary = dict(prepared.summary)
    if "identifier_scan" in privacy:
        data_summary["identifier_scan"] = privacy["identifier_scan"]
    compute = _compute_section(timer, models, n_features, train_info, len(prepared.X_train),
                               config.compute.power_watts, config.compute.carbon_intensity_g_per_kwh)
    result = AuditResult(
        run={
            "name": config.name,
            "created_at": created.isoformat(timespec="seconds"),
            "seed": tcfg.seed,
            "config": config.to_dict(),
            "config_sha256": config.fingerprint(),
            "config_file_sha256": file_sha256(config.source_path) if config.source_path else None,
            "data_sha256": data_hashes,
            "environment": _environment(),
            "card": config.to_dict()["card"],
        },
        data=data_summary,
        models=model_info,
        fairness=fairness,
        privacy=privacy,
        explainability=extra["explain"] or None,
        compute=compute,
    )
    result_dict = result.to_dict()
    result.gates = evaluate_gates(config.gates, result_dict)
    result.verdict = verdict(result.gates)
    if not write:
        return RunOutcome(result=result, run_dir=None, cards={})
    with progress.stage(f"write run directory {target}"):
        cards = write_run(result, target, models=models, preprocessor=prepared.preprocessor,
                          predictions=predictions, arrays=arrays)
    if checkpoint_dir is not None and checkpoint_dir.exists() and not _checkpoint_busy(checkpoint_dir):
        shutil.rmtree(checkpoint_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            checkpoint_dir.parent.rmdir()  # only when no other run's checkpoints remain
    return RunOutcome(result=result, run_dir=target, cards=cards)


def _checkpoint_busy(directory: Path) -> bool:
    from audit.privacy._checkpoint import checkpoint_in_use

    return checkpoint_in_use(directory)


def _dp_kwargs(config: AuditConfig, *, n_train: int, DP_DEFAULTS: dict[str, Any]) -> dict[str, Any]:
    p = config.privacy
    chosen = {
        "epsilon": p.target_epsilon,
        "delta": p.delta,
        "max_grad_norm": p.max_grad_norm if p.max_grad_norm is not None else DP_DEFAULTS.get("max_grad_norm"),
        "accountant": p.accountant or DP_DEFAULTS.get("accountant", "prv"),
        "epochs": p.epochs or DP_DEFAULTS.get("epochs"),
        "batch_size": p.batch_size or DP_DEFAULTS.get("batch_size"),
        "learning_rate": p.learning_rate or DP_DEFAULTS.get("learning_rate"),
        "secure_rng": p.secure_rng,
    }
    return {k: v for k, v in chosen.items() if v is not None}


def write_run(
    result: AuditResult,
    target: str | Path,
    *,
    models: dict[str, nn.Module],
    preprocessor: TabularPreprocessor | None,
    predictions: pd.DataFrame,
    arrays: dict[str, np.ndarray] | None = None,
) -> dict[str, str]:
    """Write a complete run directory atomically; returns the card paths (final locations)."""
    from reports import CARD_FILES, write_cards

    target = Path(target)
    with RunDirWriter(target) as w:
        assert w.path is not None
        (w.path / "models").mkdir()
        weights = {}
        for name, model in models.items():
            rel = f"models/{name}.pt"
            torch.save(model.state_dict(), w.path / rel)
            weights[name] = file_sha256(w.path / rel)
            result.artifacts.setdefault("weights", {})[name] = rel
        result.run["weights_sha256"] = weights
        if preprocessor is not None:
            preprocessor.save(w.path / "models/preprocessor.json")
            result.artifacts["preprocessor"] = "models/preprocessor.json"
        predictions.to_csv(w.path / "predictions.csv", index=False)
        result.artifacts["predictions"] = "predictions.csv"
        for rel, arr in (arrays or {}).items():
            (w.path / rel).parent.mkdir(parents=True, exist_ok=True)
            np.save(w.path / rel, np.asarray(arr), allow_pickle=False)
        result.artifacts["cards"] = dict(CARD_FILES)
        result_dict = result.to_dict()
        w.write_json(AUDIT_FILE, result_dict)
        write_cards(result_dict, w.path)
    return {fmt: str(target / name) for fmt, name in CARD_FILES.items()}


def audit_model(
    model: nn.Module,
    *,
    test: pd.DataFrame,
    target: str,
    positive_label: Any,
    sensitive_features: list[str],
    preprocessor: TabularPreprocessor,
    train: pd.DataFrame | None = None,
    name: str = "external-model",
    fairness: FairnessSection | None = None,
    explain: ExplainSection | None = None,
    membership_inference: bool = True,
    gates: tuple = (),
    seed: int = 0,
    out: str | Path | None = None,
    progress: Progress | None = None,
) -> AuditResult:
    """Audit a model trained outside rai-audit on a DataFrame, with the same audits as ``run_audit``.

    Parameters
    ----------
    model : nn.Module
        A binary classifier taking the preprocessor's encoded features.
    test : DataFrame
        Held-out rows with the target and sensitive columns.
    preprocessor : TabularPreprocessor
        Fitted on the training rows (or any object with ``transform``, ``feature_names_``,
        ``feature_groups_`` and ``columns_`` attributes).
    train : DataFrame, optional
        Training rows: enable membership inference, explanation baselines, proxy detection
        and mitigation fitting. Without them, the test rows stand in and the result says so.
    out : path, optional
        When given, a run directory is written there (same layout as ``rai-audit run``).

    Examples
    --------
    >>> result = audit_model(model, test=test_df, target="income", positive_label=">50K",
    ...                      sensitive_features=["sex"], preprocessor=pre, train=train_df)  # doctest: +SKIP
    """
    progress = progress or Progress(total=0, enabled=False)
    for label, frame in (("test", test), ("train", train)):
        if frame is not None:
            check_table(frame, target=target, positive_label=positive_label, sensitive_features=sensitive_features, label=f"{label} data")
    features = list(preprocessor.columns_)
    train_df = (train if train is not None else test).reset_index(drop=True)
    test_df = test.reset_index(drop=True)
    y_test = encode_target(test_df[target], positive_label)
    prepared = PreparedData(
        raw_train=train_df, raw_test=test_df,
        X_train=preprocessor.transform(train_df[features]), X_test=preprocessor.transform(test_df[features]),
        y_train=encode_target(train_df[target], positive_label), y_test=y_test,
        sensitive_train=_sensitive_frame(train_df, sensitive_features), sensitive_test=_sensitive_frame(test_df, sensitive_features),
        preprocessor=preprocessor,
        summary={"source": "DataFrame (audit_model)", "n_train": int(len(train_df)) if train is not None else 0,
                 "n_test": int(len(test_df)), "target": target, "positive_label": to_jsonable(positive_label),
                 "sensitive_features": list(sensitive_features), "features": features,
                 "n_encoded_features": len(preprocessor.feature_names_), "encoded_feature_names": list(preprocessor.feature_names_),
                 "base_rate_test": float(y_test.mean()),
                 "training_rows_given": train is not None},
    )
    timer = StageTimer()
    model_info, fairness_sec, extra, arrays, predictions = _audit_models(
        {"reference": model.eval()}, prepared, fairness_cfg=fairness or FairnessSection(), explain_cfg=explain or ExplainSection(),
        intersections=True, seed=seed, timer=timer, progress=progress,
        membership_inference=membership_inference and train is not None, identifier_scan=train is not None,
    )
    compute = _compute_section(timer, {"reference": model}, prepared.X_test.shape[1], {}, len(prepared.X_train), 65.0, 475.0)
    result = AuditResult(
        run={"name": name, "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "seed": seed,
             "config": None, "environment": _environment(), "card": {}},
        data=prepared.summary, models=model_info, fairness=fairness_sec, privacy={"dp": None, **extra["privacy_audits"]},
        explainability=extra["explain"] or None, compute=compute,
    )
    result.gates = evaluate_gates(list(gates), result.to_dict())
    result.verdict = verdict(result.gates)
    if out is not None:
        write_run(result, out, models={"reference": model}, preprocessor=preprocessor if isinstance(preprocessor, TabularPreprocessor) else None,
                  predictions=predictions, arrays=arrays)
    return result
