"""Adaptive activations: parameters trained with the network, here Dynamic Tanh (DyT)."""

from __future__ import annotations

from ..numerics.stable import scaled, sech2
from ._define import Param, define, sp, torch

__all__: list[str] = []  # importing this module registers its activations; nothing else is public

FAMILY = "adaptive"


def _arg(x, alpha):
    # αx, with 0 for α = 0 at x = ±inf (0·inf): tanh(αx) is then tanh(0) = 0, its limit.
    a = alpha * x
    return torch.where(torch.isnan(a) & ~torch.isnan(x), torch.zeros_like(a), a)


def _dyt_dalpha(x, alpha, gamma, beta):
    # γ x sech²(αx): at x = ±inf that is inf·0, whose limit is 0 (sech² decays exponentially),
    # unless α = 0: then it is γx.
    a = _arg(x, alpha)
    out = scaled(gamma, x * sech2(a), x)
    return torch.where(torch.isinf(x) & torch.isinf(a), torch.zeros_like(out), out)


define(
    "dyt", family=FAMILY, aliases=("dynamic_tanh",),
    summary="Dynamic Tanh γ·tanh(αx) + β: a drop-in replacement for LayerNorm in Transformers.",
    formula=r"\gamma \tanh(\alpha x) + \beta",
    citation="Zhu, Chen, He, LeCun & Liu 2025, Transformers without normalization, CVPR "
    "(arXiv:2503.10622)",
    params=[
        Param("alpha", 0.5, learnable=True, doc="input scale (one scalar, as in the paper)."),
        Param("gamma", 1.0, learnable=True, channelwise=True, doc="per-channel output scale."),
        Param("beta", 0.0, learnable=True, channelwise=True, doc="per-channel output shift."),
    ],
    learn_by_default=True,
    channel_dim=-1,  # channels last, as LayerNorm's normalized_shape in a Transformer
    forward=lambda x, alpha, gamma, beta: gamma * torch.tanh(_arg(x, alpha)) + beta,
    derivative=lambda x, alpha, gamma, beta: gamma * alpha * sech2(_arg(x, alpha)),
    second_derivative=lambda x, alpha, gamma, beta: (
        -2 * gamma * alpha * alpha * torch.tanh(_arg(x, alpha)) * sech2(_arg(x, alpha))),
    param_grads={
        "alpha": _dyt_dalpha,
        "gamma": lambda x, alpha, gamma, beta: torch.tanh(_arg(x, alpha)),
        # 1 everywhere (NaN stays NaN), in x's shape so it sums per channel.
        "beta": lambda x, alpha, gamma, beta: torch.where(torch.isnan(x), x, torch.ones_like(x)),
    },
    reference=lambda x, alpha, gamma, beta: gamma * sp.tanh(alpha * x) + beta,
    native=lambda x, alpha, gamma, beta: gamma * torch.tanh(alpha * x) + beta,
)
