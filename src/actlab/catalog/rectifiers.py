"""Rectifiers: identity (or close to it) for x > 0, flat or small-slope for x < 0."""

from __future__ import annotations

import torch.nn.functional as F

from ..numerics.stable import clip_grad, keep_nan, scaled, select, step, zero
from ._define import Domain, Param, Relation, concatenated, define, randomized, sp, torch

__all__: list[str] = []  # importing this module registers its activations; nothing else is public

FAMILY = "rectifier"
POSITIVE = Domain(low=0.0)
UNIT = Domain(low=0.0, high=1.0, low_closed=True, high_closed=True)


define(
    "relu", family=FAMILY, aliases=("rectified_linear_unit",),
    summary="Rectified linear unit max(x, 0): identity for x > 0, zero otherwise.",
    formula=r"\max(x, 0)",
    citation="Nair & Hinton 2010, Rectified linear units improve restricted Boltzmann machines, ICML",
    forward=torch.relu,
    derivative=lambda x: step(x > 0, 1.0, 0.0, x),
    derivative_from_output=lambda y: step(y > 0, 1.0, 0.0, y),  # y > 0 exactly where x > 0
    second_derivative=zero,
    reference=lambda x: sp.Piecewise((0, x <= 0), (x, True)),
    kinks=(0.0,),
    kink_note="f'(0) = 0 (PyTorch).",
    native=torch.relu,  # the forward itself: routed native, a half input skips the float32 round trip
    naive=lambda x: torch.clamp(x, min=0),
)

# Shared by leaky_relu, prelu and (in eval mode) rrelu: x for x > 0, slope·x otherwise.
def _leaky(x, slope):
    # NaN falls through to slope·NaN = NaN; a zero slope at x = -inf gives 0 (the limit), not 0·inf
    return torch.where(x > 0, x, scaled(slope, x, x))


def _leaky_d(x, slope):
    return step(x > 0, 1.0, slope, x)  # slope at 0, as torch's leaky_relu / prelu backward


def _leaky_dslope(x, slope):
    return torch.where(x > 0, torch.zeros_like(x), x)


def _no_neg_inf(x, slope):
    # For a zero slope, -inf -> -max before torch's leaky_relu/prelu, which give -inf·0 = NaN
    # there (the limit is 0; -max·0 = -0, the sign the eager path gives every x < 0).
    if isinstance(slope, torch.Tensor) or slope != 0:
        return x
    return x.clamp(min=-torch.finfo(x.dtype).max)


def _leaky_ref(x, slope):
    return sp.Piecewise((slope * x, x <= 0), (x, True))


define(
    "leaky_relu", family=FAMILY, aliases=("lrelu",),
    summary="Leaky ReLU: x for x > 0, a small fixed slope (default 0.01) times x otherwise.",
    formula=r"\begin{cases}x & x > 0\\ a x & x \le 0\end{cases}",
    citation="Maas, Hannun & Ng 2013, Rectifier nonlinearities improve neural network acoustic "
    "models, ICML Workshop on Deep Learning for Audio, Speech and Language Processing",
    params=[Param("negative_slope", 0.01, learnable=True, doc="slope for x <= 0.")],
    forward=lambda x, negative_slope: _leaky(x, negative_slope),
    derivative=lambda x, negative_slope: _leaky_d(x, negative_slope),
    second_derivative=lambda x, negative_slope: zero(x),
    param_grads={"negative_slope": lambda x, negative_slope: _leaky_dslope(x, negative_slope)},
    reference=lambda x, negative_slope: _leaky_ref(x, negative_slope),
    kinks=(0.0,),
    kink_note="f'(0) = negative_slope (PyTorch: the x <= 0 branch).",
    native=lambda x, negative_slope: F.leaky_relu(_no_neg_inf(x, negative_slope), negative_slope),
    naive=lambda x, negative_slope: torch.where(x > 0, x, negative_slope * x),
)

def _prelu_native(x, slope):
    # torch's prelu computes in the input's dtype: for the half types the slope is rounded to
    # it first and the product rounded again (1.33 ULP), and a slope beyond float16's range
    # is inf (inf·0 = NaN at x = 0). There it computes in float32 and rounds once.
    x = _no_neg_inf(x, slope)
    half = x.dtype in (torch.float16, torch.bfloat16)
    xc = x.float() if half else x
    y = F.prelu(xc, torch.as_tensor(slope, dtype=xc.dtype, device=x.device).reshape(1))
    return y.to(x.dtype) if half else y


define(
    "prelu", family=FAMILY, aliases=("parametric_relu",),
    summary="Parametric ReLU: a leaky ReLU whose negative slope is learned (per channel).",
    formula=r"\begin{cases}x & x > 0\\ a x & x \le 0\end{cases}",
    citation="He, Zhang, Ren & Sun 2015, Delving deep into rectifiers: Surpassing human-level "
    "performance on ImageNet classification, ICCV",
    params=[Param("slope", 0.25, learnable=True, channelwise=True,
                  doc="learned slope for x <= 0 (one per channel with num_channels).")],
    forward=_leaky,
    derivative=_leaky_d,
    second_derivative=lambda x, slope: zero(x),
    param_grads={"slope": _leaky_dslope},
    reference=_leaky_ref,
    kinks=(0.0,),
    kink_note="f'(0) = slope (PyTorch: the x <= 0 branch).",
    learn_by_default=True,
    native=lambda x, slope: _prelu_native(x, slope),
    naive=lambda x, slope: torch.where(x > 0, x, slope * x),
)

def _lower_le_upper(lower: float, upper: float) -> bool:
    return lower <= upper


randomized(
    "rrelu", base="leaky_relu", family=FAMILY, aliases=("randomized_relu",),
    summary="Randomized leaky ReLU: in training a slope ~ U(lower, upper) per element; in eval "
    "the mean slope (lower + upper)/2.",
    formula=r"\begin{cases}x & x > 0\\ a x & x \le 0\end{cases},\quad "
    r"a \sim U(l, u)\ \text{(train)},\ a = \tfrac{l + u}{2}\ \text{(eval)}",
    citation="Xu, Wang, Chen & Li 2015, Empirical evaluation of rectified activations in "
    "convolutional network, arXiv:1505.00853",
    params=[Param("lower", 1 / 8, UNIT, doc="lower bound of the random slope."),
            Param("upper", 1 / 3, UNIT, doc="upper bound of the random slope.")],
    relations=[Relation(_lower_le_upper, "lower <= upper", "swap them")],
    # Eval mode (the deterministic form); training draws a slope per element (RandomizedSpec).
    forward=lambda x, lower, upper: _leaky(x, (lower + upper) / 2),
    derivative=lambda x, lower, upper: _leaky_d(x, (lower + upper) / 2),
    second_derivative=lambda x, lower, upper: zero(x),
    param_grads={"lower": lambda x, lower, upper: _leaky_dslope(x, None) / 2,
                 "upper": lambda x, lower, upper: _leaky_dslope(x, None) / 2},
    reference=lambda x, lower, upper: sp.Piecewise(((lower + upper) / 2 * x, x <= 0), (x, True)),
    kinks=(0.0,),
    kink_note="f'(0) = (lower + upper)/2 in eval mode (PyTorch: the x <= 0 branch).",
    native=lambda x, lower, upper: F.rrelu(x, lower, upper, training=False),
)


define(
    "relu6", family=FAMILY,
    summary="ReLU capped at 6, min(max(x, 0), 6): bounded, robust in low-precision arithmetic.",
    formula=r"\min(\max(x, 0), 6)",
    citation="Krizhevsky 2010, Convolutional deep belief networks on CIFAR-10, unpublished "
    "manuscript; PyTorch torch.nn.ReLU6",
    # x < 0, not x <= 0: -0 stays -0, as torch's relu6 (the native route) returns it
    forward=lambda x: torch.where(x < 0, torch.zeros_like(x), torch.where(x >= 6, 6.0, x)),
    derivative=lambda x: clip_grad(x, 0, 6),
    second_derivative=zero,
    reference=lambda x: sp.Piecewise((0, x <= 0), (6, x >= 6), (x, True)),
    kinks=(0.0, 6.0),
    kink_note="f'(0) = f'(6) = 0 (PyTorch).",
    native=F.relu6,
    naive=lambda x: torch.clamp(x, 0, 6),
)

define(
    "threshold", family=FAMILY,
    summary="Threshold: x where x > threshold, a constant value elsewhere (torch.nn.Threshold).",
    formula=r"\begin{cases}x & x > t\\ v & x \le t\end{cases}",
    citation="Collobert, Kavukcuoglu & Farabet 2011, Torch7: a Matlab-like"
    " environment for machine learning, BigLearn NIPS workshop; PyTorch torch.nn.Threshold",
    params=[Param("threshold", 0.0, doc="inputs at or below it are replaced."),
            Param("value", 0.0, doc="the replacement value.")],
    forward=lambda x, threshold, value: select(x <= threshold, value, x, like=x),  # NaN stays NaN
    derivative=lambda x, threshold, value: step(x > threshold, 1.0, 0.0, x),
    second_derivative=lambda x, threshold, value: zero(x),
    param_grads={"threshold": lambda x, threshold, value: zero(x),
                 "value": lambda x, threshold, value: step(x <= threshold, 1.0, 0.0, x)},
    reference=lambda x, threshold, value: sp.Piecewise((value, x <= threshold), (x, True)),
    kinks=lambda threshold, value: (threshold,),
    kink_note="Discontinuous at x = threshold unless value == threshold; f(threshold) = value and "
    "f'(threshold) = 0 (PyTorch).",
    native=lambda x, threshold, value: F.threshold(x, threshold, value),
)

define(
    "squared_relu", family=FAMILY, aliases=("relu2", "relu_squared"),
    summary="Squared ReLU max(x, 0)²: the Primer transformer's feed-forward activation.",
    formula=r"\max(x, 0)^2",
    citation="So, Mańke, Liu, Dai, Shazeer & Le 2021, Primer: Searching for efficient "
    "transformers for language modeling, NeurIPS, arXiv:2109.08668",
    forward=lambda x: torch.relu(x) * torch.relu(x),
    derivative=lambda x: 2 * torch.relu(x),
    second_derivative=lambda x: step(x > 0, 2.0, 0.0, x),
    reference=lambda x: sp.Piecewise((0, x <= 0), (x**2, True)),
    kinks=(0.0,),
    kink_note="C1 at 0; f'' jumps from 0 to 2 there and f''(0) = 0 (as relu'(0) = 0).",
    naive=lambda x: F.relu(x) ** 2,
)


def _star(x, scale, bias):
    r = torch.relu(x)
    # (s·r)·r, not s·(r·r): r² overflows for r > 1.8e19 (float32) where s·r² (s < 1) is finite.
    return (scale * r) * r + bias


define(
    "star_relu", family=FAMILY, aliases=("starrelu",),
    summary="StarReLU s·relu(x)² + b: a squared ReLU rescaled to unit variance and zero mean.",
    formula=r"s \max(x, 0)^2 + b",
    citation="Yu, Si, Zhou, Yang, Wang, Feng & Yan 2022, MetaFormer baselines for vision, "
    "IEEE TPAMI 2023, arXiv:2210.13452",
    params=[Param("scale", 0.8944, learnable=True, doc="scale s of the squared ReLU."),
            Param("bias", -0.4472, learnable=True, doc="offset b.")],
    forward=_star,
    derivative=lambda x, scale, bias: 2 * (scale * torch.relu(x)),
    second_derivative=lambda x, scale, bias: step(x > 0, 2 * scale, 0.0, x),
    param_grads={"scale": lambda x, scale, bias: torch.relu(x) * torch.relu(x),
                 "bias": lambda x, scale, bias: keep_nan(x, torch.ones_like(x))},
    reference=lambda x, scale, bias: sp.Piecewise((bias, x <= 0), (scale * x**2 + bias, True)),
    kinks=(0.0,),
    kink_note="C1 at 0; f'' jumps from 0 to 2s there and f''(0) = 0 (as relu'(0) = 0).",
    learn_by_default=True,
    naive=lambda x, scale, bias: scale * F.relu(x) ** 2 + bias,
)


# SmeLU, shared with hard.sparse_plus (β = 1). The quadratic piece is evaluated at x clamped to
# [-β, β] so that far out it stays finite (no inf in the branch where() discards, whose gradient
# would become 0·inf = NaN); clamp keeps NaN.
def _inner(x, beta):
    b = torch.as_tensor(beta, dtype=x.dtype, device=x.device)
    return torch.clamp(x, -b, b), b


def _smelu(x, beta):
    xm, b = _inner(x, beta)
    u = xm + b  # exact near x = -β (Sterbenz)
    quad = (u / 2) * (u / (2 * b))  # (x + β)²/(4β) without underflowing u² first
    return torch.where(x <= -b, torch.zeros_like(x), torch.where(x >= b, x, quad))


def _smelu_d(x, beta):
    xm, b = _inner(x, beta)
    return torch.where(x <= -b, torch.zeros_like(x),
                       torch.where(x >= b, torch.ones_like(x), (xm + b) / (2 * b)))


def _smelu_d2(x, beta):
    return step((x > -beta) & (x < beta), 1 / (2 * beta), 0.0, x)


def _smelu_dbeta(x, beta):
    # d/dβ (x + β)²/(4β) = g(1 - g) with g = (x + β)/(2β); 1 - g = (β - x)/(2β) directly, since
    # 1 - g cancels as x -> β.
    xm, b = _inner(x, beta)
    inside = (x > -b) & (x < b)
    return keep_nan(x, torch.where(inside, (xm + b) / (2 * b) * ((b - xm) / (2 * b)),
                                    torch.zeros_like(x)))


define(
    "smelu", family=FAMILY,
    summary="Smooth ReLU: 0, then a quadratic (x + β)²/(4β) on |x| < β, then x; C1.",
    formula=r"\begin{cases}0 & x \le -\beta\\ \frac{(x + \beta)^2}{4\beta} & |x| < \beta\\ "
    r"x & x \ge \beta\end{cases}",
    citation="Shamir, Lin & Coviello 2020, Smooth activations and reproducibility in deep "
    "networks, arXiv:2010.09931",
    params=[Param("beta", 2.0, POSITIVE, doc="half-width of the quadratic transition.")],
    forward=_smelu,
    derivative=_smelu_d,
    second_derivative=_smelu_d2,
    param_grads={"beta": _smelu_dbeta},
    reference=lambda x, beta: sp.Piecewise((0, x <= -beta), (x, x >= beta),
                                           ((x + beta) ** 2 / (4 * beta), True)),
    kinks=lambda beta: (-beta, beta),
    kink_note="C1; f'' jumps at ±beta, where it is taken as 0 (the outer pieces).",
    naive=lambda x, beta: torch.where(x <= -beta, 0.0 * x,
                                      torch.where(x >= beta, x, (x + beta) ** 2 / (4 * beta))),
)

concatenated(
    "crelu", base="relu", aliases=("concatenated_relu",),
    citation="Shang, Sohn, Almeida & Lee 2016, Understanding and improving convolutional neural "
    "networks via concatenated rectified linear units, ICML",
    summary="Concatenated ReLU [relu(x), relu(-x)]: keeps both phases, doubling the channels.",
)
