"""Book-keeping per-example clipping: DP-SGD for Linear and Conv2d layers in one backward pass.

For a Linear layer that sees one input vector ``a_i`` per example, the example's
weight gradient is the outer product ``b_i a_iᵀ`` of its output gradient ``b_i``
and its input, so the gradient's norm is ``‖a_i‖·‖b_i‖`` without forming it
(Goodfellow 2015; the "ghost norm" of Li et al. 2022), and the sum of clipped
gradients is ``Bᵀ diag(c) A``: one matmul, the cost of the ordinary gradient.
Book-keeping (Bu et al. 2023) keeps ``A`` and ``B`` from a single backward pass,
where Opacus's ghost clipping runs a second backward pass to apply the clip
factors. For inputs with extra dimensions (``(batch, tokens, features)``) and for
``nn.Conv2d`` (through ``F.unfold``) the per-example gradients are formed explicitly
instead, which is cheap for the small layers of tabular and small image models.

The clip factor is Opacus's, ``min(1, C / (‖g_i‖ + 1e-6))``, and the clipped sum is
handed to Opacus's ``DPOptimizerFastGradientClipping`` for noise, scaling and
accounting, so the privacy mechanism is Opacus's own (tests check the clipped
sums against Opacus's per-sample gradients).

Only models whose trainable parameters all sit in plain ``nn.Linear`` or ``nn.Conv2d``
(groups 1, zero padding) layers, each called once per forward pass, qualify;
:func:`bookkeeping_problems` says why a model does not, and the caller falls back
to Opacus's grad-sample modes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import torch
from torch import nn

from audit.exceptions import PrivacyError

__all__ = ["BookkeepingClipper", "bookkeeping_problems"]

_CALLED_TWICE = (
    "grad_sample_mode='bookkeeping' found layer {name!r} called {count} times in one forward "
    "pass; its per-example gradients would be clipped wrongly. Fix: use grad_sample_mode='ghost' "
    "or 'hooks' for models that reuse a layer."
)
_NOT_LINEAR = "{name}: {kind} has trainable parameters; book-keeping clipping handles only nn.Linear and nn.Conv2d"
_CONV_OPTIONS = (
    "{name}: Conv2d with {what}; book-keeping clipping handles groups=1, padding_mode='zeros' and "
    "numeric padding"
)
_SUPPORTED = (nn.Linear, nn.Conv2d)
#: A layer whose per-example gradients book-keeping forms.
_Layer = nn.Linear | nn.Conv2d


def _trainable(sub: nn.Module) -> bool:
    return any(p.requires_grad for p in sub.parameters(recurse=False))


def _conv_problem(name: str, conv: nn.Conv2d) -> str | None:
    what = [w for w, bad in (
        (f"groups={conv.groups}", conv.groups != 1),
        (f"padding_mode={conv.padding_mode!r}", conv.padding_mode != "zeros"),
        (f"padding={conv.padding!r}", isinstance(conv.padding, str)),
    ) if bad]
    return _CONV_OPTIONS.format(name=name or "<root>", what=", ".join(what)) if what else None


def bookkeeping_problems(module: nn.Module, sample: torch.Tensor | None = None) -> list[str]:
    """Why ``module`` cannot use book-keeping clipping (empty when it can).

    With ``sample`` (a few input rows), one forward pass without gradients also
    checks that no trainable Linear layer is called more than once.

    Examples
    --------
    >>> bookkeeping_problems(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1)))
    []
    >>> bookkeeping_problems(nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4)))
    ['1: LayerNorm has trainable parameters; book-keeping clipping handles only nn.Linear and nn.Conv2d']
    """
    problems = []
    for name, sub in module.named_modules():
        if not _trainable(sub):
            continue
        if type(sub) not in _SUPPORTED:  # exact types: subclasses may change forward()
            problems.append(_NOT_LINEAR.format(name=name or "<root>", kind=type(sub).__name__))
        elif type(sub) is nn.Conv2d and (problem := _conv_problem(name, sub)):
            problems.append(problem)
    if sample is None or problems:
        return problems
    calls: dict[str, int] = {}
    handles = [
        sub.register_forward_hook(lambda layer, _i, _o, name=name: calls.__setitem__(name, calls.get(name, 0) + 1))
        for name, sub in module.named_modules()
        if type(sub) in _SUPPORTED and _trainable(sub)
    ]
    try:
        with torch.no_grad():
            module(sample)
    except Exception:  # noqa: BLE001 - the real first step reports a failing model, with context
        pass
    finally:
        for handle in handles:
            handle.remove()
    return problems + [_CALLED_TWICE.format(name=name, count=count) for name, count in calls.items() if count > 1]


def _per_example(layer: _Layer, a: torch.Tensor, b: torch.Tensor, *, weight: bool,
                 bias: bool) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Per-example weight gradients (batch, out, in) and bias gradients (batch, out), materialised.

    Linear over (batch, ..., features): sums over the extra dims. Conv2d: the
    output gradient times the unfolded input patches (``F.unfold``), summed over
    positions; small for the kernels this is used with.
    """
    if type(layer) is nn.Conv2d:
        padding = cast("tuple[int, ...]", layer.padding)  # string padding is refused by bookkeeping_problems
        patches = nn.functional.unfold(a, layer.kernel_size, dilation=layer.dilation, padding=padding,
                                       stride=layer.stride)  # (batch, in * kh * kw, positions)
        b3 = b.reshape(len(b), b.shape[1], -1)  # (batch, out, positions)
        gw = torch.bmm(b3, patches.transpose(1, 2)) if weight else None
        return gw, (b3.sum(2) if bias else None)
    a3, b3 = a.reshape(len(a), -1, a.shape[-1]), b.reshape(len(b), -1, b.shape[-1])
    gw = torch.einsum("bti,bto->boi", a3, b3) if weight else None
    return gw, (b3.sum(1) if bias else None)


class BookkeepingClipper:
    """Captures each Linear layer's inputs and output gradients and clips per example.

    Parameters
    ----------
    module : nn.Module
        A model for which :func:`bookkeeping_problems` is empty. Hooks are added
        and stay until :meth:`close`.
    max_grad_norm : float
        Clipping norm ``C``.

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    >>> clipper = BookkeepingClipper(model, max_grad_norm=1.0)
    >>> x = torch.randn(8, 3)
    >>> with clipper.capture():
    ...     model(x).pow(2).sum().backward()
    >>> norms = clipper.accumulate()
    >>> clipper.write_grads()
    >>> model[0].weight.grad.shape, bool((norms >= 0).all())
    (torch.Size([4, 3]), True)
    >>> clipper.close()
    """

    def __init__(self, module: nn.Module, *, max_grad_norm: float) -> None:
        problems = bookkeeping_problems(module)
        if problems:
            raise PrivacyError("Book-keeping clipping cannot train this model:\n- " + "\n- ".join(problems), problems=problems)
        self.max_grad_norm = float(max_grad_norm)
        self._names: dict[_Layer, str] = {}
        self._layers: list[_Layer] = []
        for name, sub in module.named_modules():
            if type(sub) in _SUPPORTED and _trainable(sub):
                self._layers.append(cast("_Layer", sub))  # exactly nn.Linear or nn.Conv2d
                self._names[sub] = name
        self._params = [p for layer in self._layers for p in layer.parameters(recurse=False) if p.requires_grad]
        self._inputs: dict[_Layer, torch.Tensor] = {}
        self._grads: dict[_Layer, torch.Tensor] = {}
        self._calls: dict[_Layer, int] = {}
        self._sums: dict[torch.Tensor, torch.Tensor] = {}
        self._active = False
        self._handles = [layer.register_forward_hook(self._forward_hook) for layer in self._layers]

    @property
    def params(self) -> list[torch.Tensor]:
        """The trainable parameters this clipper writes gradients for."""
        return list(self._params)

    def _forward_hook(self, layer: _Layer, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> torch.Tensor | None:
        if not self._active:
            return None
        self._calls[layer] = self._calls.get(layer, 0) + 1
        self._inputs[layer] = inputs[0].detach()
        replaced = None
        if not output.requires_grad:
            # Parameters are frozen during capture, so the first layer's output is a leaf;
            # a clone makes it a non-leaf that a following in-place op (ReLU(inplace=True)) may modify.
            output.requires_grad_(True)
            output = replaced = output.clone()

        def keep(grad: torch.Tensor) -> None:
            self._grads[layer] = grad.detach()

        output.register_hook(keep)
        return replaced

    @contextmanager
    def capture(self) -> Iterator[None]:
        """Run one forward and backward pass of a *summed* per-example loss inside this block.

        The parameters are frozen in the block (autograd computes only activation
        gradients; the clipped weight gradients are formed in :meth:`accumulate`).
        """
        flags = [p.requires_grad for p in self._params]
        self._inputs.clear()
        self._grads.clear()
        self._calls.clear()
        self._active = True
        for p in self._params:
            p.requires_grad_(False)
        try:
            yield
        finally:
            self._active = False
            for p, flag in zip(self._params, flags, strict=True):  # a flag per parameter
                p.requires_grad_(flag)

    def accumulate(self) -> torch.Tensor:
        """Add this batch's clipped per-example gradients to the running sums; return the norms.

        Call after :meth:`capture`; the norms are those of the unclipped
        per-example gradients over all trainable parameters.
        """
        for layer, count in self._calls.items():
            if count > 1:
                raise PrivacyError(_CALLED_TWICE.format(name=self._names[layer], count=count))
        norms2 = None
        pieces: list[tuple[_Layer, torch.Tensor | None, torch.Tensor | None, str | None]] = []
        for layer in self._layers:
            if layer not in self._grads:
                continue  # unused this pass (or no gradient reached it): zero contribution
            a, b = self._inputs[layer], self._grads[layer]
            w, bias = layer.weight.requires_grad, layer.bias is not None and layer.bias.requires_grad
            if a.ndim == 2 and type(layer) is nn.Linear:
                # ||b_i a_i^T||^2 = ||a_i||^2 ||b_i||^2, plus ||b_i||^2 for the bias; few ops, as this runs every step.
                b2 = torch.linalg.vecdot(b, b)
                if w and bias:
                    sq = torch.addcmul(b2, torch.linalg.vecdot(a, a), b2)
                elif w:
                    sq = torch.linalg.vecdot(a, a) * b2
                else:
                    sq = b2
                pieces.append((layer, a, b, None))
            else:
                gw, gb = _per_example(layer, a, b, weight=w, bias=bias)
                sq = torch.zeros(len(a), dtype=b.dtype, device=b.device)
                if gw is not None:
                    sq = sq + gw.pow(2).sum((1, 2))
                if gb is not None:
                    sq = sq + gb.pow(2).sum(1)
                pieces.append((layer, gw, gb, "materialised"))
            norms2 = sq if norms2 is None else norms2 + sq
        if norms2 is None:
            return torch.zeros(0)
        norms = norms2.sqrt()
        factor = (self.max_grad_norm / (norms + 1e-6)).clamp(max=1.0)  # Opacus's clip factor
        for layer, first, second, kind in pieces:
            if kind is None:
                inputs, grads = first, second
                assert inputs is not None and grads is not None  # a Linear's inputs and output gradients
                cb = grads * factor[:, None]
                if layer.weight.requires_grad:
                    self._add(layer.weight, cb.T @ inputs)
                if layer.bias is not None and layer.bias.requires_grad:
                    self._add(layer.bias, cb.sum(0))
            else:
                gw, gb = first, second
                if gw is not None:
                    self._add(layer.weight, torch.einsum("b,boi->oi", factor, gw))
                if gb is not None and layer.bias is not None:  # gb only for a trainable bias
                    self._add(layer.bias, factor @ gb)
        self._inputs.clear()
        self._grads.clear()
        return norms.detach()

    def _add(self, param: torch.Tensor, value: torch.Tensor) -> None:
        current = self._sums.get(param)
        self._sums[param] = value if current is None else current + value

    def write_grads(self) -> None:
        """Set each parameter's ``.grad`` to its clipped sum (zeros when no example reached it), and reset."""
        for p in self._params:
            total = self._sums.get(p)
            p.grad = torch.zeros_like(p) if total is None else total.reshape(p.shape).to(p.dtype)
        self._sums.clear()

    def close(self) -> None:
        """Remove the hooks; the module is left as it was."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
