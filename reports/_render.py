"""Render the card data to Markdown (Hugging Face front matter), HTML and JSON.

Templates are Jinja2, shipped in ``reports/templates`` and run in Jinja's
sandbox. Each format has a main template (``model_card.{md,html}.j2``) that
loops over the card's sections, one macro per section in
``_sections.{md,html}.j2``, building blocks in ``_macros.{md,html}.j2`` and the
parts a kind of target or a text input adds in ``_tasks.{md,html}.j2``; the two
formats' files hold macros of the same names. Every template also gets
``view``, the card's :class:`reports._kinds.KindView`. HTML is autoescaped;
Markdown gets the equivalent through ``finalize``: every value printed into the
Markdown card is made inert (:func:`reports._format.md_escape`) unless it is
markup this module built or a macro's output (already inert).

Examples
--------
>>> import tempfile, pathlib
>>> paths = write_cards({"run": {"name": "demo"}, "models": {}}, pathlib.Path(tempfile.mkdtemp()))
>>> sorted(paths)
['html', 'json', 'markdown']
"""

from __future__ import annotations

import base64
import json
import os
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from jinja2 import ChainableUndefined, FileSystemLoader, TemplateError, TemplateNotFound, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from audit._visible import visible
from audit.exceptions import ConfigError, RunDirError
from audit.records.files import limit_bytes, read_bytes
from reports._card_data import METRIC_DEFINITIONS, _read, build_card_data
from reports._format import FILTERS, md_escape
from reports._kinds import BASE_COLUMNS, card_view, pipeline_tag
from reports._svg import bar_chart, line_chart

__all__ = [
    "CARD_FILES",
    "TEMPLATE_DIR",
    "front_matter",
    "render_html",
    "render_markdown",
    "write_cards",
]

TEMPLATE_DIR = Path(__file__).parent / "templates"
HTML_TEMPLATE = "model_card.html.j2"
MD_TEMPLATE = "model_card.md.j2"
CARD_FILES = {"markdown": "model_card.md", "html": "model_card.html", "json": "model_card.json"}
MAX_IMAGE_BYTES = limit_bytes("IMAGE")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

_TEMPLATE_MISSING = "Card template {path} does not exist. Expected a Jinja2 HTML template file; check the path or omit --template."
_TEMPLATE_BROKEN = ("Card template {path} cannot be used: {error}. Fix the template (it may extend the default with "
                    "{{% extends \"model_card.html.j2\" %}}) or omit --template.")
_WRITE_FAILED = "Cannot write the model cards into {directory}: {error}. Choose a writable directory."


# ---------------------------------------------------------------- environments
def _finalize_md(value: Any) -> Any:
    if isinstance(value, Markup):
        return value
    return md_escape(value) if value is not None else ""


def _concat_md(parts: Any) -> Markup:
    """What a Markdown macro returns: its output, every value in it already made inert, so it is printed as it is."""
    return Markup("".join(parts))


def _environment(fmt: str, extra_dir: Path | None = None) -> SandboxedEnvironment:
    search = ([str(extra_dir)] if extra_dir is not None else []) + [str(TEMPLATE_DIR)]
    if fmt == "html":
        env = SandboxedEnvironment(loader=FileSystemLoader(search), autoescape=True, undefined=ChainableUndefined,
                                   trim_blocks=True, lstrip_blocks=True)
    else:
        env = SandboxedEnvironment(loader=FileSystemLoader(search), autoescape=False, finalize=_finalize_md,
                                   undefined=ChainableUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        env.concat = _concat_md  # type: ignore[method-assign]  # macros' output is inert already: not escaped twice
    # ChainableUndefined: a key missing from a partial audit section prints as empty / "n/a" instead of raising.
    env.filters.update(FILTERS)
    env.globals["definitions"] = METRIC_DEFINITIONS
    return env


def _version() -> str:
    try:
        return metadata.version("rai-audit")
    except metadata.PackageNotFoundError:
        return "unknown"


# ---------------------------------------------------------------- Hugging Face metadata
def front_matter(card: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """The YAML metadata block of the Markdown card (Hugging Face model-card format).

    ``model-index`` carries one result per evaluated model, the audited one first, with its test
    accuracy, ROC AUC and the headline disparities (each once), so ``huggingface_hub.ModelCard``
    reads them back as ``card.data.eval_results``.

    Examples
    --------
    >>> meta = front_matter(build_card_data({"models": {"reference": {"test_accuracy": 0.8}}}), {})
    >>> meta["model-index"][0]["results"][0]["metrics"][0]["value"]
    0.8
    """
    details = card.get("model_details") or {}
    raw_data = result.get("data")
    data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    view = card_view(card)
    task = pipeline_tag(view.kind, _read(result)[0].input_kind)
    source = str(data.get("source") or "unknown")
    dataset = {"type": source.split(":", 1)[-1] if source.startswith("bundled:") else Path(source).stem or "custom",
               "name": ("UCI Adult (bundled)" if source == "bundled:adult" else source), "split": "test"}
    results = []
    audited = (card.get("summary") or {}).get("audited_model")
    rows = (card.get("quantitative_analyses") or {}).get("performance", []) or []
    for perf in sorted(rows, key=lambda r: r["model"] != audited):  # the audited model first: a Hub reader shows it
        model = perf["model"]
        metrics = []
        for key in (c.key for c in BASE_COLUMNS):
            if perf.get(key) is not None:
                metrics.append({"type": key, "value": perf[key], "name": f"Test {key.replace('_', ' ')} ({model} model)"})
        for c in view.performance:  # the kind's own figures beyond those two
            if c.key not in {b.key for b in BASE_COLUMNS} and perf.get(c.key) is not None:
                metrics.append({"type": c.key, "value": perf[c.key], "name": f"Test {c.name} ({model} model)"})
        for h in (card.get("bias") or {}).get("headline", []) or []:
            if h["model"] == model and h.get("value") is not None and h["disparity"] in view.model_index_disparities:
                metrics.append({"type": h["disparity"], "value": h["value"],
                                "name": f"{h['disparity'].replace('_', ' ')} by {h['feature']} ({model} model)"})
        dp = (card.get("privacy") or {}).get("dp") or {}
        if model == "private" and dp.get("epsilon_spent") is not None:
            metrics.append({"type": "epsilon", "value": dp["epsilon_spent"], "name": f"DP ε spent (δ={dp.get('delta')})"})
        metrics = [m for i, m in enumerate(metrics) if (m["type"], m["name"]) not in {(x["type"], x["name"]) for x in metrics[:i]}]
        if metrics:
            results.append({"task": {"type": task, "name": f"{details.get('task', 'classification')} ({model} model)"},
                            "dataset": dict(dataset), "metrics": metrics})  # a copy: shared dicts become YAML anchors
    meta: dict[str, Any] = {}
    if details.get("license"):
        meta["license"] = details["license"]
    meta["library_name"] = "pytorch"
    meta["pipeline_tag"] = task
    tags = ["rai-audit", "model-card", "fairness", "explainability"]
    if (card.get("privacy") or {}).get("dp"):
        tags.append("differential-privacy")
    meta["tags"] = tags
    if results:
        meta["model-index"] = [{"name": str(details.get("name") or "model"), "results": results}]
    meta["rai_audit"] = {
        "verdict": card.get("verdict"),
        "run": details.get("run_name"),
        "created_at": details.get("created_at"),
        "schema_version": card.get("schema_version"),
        "config_sha256": (details.get("provenance") or {}).get("config_sha256"),
    }
    return meta


# ---------------------------------------------------------------- charts and images
def _bias_charts(card: dict[str, Any]) -> dict[str, Markup]:
    charts: dict[str, Markup] = {}
    qa = card.get("quantitative_analyses") or {}
    for a in (qa.get("unitary") or []) + (qa.get("intersectional") or []):
        if "selection_rate" not in a.get("columns", []):
            continue
        items = [{"label": g["group"], "value": g["metrics"].get("selection_rate", {}).get("value"),
                  "ci": g["metrics"].get("selection_rate", {}).get("ci"), "flag": g["insufficient_data"],
                  "color": 0 if a["model"] == "reference" else 1} for g in a["groups"]]
        overall = (a.get("overall") or {}).get("selection_rate", {}).get("value")
        charts[f"sel:{a['model']}:{a['feature']}"] = bar_chart(
            items, title=f"Selection rate by {a['feature']} ({a['model']} model)",
            value_label="selection rate (CI error bars; hatched: small group)", reference=overall, reference_label="overall", width=560)
    by_model: dict[str, list] = {}
    for h in (card.get("bias") or {}).get("headline", []) or []:
        if h["disparity"].endswith(("_difference", "_difference_ovr")):  # _ovr: multiclass, worst class
            by_model.setdefault(h["model"], []).append(
                {"label": f"{h['disparity'].replace('_difference', '').replace('_', ' ')} · {h['feature']}",
                 "value": h["value"], "ci": h["ci"], "color": 0 if h["model"] == "reference" else 1,
                 "missing": "inconclusive: too few groups with enough data" if h.get("inconclusive_reason") else None,
                 "missing_reason": h.get("inconclusive_reason"), "bound": h.get("gate_max")})
    for model, items in by_model.items():
        charts[f"disp:{model}"] = bar_chart(items, title=f"Disparities, differences between groups ({model} model)",
                                            value_label="difference (0 = parity), with CI")
    return charts


def _privacy_charts(card: dict[str, Any]) -> dict[str, Markup]:
    p = card.get("privacy") or {}
    charts: dict[str, Markup] = {}
    hist = ((p.get("dp") or {}).get("epsilon_history")) or []
    if hist:
        target = (p.get("dp") or {}).get("epsilon_target")
        series = [{"name": "ε spent", "x": list(range(1, len(hist) + 1)), "y": hist}]
        if isinstance(target, (int, float)):
            series.append({"name": f"target ε = {target:g}", "x": [1, len(hist)], "y": [target, target]})
        top = max([v for v in hist if isinstance(v, (int, float))] + ([target] if isinstance(target, (int, float)) else []) + [0.0])
        charts["epsilon"] = line_chart(series, title="Privacy budget spent per epoch", x_label="epoch", y_label="ε", markers=True,
                                       y_domain=(0.0, top * 1.05 or 1.0))
    rocs = [{"name": f"{m['model']} · {m['attack']} (AUC {m['auc']:.3f})" if m.get("auc") is not None else f"{m['model']} · {m['attack']}",
             "x": m["roc"]["fpr"], "y": m["roc"]["tpr"]} for m in p.get("membership_inference") or [] if m.get("roc")]
    if rocs:
        charts["mia_roc"] = line_chart(rocs, title="Membership-inference attack ROC", x_label="false positive rate",
                                       y_label="true positive rate", diagonal=True, x_domain=(0, 1), y_domain=(0, 1))
    curve = [r for r in p.get("utility_curve") or [] if r.get("accuracy") is not None]
    private = [r for r in curve if r.get("epsilon") is not None]
    if private:
        series = [{"name": "private model accuracy", "x": [r["epsilon"] for r in private], "y": [r["accuracy"] for r in private]}]
        nonpriv = [r for r in curve if r.get("epsilon") is None]
        if nonpriv:
            xs = [r["epsilon"] for r in private]
            series.append({"name": "non-private", "x": [min(xs), max(xs)], "y": [nonpriv[0]["accuracy"]] * 2})
        charts["utility"] = line_chart(series, title="Privacy-utility curve", x_label="ε", y_label="test accuracy", markers=True)
    return charts


def _explain_charts(card: dict[str, Any]) -> dict[str, Markup]:
    charts: dict[str, Markup] = {}
    for i, m in enumerate((card.get("explainability") or {}).get("models") or []):
        gi = m.get("global_importance") or []
        if gi:
            items = [{"label": g["feature"], "value": g["mean_abs"], "ci": g["ci"], "color": i} for g in gi[:15]]
            charts[f"importance:{m['model']}"] = bar_chart(items, title=f"Global importance, mean |attribution| ({m['model']} model)",
                                                           value_label="mean |attribution| with CI", width=520)
        dc = (m.get("faithfulness") or {}).get("deletion_curve")
        if dc and dc.get("k"):
            charts[f"deletion:{m['model']}"] = line_chart(
                [{"name": "top features removed first", "x": dc["k"], "y": dc["top"]},
                 {"name": "random order", "x": dc["k"], "y": dc["random"]}],
                title=f"Deletion curve ({m['model']} model)", x_label="features replaced by the baseline",
                y_label="prediction change", markers=True)
    return charts


def _compute_charts(card: dict[str, Any]) -> dict[str, Markup]:
    stages = (card.get("compute") or {}).get("stages") or []
    if not stages:
        return {}
    items = [{"label": s["stage"], "value": s["wall_s"], "color": 1 if "private" in s["stage"] else 0} for s in stages]
    return {"stages": bar_chart(items, title="Wall time per stage", value_label="seconds")}


def _images(card: dict[str, Any], directory: Path | None) -> dict[str, str | None]:
    """Data URIs for the PNG maps the result references, read only from inside ``directory``."""
    out: dict[str, str | None] = {}
    for m in (card.get("explainability") or {}).get("models") or []:
        for img in m.get("image_maps") or []:
            rel = img["path"]
            out[rel] = None
            if directory is None:
                continue
            root = directory.resolve()
            p = (root / rel).resolve()
            if root not in p.parents:
                continue  # outside the run: the card says "image not available"
            try:  # the one bounded reader: a regular file within the image limit
                data = read_bytes(p, what="Image", fix="", error=RunDirError, limit="IMAGE")
            except RunDirError:
                continue  # missing, not a regular file or huge: "image not available"
            if data.startswith(_PNG_MAGIC):
                out[rel] = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return out


# ---------------------------------------------------------------- renderers
def _load(env: SandboxedEnvironment, name: str, path_for_errors: str) -> Any:
    try:
        return env.get_template(name)
    except TemplateNotFound:
        raise ConfigError(_TEMPLATE_MISSING.format(path=path_for_errors)) from None
    except TemplateSyntaxError as exc:
        raise ConfigError(_TEMPLATE_BROKEN.format(path=path_for_errors, error=f"line {exc.lineno}: {exc.message}")) from None


def render_markdown(result: dict[str, Any], *, reviews: list[dict[str, Any]] | None = None, card: dict[str, Any] | None = None) -> str:
    """The Markdown card: YAML front matter (Hugging Face format) and the card sections.

    Examples
    --------
    >>> render_markdown({"run": {"card": {"model_name": "m"}}, "models": {}}).startswith("---")
    True
    """
    card = card if card is not None else build_card_data(result, reviews=reviews)
    meta = yaml.safe_dump(front_matter(card, result), sort_keys=False, allow_unicode=True, width=1000)
    env = _environment("markdown")
    template = _load(env, MD_TEMPLATE, MD_TEMPLATE)
    # bidi overrides, zero-width and control characters from the data shown as ⟨U+XXXX⟩ (templates hold none)
    return visible(template.render(card=card, view=card_view(card), front_matter=Markup(meta),
                                   generator=f"rai-audit {_version()}"))


def render_html(
    result: dict[str, Any],
    *,
    reviews: list[dict[str, Any]] | None = None,
    template: str | Path | None = None,
    directory: Path | None = None,
    card: dict[str, Any] | None = None,
) -> str:
    """One self-contained HTML card: inline CSS and SVG charts, images as data URIs, no scripts.

    Parameters
    ----------
    template : path, optional
        A Jinja2 template file replacing the default. It may ``{% extends "model_card.html.j2" %}``
        and override blocks (``title``, ``style``, ``header``, ``sections``, ``footer``).
    directory : Path, optional
        Where images the result references (explanation maps) are read from.

    Examples
    --------
    >>> "<svg" in render_html({"models": {}, "compute": {"stages": {"train": {"wall_s": 1.0}}}})
    True
    """
    card = card if card is not None else build_card_data(result, reviews=reviews)
    if template is not None:
        tpath = Path(template)
        if not tpath.is_file():
            raise ConfigError(_TEMPLATE_MISSING.format(path=tpath))
        env = _environment("html", tpath.resolve().parent)
        tmpl = _load(env, tpath.name, str(tpath))
    else:
        env = _environment("html")
        tmpl = _load(env, HTML_TEMPLATE, HTML_TEMPLATE)
    charts = {**_bias_charts(card), **_privacy_charts(card), **_explain_charts(card), **_compute_charts(card)}
    try:
        return visible(tmpl.render(card=card, view=card_view(card), charts=charts, images=_images(card, directory),
                                   generator=f"rai-audit {_version()}"))  # as the Markdown card: ⟨U+XXXX⟩
    except TemplateError as exc:
        if template is None:
            raise  # the shipped template failing is a bug, not bad input
        raise ConfigError(_TEMPLATE_BROKEN.format(path=template, error=f"{type(exc).__name__}: {exc}")) from None


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_cards(
    result: dict[str, Any],
    directory: str | Path,
    *,
    template: str | Path | None = None,
    reviews: list[dict[str, Any]] | None = None,
    assets_dir: str | Path | None = None,
) -> dict[str, Path]:
    """Write ``model_card.md``, ``model_card.html`` and ``model_card.json`` into ``directory``.

    Parameters
    ----------
    result : dict
        The ``AuditResult`` as a dict; missing sections render as "not run".
    directory : path
        Existing folder to write into. PNG images the result references by relative
        path are read from here and embedded.
    template : path, optional
        A custom Jinja2 HTML template (see :func:`render_html`).
    reviews : list of dict, optional
        Review entries to show; by default read from ``directory/reviews.jsonl`` when present.
    assets_dir : path, optional
        Where the referenced PNG images live when the cards are written outside the run
        (``rai-audit card RUN --out DIR``); default ``directory``.

    Returns
    -------
    dict
        ``{"markdown": Path, "html": Path, "json": Path}``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = write_cards({"run": {"card": {"model_name": "demo"}}, "models": {}}, pathlib.Path(tempfile.mkdtemp()))
    >>> out["markdown"].name
    'model_card.md'
    """
    directory = Path(directory)
    if reviews is None and (directory / "reviews.jsonl").is_file():
        from audit.records.review import read_reviews

        try:
            reviews = read_reviews(directory)
        except RunDirError:
            reviews = None  # a broken review file is reported by verify, not by the card writer
    card = build_card_data(result, reviews=reviews)
    markdown = render_markdown(result, card=card)
    html = render_html(result, template=template, directory=Path(assets_dir) if assets_dir is not None else directory, card=card)
    payload = json.dumps(card, indent=1, ensure_ascii=False, allow_nan=False)
    paths = {fmt: directory / name for fmt, name in CARD_FILES.items()}
    try:
        _atomic_write(paths["markdown"], markdown)
        _atomic_write(paths["html"], html)
        _atomic_write(paths["json"], payload + "\n")
    except OSError as exc:
        raise RunDirError(_WRITE_FAILED.format(directory=directory, error=exc.strerror or exc)) from None
    return paths


class _CardRenderer:
    """The model cards as a run-directory renderer (the ``rai_audit.renderers`` entry point ``cards``)."""

    files = dict(CARD_FILES)

    @staticmethod
    def write(result: dict[str, Any], directory: Path) -> dict[str, Path]:
        return write_cards(result, directory)


#: What ``audit.records.renderers`` loads: ``write_run`` renders the cards through it, without importing ``reports``.
CARD_RENDERER = _CardRenderer()
