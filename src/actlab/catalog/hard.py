"""Hard (piecewise-linear or piecewise-polynomial) activations and shrinkage functions: cheap
stand-ins for tanh, sigmoid, swish and friends, plus the soft/hard thresholding operators."""

from __future__ import annotations

import math

import torch.nn.functional as F

from ..numerics.stable import clip_grad, keep_nan, sech2, select, step, zero
from ._define import Domain, Param, Relation, define, sp, torch
from .rectifiers import _smelu, _smelu_d, _smelu_d2

__all__: list[str] = []  # importing this module registers its activations; nothing else is public

FAMILY = "hard"
NONNEGATIVE = Domain(low=0.0, low_closed=True)


def _clip(x, lo, hi):
    # min(max(x, lo), hi) with NaN kept (NaN falls through both comparisons to x).
    def t(v):
        return torch.as_tensor(v, dtype=x.dtype, device=x.device)

    return torch.where(x <= lo, t(lo), torch.where(x >= hi, t(hi), x))


def _min_below_max(min_val: float, max_val: float) -> bool:
    return min_val < max_val


define(
    "hardtanh", family=FAMILY, aliases=("hard_tanh",),
    summary="Hard tanh: the identity clipped to [min_val, max_val] (default [-1, 1]).",
    formula=r"\min(\max(x, a), b)",
    citation="PyTorch torch.nn.Hardtanh; Collobert 2004, Large scale machine learning, PhD "
    "thesis, Université Paris VI",
    params=[Param("min_val", -1.0, doc="lower clipping value."),
            Param("max_val", 1.0, doc="upper clipping value (> min_val).")],
    relations=[Relation(_min_below_max, "min_val < max_val", "pass a min_val below max_val (as torch's "
                        "Hardtanh requires)")],
    forward=lambda x, min_val, max_val: _clip(x, min_val, max_val),
    derivative=lambda x, min_val, max_val: clip_grad(x, min_val, max_val),
    second_derivative=lambda x, min_val, max_val: zero(x),
    param_grads={"min_val": lambda x, min_val, max_val: step(x <= min_val, 1.0, 0.0, x),
                 "max_val": lambda x, min_val, max_val: step(x >= max_val, 1.0, 0.0, x)},
    reference=lambda x, min_val, max_val: sp.Piecewise((min_val, x <= min_val),
                                                       (max_val, x >= max_val), (x, True)),
    kinks=lambda min_val, max_val: (min_val, max_val),
    kink_note="f' = 0 at x = min_val and x = max_val (PyTorch).",
    native=lambda x, min_val, max_val: F.hardtanh(x, min_val, max_val),
    naive=lambda x, min_val, max_val: torch.clamp(x, min_val, max_val),
)

define(
    "hardsigmoid", family=FAMILY, aliases=("hard_sigmoid",),
    summary="Hard sigmoid relu6(x + 3)/6: 0 below -3, 1 above 3, linear in between.",
    formula=r"\frac{\min(\max(x + 3, 0), 6)}{6}",
    citation="PyTorch torch.nn.Hardsigmoid / Keras 3 hard_sigmoid; Howard et al. 2019, "
    "Searching for MobileNetV3, ICCV",
    # (x + 3)/6, not x/6 + 1/2, which cancels to garbage ULPs as f -> 0 near x = -3.
    forward=lambda x: (_clip(x, -3.0, 3.0) + 3) / 6,
    derivative=lambda x: clip_grad(x, -3.0, 3.0) / 6,
    second_derivative=zero,
    reference=lambda x: sp.Piecewise((0, x <= -3), (1, x >= 3), ((x + 3) / 6, True)),
    kinks=(-3.0, 3.0),
    kink_note="f'(±3) = 0 (PyTorch).",
    native=F.hardsigmoid,
    naive=lambda x: F.relu6(x + 3) / 6,
)


def _hardswish(x):
    xm = _clip(x, -3.0, 3.0)  # the quadratic piece stays finite far out
    return torch.where(x <= -3, torch.zeros_like(x), torch.where(x >= 3, x, xm * (xm + 3) / 6))


def _hardswish_d(x):
    # (2x + 3)/6, exact through its root at -1.5 (torch's x/3 + 1/2 cancels there). PyTorch takes
    # the outer pieces at the kinks: f'(-3) = 0, f'(3) = 1.
    xm = _clip(x, -3.0, 3.0)
    return torch.where(x <= -3, torch.zeros_like(x),
                       torch.where(x >= 3, torch.ones_like(x), (2 * xm + 3) / 6))


define(
    "hardswish", family=FAMILY, aliases=("hard_swish", "hard_silu"),
    summary="Hard swish x·relu6(x + 3)/6: swish with the sigmoid replaced by the hard sigmoid.",
    formula=r"x\,\frac{\min(\max(x + 3, 0), 6)}{6}",
    citation="PyTorch torch.nn.Hardswish; Howard et al. 2019, Searching for MobileNetV3, ICCV",
    forward=_hardswish,
    derivative=_hardswish_d,
    second_derivative=lambda x: step((x > -3) & (x < 3), 1 / 3, 0.0, x),
    reference=lambda x: sp.Piecewise((0, x <= -3), (x, x >= 3), (x * (x + 3) / 6, True)),
    kinks=(-3.0, 3.0),
    kink_note="f'(-3) = 0 and f'(3) = 1 (PyTorch: the outer pieces); f''(±3) = 0.",
    native=F.hardswish,
    naive=lambda x: x * F.relu6(x + 3) / 6,
)

define(
    "hardshrink", family=FAMILY, aliases=("hard_shrink",),
    summary="Hard shrinkage: x where |x| > λ, 0 elsewhere (hard thresholding).",
    formula=r"\begin{cases}x & |x| > \lambda\\ 0 & |x| \le \lambda\end{cases}",
    citation="PyTorch torch.nn.Hardshrink; Donoho & Johnstone 1994, Ideal spatial adaptation "
    "by wavelet shrinkage, Biometrika 81",
    params=[Param("lambd", 0.5, NONNEGATIVE, doc="threshold λ.")],
    # The comparisons are written so that NaN (all comparisons False) keeps x.
    forward=lambda x, lambd: torch.where((x >= -lambd) & (x <= lambd), torch.zeros_like(x), x),
    derivative=lambda x, lambd: step((x >= -lambd) & (x <= lambd), 0.0, 1.0, x),
    second_derivative=lambda x, lambd: zero(x),
    param_grads={"lambd": lambda x, lambd: zero(x)},
    reference=lambda x, lambd: sp.Piecewise((x, x > lambd), (x, x < -lambd), (0, True)),
    kinks=lambda lambd: (-lambd, lambd),
    kink_note="Discontinuous at ±λ, where f = 0 and f' = 0 (PyTorch).",
    native=lambda x, lambd: F.hardshrink(x, lambd),
)

define(
    "softshrink", family=FAMILY, aliases=("soft_shrink",),
    summary="Soft shrinkage: x moved λ towards 0, and 0 on [-λ, λ] (soft thresholding).",
    formula=r"\begin{cases}x - \lambda & x > \lambda\\ x + \lambda & x < -\lambda\\ "
    r"0 & |x| \le \lambda\end{cases}",
    citation="PyTorch torch.nn.Softshrink; Donoho 1995, De-noising by soft-thresholding, IEEE "
    "Transactions on Information Theory 41",
    params=[Param("lambd", 0.5, NONNEGATIVE, doc="threshold λ.")],
    forward=lambda x, lambd: torch.where(x > lambd, x - lambd,
                                         torch.where(x >= -lambd, torch.zeros_like(x), x + lambd)),
    derivative=lambda x, lambd: step((x >= -lambd) & (x <= lambd), 0.0, 1.0, x),
    second_derivative=lambda x, lambd: zero(x),
    param_grads={"lambd": lambda x, lambd: keep_nan(x, torch.where(
        x > lambd, -torch.ones_like(x), select(x < -lambd, 1.0, 0.0, like=x)))},
    reference=lambda x, lambd: sp.Piecewise((x - lambd, x > lambd), (x + lambd, x < -lambd),
                                            (0, True)),
    kinks=lambda lambd: (-lambd, lambd),
    kink_note="f' = 0 at ±λ (PyTorch).",
    native=lambda x, lambd: F.softshrink(x, lambd),
)

# x cosh x - sinh x = sum_k 2k/(2k+1)! x^(2k+1): all terms positive, so no cancellation; 10
# terms reach float64 precision for |x| < 1.
_TS = [2 * k / math.factorial(2 * k + 1) for k in range(1, 11)]


def _tanhshrink(x):
    # x - tanh x loses everything near 0 (the true value is ~x³/3): relative error ~3ε/x², so
    # torch's form is 1e8 ULPs off at x = 1e-4 (float64) and returns 0 below ~1e-4 (float32).
    # For |x| < 1 use (x cosh x - sinh x)/cosh x with the series above; beyond, the direct
    # difference is within a couple of ULPs (tanh x < x/1.3 there).
    small = x.abs() < 1
    s = torch.where(small, x, torch.zeros_like(x))
    s2 = s * s
    poly = torch.full_like(s, _TS[-1])
    for c in reversed(_TS[:-1]):
        poly = poly * s2 + c
    series = s * s2 * poly / torch.cosh(s)
    return torch.where(small, series, x - torch.tanh(x))


define(
    "tanhshrink", family=FAMILY, aliases=("tanh_shrink",),
    summary="Tanh shrink x - tanh(x): ~x³/3 near 0, ~x - sign(x) far out.",
    formula=r"x - \tanh(x)",
    citation="Collobert, Kavukcuoglu & Farabet 2011, Torch7: a Matlab-like"
    " environment for machine learning, BigLearn NIPS workshop; PyTorch torch.nn.Tanhshrink",
    forward=_tanhshrink,
    derivative=lambda x: torch.tanh(x) ** 2,  # 1 - sech², without the cancellation near 0
    second_derivative=lambda x: 2 * torch.tanh(x) * sech2(x),
    # tanh itself, not its exp form: 1 ± 1e-100 rounds to 1 at both 40 and 80 digits, so the
    # exp form gives f = x at two precisions and fools the oracle's doubling.
    reference=lambda x: x - sp.tanh(x),
    native=F.tanhshrink,
    naive=lambda x: x - torch.tanh(x),
)

define(
    "sparse_sigmoid", family=FAMILY,
    summary="Sparse sigmoid (x + 1)/2 clipped to [0, 1]: the 2-class sparsemax; sparse_plus'.",
    formula=r"\tfrac{1}{2}\min(\max(x + 1, 0), 2)",
    citation="Martins & Astudillo 2016, From softmax to sparsemax, ICML; JAX jax.nn.sparse_sigmoid",
    forward=lambda x: (_clip(x, -1.0, 1.0) + 1) / 2,  # x + 1 is exact near -1 (Sterbenz)
    derivative=lambda x: clip_grad(x, -1.0, 1.0) / 2,
    second_derivative=zero,
    reference=lambda x: sp.Piecewise((0, x <= -1), (1, x >= 1), ((x + 1) / 2, True)),
    kinks=(-1.0, 1.0),
    kink_note="f'(±1) = 0 (as hardtanh in PyTorch).",
    naive=lambda x: 0.5 * torch.clamp(x + 1, 0, 2),
)

define(
    "sparse_plus", family=FAMILY,
    summary="Sparse plus: 0, then (x + 1)²/4 on |x| < 1, then x; a C1 sparse softplus.",
    formula=r"\begin{cases}0 & x \le -1\\ \frac{(x + 1)^2}{4} & |x| < 1\\ x & x \ge 1\end{cases}",
    citation="Martins & Astudillo 2016, From softmax to sparsemax, ICML; JAX jax.nn.sparse_plus",
    forward=lambda x: _smelu(x, 1.0),  # SmeLU with β = 1
    derivative=lambda x: _smelu_d(x, 1.0),
    second_derivative=lambda x: _smelu_d2(x, 1.0),
    reference=lambda x: sp.Piecewise((0, x <= -1), (x, x >= 1), ((x + 1) ** 2 / 4, True)),
    kinks=(-1.0, 1.0),
    kink_note="C1; f'' jumps at ±1, where it is taken as 0 (the outer pieces).",
    naive=lambda x: torch.where(x <= -1, 0.0 * x, torch.where(x >= 1, x, (x + 1) ** 2 / 4)),
)


def _hard_elish_parts(x):
    # h = clip((x + 1)/2, 0, 1) and the pieces, at x clamped to [-1, 1] so they stay finite.
    xm = _clip(x, -1.0, 1.0)
    return xm, (xm + 1) / 2, torch.expm1(xm)


def _hard_elish(x):
    xm, h, em1 = _hard_elish_parts(x)
    inner = torch.where(x < 0, em1 * h, xm * h)  # expm1, not exp - 1, which cancels near 0
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x >= 1, x, inner))


def _hard_elish_d(x):
    xm, h, em1 = _hard_elish_parts(x)
    inner = torch.where(x < 0, (em1 + 1) * h + em1 / 2, xm + 0.5)  # e^x = 1 + expm1 x: one exp
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x >= 1, torch.ones_like(x), inner))


def _hard_elish_d2(x):
    xm = _clip(x, -1.0, 1.0)
    inner = torch.where(x < 0, torch.exp(xm) * (xm + 3) / 2, torch.ones_like(x))
    return keep_nan(x, torch.where((x <= -1) | (x >= 1), torch.zeros_like(x), inner))


define(
    "hard_elish", family=FAMILY, aliases=("hardelish",),
    summary="Hard ELiSH: (e^x - 1) or x, times the hard sigmoid clip((x + 1)/2, 0, 1).",
    formula=r"\begin{cases}(e^x - 1)\,h(x) & x < 0\\ x\,h(x) & x \ge 0\end{cases},\quad "
    r"h(x) = \max\!\left(0, \min\!\left(1, \tfrac{x + 1}{2}\right)\right)",
    citation="Basirat & Roth 2018, The quest for the golden activation function, arXiv:1808.00783",
    forward=_hard_elish,
    derivative=_hard_elish_d,
    second_derivative=_hard_elish_d2,
    reference=lambda x: sp.Piecewise((0, x <= -1), ((sp.exp(x) - 1) * (x + 1) / 2, x < 0),
                                     (x * (x + 1) / 2, x < 1), (x, True)),
    kinks=(-1.0, 0.0, 1.0),
    kink_note="f'(-1) = 0 and f'(1) = 1 (the outer pieces, as hardswish in PyTorch); f is C1 at "
    "0 with f'(0) = 1/2, where f'' jumps from 3/2 to 1 and f''(0) = 1.",
    naive=lambda x: torch.where(x < 0, torch.exp(x) - 1, x) * torch.clamp((x + 1) / 2, 0, 1),
)
