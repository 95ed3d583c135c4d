"""The Explainability section: global importance, faithfulness checks, group reliance, examples, image maps.

A card describing its task (multiclass, regression, text) also says which output was explained and, for
several classes, each class's top features; a text classifier without tabular explanations points to its
token attributions (``text_audits``).

Examples
--------
>>> from audit.result import AuditResult
>>> ctx = CardContext(AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {}, "models": {}}))
>>> explainability(ctx)["reason"]
'explanations disabled or not available'
"""

from __future__ import annotations

from typing import Any

from audit.result import (
    ConvergenceDelta,
    Faithfulness,
    ModelExplanation,
    RandomizationTest,
)
from reports._plain import as_dict as _dict
from reports._plain import interval as _ci
from reports._plain import not_run as _not_run
from reports._plain import number as _num
from reports._plain import text as _text
from reports._sections.context import CardContext
from reports._sections.context import given as _given
from reports._sections.context import plain as _plain

__all__ = ["explainability"]

_TOKENS_INSTEAD = "feature attributions of a table do not apply to a text classifier; its token attributions follow"


def _score(value: float | None, fallback: Any) -> float | int | None:
    """A faithfulness score given as a number, or (older image runs) as ``{"mean": ...}`` kept in extra."""
    return _num(value) if value is not None else _num(_dict(fallback).get("mean"))


def _per_method_faithfulness(x: ModelExplanation, faith: Faithfulness) -> list[dict[str, Any]]:
    # Image runs (explain_images) report faithfulness per method instead of one block.
    if x.methods is None:
        return []
    out = []
    for meth, f in faith.to_dict().items():
        if meth not in x.methods:
            continue
        f = _dict(f)
        deletion, rand = _dict(f.get("deletion_curve")), _dict(f.get("randomization_test"))
        out.append({
            "method": str(meth), "n_images": _num(f.get("n_images")), "infidelity": _num(f.get("infidelity")),
            "sensitivity_max": _num(f.get("sensitivity_max")),
            "deletion_area_top": _num(deletion.get("area_top")), "deletion_area_random": _num(deletion.get("area_random")),
            "randomization_spearman": _num(rand.get("spearman")), "randomization_threshold": _num(rand.get("threshold")),
            "randomization_flagged": rand.get("flagged") if isinstance(rand.get("flagged"), bool) else None,
        })  # fmt: skip
    return out


def _baseline_text(x: ModelExplanation) -> str | None:
    b = x.baseline
    if b is None:
        return _text(x.extra.get("baseline"))
    return _text(b.description) or _text(b.kind) or _text(b.to_dict())


def explainability(ctx: CardContext) -> dict[str, Any]:
    """Every explained model's importance, checks, reliance on sensitive features, examples and maps."""
    result = ctx.result
    X = result.explainability
    if not X:
        out = {**_not_run("explanations disabled or not available"), "models": []}
        if result.text is not None and any(m.tokens for m in result.text.models.values()):
            out["reason"] = _TOKENS_INSTEAD
        return out
    models = []
    for model in [n for n in ctx.model_names if n in X] + [n for n in X if n not in result.models]:
        x = X[model]
        faith = x.faithfulness or Faithfulness()
        conv = faith.convergence_delta or ConvergenceDelta()
        rand = faith.randomization_test or RandomizationTest()
        deletion = faith.deletion_curve
        reliance = []
        for feature, r in x.group_reliance.items():
            reliance.append({
                "sensitive_feature": str(feature),
                "sensitive_feature_share": r.sensitive_feature_share,
                "proxies": [{"feature": str(p.feature), "proxy_auc": p.proxy_auc,
                             "mutual_information": p.mutual_information,
                             "importance": p.importance} for p in r.proxies][:8],
            })  # fmt: skip
        examples = []
        for e in x.examples[:6]:
            contribs = sorted(e.contributions, key=lambda c: -abs(c.attribution or 0.0))[:5]
            y_true = round(e.y_true, 3) if isinstance(e.y_true, float) else _plain(e.y_true)  # a regression's target
            examples.append({"row": _plain(e.row), "kind": _text(e.kind), "y_true": y_true,
                             "y_score": e.y_score,
                             "contributions": [{"feature": str(c.feature), "value": _plain(c.value),
                                                "attribution": c.attribution} for c in contribs]})
        models.append({
            "model": model,
            "method": _text(x.method) or (", ".join(map(str, x.methods)) if x.methods is not None else None),
            "baseline": _baseline_text(x),
            "n_rows": x.n_rows if x.n_rows is not None else x.n_images,
            "test_rows": _text(x.test_rows),
            "global_importance": [{"feature": str(g.feature), "mean_abs": g.mean_abs, "ci": _ci(g.ci),
                                   "mean_signed": g.mean_signed} for g in x.global_importance],
            "faithfulness": {
                "convergence_delta_mean_abs": conv.mean_abs,
                "convergence_delta_max_abs": conv.max_abs,
                "convergence_tolerance": conv.tolerance,
                "convergence_warning": conv.warning,
                "infidelity": _score(faith.infidelity, faith.extra.get("infidelity")),
                "sensitivity_max": _score(faith.sensitivity_max, faith.extra.get("sensitivity_max")),
                "randomization_spearman": rand.spearman,
                "randomization_threshold": rand.threshold,
                "randomization_flagged": rand.flagged,
                "deletion_curve": {"k": list(deletion.k), "top": list(deletion.top), "random": list(deletion.random)}
                if deletion is not None and _given(deletion) else None,
            },
            "group_reliance": reliance,
            "examples": examples,
            "per_method_faithfulness": _per_method_faithfulness(x, faith),
            "per_class_accuracy": [{"class": str(k), "accuracy": _num(_dict(v).get("accuracy")), "n": _num(_dict(v).get("n"))}
                                   for k, v in x.per_class_accuracy.items()],
            "image_maps": [{"path": str(m.path), "method": _text(m.method), "label": _plain(m.label),
                            "prediction": _plain(m.prediction), "caption": _text(m.caption)}
                           for m in x.image_maps if m.path],
            "warnings": [str(w) for w in x.warnings],
        })  # fmt: skip
        if ctx.describes_task:
            models[-1].update(_explained_output(x))
    return {"status": "ok", "models": models}


def _explained_output(src: ModelExplanation) -> dict[str, Any]:
    """Which output was explained, and each class's top features (a model of several classes)."""
    per_class = []
    for cls, rows in src.per_class_importance.items():
        top = sorted(rows, key=lambda r: -(r.mean_abs or 0.0))[:5]
        per_class.append({"class": str(cls), "top": [{"feature": str(r.feature), "mean_abs": r.mean_abs,
                                                      "mean_signed": r.mean_signed} for r in top]})
    # a class label that is a number is not the str the field declares: the record keeps it in extra
    explained = src.explained_class if src.explained_class is not None else src.extra.get("explained_class")
    return {"target_description": _text(src.target_description), "explained_class": _text(explained),
            "per_class_importance": per_class}


