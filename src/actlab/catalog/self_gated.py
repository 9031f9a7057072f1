"""Self-gated activations: x times a gate g(x) in [0, 1] (or near it), smooth, non-monotonic,
with a shallow negative dip and f(x) -> x for large x (Swish, GELU, Mish and relatives).

Tails: g(x) -> 0 as x -> -inf, so x = -inf meets g = 0 (inf·0 = NaN in torch); ``_lo`` clamps
-inf to -max there. Terms x·g'(x) in the derivatives vanish at both ends; ``_sat`` clamps x to
±1e4, far beyond where g' underflows in every dtype, so x³ or x² never overflow into inf·0.
"""

from __future__ import annotations

import math

import torch.nn.functional as F

from ..numerics.stable import finite as _fin
from ..numerics.stable import neg_abs, normal_cdf, normal_pdf, scaled, sech2
from ..numerics.stable import sigmoid as _sigmoid
from ..numerics.stable import sigmoid_grad as _dsig
from ..numerics.stable import softplus as _softplus
from ._define import Bound, Param, define, sp, sp_log1p, torch

__all__: list[str] = []  # importing this module registers its activations; nothing else is public

FAMILY = "self_gated"
SAT = 1e4  # |x| beyond which every x·g'(x) term below is 0 in float64 (and f' is 0 or 1)


def _lo(x):
    return x.clamp(min=-torch.finfo(x.dtype).max)  # -inf -> -max: -max·0 = -0, not NaN


def _sat(x):
    return x.clamp(-SAT, SAT)


# ------------------------------------------------------------------------------ Swish family
# All in t = βx: f as x/(1 + e^-t) with e^-t kept finite, derivatives in e = exp(-|t|), so
# σ(t) = 1/(1+e) or e/(1+e); one exp each. β is learnable and may be tiny, so x is clamped only
# to ±max here, never to ±SAT.
def _plain_nonzero(beta) -> bool:
    # β·x at x = ±inf is NaN only where β = 0: a plain nonzero β (SiLU's 1) needs no clamp of x
    return isinstance(beta, float) and beta != 0


def _swish(x, beta):
    # x/(1 + e^-t), t = βx, while e^-t is finite: one exp, one division (each extra op costs
    # ~10% of the compiled kernel). Below t = -T (T = ln(max) - 1) it is (x·h)·h, h = e^(t/2):
    # e^t alone goes subnormal at t = -87.3 (float32) and loses digits that x·e^t keeps
    # (x = -3162, β = 0.0316: 15 ULP). There x is clamped finite (x = -inf: -max·0, not inf·0);
    # a plain β > 0 only meets -inf there, β < 0 only +inf.
    if _plain_nonzero(beta):
        t = x if beta == 1.0 else beta * x
        xf = _lo(x) if beta > 0 else x.clamp(max=torch.finfo(x.dtype).max)
    else:
        xf = _fin(x)
        t = beta * xf  # β = 0 at x = ±inf: t = 0, not NaN
    deep = t < 1 - math.floor(math.log(torch.finfo(x.dtype).max))
    a = torch.exp(torch.where(deep, t / 2, -t))
    return torch.where(deep, (xf * a) * a, x / (1 + a))


def _swish_d(x, beta):
    # σ(t)(1 + tσ(-t)); t clamped finite so that tσ(-t) at t = ±inf is 0, not inf·0. For t < 0
    # it is e((1 + t) + e)/(1 + e)²: 1 + t is exact near the dip and e is added last, where
    # 1 + t/(1 + e) rounds t/(1 + e) first and then cancels 2.5:1 (4.1 ULP at t = -2.4).
    # Both over (1 + e)², one division: for t >= 0, ((1 + e) + te)/(1 + e)², terms of one sign.
    t = _fin(beta * (x if _plain_nonzero(beta) else _fin(x)))
    e = torch.exp(neg_abs(t))
    return torch.where(t >= 0, (1 + e) + t * e, e * ((1 + t) + e)) / (1 + e) ** 2


def _swish_d2(x, beta):
    # β σ(t)σ(-t) (2 - t tanh(t/2)), even in t: evaluated at u = -|t| so σσ = e/(1+e)². Where e
    # is subnormal its few digits times β·k lose the rest (β = 100, t = -100 in float32: 45 ULP;
    # β = 1e30: 8e4): there 1 + e = 1 and e = c³ with c = e^(u/3), multiplied in last.
    u = neg_abs(_fin(beta * _fin(x)))
    e = torch.exp(u)
    k = 2 - u * torch.tanh(u / 2)
    c = torch.exp(u / 3)  # β·c first: β·k·c³ in any order that ends in c³ underflows again
    return torch.where(e < torch.finfo(e.dtype).tiny, beta * c * k * c * c, beta * e / (1 + e) ** 2 * k)


def _swish_dbeta(x, beta):
    # x² σ(t)σ(-t) as (x σ(-|t|))(x σ(|t|)), e = exp(-|t|): x² alone overflows (1.3e154) where
    # σσ is 0. Where e is subnormal (t < -708 in float64) it has lost its digits while x²e is
    # still normal: there 1 + e = 1 and x²e = (x e^(-|t|/2))².
    xs = _fin(x)
    u = neg_abs(beta * xs)
    e = torch.exp(u)
    deep = e < torch.finfo(x.dtype).tiny
    return torch.where(deep, (xs * torch.exp(u / 2)) ** 2, (xs * e / (1 + e)) * (xs / (1 + e)))


define(
    "swish", family=FAMILY,
    summary="Swish x·σ(βx): SiLU for β = 1, tends to ReLU as β -> inf and to x/2 (not x) at β = 0.",
    formula=r"x \, \sigma(\beta x) = \frac{x}{1 + e^{-\beta x}}",
    citation="Ramachandran, Zoph & Le 2017, Searching for activation functions, arXiv:1710.05941",
    params=[Param("beta", 1.0, learnable=True, doc="gate sharpness; 0 gives x/2, inf gives ReLU.",
                  float32_finite=True)],  # β = inf: t = βx is NaN at x = 0
    learn_by_default=False,
    forward=_swish,
    derivative=_swish_d,
    second_derivative=_swish_d2,
    param_grads={"beta": _swish_dbeta},
    reference=lambda x, beta: x / (1 + sp.exp(-beta * x)),
    naive=lambda x, beta: x * torch.sigmoid(beta * x),
)

define(
    "silu", family=FAMILY, aliases=("swish1", "sigmoid_linear_unit"),
    summary="SiLU x·σ(x): the sigmoid-weighted linear unit (Swish with β = 1); minimum -0.278 "
    "at x = -1.278.",
    formula=r"x \, \sigma(x) = \frac{x}{1 + e^{-x}}",
    citation="Elfwing, Uchibe & Doya 2018, Sigmoid-weighted linear units for neural network "
    "function approximation in reinforcement learning, Neural Networks 107; Hendrycks & Gimpel "
    "2016, Gaussian error linear units (GELUs), arXiv:1606.08415",
    forward=lambda x: _swish(x, 1.0),
    derivative=lambda x: _swish_d(x, 1.0),
    second_derivative=lambda x: _swish_d2(x, 1.0),
    reference=lambda x: x / (1 + sp.exp(-x)),
    native=F.silu,
    naive=lambda x: x * torch.sigmoid(x),
)

def _far_left(x):
    # The tail where e^x is subnormal (x < -87.3 in float32): there 1 + e^x = 1 and σ(x) = e^x,
    # so E-swish and its derivatives are β·e^x times x, 1 + x, 2 + x. ``t``: x there, 0 elsewhere.
    xl = _lo(x)
    deep = xl < math.log(torch.finfo(x.dtype).tiny)
    return deep, torch.where(deep, xl, torch.zeros_like(xl))


def _beta_exp(t, beta, k):
    # β·e^t·k for t in the far-left tail, as ((h·β)·k)·h, h = e^(t/2): e^t alone is subnormal
    # there and has lost the digits β would scale up; h is normal while the product is (for any
    # |β| < 1e38 in float32), and the two factors of h keep every partial product in range.
    # stable.scaled_exp does this for any factors, but made E-swish's kernel 4x slower (3.7 vs
    # 0.9 ms at 1M); one factor and one exp need only this (as _swish's deep branch).
    h = torch.exp(t / 2)
    return ((h * beta) * k) * h


def _e_swish(x, beta):
    # β·swish(x) loses digits wherever swish(x) is subnormal and |β| > 1 (β = 1000: 500 ULP; 1e30:
    # 1e7): there β enters first, as (β·x)·σ(x) for |x| < 1 and into e^x's halves far left
    # (_beta_exp). Elsewhere β·(x·σ(x)): β·x first overflows (β = 1e38 at x = -86) where f does not.
    deep, t = _far_left(x)
    s = _sigmoid(x)
    near = torch.where(x.abs() < 1, (beta * x) * s, scaled(beta, x * s, x))
    return torch.where(deep, _beta_exp(t, beta, t), near)


def _e_swish_d(x, beta):
    deep, t = _far_left(x)  # β·swish'(x); far left β·e^x·(1 + x)
    return torch.where(deep, _beta_exp(t, beta, 1 + t), beta * _swish_d(x, 1.0))


def _e_swish_d2(x, beta):
    # β·swish''(x), even in x: in both tails, where e^-|x| is subnormal, β·e^-|x|·(2 - |x|)
    # (σ'(x) = e^-|x| and 2 - x·tanh(x/2) = 2 - |x| there)
    deep, t = _far_left(neg_abs(x))
    return torch.where(deep, _beta_exp(t, beta, 2 + t), beta * _swish_d2(x, 1.0))


define(
    "e_swish", family=FAMILY, aliases=("eswish",),
    summary="E-swish β·x·σ(x): SiLU scaled by β (default 1.375), steeper for deeper networks.",
    formula=r"\beta \, x \, \sigma(x)",
    citation="Alcaide 2018, E-swish: adjusting activations to different network depths, "
    "arXiv:1801.07145",
    params=[Param("beta", 1.375, learnable=True, doc="output scale (1 gives SiLU).")],
    forward=_e_swish,
    derivative=_e_swish_d,
    second_derivative=_e_swish_d2,
    param_grads={"beta": lambda x, beta: _swish(x, 1.0)},
    reference=lambda x, beta: beta * x / (1 + sp.exp(-x)),
    naive=lambda x, beta: beta * x * torch.sigmoid(x),
)

QUICK = 1.702  # Hendrycks & Gimpel sec. 2: Φ(x) ≈ σ(1.702x)

define(
    "gelu_sigmoid", family=FAMILY, aliases=("quick_gelu",),
    summary="Sigmoid approximation of GELU, x·σ(1.702x) (CLIP's QuickGELU).",
    formula=r"x \, \sigma(1.702 x)",
    citation="Hendrycks & Gimpel 2016, Gaussian error linear units (GELUs), arXiv:1606.08415, "
    "section 2",
    forward=lambda x: _swish(x, QUICK),
    derivative=lambda x: _swish_d(x, QUICK),
    second_derivative=lambda x: _swish_d2(x, QUICK),
    reference=lambda x: x / (1 + sp.exp(-sp.Float("1.702", 50) * x)),
    naive=lambda x: x * torch.sigmoid(QUICK * x),
)


# ------------------------------------------------------------------------------------- GELU
def _gelu_d(x):
    xs = _sat(x)  # xφ(x) at ±inf is 0, not inf·0
    return normal_cdf(x) + xs * normal_pdf(xs)


define(
    "gelu", family=FAMILY, aliases=("gelu_exact", "gelu_erf", "gelu_python"),
    summary="GELU x·Φ(x), Φ the standard normal CDF; minimum -0.170 at x = -0.752.",
    formula=r"x \, \Phi(x) = \frac{x}{2}\left(1 + \operatorname{erf}\frac{x}{\sqrt{2}}\right)",
    citation="Hendrycks & Gimpel 2016, Gaussian error linear units (GELUs), arXiv:1606.08415",
    # Φ = erfc(-x/√2)/2: 1 + erf(x/√2) cancels to 0 for x < -5.9 (float32), where Φ is 1e-9.
    forward=lambda x: _lo(x) * normal_cdf(x),
    derivative=_gelu_d,
    second_derivative=lambda x: normal_pdf(_sat(x)) * (2 - _sat(x) ** 2),
    bounds={"df:float32": Bound(6, "f' = Φ(x) + xφ(x) is well conditioned on [-1.7, -1.1] (κ < 1.2) "
                                "but its terms cancel 2-3:1 there, and each carries ~1.5 ULP (float32 "
                                "erfc/exp after x/√2 and x² are rounded); a dense sweep peaks at 5.6 ULP")},
    reference=lambda x: x / 2 * sp.erfc(-x / sp.sqrt(2)),
    native=F.gelu,
    naive=lambda x: 0.5 * x * (1 + torch.erf(x / math.sqrt(2))),
)

C1 = 2 * math.sqrt(2 / math.pi)  # 0.5(1 + tanh(u)) = σ(2u), u = √(2/π)(x + 0.044715x³)
C3 = C1 * 0.044715


def _gelu_tanh_parts(x):
    xs = _sat(x)  # beyond 1e4, 2u is ±1e12: σ is exactly 0 or 1 and x³ never reaches inf
    w = xs * (C1 + C3 * xs * xs)
    dw = C1 + 3 * C3 * xs * xs
    return xs, w, dw


def _gelu_tanh_d(x):
    xs, w, dw = _gelu_tanh_parts(x)
    return _sigmoid(w) + xs * dw * _dsig(w)


def _gelu_tanh_d2(x):
    # σ'(w)(2w' + xw'' - xw'² tanh(w/2)), using σ'' = -σ' tanh(w/2)
    xs, w, dw = _gelu_tanh_parts(x)
    return _dsig(w) * (2 * dw + 6 * C3 * xs * xs - xs * dw * dw * torch.tanh(w / 2))


define(
    "gelu_tanh", family=FAMILY,
    aliases=("gelu_new", "gelu_approx", "gelu_pytorch_tanh", "gelu_python_tanh", "gelu_accurate",
             "gelu_fast"),
    summary="Tanh approximation of GELU (BERT, GPT-2): 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).",
    formula=r"\frac{x}{2}\left(1 + \tanh\left(\sqrt{2/\pi}\,(x + 0.044715 x^3)\right)\right)",
    citation="Hendrycks & Gimpel 2016, Gaussian error linear units (GELUs), arXiv:1606.08415",
    # as x·σ(2u): 1 + tanh(u) cancels to 0 for u < -9 (float32) where σ(2u) is still 1e-8.
    forward=lambda x: _lo(x) * _sigmoid(_gelu_tanh_parts(x)[1]),
    derivative=_gelu_tanh_d,
    second_derivative=_gelu_tanh_d2,
    bounds={"df:float32": Bound(7, "f' = σ(w)(1 + xw'σ(-w)) cancels ~2.5:1 on [-1.8, -1.1] and is 2.5x "
                                "as sensitive to w = 2u as to x there, and w carries ~2 ULP (rounded "
                                "constants and x³); κ < 1 excuses none of it. Dense sweep: 6.5 ULP")},
    reference=lambda x: x / 2 * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (x + sp.Float("0.044715", 50) * x**3))),
    native=lambda x: F.gelu(x, approximate="tanh"),
    naive=lambda x: 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
)


# ------------------------------------------------------------------------------------- Mish
def _mish_parts(x):
    # tanh(softplus(x)) = n/(n+2), n = e^x(e^x + 2), written in e = exp(-|x|) on both sides:
    # x < 0: n = e(e + 2); x >= 0: n/(n+2) = (1 + 2e)/(1 + 2e + 2e²). No exp of a positive, no
    # 1 - tanh² (sech²(softplus) = 4(n+1)/(n+2)² instead).
    e = torch.exp(neg_abs(x))
    n = e * (e + 2)
    neg = x < 0
    g = torch.where(neg, n / (n + 2), (1 + 2 * e) / (1 + 2 * e * (1 + e)))
    return e, n, neg, g


def _mish_d(x):
    # tanh(sp) + x sech²(sp) σ(x) = g + 4x e(1+e)/(n+2)² (x < 0) or g + 4x e²(1+e)/D² (x >= 0,
    # D = 1 + 2e + 2e²). For x < -1/2 the first cancels (2.3:1 at x = -2.6, 7 ULP); over one
    # denominator its numerator is e(4(1+x) + e(6 + 4x + e(4 + e))), whose terms share a sign
    # except near the minimum at -1.19 (a true root of f').
    e, n, neg, g = _mish_parts(x)
    xs = _sat(x)
    d = 1 + 2 * e * (1 + e)
    lo = e * (4 * (1 + xs) + e * (6 + 4 * xs + e * (4 + e))) / (n + 2) ** 2
    near = g + 4 * xs * torch.where(neg, e * (1 + e) / (n + 2) ** 2, e * e * (1 + e) / d**2)
    return torch.where(x < -0.5, lo, near)


def _mish_d2(x):
    # sech²(sp)σ(x)(2 + x(1 - σ - 2gσ)) in e; analytic because autograd of g = (1+2e)/D for
    # x > 0 forms 1 - g ≈ 2e² as a difference of O(1) terms (1e14 ULP at x = 46).
    e, n, neg, _ = _mish_parts(x)
    xs = _sat(x)
    d = 1 + 2 * e * (1 + e)  # (n + 2)e² for x >= 0
    lo = 4 * e / (n + 2) ** 2 * (2 * (1 + e) + xs * (n + 2 - 2 * n * e) / (n + 2))
    hi = 4 * e * e / d**2 * (2 * (1 + e) + xs * (2 * e * e * (e + 1) - 3 * e - 2) / d)
    return torch.where(neg, lo, hi)


define(
    "mish", family=FAMILY,
    summary="Mish x·tanh(softplus(x)): smooth, non-monotonic; minimum -0.309 at x = -1.192.",
    formula=r"x \tanh\left(\log(1 + e^{x})\right)",
    citation="Misra 2019, Mish: a self regularized non-monotonic activation function, "
    "arXiv:1908.08681 (BMVC 2020)",
    forward=lambda x: _lo(x) * _mish_parts(x)[3],
    derivative=_mish_d,
    second_derivative=_mish_d2,
    reference=lambda x: x * sp.tanh(sp_log1p(sp.exp(x))),
    native=F.mish,
    naive=lambda x: x * torch.tanh(F.softplus(x)),
)

# ------------------------------------------------------------------------- other x·g(x) gates
define(
    "lisht", family=FAMILY,
    summary="LiSHT x·tanh(x): even, non-negative, unbounded both ways (a smooth |x|).",
    formula=r"x \tanh(x)",
    citation="Roy, Manna, Dubey & Chaudhuri 2019, LiSHT: non-parametric linearly scaled "
    "hyperbolic tangent activation function for neural networks, arXiv:1901.05894",
    forward=lambda x: x * torch.tanh(x),
    derivative=lambda x: torch.tanh(x) + _sat(x) * sech2(x),
    second_derivative=lambda x: 2 * sech2(x) * (1 - _sat(x) * torch.tanh(x)),
    reference=lambda x: x * sp.tanh(x),
    naive=lambda x: x * torch.tanh(x),
)


def _tanhexp_d_parts(x):
    xs = x.clamp(-SAT, 20.0)  # tanh(e^x) = 1 and x e^x sech²(e^x) = 0 from x ≈ 4: e^x never inf
    ex = torch.exp(xs)
    return xs, ex


def _tanhexp_d(x):
    xs, ex = _tanhexp_d_parts(x)
    return torch.tanh(ex) + xs * ex * sech2(ex)


def _tanhexp_d2(x):
    # e^x sech²(e^x) (2 + x - 2x e^x tanh(e^x)). For e^x > 20, sech² (4e^(-2e^x)) goes subnormal
    # while f'' is still normal: there e^x sech²(e^x) = 4h²/(1 + e^(-2e^x))², h = e^(x/2 - e^x),
    # and h multiplies last.
    xs, ex = _tanhexp_d_parts(x)
    b = 2 + xs - 2 * xs * ex * torch.tanh(ex)
    deep = ex > 20
    h = torch.exp(torch.where(deep, xs / 2 - ex, 0))
    tail = 4 * h * b * h / (1 + torch.exp(-2 * ex)) ** 2
    return torch.where(deep, tail, ex * sech2(ex) * b)


define(
    "tanhexp", family=FAMILY, aliases=("tanh_exp",),
    summary="TanhExp x·tanh(e^x): near-linear for x > 0, a shallow dip for x < 0.",
    formula=r"x \tanh(e^{x})",
    citation="Liu & Di 2020, TanhExp: a smooth activation function with high convergence speed "
    "for lightweight neural networks, arXiv:2003.09855",
    forward=lambda x: _lo(x) * torch.tanh(torch.exp(x.clamp(max=20.0))),
    derivative=_tanhexp_d,
    second_derivative=_tanhexp_d2,
    bounds={f"df:{d}": Bound(10, "f' = tanh(e^x) + x e^x sech²(e^x): the terms cancel |x|:(|x| - 1) "
                             "for x < -1 (2.4:1 at -1.7, κ ≈ 1), each with ~2 ULP; a dense sweep of "
                             "[-4, 0.5] peaks at 8.2 (float32) / 8.1 (float64) ULP")
            for d in ("float32", "float64")},
    # for x > 100, tanh(e^x) = 1 - 2e^(-2e^x) is 1 to 10^43 digits, far beyond the oracle's
    # precision, and mpmath cannot form tanh(e^x) near x = 1e308 (MemoryError): the limit there.
    reference=lambda x: sp.Piecewise((x, x > 100), (x * sp.tanh(sp.exp(x)), True)),
    naive=lambda x: x * torch.tanh(torch.exp(x)),
)


def _serf_d(x):
    # erf(s) + x (2/√π) e^{-s²} σ(x), s = softplus(x)
    s = _softplus(x)
    return torch.erf(s) + _sat(x) * (2 / math.sqrt(math.pi)) * torch.exp(-s * s) * _sigmoid(x)


def _serf_d2(x):
    # (2/√π) e^{-s²} σ(x) (2 - 2xsσ(x) + xσ(-x)); analytic, as autograd of e^{-s²} at x = inf
    # is -2s e^{-s²} = -inf·0.
    xs = _sat(x)
    s, sig = _softplus(xs), _sigmoid(xs)
    return (2 / math.sqrt(math.pi)) * torch.exp(-s * s) * sig * (2 - 2 * xs * s * sig + xs * _sigmoid(-xs))


define(
    "serf", family=FAMILY,
    summary="SERF x·erf(softplus(x)): log-softplus error activation, Mish with erf for tanh.",
    formula=r"x \operatorname{erf}\left(\log(1 + e^{x})\right)",
    citation="Nag & Bhattacharyya 2021, SERF: towards better training of deep neural networks "
    "using log-softplus error activation function, arXiv:2108.09598",
    forward=lambda x: _lo(x) * torch.erf(_softplus(x)),
    derivative=_serf_d,
    second_derivative=_serf_d2,
    bounds={f"df:{d}": Bound(12, "f' = erf(s) + x(2/√π)e^(-s²)σ(x), s = softplus(x): for x < -1 both "
                             "terms are ∝ e^x and cancel ~|x|:(|x| - 1) (3.4:1 at x = -2, κ ≈ 1), "
                             "each with 1.5-3.5 ULP from erf∘log1p∘exp and 4 products; a dense sweep "
                             "of [-4, 0.5] peaks at 10.0 (float32) / 10.8 (float64) ULP")
            for d in ("float32", "float64")},
    reference=lambda x: x * sp.erf(sp_log1p(sp.exp(x))),
    naive=lambda x: x * torch.erf(F.softplus(x)),
)


def _elish_parts(x):
    e = torch.exp(neg_abs(x))  # e^x for x < 0, e^-x for x >= 0
    return e, x < 0


def _elish(x):
    e, neg = _elish_parts(x)
    # x < 0: (e^x - 1)σ(x) with expm1 (e^x - 1 cancels near 0); x >= 0: x/(1 + e^-x)
    return torch.where(neg, torch.expm1(neg_abs(x)) * e / (1 + e), x / (1 + e))


def _elish_d(x):
    # x < 0: e^xσ + (e^x - 1)σσ(-x) = σ(x)(e(e + 2) - 1)/(1 + e); x >= 0: SiLU'
    e, neg = _elish_parts(x)
    xs = _sat(x)
    return torch.where(neg, e / (1 + e) * ((e * (e + 2) - 1) / (1 + e)), (1 + xs * e / (1 + e)) / (1 + e))


define(
    "elish", family=FAMILY,
    summary="ELiSH: SiLU x·σ(x) for x >= 0, (e^x - 1)·σ(x) for x < 0 (ELU times the sigmoid).",
    formula=r"\begin{cases} x\,\sigma(x) & x \ge 0\\ (e^{x} - 1)\,\sigma(x) & x < 0\end{cases}",
    citation="Basirat & Roth 2018, The quest for the golden activation function, "
    "arXiv:1808.00783",
    forward=_elish,
    derivative=_elish_d,
    reference=lambda x: sp.Piecewise(((sp.exp(x) - 1) / (1 + sp.exp(-x)), x < 0),
                                     (x / (1 + sp.exp(-x)), True)),
    kinks=(0.0,),
    kink_note="f is C1 at 0 (f'(0) = 1/2 from both sides); f'' jumps from 1 (x < 0) to 1/2 "
    "(x > 0), f''(0) = 1/2 (the x >= 0 branch).",
    naive=lambda x: torch.where(x >= 0, x * torch.sigmoid(x), torch.expm1(x) * torch.sigmoid(x)),
)


def _logish_d(x):
    # log(1 + σ) + x σ(x)σ(-x)/(1 + σ), the fraction in e = exp(-|x|) with two roundings fewer:
    # e/((1 + e)(1 + 2e)) for x < 0, e/((1 + e)(2 + e)) for x >= 0.
    e = torch.exp(neg_abs(x))
    s = torch.where(x < 0, e / (1 + e), 1 / (1 + e))
    return torch.log1p(s) + _sat(x) * e / ((1 + e) * torch.where(x < 0, 1 + 2 * e, 2 + e))


define(
    "logish", family=FAMILY,
    summary="Logish x·log(1 + σ(x)): a self-gated unit with a log-sigmoid gate in [0, log 2].",
    formula=r"x \log\left(1 + \sigma(x)\right)",
    citation="Zhu et al. 2021, Logish: a new nonlinear nonmonotonic activation function for "
    "convolutional neural network, Neurocomputing",
    forward=lambda x: _lo(x) * torch.log1p(_sigmoid(x)),
    derivative=_logish_d,
    bounds={"df:float32": Bound(6, "f' = log(1 + σ) + xσσ(-x)/(1 + σ): for x < -1 both terms are ∝ e^x and "
                                "cancel ~|x|:(|x| - 1) (κ ≈ 1), each with ~1.5 ULP; a dense sweep of "
                                "[-6, 3] peaks at 4.9 ULP")},
    reference=lambda x: x * sp_log1p(1 / (1 + sp.exp(-x))),
    naive=lambda x: x * torch.log(1 + torch.sigmoid(x)),
)


def _smish_parts(x):
    # tanh(log(1 + s)) = p/(p + 2) with p = (1 + s)² - 1 = s(s + 2): no tanh of a log
    s = _sigmoid(x)
    p = s * (s + 2)
    return s, p


def _smish_d(x):
    # p/(p+2) + x sech²(log(1+s)) σ'/(1+s) = p/(p+2) + 4x(1+s)σ(x)σ(-x)/(p+2)². For x < 0 the two
    # terms cancel for x < -1 (2.6:1 at x = -2.4, 7 ULP); over one denominator, with σ(-x) = 1 - s,
    # the numerator is s(4(1+x) + s(6 + s(4(1-x) + s))), one sign except near the minimum. (Not
    # for x > 0: there it hides 4x(1 - s²), which cancels as s -> 1.)
    s, p = _smish_parts(x)
    xs = _sat(x)
    lo = s * (4 * (1 + xs) + s * (6 + s * (4 * (1 - xs) + s))) / (p + 2) ** 2
    return torch.where(x < -1, lo, p / (p + 2) + 4 * xs * (1 + s) * _dsig(x) / (p + 2) ** 2)


define(
    "smish", family=FAMILY,
    summary="Smish x·tanh(log(1 + σ(x))): Logish's gate squashed by tanh.",
    formula=r"x \tanh\left(\log(1 + \sigma(x))\right)",
    citation="Wang, Ren & Wang 2022, Smish: a novel activation function for deep learning "
    "methods, Electronics 11(4):540",
    forward=lambda x: _lo(x) * (lambda s, p: p / (p + 2))(*_smish_parts(x)),
    derivative=_smish_d,
    reference=lambda x: x * sp.tanh(sp_log1p(1 / (1 + sp.exp(-x)))),
    naive=lambda x: x * torch.tanh(torch.log(1 + torch.sigmoid(x))),
)
