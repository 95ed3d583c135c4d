"""The text audits of a text classifier (``data.text_column``), one stage over every model.

* **counterfactual identity terms** (Garg et al. 2019): each identity term in a test text swapped
  for the other terms of its category; how often the decision flips and how far the score moves;
  the project's templates scored with each term (binary models);
* **identity-subgroup AUCs** (Borkan et al. 2019): subgroup, BPSN and BNSP AUC for the texts
  that mention each identity category or term (binary models);
* **token attributions**: Captum's LayerIntegratedGradients on the embedding, the top tokens,
  examples and the deletion check (every model, when explanations are on).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from audit.config import TextSection
from audit.pipeline._context import AuditRun, Stage
from audit.result import TextAudit

__all__ = ["TEXT_STAGES"]

#: A single identity term becomes its own subgroup (beside its category) with at least this many test texts.
MIN_TERM_TEXTS = 20
_BINARY_ONLY = ("computed for binary text classifiers (a positive score to flip and to rank); this model has "
                "{k} classes")


def _settings(run: AuditRun) -> TextSection:
    return run.config.text if run.config is not None else TextSection()


def test_mentions(run: AuditRun) -> dict[str, dict[str, np.ndarray]]:
    """Which test texts mention each identity term of ``text.identity_categories`` (:func:`audit.text.mentions`),
    computed once per run: the robustness stage groups by them, the text audits use them."""
    if run.identity_mentions is None:
        from audit.text import mentions

        p = run.prepared
        texts = p.raw_test[p.preprocessor.column].fillna("").astype(str).tolist()
        run.identity_mentions = mentions(texts, categories=list(_settings(run).identity_categories))
    return run.identity_mentions


def _subgroups(masks: dict[str, dict[str, np.ndarray]], n: int) -> dict[str, np.ndarray]:
    """Each category (any of its terms), and each term mentioned often enough, as a mask over the test texts."""
    out = {}
    for category, terms in masks.items():
        out[category] = np.any(np.stack(list(terms.values())), axis=0) if terms else np.zeros(n, dtype=bool)
        for term, mask in terms.items():
            if int(mask.sum()) >= MIN_TERM_TEXTS:
                out[f"{category}: {term}"] = mask
    return out


def _binary_audits(run: AuditRun, name: str, model, texts: list[str], subgroups: dict) -> dict:
    from audit.text import counterfactual_fairness, identity_auc_metrics, text_predict_fn

    p, t, seed = run.prepared, _settings(run), run.options.seed
    features = p.preprocessor
    predict = text_predict_fn(model, features.vocabulary, max_len=features.max_length)
    # a flip is a change of the model's decision: at its own threshold (audit.models.decisions)
    counterfactual = counterfactual_fairness(predict, texts, categories=list(t.identity_categories),
                                             max_texts=t.counterfactual_max_texts, n_examples=t.n_examples, seed=seed,
                                             threshold=run.threshold(name))
    # 200 resamples (for the power means and the final score; each AUC's interval needs none): each draws 3 AUCs per
    # subgroup (dozens of subgroups); the percentile interval's Monte-Carlo error is already small beside its width.
    identity = identity_auc_metrics(p.y_test, run.scores[name], subgroups, n_boot=min(run.options.fairness.n_boot, 200),
                                    ci_level=run.options.fairness.ci_level, seed=seed)
    best = counterfactual.get("max_flip_rate") or {}
    if best.get("value") is not None:
        pair, ci = best["pair"], best.get("ci") or [None, None]
        shown = f" [{ci[0]:.1%}, {ci[1]:.1%}] adjusted for choosing it among {best['n_pairs']} pairs" \
            if None not in ci else ""
        run.progress.note(f"{name}: swapping {pair['from']!r} for {pair['to']!r} flips {best['value']:.1%}{shown} of "
                          f"the decisions on {best['n']} texts (largest flip rate of any identity-term pair)")
    matching = counterfactual.get("matching") or {}
    if matching.get("n_skipped"):
        run.progress.note(f"{name}: {matching['n_skipped']} of {matching['n_matches']} identity-term matches are not "
                          f"identity mentions (names, words not about people) and were not swapped")
    return {"counterfactual": counterfactual, "identity_auc": identity}


def _tokens(run: AuditRun, model) -> dict:
    from audit.text import token_attributions

    p, rows = run.prepared, run.explain_rows()
    section = token_attributions(model, p.X_test[rows].astype(np.int64), vocab=p.preprocessor.vocabulary,
                                 n_examples=_settings(run).n_examples, seed=run.options.seed)
    section["test_rows"] = "all" if len(rows) == len(p.X_test) else f"random sample of {len(rows)}"
    return section


def _text_audits(run: AuditRun) -> None:
    p, t = run.prepared, _settings(run)
    texts = p.raw_test[p.preprocessor.column].fillna("").astype(str).tolist()
    subgroups = _subgroups(test_mentions(run), len(texts))
    models: dict[str, dict[str, Any]] = {}
    for name, model in run.models.items():
        entry: dict[str, Any] = {}
        if p.task.kind.has_scores_auc:  # counterfactual flips and identity AUCs need a positive score
            entry.update(_binary_audits(run, name, model, texts, subgroups))
        else:
            entry["skipped"] = {"counterfactual": _BINARY_ONLY.format(k=len(p.task.classes)),
                                "identity_auc": _BINARY_ONLY.format(k=len(p.task.classes))}
        if run.options.explain.enabled:
            entry["tokens"] = _tokens(run, model)
            top = [row["token"] for row in entry["tokens"]["global"]["top_abs"][:5]]
            run.progress.note(f"{name}: tokens that move the score most {top}")
        models[name] = entry
    run.text = TextAudit.from_dict({"text_column": p.preprocessor.column, "identity_categories": list(t.identity_categories),
                                    "mentions": {name: int(mask.sum()) for name, mask in subgroups.items()},
                                    "models": models})


TEXT_STAGES = (
    Stage(title=lambda run: "text audits (identity-term counterfactuals, subgroup AUCs, token attributions)",
          run=_text_audits, timer_key="audit_text", applies=lambda run: run.is_text),
)
