"""Modules, learnable parameters, replace_activations and torch.compile."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import actlab
from actlab.nn import class_name


@pytest.mark.parametrize("spec", actlab.specs(), ids=lambda s: s.name)
def test_every_spec_has_a_module_matching_the_functional(spec):
    if getattr(spec, "needs_channels", False) or any(getattr(w, "required", False)
                                                     for w in getattr(spec, "weights", ())):
        pytest.skip("its module owns weights the functional must be given (tests/test_kinds.py)")
    cls = getattr(actlab.nn, class_name(spec.name))
    m = cls().eval()
    x = torch.randn(3, 4, 6)
    torch.testing.assert_close(m(x), actlab.functional.apply(spec, x))
    assert spec.formula in cls.__doc__


def test_named_modules_and_learnable_parameters():
    assert isinstance(actlab.nn.Mish(), nn.Module)
    swish = actlab.nn.Swish(beta=1.0, learnable=True)
    assert [n for n, _ in swish.named_parameters()] == ["beta"]
    assert list(actlab.nn.Swish(beta=1.5).parameters()) == []
    assert "beta=1.5" in repr(actlab.nn.Swish(beta=1.5))
    prelu = actlab.nn.PReLU(num_channels=8)  # learned by default, init 0.25 as the paper
    assert prelu.slope.shape == (8,) and torch.all(prelu.slope == 0.25)
    assert actlab.nn.LeakyReLU(0.2).fixed == {"negative_slope": 0.2}


def test_learnable_beta_trains():
    torch.manual_seed(0)
    swish = actlab.nn.Swish(beta=1.0, learnable=True)
    opt = torch.optim.Adam(swish.parameters(), lr=0.05)
    x = torch.linspace(-3, 3, 64)
    target = x * torch.sigmoid(2.0 * x)
    for _ in range(300):
        opt.zero_grad()
        ((swish(x) - target) ** 2).mean().backward()
        opt.step()
    assert swish.beta.item() == pytest.approx(2.0, abs=1e-2)


def test_replace_activations_by_class_and_by_name():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Sequential(nn.Linear(8, 8), nn.ReLU()),
                          nn.Tanh(), nn.Linear(8, 2))
    assert actlab.nn.replace_activations(model, nn.ReLU, actlab.nn.Mish()) == 2
    assert isinstance(model[1], actlab.nn.Mish) and isinstance(model[2][1], actlab.nn.Mish)
    assert model[1] is not model[2][1]
    assert actlab.nn.replace_activations(model, "tanh", "swish") == 1
    assert model[3].spec.name == "swish"
    assert actlab.nn.replace_activations(model, "mish", lambda: nn.GELU()) == 2
    assert actlab.nn.replace_activations(model, "relu", "gelu") == 0
    with pytest.raises(ValueError, match="Did you mean"):
        actlab.nn.replace_activations(model, "rleu", "gelu")


def test_replaced_model_matches_torch_native_outputs():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 7), nn.GELU(), nn.Linear(7, 3), nn.SiLU())
    x = torch.randn(4, 5)
    expected = model(x)
    actlab.nn.replace_activations(model, nn.GELU, "gelu")
    actlab.nn.replace_activations(model, nn.SiLU, "silu")
    torch.testing.assert_close(model(x), expected)


def test_model_of_actlab_modules_compiles_with_fullgraph():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), actlab.nn.Mish(), nn.Linear(16, 16),
                          actlab.nn.Swish(learnable=True), nn.Linear(16, 16),
                          actlab.nn.PReLU(num_channels=16), nn.Linear(16, 8), actlab.nn.SwiGLU())
    x = torch.randn(5, 6)
    eager = model(x)
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    out = compiled(x)
    torch.testing.assert_close(out, eager)
    out.sum().backward()
    assert model[3].beta.grad is not None and model[5].slope.grad is not None
