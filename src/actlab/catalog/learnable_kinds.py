"""Multi-piece and conditioned kinds: Maxout, FReLU, Dynamic ReLU (DY-ReLU-B) and PAU.

Their types (:mod:`actlab.kinds`, :mod:`actlab.conditioned`) say how they apply; here are the
entries: documentation, options, and the tensor arguments a module creates and learns (with the
paper's initialisation).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from ..conditioned import DynamicSpec, FunnelSpec, RationalSpec
from ..kinds import MaxoutSpec, Option, Weight, positive_int
from ._define import kind

__all__: list[str] = []


def _uniform(bound: Any) -> Any:
    """U(−b, b) with b = bound(settings): nn.Linear's and nn.Conv2d's default (1/√fan_in)."""
    def init(t: torch.Tensor, s: Mapping[str, Any]) -> None:
        with torch.no_grad():
            t.uniform_(-bound(s), bound(s))

    return init


def _fill(value: float) -> Any:
    def init(t: torch.Tensor, _: Mapping[str, Any]) -> None:
        with torch.no_grad():
            t.fill_(value)

    return init


def _channels(s: Mapping[str, Any]) -> tuple[int, ...]:
    return (s["num_channels"],)


def _finite(low: float) -> Any:
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < low:
            return f"must be a finite number >= {low:g}, got {v!r}"
        return None

    return check


# ------------------------------------------------------------------------------------------ Maxout
kind(MaxoutSpec(
    name="maxout", family="multi_piece",
    summary="Maxout: the maximum of k consecutive channels (pieces) along dim; C channels in, C/k out.",
    formula=r"y_i = \max_{j=1..k} x_{(i-1)k + j}",
    citation="Goodfellow, Warde-Farley, Mirza, Courville & Bengio 2013, Maxout networks, ICML",
    options=(Option("pieces", 2, "int", "the number k of pieces (channels) per output.", positive_int(1)),),
    kink_note="where two pieces are equal the gradient is shared equally between them (torch's amax).",
    notes="Groups are consecutive channels [x_1..x_k], [x_(k+1)..x_2k], ... as in TF Addons' Maxout.",
))


# ----------------------------------------------------------------------------------------- FReLU
def _conv_shape(s: Mapping[str, Any]) -> tuple[int, ...]:
    return (s["num_channels"], 1, s["kernel_size"], s["kernel_size"])


def _odd(v: Any) -> str | None:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1 or v % 2 == 0:
        return f"must be an odd int >= 1 (the kernel is centred on each pixel), got {v!r}"
    return None


kind(FunnelSpec(
    name="frelu", family="conditioned", aliases=("funnel_relu",),
    summary="Funnel activation FReLU: max(x, T(x)) with T(x) a depthwise 3×3 convolution plus batch "
    "norm, a spatial condition per pixel; images (N, C, H, W).",
    formula=r"\max\big(x_{c,i,j},\ \mathrm{BN}(W_c \ast x_c)_{i,j}\big)",
    citation="Ma, Zhang & Sun 2020, Funnel activation for visual recognition, ECCV",
    weights=(
        Weight("weight", "the depthwise kernel, shaped (C, 1, k, k) with k odd (3 in the paper).",
               _conv_shape, _uniform(lambda s: 1 / s["kernel_size"])),  # 1/√fan_in, fan_in = k²
        Weight("bn_weight", "batch norm's scale γ, shaped (C,).", _channels, _fill(1.0), required=False),
        Weight("bn_bias", "batch norm's shift β, shaped (C,).", _channels, _fill(0.0), required=False),
        Weight("running_mean", "batch norm's running mean, shaped (C,) (a module buffer).", _channels,
               _fill(0.0), required=False, buffer=True),
        Weight("running_var", "batch norm's running variance, shaped (C,) (a module buffer).", _channels,
               _fill(1.0), required=False, buffer=True),
    ),
    options=(Option("kernel_size", 3, "int", "the side k of the module's depthwise kernel (odd; 3 in the "
                    "paper); the functional takes it from the weight's shape.", _odd, module_only=True),),
    kink_note="where x = T(x) the gradient is shared equally (torch.maximum).",
    notes="Without batch-norm arguments T is the convolution alone. With running statistics, training "
    "mode normalises by the batch and updates them (momentum 0.1, eps 1e-5), as nn.BatchNorm2d. The "
    "module (actlab.nn.FReLU(num_channels=C)) holds the kernel (nn.Conv2d's initialisation) and the "
    "batch norm.",
))


# ---------------------------------------------------------------------------------- Dynamic ReLU
def _hidden(s: Mapping[str, Any]) -> int:
    return max(s["num_channels"] // s["reduction"], 1)


def _coefficients(s: Mapping[str, Any]) -> int:
    return 2 * s["pieces"] * s["num_channels"]


kind(DynamicSpec(
    name="dy_relu_b", family="conditioned", aliases=("dynamic_relu", "dy_relu"), default_dim=1,
    summary="Dynamic ReLU (DY-ReLU-B): per sample and channel, the max of K linear pieces whose "
    "slopes and intercepts a small network computes from the input (global context).",
    formula=r"y_c = \max_{k} \big(a_c^k(x)\, x_c + b_c^k(x)\big),\ "
    r"[a, b] = [\alpha, \beta] + [\lambda_a, \lambda_b]\,(2\sigma(W_2\,\mathrm{relu}(W_1 \bar{x})) - 1)",
    citation="Chen, Dai, Liu, Chen, Yuan & Liu 2020, Dynamic ReLU, ECCV (arXiv:2003.10027)",
    weights=(
        Weight("fc1_weight", "the first linear layer, shaped (C/R, C).",
               lambda s: (_hidden(s), s["num_channels"]),
               _uniform(lambda s: 1 / math.sqrt(s["num_channels"]))),
        Weight("fc1_bias", "its bias, shaped (C/R,).", lambda s: (_hidden(s),),
               _uniform(lambda s: 1 / math.sqrt(s["num_channels"]))),
        Weight("fc2_weight", "the second linear layer, shaped (2KC, C/R).",
               lambda s: (_coefficients(s), _hidden(s)),
               _uniform(lambda s: 1 / math.sqrt(_hidden(s)))),
        Weight("fc2_bias", "its bias, shaped (2KC,).", lambda s: (_coefficients(s),),
               _uniform(lambda s: 1 / math.sqrt(_hidden(s)))),
    ),
    options=(
        Option("pieces", 2, "int", "the number K of linear pieces.", positive_int(1)),
        Option("reduction", 4, "int", "the hypernetwork's reduction ratio R (hidden width C/R).",
               positive_int(1), module_only=True),
        Option("lambda_a", 1.0, "float", "λ_a, the range of the slopes' residuals.", _finite(0.0)),
        Option("lambda_b", 0.5, "float", "λ_b, the range of the intercepts' residuals.", _finite(0.0)),
    ),
    kink_note="where two pieces are equal the gradient is shared equally between them (torch's amax).",
    notes="Channels along dim (default 1: (N, C, ...)); the context x̄ is the mean over every dim "
    "after the channels (none for (N, C)). Around a ReLU: α = (1, 0, ...), β = 0; defaults K = 2, "
    "R = 4, λ_a = 1, λ_b = 0.5 as in the paper.",
))


# ------------------------------------------------------------------------------------------- PAU
def _fitted(part: int) -> Any:
    def default(s: Mapping[str, Any]) -> torch.Tensor:
        from ..pau import coefficients

        return torch.tensor(coefficients(s["target"])[part], dtype=torch.float64)

    return default


def _copy_fit(part: int) -> Any:
    def init(t: torch.Tensor, s: Mapping[str, Any]) -> None:
        with torch.no_grad():
            t.copy_(_fitted(part)(s))

    return init


def _target(v: Any) -> str | None:
    from ..pau import TARGETS

    return None if v in TARGETS else f"must be one of {', '.join(map(repr, TARGETS))}, got {v!r}"


kind(RationalSpec(
    name="pau", family="rational", aliases=("pade_activation_unit",),
    summary="Padé activation unit: a learnable rational function P(x)/Q(x) with the safe denominator "
    "1 + |b_1 x + ... + b_n x^n|, initialised to approximate a chosen activation.",
    formula=r"\frac{\sum_{j=0}^{m} a_j x^j}{1 + \left|\sum_{k=1}^{n} b_k x^k\right|}",
    citation="Molina, Schramowski & Kersting 2020, Padé activation units: end-to-end learning of "
    "flexible activation functions in deep networks, ICLR",
    weights=(
        Weight("numerator", "a_0..a_m, shaped (m + 1,) (6 by default).", lambda s: (6,), _copy_fit(0),
               default=_fitted(0)),
        Weight("denominator", "b_1..b_n, shaped (n,) (4 by default).", lambda s: (4,), _copy_fit(1),
               default=_fitted(1)),
    ),
    options=(Option("target", "leaky_relu", "str", "the activation the coefficients start from "
                    "(actlab's fit, actlab/pau/coefficients.json).", _target),),
    kink_note="at x = 0, where Σ b_k x^k = 0, |·| takes the derivative 0 (torch's abs); a kink "
    "whenever b_1 ≠ 0.",
    notes="The coefficients are shared by every element (one set per module, as the paper's "
    "layer-wise PAU). Initial values are actlab's least-squares fit (degrees 5/4 on [-3, 3]) to "
    "relu, leaky_relu (0.01), gelu, swish, tanh or sigmoid; `python -m actlab.pau` reproduces it.",
))
