"""Periodic activations: sine and cosine units, Snake, the growing cosine unit and sinc.

None of sin, cos, x·cos x has a limit at ±inf: they return NaN there (the oracle agrees).
"""

from __future__ import annotations

import math

from ..spec import POSITIVE
from ._define import Param, define, sp, torch

__all__: list[str] = []  # importing this module registers its activations; nothing else is public

FAMILY = "periodic"


# ------------------------------------------------------------------------------------- sinc
# Taylor coefficients in t = x² of sinc'(x)/x and sinc''(x): sum_k (-1)^k 2k t^(k-1)/(2k+1)! and
# sum_k (-1)^k 2k(2k-1) t^(k-1)/(2k+1)!. 14 terms reach 1e-21 of the sum at |x| = 2.
_SERIES_MAX = 2.0
_D1 = [(-1) ** k * 2 * k / math.factorial(2 * k + 1) for k in range(1, 15)]
_D2 = [(-1) ** k * 2 * k * (2 * k - 1) / math.factorial(2 * k + 1) for k in range(1, 15)]


def _horner(t, coeffs):
    acc = torch.full_like(t, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        acc = acc * t + c
    return acc


def _finite_nonzero(x):
    # x with 0 and ±inf replaced by 1, so that the discarded branch of a where() never makes the
    # 0/0 or inf/inf whose NaN gradient would leak through where() into double backward.
    return torch.where((x == 0) | torch.isinf(x), torch.ones_like(x), x)


def sinc(x):
    # sin(x)/x has no cancellation; only 0/0 at x = 0 (sinc(0) = 1) and NaN at ±inf (limit 0)
    # need care. (torch.sinc is the normalised sin(πx)/(πx), a different function.)
    xn = _finite_nonzero(x)
    out = torch.where(x == 0, torch.ones_like(x), torch.sin(xn) / xn)
    return torch.where(torch.isinf(x), torch.zeros_like(x), out)


def sinc_d(x):
    # (x cos x - sin x)/x² cancels to nothing near 0 (it is -x/3 there): Taylor series for
    # |x| < 2; beyond, (cos x - sinc x)/x, which never forms x² (overflow at 1.8e19 in float32).
    small = x.abs() < _SERIES_MAX
    xs = torch.where(small, x, torch.zeros_like(x))
    xb = torch.where(small, torch.ones_like(x), _finite_nonzero(x))
    far = (torch.cos(xb) - sinc(xb)) / xb
    out = torch.where(small, xs * _horner(xs * xs, _D1), far)
    return torch.where(torch.isinf(x), torch.zeros_like(x), out)


def sinc_d2(x):
    # -sinc - 2 sinc'/x, cancelling near 0 like sinc' (f''(0) = -1/3): series for |x| < 2.
    small = x.abs() < _SERIES_MAX
    xs = torch.where(small, x, torch.zeros_like(x))
    xb = torch.where(small, torch.ones_like(x), _finite_nonzero(x))
    out = torch.where(small, _horner(xs * xs, _D2), -sinc(xb) - 2 * sinc_d(xb) / xb)
    return torch.where(torch.isinf(x), torch.zeros_like(x), out)


def sinc_reference(x):
    # sin(x)/x, which is 0/0 at x = 0. Its derivatives cancel catastrophically for tiny x (x cos x
    # - sin x needs > 640 digits at x = 1e-321, past the oracle's zero rule), so for |x| < 1e-100
    # the Taylor polynomial, equal to sinc there to 600 digits in f, f', f'' and f''', is used.
    tiny = x**2 < sp.Rational(1, 10**200)
    return sp.Piecewise((1 - x**2 / 6 + x**4 / 120, tiny), (sp.sin(x) / x, True))


# ------------------------------------------------------------------------------------ specs
define(
    "sin", family=FAMILY, aliases=("sine", "sinusoid"),
    summary="Sine unit sin(x): periodic, odd, bounded; the SIREN activation (with w0 scaling).",
    formula=r"\sin(x)",
    citation="Sitzmann, Martel, Bergman, Lindell & Wetzstein 2020, Implicit neural "
    "representations with periodic activation functions (SIREN), NeurIPS; Eger, Youssef & "
    "Gurevych 2018, Is it time to swish?, EMNLP",
    forward=torch.sin,
    derivative=torch.cos,
    second_derivative=lambda x: -torch.sin(x),
    reference=lambda x: sp.sin(x),
    native=torch.sin,
)

define(
    "cos", family=FAMILY, aliases=("cosine",),
    summary="Cosine unit cos(x): periodic, even, bounded.",
    formula=r"\cos(x)",
    citation="Parascandolo, Huttunen & Virtanen 2016, Taming the waves: sine as activation "
    "function in deep neural networks, OpenReview (ICLR 2017 submission)",
    forward=torch.cos,
    derivative=lambda x: -torch.sin(x),
    second_derivative=lambda x: -torch.cos(x),
    reference=lambda x: sp.cos(x),
    native=torch.cos,
)


def _snake_arg(x, alpha):
    # a = αx, with 0 where it overflows for a finite x (|αx| > max): there the ripple's phase is
    # lost (the problem's condition number is |αx| > 1e38: any value of sin a is as right as
    # another), f = x to the last bit (the ripple is at most 1/α = |x/a|, far below ULP(x)) and
    # f' takes its mean 1 instead of sin(inf) = NaN.
    a = alpha * x
    return torch.where(torch.isinf(a) & torch.isfinite(x), torch.zeros_like(a), a)


# v - sin v = v³/3! - v⁵/5! + ...: each factor is v²/((2k + 2)(2k + 3)); to v²³/23! (< 1e-18 of
# the first term for |v| <= 1.5)
_VMSIN = (20.0, 42.0, 72.0, 110.0, 156.0, 210.0, 272.0, 342.0, 420.0, 506.0)


def _a_plus_sin2(a):
    # a + sin² a for a <= 1/2 - π/4, as (1/2 - π/4) + (v - sin v)/2 with v = 2a + π/2 (sin² a =
    # (1 - sin v)/2): two terms of one sign, where a + sin² a cancels up to 3.8:1 near a = -1.09
    # and carries sin's rounding times 2|sin a| (5 ULP in float32); v - sin v by its series
    # for |v| <= 1.5, where it cancels itself.
    v = 2 * a + math.pi / 2
    vv = v * v
    series = torch.ones_like(v)
    for d in reversed(_VMSIN):
        series = 1 - vv / d * series
    w = torch.where(v.abs() <= 1.5, v * vv / 6 * series, v - torch.sin(v))
    return (0.5 - math.pi / 4) + w / 2


def _snake(x, alpha):
    # Where x and the ripple sin²(a)/α have opposite signs and similar size (a = αx in
    # [-4, -1/16]) f = (a + sin² a)/α, the sum as _a_plus_sin2 for a <= 1/2 - π/4 (v <= 1): the
    # plain sum cancels up to 3.8x near a = -1.09 and gave 5 ULP in float32 under dense
    # sampling; now 2.7 (α = 0.149, 10, 1). Elsewhere x + x sin(a) sinc(a), which never
    # divides by α: a float32 α of 1e-300 is 0, and sin²(a)/α was then 0/0. Never
    # (1 - cos 2a)/(2α), which cancels for small a. At ±inf sin is NaN but f -> ±inf: keep x.
    a = _snake_arg(x, alpha)
    s = torch.sin(a)
    mid = (a >= -4) & (a <= -0.0625)  # implies α != 0
    alpha_mid = torch.where(mid, alpha, torch.ones_like(a))
    g = torch.where(a <= 0.5 - math.pi / 4, _a_plus_sin2(a), a + s * s)
    out = torch.where(mid, g / alpha_mid, x + (x * s) * sinc(a))
    return torch.where(torch.isinf(x), x, out)


def _snake_d(x, alpha):
    # 1 + sin(2αx) touches 0 at αx = -π/4 + kπ and cancels there; (sin αx + cos αx)² is the same
    # function and keeps full relative accuracy near those double roots.
    a = _snake_arg(x, alpha)
    return (torch.sin(a) + torch.cos(a)) ** 2


def _snake_d2(x, alpha):
    # 2α cos(2αx), as 2α(cos a - sin a)(cos a + sin a): 2a overflows for x near the float max.
    a = _snake_arg(x, alpha)
    s, c = torch.sin(a), torch.cos(a)
    return 2 * alpha * ((c - s) * (c + s))


def _snake_dalpha(x, alpha):
    # d/dα sin²(a)/α = x sin(2a)/α - sin²(a)/α² = x·(x sinc a)·(2 cos a - sinc a), a = αx: no
    # division by α (0 for a float32 α = 1e-300; (2a sin a cos a - sin² a)/α² was 0/0 there and
    # lost digits where a² is subnormal) and no x² (which overflows before the value does).
    # Where αx overflows the phase is lost (see _snake_arg) and 0 is returned.
    a = _snake_arg(x, alpha)
    sc = sinc(a)
    out = x * (x * sc) * (2 * torch.cos(a) - sc)
    return torch.where(torch.isinf(alpha * x) & torch.isfinite(x), torch.zeros_like(out), out)


define(
    "snake", family=FAMILY,
    summary="Snake x + sin²(αx)/α: monotone identity plus a periodic ripple; learns periodicity.",
    formula=r"x + \frac{\sin^2(\alpha x)}{\alpha}",
    citation="Ziyin, Hartwig & Ueda 2020, Neural networks fail to learn periodic functions and "
    "how to fix it, NeurIPS",
    params=[Param("alpha", 1.0, POSITIVE, learnable=True, channelwise=True,
                  doc="frequency of the ripple (period π/alpha).")],
    learn_by_default=True,
    forward=_snake,
    derivative=_snake_d,
    second_derivative=_snake_d2,
    param_grads={"alpha": _snake_dalpha},
    reference=lambda x, alpha: x + sp.sin(alpha * x) ** 2 / alpha,
    naive=lambda x, alpha: x + torch.sin(alpha * x) ** 2 / alpha,
)

define(
    "gcu", family=FAMILY, aliases=("growing_cosine_unit",),
    summary="Growing cosine unit x·cos(x): oscillating, with amplitude growing like |x|.",
    formula=r"x \cos(x)",
    citation="Noel, Trivedi, Bharadwaj & Singh 2021, Growing cosine unit: a novel oscillatory "
    "activation function that can speedup training and reduce parameters in convolutional "
    "neural networks, arXiv:2108.12943",
    forward=lambda x: x * torch.cos(x),
    derivative=lambda x: torch.cos(x) - x * torch.sin(x),
    second_derivative=lambda x: -2 * torch.sin(x) - x * torch.cos(x),
    reference=lambda x: x * sp.cos(x),
)

define(
    "sinc", family=FAMILY, aliases=("cardinal_sine",),
    summary="Unnormalised sinc sin(x)/x with sinc(0) = 1: even, decaying oscillation.",
    formula=r"\frac{\sin(x)}{x}",
    citation="Eger, Youssef & Gurevych 2018, Is it time to swish? Comparing deep learning "
    "activation functions across NLP tasks, EMNLP (unnormalised; torch.sinc is sin(πx)/(πx))",
    forward=sinc,
    derivative=sinc_d,
    second_derivative=sinc_d2,
    reference=sinc_reference,
    naive=lambda x: torch.sin(x) / x,
)
