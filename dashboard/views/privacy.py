"""Privacy: ε/δ and accountant, ε per epoch, privacy-utility curve, membership-inference ROC,
canary-audit lower bound beside the claimed ε, identifier scan."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audit.result import (
    AuditResult,
    CanaryAudit,
    DPTraining,
    MembershipInference,
    Privacy,
)
from dashboard import _charts as charts
from dashboard._data import fmt, md_escape
from dashboard._tasks import wilson
from dashboard._ui import chart, not_run, require_run, table

__all__ = ["render"]

# With ~500 excluded canaries the ratio's standard error is about 3%; below 0.85 is no sampling accident.
NOISE_RATIO_FLOOR = 0.85


def _dp(priv: Privacy) -> None:
    """The DP-SGD accounting: ε spent and targeted, δ, the settings, ε per epoch."""
    st.subheader("Differential privacy (DP-SGD)")
    dp = priv.dp
    if dp is None:
        not_run("DP training", "No private model was trained; the reference model carries no formal privacy guarantee.")
        return
    c = st.columns(4)
    c[0].metric("ε spent", fmt(dp.epsilon_spent), help="From the accountant, after all training steps.")
    c[1].metric("ε target", fmt(dp.epsilon_target))
    c[2].metric("δ", fmt(dp.delta, digits=2), help=dp.delta_rule and f"Rule: {md_escape(dp.delta_rule)}")
    c[3].metric("accountant", str(dp.accountant or "—"))
    settings = {k: getattr(dp, k) for k in ("noise_multiplier", "max_grad_norm", "sample_rate", "epochs", "steps", "batch_size",
                                       "learning_rate", "optimizer", "poisson_sampling", "grad_sample_mode", "secure_rng", "n_train",
                                       "resumed_from_epoch")}
    left, right = st.columns([1, 2])
    with left:
        table(pd.DataFrame({"setting": list(settings), "value": [fmt(v, digits=4) if v is not None else "—" for v in settings.values()]}))
        for fix in dp.module_fixes:
            st.caption(f"Module fix: {md_escape(fix)}")
    with right:
        hist = dp.epsilon_history
        if hist:
            eps = pd.DataFrame({"epoch": range(1, len(hist) + 1), "ε spent": hist})
            chart(charts.lines, eps, x="epoch", y="ε spent", title="ε spent after each epoch")
        else:
            not_run("ε per epoch", "The accountant history was not recorded.")


def _utility_chart(curve: list, r: AuditResult) -> None:
    """Test accuracy against ε with each point's 95% interval (Wilson, on the test rows), on an axis from the
    majority-class baseline, so differences within the intervals do not read as a trend."""
    n = r.data.n_test or 0
    rows = []
    for p in curve:
        if p.epsilon is not None and p.accuracy is not None:
            lo, hi = wilson(round(p.accuracy * n), n) if n else (None, None)
            rows.append({"ε": p.epsilon, "accuracy": p.accuracy, "lo": lo, "hi": hi})
    if not rows:
        return
    base = r.data.base_rate_test
    baseline = max(base, 1 - base) if base is not None else None
    nonpriv = next((p.accuracy for p in curve if p.epsilon is None and p.accuracy is not None), None)
    lines = [{"value": nonpriv, "label": f"non-private, DP settings: {nonpriv:.4f}"}] if nonpriv is not None else []
    chart(charts.utility_curve, pd.DataFrame(rows), baseline=baseline, lines_at=lines,
          baseline_label=f"always the majority class: {baseline:.3f}" if baseline is not None else "",
          title="Test accuracy against ε, with 95% intervals")
    frame = pd.DataFrame(rows)
    spread = float(frame["accuracy"].max() - frame["accuracy"].min())
    half = float((frame["hi"] - frame["lo"]).max() / 2) if frame["lo"].notna().all() else None
    st.caption(f"Bars: 95% Wilson intervals of each accuracy on the {fmt(n)} test rows"
               + (f" (about ± {half:.3f}); the points differ by at most {spread:.3f}, "
                  + ("within that: the differences between them are noise, not a trend." if spread <= 2 * half
                     else "more than the intervals: a real difference.") if half is not None else "")
               + " The axis starts at the accuracy of always predicting the majority class. The non-private point is "
                 "trained with the DP settings, not the reference model.")


def _utility(priv: Privacy, r: AuditResult) -> None:
    """Test accuracy (and parity) against ε."""
    st.subheader("Privacy-utility trade-off")
    curve = priv.utility_curve
    if not curve:
        not_run("Privacy-utility curve", "Set a list of ε values to sweep in the config to see accuracy against ε.")
        return
    _utility_chart(curve, r)
    rows = []
    for p in curve:
        row = {"ε": "non-private" if p.epsilon is None else fmt(p.epsilon), "accuracy": p.accuracy, "model": p.source or ""}
        for feat, v in p.demographic_parity_difference.items():
            row[f"DP difference ({feat})"] = v
        for feat, v in p.equalized_odds_difference.items():
            row[f"EO difference ({feat})"] = v
        rows.append(row)
    table(pd.DataFrame(rows), formats={c: "%.4f" for c in pd.DataFrame(rows).columns if c not in ("ε", "model")})


def _low_fpr_cell(points, target: float, legacy):
    pt = next((q for q in points if q.target_fpr is not None and abs(q.target_fpr - target) < 1e-12), None)
    if pt is None:
        return fmt(legacy) if legacy is not None else "—"
    if pt.tpr is None:
        if (pt.false_positive_allowance or 0) >= (pt.min_false_positives or 0):  # tied scores: fewer FP than allowed
            return (f"not reported ({fmt(pt.false_positives)} FP behind the threshold (tied scores), "
                    f"{fmt(pt.min_false_positives)} needed)")
        return f"not reported ({fmt(pt.false_positive_allowance)} FP allowed, {fmt(pt.min_false_positives)} needed)"
    lo, hi = (pt.tpr_ci or [None, None])[:2]
    band = f" [{lo:.3f}, {hi:.3f}]" if lo is not None and hi is not None else ""
    return f"{pt.tpr:.3f}{band} · {fmt(pt.false_positives)} FP of {fmt(pt.n_nonmembers)}"


def _attack_rows(mia: dict[str, MembershipInference]) -> tuple[list, list, list]:
    """Each attack's row of the table, its ROC, and its ROC with the TPR's interval band."""
    curves, log_curves, rows = [], [], []
    for model, res in mia.items():
        for attack, a in res.attacks.items():
            rows.append({"model": model, "attack": attack, "AUC": a.auc,
                         "above chance": "—" if a.above_chance is None else ("yes" if a.above_chance else "no"),
                         "TPR at 1% FPR": _low_fpr_cell(a.low_fpr, 0.01, a.tpr_at_1pct_fpr),
                         "TPR at 0.1% FPR": _low_fpr_cell(a.low_fpr, 0.001, a.tpr_at_01pct_fpr), "advantage": a.advantage,
                         "members": res.n_members, "non-members": res.n_nonmembers})
            roc = a.roc
            if roc is None or not roc.fpr or len(roc.fpr) != len(roc.tpr):
                continue
            fpr, tpr = roc.fpr, roc.tpr
            curves.append(pd.DataFrame({"fpr": fpr, "tpr": tpr, "curve": f"{model} · {attack}"}))  # one chart: ≤ 8
            if len(roc.tpr_lower) == len(fpr) == len(roc.tpr_upper):
                fps = roc.false_positives if len(roc.false_positives) == len(fpr) else [None] * len(fpr)
                log_curves.append(pd.DataFrame({"fpr": fpr, "tpr": tpr, "lower": roc.tpr_lower, "upper": roc.tpr_upper,
                                                "false_positives": fps, "model": model, "attack": attack}))
    return curves, log_curves, rows


def _attack_notes(mia: dict[str, MembershipInference]) -> None:
    """Which rows were attacked, and the attacks that could not decide or did not run."""
    for model, res in mia.items():
        c, ref = res.nonmember_cleaning, res.reference_models
        if c is not None and c.clean_train_rows is not None:
            st.caption(f"{md_escape(model)}: members and non-members drawn alike from rows whose feature vector occurs once "
                       f"in the table ({fmt(c.clean_train_rows)} of {fmt(c.train_rows)} training, "
                       f"{fmt(c.clean_heldout_rows)} of {fmt(c.heldout_rows)} held-out rows); {fmt(c.exact_duplicates_removed)} "
                       f"exact and {fmt(c.near_duplicates_removed)} near duplicates of training rows removed from the "
                       "non-members.")
        elif c is not None:
            st.caption(f"{md_escape(model)}: {fmt(c.exact_duplicates_removed)} exact and {fmt(c.near_duplicates_removed)} near "
                       f"duplicates of training rows removed from the non-members ({fmt(c.clean_heldout_rows)} of "
                       f"{fmt(c.heldout_rows)} held-out rows kept).")
        if res.inconclusive_reason:
            st.warning(f"{md_escape(model)}: {md_escape(res.inconclusive_reason)}.")
        if ref is not None and ref.k:
            st.caption(f"{md_escape(model)}: RMIA and LiRA with {fmt(ref.k)} reference models ({md_escape(ref.trainer or '')}), "
                       f"{fmt(ref.seconds)} s; not saved.")
        elif ref is not None and ref.skipped:
            st.caption(f"{md_escape(model)}: no reference-model attack: {md_escape(ref.skipped)}.")


def _membership(priv: Privacy) -> None:
    """The membership-inference attacks: ROC, the table with low-FPR TPRs, and their notes."""
    st.subheader("Membership inference")
    mia = priv.membership_inference
    if not mia:
        not_run("Membership-inference attack", "Enable [privacy] membership_inference in the config.")
        return
    curves, log_curves, rows = _attack_rows(mia)
    if log_curves:  # small multiples: one panel per model, one strong colour per attack
        chart(charts.roc_panels, pd.concat(log_curves, ignore_index=True), panel="model", color="attack",
              title="Attack ROC, log axes (band: 95% Clopper–Pearson of each threshold's TPR; dashed: guessing)")
    elif curves:
        chart(charts.roc_curves, pd.concat(curves, ignore_index=True), title="Attack ROC (diagonal = guessing)")
    with st.container():
        table(pd.DataFrame(rows), formats=dict.fromkeys(("AUC", "advantage"), "%.4f"))
        threshold_aware = any(a.auc_p_value is not None or any(pt.tpr_ci_method for pt in a.low_fpr)
                              for res in mia.values() for a in res.attacks.values())
        st.caption(("TPRs with 95% intervals that include the uncertainty of the threshold (estimated from the non-members) "
                    "and the false positives (FP) actually behind it; a TPR resting on too few FP is not reported. "
                    if threshold_aware else
                    "TPRs with 95% Clopper–Pearson intervals at the chosen threshold and the FP behind it; a TPR whose "
                    "threshold admits too few non-members is not reported. ")
                   + "'Above chance': the AUC is above 0.5 by a one-sided Mann–Whitney test, Holm-adjusted over the "
                     "model's attacks; an attack that is not cannot tell members from non-members.")
    _attack_notes(mia)


def _statement(priv: Privacy) -> None:
    """What the run directory promises: the guarantee, what it covers and what not."""
    st.subheader("What this run directory promises")
    stmt = priv.statement
    if stmt is None:
        not_run("Privacy statement", "Records written before the statement existed do not have one.")
        return
    if stmt.guarantee:
        st.success(md_escape(stmt.guarantee))
    else:
        st.warning("No model was trained with differential privacy: nothing in this run directory is covered.")
    if stmt.sampling:
        st.caption(md_escape(stmt.sampling))
    if stmt.composition:
        st.caption(md_escape(stmt.composition))
    table(pd.DataFrame([{"artefact": a.path, "covered by DP": "yes" if a.private else "no", "why": a.why} for a in stmt.artefacts]))
    if stmt.not_saved:
        table(pd.DataFrame([{"trained and discarded": m.what, "DP": "yes" if m.private else "no", "why": m.why}
                            for m in stmt.not_saved]))
    if stmt.publish:
        st.markdown("**To publish with the stated guarantee:** " + "; ".join(md_escape(x) for x in stmt.publish))


def _canary_bound(canary: CanaryAudit, claimed: float | None) -> None:
    """The measured lower bound against the claimed ε, and the f-DP analysis."""
    lb = canary.epsilon_lower_bound
    if lb is not None and claimed is not None:
        if lb > claimed:
            st.error("The measured lower bound exceeds the claimed ε: the DP implementation or accounting is broken.")
        else:
            st.caption("The lower bound is below the claimed ε, as it must be for a correct implementation; a one-run "
                       "audit is loose, so a small bound does not prove the claimed ε is tight.")
    st.caption(f"Method: {md_escape(canary.method)}; {fmt(canary.m)} canaries, δ = {fmt(canary.delta, digits=2)}.")
    gdp = canary.gaussian_dp
    if gdp is not None:
        st.caption(f"f-DP analysis of the same guesses (Mahloujifar, Melis & Chaudhuri 2025): μ ≥ {fmt(gdp.mu_lower_bound)} "
                   "in μ-Gaussian DP"
                   + (f", against μ ≈ {fmt(gdp.mu_accountant)} for the noise used (f-DP central limit theorem). "
                      if gdp.mu_accountant is not None else ". ")
                   + md_escape(gdp.assumption or "μ is a privacy level only if the mechanism's trade-off curve is Gaussian")
                   + "; no ε is derived from μ (the ε lower bound above holds for any mechanism).")


def _canary(priv: Privacy, dp: DPTraining | None) -> None:
    """The one-run canary audit: a measured lower bound on ε beside the accountant's."""
    st.subheader("Empirical privacy: canary audit")
    canary = priv.canary_audit
    if canary is None:
        not_run("Canary audit", "Enable [privacy] canary_audit in the config (one extra training run).")
        return
    claimed = canary.epsilon_accountant if canary.has("epsilon_accountant") else (dp.epsilon_spent if dp is not None else None)
    ratio = canary.score_noise_ratio
    c = st.columns(4 if ratio is not None else 3)
    c[0].metric("ε lower bound (measured)", fmt(canary.epsilon_lower_bound),
                help=f"At confidence {fmt(canary.confidence)}: the training provably leaks at least this much.")
    c[1].metric("ε claimed (accountant)", fmt(claimed))
    c[2].metric("guesses correct", f"{fmt(canary.n_correct)} / {fmt(canary.n_guesses)}")
    if ratio is not None:
        c[3].metric("released noise / claimed", fmt(ratio),
                    help="Spread of the excluded canaries' scores (pure DP noise) over the spread the accountant's "
                         "noise multiplier implies. About 1 for a correct implementation.")
        if ratio < NOISE_RATIO_FLOOR:
            st.error(f"The noise actually released is {fmt(ratio)}× what the accountant assumed: the claimed ε is not backed "
                     "by the noise added.")
    _canary_bound(canary, claimed)


def _identifier_scan(r: AuditResult) -> None:
    """Columns of the input data that look like direct identifiers."""
    st.subheader("Identifier scan of the input data")
    scan = r.identifier_findings
    if scan is None:
        not_run("Identifier scan")
    elif not scan:
        st.success("No column looks like a direct identifier.")
    else:
        table(pd.DataFrame([{k: getattr(s, k) for k in ("column", "kind", "reason", "recommendation")} for s in scan]))


def render() -> None:
    """The Privacy page: DP accounting, the utility curve, membership inference, the statement, canaries, identifiers."""
    run = require_run()
    r = run.result
    st.title("Privacy")
    priv = r.privacy
    if priv is None:
        not_run("Privacy audit", "This run has no privacy section (privacy disabled in the config, or the audit predates it).")
        return
    _dp(priv)
    _utility(priv, r)
    _membership(priv)
    _statement(priv)
    _canary(priv, priv.dp)
    _identifier_scan(r)


if __name__ == "__main__":  # run as a page by st.navigation (dashboard/app.py)
    render()
