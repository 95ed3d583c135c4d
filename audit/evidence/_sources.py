"""Evidence sources: each names one kind of evidence a run holds and finds it in the run.

A source is a function over a :class:`RunView` registered with :func:`source`: it returns the figures
(each with the JSON pointer of its value, and of its interval where one is recorded) and the files (each
with the sha256 the run's manifest records) that make up one piece of evidence, and the piece says once
what it shows and what it does not. A figure's ``file`` is ``audit.json`` unless it is a review, read
from ``reviews.jsonl``. A source that finds nothing in a run yields no piece, and the rows citing it say
so. The figures of the measures live here; those of the record itself in :mod:`audit.evidence._sources_record`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SOURCES", "Found", "RunView", "Source", "pointer", "resolve_pointer", "source"]

#: Most figures one piece lists; the rest stay in audit.json, under the pointer the piece's note names.
MAX_FIGURES = 40


@dataclass(frozen=True)
class RunView:
    """What a source reads: the run's ``audit.json`` (as a dict), its manifest's file table and its reviews."""

    result: dict[str, Any]
    manifest_files: dict[str, Any]
    reviews: list[dict[str, Any]] = field(default_factory=list)

    @property
    def audited_model(self) -> str | None:
        """The model the verdict is about: the private one where the run trained one, else the first."""
        models = self.result.get("models")
        names = list(models) if isinstance(models, dict) else []
        return "private" if "private" in names else (names[0] if names else None)


@dataclass
class Found:
    """The figures and files a source found, and a note on what it left out."""

    figures: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    omitted: dict[str, int] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        """Where the figures left out of the piece are, in audit.json."""
        return [f"{n} more figure{'s' if n > 1 else ''} in audit.json under {where}" for where, n in self.omitted.items()]


@dataclass(frozen=True)
class Source:
    """A registered source: its title, what its evidence shows and does not, and its finder."""

    name: str
    title: str
    shows: str
    does_not_show: str
    find: Callable[[RunView], Found]
    input_kind: str | None = None

    def applies(self, view: RunView) -> bool:
        """Whether the run's input kind can hold this evidence (a table run has no text audit to miss)."""
        return self.input_kind is None or view.result.get("input", "table") == self.input_kind


#: Every evidence source by name.
SOURCES: dict[str, Source] = {}


def source(name: str, *, title: str, shows: str, does_not_show: str,
           input_kind: str | None = None) -> Callable[[Callable[[RunView], Found]], Callable[[RunView], Found]]:
    """Register the decorated finder as the evidence source ``name`` (for runs of ``input_kind`` only, when given)."""

    def register(find: Callable[[RunView], Found]) -> Callable[[RunView], Found]:
        if name in SOURCES:
            raise ValueError(f"evidence source {name!r} is registered twice")
        SOURCES[name] = Source(name, title, shows, does_not_show, find, input_kind)
        return find

    return register


# ---------------------------------------------------------------- pointers
def pointer(*parts: str | int) -> str:
    """The RFC 6901 JSON pointer of a path (``~`` and ``/`` in keys escaped).

    Examples
    --------
    >>> pointer("fairness", "reference", "by_feature", "sex & race", 0)
    '/fairness/reference/by_feature/sex & race/0'
    >>> pointer("a/b")
    '/a~1b'
    """
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def resolve_pointer(doc: Any, ptr: str) -> Any:
    """The value at a JSON pointer; :class:`KeyError` when the path does not exist.

    Examples
    --------
    >>> resolve_pointer({"a": [{"b/c": 1}]}, "/a/0/b~1c")
    1
    """
    if ptr == "":
        return doc
    if not ptr.startswith("/"):
        raise KeyError(ptr)
    node = doc
    for raw in ptr[1:].split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            raise KeyError(ptr)
    return node


def _get(doc: Any, *parts: str | int) -> Any:
    try:
        return resolve_pointer(doc, pointer(*parts))
    except KeyError:
        return None


def _scalar(value: Any) -> bool:
    """A value a figure can show: a finite number, a string, a boolean, or a short list of strings."""
    if isinstance(value, bool) or value is None:
        return value is not None
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    if isinstance(value, list):
        return 0 < len(value) <= 100 and all(isinstance(v, str) for v in value)
    return isinstance(value, str)


def _interval(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value))


def figure(view: RunView, label: str, parts: tuple[str | int, ...], *, ci: tuple[str | int, ...] | None = None,
           note: str | None = None) -> dict[str, Any] | None:
    """A figure of ``audit.json`` at ``parts`` (with its interval at ``ci``), or None where the run has no such value."""
    value = _get(view.result, *parts)
    if not _scalar(value):
        return None
    out: dict[str, Any] = {"label": label, "value": value, "file": "audit.json", "pointer": pointer(*parts)}
    if ci is not None and _interval(_get(view.result, *ci)):
        out["interval"] = _get(view.result, *ci)
        out["interval_pointer"] = pointer(*ci)
    if note:
        out["note"] = note
    return out


def run_file(view: RunView, rel: str) -> dict[str, Any] | None:
    """A file of the sealed run with the sha256 its manifest records, or None when the manifest has no such file."""
    entry = view.manifest_files.get(rel)
    if not isinstance(entry, dict):
        return None
    return {"path": rel, "sha256": entry.get("sha256"), "bytes": entry.get("bytes"), "sealed": True}


def collect(found: Found, figures: Iterable[dict[str, Any] | None], *, where: str) -> Found:
    """Add the figures that exist (at most :data:`MAX_FIGURES`), noting where the rest are."""
    kept = [f for f in figures if f is not None]
    room = MAX_FIGURES - len(found.figures)
    if len(kept) > room:
        found.omitted[where] = found.omitted.get(where, 0) + len(kept) - max(room, 0)
    found.figures.extend(kept[:max(room, 0)])
    return found


def _models(view: RunView) -> list[str]:
    models = view.result.get("models")
    return list(models) if isinstance(models, dict) else []


# ---------------------------------------------------------------- performance and fairness
@source("performance", title="Test performance of each model, with intervals",
        shows="How well each model predicts on the held-out test rows of the audited table, with the exact or "
              "bootstrap interval the run recorded.",
        does_not_show="Performance on data from the deployment setting, after the data drift, or on populations the "
                      "test rows do not represent; whether the level is appropriate for the intended purpose.")
def _performance(view: RunView) -> Found:
    found = Found()
    for model in _models(view):
        entry = view.result["models"][model]
        if not isinstance(entry, dict):
            continue
        for key in sorted(k for k in entry if k.startswith("test_")):
            metric = key[len("test_"):]
            collect(found, [figure(view, f"{metric.replace('_', ' ')} ({model} model)", ("models", model, key),
                                   ci=("fairness", model, "overall", "metrics", metric, "ci"))], where=f"/models/{model}")
    return found


def _audit_of(view: RunView, model: str | None) -> dict[str, Any] | None:
    audit = _get(view.result, "fairness", model) if model else None
    return audit if isinstance(audit, dict) and isinstance(audit.get("by_feature"), dict) else None


@source("group_performance", title="Performance by group (audited model), with intervals",
        shows="The audited model's accuracy (or error) in each group of each sensitive feature, with the group's interval.",
        does_not_show="Groups the data does not record, or too small to measure (flagged as insufficient); "
                      "the causes of a gap between groups.")
def _group_performance(view: RunView) -> Found:
    found, model = Found(), view.audited_model
    audit = _audit_of(view, model)
    if audit is None:
        return found
    for feat, report in audit["by_feature"].items():
        for i, group in enumerate((report or {}).get("groups") or []):
            if not isinstance(group, dict):
                continue
            # binary reports nest a group's figures under "metrics"; multiclass and regression hold them on the group
            nested = isinstance(group.get("metrics"), dict)
            metrics = group["metrics"] if nested else group
            key = next((k for k in ("accuracy", "mae", "macro_f1") if isinstance(metrics.get(k), dict)), None)
            if key is None:
                continue
            small = group.get("insufficient_data") or group.get("sufficient") is False
            note = "insufficient data" if small else f"n = {group.get('count', group.get('n'))}"
            at = ("fairness", str(model), "by_feature", feat, "groups", i, *(("metrics",) if nested else ()), key)
            collect(found, [figure(view, f"{key.replace('_', ' ')} · {feat} = {group.get('group')}", (*at, "value"),
                                   ci=(*at, "ci"), note=note)],
                    where=pointer("fairness", str(model), "by_feature"))
    return found


def _holm(p: Any) -> str | None:
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        return None
    return "Holm-adjusted p < 0.001" if p < 0.001 else f"Holm-adjusted p = {p:.3g}"


@source("disparities", title="Disparities between groups (audited model), with intervals",
        shows="Differences and ratios of the audited model's rates between the groups of each sensitive feature, "
              "with their intervals and tests, as the gates read them.",
        does_not_show="Whether a disparity is justified or lawful; bias against groups the data does not record; "
                      "the fairness definition that fits the use (the metrics conflict in general).")
def _disparities(view: RunView) -> Found:
    found, model = Found(), view.audited_model
    audit = _audit_of(view, model)
    if audit is None:
        return found
    for feat, report in audit["by_feature"].items():
        for name, d in ((report or {}).get("disparities") or {}).items():
            if not isinstance(d, dict):
                continue
            note = (f"inconclusive: {d['inconclusive_reason']}" if d.get("inconclusive_reason")
                    else _holm(d.get("p_adjusted")))
            at = ("fairness", str(model), "by_feature", feat, "disparities", name)
            collect(found, [figure(view, f"{name.replace('_', ' ')} · {feat}", (*at, "value"), ci=(*at, "ci"), note=note)],
                    where=pointer("fairness", str(model), "by_feature"))
    return found


@source("mitigation", title="Bias mitigation tried on the audited data",
        shows="What post-processing and in-processing mitigations change in accuracy and disparity on the test rows "
              "(audited model).",
        does_not_show="That a mitigation was adopted, or is lawful in the use (group-specific thresholds may not be).")
def _mitigation(view: RunView) -> Found:
    found, model = Found(), view.audited_model
    if model is not None:
        rows = _get(view.result, "fairness", model, "mitigation", "rows")
        for i, row in enumerate(rows if isinstance(rows, list) else []):
            for metric in (row.get("metrics") or {}) if isinstance(row, dict) else {}:
                collect(found, [figure(view, f"{metric.replace('_', ' ')} · {row.get('method')} ({model} model)",
                                       ("fairness", model, "mitigation", "rows", i, "metrics", metric, "value"),
                                       ci=("fairness", model, "mitigation", "rows", i, "metrics", metric, "ci"))],
                        where=pointer("fairness", model, "mitigation"))
    return found


@source("representation", title="Representation of groups in the training and test rows",
        shows="Each group's share and base rate in the training and test rows, and the representation warnings.",
        does_not_show="Representativeness of the population the system will be used on; groups the table does not record.")
def _representation(view: RunView) -> Found:
    found = Found()
    features = _get(view.result, "fairness", "representation", "features")
    for feat, entry in (features or {}).items() if isinstance(features, dict) else []:
        for group in ((entry or {}).get("groups") or {}):
            collect(found, [figure(view, f"{split} share · {feat} = {group}",
                                   ("fairness", "representation", "features", feat, "groups", group, split, "share"))
                            for split in ("train", "test")] +
                    [figure(view, f"train base rate · {feat} = {group}",
                            ("fairness", "representation", "features", feat, "groups", group, "train", "base_rate"))],
                    where="/fairness/representation")
    warnings = _get(view.result, "fairness", "representation", "warnings")
    collect(found, [figure(view, "representation warning", ("fairness", "representation", "warnings", i))
                    for i in range(len(warnings) if isinstance(warnings, list) else 0)], where="/fairness/representation/warnings")
    return found


@source("slices", title="Error analysis: slices where errors concentrate",
        shows="Feature conjunctions whose error rate is significantly above the model's (Holm-controlled), with "
              "simultaneous intervals: foreseeable conditions where the model errs more.",
        does_not_show="Conditions outside the test rows' features; the harm an error causes; errors in deployment.")
def _slices(view: RunView) -> Found:
    found = Found()
    models = _get(view.result, "slices", "models")
    for model in models if isinstance(models, dict) else {}:
        base = ("slices", "models", model)
        collect(found, [figure(view, f"overall error rate ({model} model)", (*base, "overall_error_rate")),
                        figure(view, f"slices examined ({model} model)", (*base, "n_examined")),
                        figure(view, f"slices with significantly more errors ({model} model)", (*base, "n_significant")),
                        figure(view, f"highest significant slice error rate ({model} model)", (*base, "max_significant_error_rate"),
                               ci=(*base, "max_significant_error_rate_ci"), note=_get(view.result, *base, "by_error_rate", 0, "label"))],
                where="/slices")
    if found.figures and isinstance(features := _get(view.result, "slices", "test_features"), str):
        found.files.extend(f for f in [run_file(view, features)] if f)
    return found


@source("robustness", title="Robustness under perturbations of the test rows",
        shows="How often each model's decisions change (flip rate) and how much accuracy it loses when its test rows "
              "are perturbed (numeric noise at stated scales, missing values, remapped categories; typos and filler "
              "words for texts), overall and in each group, with exact intervals simultaneous over every cell.",
        does_not_show="Perturbations, shifts or attacks the audit did not apply (adversarial examples, drift over "
                      "time, data poisoning); changes to sensitive attributes; robustness of the deployed system.")
def _robustness(view: RunView) -> Found:
    found = Found()
    models = _get(view.result, "robustness", "models")
    models = models if isinstance(models, dict) else {}
    for model in sorted(models, key=lambda m: m != view.audited_model):
        base = ("robustness", "models", model)
        worst = _get(view.result, *base, "worst")
        for key in worst if isinstance(worst, dict) else {}:
            entry = worst[key] if isinstance(worst[key], dict) else {}
            where = ", ".join(str(x) for x in (entry.get("perturbation"), entry.get("group") and
                                              f"{entry.get('feature')} = {entry.get('group')}") if x)
            collect(found, [figure(view, f"largest {key.replace('_', ' ')} ({model} model)", (*base, "worst", key, "value"),
                                   ci=(*base, "worst", key, "ci"), note=where or None)], where="/robustness")
        results = _get(view.result, *base, "results")
        for i, result in enumerate(results if isinstance(results, list) else []):
            label = result.get("label") if isinstance(result, dict) else None
            collect(found, [figure(view, f"flip rate, {label} ({model} model)", (*base, "results", i, "overall", "flip_rate"),
                                   ci=(*base, "results", i, "overall", "flip_rate_ci"))], where="/robustness")
    return found


@source("text_audits", title="Text audits: identity terms (counterfactual flips, subgroup AUCs)",
        shows="How a text model's decisions change when identity terms are swapped, and its AUC on texts mentioning "
              "each identity subgroup, with intervals.",
        does_not_show="Identity terms outside the audited lists, other languages or dialects, and harms beyond the scores.",
        input_kind="text")
def _text_audits(view: RunView) -> Found:
    found = Found()
    models = _get(view.result, "text", "models")
    models = models if isinstance(models, dict) else {}
    for model in sorted(models, key=lambda m: m != view.audited_model):  # the audited model first: the cap cuts the others
        entry = models[model]
        for part in ("counterfactual", "identity_auc"):  # token attributions are explanations, not group figures
            node = entry.get(part) if isinstance(entry, dict) else None
            for path in _value_ci_paths(node, ("text", "models", model, part)):
                label = " · ".join(str(p) for p in path[3:] if p != "categories").replace("_", " ")
                collect(found, [figure(view, f"{label} ({model} model)", (*path, "value"), ci=(*path, "ci"))], where="/text/models")
    return found


def _value_ci_paths(node: Any, path: tuple[str | int, ...], depth: int = 0) -> Iterable[tuple[str | int, ...]]:
    """Paths of the ``{"value", "ci"}`` pairs under a section (depth-bounded)."""
    if depth > 8:
        return
    if isinstance(node, dict):
        if "value" in node and "ci" in node:
            yield path
            return
        for key, child in node.items():
            yield from _value_ci_paths(child, (*path, key), depth + 1)
    elif isinstance(node, list):
        for i, child in enumerate(node[:50]):
            yield from _value_ci_paths(child, (*path, i), depth + 1)
