"""Token attributions of a text classifier: layer integrated gradients on the embedding layer.

Captum's ``LayerIntegratedGradients`` integrates the gradient of the target
output along the straight path from the padding baseline's embeddings (all ids
``0``) to the text's embeddings; summing over the embedding dimension gives one
attribution per token position. By completeness the attributions of a row sum
to ``f(x) - f(baseline)`` up to the integration error (the convergence delta,
reported relative to that difference).

A deletion check tests whether the attributions are faithful to the model:
replacing each row's top-k attributed tokens by padding should lower the target
output more than replacing k random tokens of the same row (paired one-sided
Wilcoxon signed-rank test).

Every step runs over bounded chunks of rows (:data:`CHUNK_FLOATS` activation
floats a pass), so peak memory does not grow with the number of texts; each
row's numbers do not depend on the chunk it is in (the random deletions are
drawn row by row in the same order).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
import torch
from scipy.stats import wilcoxon
from torch import nn

from audit.data._vocab import PAD_ID, Vocabulary
from audit.exceptions import ExplainError
from audit.models import positive_logit
from audit.text._model import embedding_layer
from audit.text._stats import finite

__all__ = ["token_attributions"]

_BAD_IDS = (
    "ids must be a 2-D array of integer token ids in 0..{last} (n_texts, max_len); found {what}. "
    "Fix: pass vocab.encode(texts, max_len=...)."
)
_BAD_TARGET = "target {target!r} is not a class index of this {width}-output model. Fix: pass 0..{last} or None."
_BAD_PARAM = "{name} must be an integer >= {low}; found {value!r}."
_NOT_A_LAYER = "layer must be an nn.Embedding inside the model; found {what}. Fix: pass e.g. layer=model.embedding."
_PADDING_USED = (
    "The model's output changes when the padding embedding (row {pad}) is set to zero, so padding is not masked "
    "and the all-padding baseline is not a neutral input. Fix: mask padding positions in forward (as TextClassifier does)."
)
#: Activation floats one pass may hold (float32: 64 MiB). An integrated-gradients pass over r rows holds
#: n_steps × r × max_len × embedding_dim of them (the path's embeddings, and their gradient as much again).
CHUNK_FLOATS = 2**24


def _libc() -> Any:
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:  # not glibc (macOS, Windows, musl): nothing to trim
        return None


_LIBC = _libc()
#: Resident growth (bytes) since the last trim that makes the next pass trim the heap.
TRIM_GROWTH = 64 * 2**20
_TRIMMED = [0]  # resident bytes after the last trim
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
METHOD = {
    "attribution": "Captum LayerIntegratedGradients on the token-embedding layer, baseline all padding ids; "
                   "attributions summed over the embedding dimension.",
    "target": "Binary models: the positive-class logit. Multi-class: the given class, else each row's predicted class.",
    "delta": "Completeness error |sum of attributions - (f(x) - f(baseline))|, also relative to |f(x) - f(baseline)|.",
    "deletion": "Top-k attributed tokens of each row replaced by padding versus k random tokens of the same row "
                "(averaged over n_random draws); drop = f(x) - f(x with deletions) on the target logit; "
                "one-sided paired Wilcoxon signed-rank test, pass when the top-k drop is larger at p < alpha. "
                "A transformer's special tokens are never deleted.",
    "words": "A transformer's sub-word attributions are summed to words (as its tokenizer joins them); special "
             "tokens are shown in the examples and left out of the global rankings.",
}


def _check_ids(ids: Any, vocab_size: int) -> torch.Tensor:
    arr = ids.detach().cpu().numpy() if torch.is_tensor(ids) else np.asarray(ids)
    ok = arr.ndim == 2 and arr.size > 0 and np.issubdtype(arr.dtype, np.number)
    ok = ok and bool(np.all(np.mod(arr, 1) == 0)) and arr.min() >= 0 and arr.max() < vocab_size
    if not ok:
        raise ExplainError(_BAD_IDS.format(last=vocab_size - 1, what=f"shape {arr.shape}, dtype {arr.dtype}"))
    return torch.as_tensor(arr.astype(np.int64))


def _int_param(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ExplainError(_BAD_PARAM.format(name=name, low=low, value=value))
    return int(value)


def _prepared(model: nn.Module, layer: nn.Module | None, ids: torch.Tensor) -> tuple[nn.Module, nn.Embedding]:
    """An eval-mode copy of the model whose padding embedding is zero (the model must not depend on it)."""
    inner = getattr(model, "_module", model) if type(model).__name__ == "GradSampleModule" else model
    work = copy.deepcopy(inner).eval()
    ids = ids.to(_device(work))
    path = None if layer is None else next((n for n, m in inner.named_modules() if m is layer), None)
    if layer is not None and (path is None or not isinstance(layer, nn.Embedding)):
        raise ExplainError(_NOT_A_LAYER.format(what=f"a {type(layer).__name__}" + ("" if path else " not in the model")))
    # the copy of ``layer``, an nn.Embedding (checked above)
    emb = embedding_layer(work) if path is None else cast(nn.Embedding, work.get_submodule(path))
    rows = _rows_per_pass(ids, emb, 1)
    before = _forward(work, ids, rows)
    row = int(getattr(work, "pad_token_id", PAD_ID))  # the embedding row of padding (a transformer's tokenizer says which)
    with torch.no_grad():
        emb.weight[row].zero_()
    if not torch.allclose(before, _forward(work, ids, rows), rtol=1e-5, atol=1e-6):
        raise ExplainError(_PADDING_USED.format(pad=row))
    return work, emb


def _rows_per_pass(ids: torch.Tensor, emb: nn.Embedding, copies: int) -> int:
    """Rows whose ``copies`` × (max_len × embedding_dim) activations fit in :data:`CHUNK_FLOATS` (at least 1)."""
    per_row = copies * max(1, ids.shape[1]) * int(emb.embedding_dim)
    return max(1, CHUNK_FLOATS // per_row)


def _release_freed_memory() -> None:
    """Hand freed heap pages back to the OS once the resident size has grown by :data:`TRIM_GROWTH` (glibc only).

    A pass frees its tensors, but glibc keeps freed mid-sized blocks in the heap once its dynamic mmap
    threshold has risen, and the heap fragments: over 20,000 texts the stage's resident memory grew to
    3 GiB although the live data stayed under 0.8 GiB (benchmarks/bench_text_memory.py). Trimming after
    every pass cost 30% more CPU (the pages fault back in); trimming on growth costs a read of statm a pass.
    """
    if _LIBC is None:
        return
    rss = _resident_bytes()
    if rss is not None and rss > _TRIMMED[0] + TRIM_GROWTH:
        _LIBC.malloc_trim(0)
        _TRIMMED[0] = _resident_bytes() or 0


def _resident_bytes() -> int | None:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def _chunks(n: int, rows: int) -> list[slice]:
    return [slice(start, min(start + rows, n)) for start in range(0, n, rows)]


@torch.no_grad()
def _forward(model: nn.Module, ids: torch.Tensor, rows: int, mask: torch.Tensor | None = None) -> torch.Tensor:
    """The model's outputs for ``ids`` (with ``mask`` as its attention mask when given), ``rows`` at a time."""
    if mask is None:
        return torch.cat([model(ids[part]) for part in _chunks(len(ids), rows)])
    return torch.cat([model(ids[part], attention_mask=mask[part]) for part in _chunks(len(ids), rows)])


def _targets(out: torch.Tensor, target: int | Sequence[int] | None) -> tuple[torch.Tensor | None, bool]:
    """(per-row class index or None for the positive logit, whether the model is binary)."""
    binary = out.ndim == 1 or out.shape[1] == 1 or (out.shape[1] == 2 and target is None)
    if binary:
        return None, True
    width = out.shape[1]
    if target is None:
        return out.argmax(dim=1), False
    t = torch.as_tensor(target, dtype=torch.long).reshape(-1)
    if t.numel() == 1:
        t = t.expand(out.shape[0]).clone()
    if t.numel() != out.shape[0] or t.min() < 0 or t.max() >= width:
        raise ExplainError(_BAD_TARGET.format(target=target, width=width, last=width - 1))
    return t, False


def _device(model: nn.Module) -> torch.device:
    return next((p.device for p in model.parameters()), torch.device("cpu"))


def _score_fn(model: nn.Module, binary: bool, rows: int) -> Callable[..., np.ndarray]:
    """``score(ids, targets) -> float64 array`` of the target logit, on the model's device, without gradients,
    ``rows`` at a time."""
    device = _device(model)

    def score(x: Any, t: torch.Tensor | None = None, mask: torch.Tensor | None = None) -> np.ndarray:
        out = _forward(model, torch.as_tensor(x).to(device), rows, None if mask is None else mask.to(device))
        if binary:
            picked = positive_logit(out)
        else:
            assert t is not None  # a multiclass model's rows come with their class indices (_targets)
            picked = out.gather(1, t.to(device).reshape(-1, 1)).squeeze(1)
        scored: np.ndarray = picked.double().cpu().numpy()
        return scored
    return score


def _integrated(model: nn.Module, emb: nn.Module, ids: torch.Tensor, t: torch.Tensor | None, binary: bool,
                opts: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    from captum.attr import LayerIntegratedGradients

    masked = _takes_attention_mask(model)

    def forward(x: torch.Tensor, *mask: torch.Tensor) -> torch.Tensor:
        out = model(x, attention_mask=mask[0]) if mask else model(x)
        return positive_logit(out) if binary else out

    lig = LayerIntegratedGradients(forward, emb)
    tokens, deltas = [], []
    for part in _chunks(len(ids), opts["batch_size"]):  # rows are independent: one bounded pass per chunk
        # A transformer attends to the input's tokens all along the path, baseline included: without the input's
        # mask the all-padding baseline would be a text with nothing to attend to, off the integration path.
        extra = (ids[part] != PAD_ID,) if masked else None
        attr, delta = lig.attribute(ids[part], baselines=torch.zeros_like(ids[part]), additional_forward_args=extra,
                                    target=None if t is None else t[part], n_steps=opts["n_steps"],
                                    method=opts["method"], internal_batch_size=opts["internal_batch_size"],
                                    return_convergence_delta=True)
        tokens.append(attr.sum(dim=-1).detach().double().cpu().numpy())
        deltas.append(delta.detach().double().cpu().numpy().reshape(-1))
        del attr, delta
        _release_freed_memory()
    per_token = np.concatenate(tokens)
    per_token[ids.cpu().numpy() == PAD_ID] = 0.0
    return per_token, np.concatenate(deltas)


def _takes_attention_mask(model: nn.Module) -> bool:
    """Whether ``model``'s forward takes an ``attention_mask`` (a transformer's; the built-in model masks padding itself)."""
    import inspect

    try:
        return "attention_mask" in inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return False


def _delta_summary(delta: np.ndarray, gap: np.ndarray) -> dict[str, Any]:
    rel = np.abs(delta) / np.maximum(np.abs(gap), 1e-12)
    return {"max_abs": finite(np.abs(delta).max()), "mean_abs": finite(np.abs(delta).mean()),
            "max_relative": finite(rel.max()), "mean_abs_output_change": finite(np.abs(gap).mean())}


def _word_rows(ids: np.ndarray, attr: np.ndarray, vocab: Any) -> list[list[tuple[str, float]]]:
    """Each row's (word, attribution) pairs: a tokenizer's sub-words summed to words (``vocab.words``)."""
    return [vocab.words(ids[row], attr[row]) for row in range(len(ids))]


def _global_words(ids: np.ndarray, attr: np.ndarray, vocab: Any, top_k: int, min_count: int) -> dict[str, Any]:
    """The global rankings over words (sub-word attributions summed), special tokens left out."""
    count: dict[str, int] = {}
    total: dict[str, float] = {}
    total_abs: dict[str, float] = {}
    for words in _word_rows(ids, attr, vocab):
        for word, a in words:
            if word in vocab.special_tokens:
                continue
            count[word] = count.get(word, 0) + 1
            total[word] = total.get(word, 0.0) + a
            total_abs[word] = total_abs.get(word, 0.0) + abs(a)
    rows = [{"token": w, "count": c, "mean_attribution": total[w] / c, "mean_abs_attribution": total_abs[w] / c}
            for w, c in count.items() if c >= min_count]
    return _rankings(rows, top_k)


def _rankings(rows: list[dict[str, Any]], top_k: int) -> dict[str, Any]:
    by_mean = sorted(rows, key=lambda r: (-r["mean_attribution"], r["token"]))
    return {
        "n_tokens_kept": len(rows),
        "top_positive": [r for r in by_mean if r["mean_attribution"] > 0][:top_k],
        "top_negative": [r for r in reversed(by_mean) if r["mean_attribution"] < 0][:top_k],
        "top_abs": sorted(rows, key=lambda r: (-r["mean_abs_attribution"], r["token"]))[:top_k],
    }


def _global_tokens(ids: np.ndarray, attr: np.ndarray, vocab: Vocabulary, top_k: int, min_count: int) -> dict[str, Any]:
    if hasattr(vocab, "words"):
        return _global_words(ids, attr, vocab, top_k, min_count)
    flat_ids, flat_attr = ids[ids != PAD_ID], attr[ids != PAD_ID]
    size = max(len(vocab), int(flat_ids.max()) + 1 if flat_ids.size else 1)
    count = np.bincount(flat_ids, minlength=size)
    total = np.bincount(flat_ids, weights=flat_attr, minlength=size)
    total_abs = np.bincount(flat_ids, weights=np.abs(flat_attr), minlength=size)
    kept = np.flatnonzero(count >= min_count)
    rows: list[dict[str, Any]] = [
        {"token": vocab.id_to_token(int(i)) if i < len(vocab) else f"<id {i}>", "id": int(i), "count": int(count[i]),
         "mean_attribution": float(total[i] / count[i]), "mean_abs_attribution": float(total_abs[i] / count[i])}
        for i in kept]
    return _rankings(rows, top_k)


def _examples(ids: np.ndarray, attr: np.ndarray, vocab: Vocabulary, scores: np.ndarray, t: torch.Tensor | None,
              n_examples: int) -> list[dict[str, Any]]:
    out = []
    for row in range(min(n_examples, len(ids))):
        keep = ids[row] != PAD_ID
        pairs = vocab.words(ids[row], attr[row]) if hasattr(vocab, "words") else \
            [(vocab.id_to_token(int(i)), a) for i, a in zip(ids[row][keep], attr[row][keep], strict=True)]
        out.append({"row": row, "target": None if t is None else int(t[row]), "score": finite(scores[row]),
                    "tokens": [{"token": token, "attribution": finite(a)} for token, a in pairs]})
    return out


def _deletions(ids: np.ndarray, attr: np.ndarray, k: int, n_random: int,
               rng: np.random.Generator, kept: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows with at least one token, their top-k deletions, and n_random random deletions per row.

    ``kept`` lists ids never deleted (a transformer's special tokens: [CLS] is where it reads the text from).
    """
    deletable = (ids != PAD_ID) if kept is None or not kept.size else (ids != PAD_ID) & ~np.isin(ids, kept)
    rows = np.flatnonzero(deletable.any(axis=1))
    top, rand = ids[rows].copy(), np.repeat(ids[rows][:, None, :], n_random, axis=1)
    for j, row in enumerate(rows):
        pos = np.flatnonzero(deletable[row])
        kk = min(k, pos.size)
        order = pos[np.lexsort((pos, -attr[row][pos]))]
        top[j, order[:kk]] = PAD_ID
        for r in range(n_random):
            rand[j, r, rng.choice(pos, size=kk, replace=False)] = PAD_ID
    return rows, top, rand.reshape(-1, ids.shape[1])


def _deletion_drops(score: Callable[..., np.ndarray], ids: np.ndarray, attr: np.ndarray, t: torch.Tensor | None,
                    opts: dict[str, Any], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The top-k and mean random-deletion drops of the rows with a token, a chunk of rows at a time.

    The random positions are drawn row by row in order, so the chunks draw what one pass would.
    """
    tops, rands = [], []
    rows_per_pass = max(1, opts["forward_rows"] // (opts["n_random"] + 2))
    for part in _chunks(len(ids), rows_per_pass):
        rows, top, rand = _deletions(ids[part], attr[part], opts["deletion_k"], opts["n_random"], rng, opts["kept_ids"])
        if rows.size == 0:
            continue
        tr = None if t is None else t.cpu()[part][torch.as_tensor(rows)]
        base = score(ids[part][rows], tr)
        tops.append(base - score(top, tr))
        t_rand = None if tr is None else tr.repeat_interleave(opts["n_random"])
        rands.append(base - score(rand, t_rand).reshape(len(rows), -1).mean(axis=1))
        _release_freed_memory()
    return (np.concatenate(tops), np.concatenate(rands)) if tops else (np.zeros(0), np.zeros(0))


def _deletion_check(score: Callable[..., np.ndarray], ids: np.ndarray, attr: np.ndarray, t: torch.Tensor | None,
                    opts: dict[str, Any]) -> dict[str, Any]:
    drop_top, drop_rand = _deletion_drops(score, ids, attr, t, opts, np.random.default_rng(opts["seed"]))
    if drop_top.size == 0:
        return {"k": opts["deletion_k"], "n": 0, "passed": False, "reason": "no row has a token to delete"}
    diff = drop_top - drop_rand
    p = 1.0 if np.allclose(diff, 0.0, atol=1e-9) else float(wilcoxon(drop_top, drop_rand, alternative="greater").pvalue)
    passed = bool(diff.mean() > 0 and p < opts["alpha"])
    return {"k": opts["deletion_k"], "n": int(drop_top.size), "n_random": opts["n_random"],
            "mean_drop_top_k": finite(drop_top.mean()), "mean_drop_random": finite(drop_rand.mean()),
            "mean_difference": finite(diff.mean()), "p_value": finite(p), "alpha": opts["alpha"], "passed": passed}


def _options(ids: torch.Tensor, emb: nn.Embedding, *, n_steps: Any, method: str, internal_batch_size: int | None,
             batch_size: Any, deletion_k: Any, n_random: Any, alpha: float, seed: int) -> dict[str, Any]:
    """The checked settings, with the rows a forward pass and an integrated-gradients pass take."""
    steps = _int_param("n_steps", n_steps, 1)
    return {
        "n_steps": steps, "method": method, "internal_batch_size": internal_batch_size,
        "deletion_k": _int_param("deletion_k", deletion_k, 1), "n_random": _int_param("n_random", n_random, 1),
        "alpha": float(alpha), "seed": int(seed), "forward_rows": _rows_per_pass(ids, emb, 1),
        # a pass holds the path's embeddings and their gradient: 2 × n_steps copies of each row's activations
        "batch_size": _rows_per_pass(ids, emb, 2 * steps) if batch_size is None else _int_param("batch_size", batch_size, 1),
    }


def token_attributions(
    model: nn.Module,
    ids: Any,
    *,
    vocab: Vocabulary,
    target: int | Sequence[int] | None = None,
    n_steps: int = 50,
    method: str = "gausslegendre",
    internal_batch_size: int | None = None,
    batch_size: int | None = None,
    top_k: int = 20,
    n_examples: int = 8,
    min_count: int = 5,
    deletion_k: int = 3,
    n_random: int = 5,
    alpha: float = 0.05,
    seed: int = 0,
    layer: nn.Module | None = None,
    return_attributions: bool = False,
) -> dict[str, Any]:
    """Per-token integrated-gradients attributions, global top tokens, completeness and a deletion check.

    Parameters
    ----------
    model : nn.Module
        A text classifier over token ids whose padding positions are masked (e.g.
        :class:`audit.text.TextClassifier`); it is not modified (a copy is explained).
    ids : array-like of int, shape (n, max_len)
        Encoded texts (``vocab.encode``).
    vocab : Vocabulary
        The vocabulary that encoded ``ids``.
    target : int or sequence of int, optional
        Class to explain for a multi-class model (default: each row's predicted class);
        ``None`` explains a binary model's positive logit.
    n_steps, method, internal_batch_size
        Passed to Captum's ``LayerIntegratedGradients.attribute``.
    batch_size : int, optional
        Rows attributed per pass (default: as many as keep a pass's activations within
        :data:`CHUNK_FLOATS`); the results do not depend on it, the peak memory does.
    top_k : int
        Tokens listed in each global ranking.
    n_examples : int
        Rows whose token-by-token attributions are returned.
    min_count : int
        Tokens seen fewer times are left out of the global rankings.
    deletion_k, n_random, alpha, seed
        The deletion check: tokens deleted per row, random draws per row, test level, random seed.
    layer : nn.Module, optional
        The embedding layer (default: ``model.embedding`` or the first ``nn.Embedding``).
    return_attributions : bool
        Also return the ``(n, max_len)`` per-position attributions under ``"attributions"``
        (a NumPy array, zero at padding; not JSON: store it beside the record).

    Returns
    -------
    dict
        JSON-serialisable: ``target``, ``n_texts``, ``n_steps``, ``integration``, ``global``,
        ``examples``, ``convergence_delta``, ``deletion``, ``method``
        (plus ``attributions`` when asked for).

    Examples
    --------
    >>> from audit.text import TextClassifier, Vocabulary
    >>> vocab = Vocabulary().fit(["good film", "bad film"], min_count=1)
    >>> out = token_attributions(TextClassifier(len(vocab), embedding_dim=4), vocab.encode(["good film"], max_len=4),
    ...                          vocab=vocab, n_steps=8)
    >>> out["examples"][0]["tokens"][0]["token"]
    'good'
    """
    emb0 = embedding_layer(model) if layer is None else layer
    if not isinstance(emb0, nn.Embedding):
        raise ExplainError(_NOT_A_LAYER.format(what=f"a {type(emb0).__name__}"))
    ids_t = _check_ids(ids, int(emb0.num_embeddings))
    opts = _options(ids_t, emb0, n_steps=n_steps, method=method, internal_batch_size=internal_batch_size,
                    batch_size=batch_size, deletion_k=deletion_k, n_random=n_random, alpha=alpha, seed=seed)
    work, emb = _prepared(model, layer, ids_t)
    ids_t = ids_t.to(_device(work))
    forward_rows = opts["forward_rows"]
    t, binary = _targets(_forward(work, ids_t, forward_rows), target)
    t = None if t is None else t.to(ids_t.device)
    score = _score_fn(work, binary, forward_rows)
    attr, delta = _integrated(work, emb, ids_t, t, binary, opts)
    fx = score(ids_t, t)
    # the integration starts from the baseline with the input's attention mask (a transformer's): so does the gap
    gap = fx - score(torch.zeros_like(ids_t), t, mask=(ids_t != PAD_ID) if _takes_attention_mask(work) else None)
    arr = ids_t.cpu().numpy()
    out = {
        "target": "positive logit" if binary else ("predicted class" if target is None else "given class"),
        "n_texts": int(len(arr)), "n_steps": opts["n_steps"], "integration": method,
        "global": _global_tokens(arr, attr, vocab, _int_param("top_k", top_k, 1), _int_param("min_count", min_count, 1)),
        "examples": _examples(arr, attr, vocab, fx, t, _int_param("n_examples", n_examples, 0)),
        "convergence_delta": _delta_summary(delta, gap),
        "deletion": _deletion_check(score, arr, attr, t, {**opts, "kept_ids": np.asarray(
            sorted(getattr(vocab, "special_ids", ())), dtype=np.int64)}),
        "method": dict(METHOD),
    }
    if return_attributions:
        out["attributions"] = attr
    return out
