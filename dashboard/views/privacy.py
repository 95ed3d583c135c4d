"""Privacy: ε/δ and accountant, ε per epoch, privacy-utility curve, membership-inference ROC,
canary-audit lower bound beside the claimed ε, identifier scan."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import _charts as charts
from dashboard._data import dig, fmt, md_escape
from dashboard._ui import chart, not_run, require_run, table

run = require_run()
r = run.result
st.title("Privacy")
priv = dig(r, "privacy")
if not isinstance(priv, dict):
    not_run("Privacy audit", "This run has no privacy section (privacy disabled in the config, or the audit predates it).")
    st.stop()

# --- differential privacy ------------------------------------------------------------------------
st.subheader("Differential privacy (DP-SGD)")
dp = priv.get("dp")
if not isinstance(dp, dict):
    not_run("DP training", "No private model was trained; the reference model carries no formal privacy guarantee.")
else:
    c = st.columns(4)
    c[0].metric("ε spent", fmt(dp.get("epsilon_spent")), help="From the accountant, after all training steps.")
    c[1].metric("ε target", fmt(dp.get("epsilon_target")))
    c[2].metric("δ", fmt(dp.get("delta"), digits=2), help=dp.get("delta_rule") and f"Rule: {md_escape(dp['delta_rule'])}")
    c[3].metric("accountant", str(dp.get("accountant") or "—"))
    settings = {k: dp.get(k) for k in ("noise_multiplier", "max_grad_norm", "sample_rate", "epochs", "steps", "batch_size",
                                       "learning_rate", "optimizer", "poisson_sampling", "grad_sample_mode", "secure_rng", "n_train",
                                       "resumed_from_epoch")}
    left, right = st.columns([1, 2])
    with left:
        table(pd.DataFrame({"setting": list(settings), "value": [fmt(v, digits=4) if v is not None else "—" for v in settings.values()]}))
        for fix in dp.get("module_fixes") or []:
            st.caption(f"Module fix: {md_escape(fix)}")
    with right:
        hist = dp.get("epsilon_history") or []
        if hist:
            eps = pd.DataFrame({"epoch": range(1, len(hist) + 1), "ε spent": hist})
            chart(charts.lines(eps, x="epoch", y="ε spent", title="ε spent after each epoch"))
        else:
            not_run("ε per epoch", "The accountant history was not recorded.")

# --- privacy-utility curve -------------------------------------------------------------------------
st.subheader("Privacy-utility trade-off")
curve = [p for p in (priv.get("utility_curve") or []) if isinstance(p, dict)]
if not curve:
    not_run("Privacy-utility curve", "Set a list of ε values to sweep in the config to see accuracy against ε.")
else:
    finite = pd.DataFrame([{"ε": p["epsilon"], "accuracy": p.get("accuracy")} for p in curve if p.get("epsilon") is not None])
    nonpriv = [p.get("accuracy") for p in curve if p.get("epsilon") is None]
    if not finite.empty:
        utility = charts.lines(finite, x="ε", y="accuracy", title="Test accuracy against ε (dashed: non-private)")
        if nonpriv and nonpriv[0] is not None:
            import altair as alt

            utility = utility + alt.Chart(pd.DataFrame({"accuracy": [nonpriv[0]]})).mark_rule(strokeDash=[4, 4], color="gray").encode(y="accuracy:Q")
        chart(utility)
    rows = []
    for p in curve:
        row = {"ε": "non-private" if p.get("epsilon") is None else fmt(p.get("epsilon")), "accuracy": p.get("accuracy")}
        for feat, v in (p.get("demographic_parity_difference") or {}).items():
            row[f"DP difference ({feat})"] = v
        for feat, v in (p.get("equalized_odds_difference") or {}).items():
            row[f"EO difference ({feat})"] = v
        rows.append(row)
    table(pd.DataFrame(rows), formats={c: "%.4f" for c in pd.DataFrame(rows).columns if c != "ε"})

# --- membership inference --------------------------------------------------------------------------
st.subheader("Membership inference")
mia = priv.get("membership_inference")
if not isinstance(mia, dict) or not mia:
    not_run("Membership-inference attack", "Enable [privacy] membership_inference in the config.")
else:
    curves, rows = [], []
    for model, res in mia.items():
        for attack, a in (dig(res, "attacks") or {}).items():
            rows.append({"model": model, "attack": attack, "AUC": dig(a, "auc"), "TPR at 1% FPR": dig(a, "tpr_at_1pct_fpr"),
                         "TPR at 0.1% FPR": dig(a, "tpr_at_0.1pct_fpr"), "advantage": dig(a, "advantage"),
                         "members": dig(res, "n_members"), "non-members": dig(res, "n_nonmembers")})
            fpr, tpr = dig(a, "roc", "fpr") or [], dig(a, "roc", "tpr") or []
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
canary = priv.get("canary_audit")
if not isinstance(canary, dict):
    not_run("Canary audit", "Enable [privacy] canary_audit in the config (one extra training run).")
else:
    claimed = canary.get("epsilon_accountant", dig(dp, "epsilon_spent") if isinstance(dp, dict) else None)
    ratio = canary.get("score_noise_ratio")
    c = st.columns(4 if isinstance(ratio, (int, float)) else 3)
    c[0].metric("ε lower bound (measured)", fmt(canary.get("epsilon_lower_bound")),
                help=f"At confidence {fmt(canary.get('confidence'))}: the training provably leaks at least this much.")
    c[1].metric("ε claimed (accountant)", fmt(claimed))
    c[2].metric("guesses correct", f"{fmt(canary.get('n_correct'))} / {fmt(canary.get('n_guesses'))}")
    if isinstance(ratio, (int, float)):
        c[3].metric("released noise / claimed", fmt(ratio),
                    help="Spread of the excluded canaries' scores (pure DP noise) over the spread the accountant's "
                         "noise multiplier implies. About 1 for a correct implementation.")
        if ratio < NOISE_RATIO_FLOOR:
            st.error(f"The noise actually released is {fmt(ratio)}× what the accountant assumed: the claimed ε is not backed "
                     "by the noise added.")
    lb = canary.get("epsilon_lower_bound")
    if isinstance(lb, (int, float)) and isinstance(claimed, (int, float)):
        if lb > claimed:
            st.error("The measured lower bound exceeds the claimed ε: the DP implementation or accounting is broken.")
        else:
            st.caption("The lower bound is below the claimed ε, as it must be for a correct implementation; a one-run "
                       "audit is loose, so a small bound does not prove the claimed ε is tight.")
    st.caption(f"Method: {md_escape(canary.get('method'))}; {fmt(canary.get('m'))} canaries, δ = {fmt(canary.get('delta'), digits=2)}.")

# --- identifier scan -------------------------------------------------------------------------------
st.subheader("Identifier scan of the input data")
scan = priv.get("identifier_scan")
if scan is None:
    scan = dig(r, "data", "identifier_scan")
if scan is None:
    not_run("Identifier scan")
elif not scan:
    st.success("No column looks like a direct identifier.")
else:
    table(pd.DataFrame([{k: s.get(k) for k in ("column", "kind", "reason", "recommendation")} for s in scan if isinstance(s, dict)]))
