"""Model details and intended use (Mitchell et al. 2019, sections 1 and 2).

Examples
--------
>>> from audit.result import AuditResult
>>> ctx = CardContext(AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {}, "models": {}}))
>>> model_details(ctx)["task"] == ctx.kind.result_task, intended_use(ctx)["primary"]  # a record without a task: binary
(True, None)
"""

from __future__ import annotations

from typing import Any

from audit.result import Card, Environment, ModelSummary
from reports._plain import number as _num
from reports._plain import text as _text
from reports._sections.context import CardContext

__all__ = ["intended_use", "model_details"]


def model_details(ctx: CardContext) -> dict[str, Any]:
    """Who made the model, what it is, and where every input came from."""
    result = ctx.result
    run = result.run
    card, env = run.card or Card(), run.environment or Environment()
    models = []
    for name in ctx.model_names:
        m = result.models[name]
        models.append({
            "name": name,
            "private": bool(m.private) if m.has("private") else name == "private",
            "architecture": _text(m.architecture),
            "n_parameters": m.n_parameters,
            "epochs": m.epochs,
            "batch_size": m.batch_size,
            "learning_rate": m.learning_rate,
            "optimizer": _text(m.optimizer),
            "train_wall_s": m.train_wall_s,
            "decision": _decision_text(m),
            "training_note": _training_note(m),
            "trained_elsewhere": all(x is None for x in (m.epochs, m.batch_size, m.learning_rate, _text(m.optimizer))),
        })  # fmt: skip
    return {
        "status": "ok",
        "name": _text(card.model_name) or _text(run.name) or "Unnamed model",
        "description": _text(card.description),
        "run_name": _text(run.name),
        "created_at": _text(run.created_at),
        "task": _text(result.task) or ctx.kind.result_task,
        "authors": [str(a) for a in card.authors],
        "license": _text(card.license),
        "missing": _missing(ctx, models),
        "seed": run.seed,
        "models": models,
        "provenance": {
            "schema_version": _text(result.schema_version),  # build_card_data shows the version the record states
            "config_sha256": _text(run.config_sha256),
            "config_file_sha256": _text(run.config_file_sha256),
            "data_sha256": {str(k): str(v) for k, v in run.data_sha256.items()},
            "weights_sha256": {str(k): str(v) for k, v in run.weights_sha256.items()},
            "git_commit": _text(env.git_commit),
            "python": _text(env.python),
            "platform": _text(env.platform),
            "libraries": {str(k): (None if v is None else str(v)) for k, v in env.libraries.items()},
            "checkpoint": _checkpoint(result),
        },
    }


def _checkpoint(result: Any) -> dict[str, Any] | None:
    """A transformer's checkpoint folder as the record keeps it: what it is, what trained, its files' hashes."""
    found = (getattr(result.data, "text", None) or {}).get("checkpoint")
    if not isinstance(found, dict):
        return None
    rank, targets = found.get("lora_rank"), found.get("lora_targets")
    trained = ("every weight but the embeddings" if rank == 0 else
               f"LoRA adapters of rank {rank} on {', '.join(map(str, targets)) if targets else 'peft’s choice of modules'} "
               "and the head")
    return {"path": _text(found.get("path")), "model_type": _text(found.get("model_type")),
            "n_parameters": found.get("n_parameters"), "trained": trained if rank is not None else None,
            "files_sha256": {str(k): str(v) for k, v in (found.get("files_sha256") or {}).items()}}


def _missing(ctx: CardContext, models: list[dict[str, Any]]) -> dict[str, str]:
    """Why a setting the card shows is absent, in words (never a bare "n/a"): a run audited from Python with
    ``audit_model`` has no config file and no [card] table, and its models were trained outside rai-audit."""
    run = ctx.result.run
    from_config = run.config is not None or _text(run.config_sha256) is not None
    where = "the config's [card] table" if from_config else "audited with audit_model(), which takes no [card] table"
    elsewhere = [m["name"] for m in models if m["trained_elsewhere"]]
    return {
        "authors": f"not stated ({where}{' gives no authors' if from_config else ''})",
        "license": f"not stated ({where}{' gives no license' if from_config else ''})",
        "config": "none (audited with audit_model() from Python, without a config file)" if not from_config
                  else "not recorded",
        "training": (", ".join(elsewhere) + (" was" if len(elsewhere) == 1 else " were") + " trained outside rai-audit: "
                     "epochs, batch size, learning rate and optimizer are not recorded") if elsewhere else "",
    }


def _decision_text(m: ModelSummary) -> str | None:
    """How a model with a decision threshold turns scores into decisions: the threshold, the rule, the validation rows."""
    chosen = m.decision_threshold
    if chosen is None or chosen.value is None:
        return None
    text = f"decides positive at score ≥ {chosen.value:.3f}"
    if chosen.rule == "fixed":
        return text + " (a fixed threshold, training.threshold)"
    v, half = chosen.validation or {}, chosen.at_0_5 or {}
    shown = [f"{k.replace('_', ' ')} {_num(v.get(k)):.3f}" for k in ("balanced_accuracy", "selection_rate")
             if _num(v.get(k)) is not None]
    text += f": {_text(chosen.rule_text) or chosen.rule} (training.threshold = \"{chosen.rule}\")"
    if v.get("rows"):
        text += f"; on {int(v['rows']):,} validation rows " + ", ".join(shown)
    if _num(half.get("selection_rate")) is not None:
        text += f" (at 0.5 it would select {half['selection_rate']:.1%})"
    return text


def _training_note(m: ModelSummary) -> str | None:
    """Class weights and early stopping, when the model had them."""
    parts = []
    if m.class_weights:
        parts.append("class weights " + " / ".join(f"{w:.2f}" for w in m.class_weights) + " (training.class_weight)")
    if m.best_epoch is not None and m.epochs_run is not None:
        parts.append(f"early stopping kept epoch {m.best_epoch} of {m.epochs_run} run"
                     + (" (stopped early)" if m.stopped_early else ""))
    return "; ".join(parts) or None


def intended_use(ctx: CardContext) -> dict[str, Any]:
    """Who may use the model, for what, and what it is not for ([card] in the config)."""
    card = ctx.result.run.card or Card()
    out = card.out_of_scope_uses or card.extra.get("out_of_scope_uses")
    out_list = [str(x) for x in out] if isinstance(out, list) else ([str(out)] if _text(out) else [])
    return {
        "status": "ok",
        "primary": _text(card.intended_use),
        "out_of_scope": out_list,
        "note": None if _text(card.intended_use) else ("The config gives no intended use ([card] intended_use); say who may "
                                                         "use this model, for what."),
    }
