"""Activations found by automated search (Ramachandran, Zoph & Le 2017, Table 2) and compared
across NLP tasks by Eger, Youssef & Gurevych 2018.

The max/min ones are written as the branch that wins on each side of the point where the two
arguments cross (x* = σ(x*) for maxsig; 0 for maxtanh and minsin), so derivatives take one
branch, not a tie-breaking rule on rounded values.
"""

from __future__ import annotations

from ..numerics.stable import inv_1p_sq, recip, sech2
from ..numerics.stable import sigmoid as _sigmoid
from ..numerics.stable import sigmoid_grad as _sigmoid_d
from ..numerics.stable import x_over_1p_sq as _x_over_1p_sq
from ._define import define, sp, torch
from .periodic import sinc, sinc_d, sinc_d2, sinc_reference

__all__: list[str] = []  # importing this module registers its activations; nothing else is public

FAMILY = "searched"
_SEARCH = "Ramachandran, Zoph & Le 2017, Searching for activation functions, arXiv:1710.05941"
_EGER = ("Eger, Youssef & Gurevych 2018, Is it time to swish? Comparing deep learning activation "
         "functions across NLP tasks, EMNLP")
_CITE = f"{_SEARCH} (Table 2); {_EGER}"

# The root of x = σ(x), where max(x, σ(x)) switches from σ (below) to x (above).
_XSTAR_DIGITS = "0.65904606840740666098438649592886755169809033035711518848929463"
X_STAR = float(_XSTAR_DIGITS)


def _above(x):
    # x > x*. x* is irrational and its nearest float lies below it in float32 and in float64, so
    # comparing with X_STAR (rounded to x's dtype by torch) is exact: no float sits on the kink.
    return x > X_STAR


define(
    "maxsig", family=FAMILY,
    summary="max(x, σ(x)): the sigmoid below x* ≈ 0.659 (where x = σ(x)), the identity above.",
    formula=r"\max(x, \sigma(x))",
    citation=_CITE,
    forward=lambda x: torch.where(_above(x), x, _sigmoid(x)),
    derivative=lambda x: torch.where(_above(x), torch.ones_like(x), _sigmoid_d(x)),
    second_derivative=lambda x: torch.where(_above(x), torch.zeros_like(x),
                                            -_sigmoid_d(x) * torch.tanh(x / 2)),
    reference=lambda x: sp.Piecewise((x, x >= sp.Float(_XSTAR_DIGITS, 60)),
                                      (1 / (1 + sp.exp(-x)), True)),
    native=lambda x: torch.maximum(x, torch.sigmoid(x)),
    kinks=(X_STAR,),
    kink_note="f' jumps from σ'(x*) ≈ 0.2247 to 1 at the irrational x* ≈ 0.65905 (x* = σ(x*)), "
    "which no float equals: every float gets its own side's value (the floats nearest x*, in "
    "float32 and float64, lie below it: σ'). torch.maximum(x, torch.sigmoid(x)) instead gives "
    "the mean (1 + σ')/2 ≈ 0.612 wherever the rounded σ(x) ties with x (float32 0.65904599 "
    "and 0.65904605, float64 0.6590460684074066), 0.39 off the true derivative there.",
)

define(
    "maxtanh", family=FAMILY,
    summary="max(x, tanh(x)): tanh for x < 0, the identity for x >= 0 (tanh x < x there).",
    formula=r"\max(x, \tanh(x))",
    citation=_CITE,
    forward=lambda x: torch.where(x >= 0, x, torch.tanh(x)),
    derivative=lambda x: torch.where(x >= 0, torch.ones_like(x), sech2(x)),
    second_derivative=lambda x: torch.where(x >= 0, torch.zeros_like(x),
                                            -2 * torch.tanh(x) * sech2(x)),
    reference=lambda x: sp.Piecewise((x, x >= 0), (sp.tanh(x), True)),
    native=lambda x: torch.maximum(x, torch.tanh(x)),
    kinks=(0.0,),
    kink_note="f is C² at 0 (x - tanh x = x³/3 + ...; only f''' jumps, from -2 to 0): f'(0) = 1, "
    "f''(0) = 0, as torch.maximum's autograd gives at the tie x = tanh x = 0 (mean of 1 and 1).",
)

define(
    "minsin", family=FAMILY,
    summary="min(x, sin(x)): the identity for x < 0, sin(x) for x >= 0 (sin x <= x there).",
    formula=r"\min(x, \sin(x))",
    citation=_CITE,
    forward=lambda x: torch.where(x < 0, x, torch.sin(x)),
    # cos/sin of the x >= 0 branch only: cos(-inf)'s NaN would leak into double backward.
    derivative=lambda x: torch.where(x < 0, torch.ones_like(x), torch.cos(torch.where(x < 0, 0, x))),
    second_derivative=lambda x: torch.where(x < 0, torch.zeros_like(x), -torch.sin(x)),
    reference=lambda x: sp.Piecewise((x, x < 0), (sp.sin(x), True)),
    native=lambda x: torch.minimum(x, torch.sin(x)),
    kinks=(0.0,),
    kink_note="f is C² at 0 (x - sin x = x³/6 + ...; only f''' jumps, from 0 to -1): f'(0) = 1, "
    "f''(0) = 0, as torch.minimum's autograd gives at the tie x = sin x = 0 (mean of 1 and 1).",
)

define(
    "cosid", family=FAMILY, aliases=("cos_minus_x",),
    summary="cos(x) - x: decreasing, with a periodic ripple.",
    formula=r"\cos(x) - x",
    citation=_CITE,
    # At ±inf cos is NaN but f -> ∓inf.
    forward=lambda x: torch.where(torch.isinf(x), -x, torch.cos(x) - x),
    # -(1 + sin x) touches 0 at x = -π/2 + 2kπ and cancels there; -(sin(x/2) + cos(x/2))² is the
    # same function and keeps full relative accuracy near those double roots.
    derivative=lambda x: -((torch.sin(x / 2) + torch.cos(x / 2)) ** 2),
    second_derivative=lambda x: -torch.cos(x),
    reference=lambda x: sp.cos(x) - x,
    naive=lambda x: torch.cos(x) - x,
)


def _wide(fn):
    # Evaluate fn in float64 for float32 input. arctid's f and f' subtract nearly equal terms
    # (f'(0.7) = 2·0.61·0.67 - 1 = -0.18), which amplifies even a correctly rounded float32 atan
    # to 3-9 ULP; float64 atan leaves one rounding.
    def wrapped(x):
        return fn(x.double()).to(x.dtype) if x.dtype == torch.float32 else fn(x)
    return wrapped


@_wide
def _arctid_d(x):
    # f' = -N/(1 + x²), N = 1 + x² - 2 atan x = (1 - x)² + 2(x - atan x) for x >= 0: two
    # nonnegative terms, so only x - atan x cancels (where it is small beside (1 - x)²), not N
    # itself (min 0.27 from terms up to 1.5). For x < 0 all three terms of N are positive.
    a = torch.atan(x)
    big = x.abs() > 1
    xs = torch.where(big, 0, x)  # keeps the unused branch's x² finite (NaN-free double backward)
    n = torch.where(xs >= 0, (1 - xs) ** 2 + 2 * (xs - a), 1 + xs * xs - 2 * a)
    return torch.where(big, 2 * a * inv_1p_sq(x) - 1, -n * inv_1p_sq(x))


def _arctid_d2(x):
    # (2 - 4x atan x)/(1 + x²)² = 2p(p - 2 atan(x) x/(1 + x²)), p = 1/(1 + x²): no (1 + x²)²
    # (overflows at |x| = 4e9 in float32, where f'' is still 1e-29) and no x·atan x overflow.
    p = inv_1p_sq(x)
    return 2 * p * (p - 2 * torch.atan(x) * _x_over_1p_sq(x))


define(
    "arctid", family=FAMILY, aliases=("arctan_sq_minus_x",),
    summary="arctan(x)² - x: decreasing, flattening near 0.",
    formula=r"\arctan(x)^2 - x",
    citation=_CITE,
    forward=_wide(lambda x: torch.atan(x) ** 2 - x),
    derivative=_arctid_d,
    second_derivative=_arctid_d2,
    reference=lambda x: sp.atan(x) ** 2 - x,
    naive=lambda x: torch.atan(x) ** 2 - x,
)

define(
    "sincid", family=FAMILY, aliases=("sinc_plus_x",),
    summary="sinc(x) + x with sinc(x) = sin(x)/x (unnormalised), sinc(0) = 1.",
    formula=r"\frac{\sin(x)}{x} + x",
    citation=_CITE,
    forward=lambda x: sinc(x) + x,
    derivative=lambda x: sinc_d(x) + 1,
    second_derivative=sinc_d2,
    reference=lambda x: sinc_reference(x) + x,
    naive=lambda x: torch.sin(x) / x + x,
)


def _asinh_parts(x):
    # u = x/h and v = (x² + 2)/h³ with h = sqrt(1 + x²); for |x| > 1 in r = 1/x, as
    # sign(x)/sqrt(1 + r²) and |r|(1 + 2r²)/(1 + r²)^(3/2), so x² and h³ never overflow.
    big = x.abs() > 1
    r = recip(x, big)
    xs = torch.where(big, 0, x)
    hs2, hr2 = 1 + xs * xs, 1 + r * r
    u = torch.where(big, torch.sign(x) * torch.rsqrt(hr2), xs * torch.rsqrt(hs2))
    v = torch.where(big, r.abs() * (1 + 2 * r * r) * hr2**-1.5, (xs * xs + 2) * hs2**-1.5)
    return u, v


def _x_asinh2_d(x):
    a = torch.asinh(x)
    return a * (a + 2 * _asinh_parts(x)[0])  # asinh² + 2 asinh·x/h: both terms share sign(x)²


def _x_asinh2_d2(x):
    # 2 asinh(x)(x² + 2)/h³ + 2x/h²: both terms have the sign of x, so no cancellation. At ±inf
    # asinh·v is inf·0; the limit is 0.
    out = 2 * (torch.asinh(x) * _asinh_parts(x)[1] + _x_over_1p_sq(x))
    return torch.where(torch.isinf(x), torch.zeros_like(x), out)


define(
    "x_asinh2", family=FAMILY, aliases=("x_arcsinh_sq",),
    summary="x·asinh(x)²: odd, growing like x·log²|x|.",
    formula=r"x \operatorname{asinh}(x)^2",
    citation=_CITE,
    forward=lambda x: x * torch.asinh(x) ** 2,
    derivative=_x_asinh2_d,
    second_derivative=_x_asinh2_d2,
    reference=lambda x: x * sp.asinh(x) ** 2,
)
