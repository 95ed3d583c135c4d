"""Evidence sources of the record itself: verdict and gates, concerns, data, design, provenance, files, reviews."""

from __future__ import annotations

from typing import Any

from audit.evidence._sources import Found, RunView, _get, collect, figure, pointer, run_file, source

__all__: list[str] = []


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@source("verdict", title="Verdict and release gates",
        shows="The pass/fail/inconclusive outcome of every gate configured before the run, each with the measured "
              "value, its interval and the bound, and the verdict they give.",
        does_not_show="That the gates and their bounds are the right ones for the intended purpose; a pass is a "
                      "measurement against the configured bounds, not a conformity or legal finding.")
def _verdict(view: RunView) -> Found:
    found = Found()
    collect(found, [figure(view, "verdict", ("verdict",))], where="/verdict")
    for i, gate in enumerate(_items(view.result.get("gates"))):
        if not isinstance(gate, dict):
            continue
        bound = (f"≤ {gate['max']}" if gate.get("max") is not None else f"≥ {gate.get('min')}")
        outcome = gate.get("outcome") or ("pass" if gate.get("passed") else "fail")
        note = f"{outcome} ({gate.get('severity', 'error')} gate, bound {bound})"
        collect(found, [figure(view, f"gate {gate.get('name')}", ("gates", i, "value"), ci=("gates", i, "ci"), note=note)],
                where="/gates")
    return found


@source("concerns", title="Concerns a reviewer must see first",
        shows="The findings the tool raises for review (failed warning gates, degenerate models, weak explanations, "
              "data problems), by severity.",
        does_not_show="Risks that no measurement of this run can reveal (misuse, deployment context, harms to people).")
def _concerns(view: RunView) -> Found:
    found = Found()
    for i, c in enumerate(_items(view.result.get("concerns"))):
        if isinstance(c, dict):
            kind = str(c.get("kind", "")).replace("_", " ")
            collect(found, [figure(view, f"{c.get('severity', 'concern')} · {kind}", ("concerns", i, "title"),
                                   note=c.get("detail") if isinstance(c.get("detail"), str) else None)], where="/concerns")
    return found


@source("data", title="The audited data: source, splits, quality",
        shows="Where the table came from (with the sha256 of each data file), the split sizes, target base rates, "
              "features used and dropped, missing values, screened columns and train-test overlap.",
        does_not_show="How the data was collected or labelled, its legal basis, or data outside the audited table "
                      "(data governance beyond this table).")
def _data(view: RunView) -> Found:
    found = Found()
    d = ("data",)
    collect(found, [figure(view, label, (*d, key)) for key, label in (
        ("source", "data source"), ("test_source", "test rows"), ("attribution", "attribution"), ("n_train", "training rows"),
        ("n_validation", "validation rows"), ("n_test", "test rows (count)"), ("target", "target"),
        ("base_rate_train", "positive rate, training rows"), ("base_rate_test", "positive rate, test rows"),
        ("n_encoded_features", "encoded features"), ("sensitive_used_as_features", "sensitive features are model inputs"))],
        where="/data")
    collect(found, [figure(view, "features (model inputs)", (*d, "features")),
                    figure(view, "sensitive features", (*d, "sensitive_features")),
                    figure(view, "dropped columns", (*d, "dropped_columns"))], where="/data")
    missing = _get(view.result, *d, "missing_values_train")
    collect(found, [figure(view, f"missing values in training rows · {col}", (*d, "missing_values_train", col))
                    for col in (missing if isinstance(missing, dict) else {})], where="/data/missing_values_train")
    collect(found, [figure(view, "test rows identical to a training row (share)", (*d, "train_test_duplicates", "share")),
                    figure(view, "screened-out columns", (*d, "screening", "excluded_columns"))], where="/data")
    hashes = _get(view.result, "run", "data_sha256")
    collect(found, [figure(view, f"sha256 of {name}", ("run", "data_sha256", name))
                    for name in (hashes if isinstance(hashes, dict) else {})], where="/run/data_sha256")
    found.files.extend(f for f in [run_file(view, str(view.result.get("artifacts", {}).get("predictions") or "predictions.csv"))] if f)
    return found


@source("identifier_scan", title="Identifier scan of the table",
        shows="Columns that look like direct identifiers (names, e-mails, IDs unique per row), found before training; "
              "an empty scan is recorded as such.",
        does_not_show="Indirect identification (combinations of quasi-identifiers), or personal data outside the table.")
def _identifier_scan(view: RunView) -> Found:
    found = Found()
    for where in (("data", "identifier_scan"), ("privacy", "identifier_scan")):
        scan = _get(view.result, *where)
        if not isinstance(scan, list):
            continue
        if not scan:
            found.figures.append({"label": "identifier-like columns found", "value": [], "file": "audit.json",
                                  "pointer": pointer(*where), "note": "the scan ran and found none"})
        collect(found, [figure(view, f"identifier-like column ({(s or {}).get('kind', '')})", (*where, i, "column"),
                               note=(s or {}).get("reason")) for i, s in enumerate(scan)], where=pointer(*where))
        break
    return found


@source("design", title="Model design and training settings",
        shows="The architecture, parameter count, training settings, decision threshold rule and the weights "
              "(each file's sha256) of every model.",
        does_not_show="The rationale for these design choices or the trade-offs considered; what the model was "
                      "optimised for beyond its training loss.")
def _design(view: RunView) -> Found:
    found = Found()
    raw = view.result.get("models")
    models: dict[str, Any] = raw if isinstance(raw, dict) else {}
    for model in models:
        m = ("models", model)
        collect(found, [figure(view, f"{label} ({model} model)", (*m, key)) for key, label in (
            ("architecture", "architecture"), ("n_parameters", "parameters"), ("optimizer", "optimizer"),
            ("learning_rate", "learning rate"), ("batch_size", "batch size"), ("epochs_run", "epochs run"),
            ("private", "trained with differential privacy"))] +
            [figure(view, f"decision threshold ({model} model)", (*m, "decision_threshold", "value"),
                    note=_get(view.result, *m, "decision_threshold", "rule_text"))], where=f"/models/{model}")
    weights = _get(view.result, "artifacts", "weights")
    for rel in sorted((weights or {}).values()) if isinstance(weights, dict) else []:
        found.files.extend(f for f in [run_file(view, str(rel))] if f)
    pre = _get(view.result, "artifacts", "preprocessor")
    if isinstance(pre, str):
        found.files.extend(f for f in [run_file(view, pre)] if f)
    return found


@source("model_checks", title="Degenerate-model and threshold checks",
        shows="Whether each model is degenerate (constant predictions or scores, a threshold that decides nothing), "
              "checked on the test rows.",
        does_not_show="Failure modes beyond these checks; behaviour on inputs unlike the test rows.")
def _model_checks(view: RunView) -> Found:
    found = Found()
    for model in view.result.get("models") or {}:
        collect(found, [figure(view, f"degenerate ({model} model)", ("models", model, "degenerate", "degenerate"),
                               note="; ".join(map(str, _items(_get(view.result, "models", model, "degenerate", "reasons")))) or None),
                        figure(view, f"threshold problem ({model} model)", ("models", model, "degenerate", "threshold_problem"))],
                where=f"/models/{model}/degenerate")
    return found


@source("provenance", title="Provenance of the run",
        shows="When and how the run was made: config and config-file sha256, seed, software versions, git commit and "
              "the sha256 of every weight file.",
        does_not_show="Who is accountable for the system, or the versions actually deployed.")
def _provenance(view: RunView) -> Found:
    found = Found()
    collect(found, [figure(view, label, ("run", key)) for key, label in (
        ("name", "run name"), ("created_at", "created at"), ("seed", "seed"), ("config_sha256", "config sha256"),
        ("config_file_sha256", "config file sha256"))] +
        [figure(view, "Python", ("run", "environment", "python")), figure(view, "platform", ("run", "environment", "platform")),
         figure(view, "git commit", ("run", "environment", "git_commit"))], where="/run")
    libs = _get(view.result, "run", "environment", "libraries")
    collect(found, [figure(view, f"library {lib}", ("run", "environment", "libraries", lib)) for lib in (libs or {})],
            where="/run/environment/libraries")
    weights = _get(view.result, "run", "weights_sha256")
    collect(found, [figure(view, f"weights sha256 ({m} model)", ("run", "weights_sha256", m)) for m in (weights or {})],
            where="/run/weights_sha256")
    return found


@source("card_text", title="Statements the provider wrote into the run's model card",
        shows="The intended use, out-of-scope uses, limitations and ethical considerations as written in the audit "
              "config, and the model cards rendered from the run.",
        does_not_show="That these statements are true, complete or approved: the run records them, it does not check them.")
def _card_text(view: RunView) -> Found:
    found = Found()
    c = ("run", "card")
    collect(found, [figure(view, label, (*c, key)) for key, label in (
        ("model_name", "model name"), ("intended_use", "intended use (as written)"), ("limitations", "limitations (as written)"),
        ("ethical_considerations", "ethical considerations (as written)"), ("license", "licence"))] +
        [figure(view, "out-of-scope uses (as written)", (*c, "out_of_scope_uses"))], where="/run/card")
    cards = _get(view.result, "artifacts", "cards")
    for rel in (cards or {}).values() if isinstance(cards, dict) else []:
        found.files.extend(f for f in [run_file(view, str(rel))] if f)
    return found


@source("integrity", title="The sealed record: every file of the run with its sha256",
        shows="The run's files as sealed by its manifest, verified unchanged when this document was built; a later "
              "change is caught by 'rai-audit verify'.",
        does_not_show="Logs of the system in operation (the run records one audit, not the use of the system).")
def _integrity(view: RunView) -> Found:
    found = Found()
    found.files.extend(f for f in (run_file(view, rel) for rel in sorted(view.manifest_files)) if f)
    return found


@source("reviews", title="Human reviews recorded on the run",
        shows="Who reviewed the run, their decision and when, in a hash-chained (optionally signed) record bound to "
              "the run's manifest.",
        does_not_show="Oversight of the system in use: a review of the audit is not the human oversight Art. 14 "
                      "asks of the deployed system.")
def _reviews(view: RunView) -> Found:
    found = Found()
    for i, entry in enumerate(view.reviews):
        if not isinstance(entry, dict) or not isinstance(entry.get("decision"), str):
            continue
        signed = "signed" if entry.get("signature") else "unsigned"
        found.figures.append({"label": f"review {i + 1} by {entry.get('reviewer')}", "value": entry["decision"],
                              "file": "reviews.jsonl", "pointer": pointer(i, "decision"),
                              "note": f"{entry.get('created_at')}, {signed}"})
    return found
