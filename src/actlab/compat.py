"""Compatibility data: torch.nn constructor signatures, and timm / Hugging Face activation names.

Everything here is a table, read by :mod:`actlab.nn` (the module classes' signatures,
``replace_activations``, ``get_act_layer``, ``ACT2FN``) and by the stub generator; nothing is
written per activation anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "BY_SPEC", "LIBRARY_NAMES", "PEER_CONVENTIONS", "REFUSED_NAMES", "SOFTPLUS_MIN_THRESHOLD",
    "TORCH_SIGNATURES", "TorchSignature", "check_softplus_threshold"
]

# torch's Softplus returns x where βx > threshold. actlab computes softplus exactly everywhere
# (log1p(e^-|βx|)/β + max(x, 0)); the two differ there by log1p(e^-βx)/β < e^-threshold/β.
# From 20 up, that is below half an ULP of x in float32 (x >= 20/β, e^-20 = 2.1e-9), so
# outputs agree after rounding; below it they are different functions, which actlab refuses.
SOFTPLUS_MIN_THRESHOLD = 20.0


def check_softplus_threshold(value: Any) -> None:
    """Accept torch's ``threshold`` where actlab's exact softplus rounds to the same float32."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"Softplus: threshold must be a real number, got {type(value).__name__}")
    if value < SOFTPLUS_MIN_THRESHOLD:
        raise ValueError(
            f"Softplus: threshold={value:g} is not supported. torch's Softplus returns x where "
            f"beta*x > threshold, which differs from softplus by up to e^-{value:g}/beta there; "
            f"actlab always computes the exact softplus, which matches torch's (within float32 "
            f"rounding) only for threshold >= {SOFTPLUS_MIN_THRESHOLD:g}. Use the default "
            f"threshold=20, or keep torch.nn.Softplus for the thresholded function."
        )


@dataclass(frozen=True)
class TorchSignature:
    """How the constructor arguments of one ``torch.nn`` class map onto an actlab activation.

    ``args``: torch's parameters in its positional order. Each one is a spec parameter of the
    same name, a module option (``inplace``, ``dim``, ``device``, ``dtype``), or renamed to one
    by ``renames``. Their defaults are the catalog's (spec parameters) or the option's, except
    those given in ``defaults``. ``variants`` picks another catalog entry by an argument's value
    (GELU's ``approximate``); ``checks`` validates arguments actlab accepts without using
    (Softplus's ``threshold``); ``ignore_args``: torch accepts and ignores any arguments.
    """

    torch_class: str
    spec: str
    args: tuple[str, ...] = ()
    renames: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    variants: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    checks: Mapping[str, Callable[[Any], None]] = field(default_factory=dict)
    ignore_args: bool = False
    weights: Mapping[str, str] = field(default_factory=dict)


_SIGNATURES = (
    TorchSignature("ReLU", "relu", ("inplace",)),
    TorchSignature("ReLU6", "relu6", ("inplace",)),
    TorchSignature("LeakyReLU", "leaky_relu", ("negative_slope", "inplace")),
    TorchSignature("PReLU", "prelu", ("num_parameters", "init", "device", "dtype"),
                   renames={"num_parameters": "num_channels", "init": "slope"}, weights={"weight": "slope"}),
    TorchSignature("RReLU", "rrelu", ("lower", "upper", "inplace")),
    TorchSignature("ELU", "elu", ("alpha", "inplace")),
    TorchSignature("CELU", "celu", ("alpha", "inplace")),
    TorchSignature("SELU", "selu", ("inplace",)),
    TorchSignature("GELU", "gelu", ("approximate",), defaults={"approximate": "none"},
                   variants={"approximate": {"none": "gelu", "tanh": "gelu_tanh"}}),
    TorchSignature("SiLU", "silu", ("inplace",)),
    TorchSignature("Mish", "mish", ("inplace",)),
    TorchSignature("Softplus", "softplus", ("beta", "threshold"), defaults={"threshold": 20.0},
                   checks={"threshold": check_softplus_threshold}),
    TorchSignature("Sigmoid", "sigmoid"),
    TorchSignature("Tanh", "tanh"),
    TorchSignature("LogSigmoid", "log_sigmoid"),
    # min_value/max_value: torch's deprecated spellings of min_val/max_val (None: not given)
    TorchSignature("Hardtanh", "hardtanh", ("min_val", "max_val", "inplace", "min_value", "max_value"),
                   renames={"min_value": "min_val", "max_value": "max_val"},
                   defaults={"min_value": None, "max_value": None}),
    TorchSignature("Hardsigmoid", "hardsigmoid", ("inplace",)),
    TorchSignature("Hardswish", "hardswish", ("inplace",)),
    TorchSignature("Hardshrink", "hardshrink", ("lambd",)),
    TorchSignature("Softshrink", "softshrink", ("lambd",)),
    TorchSignature("Tanhshrink", "tanhshrink"),
    TorchSignature("Softsign", "softsign"),
    TorchSignature("Threshold", "threshold", ("threshold", "value", "inplace")),
    TorchSignature("GLU", "glu", ("dim",)),
    # dim=None: not given, actlab's -1 (torch's implicit-dim rule for None is deprecated)
    TorchSignature("Softmax", "softmax", ("dim",), defaults={"dim": None}),
    TorchSignature("LogSoftmax", "log_softmax", ("dim",), defaults={"dim": None}),
    TorchSignature("Identity", "identity", ignore_args=True),
)

#: torch.nn class name -> how its constructor maps onto actlab
TORCH_SIGNATURES: Mapping[str, TorchSignature] = MappingProxyType({s.torch_class: s for s in _SIGNATURES})
#: catalog name -> the torch.nn signature its module class takes
BY_SPEC: Mapping[str, TorchSignature] = MappingProxyType({s.spec: s for s in _SIGNATURES})

#: Names timm's ``get_act_layer`` and Hugging Face's ``ACT2FN`` use, where they are not an actlab
#: name or alias of the same function. Each maps to the catalog entry that computes exactly the
#: same function (default parameters), checked against those libraries' formulas in the tests.
LIBRARY_NAMES: Mapping[str, str] = MappingProxyType({
    "swish": "silu",               # timm and HF: nn.SiLU, x·σ(x) (actlab's swish is x·σ(βx), β=1)
    "gelu_python": "gelu",         # HF: x·½(1 + erf(x/√2))
    "gelu_pytorch_tanh": "gelu_tanh",  # HF: F.gelu(approximate="tanh")
    "gelu_accurate": "gelu_tanh",  # HF's AccurateGELU: the tanh form with √(2/π) in full precision
    # HF's FastGELU: the tanh form with √(2/π) written 0.7978845608 (10 digits; the same
    # float32 constant, 4e-12 relative in float64) and x³ as x·x·x: the same function.
    "gelu_fast": "gelu_tanh",
})

#: Names those libraries use for functions actlab does not compute exactly: looked up, they
#: raise with the reason, so a model is never silently changed.
REFUSED_NAMES: Mapping[str, str] = MappingProxyType({
    "xielu": "Hugging Face's XIELU (as the paper's code) computes expm1(min(x, eps)) with "
             "eps=-1e-6 and learns α through softplus; actlab's 'xielu' uses the exact "
             "e^x - 1 - x, which differs on (-1e-6, 0]: use actlab.nn.XIELU() if you want that",
})

#: Where a library's activation takes other defaults or parameter names than the actlab entry
#: its name resolves to (``actlab.get_spec(name)``): (library, name) -> what to pass. The names
#: and formulas of every library are checked in tests/test_peers.py.
PEER_CONVENTIONS: Mapping[tuple[str, str], str] = MappingProxyType({
    ("keras.activations", "leaky_relu"): "Keras's default negative_slope is 0.2 (torch's and "
    "actlab's 0.01): pass negative_slope=0.2",
    ("keras.activations", "relu"): "Keras's relu(x, negative_slope, max_value, threshold) with "
    "any of them set is actlab's 'general_relu' (alias 'keras_relu'); with none, 'relu'",
    ("keras.activations", "threshold"): "Keras's threshold(x, threshold, default_value) is "
    "actlab's threshold(x, threshold, value)",
    ("keras.activations", "hard_shrink"): "Keras's threshold is actlab's lambd",
    ("keras.activations", "soft_shrink"): "Keras's threshold is actlab's lambd",
    ("jax.nn", "gelu"): "jax.nn.gelu defaults to approximate=True, which is actlab's 'gelu_tanh'; "
    "'gelu' is approximate=False",
    ("tfa.activations", "gelu"): "tfa.activations.gelu defaults to approximate=True, which is "
    "actlab's 'gelu_tanh'; 'gelu' is approximate=False",
    ("tfa.activations", "hardshrink"): "TF Addons takes (lower, upper): with lower = -upper that "
    "is hardshrink(lambd=upper), otherwise 'asymmetric_hardshrink'",
    ("tfa.activations", "softshrink"): "TF Addons takes (lower, upper): with lower = -upper that "
    "is softshrink(lambd=upper), otherwise 'asymmetric_softshrink'",
    ("tfa.activations", "snake"): "TF Addons' frequency is actlab's alpha",
    ("tfa.activations", "rrelu"): "TF Addons' training=False (the mean slope) is actlab's eval mode",
    ("transformers ACT2FN", "gelu_10"): "Hugging Face's ClippedGELUActivation(min, max) is "
    "clipped_gelu(min_val, max_val)",
    ("transformers ACT2FN", "xielu"): "Hugging Face's XIELU differs on (-1e-6, 0] (its eps); "
    "ACT2FN refuses the name, get_spec gives the paper's xielu",
})
