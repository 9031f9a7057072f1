"""Initialisers: variances of every scheme, critical_() on real models, module -> spec mapping."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import actlab
from actlab import init

# tanh edge of chaos at σ_b² = 0.05, from an independent mpmath computation (see test_meanfield.py)
TANH_EOC_005 = 1.760954639606739


def _var(w: torch.Tensor) -> float:
    return float(w.detach().double().var())


def test_fans_of_linear_and_conv():
    assert init.fans(torch.empty(20, 10)) == (10, 20)
    assert init.fans(torch.empty(16, 3, 5, 5)) == (75, 400)
    with pytest.raises(ValueError, match="2 dims"):
        init.fans(torch.empty(4))


@pytest.mark.parametrize("scheme, expected", [
    ("xavier", 2 / (400 + 200)), ("glorot", 2 / (400 + 200)), ("he", 2 / 400), ("kaiming", 2 / 400),
    ("lecun", 1 / 400),
])
def test_gaussian_schemes_have_their_textbook_variance(scheme, expected):
    w = torch.empty(200, 400)
    init.init_weight_(w, scheme, generator=torch.Generator().manual_seed(0))
    # 80 000 samples: the sample variance is within 1% (5 standard errors of 0.5%)
    assert _var(w) == pytest.approx(expected, rel=0.025)
    assert abs(float(w.double().mean())) < 5 * math.sqrt(expected / w.numel())


def test_normal_and_orthogonal():
    w = torch.empty(300, 300)
    init.init_weight_(w, "normal", sigma=0.05, generator=torch.Generator().manual_seed(1))
    assert _var(w) == pytest.approx(0.05 ** 2, rel=0.025)
    q = torch.empty(64, 64, dtype=torch.float64)
    init.init_weight_(q, "orthogonal", sigma=1.5, generator=torch.Generator().manual_seed(2))
    assert torch.allclose(q @ q.T, 2.25 * torch.eye(64, dtype=torch.float64), atol=1e-12)
    wide = torch.empty(8, 32, dtype=torch.float64)
    init.init_weight_(wide, "orthogonal")
    assert torch.allclose(wide @ wide.T, torch.eye(8, dtype=torch.float64), atol=1e-12)
    with pytest.raises(ValueError, match="sigma"):
        init.init_weight_(w, "normal")
    with pytest.raises(ValueError, match="unknown initialisation"):
        init.init_weight_(w, "fancy")


def test_critical_follows_each_layers_activation():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(64, 512), nn.Tanh(),
        nn.Linear(512, 512), nn.ReLU(),
        nn.Linear(512, 512), nn.LayerNorm(512), nn.LeakyReLU(0.2),  # a norm in between is skipped
        nn.Linear(512, 512), actlab.nn.Activation("leaky_relu", negative_slope=0.1),
        nn.Linear(512, 10),
    )
    rows = init.critical_(model, generator=torch.Generator().manual_seed(0))
    got = {r["layer"]: (r["activation"], r["sigma_w2"]) for r in rows}
    # closed forms at σ_b = 0: tanh 1, ReLU 2 (He), leaky ReLU with slope a: 2 / (1 + a²)
    assert got["0"][0] == "tanh" and got["0"][1] == pytest.approx(1.0, abs=1e-6)
    assert got["2"] == ("relu", pytest.approx(2.0, rel=1e-12))
    assert got["4"] == ("leaky_relu", pytest.approx(2 / 1.04, rel=1e-10))
    assert got["7"] == ("leaky_relu", pytest.approx(2 / 1.01, rel=1e-10))
    assert got["9"] == (None, 1.0)  # the output layer: linear, χ₁ = σ_w²
    for name, (_, sw2) in got.items():
        w = dict(model.named_modules())[name].weight
        assert _var(w) == pytest.approx(sw2 / w.shape[1], rel=0.05)
        assert float(dict(model.named_modules())[name].bias.detach().abs().max()) == 0.0  # σ_b = 0


def test_critical_with_bias_variance_and_override():
    model = nn.Sequential(nn.Linear(256, 256), nn.Tanh(), nn.Linear(256, 256), nn.Tanh())
    rows = init.critical_(model, sigma_b2=0.05, generator=torch.Generator().manual_seed(3))
    assert rows[0]["sigma_w2"] == pytest.approx(TANH_EOC_005, rel=1e-8)
    biases = torch.cat([model[0].bias, model[2].bias]).detach().double()
    assert float(biases.var()) == pytest.approx(0.05, rel=0.3)  # 512 samples: ±13% (2 s.e.)
    functional = nn.Sequential(nn.Linear(32, 32), nn.Linear(32, 32))  # e.g. F.relu in forward
    rows = init.critical_(functional, activation="relu")
    assert [r["sigma_w2"] for r in rows] == [pytest.approx(2.0), pytest.approx(2.0)]
    with pytest.raises(ValueError, match="variance"):
        init.critical_(model, sigma_b2=-1.0)


def test_critical_centres_an_activation_that_is_not_zero_at_zero():
    assert init.value_at_zero("sigmoid") == 0.5 and init.value_at_zero("relu") == 0.0
    assert init.value_at_zero("softplus") == pytest.approx(math.log(2), rel=1e-15)
    # σ(h) − 1/2 is odd with slope 1/4 at 0: its length map has q* = 0 up to σ_w² = 16, where
    # χ₁ = σ_w² σ'(0)² reaches 1; with the mean left in, q* is large and the root is ≈ 103
    assert init.critical_sigma2("sigmoid", centred=True) == (pytest.approx(16.0, rel=1e-5),
                                                              "edge of chaos (centred)")
    assert init.critical_sigma2("sigmoid")[0] == pytest.approx(103.0, rel=0.01)
    assert init.critical_sigma2("tanh", centred=True) == init.critical_sigma2("tanh")  # φ(0) = 0

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 64), nn.Sigmoid(), nn.Linear(64, 64), nn.Sigmoid(),
                          nn.Linear(64, 3)).double()
    rows = init.critical_(model, generator=torch.Generator().manual_seed(1))
    assert [r["centre"] for r in rows] == [0.0, 0.5, 0.5]
    assert [r["sigma_w2"] for r in rows[:2]] == [pytest.approx(16.0, rel=1e-5)] * 2
    assert rows[2]["sigma_w2"] == 1.0
    # at initialisation the net is the one with σ(h) − 1/2 and no biases, computed by hand
    x = torch.randn(5, 8, dtype=torch.float64)
    h = x @ model[0].weight.T
    for layer in (model[2], model[4]):
        h = (torch.sigmoid(h) - 0.5) @ layer.weight.T
    torch.testing.assert_close(model(x), h, rtol=1e-12, atol=1e-12)
    assert float(model[0].bias.detach().abs().max()) == 0.0  # the first layer's input is data

    rows = init.critical_(model, centre=False)
    assert rows[1]["sigma_w2"] == pytest.approx(103.0, rel=0.01) and rows[1]["centre"] == 0.0
    assert float(model[2].bias.detach().abs().max()) == 0.0
    no_bias = nn.Sequential(nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 8, bias=False))
    assert init.critical_(no_bias)[0]["sigma_w2"] == pytest.approx(103.0, rel=0.01)  # nothing to centre with


def test_critical_falls_back_where_there_is_no_edge_of_chaos():
    model = nn.Sequential(nn.Linear(16, 16), actlab.nn.Activation("squared_relu"), nn.Linear(16, 1))
    rows = init.critical_(model)
    # squared ReLU: χ₁ jumps over 1; keep E[z²] = 1 instead: σ_w² = 1 / E[relu(z)⁴] = 2/3
    assert rows[0]["how"] == "variance preserving"
    assert rows[0]["sigma_w2"] == pytest.approx(2 / 3, rel=1e-10)


def test_activation_of_torch_and_actlab_modules():
    spec, params = init.activation_of(nn.LeakyReLU(0.2))
    assert spec.name == "leaky_relu" and params == {"negative_slope": 0.2}
    assert init.activation_of(nn.ReLU())[0].name == "relu"
    assert init.activation_of(nn.Tanh())[0].name == "tanh"
    assert init.activation_of(nn.LogSigmoid())[0].name == "log_sigmoid"
    prelu = init.activation_of(nn.PReLU(init=0.3))
    assert prelu[0].name == "prelu" and prelu[1]["slope"] == pytest.approx(0.3)
    act = actlab.nn.Activation("prelu", learnable=True, num_channels=4, slope=0.1)
    assert init.activation_of(act)[1] == {"slope": pytest.approx(0.1)}
    assert init.activation_of(nn.Linear(2, 2)) is None
    assert init.activation_of(nn.Softmin(dim=-1)) is None
    assert init.activation_of(nn.Sequential(nn.ReLU())) is None


def test_weight_sigma2_per_scheme():
    assert init.weight_sigma2("xavier", 100, 300) == pytest.approx(0.5)
    assert init.weight_sigma2("he", 7, 9) == 2.0
    assert init.weight_sigma2("critical", 5, 5, activation="relu") == pytest.approx(2.0)
    assert init.weight_sigma2("normal", 100, 100, sigma=0.2) == pytest.approx(4.0)


@pytest.mark.parametrize(("name", "gate"), [("swiglu", "silu"), ("geglu", "gelu")])
def test_critical_init_refuses_a_gated_activation_and_names_its_gate(name, gate):
    assert actlab.get_spec(name).base.name == gate
    with pytest.raises(ValueError, match=rf"is gated \(a ⊗ {gate}\(b\)\).*Pass activation='{gate}'"):
        init.critical_sigma2(name)
