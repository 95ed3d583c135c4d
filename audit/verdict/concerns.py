"""What a reviewer must see first: the findings that undermine or qualify the verdict.

:func:`find_concerns` reads only the typed :class:`~audit.result.AuditResult` (no torch, no
data) and lists, most severe first:

* **critical**: a degenerate model (output without signal: constant, scores ranking no better
  than chance); a threshold problem (scores that rank, decisions that carry no information);
  an error gate that failed or is inconclusive; an empirical ε lower bound above the claimed ε;
* **warning**: a gate that passes on the point estimate while its interval crosses the bound;
  an inconclusive gate the config allows; four-fifths-rule failures; calibration error that
  rises under DP (private vs reference, by group); proxies of a sensitive feature among the
  important features; identifier-like columns that are model inputs; train/test duplicate
  rows; a canary bound close to ε; warning gates that did not pass;
* **info**: feature columns the screening excluded; groups with too little data.

The run stores the list in ``audit.json`` (``concerns``) so CI, the cards and the dashboard
read the same one; :func:`concerns_of` recomputes it for a record written before.

Examples
--------
>>> from audit.result import AuditResult
>>> r = AuditResult.from_dict({"schema_version": "1.1", "run": {}, "data": {"train_test_duplicates":
...     {"test_rows": 180, "n_test": 1000, "share": 0.18}}, "models": {"private": {"test_accuracy": 0.85}}})
>>> [c.title for c in find_concerns(r)]
['18.0% of the test rows (180 of 1,000) duplicate a training row']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from audit.result import AuditResult, Concern, Disparity, FairnessBlock, GateResult, Metric, TrainTestDuplicates
from audit.verdict._concerns_explain import explanation_concerns
from audit.verdict.gates import degenerate_reason, gate_line, gate_title, with_derived

__all__ = [
    "CALIBRATION_ABSOLUTE", "CALIBRATION_RATIO", "CANARY_CLOSE", "DUPLICATE_SHARE", "audited_model", "concerns_of",
    "find_concerns",
]  # fmt: skip

#: ECE under DP at least this many times the reference's (and at least 0.01 higher) is a concern.
CALIBRATION_RATIO = 2.0
#: ECE under DP at least this much higher than the reference's is a concern whatever the ratio.
CALIBRATION_ABSOLUTE = 0.02
#: Share of test rows duplicating a training row at or above which it is a concern.
DUPLICATE_SHARE = 0.01
#: Canary ε lower bound at or above this share of the accountant's ε is a concern.
CANARY_CLOSE = 0.8

_ORDER = {"critical": 0, "warning": 1, "info": 2}
_WHERE_GATES = "Governance (card §15), dashboard Overview, audit.json gates"
_WHERE_BIAS = "Bias and Quantitative analyses (card §11, §7), dashboard Fairness"


def audited_model(result: AuditResult) -> str | None:
    """The model the audit is about: the private one when there is one, else the reference (or the only one).

    Examples
    --------
    >>> audited_model(AuditResult.from_dict({"schema_version": "1.1", "run": {}, "data": {},
    ...                                      "models": {"reference": {"test_accuracy": 0.8}}}))
    'reference'
    """
    names = list(result.models)
    for name in ("private", "reference"):
        if name in names:
            return name
    return names[0] if names else None


def _degenerate(r: AuditResult) -> list[Concern]:
    out = []
    for name, model in r.models.items():
        why = degenerate_reason(r, name)
        checks = model.degenerate
        if why is not None:
            findings = ("Also: " + "; ".join(checks.reasons[1:]) + ". " if checks is not None and len(checks.reasons) > 1
                        else "")
            first = re.sub(r" \((threshold [^)]*|and \d+ more [^)]*)\)", "", why)
            first = re.sub(r"^the model's ", "its ", re.sub(r"^the model ", "it ", first))
            out.append(Concern(
                kind="degenerate_model", severity="critical", model=name,
                title=f"The {name} model is degenerate: {first}",
                detail=f"{findings}A model whose output carries no information about the target treats groups alike "
                       "trivially or by chance; its fairness and accuracy gates are inconclusive where they would pass "
                       f"(a failing figure still fails). {_TRAINING_KEYS[name if name in _TRAINING_KEYS else 'reference']}",
                where=f"audit.json models.{name}.degenerate; Quantitative analyses (card §7)",
            ))  # fmt: skip
        elif checks is not None and checks.threshold_problem:
            out.append(_threshold_concern(name, checks.threshold_problem))
        for warning in checks.warnings if checks is not None and why is None else []:
            out.append(Concern(kind="constant_within_group", severity="warning", model=name,
                               title=f"The {name} model: {warning}", where=_WHERE_BIAS))
    return out


#: Which keys train each model: the advice names the section that trains the model it is about.
_TRAINING_KEYS = {
    "reference": "Fix its training in [training]: epochs (\"auto\" sizes them to the rows), learning_rate, "
                 "class_weight = \"balanced\" for a rare class; check the inputs.",
    "private": "The private model trains with [privacy] epochs, batch_size and learning_rate (not [training]'s): raise "
               "privacy.epochs or privacy.target_epsilon, or set training.class_weight = \"balanced\" for a rare "
               "class; check the inputs.",
}


def _threshold_concern(name: str, why: str) -> Concern:
    """Scores that rank, decisions that carry no information: the threshold, not the model, is the problem."""
    return Concern(
        kind="threshold_problem", severity="critical", model=name, title=f"The {name} model has a threshold problem: {why}",
        detail="The model is not degenerate: its scores tell the classes apart. Its decisions do not, so parity of its "
               "decisions says nothing (it holds trivially where they are all one class) and its fairness gates on "
               "decisions are inconclusive where they would pass; accuracy and ROC AUC gates are decided as usual. "
               "Fix: choose the threshold by a rule on the validation rows, training.threshold = \"base_rate\" (the "
               "default) or \"balanced_accuracy\", with split.validation_size > 0; or weight the classes, "
               "training.class_weight = \"balanced\". To explore: the threshold slider on the dashboard's Fairness page.",
        where=f"audit.json models.{name}.degenerate.threshold_problem; Quantitative analyses (card §7)",
    )  # fmt: skip


_FEW_ROWS = "enough data"  # the reason of a disparity left undecided by small groups (audit.fairness)


def _group_size_advice(r: AuditResult, *, positives: bool = False) -> str:
    """The keys that give small groups enough test rows, with their values in this run's config."""
    cfg = r.run.config if isinstance(r.run.config, dict) else {}
    sections: list[dict[str, Any]] = [cfg[k] if isinstance(cfg.get(k), dict) else {} for k in ("fairness", "split", "data")]
    fair, split, data = sections
    floors = "min_group_size" + (" or min_group_positives" if positives else "")
    if not cfg:  # audit_model: no config, no split
        return (f"Fix: audit on more test rows of the small groups, or pass a FairnessSection with a lower {floors} "
                "(a smaller group's figures are noisier).")
    now = f" (now {fair['min_group_size']})" if fair.get("min_group_size") is not None else ""
    lower = (f"lower fairness.min_group_size{now}" + (" or fairness.min_group_positives" if positives else "")
             + ", knowing that a smaller group's figures are noisier")
    if data.get("test_path") or data.get("bundled"):
        more = "bring a test file with more rows of these groups (data.test_path)"
    elif split.get("stratify") == "groups":
        more = (f"raise split.test_size (now {split.get('test_size', 0.3)}) so that every group has more test rows "
                "(split.stratify = \"groups\" already gives each group its share)")
    else:
        more = (f"raise split.test_size (now {split.get('test_size', 0.3)}) so that every group has more test rows, and "
                "set split.stratify = \"groups\" so that each group gets exactly its share of them (a split stratified "
                "by target alone can leave a small group short)")
    return f"Fix: {more}; or {lower}."


def _inconclusive_tail(reason: str, blocking: bool, one: bool, r: AuditResult | None) -> str:
    """What fixes an inconclusive gate: more rows for small groups first, and allow_inconclusive only then."""
    it = "It" if one else "They"
    if not blocking:
        return f"{it} {'does' if one else 'do'} not fail the verdict (allow_inconclusive, or a warning gate)."
    if r is not None and _FEW_ROWS in reason:
        advice = _group_size_advice(r, positives="positives" in reason or "negatives" in reason)
        return (f"{advice} {it} {'fails' if one else 'fail'} the verdict; only where more data cannot be had, set "
                "allow_inconclusive = true on the gate to accept an undecided result.")
    return (f"{it} {'fails' if one else 'fail'} the verdict (set allow_inconclusive = true on the gate to accept an "
            "undecided result).")


def _inconclusive(gates: list[GateResult], r: AuditResult | None = None) -> list[Concern]:
    """One concern per reason (a degenerate model makes several gates inconclusive for one reason)."""
    by_reason: dict[tuple[str, bool], list[GateResult]] = {}
    for g in gates:
        by_reason.setdefault((g.reason or "the evidence cannot decide", g.fails_verdict), []).append(g)
    out = []
    for (reason, blocking), group in by_reason.items():
        titles = [gate_title(g.metric, g.feature, g.model) for g in group]
        one = len(group) == 1
        out.append(Concern(
            kind="gate_inconclusive", severity="critical" if blocking else "warning", gate=group[0].name if one else None,
            model=group[0].model, feature=group[0].feature if one else None,
            title=f"Inconclusive gate: {titles[0]}" if one else f"{len(group)} gates are inconclusive: " + "; ".join(titles),
            detail=f"{reason[0].upper()}{reason[1:]}. {_inconclusive_tail(reason, blocking, one, r)}",
            where=_WHERE_GATES + (f" ('{group[0].name}')" if one else ""),
        ))  # fmt: skip
    return out


def _gates(r: AuditResult) -> list[Concern]:
    gates = [with_derived(g) for g in r.gates]
    out = _inconclusive([g for g in gates if g.effective_outcome == "inconclusive"], r)
    for g in gates:
        outcome = g.effective_outcome
        where = f"{_WHERE_GATES} ('{g.name}')"
        if outcome == "fail":
            out.append(Concern(kind="gate_failed", severity="critical" if g.severity == "error" else "warning",
                               gate=g.name, model=g.model, feature=g.feature,
                               title=f"{'Failed' if g.severity == 'error' else 'Warning'} gate: "
                                     f"{gate_title(g.metric, g.feature, g.model)}",
                               detail=gate_line(g, head=False), where=where))
        elif g.ci_crosses_bound:
            out.append(Concern(
                kind="ci_crosses_bound", severity="warning", gate=g.name, model=g.model, feature=g.feature,
                title=f"Passes on the estimate only: {gate_title(g.metric, g.feature, g.model)}",
                detail=f"{gate_line(g, head=False)}. The interval reaches past the bound, so the data do not show the bound holds; "
                       "set use_ci_bound = true on the gate to require it.",
                where=where,
            ))  # fmt: skip
    return out


def _blocks(r: AuditResult, model: str | None) -> dict[str, FairnessBlock]:
    fair = r.group_audits.get(model or "")
    return fair.by_feature if fair is not None else {}


def _four_fifths(r: AuditResult) -> list[Concern]:
    model = audited_model(r)
    failed = [(f, b.four_fifths_rule.selection_rate_ratio) for f, b in _blocks(r, model).items()
              if b.four_fifths_rule is not None and b.four_fifths_rule.passed is False]
    if not failed:
        return []
    listed = ", ".join(f"{f} ({ratio:.2f})" if ratio is not None else f for f, ratio in failed)
    return [Concern(
        kind="four_fifths", severity="warning", model=model,
        title=f"The four-fifths rule fails for {len(failed)} of {len(_blocks(r, model))} groupings ({model} model)",
        detail=f"Smallest over largest group selection rate, below 0.8: {listed}. Disparate impact under the "
               "US EEOC four-fifths guideline.",
        where=_WHERE_BIAS,
    )]  # fmt: skip


def _ece(entry: Metric | int | None) -> float | None:
    return entry.value if isinstance(entry, Metric) else None


def _calibration(r: AuditResult) -> list[Concern]:
    if "private" not in r.models or "reference" not in r.models:
        return []
    priv, ref = _blocks(r, "private"), _blocks(r, "reference")
    worse = []
    for feature, block in priv.items():
        other = ref.get(feature)
        if other is None or len(block.features) > 1:
            continue
        for group in block.groups:
            ref_group = next((g for g in other.groups if g.group == group.group), None)
            p, q = _ece(group.metrics.get("ece")), _ece(ref_group.metrics.get("ece")) if ref_group else None
            if p is None or q is None or group.insufficient_data:
                continue
            rise = p - q
            if rise >= CALIBRATION_ABSOLUTE or (rise >= 0.01 and p >= CALIBRATION_RATIO * q):
                worse.append((rise, feature, group.group, q, p))
    if not worse:
        return []
    worse.sort(reverse=True)
    listed = "; ".join(f"{f} = {g}: {q:.3f} → {p:.3f}" + (f" (×{p / q:.1f})" if q > 0 else "")
                       for _, f, g, q, p in worse[:4])
    return [Concern(
        kind="calibration_under_dp", severity="warning", model="private",
        title=f"Calibration error rises under DP for {len(worse)} group(s)",
        detail=f"Expected calibration error, reference → private: {listed}. Scores of the private model are "
               "less trustworthy as probabilities for these groups; recalibrate before using them as risks.",
        where="Quantitative analyses (card §7, ECE column), dashboard Fairness (calibration)",
    )]  # fmt: skip


def _proxies(r: AuditResult) -> list[Concern]:
    model = audited_model(r)
    x = (r.explainability or {}).get(model or "")
    out = []
    for feature, reliance in (x.group_reliance.items() if x is not None else []):
        found = [p for p in reliance.proxies if p.is_proxy or (p.is_proxy is None and (p.proxy_auc or 0) >= 0.8)]
        if found:
            listed = ", ".join(f"{p.feature} (AUC {p.proxy_auc:.2f})" if p.proxy_auc is not None else str(p.feature)
                               for p in found[:5])
            out.append(Concern(
                kind="proxy", severity="warning", model=model, feature=feature,
                title=f"{len(found)} feature(s) stand in for {feature}: {listed}",
                detail="Each predicts the sensitive feature on its own; leaving the sensitive feature out of the "
                       "inputs does not keep the model from using it.",
                where="Explainability (card §12), dashboard Explainability",
            ))  # fmt: skip
    return out


_WHERE_DUPS = "audit.json data.train_test_duplicates; Training data (card §6)"
_MIA_UNIQUE = ("The membership-inference audit attacks only rows whose feature vector is unique in the table, so these "
               "rows do not weaken it.")


def _of(k: int | None, n: int | None) -> str:
    return f" ({k:,} of {n:,})" if k is not None and n else ""


def _duplicates(r: AuditResult) -> list[Concern]:
    """Exact duplicate records told apart from feature vectors that different records share (audit.data.screening)."""
    dups = r.data.train_test_duplicates
    if dups is None or dups.share is None:
        return []
    if dups.exact_records is None:  # a record written before the distinction: shared vectors only
        return [Concern(kind="train_test_duplicates", severity="warning",
                        title=f"{dups.share:.1%} of the test rows{_of(dups.test_rows, dups.n_test)} duplicate a training "
                              "row",
                        detail="Identical model inputs in both splits; whether they are the same records or different "
                               "people with the same features was not recorded (re-run the audit to tell them apart).",
                        where=_WHERE_DUPS)] if dups.share >= DUPLICATE_SHARE else []
    if dups.coarse:
        return _coarse_vectors(dups) if dups.share >= DUPLICATE_SHARE else []
    out = []
    exact, shared = dups.exact_records, (dups.test_rows or 0) - dups.exact_records
    if dups.exact_share is not None and dups.exact_share >= DUPLICATE_SHARE:
        out.append(Concern(
            kind="duplicate_records", severity="warning",
            title=f"{dups.exact_share:.1%} of the test rows{_of(exact, dups.n_test)} equal a training record in every "
                  "column",
            detail="Every column is equal: the features, the target and any column the model does not read. They are "
                   "one record entered twice (then test accuracy is optimistic for them) or different people who agree "
                   "in every column; the data cannot tell which. If they are copies, data.drop_duplicate_records = true "
                   f"drops rows repeating an earlier row before the split (counted in the record). {_MIA_UNIQUE}",
            where=_WHERE_DUPS,
        ))  # fmt: skip
    if dups.n_test and shared / dups.n_test >= DUPLICATE_SHARE:
        differ = ", ".join(list(dups.differing_columns)[:4]) or "columns the model does not read"
        out.append(Concern(
            kind="train_test_duplicates", severity="warning",
            title=f"{shared / dups.n_test:.1%} of the test rows{_of(shared, dups.n_test)} share a training row's "
                  "features but are different records",
            detail=f"They differ from it in {differ}: different records with the same model inputs, not copies, so do "
                   "not delete them. With features this varied (a row shares its feature vector with "
                   f"{dups.rows_per_vector or 1:.2f} rows on average) new inputs are mostly unseen, while test accuracy "
                   "is partly measured on inputs the model was trained on: it may be optimistic for inputs it has never "
                   f"seen. {_MIA_UNIQUE}",
            where=_WHERE_DUPS,
        ))  # fmt: skip
    return out


def _coarse_vectors(dups: TrainTestDuplicates) -> list[Concern]:
    """Coarse features: test rows share training vectors because different people do; one note, nothing to delete."""
    same = (f" {dups.exact_records:,} of them ({dups.exact_share:.1%} of the test rows) also agree in every column, the "
            "target included, which coarse features make common between different people: drop them "
            "(data.drop_duplicate_records = true) only if you know they are copies." if dups.exact_records else "")
    return [Concern(
        kind="train_test_duplicates", severity="info",
        title=f"{dups.share:.1%} of the test rows{_of(dups.test_rows, dups.n_test)} share a training row's feature "
              "vector: the features are coarse",
        detail=f"A row shares its feature vector with {dups.rows_per_vector:.1f} rows on average (training and test rows "
               "together): different people share vectors as a matter of course and new people will too, so test "
               f"accuracy is not flattered by it; do not delete these rows.{same} {_MIA_UNIQUE}",
        where=_WHERE_DUPS,
    )]  # fmt: skip


def _sensitive_bins(r: AuditResult) -> list[Concern]:
    """Numeric sensitive columns cut into groups: a note with the rule and the keys that change it."""
    return [Concern(kind="sensitive_binned", severity="info", feature=column,
                    title=f"Sensitive feature {column} was binned into {len(b.labels)} groups: {', '.join(b.labels)}",
                    detail=f"{b.text or column}. The model reads the raw values; only the fairness groups are binned. "
                           f"Other groups: data.sensitive_bins = {{{column} = [edges]}}, or data.sensitive_quantiles "
                           "(0: one group per value).",
                    where="audit.json data.sensitive_bins; Training data (card §6)")
            for column, b in r.data.sensitive_bins.items()]


def _data(r: AuditResult) -> list[Concern]:
    out = _duplicates(r) + _sensitive_bins(r)
    screening = r.data.screening
    if screening is not None and screening.excluded_columns:
        listed = ", ".join(f"{e.column} ({(e.kind or 'flagged').replace('_', ' ')})" for e in screening.excluded_columns)
        out.append(Concern(kind="screening_excluded", severity="info",
                           title=f"{len(screening.excluded_columns)} column(s) excluded from the features: {listed}",
                           detail="Identifier-like, raw-date or free-text columns; list one in data.keep_columns if it "
                                  "really is a feature.", where="audit.json data.screening; Training data (card §6)"))
    for leak in screening.leakage if screening is not None else []:
        out.append(Concern(kind="leakage", severity="critical", title=f"Column {leak.column} leaks the target",
                           detail=f"Single-feature ROC AUC {leak.auc}.", where="audit.json data.screening"))
    scan = r.identifier_findings or []
    inputs = [f for f in scan if f.status == "feature"]
    if inputs:
        out.append(Concern(
            kind="identifier_as_feature", severity="warning",
            title="Identifier-like column(s) are model inputs: " + ", ".join(f.column for f in inputs),
            detail="; ".join(f"{f.column}: {f.reason}" for f in inputs if f.reason) or None,
            where="Data privacy (card §10, identifier scan)",
        ))  # fmt: skip
    return out


def _small_groups(r: AuditResult) -> list[Concern]:
    """Groups below the size floor and disparities left undecided, in the audited model's group audit (any kind)."""
    model = audited_model(r)
    small, undecided = [], []
    for feature, block in _blocks(r, model).items():
        small += [f"{feature} = {g.group} (n={g.rows})" for g in block.groups if g.too_small]
        undecided += [f"{name} ({feature})" for name, e in block.disparities.items()
                      if isinstance(e, Disparity) and e.value is None and e.null_reason]
    out = []
    if small:
        fair = r.group_audits.get(model or "")
        floor = f" (fewer than {fair.min_group_size} test rows)" if fair is not None and fair.min_group_size else ""
        out.append(Concern(kind="small_groups", severity="info", model=model,
                           title=f"{len(small)} group(s) have too little data{floor}: " + ", ".join(small[:6])
                                 + (" …" if len(small) > 6 else ""),
                           detail="Their figures are kept and flagged, and the disparities compare only the groups "
                                  f"with enough data for each metric. {_group_size_advice(r)}", where=_WHERE_BIAS))
    if undecided:
        out.append(Concern(kind="disparity_inconclusive", severity="info", model=model,
                           title=f"{len(undecided)} disparity figure(s) rest on fewer than two groups with enough data",
                           detail=", ".join(undecided[:8]) + (" …" if len(undecided) > 8 else "") + ". "
                                  + _group_size_advice(r, positives=True), where=_WHERE_BIAS))
    return out


def _canary(r: AuditResult) -> list[Concern]:
    canary = r.privacy.canary_audit if r.privacy is not None else None
    if canary is None or canary.epsilon_lower_bound is None or not canary.epsilon_accountant:
        return []
    lower, eps = canary.epsilon_lower_bound, canary.epsilon_accountant
    if lower > eps:
        return [Concern(kind="canary_above_epsilon", severity="critical",
                        title=f"The measured ε lower bound {lower:.3f} exceeds the claimed ε = {eps:.3f}",
                        detail="The training leaks more than its privacy accounting allows: the DP guarantee does not "
                               "hold as stated. Check the noise, clipping and sampling actually used.",
                        where="Data privacy (card §10), dashboard Privacy")]
    if lower >= CANARY_CLOSE * eps:
        return [Concern(kind="canary_near_epsilon", severity="warning",
                        title=f"The measured ε lower bound {lower:.3f} is close to the claimed ε = {eps:.3f}",
                        detail=f"At least {CANARY_CLOSE:.0%} of the claim: little room between what the audit measured "
                               "and what the accounting promises.", where="Data privacy (card §10), dashboard Privacy")]
    return []


def _text(r: AuditResult) -> list[Concern]:
    from audit.verdict._concerns_tasks import text_concerns

    return text_concerns(r, audited_model(r))


_FINDERS: tuple[Callable[[AuditResult], list[Concern]], ...] = (
    _degenerate, _gates, _canary, _data, _four_fifths, _calibration, _proxies, explanation_concerns, _small_groups, _text,
)


def find_concerns(result: AuditResult) -> list[Concern]:
    """Everything a reviewer must see first, most severe first.

    Parameters
    ----------
    result : AuditResult
        The typed audit record (gates already evaluated).

    Returns
    -------
    list of Concern
        Each with ``kind``, ``severity`` (critical, warning, info), ``title``, ``detail`` and
        ``where`` to look; empty when nothing stands out.
    """
    found = [c for finder in _FINDERS for c in finder(result)]
    return sorted(found, key=lambda c: _ORDER.get(c.severity, 3))


def concerns_of(result: AuditResult) -> list[Concern]:
    """The concerns stored in the record, or (a record written before concerns) computed now."""
    return list(result.concerns) if result.concerns is not None else find_concerns(result)
