"""The per-sample-gradient modes (Opacus's four and our book-keeping) must agree; 'auto' may pick any of them."""

import numpy as np
import pytest
import torch
from opacus import GradSampleModule
from torch import nn

from audit.models import MLP, binary_loss
from audit.privacy import train_private


def _reference_per_sample_grads(model, X, y):
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss_one(p, x, t):
        out = torch.func.functional_call(model, p, (x.unsqueeze(0),))
        return binary_loss(out, t.unsqueeze(0))

    return torch.func.vmap(torch.func.grad(loss_one), in_dims=(None, 0, 0))(params, X, y)


@pytest.mark.parametrize("force_functorch", [False, True])
def test_hooks_and_functorch_per_sample_gradients_match_torch_func(synthetic, force_functorch):
    X, y = (torch.tensor(a[:32]) for a in synthetic)
    model = MLP(6, hidden=(8, 4))
    ref = _reference_per_sample_grads(model, X, y)
    # With a summed loss, Opacus's grad_sample is exactly each example's own gradient.
    gsm = GradSampleModule(model, force_functorch=force_functorch, loss_reduction="sum")
    out = gsm(X)
    nn.functional.binary_cross_entropy_with_logits(out.reshape(-1), y, reduction="sum").backward()
    for name, p in gsm._module.named_parameters():
        assert torch.allclose(p.grad_sample, ref[name], atol=1e-6), name


@pytest.mark.slow
def test_all_modes_train_to_the_same_model(synthetic):
    X, y = synthetic
    results = {}
    for mode in ("hooks", "functorch", "ghost", "ew", "bookkeeping"):
        torch.manual_seed(0)
        res = train_private(MLP(6, hidden=(8,)), X, y, epsilon=2.0, epochs=2, batch_size=64, accountant="rdp", grad_sample_mode=mode)
        results[mode] = (np.array(res.loss_history), torch.cat([p.flatten() for p in res.model.parameters()]))
    base_loss, base_w = results["hooks"]
    for mode, (loss, w) in results.items():
        np.testing.assert_allclose(loss, base_loss, rtol=1e-4, err_msg=mode)
        assert torch.allclose(w, base_w, atol=1e-4), mode
