"""``explain_images``: saliency and occlusion maps rendered to PNG, with faithfulness checks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from audit.exceptions import ExplainError
from audit.explain._base import IMAGE_METHODS, _eval_mode, _unwrap, make_explainer
from audit.explain._faithfulness import (
    DEFAULT_RANDOMIZATION_THRESHOLD,
    deletion_curve,
    infidelity_score,
    randomization_test,
    sensitivity_score,
)

__all__ = ["explain_images", "MAPS_DIR"]

#: Folder (relative to ``out_dir``) that receives the PNG maps.
MAPS_DIR = "explanations"
_CHECK_IMAGES = 64
_SENSITIVITY_IMAGES = 16

_INVALID = "explain_images cannot run: {problems}"
_BAD_IMAGES = "images must be a 4-D tensor (n, channels, height, width) with at least one image; found shape {shape}"
_BAD_LABELS = "labels has {found} entries for {n} images; pass one class index per image"
_BAD_METHOD = "method {found!r} is not one of {valid}; pick from these"
_BAD_COUNT = "n_images must be an integer >= 1; found {found!r}"
_NOT_CLASSIFIER = ("the model's output has shape {shape} for {n} images; expected (n, n_classes) logits; "
                   "end the model with nn.Linear(hidden, n_classes)")


_BAD_THRESHOLD = "randomization_threshold must be a number in (0, 1]; found {found!r}. Fix: use e.g. {example}."


def _validate(images: torch.Tensor, labels: np.ndarray, methods: Sequence[str], n_images: Any,
              randomization_threshold: Any = DEFAULT_RANDOMIZATION_THRESHOLD) -> list[str]:
    problems = []
    if (not isinstance(randomization_threshold, (int, float)) or isinstance(randomization_threshold, bool)
            or not 0 < randomization_threshold <= 1):
        problems.append(_BAD_THRESHOLD.format(found=randomization_threshold, example=DEFAULT_RANDOMIZATION_THRESHOLD))
    if images.ndim != 4 or len(images) == 0:
        problems.append(_BAD_IMAGES.format(shape=tuple(images.shape)))
    elif len(labels) != len(images):
        problems.append(_BAD_LABELS.format(found=len(labels), n=len(images)))
    for m in methods:
        if m not in IMAGE_METHODS:
            problems.append(_BAD_METHOD.format(found=m, valid=", ".join(IMAGE_METHODS)))
    if not isinstance(n_images, (int, np.integer)) or isinstance(n_images, bool) or n_images < 1:
        problems.append(_BAD_COUNT.format(found=n_images))
    return problems


def _pick(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """One image per class first (so every class is shown), then random others."""
    order = np.random.default_rng(seed).permutation(len(labels))
    first = [int(order[np.argmax(labels[order] == c)]) for c in np.unique(labels)]
    chosen = first[:n]
    rest = [int(i) for i in order if int(i) not in set(chosen)]
    return np.array(chosen + rest[: n - len(chosen)], dtype=np.int64)


def _render(path: Path, image: np.ndarray, attr: np.ndarray, *, signed: bool, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # never open a window; safe in CI and servers
    import matplotlib.pyplot as plt

    img = image.transpose(1, 2, 0) if image.shape[0] in (3, 4) else image[0]
    heat = attr.sum(axis=0)
    fig, axes = plt.subplots(1, 2, figsize=(4.2, 2.3), dpi=100)
    axes[0].imshow(img, cmap=None if img.ndim == 3 else "gray_r", interpolation="nearest")
    axes[0].set_title("input", fontsize=8)
    if signed:
        lim = float(np.abs(heat).max()) or 1.0
        shown = axes[1].imshow(heat, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
    else:
        shown = axes[1].imshow(heat, cmap="hot", interpolation="nearest")
    axes[1].set_title("attribution", fontsize=8)
    fig.colorbar(shown, ax=axes[1], fraction=0.046, pad=0.04)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    plt.close(fig)


def explain_images(
    model: nn.Module,
    *,
    images: torch.Tensor,
    labels: Sequence[int] | np.ndarray | torch.Tensor,
    out_dir: Path,
    methods: Sequence[str] = ("saliency", "occlusion"),
    n_images: int = 8,
    randomization_threshold: float = DEFAULT_RANDOMIZATION_THRESHOLD,
    seed: int = 0,
) -> dict[str, Any]:
    """Explain an image classifier: maps as PNG, faithfulness per method, per-class accuracy.

    Each map explains the model's *predicted* class for that image.

    Parameters
    ----------
    model : nn.Module
        Classifier returning ``(n, n_classes)`` logits.
    images : Tensor of shape (n, channels, height, width)
        Evaluation images; all of them count for accuracy, ``n_images`` are drawn.
    labels : sequence of int
        True class of each image.
    out_dir : Path
        Directory receiving ``explanations/<method>_<i>.png``; paths in the
        result are relative to it.
    methods : sequence of str
        Any of ``saliency``, ``occlusion``, ``integrated_gradients``.
    n_images : int
        Images to render (one per class first).
    randomization_threshold : float
        Mean rank correlation with re-initialised models at or above which a
        method is flagged (Adebayo et al. 2018).
    seed : int
        Seeds the choice of images and the checks.

    Returns
    -------
    dict
        ``{"methods", "image_maps": [{"path", "method", "label", "prediction",
        "caption"}], "faithfulness": {method: {...}}, "per_class_accuracy":
        {class: {"accuracy", "n"}}, "accuracy", "n_images"}``.

    Examples
    --------
    >>> import tempfile
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    >>> out = explain_images(net, images=torch.rand(6, 1, 4, 4), labels=[0, 1, 2] * 2,
    ...                      out_dir=Path(tempfile.mkdtemp()), n_images=2)
    >>> len(out["image_maps"])
    4
    """
    images, y = _checked_inputs(images, labels, methods, n_images, randomization_threshold)
    model = _unwrap(model)
    out_dir = Path(out_dir)
    proba = _predict_proba(model, images)
    pred = proba.argmax(axis=1)
    chosen = _pick(y, min(int(n_images), len(images)), seed)
    check_rows, few = _check_rows(len(images), seed)
    baseline = torch.zeros((1, *images.shape[1:]))  # blank image: the natural "absence" for digits
    maps: list[dict[str, Any]] = []
    faithfulness: dict[str, Any] = {}
    for method in methods:
        maps += _render_maps(method, model, images, y, proba, chosen, baseline=baseline, out_dir=out_dir, seed=seed)
        faithfulness[method] = _faithfulness(method, model, images, pred, check_rows, few, baseline=baseline,
                                             randomization_threshold=randomization_threshold, seed=seed)
    return {
        "methods": list(methods),
        "target": "predicted class (softmax logit of the class the model chose)",
        "baseline": {"kind": "zeros", "description": "a blank image (all pixels 0), used by occlusion, IG and the checks"},
        "image_maps": maps,
        "faithfulness": faithfulness,
        "per_class_accuracy": _per_class_accuracy(y, pred),
        "accuracy": float((pred == y).mean()),
        "n_images": int(len(images)),
    }


def _checked_inputs(images: Any, labels: Any, methods: Sequence[str], n_images: Any,
                    randomization_threshold: Any) -> tuple[torch.Tensor, np.ndarray]:
    """Images as a float tensor and labels as int64, or every problem raised at once."""
    images = torch.as_tensor(images, dtype=torch.float32).detach()
    y = np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels).astype(np.int64).reshape(-1)
    problems = _validate(images, y, methods, n_images, randomization_threshold)
    if problems:
        raise ExplainError(_INVALID.format(problems="; ".join(problems)), problems=problems)
    return images, y


def _predict_proba(model: nn.Module, images: torch.Tensor) -> np.ndarray:
    """Softmax class probabilities (in chunks of 1024 images); refuses a model that is not a classifier."""
    with torch.no_grad(), _eval_mode(model):
        logits = torch.cat([model(images[s : s + 1024]) for s in range(0, len(images), 1024)])
    if logits.ndim != 2 or logits.shape[0] != len(images):
        raise ExplainError(_INVALID.format(problems=_NOT_CLASSIFIER.format(shape=tuple(logits.shape), n=len(images))))
    return torch.softmax(logits, dim=1).numpy()


def _per_class_accuracy(y: np.ndarray, pred: np.ndarray) -> dict[str, dict[str, Any]]:
    return {
        str(c): {"accuracy": float((pred[y == c] == c).mean()), "n": int((y == c).sum())}
        for c in np.unique(y)
    }


def _check_rows(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images for the faithfulness checks (at most 64), and the first 16 of them for the costlier sensitivity."""
    rng = np.random.default_rng(seed)
    check_rows = np.sort(rng.choice(n, size=min(_CHECK_IMAGES, n), replace=False))
    return check_rows, check_rows[: _SENSITIVITY_IMAGES]


def _render_maps(method: str, model: nn.Module, images: torch.Tensor, y: np.ndarray, proba: np.ndarray,
                 chosen: np.ndarray, *, baseline: torch.Tensor, out_dir: Path, seed: int) -> list[dict[str, Any]]:
    """One PNG per chosen image explaining its predicted class with ``method``; the result's ``image_maps`` entries."""
    pred = proba.argmax(axis=1)
    explainer = make_explainer(method, model, target=pred[chosen])
    attr = explainer.attribute(images[chosen], baselines=baseline, seed=seed)
    signed = method != "saliency"
    maps = []
    for i, row in enumerate(chosen):
        rel = f"{MAPS_DIR}/{method}_{i:02d}.png"
        caption = (f"{method.replace('_', ' ')}: true {int(y[row])}, predicted {int(pred[row])} "
                   f"(p={proba[row, pred[row]]:.2f}); "
                   + ("red pushes toward the predicted class, blue against" if signed else "brighter = larger |gradient|"))
        _render(out_dir / rel, images[row].numpy(), attr[i], signed=signed, title=caption.split(";")[0])
        maps.append({"path": rel, "method": method, "label": int(y[row]), "prediction": int(pred[row]),
                     "caption": caption, "row": int(row)})
    return maps


def _faithfulness(method: str, model: nn.Module, images: torch.Tensor, pred: np.ndarray, check_rows: np.ndarray,
                  few: np.ndarray, *, baseline: torch.Tensor, randomization_threshold: float, seed: int) -> dict[str, Any]:
    """Infidelity, sensitivity, deletion and randomisation checks of ``method`` on the check images."""
    checker = make_explainer(method, model, target=pred[check_rows])
    check_attr = checker.attribute(images[check_rows], baselines=baseline, seed=seed)
    few_explainer = make_explainer(method, model, target=pred[few])
    return {
        "n_images": int(len(check_rows)),
        "infidelity": infidelity_score(checker, images[check_rows], check_attr, baseline=baseline, seed=seed),
        "sensitivity_max": sensitivity_score(few_explainer, images[few], baselines=baseline, seed=seed),
        "deletion_curve": deletion_curve(checker, images[check_rows], check_attr, baseline=baseline, seed=seed),
        "randomization_test": randomization_test(checker, images[check_rows], baselines=baseline, reference=check_attr,
                                                 threshold=randomization_threshold, seed=seed),
    }
