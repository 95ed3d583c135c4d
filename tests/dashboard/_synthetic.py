"""A complete run directory built from docs/audit_result.md, for dashboard tests.

The scores are synthetic (a fixed logistic function of Adult's test columns), but the
fairness section comes from the real engine (``audit.fairness.fairness_report``) and
the directory from the real writer (``audit.records.rundir.RunDirWriter``), so the dashboard
reads exactly what the pipeline writes. Every section is filled, so every page has
something to show; ``sections`` drops some to check the "not run" paths, and
``hostile`` puts HTML/script into names, metadata and group values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.data.datasets import load_adult
from audit.fairness import fairness_report
from audit.records.rundir import RunDirWriter

SCRIPT = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=1\">"
ALL_SECTIONS = ("fairness", "privacy", "explainability", "compute", "cards", "slices", "weights", "robustness")


def _scores(test: pd.DataFrame, rng: np.random.Generator, *, noise: float) -> np.ndarray:
    age = pd.to_numeric(test["age"], errors="coerce").fillna(38).to_numpy(float)
    edu = pd.to_numeric(test["education-num"], errors="coerce").fillna(10).to_numpy(float)
    hours = pd.to_numeric(test["hours-per-week"], errors="coerce").fillna(40).to_numpy(float)
    male = (test["sex"].astype("string") == "Male").fillna(False).to_numpy(bool)
    z = -9.0 + 0.05 * age + 0.45 * edu + 0.03 * hours + 0.8 * male + rng.normal(0, noise, len(test))
    return 1.0 / (1.0 + np.exp(-z))


def _ci(v: float, w: float = 0.02) -> dict[str, Any]:
    return {"value": float(v), "ci": [float(v - w), float(v + w)]}


def make_run(root: Path, name: str, *, n: int | None = 2000, seed: int = 0, hostile: bool = False,
             sections: tuple[str, ...] = ALL_SECTIONS, private: bool = True,
             created_at: str = "2025-01-01T00:00:00Z") -> Path:
    """Write a run directory ``root/name`` and return its path."""
    rng = np.random.default_rng(seed)
    _, test = load_adult()
    if n is not None and n < len(test):
        test = test.sample(n=n, random_state=seed).reset_index(drop=True)
    y = (test["income"].astype("string") == ">50K").fillna(False).to_numpy(np.int64)
    sens = test[["sex", "race"]].copy()
    if hostile:
        sens["race"] = sens["race"].astype("string").replace({"Other": SCRIPT})
    model_names = ["reference", "private"] if private else ["reference"]
    scores = {m: _scores(test, rng, noise=0.5 if m == "reference" else 1.0) for m in model_names}
    preds = {m: (s >= 0.5).astype(np.int64) for m, s in scores.items()}

    models, fairness, frames = {}, {}, []
    for m in model_names:
        acc = float((preds[m] == y).mean())
        models[m] = {"private": m == "private", "test_accuracy": acc, "test_roc_auc": 0.85, "n_parameters": 7681,
                     "architecture": "MLP(86, hidden=(64, 32))", "epochs": 10, "batch_size": 256,
                     "learning_rate": 0.001, "optimizer": "Adam", "loss_history": [0.6, 0.45, 0.4], "train_wall_s": 3.2}
        if "fairness" in sections:
            fairness[m] = fairness_report(y_true=y, y_pred=preds[m], y_score=scores[m], sensitive=sens, n_boot=20, seed=seed)
            fairness[m]["mitigation"] = {
                "constraint": "demographic_parity", "sensitive_feature": "sex", "target_disparity": None,
                "rows": [{"method": "none", "description": "the model as trained",
                          "metrics": {"accuracy": _ci(acc), "demographic_parity_difference": _ci(0.18)}},
                         {"method": "threshold_optimizer", "description": "group thresholds (Fairlearn)",
                          "metrics": {"accuracy": _ci(acc - 0.01), "demographic_parity_difference": _ci(0.02)}}],
                "notes": ["Thresholds were fitted on the training split."],
            }
        frame = pd.DataFrame({"model": m, "y_true": y, "y_pred": preds[m], "y_score": scores[m]})
        for col in sens.columns:
            frame[col] = sens[col].to_numpy()
        frames.append(frame)
    if "fairness" in sections:
        female = {"train": {"count": 10771, "share": 0.33, "base_rate": 0.11},
                  "test": {"count": 5421, "share": 0.33, "base_rate": 0.11}}
        fairness["representation"] = {"target": "income", "positive_label": ">50K", "min_share": 0.02, "shift_factor": 2.0,
                                      "features": {"sex": {"groups": {"Female": female}}},
                                      "warnings": ["race group 'Other' is under 2% of the training rows."]}

    run_name = f"{name} {SCRIPT}" if hostile else name
    result: dict[str, Any] = {
        "schema_version": "1.0",
        "task": "binary-classification",
        "run": {"name": run_name, "created_at": created_at, "seed": seed, "config": {"name": run_name},
                "config_sha256": "ab" * 32, "config_file_sha256": "cd" * 32, "data_sha256": {"adult.data.gz": "ef" * 32},
                "weights_sha256": dict.fromkeys(model_names, "01" * 32),
                "environment": {"python": "3.11", "platform": "linux", "machine": "x86_64", "torch_threads": 2,
                                "libraries": {"torch": "2.13.0"}, "git_commit": None},
                "card": {"model_name": SCRIPT if hostile else "Synthetic Adult MLP", "description": "test run",
                         "intended_use": SCRIPT if hostile else "testing", "out_of_scope_uses": [], "limitations": "",
                         "ethical_considerations": "", "authors": [], "license": "apache-2.0"}},
        "data": {"source": "bundled:adult", "test_source": "bundled:adult (test)", "n_train": 32561, "n_test": len(test),
                 "target": "income", "positive_label": ">50K", "base_rate_train": 0.24, "base_rate_test": float(y.mean()),
                 "sensitive_features": ["sex", "race"], "sensitive_used_as_features": True,
                 "features": ["age", "education-num", "hours-per-week", "sex", "race", "relationship"],
                 "dropped_columns": ["fnlwgt"], "n_encoded_features": 86, "encoded_feature_names": [],
                 "missing_values_train": {"workclass": 1836}, "attribution": "UCI Adult (Becker & Kohavi 1996), CC BY 4.0",
                 "identifier_scan": []},
        "models": models,
        "fairness": fairness if "fairness" in sections else None,
        "privacy": None,
        "explainability": None,
        "compute": None,
        "gates": [
            {"name": SCRIPT if hostile else "accuracy of the private model", "metric": "accuracy", "model": model_names[-1],
             "feature": None, "severity": "error", "max": None, "min": 0.8, "use_ci_bound": False,
             "value": models[model_names[-1]]["test_accuracy"], "ci": None,
             "compared": models[model_names[-1]]["test_accuracy"], "passed": True, "message": "accuracy 0.81 >= 0.80"},
            {"name": "demographic parity (sex)", "metric": "demographic_parity_difference", "model": model_names[-1],
             "feature": "sex", "severity": "warning", "max": 0.1, "min": None, "use_ci_bound": False, "value": 0.18,
             "ci": [0.16, 0.2], "compared": 0.18, "passed": False, "message": "demographic_parity_difference 0.18 > 0.10"},
        ],
        "verdict": "pass",
        "artifacts": {"predictions": "predictions.csv", "weights": {}, "preprocessor": None, "cards": {}},
    }
    if "privacy" in sections and private:
        fpr = np.linspace(0, 1, 21)
        result["privacy"] = {
            "dp": {"epsilon_target": 1.0, "epsilon_spent": 0.98, "delta": 1e-5, "delta_rule": "1/(10 n)", "accountant": "prv",
                   "max_grad_norm": 1.0, "noise_multiplier": 1.1, "sample_rate": 0.008, "epochs": 3, "batch_size": 256,
                   "learning_rate": 0.002, "optimizer": "Adam", "poisson_sampling": True, "grad_sample_mode": "hooks",
                   "n_train": 32561, "steps": 381, "epsilon_history": [0.55, 0.8, 0.98], "loss_history": [0.5, 0.42, 0.4],
                   "module_fixes": [], "resumed_from_epoch": None},
            "membership_inference": {m: {"n_members": 1000, "n_nonmembers": 1000, "attacks": {
                a: {"auc": 0.51 if m == "private" else 0.55, "tpr_at_1pct_fpr": 0.012, "tpr_at_0.1pct_fpr": 0.001,
                    "advantage": 0.03, "roc": {"fpr": fpr.tolist(), "tpr": np.sqrt(fpr).tolist()}}
                for a in ("loss_threshold", "score")}} for m in model_names},
            "canary_audit": {"method": "one-run (Steinke et al. 2023)", "m": 1000, "k_plus": 50, "k_minus": 50, "n_guesses": 100,
                             "n_correct": 58, "epsilon_lower_bound": 0.12, "confidence": 0.95, "delta": 1e-5,
                             "epsilon_accountant": 0.98, "private": True},
            "identifier_scan": [{"column": SCRIPT if hostile else "name", "kind": "name", "reason": "unique per row",
                                 "recommendation": "drop it"}],
            "utility_curve": [{"epsilon": e, "accuracy": a, "by_group_accuracy": {"sex": {"Female": a + 0.1, "Male": a - 0.05}},
                               "demographic_parity_difference": {"sex": 0.15}, "equalized_odds_difference": {"sex": 0.1}}
                              for e, a in ((0.5, 0.80), (1.0, 0.83), (4.0, 0.845), (None, 0.85))],
        }
    arrays = {}
    if "explainability" in sections:
        feats = result["data"]["features"]
        expl = {}
        for m in model_names:
            att = rng.normal(0, 1, (50, len(feats)))
            arrays[f"explanations/{m}_attributions.npy"] = att
            expl[m] = {
                "method": "integrated_gradients", "target": 0,
                "baseline": {"kind": "training_mean", "description": "mean of the training rows"},
                "n_rows": 50, "test_rows": "random sample of 50",
                "global_importance": [{"feature": f, "mean_abs": float(np.abs(att[:, i]).mean()), "ci": [0.0, 2.0],
                                       "mean_signed": float(att[:, i].mean())} for i, f in enumerate(feats)],
                "examples": [{"row": int(i), "kind": "sample" if i % 2 else "confident_error", "y_true": int(y[i]),
                              "y_score": float(scores[m][i]),
                              "contributions": [{"feature": f, "value": SCRIPT if (hostile and f == "race") else str(test.iloc[i][f]),
                                                 "attribution": float(att[i % 50, j])} for j, f in enumerate(feats)]}
                             for i in range(4)],
                "group_reliance": {"sex": {"sensitive_feature_share": 0.07,
                                           "profiles": {"Female": {f: 0.1 * (j + 1) for j, f in enumerate(feats)},
                                                        "Male": {f: 0.12 * (j + 1) for j, f in enumerate(feats)}},
                                           "proxies": [{"feature": "relationship", "proxy_auc": 0.92, "mutual_information": 0.35,
                                                        "importance": 0.4},
                                                       {"feature": "age", "proxy_auc": 0.55, "mutual_information": 0.01,
                                                        "importance": 0.2}]}},
                "faithfulness": {"convergence_delta": {"mean_abs": 1e-4, "max_abs": 3e-3, "tolerance": 0.01, "warning": False},
                                 "infidelity": 0.002, "sensitivity_max": 0.05,
                                 "deletion_curve": {"k": [0, 1, 2, 3], "top": [0.0, 0.2, 0.3, 0.35], "random": [0.0, 0.05, 0.1, 0.15]},
                                 "randomization_test": {"spearman": 0.1, "threshold": 0.5, "flagged": False}},
                "warnings": [SCRIPT] if hostile else [], "timing": {"attribute_s": 0.5},
                "artifacts": {"attributions": f"explanations/{m}_attributions.npy"},
            }
        result["explainability"] = expl
    if "compute" in sections:
        stage = {"wall_s": 1.5, "cpu_s": 2.9, "energy_j_measured": None, "energy_kwh": 2.7e-5,
                 "energy_basis": "estimated: 65 W x wall time", "energy_measured": False, "co2_kg": 1.3e-5, "co2_basis": "475 g/kWh"}
        result["compute"] = {"stages": {s: dict(stage) for s in ("prepare_data", "train_reference", "train_private", "audit_fairness")},
                             "models": {m: {"n_parameters": 7681, "flops_per_example": 15296, "training_flops_estimate": 1.5e10,
                                            "train_wall_s": 3.2, "train_cpu_s": 6.0, "energy_kwh": 5.8e-5, "co2_kg": 2.7e-5,
                                            "energy_basis": "estimated"} for m in model_names},
                             "total_wall_s": 6.0, "peak_memory_mb": 612.0, "total": dict(stage),
                             "assumptions": {"power_watts": 65.0, "carbon_intensity_g_per_kwh": 475.0,
                                             "energy_source": "estimate (RAPL not readable)"}}
    if "slices" in sections:
        arrays.update(_slices(result, test, preds, y))
    if "robustness" in sections:
        result["robustness"] = _robustness(test, y, sens, model_names)
    weights = _weights(result, test, model_names) if "weights" in sections else {}
    root.mkdir(parents=True, exist_ok=True)
    with RunDirWriter(root / name) as w:
        for rel, write in weights.items():
            (w.path / rel).parent.mkdir(parents=True, exist_ok=True)
            write(w.path / rel)
        pd.concat(frames, ignore_index=True).to_csv(w.path / "predictions.csv", index=False)
        for rel, arr in arrays.items():
            (w.path / rel).parent.mkdir(parents=True, exist_ok=True)
            np.save(w.path / rel, arr, allow_pickle=False)
        if "cards" in sections:
            title = SCRIPT if hostile else "Synthetic Adult MLP"
            card_md = f"---\nlicense: apache-2.0\n---\n# Model card: {title}\n\n## Intended use\n\ntesting\n"
            (w.path / "model_card.md").write_text(card_md, encoding="utf-8")
            (w.path / "model_card.html").write_text("<!doctype html><html><body><h1>card</h1></body></html>", encoding="utf-8")
            (w.path / "model_card.json").write_text(json.dumps({"model_name": title}), encoding="utf-8")
            result["artifacts"]["cards"] = {"markdown": "model_card.md", "html": "model_card.html", "json": "model_card.json"}
        w.write_json("audit.json", result)
    return root / name


def _slices(result: dict[str, Any], test: pd.DataFrame, preds: dict[str, np.ndarray], y: np.ndarray) -> dict[str, np.ndarray]:
    """The error-analysis section from the real search (audit.slices) and the packed raw test features."""
    from audit.slices import find_slices, pack_features

    raw = test[result["data"]["features"]].reset_index(drop=True)
    models = {}
    for m, p in preds.items():
        found = find_slices(raw, y_true=y, y_pred=p, max_depth=2, min_size=30, top_k=15)
        settings = found.pop("settings")
        models[m] = found
    packed, columns = pack_features(raw)
    result["slices"] = {"method": "synthetic test run", "test": "one-sided exact binomial test", "correction": "holm",
                        "interval": "Wilson score", **settings, "models": models, "features": columns,
                        "test_features": "slices/test_features.npy"}
    return {"slices/test_features.npy": packed}


def _robustness(test: pd.DataFrame, y: np.ndarray, sens: pd.DataFrame, model_names: list[str]) -> dict[str, Any]:
    """The robustness section from the real audit (audit.robustness) for threshold rules on age and hours."""
    from audit.robustness import columns_for, robustness_audit, settings_for

    features = ["age", "hours-per-week", "occupation"]

    def rule(cut: float):
        def decide(frame: pd.DataFrame) -> np.ndarray:
            age = pd.to_numeric(frame["age"]).fillna(38.0)
            hours = pd.to_numeric(frame["hours-per-week"]).fillna(40.0)
            return ((age / 40 + hours / 45) > cut).astype(np.int64).to_numpy()
        return decide

    return robustness_audit({m: rule(2.2 + 0.05 * i) for i, m in enumerate(model_names)}, test[features], y, sens,
                            settings=settings_for("table", {"noise_scales": [0.1, 0.25], "missing_rate": 0.1,
                                                            "remap_rate": 0.1}),
                            columns=columns_for(test, features, sensitive=list(sens.columns)), seed=0)


def _weights(result: dict[str, Any], test: pd.DataFrame, model_names: list[str]) -> dict[str, Any]:
    """A real (untrained, seeded) MLP per model and the fitted preprocessor, as the pipeline saves them."""
    import torch

    from audit.data import TabularPreprocessor

    pre = TabularPreprocessor().fit(test[result["data"]["features"]])
    result["run"]["config"]["model"] = {"kind": "mlp", "hidden": [8], "dropout": 0.0}
    torch.manual_seed(0)
    writers = {"models/preprocessor.json": pre.save}
    for m in model_names:
        net = torch.nn.Sequential(torch.nn.Linear(len(pre.feature_names_), 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
        state = {f"net.{k}": v for k, v in net.state_dict().items()}
        writers[f"models/{m}.pt"] = lambda path, state=state: torch.save(state, path)
        result["artifacts"]["weights"][m] = f"models/{m}.pt"
    result["artifacts"]["preprocessor"] = "models/preprocessor.json"
    return writers
