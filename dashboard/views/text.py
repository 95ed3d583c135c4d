"""Text: the audits of a text classifier — top tokens, counterfactual identity-term swaps (flip rates with
intervals, example texts), template spreads per category, and identity-subgroup AUCs (subgroup, BPSN, BNSP).

Texts from the run are shown with ``st.text`` and in tables only, never as Markdown or HTML.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from audit.result import AuditResult, TextModelAudit
from dashboard import _charts as charts
from dashboard._data import fmt, fmt_ci, fmt_interval, md_escape, visible, visible_frame
from dashboard._text_data import (
    auc_long,
    auc_table,
    category_table,
    pair_table,
    swap_context,
    template_frame,
    template_spreads,
    token_example,
    top_tokens,
)
from dashboard._ui import chart, model_picker, not_run, require_run, selectbox, table

__all__ = ["render"]


def _interval(entry: Any) -> str:
    """``[lo, hi]`` of a ``{value, ci}`` entry, or "" (the value is shown beside it)."""
    return fmt_interval(entry.get("ci") if isinstance(entry, dict) else None)


def _tokens(tokens: dict[str, Any] | None) -> None:
    st.subheader("Top tokens")
    top = top_tokens(tokens)
    if tokens is None or top.empty:  # no tokens give an empty frame
        not_run("Token attributions", "Set [explain] in the config to attribute the model's scores to tokens.")
        return
    st.caption(f"Mean attribution per token over {fmt(tokens.get('n_texts'))} test texts (Captum LayerIntegratedGradients "
               f"on the embedding, target {md_escape(tokens.get('target') or '?')}); tokens seen fewer times than the "
               "vocabulary's minimum are left out.")
    left, right = st.columns([3, 2])
    chart(charts.signed_bars, top, category="token", value="mean attribution", detail="count",
          title="Tokens that raise and lower the score most", where=left)
    with right:
        table(top, formats={"mean attribution": "%.4f"})
    raw_deletion, raw_delta = tokens.get("deletion"), tokens.get("convergence_delta")
    deletion = raw_deletion if isinstance(raw_deletion, dict) else {}
    delta = raw_delta if isinstance(raw_delta, dict) else {}
    if deletion:
        verdict = "passed" if deletion.get("passed") else "**failed**"
        st.caption(f"Deletion check {verdict}: deleting each text's top {fmt(deletion.get('k'))} tokens lowers the score by "
                   f"{fmt(deletion.get('mean_drop_top_k'))} on average, {fmt(deletion.get('k'))} random tokens by "
                   f"{fmt(deletion.get('mean_drop_random'))} (Wilcoxon p = {fmt(deletion.get('p_value'))}). Completeness "
                   f"error at most {fmt(delta.get('max_relative'))} of the score change.")
    examples = [e for e in (tokens.get("examples") or []) if isinstance(e, dict)]
    if examples:
        # Lazy: its chart is built only while the expander is open (a rerun on opening), not on every first render.
        with st.expander("One explained text, token by token", key="tx_token_open", on_change="rerun") as shown:
            if not shown.open:
                return
            i = selectbox("Text", range(len(examples)), key="tx_token_example",
                          format_func=lambda k: f"test row {examples[k].get('row')} · logit {fmt(examples[k].get('score'))}")
            frame = token_example(examples[i])
            strongest = frame.dropna(subset=["attribution"]).reindex(
                frame["attribution"].abs().sort_values(ascending=False).index).head(25)
            chart(charts.signed_bars, strongest.assign(token=[f"{t} @{p}" for t, p in strongest[["token", "position"]]
                                                              .itertuples(index=False)]),
                  category="token", value="attribution", title="The 25 strongest tokens (token @position)")
            st.text(visible(" ".join(frame["token"].astype(str))))


def _pair_examples(pair: dict[str, Any]) -> None:
    examples = [e for e in (pair.get("examples") or []) if isinstance(e, dict)]
    st.markdown(f"**{md_escape(pair.get('from'))} → {md_escape(pair.get('to'))}** ({md_escape(pair.get('category'))}): "
                f"{fmt(pair.get('n'))} counterfactuals, {fmt(pair.get('n_flips'))} flipped, flip rate "
                f"{md_escape(fmt_ci(pair.get('flip_rate'), digits=4))}.")
    if not examples:
        st.caption("The record keeps no example texts for this pair.")
        return
    rows = []
    for e in examples:
        s0, s1 = pd.to_numeric(e.get("score"), errors="coerce"), pd.to_numeric(e.get("counterfactual_score"), errors="coerce")
        rows.append({"score": s0, "counterfactual score": s1, "change": s1 - s0})
    st.caption("Examples kept by the audit: the largest score changes. Pick one to read the texts.")
    table(pd.DataFrame(rows).reset_index(names="example"), formats={"score": "%.4f", "counterfactual score": "%.4f",
                                                                     "change": "%+.4f"})
    k = selectbox("Example", range(len(examples)), key="tx_example", format_func=lambda j: f"example {j}")
    e = examples[k]
    for before, after in swap_context(str(e.get("original", "")), str(e.get("counterfactual", ""))):
        left, right = st.columns(2)
        left.caption("original, around the swap")
        left.text(before)
        right.caption("counterfactual")
        right.text(after)
    with st.expander("Whole texts"):
        st.caption(f"Original (score {fmt(pd.to_numeric(e.get('score'), errors='coerce'))})")
        st.text(visible(e.get("original", "")))
        st.caption(f"Counterfactual (score {fmt(pd.to_numeric(e.get('counterfactual_score'), errors='coerce'))})")
        st.text(visible(e.get("counterfactual", "")))


def _counterfactuals(cf: dict[str, Any] | None, r: AuditResult, model: str) -> None:
    st.subheader("Counterfactual identity-term swaps")
    if not cf:
        not_run("Counterfactual fairness", "The run did not swap identity terms in the test texts.")
        return
    worst, change = cf.get("max_flip_rate") or {}, cf.get("max_mean_abs_score_change") or {}
    c = st.columns(4)
    c[0].metric("worst flip rate", fmt(worst.get("value")), help="Largest flip rate over term pairs with enough texts; "
                "its interval is adjusted for choosing the largest of the pairs compared (Bonferroni).")
    adjusted = f" (adjusted for {fmt(worst.get('n_pairs'))} pairs)" if worst.get("n_pairs") else ""
    c[0].caption(md_escape(" → ".join(str((worst.get("pair") or {}).get(k, "?")) for k in ("from", "to"))
                           + f" · {_interval(worst)}{adjusted} · n = {fmt(worst.get('n'))}"))
    c[1].metric("worst mean |Δscore|", fmt(change.get("value")))
    c[1].caption(md_escape(" → ".join(str((change.get("pair") or {}).get(k, "?")) for k in ("from", "to"))))
    c[2].metric("texts with identity terms", f"{fmt(cf.get('n_texts_with_terms'))} of {fmt(cf.get('n_texts'))}")
    c[3].metric("counterfactuals scored", fmt(cf.get("n_counterfactuals")))
    gates = [g for g in r.gates if g.metric in ("counterfactual_flip_rate", "counterfactual_score_change")
             and g.model in (model, None)]
    if gates:
        st.caption("Gates: " + "; ".join(f"{md_escape(g.name or g.metric)} (≤ {fmt(g.max)}): {md_escape(g.outcome or '?')}"
                                         for g in gates))
    st.caption(f"Threshold {fmt(cf.get('threshold'))}; pairs with fewer than {fmt(cf.get('min_pair_size'))} counterfactuals "
               "are listed but not eligible for the maxima. Texts are the unit of every interval: a pair's flip rate has "
               "an exact Clopper–Pearson interval over its texts; a category's pools each text's correlated "
               "counterfactuals (Clopper–Pearson at their effective number, texts as clusters); mean |Δscore| likewise, "
               "mean Δscore a Student-t interval. The maxima's intervals are adjusted for choosing the largest pair.")
    _matching(cf.get("matching"))
    table(category_table(cf))
    pairs = pair_table(cf)
    if pairs.empty:
        return
    cats = ["all"] + sorted(pairs["category"].unique().tolist())
    cat = selectbox("Category", cats, key="tx_pair_cat")
    shown = pairs if cat == "all" else pairs[pairs["category"] == cat].reset_index(drop=True)
    top = shown[shown["eligible"]].head(20).assign(pair=lambda f: f["from"] + " → " + f["to"])
    if not top.empty:
        chart(charts.bars_with_ci, top, category="pair", value="flip rate", lo="lo", hi="hi",
              title=f"Flip rate per term pair (highest 20 with at least {fmt(cf.get('min_pair_size'))} counterfactuals; "
                    "Clopper–Pearson 95% intervals)")
    st.caption("Every pair, those with enough counterfactuals first (eligible). Click a row to see its example texts "
               "(or choose the pair below).")
    event = st.dataframe(visible_frame(shown.drop(columns=["index"])), hide_index=True, on_select="rerun", selection_mode="single-row",
                         key=f"tx_pairs_{cat}", column_config={c: st.column_config.NumberColumn(format="%.4f")
                                                               for c in ("flip rate", "lo", "hi")})
    picked = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    key = f"tx_pair_{cat}"
    if picked and st.session_state.get("_tx_last_pick") != (key, picked[0]):
        st.session_state["_tx_last_pick"] = (key, picked[0])
        st.session_state[key] = picked[0]
    if st.session_state.get(key, 0) >= len(shown):
        st.session_state[key] = 0
    # Labels built once: a format_func reading the frame cell by cell cost ~0.3 ms per option (hundreds of pairs).
    labels = [f"{a} → {b} ({c})" for a, b, c in zip(shown["from"].tolist(), shown["to"].tolist(),
                                                     shown["category"].tolist(), strict=True)]
    i = selectbox("Pair", range(len(shown)), key=key, format_func=labels.__getitem__)
    _pair_examples(cf["pairs"][int(shown.at[i, "index"])])


def _matching(matching: Any) -> None:
    """How many identity-term matches were swapped, and the ones left out (names, words not about people)."""
    if not isinstance(matching, dict) or not matching.get("n_matches"):
        return
    skipped = matching.get("skipped") or {}
    why = ", ".join(f"{fmt(n)} {str(k).replace('_', ' ')}" for k, n in skipped.items())
    st.caption(f"{fmt(matching.get('n_mentions'))} of {fmt(matching.get('n_matches'))} identity-term matches are identity "
               f"mentions and were swapped" + (f"; left as they are: {md_escape(why)}." if why else "."))
    examples = [e for e in (matching.get("examples") or []) if isinstance(e, dict)]
    if examples:
        with st.expander("Matches left out (examples)"):
            table(pd.DataFrame([{"match": str(e.get("match")), "reason": str(e.get("reason")), "text": str(e.get("text"))}
                                for e in examples]))
            reasons = matching.get("reasons") or {}
            for key, rule in reasons.items():
                st.caption(f"{md_escape(str(key).replace('_', ' '))}: {md_escape(rule)}")


def _templates(cf: dict[str, Any] | None) -> None:
    st.subheader("Template spreads")
    spreads = template_spreads(cf)
    if cf is None or spreads.empty:  # no counterfactual section gives an empty frame
        not_run("Template scores", "The run scored no identity templates.")
        return
    st.caption("Every template sentence filled with each identity term of a category; spread = highest minus lowest mean "
               "score over the category's terms. A fair model scores them alike.")
    left, right = st.columns([2, 3])
    with left:
        table(spreads, formats={"spread": "%.4f"})
    cat = selectbox("Category", spreads["category"].tolist(), where=right, key="tx_template_cat")
    frame = template_frame(cf, cat)
    if not frame.empty:
        chart(charts.bars_with_ci, frame, category="term", value="mean score", color="templates",
              title=f"Mean template score per {cat} term, overall and by template label", where=right)
    templates = (cf.get("templates") or {}).get("templates") or []
    if templates:
        with st.expander("The templates"):
            table(pd.DataFrame([{"template": str(t.get("template")), "label": str(t.get("label"))}
                                for t in templates if isinstance(t, dict)]))


def _aucs(auc: dict[str, Any] | None, r: AuditResult, model: str) -> None:
    st.subheader("Identity-subgroup AUCs")
    if not auc:
        not_run("Identity-subgroup AUCs", "No identity subgroup had enough test texts.")
        return
    c = st.columns(5)
    for col, (key, label) in zip(c, [("overall_auc", "overall AUC"), ("power_mean_subgroup_auc", "subgroup (power mean)"),
                                     ("power_mean_bpsn_auc", "BPSN (power mean)"), ("power_mean_bnsp_auc", "BNSP (power mean)"),
                                     ("final_score", "final score")], strict=True):
        entry = auc.get(key) or {}
        col.metric(label, fmt(entry.get("value")))
        col.caption(md_escape(_interval(entry)))
    worst = auc.get("worst") or {}
    if worst:
        st.caption("Lowest: " + "; ".join(f"{md_escape(k.replace('_', ' '))} {fmt(v.get('value'))} "
                                          f"({md_escape(v.get('subgroup'))})" for k, v in worst.items() if isinstance(v, dict)))
    st.caption(f"Power mean p = {fmt(auc.get('power'))}; each AUC needs at least {fmt(auc.get('min_size'))} texts on each "
               "side. Each AUC's interval is exact-binomial at the effective number of text pairs its (DeLong) variance "
               "implies, never narrower than a perfect ranking of the smaller side allows; the lowest of each family is "
               "adjusted for choosing it; power means and final score: percentile bootstrap "
               f"({fmt(auc.get('n_boot'))} resamples). BPSN low: the subgroup's negatives score above the background's "
               "positives; BNSP low: its positives score below the background's negatives.")
    long = auc_long(auc)
    bounds = [{"value": g.min, "label": f"gate ≥ {fmt(g.min)}"} for g in r.gates
              if g.metric == "bpsn_auc_min" and g.model in (model, None) and g.min is not None]
    if not long.empty:
        chart(charts.points_with_ci, long, category="subgroup", value="value", lo="lo", hi="hi", color="AUC",
              title="Subgroup, BPSN and BNSP AUC per identity subgroup", bounds=bounds,
              from_zero=False)
    table(auc_table(auc))


def render() -> None:
    """The Text page: a text classifier's token attributions, counterfactual swaps, template spreads and subgroup AUCs."""
    run = require_run()
    r = run.result
    st.title("Text")
    T = r.text
    if T is None:
        not_run("Text audits", "This run is not a text classifier (set [data] text_column in the config).")
        return
    vocab = r.data.text if isinstance(r.data.text, dict) else {}
    checkpoint = vocab.get("checkpoint") if isinstance(vocab.get("checkpoint"), dict) else None
    source = (f"the tokenizer of checkpoint **{md_escape(str(checkpoint.get('path')))}** "
              f"({md_escape(str(checkpoint.get('model_type')))}), " if checkpoint else "vocabulary ")
    st.caption(f"Text column **{md_escape(T.text_column or r.data.text_column or '?')}** · {source}"
               f"{fmt(vocab.get('vocabulary_size'))} tokens · {fmt(vocab.get('max_length'))} tokens kept per text "
               f"({fmt(vocab.get('texts_truncated_share'))} of texts truncated) · identity categories "
               f"{md_escape(', '.join(T.identity_categories) or 'none')}")
    if T.mentions:
        with st.expander("Test texts mentioning each identity subgroup"):
            table(pd.DataFrame([{"subgroup": str(k), "texts": v} for k, v in T.mentions.items()]))
    models = [m for m in r.models if m in T.models] or list(T.models)
    if not models:
        not_run("Text audits", "No model was audited.")
        return
    model = model_picker(models, key="tx_model")
    audit: TextModelAudit = T.models[model]
    skipped = audit.extra.get("skipped")
    if skipped:
        st.info("Parts of the text audit do not apply to this model: "
                + "; ".join(md_escape(f"{k}: {v}") for k, v in (skipped.items() if isinstance(skipped, dict)
                                                                 else enumerate(skipped if isinstance(skipped, list) else [skipped]))))
    _tokens(audit.tokens)
    _counterfactuals(audit.counterfactual, r, model)
    _templates(audit.counterfactual)
    _aucs(audit.identity_auc, r, model)



if __name__ == "__main__":  # run as a page by st.navigation (dashboard/app.py)
    render()
