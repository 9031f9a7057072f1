"""Mean-field theory against closed forms, mpmath integrals and published numbers."""

from __future__ import annotations

import json
import math

import mpmath as mp
import numpy as np
import pytest
from typer.testing import CliRunner

import actlab
from actlab.analysis import meanfield as mf
from actlab.cli import app

# SELU constants as printed in Klambauer et al. 2017 (eq. 14), independent of the catalog's spec.
SELU_LAMBDA = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717

# Edge of chaos of tanh at σ_b² = 0.05, computed independently with mpmath (30 digits):
#   q*(σ_w²) = findroot(q -> σ_w² ∫ tanh(√q z)² Dz + 0.05 - q), mp.quad over (-inf, 0, inf)
#   σ_w²     = findroot(s -> s ∫ sech(√q*(s) z)⁴ Dz - 1), secant from (1.7, 1.8)
# gives σ_w² = 1.760954639606739131631552 with q* = 0.5700478816407641499901556.
TANH_EOC_005 = 1.760954639606739
TANH_Q_005 = 0.5700478816407641


def _mp_gauss(f, s: float) -> float:
    """E_z[f(s z)] by mpmath quadrature, split where activations bend."""
    with mp.workdps(30):  # restores the global precision afterwards
        pts = [-mp.inf, -8 / s, -1 / s, 0, 1 / s, 8 / s, mp.inf]
        val = mp.quad(lambda z: f(s * z) * mp.exp(-z * z / 2), pts) / mp.sqrt(2 * mp.pi)
        return float(val)


@pytest.mark.parametrize("scale", [0.3, 1.0, 3.0, 30.0])
def test_gaussian_expectations_match_mpmath(scale):
    tanh, sig, relu = mf.phi("tanh"), mf.phi("sigmoid"), mf.phi("relu")
    cases = [
        (lambda u: tanh.forward(u) ** 2, lambda u: mp.tanh(u) ** 2, tanh.kinks),
        (lambda u: tanh.derivative(u) ** 2, lambda u: mp.sech(u) ** 4, tanh.kinks),
        (lambda u: sig.derivative(u) ** 2, lambda u: (mp.exp(-u) / (1 + mp.exp(-u)) ** 2) ** 2, sig.kinks),
        (lambda u: relu.forward(u) ** 2, lambda u: u * u if u > 0 else mp.mpf(0), relu.kinks),
    ]
    for ours, ref, kinks in cases:
        got = float(mf.expect(ours, scale * scale, kinks))
        assert got == pytest.approx(_mp_gauss(ref, scale), rel=1e-12, abs=1e-300)


def test_relu_edge_of_chaos_and_chi1_is_half_sigma_w2():
    assert mf.edge_of_chaos("relu") == pytest.approx(2.0, abs=1e-9)
    for sw2 in (0.5, 1.5, 2.0, 3.0):
        assert mf.analyse("relu", sw2).chi1 == pytest.approx(sw2 / 2, rel=1e-12)
        assert mf.analyse("relu", sw2, 0.1).chi1 == pytest.approx(sw2 / 2, rel=1e-12)


def test_relu_length_map_fixed_point_closed_form():
    # V(q) = σ_w² q/2 + σ_b²  =>  q* = σ_b² / (1 - σ_w²/2) for σ_w² < 2, divergence above.
    for sw2, sb2 in ((1.0, 0.1), (1.5, 0.3), (1.9, 0.01)):
        assert mf.analyse("relu", sw2, sb2).q_star == pytest.approx(sb2 / (1 - sw2 / 2), rel=1e-10)
    assert mf.analyse("relu", 2.5, 0.1).q_star == math.inf


def test_tanh_edge_of_chaos():
    assert mf.edge_of_chaos("tanh") == pytest.approx(1.0, abs=1e-6)
    eoc = mf.edge_of_chaos("tanh", 0.05)
    assert eoc == pytest.approx(1.7610, abs=5e-5)  # to 4 digits
    assert eoc == pytest.approx(TANH_EOC_005, rel=1e-9)  # mpmath, above
    at = mf.analyse("tanh", eoc, 0.05)
    assert at.q_star == pytest.approx(TANH_Q_005, rel=1e-8)
    assert at.chi1 == pytest.approx(1.0, abs=1e-9) and at.phase == "critical"


def test_selu_mean_variance_fixed_point_is_0_1():
    fp = mf.moment_fixed_point("selu")  # the catalog's SELU, LeCun-normal weights (ω = 0, τ = 1)
    assert abs(fp.mu) < 1e-6 and abs(fp.nu - 1.0) < 1e-6
    assert fp.spectral_norm < 1  # attracting (Klambauer et al. 2017, Theorem 1)

    def selu(u):
        return SELU_LAMBDA * np.where(u > 0, u, SELU_ALPHA * np.expm1(np.minimum(u, 0)))

    def dselu(u):
        return SELU_LAMBDA * np.where(u > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(u, 0)))

    paper = mf.Phi("selu_paper", selu, dselu, kinks=(0.0,))
    fp2 = mf.moment_fixed_point(paper)
    assert abs(fp2.mu) < 1e-6 and abs(fp2.nu - 1.0) < 1e-6
    assert np.asarray(fp2.jacobian) == pytest.approx(np.asarray(fp.jacobian), abs=1e-6)


def test_length_map_slope_chi_q_matches_finite_difference():
    for name, sw2, sb2 in (("tanh", 1.5, 0.05), ("sigmoid", 103.0, 0.0), ("gelu", 1.5, 0.2)):
        at = mf.analyse(name, sw2, sb2)
        q, h = at.q_star, 1e-5 * at.q_star
        slope = (mf.length_map(name, sw2, sb2, q + h) - mf.length_map(name, sw2, sb2, q - h)) / (2 * h)
        assert at.chi_q == pytest.approx(float(slope), rel=1e-6)
        assert at.xi_q == pytest.approx(-1 / math.log(at.chi_q), rel=1e-9)


def test_relu_correlation_map_is_the_arc_cosine_kernel():
    # Cho & Saul 2009: E[relu(u1) relu(u2)] = q/(2π) (sin θ + (π - θ) cos θ), θ = arccos c
    c = np.linspace(-1, 1, 9)
    theta = np.arccos(c)
    kernel = (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / (2 * np.pi)
    sw2, sb2, q = 1.6, 0.1, 0.5
    got = mf.correlation_map("relu", sw2, sb2, c, q=q)
    assert got == pytest.approx((sw2 * q * kernel + sb2) / q, rel=1e-9)


def test_correlation_fixed_point_in_both_phases():
    ordered = mf.analyse("tanh", 1.5, 0.05)
    assert ordered.phase == "ordered" and ordered.c_star == 1.0
    chaotic = mf.analyse("tanh", 3.0, 0.05)
    assert chaotic.phase == "chaotic" and 0 < chaotic.c_star < 1
    c_map = mf.correlation_map("tanh", 3.0, 0.05, chaotic.c_star, q=chaotic.q_star)
    assert float(c_map) == pytest.approx(chaotic.c_star, abs=1e-9)
    assert chaotic.chi_c < 1 and chaotic.xi_c == pytest.approx(-1 / math.log(chaotic.chi_c))
    # odd φ with σ_b = 0: the chaotic fixed point is c* = 0
    assert mf.analyse("tanh", 1.5, 0.0).c_star == pytest.approx(0.0, abs=1e-9)


def test_propagate_starts_at_the_input_and_settles_at_q_star():
    path = mf.propagate("tanh", 1.5, 0.05, depth=30, q0=2.0)
    assert path[0]["q"] == pytest.approx(1.5 * 2.0 + 0.05)
    at = mf.analyse("tanh", 1.5, 0.05)
    assert path[-1]["q"] == pytest.approx(at.q_star, rel=1e-6)
    assert path[-1]["chi1"] == pytest.approx(at.chi1, rel=1e-6)


def test_no_edge_of_chaos_is_an_error_with_a_way_out():
    with pytest.raises(ValueError, match="jumps over 1"):
        mf.edge_of_chaos("squared_relu")
    # the fallback: q = 1 fixed, E[relu(z)⁴] = 3/2
    assert mf.variance_preserving("squared_relu") == pytest.approx(2 / 3, rel=1e-12)
    for spec in [s for s in actlab.specs() if s.kind == "gated"][:1]:  # once the GLU family is in
        with pytest.raises(ValueError, match="gated"):
            mf.analyse(spec.name, 1.0)
    with pytest.raises(ValueError, match="sigma_w2"):
        mf.analyse("tanh", -1.0)


def test_phase_diagram_data():
    data = mf.phase_diagram(["tanh", "relu"], grid=5, curve_points=3, sigma_b2=(0.0, 0.1))
    chi = np.array(data["activations"]["relu"]["chi1"])
    assert chi.shape == (5, 5)
    assert chi[0] == pytest.approx(np.array(data["sigma_w2"]) / 2)
    edge = data["activations"]["tanh"]["edge"]
    assert edge[0]["sigma_w2"] == pytest.approx(1.0, abs=1e-6)
    calls = []
    mf.phase_diagram(["relu"], grid=3, curve_points=2, progress=calls.append)
    assert calls == ["relu"] * 5  # one per row of the grid and per point of the curve


def test_cli_meanfield_json_and_table():
    runner = CliRunner()
    result = runner.invoke(app, ["meanfield", "tanh", "relu", "--sigma-b2", "0.05", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[0]["sigma_w2"] == pytest.approx(TANH_EOC_005, rel=1e-8)
    assert rows[1]["sigma_w2"] == pytest.approx(2.0)
    assert "note" not in rows[0] and "note" not in rows[1]  # tanh(0) = relu(0) = 0
    sig = json.loads(runner.invoke(app, ["meanfield", "sigmoid", "--json"]).stdout)[0]
    assert sig["sigma_w2"] == pytest.approx(103.0, rel=0.01) and sig["q_star"] > 40  # mean included
    assert "centres it (φ(0) = 0.5): σ_w² = 16," in sig["note"]  # what critical init uses
    table = runner.invoke(app, ["meanfield", "selu", "--moments"])
    assert table.exit_code == 0 and "0.7877" in table.stdout
    bad = runner.invoke(app, ["meanfield", "tanh", "--sigma-w2", "-1"])
    assert bad.exit_code == 2 and "--sigma-w2 must be" in bad.stderr, bad.output
    gated = runner.invoke(app, ["meanfield", "geglu", "--plot", "phase.png"])  # nothing to draw
    assert gated.exit_code == 2 and "its gate (gelu)" in gated.stderr, gated.output
