"""One edge-case battery over the whole catalog: shapes, dtypes, NumPy, special values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from conftest import ELEMENTWISE

import actlab

ALL_DTYPES = [torch.float64, torch.float32, torch.bfloat16, torch.float16]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_shapes_dtypes_and_special_values(name):
    f = getattr(actlab.functional, name)
    assert f(torch.tensor(0.5)).shape == ()
    assert f(torch.empty(0, 3)).shape == (0, 3)
    for dtype in ALL_DTYPES:
        x = torch.tensor([-300.0, -1.0, -0.0, 0.0, 1e-30, 2.0, 300.0, math.nan], dtype=dtype)
        y = f(x)
        assert y.dtype == dtype and y.shape == x.shape
        assert torch.isnan(y[-1]), "nan in must give nan out"
    x = torch.linspace(-6, 6, 97)
    half = f(x.to(torch.float16)).float()
    full = f(x).to(torch.float16).float()
    ulp = torch.finfo(torch.float16).eps * full.abs().clamp(min=torch.finfo(torch.float16).tiny)
    off = torch.where(half == full, 0.0, (half - full).abs())  # equal infinities (log1mexp(0)) agree
    assert (off <= ulp + 1e-7).all(), "float16 must round the float32 result"


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_numpy_in_numpy_out(name):
    f = getattr(actlab.functional, name)
    x = np.linspace(-3, 3, 11)
    y = f(x)
    assert isinstance(y, np.ndarray) and y.dtype == np.float64
    np.testing.assert_array_equal(y, f(torch.from_numpy(x)).numpy())
    assert isinstance(actlab.get(name).derivative(x.astype(np.float32)), np.ndarray)


def test_get_returns_bound_activation():
    act = actlab.get("swish", beta=2.0)
    x = torch.tensor([1.0], dtype=torch.float64)
    assert act.params == {"beta": 2.0} and act.spec.name == "swish"
    assert act(x).item() == pytest.approx(1 / (1 + math.exp(-2.0)), rel=1e-15)
    s = 1 / (1 + math.exp(-2.0))
    assert act.derivative(x).item() == pytest.approx(s + 2.0 * s * (1 - s), rel=1e-14)
    assert act.second_derivative(x).item() == pytest.approx(
        2 * 2.0 * s * (1 - s) + 2.0**2 * 1.0 * s * (1 - s) * (1 - 2 * s), rel=1e-12)


def test_swish_with_beta_zero_is_half_identity_not_identity():
    x = torch.linspace(-3, 3, 7, dtype=torch.float64)
    torch.testing.assert_close(actlab.functional.swish(x, beta=0.0), x / 2)


def test_rrelu_is_random_in_training_and_mean_slope_in_eval():
    x = -torch.ones(1000)
    torch.manual_seed(0)
    y = actlab.functional.rrelu(x, training=True)
    assert (-y >= 1 / 8).all() and (-y <= 1 / 3).all() and y.std() > 0.01
    torch.testing.assert_close(actlab.functional.rrelu(x), x * (1 / 8 + 1 / 3) / 2)


def test_crelu_concatenates_positive_and_negative_parts():
    x = torch.tensor([[-1.0, 2.0]])
    torch.testing.assert_close(actlab.functional.crelu(x), torch.tensor([[0.0, 2.0, 1.0, 0.0]]))


def test_glu_family_is_a_times_gate_of_b():
    x = torch.randn(2, 6, dtype=torch.float64)
    a, b = x.chunk(2, dim=-1)
    torch.testing.assert_close(actlab.functional.glu(x), a * torch.sigmoid(b))
    torch.testing.assert_close(actlab.functional.glu(x), torch.nn.functional.glu(x))
    torch.testing.assert_close(actlab.functional.swiglu(x), a * torch.nn.functional.silu(b))
    torch.testing.assert_close(actlab.functional.reglu(x), a * torch.relu(b))
    torch.testing.assert_close(actlab.functional.geglu(x), a * torch.nn.functional.gelu(b))
    torch.testing.assert_close(actlab.functional.bilinear(x), a * b)
    torch.testing.assert_close(actlab.functional.glu(x.T, dim=0), torch.nn.functional.glu(x.T, dim=0))
