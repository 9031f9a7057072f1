"""Every activation name that torch.nn.functional, keras.activations, jax.nn, TF Addons
(tfa.activations), Hugging Face's ACT2FN and timm's activation registry ship resolves with
``actlab.get_spec(<that name>)`` to the same function.

The table below is written from those libraries' documentation and source (torch.nn.functional
docs; keras/src/activations/__init__.py ALL_OBJECTS with its swish/hard_swish aliases; the jax.nn
docs' "Activation functions" list plus softmax, log_softmax and log1mexp; the tfa.activations
module page; transformers/activations.py ACT2CLS; timm/layers/create_act.py _ACT_LAYER_DEFAULT).
Each entry's formula is the library's own, in float64; nothing is downloaded at run time.

Where a peer's parameter convention differs from actlab's, the entry passes the peer's default to
actlab (``params``) and says so (``note``); ``actlab.compat.PEER_CONVENTIONS`` carries the same
notes for users.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch
import torch.nn.functional as F

import actlab

PENDING = "pending"


@dataclass(frozen=True)
class Peer:
    formula: Callable[[torch.Tensor], torch.Tensor] | str  # the library's math, or PENDING
    params: dict[str, Any] = field(default_factory=dict)  # the peer's defaults, in actlab's names
    kind: str = "elementwise"  # or "dim" (applied along the last dim), "concat"
    note: str = ""
    atol: float = 0.0
    where: Callable[[torch.Tensor], torch.Tensor] | None = None  # where the two must agree


SQ2PI = math.sqrt(2 / math.pi)


def gelu_erf(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def gelu_tanh(x):
    return 0.5 * x * (1 + torch.tanh(SQ2PI * (x + 0.044715 * x**3)))


def softplus(x):
    return torch.log1p(torch.exp(-x.abs())) + x.clamp(min=0)


def hard_sigmoid(x):
    return torch.clamp(x + 3, 0, 6) / 6


def hard_swish(x):
    return x * hard_sigmoid(x)


def glu(x):
    a, b = x.chunk(2, dim=-1)
    return a * torch.sigmoid(b)


def sparsemax(x):
    # Martins & Astudillo 2016, the sort-based threshold, along the last dim
    z, _ = torch.sort(x, dim=-1, descending=True)
    k = torch.arange(1, x.shape[-1] + 1, dtype=x.dtype)
    cum = z.cumsum(-1)
    support = 1 + k * z > cum
    ks = support.sum(-1, keepdim=True)
    tau = (cum.gather(-1, ks - 1) - 1) / ks.to(x.dtype)
    return torch.clamp(x - tau, min=0)


def elu(x, a=1.0):
    return torch.where(x > 0, x, a * torch.expm1(x))


def selu(x):
    return 1.0507009873554805 * torch.where(x > 0, x, 1.6732632423543772 * torch.expm1(x))


def leaky(slope):
    return lambda x: torch.where(x > 0, x, slope * x)


def hardshrink(x, lo=-0.5, hi=0.5):
    return torch.where((x < lo) | (x > hi), x, torch.zeros_like(x))


def softshrink(x, lo=-0.5, hi=0.5):
    return torch.where(x < lo, x - lo, torch.where(x > hi, x - hi, torch.zeros_like(x)))


def mish(x):
    return x * torch.tanh(softplus(x))


def ident(x):
    return x


RELU2 = lambda x: torch.relu(x) ** 2

GELU_APPROX = ("its default approximate=True is actlab's 'gelu_tanh' (checked separately); "
               "'gelu' here is the exact erf GELU (approximate=False)")

TORCH = {  # torch.nn.functional's non-linear activations (docs: "Non-linear activation functions")
    "threshold": Peer(lambda x: torch.where(x > 0.5, x, torch.full_like(x, -1.0)),
                      params={"threshold": 0.5, "value": -1.0}, note="no defaults in torch"),
    "relu": Peer(torch.relu), "hardtanh": Peer(lambda x: x.clamp(-1, 1)),
    "hardswish": Peer(hard_swish), "relu6": Peer(lambda x: x.clamp(0, 6)), "elu": Peer(elu),
    "selu": Peer(selu), "celu": Peer(elu), "leaky_relu": Peer(leaky(0.01)),
    "prelu": Peer(leaky(0.25), note="weight initialised to 0.25 (nn.PReLU)"),
    "rrelu": Peer(leaky((1 / 8 + 1 / 3) / 2), note="training=False: the mean slope"),
    "glu": Peer(glu, kind="dim"), "gelu": Peer(gelu_erf),
    "logsigmoid": Peer(lambda x: -softplus(-x)), "hardshrink": Peer(hardshrink),
    "tanhshrink": Peer(lambda x: x - torch.tanh(x)), "softsign": Peer(lambda x: x / (1 + x.abs())),
    "softplus": Peer(softplus), "softmin": Peer(PENDING, kind="dim", note="softmax(-x): not in the catalog"),
    "softmax": Peer(lambda x: torch.softmax(x, -1), kind="dim"),
    "softshrink": Peer(softshrink),
    "gumbel_softmax": Peer(PENDING, kind="dim", note="a sampler (Gumbel noise), not an activation spec"),
    "log_softmax": Peer(lambda x: torch.log_softmax(x, -1), kind="dim"),
    "tanh": Peer(torch.tanh), "sigmoid": Peer(torch.sigmoid), "hardsigmoid": Peer(hard_sigmoid),
    "silu": Peer(F.silu), "mish": Peer(mish),
}

KERAS = {  # keras.activations (Keras 3): ALL_OBJECTS plus the aliases swish and hard_swish
    "relu": Peer(torch.relu),
    "leaky_relu": Peer(leaky(0.2), params={"negative_slope": 0.2},
                       note="Keras's default negative_slope is 0.2 (torch's 0.01)"),
    "relu6": Peer(lambda x: x.clamp(0, 6)),
    "softmax": Peer(lambda x: torch.softmax(x, -1), kind="dim"), "celu": Peer(elu), "elu": Peer(elu),
    "selu": Peer(selu), "softplus": Peer(softplus), "softsign": Peer(lambda x: x / (1 + x.abs())),
    "squareplus": Peer(lambda x: (x + torch.sqrt(x * x + 4)) / 2),
    "soft_shrink": Peer(softshrink, note="Keras's threshold=0.5 is actlab's lambd"),
    "sparse_plus": Peer(lambda x: torch.where(x <= -1, 0 * x, torch.where(x >= 1, x, (x + 1) ** 2 / 4))),
    "silu": Peer(F.silu), "gelu": Peer(gelu_erf, note="Keras's default approximate=False"),
    "glu": Peer(glu, kind="dim"), "tanh": Peer(torch.tanh),
    "tanh_shrink": Peer(lambda x: x - torch.tanh(x)),
    "threshold": Peer(lambda x: torch.where(x > 0.5, x, torch.full_like(x, -1.0)),
                      params={"threshold": 0.5, "value": -1.0},
                      note="Keras's (threshold, default_value) are actlab's (threshold, value)"),
    "sigmoid": Peer(torch.sigmoid), "sparse_sigmoid": Peer(lambda x: torch.clamp((x + 1) / 2, 0, 1)),
    "exponential": Peer(torch.exp), "hard_sigmoid": Peer(hard_sigmoid), "hard_silu": Peer(hard_swish),
    "hard_tanh": Peer(lambda x: x.clamp(-1, 1)),
    "hard_shrink": Peer(hardshrink, note="Keras's threshold=0.5 is actlab's lambd"),
    "linear": Peer(ident), "mish": Peer(mish),
    "log_softmax": Peer(lambda x: torch.log_softmax(x, -1), kind="dim"),
    "log_sigmoid": Peer(lambda x: -softplus(-x)), "sparsemax": Peer(sparsemax, kind="dim"),
    "swish": Peer(F.silu), "hard_swish": Peer(hard_swish),
    "crelu": Peer(lambda x: torch.cat([torch.relu(x), torch.relu(-x)], -1), kind="concat"),
}

JAX = {  # jax.nn: the "Activation functions" list, plus softmax, log_softmax and log1mexp
    "relu": Peer(torch.relu), "relu6": Peer(lambda x: x.clamp(0, 6)), "sigmoid": Peer(torch.sigmoid),
    "softplus": Peer(softplus),
    "sparse_plus": Peer(lambda x: torch.where(x <= -1, 0 * x, torch.where(x >= 1, x, (x + 1) ** 2 / 4))),
    "sparse_sigmoid": Peer(lambda x: torch.clamp((x + 1) / 2, 0, 1)),
    "soft_sign": Peer(lambda x: x / (1 + x.abs())), "silu": Peer(F.silu), "swish": Peer(F.silu),
    "log_sigmoid": Peer(lambda x: -softplus(-x)), "leaky_relu": Peer(leaky(0.01)),
    "hard_sigmoid": Peer(hard_sigmoid), "hard_silu": Peer(hard_swish), "hard_swish": Peer(hard_swish),
    "hard_tanh": Peer(lambda x: x.clamp(-1, 1)), "tanh": Peer(torch.tanh), "elu": Peer(elu),
    "celu": Peer(elu), "selu": Peer(selu), "gelu": Peer(gelu_erf, note=GELU_APPROX),
    "glu": Peer(glu, kind="dim"), "squareplus": Peer(lambda x: (x + torch.sqrt(x * x + 4)) / 2),
    "mish": Peer(mish), "identity": Peer(ident),
    "softmax": Peer(lambda x: torch.softmax(x, -1), kind="dim"),
    "log_softmax": Peer(lambda x: torch.log_softmax(x, -1), kind="dim"),
    "log1mexp": Peer(lambda x: torch.log(-torch.expm1(-x)), where=lambda x: x > 0),
}

TFA = {  # tfa.activations
    "gelu": Peer(gelu_erf, note=GELU_APPROX), "hardshrink": Peer(hardshrink,
                                                                note="TFA's (lower, upper) = (-0.5, 0.5) "
                                                                "is lambd = 0.5; other pairs: "
                                                                "'asymmetric_hardshrink'"),
    "lisht": Peer(lambda x: x * torch.tanh(x)), "mish": Peer(mish),
    "rrelu": Peer(leaky((1 / 8 + 1 / 3) / 2), note="training=False: the mean slope"),
    "snake": Peer(lambda x: x + torch.sin(x) ** 2, note="TFA's frequency is actlab's alpha"),
    "softshrink": Peer(softshrink, note="TFA's (lower, upper); other pairs: 'asymmetric_softshrink'"),
    "sparsemax": Peer(sparsemax, kind="dim"), "tanhshrink": Peer(lambda x: x - torch.tanh(x)),
}


def xielu_hf(x):
    # transformers XIELUActivation at its defaults (α_p = α_n = 0.8, β = 0.5, eps = -1e-6)
    return torch.where(x > 0, 0.8 * x * x + 0.5 * x,
                       (torch.expm1(torch.clamp(x, max=-1e-6)) - x) * 0.8 + 0.5 * x)


HF = {  # transformers.activations.ACT2CLS
    "gelu": Peer(gelu_erf), "gelu_10": Peer(lambda x: torch.clip(gelu_erf(x), -10, 10)),
    "gelu_fast": Peer(lambda x: 0.5 * x * (1 + torch.tanh(x * 0.7978845608 * (1 + 0.044715 * x * x))),
                      atol=1e-10, note="√(2/π) written with 10 digits (4e-12 relative)"),
    "gelu_new": Peer(gelu_tanh), "gelu_python": Peer(gelu_erf), "gelu_pytorch_tanh": Peer(gelu_tanh),
    "gelu_python_tanh": Peer(gelu_tanh), "gelu_accurate": Peer(gelu_tanh),
    "hardswish": Peer(hard_swish),
    "laplace": Peer(lambda x: 0.5 * (1 + torch.erf((x - 0.707107) / (0.282095 * math.sqrt(2))))),
    "leaky_relu": Peer(leaky(0.01)), "linear": Peer(ident), "mish": Peer(mish),
    "quick_gelu": Peer(lambda x: x * torch.sigmoid(1.702 * x)), "relu": Peer(torch.relu),
    "relu2": Peer(RELU2), "relu6": Peer(lambda x: x.clamp(0, 6)), "sigmoid": Peer(torch.sigmoid),
    "silu": Peer(F.silu), "sqrtsoftplus": Peer(lambda x: torch.sqrt(softplus(x))),
    "swish": Peer(F.silu), "tanh": Peer(torch.tanh), "prelu": Peer(leaky(0.25)),
    "xielu": Peer(xielu_hf, where=lambda x: (x > 0) | (x <= -1e-6),
                  note="HF computes expm1(min(x, -1e-6)): it differs from the paper's e^x - 1 on "
                  "(-1e-6, 0] (by < 1e-6); ACT2FN refuses the name for that reason"),
}

TIMM = {  # timm.layers.create_act._ACT_LAYER_DEFAULT
    "silu": Peer(F.silu), "swish": Peer(F.silu), "mish": Peer(mish), "relu": Peer(torch.relu),
    "relu6": Peer(lambda x: x.clamp(0, 6)), "leaky_relu": Peer(leaky(0.01)), "elu": Peer(elu),
    "prelu": Peer(leaky(0.25)), "celu": Peer(elu), "selu": Peer(selu), "gelu": Peer(gelu_erf),
    "gelu_tanh": Peer(gelu_tanh), "quick_gelu": Peer(lambda x: x * torch.sigmoid(1.702 * x)),
    "sigmoid": Peer(torch.sigmoid), "tanh": Peer(torch.tanh), "hard_sigmoid": Peer(hard_sigmoid),
    "hard_swish": Peer(hard_swish), "hard_mish": Peer(lambda x: 0.5 * x * torch.clamp(x + 2, 0, 2)),
    "identity": Peer(ident),
}

LIBRARIES = {"torch.nn.functional": TORCH, "keras.activations": KERAS, "jax.nn": JAX,
             "tfa.activations": TFA, "transformers ACT2FN": HF, "timm": TIMM}
CASES = [(lib, name) for lib, table in LIBRARIES.items() for name in table]


def _grid() -> torch.Tensor:
    x = torch.linspace(-12, 12, 4801, dtype=torch.float64)
    extra = torch.tensor([-1e3, -40.0, -1e-7, 0.0, 1e-7, 40.0, 1e3], dtype=torch.float64)
    return torch.cat([x, extra])


def _apply(spec, x, params, kind):
    if kind == "elementwise":
        return actlab.functional.apply(spec, x, params)
    return actlab.functional.apply(spec, x, params, dim=-1)


@pytest.mark.parametrize(("library", "name"), CASES, ids=[f"{lib}:{n}" for lib, n in CASES])
def test_peer_name_resolves_to_the_same_math(library, name):
    peer = LIBRARIES[library][name]
    if peer.formula == PENDING:
        with pytest.raises(ValueError):
            actlab.get_spec(name)
        pytest.skip(f"{library}.{name}: pending ({peer.note})")
    spec = actlab.get_spec(name)
    x = _grid()
    if peer.kind != "elementwise":
        x = x[: (len(x) // 8) * 8].reshape(-1, 8)
    with torch.no_grad():
        got = _apply(spec, x, peer.params, peer.kind)
        expected = peer.formula(x)
    if peer.where is not None:
        keep = peer.where(x)
        got, expected = got[keep], expected[keep]
    # float64 rounding of two independent formulas (actlab's stable forms vs the textbook ones)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=max(peer.atol, 1e-13), equal_nan=True)


def test_the_approximate_gelu_defaults_of_jax_and_tf_addons_are_gelu_tanh():
    x = _grid()
    torch.testing.assert_close(actlab.functional.apply("gelu_tanh", x), gelu_tanh(x), rtol=1e-12, atol=1e-13)


def test_keras_general_relu_with_all_three_parameters():
    # Keras's documented examples (negative_slope, max_value, threshold) and all three at once
    x = torch.tensor([-10, -5, 0.0, 5, 10], dtype=torch.float64)
    relu = actlab.get_spec("keras_relu")
    assert actlab.functional.apply(relu, x).tolist() == [0, 0, 0, 5, 10]
    assert actlab.functional.apply(relu, x, {"negative_slope": 0.5}).tolist() == [-5, -2.5, 0, 5, 10]
    assert actlab.functional.apply(relu, x, {"max_value": 5.0}).tolist() == [0, 0, 0, 5, 5]
    assert actlab.functional.apply(relu, x, {"threshold": 5.0}).tolist() == [0, 0, 0, 0, 10]
    got = actlab.functional.apply(relu, x, {"negative_slope": 0.1, "max_value": 8.0, "threshold": 1.0})
    assert got.tolist() == pytest.approx([-1.1, -0.6, -0.1, 5, 8])


def test_tfa_asymmetric_shrinkage():
    x = _grid()
    p = {"lower": -1.0, "upper": 2.0}
    torch.testing.assert_close(actlab.functional.apply("tfa_hardshrink", x, p), hardshrink(x, -1.0, 2.0))
    torch.testing.assert_close(actlab.functional.apply("tfa_softshrink", x, p), softshrink(x, -1.0, 2.0))
    with pytest.raises(ValueError, match="lower <= upper"):
        actlab.functional.apply("asymmetric_softshrink", x, {"lower": 1.0, "upper": 0.0})


def test_every_peer_convention_note_names_a_table_entry():
    from actlab.compat import PEER_CONVENTIONS

    for (library, name), text in PEER_CONVENTIONS.items():
        assert name in LIBRARIES[library] and text


def test_counts():
    # the report's numbers: names per library, and how many are pending
    pending = [(lib, n) for lib, n in CASES if LIBRARIES[lib][n].formula == PENDING]
    assert len(CASES) == sum(len(t) for t in LIBRARIES.values())
    assert pending == [("torch.nn.functional", "softmin"), ("torch.nn.functional", "gumbel_softmax")]
