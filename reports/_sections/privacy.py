"""The Data privacy section: DP-SGD accounting, the canary audit, membership inference, the identifier scan.

Examples
--------
>>> from audit.result import AuditResult
>>> ctx = CardContext(AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {}, "models": {}}))
>>> privacy(ctx)["status"]
'not run'
"""

from __future__ import annotations

from typing import Any

from audit.result import LowFprPoint, Privacy
from reports._plain import not_run as _not_run
from reports._sections.context import CardContext
from reports._sections.context import given as _given
from reports._sections.context import plain as _plain

__all__ = ["privacy"]


def privacy(ctx: CardContext) -> dict[str, Any]:
    """What protects the training rows: the DP guarantee, the empirical checks of it, and identifier-like columns."""
    result = ctx.result
    p = result.privacy or Privacy()
    found = result.identifier_findings
    scan = found or []
    mia = []
    for model in ctx.model_names + [m for m in p.membership_inference if m not in result.models]:
        block = p.membership_inference.get(model)
        if block is None:
            continue
        for attack, a in block.attacks.items():
            roc = a.roc
            mia.append({
                "model": model, "attack": str(attack), "n_members": block.n_members,
                "n_nonmembers": block.n_nonmembers, "auc": a.auc,
                "tpr_at_1pct_fpr": a.tpr_at_1pct_fpr, "tpr_at_0.1pct_fpr": a.tpr_at_01pct_fpr,
                "advantage": a.advantage,
                "low_fpr": [_low_fpr(pt) for pt in a.low_fpr],
                "tpr_at_1pct_fpr_text": _low_fpr_text(a.low_fpr, 0.01, a.tpr_at_1pct_fpr),
                "tpr_at_0.1pct_fpr_text": _low_fpr_text(a.low_fpr, 0.001, a.tpr_at_01pct_fpr),
                "roc": {"fpr": list(roc.fpr), "tpr": list(roc.tpr)} if roc is not None and _given(roc) else None,
            })  # fmt: skip
    canary = p.canary_audit
    curve = []
    for row in p.utility_curve:
        curve.append({
            "epsilon": row.epsilon,
            "accuracy": row.accuracy,
            "demographic_parity_difference": dict(row.demographic_parity_difference),
            "equalized_odds_difference": dict(row.equalized_odds_difference),
            "by_group_accuracy": _plain(row.by_group_accuracy),
        })  # fmt: skip
    if not _given(result.privacy):
        return {**_not_run("privacy audit disabled or not available"), "dp": None, "membership_inference": [],
                "canary_audit": None, "identifier_scan": [_plain(s) for s in scan], "utility_curve": []}
    dp_out = None
    if p.dp is not None:
        dp = p.dp.to_dict()
        dp_out = {k: _plain(dp.get(k)) for k in (
            "epsilon_target", "epsilon_spent", "delta", "delta_rule", "accountant", "max_grad_norm", "noise_multiplier",
            "sample_rate", "epochs", "batch_size", "learning_rate", "optimizer", "poisson_sampling", "grad_sample_mode",
            "n_train", "steps", "module_fixes", "resumed_from_epoch", "secure_rng")}  # fmt: skip
        dp_out["epsilon_history"] = list(p.dp.epsilon_history)
    return {
        "status": "ok",
        "dp": dp_out,
        "dp_note": None if dp_out else "No model was trained with differential privacy; there is no formal privacy guarantee.",
        "membership_inference": mia,
        "membership_interval_note": _interval_note(p),
        "membership_notes": _membership_notes(p),
        "statement": _statement(p),
        "canary_audit": _plain(canary) if canary is not None and _given(canary) else None,
        "identifier_scan": [_plain(s) for s in scan],
        "identifier_scan_run": found is not None,
        "utility_curve": curve,
    }


def _low_fpr(pt: LowFprPoint) -> dict[str, Any]:
    return {"target_fpr": pt.target_fpr, "tpr": pt.tpr, "tpr_ci": _plain(pt.tpr_ci),
            "false_positives": pt.false_positives, "false_positive_allowance": pt.false_positive_allowance,
            "n_nonmembers": pt.n_nonmembers, "not_reported": pt.not_reported}


def _low_fpr_text(points: list[LowFprPoint], target: float, legacy: float | None) -> str | None:
    """``0.021 [0.017, 0.025], 50 FP`` or ``not reported (5 FP allowed, 20 needed)``; older records: the bare value."""
    pt = next((q for q in points if q.target_fpr is not None and abs(q.target_fpr - target) < 1e-12), None)
    if pt is None:
        return None if legacy is None else f"{legacy:.4g}"
    if pt.tpr is None:
        if (pt.false_positive_allowance or 0) >= (pt.min_false_positives or 0):  # tied scores: fewer FP than allowed
            return f"not reported ({pt.false_positives} FP behind the threshold (tied scores), {pt.min_false_positives} needed)"
        return f"not reported ({pt.false_positive_allowance} FP allowed, {pt.min_false_positives} needed)"
    ci = pt.tpr_ci or [None, None]
    band = f" [{ci[0]:.3f}, {ci[1]:.3f}]" if None not in ci else ""
    return f"{pt.tpr:.3f}{band}, {pt.false_positives} FP of {pt.n_nonmembers}"


def _interval_note(p: Privacy) -> str:
    """How the table's TPR intervals were computed (records before threshold-aware intervals: Clopper–Pearson)."""
    attacks = [a for block in p.membership_inference.values() for a in block.attacks.values()]
    points = [pt for a in attacks for pt in a.low_fpr]
    if any(a.auc_p_value is not None for a in attacks) or any(pt.tpr_ci_method for pt in points):
        need = next((pt.min_false_positives for pt in points if pt.min_false_positives), 20)
        return ("TPRs carry 95% intervals that include the uncertainty of the threshold (estimated from the non-members) "
                f"and the false positives (FP) actually behind their threshold; a TPR resting on fewer than {need} FP is "
                "not reported.")
    return ("TPRs carry 95% Clopper–Pearson intervals at the chosen threshold and the false positives (FP) behind it; a "
            "TPR whose threshold admits fewer non-members than stated is not reported.")


def _membership_notes(p: Privacy) -> list[str]:
    notes = []
    for model, block in p.membership_inference.items():
        c, r = block.nonmember_cleaning, block.reference_models
        if c is not None and model == next(iter(p.membership_inference)) and c.clean_train_rows is not None:
            notes.append(f"Attacked rows: members and non-members are drawn alike from rows whose feature vector occurs "
                         f"once in the table ({c.clean_train_rows} of {c.train_rows} training and {c.clean_heldout_rows} of "
                         f"{c.heldout_rows} held-out rows; {c.duplicated_share:.0%} of all rows share their vector and are "
                         f"not attacked; {c.exact_duplicates_removed} held-out rows repeat a training row exactly and "
                         f"{c.near_duplicates_removed} after rounding to {c.near_decimals} decimals).")
        elif c is not None and model == next(iter(p.membership_inference)):
            notes.append(f"Non-members: {c.exact_duplicates_removed} held-out rows repeating a training row exactly and "
                         f"{c.near_duplicates_removed} after rounding to {c.near_decimals} decimals were removed "
                         f"({c.clean_heldout_rows} of {c.heldout_rows} held-out rows kept).")
        if block.inconclusive_reason:
            notes.append(f"{model}: {block.inconclusive_reason}.")
        chance = [a for a in block.attacks.values() if a.above_chance is not None]
        if chance and not any(a.above_chance for a in chance):
            notes.append(f"{model}: no attack tells members from non-members better than chance (Holm-adjusted "
                         f"one-sided Mann–Whitney tests of AUC > 0.5 at 5%).")
        if r is not None and r.k:
            notes.append(f"{model}: RMIA and LiRA (offline) with {r.k} reference models trained by {r.trainer}, on "
                         f"disjoint population splits of {', '.join(str(n) for n in r.rows_per_model)} rows; not saved.")
        elif r is not None and r.skipped:
            notes.append(f"{model}: no reference-model attack ({r.skipped}).")
    return notes


def _statement(p: Privacy) -> dict[str, Any] | None:
    st = p.statement
    if st is None:
        return None
    return {"guarantee": st.guarantee, "sampling": st.sampling, "composition": st.composition,
            "private": [a.path for a in st.artefacts if a.private], "not_private": [_plain(a) for a in st.artefacts if not a.private],
            "publish": list(st.publish), "not_saved": [_plain(m) for m in st.not_saved]}


