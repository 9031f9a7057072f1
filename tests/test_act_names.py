"""get_act_layer / ACT2FN: timm's and Hugging Face's names map to exactly the same function."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import actlab
from actlab.compat import LIBRARY_NAMES, REFUSED_NAMES
from actlab.nn import ACT2FN, UnknownActivationError, activation_names, get_act_layer


def _gated(g):
    return lambda x: x.chunk(2, dim=-1)[0] * g(x.chunk(2, dim=-1)[1])


# The formulas as those libraries write them (transformers/activations.py, timm/layers/
# activations.py and create_act.py), evaluated in float64.
SQRT_2_PI = math.sqrt(2 / math.pi)
LIBRARY_FORMULAS = {
    "gelu": lambda x: F.gelu(x),
    "gelu_python": lambda x: x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0))),
    "gelu_new": lambda x: 0.5 * x * (1.0 + torch.tanh(SQRT_2_PI * (x + 0.044715 * torch.pow(x, 3.0)))),
    "gelu_accurate": lambda x: 0.5 * x * (1 + torch.tanh(SQRT_2_PI * (x + 0.044715 * torch.pow(x, 3)))),
    "gelu_fast": lambda x: 0.5 * x * (1.0 + torch.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x))),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "quick_gelu": lambda x: x * torch.sigmoid(1.702 * x),
    "swish": F.silu, "silu": F.silu, "mish": F.mish,
    "hard_swish": F.hardswish, "hardswish": F.hardswish,
    "hard_sigmoid": lambda x: F.relu6(x + 3.0) / 6.0, "hardsigmoid": F.hardsigmoid,
    "relu": F.relu, "relu6": F.relu6, "relu2": lambda x: torch.square(F.relu(x)),
    "leaky_relu": F.leaky_relu, "elu": F.elu, "selu": F.selu, "celu": F.celu,
    "softplus": lambda x: torch.log1p(torch.exp(x)),  # torch's threshold=20 is past the grid
    "prelu": lambda x: F.prelu(x, torch.tensor([0.25], dtype=x.dtype)),
    "tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda x: x, "identity": lambda x: x,
    "glu": F.glu, "swiglu": _gated(F.silu), "geglu": _gated(F.gelu), "reglu": _gated(F.relu),
}


@pytest.mark.parametrize("name", sorted(LIBRARY_FORMULAS))
def test_library_names_compute_the_library_formula(name):
    x = torch.linspace(-12, 12, 4000, dtype=torch.float64).reshape(-1, 2)
    module = ACT2FN[name].double()
    with torch.no_grad():
        got, expected = module(x), LIBRARY_FORMULAS[name](x)
    # float64 rounding only (actlab's GELU tail is the accurate one: atol). gelu_fast writes
    # √(2/π) with 10 digits, 4e-12 relative, which the far tail amplifies (1 + tanh(-u) ~ 2e^-2u)
    # to 5e-11: below float32's resolution, where both constants are the same float.
    torch.testing.assert_close(got, expected, rtol=1e-10 if name == "gelu_fast" else 2e-13, atol=1e-14)


def test_every_library_name_is_tested_and_maps_to_the_catalog():
    assert set(LIBRARY_NAMES) <= set(LIBRARY_FORMULAS)
    for name, spec in LIBRARY_NAMES.items():
        assert get_act_layer(name) is getattr(actlab.nn, actlab.nn.class_name(spec))


def test_get_act_layer_returns_classes_like_timm():
    assert get_act_layer("swiglu") is actlab.nn.SwiGLU
    assert get_act_layer("swish") is actlab.nn.SiLU
    assert get_act_layer("gelu_new") is get_act_layer("gelu_pytorch_tanh") is actlab.nn.GELUTanh
    assert get_act_layer("Hard-Swish") is actlab.nn.Hardswish
    assert get_act_layer(None) is None
    assert get_act_layer(torch.nn.ReLU) is torch.nn.ReLU  # classes pass through, as in timm


def test_act2fn_returns_a_new_instance_per_lookup():
    a, b = ACT2FN["gelu_new"], ACT2FN["gelu_new"]
    assert isinstance(a, actlab.nn.GELUTanh) and a is not b
    assert "quick_gelu" in ACT2FN and "xielu" not in ACT2FN and "nope" not in ACT2FN
    assert set(ACT2FN) == set(activation_names()) and len(ACT2FN) == len(activation_names())
    assert ACT2FN.get("xielu") is None


@pytest.mark.parametrize("name", sorted(REFUSED_NAMES))
def test_names_without_an_exact_equivalent_are_refused_with_the_reason(name):
    with pytest.raises(UnknownActivationError, match="has no exact actlab equivalent"):
        ACT2FN[name]
    with pytest.raises(ValueError, match="has no exact actlab equivalent"):
        get_act_layer(name)


def test_unknown_names_suggest_close_ones():
    with pytest.raises(KeyError, match=r"unknown activation 'gelu_neww'\. Did you mean: gelu_new"):
        ACT2FN["gelu_neww"]
    with pytest.raises(ValueError, match=r"Did you mean: .*swish"):
        get_act_layer("swissh")
    with pytest.raises(TypeError, match="must be a string"):
        ACT2FN[3]
