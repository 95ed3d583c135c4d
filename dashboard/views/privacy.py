"""Privacy: ε/δ and accountant, ε per epoch, privacy-utility curve, membership-inference ROC,
canary-audit lower bound beside the claimed ε, identifier scan."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import _charts as charts
from dashboard._data import fmt, md_escape
from dashboard._ui import chart, not_run, require_run, table

run = require_run()
r = run.result
st.title("Privacy")
priv = r.privacy
if priv is None:
    not_run("Privacy audit", "This run has no privacy section (privacy disabled in the config, or the audit predates it).")
    st.stop()

# --- differential privacy ------------------------------------------------------------------------
st.subheader("Differential privacy (DP-SGD)")
dp = priv.dp
if dp is None:
    not_run("DP training", "No private model was trained; the reference model carries no formal privacy guarantee.")
else:
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
            chart(charts.lines(eps, x="epoch", y="ε spent", title="ε spent after each epoch"))
        else:
            not_run("ε per epoch", "The accountant history was not recorded.")

# --- privacy-utility curve -------------------------------------------------------------------------
st.subheader("Privacy-utility trade-off")
curve = priv.utility_curve
if not curve:
    not_run("Privacy-utility curve", "Set a list of ε values to sweep in the config to see accuracy against ε.")
else:
    finite = pd.DataFrame([{"ε": p.epsilon, "accuracy": p.accuracy} for p in curve if p.epsilon is not None])
    nonpriv = [p.accuracy for p in curve if p.epsilon is None]
    if not finite.empty:
        utility = charts.lines(finite, x="ε", y="accuracy", title="Test accuracy against ε (dashed: non-private)")
        if nonpriv and nonpriv[0] is not None:
            import altair as alt

            utility = utility + alt.Chart(pd.DataFrame({"accuracy": [nonpriv[0]]})).mark_rule(strokeDash=[4, 4], color="gray").encode(y="accuracy:Q")
        chart(utility)
    rows = []
    for p in curve:
        row = {"ε": "non-private" if p.epsilon is None else fmt(p.epsilon), "accuracy": p.accuracy}
        for feat, v in p.demographic_parity_difference.items():
            row[f"DP difference ({feat})"] = v
        for feat, v in p.equalized_odds_difference.items():
            row[f"EO difference ({feat})"] = v
        rows.append(row)
    table(pd.DataFrame(rows), formats={c: "%.4f" for c in pd.DataFrame(rows).columns if c != "ε"})

# --- membership inference --------------------------------------------------------------------------
st.subheader("Membership inference")
mia = priv.membership_inference
if not mia:
    not_run("Membership-inference attack", "Enable [privacy] membership_inference in the config.")
else:
    curves, rows = [], []
    for model, res in mia.items():
        for attack, a in res.attacks.items():
            rows.append({"model": model, "attack": attack, "AUC": a.auc, "TPR at 1% FPR": a.tpr_at_1pct_fpr,
                         "TPR at 0.1% FPR": a.tpr_at_01pct_fpr, "advantage": a.advantage,
                         "members": res.n_members, "non-members": res.n_nonmembers})
            fpr, tpr = (a.roc.fpr, a.roc.tpr) if a.roc is not None else ([], [])
            if fpr and len(fpr) == len(tpr):
                curves.append(pd.DataFrame({"fpr": fpr, "tpr": tpr, "curve": f"{model} · {attack}"}))
    left, right = st.columns([3, 2])
    if curves:
        chart(where=left, c=charts.roc_curves(pd.concat(curves, ignore_index=True), title="Attack ROC (diagonal = guessing)"))
    with right:
        table(pd.DataFrame(rows), formats={k: "%.4f" for k in ("AUC", "TPR at 1% FPR", "TPR at 0.1% FPR", "advantage")})
        st.caption("An AUC near 0.5 and a TPR at low FPR near the FPR mean the attack cannot tell members from non-members.")

# --- canary audit ----------------------------------------------------------------------------------
# With ~500 excluded canaries the ratio's standard error is about 3%; below 0.85 is no sampling accident.
NOISE_RATIO_FLOOR = 0.85
st.subheader("Empirical privacy: canary audit")
canary = priv.canary_audit
if canary is None:
    not_run("Canary audit", "Enable [privacy] canary_audit in the config (one extra training run).")
else:
    claimed = canary.epsilon_accountant if canary.has("epsilon_accountant") else (dp.epsilon_spent if dp is not None else None)
    ratio = canary.score_noise_ratio
    c = st.columns(4 if isinstance(ratio, (int, float)) else 3)
    c[0].metric("ε lower bound (measured)", fmt(canary.epsilon_lower_bound),
                help=f"At confidence {fmt(canary.confidence)}: the training provably leaks at least this much.")
    c[1].metric("ε claimed (accountant)", fmt(claimed))
    c[2].metric("guesses correct", f"{fmt(canary.n_correct)} / {fmt(canary.n_guesses)}")
    if isinstance(ratio, (int, float)):
        c[3].metric("released noise / claimed", fmt(ratio),
                    help="Spread of the excluded canaries' scores (pure DP noise) over the spread the accountant's "
                         "noise multiplier implies. About 1 for a correct implementation.")
        if ratio < NOISE_RATIO_FLOOR:
            st.error(f"The noise actually released is {fmt(ratio)}× what the accountant assumed: the claimed ε is not backed "
                     "by the noise added.")
    lb = canary.epsilon_lower_bound
    if isinstance(lb, (int, float)) and isinstance(claimed, (int, float)):
        if lb > claimed:
            st.error("The measured lower bound exceeds the claimed ε: the DP implementation or accounting is broken.")
        else:
            st.caption("The lower bound is below the claimed ε, as it must be for a correct implementation; a one-run "
                       "audit is loose, so a small bound does not prove the claimed ε is tight.")
    st.caption(f"Method: {md_escape(canary.method)}; {fmt(canary.m)} canaries, δ = {fmt(canary.delta, digits=2)}.")

# --- identifier scan -------------------------------------------------------------------------------
st.subheader("Identifier scan of the input data")
scan = priv.identifier_scan
if scan is None:
    scan = r.data.identifier_scan
if scan is None:
    not_run("Identifier scan")
elif not scan:
    st.success("No column looks like a direct identifier.")
else:
    table(pd.DataFrame([{k: getattr(s, k) for k in ("column", "kind", "reason", "recommendation")} for s in scan]))
