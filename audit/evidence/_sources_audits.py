"""Evidence sources of the privacy, explanation and compute audits."""

from __future__ import annotations

from typing import Any

from audit.evidence._sources import Found, RunView, _get, collect, figure, run_file, source

__all__: list[str] = []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@source("privacy_dp", title="Differential privacy of the private model",
        shows="The (ε, δ) guarantee the accountant gives the private model's training, the settings behind it, and "
              "the weights file it covers.",
        does_not_show="Privacy of anything else in the run (the reference model, predictions, explanations are not "
                      "covered); that ε is small enough for the data subjects; compliance with data-protection law.")
def _privacy_dp(view: RunView) -> Found:
    found = Found()
    dp = ("privacy", "dp")
    collect(found, [figure(view, label, (*dp, key)) for key, label in (
        ("epsilon_spent", "ε spent"), ("delta", "δ"), ("epsilon_target", "ε target"), ("accountant", "accountant"),
        ("noise_multiplier", "noise multiplier"), ("max_grad_norm", "clipping norm"), ("sample_rate", "sampling rate"),
        ("steps", "DP-SGD steps"))] + [figure(view, "guarantee", ("privacy", "statement", "guarantee"))], where="/privacy")
    if found.figures:
        weights = _dict(_get(view.result, "artifacts", "weights"))
        found.files.extend(f for f in [run_file(view, str(weights.get("private", "")))] if f)
    return found


@source("membership", title="Membership-inference audit",
        shows="How well attacks tell training rows from held-out rows for each model (AUC with its p-value; true "
              "positives at low false-positive rates, with exact intervals).",
        does_not_show="Stronger attacks than those run, attribute inference, or reconstruction; a weak attack is not "
                      "proof of privacy.")
def _membership(view: RunView) -> Found:
    found = Found()
    for model, entry in _dict(_get(view.result, "privacy", "membership_inference")).items():
        for attack, a in _dict(_dict(entry).get("attacks")).items():
            base = ("privacy", "membership_inference", model, "attacks", attack)
            p = a.get("auc_p_value") if isinstance(a, dict) else None
            collect(found, [figure(view, f"{attack.replace('_', ' ')} AUC ({model} model)", (*base, "auc"),
                                   note=f"p = {p:.3g} against chance" if isinstance(p, (int, float)) else None)],
                    where="/privacy/membership_inference")
            for i, low in enumerate((a or {}).get("low_fpr") or [] if isinstance(a, dict) else []):
                if isinstance(low, dict) and low.get("tpr") is not None:
                    collect(found, [figure(view, f"{attack.replace('_', ' ')} TPR at FPR {low.get('target_fpr')} ({model} model)",
                                           (*base, "low_fpr", i, "tpr"), ci=(*base, "low_fpr", i, "tpr_ci"))],
                            where="/privacy/membership_inference")
    return found


@source("canary", title="Canary audit of the private training",
        shows="An empirical lower bound on ε from canaries inserted into the private training, beside the "
              "accountant's ε.",
        does_not_show="An upper bound: the accountant's ε is the guarantee; the audit only checks it is not violated.")
def _canary(view: RunView) -> Found:
    found = Found()
    c = ("privacy", "canary_audit")
    collect(found, [figure(view, label, (*c, key)) for key, label in (
        ("epsilon_lower_bound", "ε lower bound (empirical)"), ("confidence", "confidence of the bound"),
        ("epsilon_accountant", "ε of the accountant"), ("n_guesses", "guesses"), ("n_correct", "correct guesses"),
        ("method", "method"))], where="/privacy/canary_audit")
    return found


@source("explanations", title="Explanations and their quality",
        shows="Which features each model relies on (global importance with bootstrap intervals) and how faithful "
              "the attributions are (completeness, infidelity, sensitivity, model-randomisation check), with the "
              "attribution arrays.",
        does_not_show="That the model's reasons are acceptable, or causal: attributions describe the model, not the world; "
                      "explanations a deployer or an affected person can understand.")
def _explanations(view: RunView) -> Found:
    found = Found()
    for model, e in _dict(view.result.get("explainability")).items():
        base = ("explainability", model)
        f = (*base, "faithfulness")
        collect(found, [figure(view, f"method ({model} model)", (*base, "method")),
                        figure(view, f"rows explained ({model} model)", (*base, "n_rows")),
                        figure(view, f"completeness gap, mean |δ| ({model} model)", (*f, "convergence_delta", "mean_abs")),
                        figure(view, f"infidelity ({model} model)", (*f, "infidelity")),
                        figure(view, f"sensitivity max ({model} model)", (*f, "sensitivity_max")),
                        figure(view, f"randomisation check flagged ({model} model)", (*f, "randomization_test", "flagged"))] +
                [figure(view, f"importance of {(g or {}).get('feature')} ({model} model)", (*base, "global_importance", i, "mean_abs"),
                        ci=(*base, "global_importance", i, "ci")) for i, g in enumerate((_dict(e).get("global_importance") or [])[:5])],
                where=f"/explainability/{model}")
        for rel in sorted(str(v) for v in _dict(_dict(e).get("artifacts")).values()):
            found.files.extend(x for x in [run_file(view, rel)] if x)
    for model in _dict(_get(view.result, "text", "models")):  # a text model's explanations are token attributions
        t = ("text", "models", model, "tokens")
        collect(found, [figure(view, f"token attributions: texts explained ({model} model)", (*t, "n_texts")),
                        figure(view, f"token attributions: mean |δ| ({model} model)", (*t, "convergence_delta", "mean_abs")),
                        figure(view, f"deleting the top-k tokens: mean score drop ({model} model)", (*t, "deletion", "mean_drop_top_k")),
                        figure(view, f"deleting k random tokens: mean score drop ({model} model)", (*t, "deletion", "mean_drop_random")),
                        figure(view, f"deletion check passed ({model} model)", (*t, "deletion", "passed"))], where="/text/models")
    return found


@source("group_reliance", title="Reliance on sensitive features and their proxies",
        shows="The share of the explanation carried by each sensitive feature, and features that predict it "
              "(proxies, with their AUC), for the audited model.",
        does_not_show="Every proxy (only the table's features are examined); whether relying on them is justified.")
def _group_reliance(view: RunView) -> Found:
    found, model = Found(), view.audited_model
    rel = _dict(_get(view.result, "explainability", model, "group_reliance")) if model else {}
    for feat, entry in rel.items():
        base = ("explainability", str(model), "group_reliance", feat)
        collect(found, [figure(view, f"share of attribution on {feat}", (*base, "sensitive_feature_share"))] +
                [figure(view, f"proxy of {feat}: {(p or {}).get('feature')} (AUC)", (*base, "proxies", i, "proxy_auc"))
                 for i, p in enumerate(_dict(entry).get("proxies") or [])][:6], where=f"/explainability/{model}/group_reliance")
    return found


@source("compute", title="Compute, energy and emissions",
        shows="Wall time, peak memory, training FLOPs, energy and CO₂ of the run, each with the basis it was "
              "measured or estimated on.",
        does_not_show="The footprint of data collection, earlier experiments or the system in use; an estimate is "
                      "not a measurement (the basis says which).")
def _compute(view: RunView) -> Found:
    found = Found()
    c = ("compute",)
    collect(found, [figure(view, "total wall time (s)", (*c, "total_wall_s")), figure(view, "peak memory (MB)", (*c, "peak_memory_mb")),
                    figure(view, "energy (kWh)", (*c, "total", "energy_kwh"), note=_get(view.result, *c, "total", "energy_basis")),
                    figure(view, "CO₂ (kg)", (*c, "total", "co2_kg"), note=_get(view.result, *c, "total", "co2_basis"))] +
            [figure(view, f"training FLOPs ({m} model)", (*c, "models", m, "training_flops_estimate"))
             for m in _dict(_get(view.result, *c, "models"))], where="/compute")
    return found
