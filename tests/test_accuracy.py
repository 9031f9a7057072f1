"""Every activation against the independent mpmath oracle, in ULPs, in every float dtype:
f, f', f'' and df/dθ, over ±1e4, near kinks, at overflow/underflow edges, and special values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from conftest import ELEMENTWISE

import actlab
from actlab.numerics import accuracy, reference


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_within_ulp_bounds_against_oracle(name):
    failures = [m for m in accuracy.measure(name) if not m.passed]
    report = "\n".join(
        f"{m.dtype} {m.quantity}: {m.actlab.max_ulp:.3g} ULP at x={m.actlab.at:.6g} "
        f"(bound {m.bound}), non-finite at {m.actlab.bad_at}" for m in failures)
    assert not failures, f"{name}:\n{report}"


def test_oracle_matches_known_values():
    # mpmath at 40+ digits against values known independently
    xs = np.array([0.0, 1.0, -2.0])
    sig = reference.evaluate("sigmoid", "f", xs, {})[:, 0]
    # σ(1) and σ(-2) to 20 digits, from tables
    assert sig.tolist() == [0.5, 0.73105857863000487925, 0.11920292202211755594]
    dsig = reference.evaluate("sigmoid", "df", np.array([0.0]), {})[0, 0]
    assert dsig == 0.25


def test_oracle_resolves_cancellation_instead_of_returning_zero():
    # tanh'(x) = 1 - tanh² at x = -100 is 4e^-200 ≈ 5.5e-87, zero to 80 digits
    v = reference.evaluate("tanh", "df", np.array([-100.0]), {})[0, 0]
    assert v == pytest.approx(4 * math.exp(-200), rel=1e-15)


def test_oracle_limits_at_infinity():
    inf = np.array([math.inf, -math.inf])
    assert reference.evaluate("sigmoid", "f", inf, {})[:, 0].tolist() == [1.0, 0.0]
    sin = reference.evaluate("sin", "f", inf, {})
    assert np.isnan(sin[:, 0]).all() and (sin[:, 1] == 1).all()  # no limit


def test_score_counts_ulps_and_nonfinite():
    xs = np.array([1.0, 2.0, math.nan])
    ref = np.array([[1.0, 0.0], [2.0, 0.0], [math.nan, 0.0]])
    dref = np.zeros((3, 2))
    one_ulp = np.array([1.0 + 2**-23, 2.0, 5.0])
    s = accuracy.score(xs, one_ulp, ref, dref, torch.float32)
    assert s.max_ulp == pytest.approx(1.0) and s.at == 1.0 and s.bad == 1  # nan in, 5 out


def test_grid_spans_the_range_and_special_values():
    for dtype in (torch.float32, torch.float64):
        g = accuracy.grid(dtype, kinks=(6.0,))
        finite = g[np.isfinite(g)]
        assert finite.min() <= -1e4 and finite.max() >= 1e4
        assert np.isposinf(g).any() and np.isneginf(g).any() and np.isnan(g).any()
        assert (np.abs(finite[finite != 0]) < torch.finfo(dtype).tiny).any()  # subnormals
        assert (np.abs(finite - 6.0) < 1e-5).sum() >= 5  # dense at the kink
        assert np.array_equal(accuracy.round_to(finite, dtype), finite)


def test_selu_constants_equal_the_papers_closed_form():
    # The oracle derives λ01, α01 from the paper's closed form; they must match its printed
    # digits, and torch's forward must use the same constants.
    lam, alpha = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717
    ref = reference.evaluate("selu", "f", np.array([1.0, -math.inf]), {})
    assert ref[0, 0] == pytest.approx(lam, rel=1e-16)
    assert ref[1, 0] == pytest.approx(-lam * alpha, rel=1e-16)
    out = actlab.get("selu")(torch.tensor([1.0, -1e4], dtype=torch.float64))
    assert out[0].item() == pytest.approx(lam, rel=1e-16)
    assert out[1].item() == pytest.approx(-lam * alpha, rel=1e-15)
