"""Composite kinds are types that refer to their elementwise base and say how they apply."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from conftest import COMPOSITE

import actlab
from actlab.composite import CompositeSpec, ConcatenatedSpec, GatedSpec, RandomizedSpec
from actlab.spec import ActivationSpec


@pytest.mark.parametrize("name", COMPOSITE)
def test_a_composite_refers_to_its_elementwise_base_and_copies_nothing(name):
    spec = actlab.get_spec(name)
    assert type(spec.base) is ActivationSpec and actlab.get_spec(spec.base.name) is spec.base
    assert spec.base_name == spec.base.name
    if isinstance(spec, CompositeSpec):  # GLU family, CReLU: no math of their own
        for field in ("forward", "derivative", "reference", "param_grads"):
            assert not hasattr(spec, field), (name, field)
    assert pickle.loads(pickle.dumps(spec)) is spec


def test_each_kind_is_its_own_type():
    assert isinstance(actlab.get_spec("swiglu"), GatedSpec) and actlab.get_spec("swiglu").kind == "gated"
    assert isinstance(actlab.get_spec("crelu"), ConcatenatedSpec)
    rrelu = actlab.get_spec("rrelu")
    assert isinstance(rrelu, RandomizedSpec) and rrelu.kind == "stochastic"
    assert rrelu.base.name == "leaky_relu"
    assert {"elementwise", "gated", "concatenated", "stochastic"} <= {s.kind for s in actlab.specs()}


def test_gated_applies_its_gate_to_the_second_half():
    x = torch.randn(3, 8, dtype=torch.float64)
    a, b = x.chunk(2, dim=-1)
    torch.testing.assert_close(actlab.functional.swiglu(x), a * torch.nn.functional.silu(b))
    torch.testing.assert_close(actlab.functional.glu(x), torch.nn.functional.glu(x))
    y = torch.randn(4, 5, dtype=torch.float64)
    torch.testing.assert_close(actlab.functional.glu(y, dim=0), torch.nn.functional.glu(y, dim=0))


def test_concatenated_is_f_of_x_and_of_minus_x():
    x = torch.randn(2, 3, dtype=torch.float64)
    torch.testing.assert_close(actlab.functional.crelu(x, dim=0), torch.cat([x.relu(), (-x).relu()], dim=0))
    assert actlab.get_spec("crelu").kinks() == (0.0,)


def test_randomized_draws_slopes_in_training_and_uses_their_mean_in_eval():
    x = -torch.rand(10_000, dtype=torch.float64) - 0.5  # all negative
    slopes = actlab.functional.rrelu(x, lower=0.1, upper=0.3, training=True) / x
    assert 0.1 <= slopes.min() and slopes.max() <= 0.3 and slopes.std() > 0.03
    torch.testing.assert_close(actlab.functional.rrelu(x, lower=0.1, upper=0.3), 0.2 * x)
    torch.testing.assert_close(actlab.functional.rrelu(x.numpy(), lower=0.1, upper=0.3), 0.2 * x.numpy())


def test_derivatives_of_a_composite_are_its_bases():
    x = torch.linspace(-3, 3, 7, dtype=torch.float64)
    torch.testing.assert_close(actlab.get("swiglu").derivative(x), actlab.get("silu").derivative(x))


# ------------------------------------------------------------------ validation on every path
@pytest.mark.parametrize("call", [
    lambda: actlab.functional.hardtanh(torch.zeros(3), min_val=2.0, max_val=-2.0),
    lambda: actlab.get("hardtanh", min_val=1.0, max_val=1.0),
    lambda: actlab.nn.Hardtanh(min_val=2.0, max_val=-2.0),
    lambda: actlab.get("rrelu", lower=0.9, upper=0.1),
    lambda: actlab.nn.RReLU(lower=0.9, upper=0.1),
    lambda: actlab.functional.rrelu(torch.zeros(3), lower=0.9, upper=0.1, training=True),
], ids=["functional", "get", "module", "rrelu-get", "rrelu-module", "rrelu-train"])
def test_parameter_relations_are_checked_everywhere(call):
    with pytest.raises(ValueError, match=r"needs (min_val < max_val|lower <= upper)"):
        call()


def test_numpy_scalars_are_numbers():
    x = torch.linspace(-2, 2, 5)
    elu = actlab.functional.elu
    torch.testing.assert_close(elu(x, alpha=np.float32(0.5)), elu(x, alpha=0.5))
    torch.testing.assert_close(elu(x, alpha=np.int64(2)), elu(x, alpha=2))


def test_shapes_and_dims_are_checked_with_the_fix_named():
    x = torch.randn(4, 6)
    with pytest.raises(ValueError, match="num_channels=6"):
        actlab.nn.PReLU(num_parameters=3)(x)
    with pytest.raises(ValueError, match=r"does not broadcast to the input's shape \(4, 6\)"):
        actlab.functional.prelu(x, slope=torch.ones(2, 3, 4, 6))
    with pytest.raises(ValueError, match="dim=5 is not a dimension"):
        actlab.functional.glu(x, dim=5)
    with pytest.raises(ValueError, match="0-d tensor"):
        actlab.functional.crelu(torch.tensor(1.0))
    with pytest.raises(ValueError, match="even size"):
        actlab.functional.swiglu(torch.randn(3, 5))
