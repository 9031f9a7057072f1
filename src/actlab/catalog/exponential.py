"""Exponential activations: ELU and its relatives, softplus-like rectifiers, e^x and exp(-x²)."""

from __future__ import annotations

import math

import torch.nn.functional as F

from ..numerics.stable import hypot, keep_nan, neg_abs, pos_part
from ..numerics.stable import sigmoid as _sigmoid
from ..numerics.stable import softplus as _softplus
from ..registry import get_spec
from ._define import Domain, Param, define, sp, sp_log1p, torch

__all__: list[str] = []  # importing this module registers its activations; nothing else is public

FAMILY = "exponential"
POSITIVE = Domain(low=0.0)
NONNEGATIVE = Domain(low=0.0, low_closed=True)
NONZERO = Domain(exclude=(0.0,))
LN2 = math.log(2.0)


def _nonpos(x):
    # min(x, 0) for the exp branch of a piecewise f: the double-where trick. The untaken branch is
    # still computed, and exp/expm1 of a large x there is inf, whose gradient 0·inf poisons f''.
    return torch.where(x > 0, 0, x)


def _exp_lo(u, lo=-2000.0):
    # u clamped from below where it only multiplies exp(u) (u·e^u): e^-2000 is 0 in every dtype,
    # and -inf·0 = NaN at u = -inf otherwise.
    return u.clamp(min=lo)


# e^v - 1 - v = v² Σ v^k/(k+2)! for |v| <= 1: expm1(v) - v cancels to ~v²/2 near 0 (relative
# error ~2ε/|v|), while the series has no cancellation there (and 1/19! < ε/16 truncates it).
_EXPM1MX_C = [1.0 / math.factorial(k + 2) for k in range(18)]


def _expm1mx(v, em=None):
    """e^v - 1 - v, accurate for all v < +inf (series for |v| <= 1, expm1(v) - v beyond).
    ``em``: expm1(v), if the caller has it already."""
    small = v.abs() <= 1
    vs = torch.where(small, v, 0)
    # terms up to v^(n+1)/(n+1)!: the truncation, below 2/(n+2)! relative, is under half an
    # ULP with 10 terms in float32 (and the half types, computed in float32), 18 in float64
    coefs = _EXPM1MX_C if v.dtype == torch.float64 else _EXPM1MX_C[:10]
    p = torch.zeros_like(vs) + coefs[-1]
    for c in reversed(coefs[:-1]):
        p = p * vs + c
    big = (torch.expm1(v) if em is None else em) - v
    # v·(v·p), not v²·p: the value may be subnormal and v² would round twice.
    return torch.where(small, vs * (vs * p), big)


# --------------------------------------------------------------------------------------- ELU
define(
    "elu", family=FAMILY, aliases=("exponential_linear_unit",),
    summary="Exponential linear unit: x for x > 0, α(e^x - 1) for x <= 0; saturates to -α.",
    formula=r"\begin{cases}x & x > 0\\ \alpha(e^{x} - 1) & x \le 0\end{cases}",
    citation="Clevert, Unterthiner & Hochreiter 2016, Fast and accurate deep network learning by "
    "exponential linear units (ELUs), ICLR",
    params=[Param("alpha", 1.0, learnable=True, doc="the negative saturation value -alpha.")],
    forward=lambda x, alpha: torch.where(x > 0, x, alpha * torch.expm1(_nonpos(x))),
    derivative=lambda x, alpha: torch.where(x > 0, 1, alpha * torch.exp(_nonpos(x))),
    param_grads={"alpha": lambda x, alpha: torch.where(x > 0, 0, torch.expm1(_nonpos(x)))},
    reference=lambda x, alpha: sp.Piecewise((alpha * (sp.exp(x) - 1), x <= 0), (x, True)),
    native=lambda x, alpha: F.elu(x, alpha),
    naive=lambda x, alpha: torch.where(x > 0, x, alpha * (torch.exp(x) - 1)),
    kinks=(0.0,),
    kink_note="f'(0) = alpha (the x <= 0 branch, as torch); C1 only for alpha = 1.",
)

# -------------------------------------------------------------------------------------- SELU
# The fixed-point constants of Klambauer et al. (the values torch uses, to 32 digits).
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_SA = 1.7580993408473768599402175208123  # λα correctly rounded, not λ·α rounded twice


def _selu_constants():
    # α01 and λ01 from their closed forms (Klambauer et al. 2017, eq. 14), not the decimals.
    e1, e2, pi = sp.erfc(1 / sp.sqrt(2)), sp.erfc(sp.sqrt(2)), sp.pi
    alpha = -sp.sqrt(2 / pi) / (e1 * sp.exp(sp.Rational(1, 2)) - 1)
    lam = (1 - e1 * sp.sqrt(sp.E)) * sp.sqrt(2 * pi) * (
        2 * e2 * sp.E**2 + pi * e1**2 * sp.E - 2 * (2 + pi) * e1 * sp.sqrt(sp.E) + pi + 2
    ) ** sp.Rational(-1, 2)
    return alpha, lam


def _selu_ref(x):
    alpha, lam = _selu_constants()
    return sp.Piecewise((lam * alpha * (sp.exp(x) - 1), x <= 0), (lam * x, True))


define(
    "selu", family=FAMILY, aliases=("scaled_elu",),
    summary="Scaled ELU, λ·elu(x, α) with the constants that make activations self-normalizing.",
    formula=r"\lambda\begin{cases}x & x > 0\\ \alpha(e^{x} - 1) & x \le 0\end{cases},\ "
    r"\alpha \approx 1.6733,\ \lambda \approx 1.0507",
    citation="Klambauer, Unterthiner, Mayr & Hochreiter 2017, Self-normalizing neural networks, "
    "NeurIPS",
    forward=lambda x: torch.where(x > 0, _SELU_SCALE * x, _SELU_SA * torch.expm1(_nonpos(x))),
    derivative=lambda x: torch.where(x > 0, _SELU_SCALE, _SELU_SA * torch.exp(_nonpos(x))),
    reference=_selu_ref,
    native=F.selu,
    naive=lambda x: _SELU_SCALE * torch.where(x > 0, x, _SELU_ALPHA * (torch.exp(x) - 1)),
    kinks=(0.0,),
    kink_note="f'(0) = λα ≈ 1.7581 (the x <= 0 branch, as torch).",
    notes="The oracle computes α and λ from the paper's closed forms (eq. 14), which agree with "
    "torch's 32-digit constants to all their digits.",
)


# -------------------------------------------------------------------------------------- CELU
def _celu_d_alpha(x, alpha):
    # d/dα [α(e^u - 1)], u = x/α, is expm1(u) - u e^u, which cancels to -u²/2 near u = 0. Written
    # -e^u (e^{-u} - 1 + u) it is a product with no cancellation for u >= -2; below that the
    # direct form is fine (and e^{-u} would overflow).
    u = _nonpos(x) / alpha
    near = u >= -2
    un = torch.where(near, u, 0)
    uf = _exp_lo(torch.where(near, -2, u))
    d = torch.where(near, -torch.exp(un) * _expm1mx(-un), torch.expm1(uf) - uf * torch.exp(uf))
    return torch.where(x > 0, 0, d)


define(
    "celu", family=FAMILY,
    summary="Continuously differentiable ELU: α(e^{x/α} - 1) for x <= 0, so f'(0) = 1 for any α.",
    formula=r"\max(0, x) + \min\left(0, \alpha\left(e^{x/\alpha} - 1\right)\right)",
    citation="Barron 2017, Continuously differentiable exponential linear units, arXiv:1704.07483",
    params=[Param("alpha", 1.0, NONZERO, learnable=True,
                  doc="negative saturation -alpha and the scale of the exponential.")],
    forward=lambda x, alpha: torch.where(x > 0, x, alpha * torch.expm1(_nonpos(x) / alpha)),
    derivative=lambda x, alpha: torch.where(x > 0, 1, torch.exp(_nonpos(x) / alpha)),
    param_grads={"alpha": _celu_d_alpha},
    reference=lambda x, alpha: sp.Piecewise((alpha * (sp.exp(x / alpha) - 1), x <= 0), (x, True)),
    native=lambda x, alpha: F.celu(x, alpha),
    naive=lambda x, alpha: torch.clamp(x, min=0) + torch.clamp(alpha * (torch.exp(x / alpha) - 1), max=0),
    kinks=(0.0,),
    kink_note="C1 at 0 (f'(0) = 1); f'' jumps from 1/alpha to 0.",
)


# ---------------------------------------------------------------------------------- softplus
def _softplus_b(x, beta):
    # max(x, 0) + log1p(e^{-β|x|})/β: never forms βx, which overflows for β > 1 at x near max.
    return pos_part(x) + _softplus(beta * neg_abs(x)) / beta


def _softplus_d_beta(x, beta):
    # (βx σ(βx) - softplus(βx))/β² cancels for βx >> 1; with n = -|x| it is the sum of two
    # same-sign terms, (n σ(βn) - softplus(βn)/β)/β (the function is even in x).
    # Where e^{βn} is subnormal (βn = -100 in float32) σ and softplus are both e^{βn}, which has
    # lost digits that the result keeps (470 ULP at β = 0.0316): there it is
    # ((n - 1/β)h)(h/β) with h = e^{βn/2}.
    n = neg_abs(x)
    nc = n.clamp(min=torch.finfo(x.dtype).min)  # -inf·σ(-inf) = NaN; the limit is 0
    t = beta * n
    h = torch.exp(t / 2)
    deep = ((nc - 1 / beta) * h) * (h / beta)
    return torch.where(h * h < torch.finfo(x.dtype).tiny, deep,
                       (nc * _sigmoid(t) - _softplus(t) / beta) / beta)


def _softplus_ref(x, beta):
    # log1p(z) is log(1 + z); mpmath's log(1 + e^{βx}) drops e^{βx} < 10^-dps at the oracle's
    # starting precision, and df/dβ = (βx σ(βx) - log(1 + e^{βx}))/β² then "converges" to
    # x σ(βx)/β at x = -215, off by 1/216 (ULP 1e11). log1p keeps the tiny argument.
    return sp_log1p(sp.exp(beta * x)) / beta


define(
    "softplus", family=FAMILY, aliases=("smooth_relu",),
    summary="Softplus (1/β)·log(1 + e^{βx}): a smooth ReLU, the antiderivative of the sigmoid.",
    formula=r"\frac{1}{\beta}\log\left(1 + e^{\beta x}\right)",
    citation="Dugas, Bengio, Bélisle, Nadeau & Garcia 2001, Incorporating second-order functional "
    "knowledge for better option pricing, NeurIPS; Glorot, Bordes & Bengio 2011, Deep sparse "
    "rectifier neural networks, AISTATS",
    params=[Param("beta", 1.0, POSITIVE, learnable=True, doc="sharpness; beta -> inf gives ReLU.")],
    forward=_softplus_b,
    derivative=lambda x, beta: _sigmoid(beta * x),
    param_grads={"beta": _softplus_d_beta},
    reference=_softplus_ref,
    native=lambda x, beta: F.softplus(x, beta),
    naive=lambda x, beta: torch.log(1 + torch.exp(beta * x)) / beta,
    notes="No threshold switch: torch's F.softplus returns x once βx > 20, which is off by "
    "up to ~1e6 ULP in float64 for βx in (20, 37).",
)


# -------------------------------------------------------------------------- shifted softplus
_SSP_CAP = 40.0


def _shifted_softplus(x):
    # softplus(x) - log 2 cancels near 0, where it is ≈ x/2: write it log((1 + e^x)/2) =
    # log1p(expm1(x)/2), exact in relative terms. expm1 overflows for large x; beyond 40,
    # f(x) = f(40) + (x - 40) up to log1p(e^-40) = 4e-18, below half an ULP of f >= 39 in
    # float64. Two transcendentals, as log(1 + e^x); not a second branch with exp and log1p.
    excess = (x - _SSP_CAP).clamp(min=0)  # 0 at -inf too, where x - min(x, 40) is NaN
    return torch.log1p(torch.expm1(x.clamp(max=_SSP_CAP)) / 2) + excess


define(
    "shifted_softplus", family=FAMILY, aliases=("ssp",),
    summary="Shifted softplus log(1 + e^x) - log 2: a smooth ReLU-like unit with f(0) = 0.",
    formula=r"\log\left(1 + e^{x}\right) - \log 2",
    citation="Schütt, Kindermans, Sauceda, Chmiela, Tkatchenko & Müller 2017, SchNet: a "
    "continuous-filter convolutional neural network for modeling quantum interactions, NeurIPS",
    forward=_shifted_softplus,
    derivative=_sigmoid,
    second_derivative=lambda x: _sigmoid(x) * _sigmoid(-x),
    reference=lambda x: sp.log(1 + sp.exp(x)) - sp.log(2),
    native=lambda x: F.softplus(x) - LN2,
    naive=lambda x: torch.log(1 + torch.exp(x)) - LN2,
)

# ------------------------------------------------------------------------------- exponential
define(
    "exponential", family=FAMILY, aliases=("exp",),
    summary="The exponential e^x (Keras' 'exponential' activation): positive, unbounded.",
    formula=r"e^{x}",
    citation="Chollet et al. 2015, Keras: keras.activations.exponential",
    forward=torch.exp,
    derivative=torch.exp,
    second_derivative=torch.exp,
    reference=lambda x: sp.exp(x),
    native=torch.exp,
)

# ------------------------------------------------------------------------------------- ISRLU
_isru = get_spec("isru")  # x/sqrt(1 + αx²) without overflowing αx² (sigmoidal.py)

define(
    "isrlu", family=FAMILY, aliases=("inverse_square_root_linear_unit",),
    summary="Inverse square root linear unit: x for x >= 0, x/sqrt(1 + αx²) (→ -1/sqrt(α)) below.",
    formula=r"\begin{cases}x & x \ge 0\\ \frac{x}{\sqrt{1 + \alpha x^2}} & x < 0\end{cases}",
    citation="Carlile, Delamarter, Kinney, Marti & Whitney 2017, Improving deep learning by "
    "inverse square root linear units (ISRLUs), arXiv:1710.09967",
    params=[Param("alpha", 1.0, POSITIVE, learnable=True,
                  doc="sets the negative saturation -1/sqrt(alpha).")],
    forward=lambda x, alpha: torch.where(x >= 0, x, _isru.forward(x, alpha)),
    derivative=lambda x, alpha: torch.where(x >= 0, 1, _isru.derivative(x, alpha)),
    second_derivative=lambda x, alpha: torch.where(x >= 0, 0, _isru.second_derivative(x, alpha)),
    param_grads={"alpha": lambda x, alpha: torch.where(x >= 0, 0, _isru.param_grads["alpha"](x, alpha))},
    reference=lambda x, alpha: sp.Piecewise((x, x >= 0), (x / sp.sqrt(1 + alpha * x**2), True)),
    naive=lambda x, alpha: torch.where(x >= 0, x, x / torch.sqrt(1 + alpha * x * x)),
    kinks=(0.0,),
    kink_note="C2 at 0: f'(0) = 1, f''(0) = 0 from both sides; f''' jumps from -3α to 0.",
)


# -------------------------------------------------------------------------------- squareplus
def _sqp_parts(x, b):
    # r = sqrt(x² + b) as hypot(x, sqrt b): x² overflows for |x| > 1.3e154 (float64).
    # f = (x + r)/2 cancels for x << 0: there use the conjugate b/(2(r - x)), as (b/4)/(r/2 - x/2)
    # so r - x cannot overflow at x near -max. f' = (r + x)/(2r) = f/r, but for x >= 0 as
    # (1 + x/r)/2 with x/r = ±1 where r is inf (x = ±inf: inf/inf), 0 where r = 0 (x = b = 0).
    b = torch.as_tensor(b, dtype=x.dtype, device=x.device)
    s = torch.sqrt(b)
    r = hypot(s, x)
    pos = x >= 0
    # (the conjugate's denominator is 1 where unused: r - x rounds to 0 at x = 1e4 in float32,
    # and b/0's infinite slope made the double backward 0·inf = NaN; above x = -1 it is
    # (r - x)/2, as r/2 - x/2 is 0 at the smallest subnormal x, 0/0 with b = 0)
    half_gap = torch.where(x > -1, (r - x) / 2, r / 2 - x / 2)
    f = torch.where(pos, x / 2 + r / 2, (b / 4) / torch.where(pos, 1, half_gap))
    edge = torch.isinf(r) | (r == 0)
    ratio = torch.where(edge, torch.sign(x), x / torch.where(edge, 1, r))
    df = torch.where(pos, (1 + ratio) / 2, f / r)
    return f, df, r, b


define(
    "squareplus", family=FAMILY,
    summary="Squareplus (x + sqrt(x² + b))/2: an algebraic softplus (no exp), ReLU for b = 0.",
    formula=r"\frac{x + \sqrt{x^2 + b}}{2}",
    citation="Barron 2021, Squareplus: a softplus-like algebraic rectifier, arXiv:2112.11687",
    params=[Param("b", 4.0, NONNEGATIVE, doc="curvature near 0; f(0) = sqrt(b)/2.")],
    forward=lambda x, b: _sqp_parts(x, b)[0],
    derivative=lambda x, b: _sqp_parts(x, b)[1],
    # b/(2r³) as three divisions: r³ overflows for r > 5.6e102 (float64).
    second_derivative=lambda x, b: (lambda f, df, r, bb: bb / 2 / r / r / r)(*_sqp_parts(x, b)),
    # 1/(4r) as 0.25/r (4r overflows at r near max), a tensor division: torch takes a Python
    # number over a tensor as number·(1/r), and 1/r overflows at subnormal r (x = 5e-309, b = 0)
    param_grads={"b": lambda x, b: (lambda r: torch.full_like(r, 0.25) / r)(_sqp_parts(x, b)[2])},
    reference=lambda x, b: (x + sp.sqrt(x**2 + b)) / 2,
    naive=lambda x, b: (x + torch.sqrt(x * x + b)) / 2,
    notes="For b = 0 (ReLU) f'(0) is 1/2.",
)


# ---------------------------------------------------------------------------------- gaussian
_G_CLAMP = 40.0  # exp(-40²) = 0 in every dtype; clamping keeps ±inf·0 out of x·e^{-x²}


def _gauss_d(x):
    xc = x.clamp(-_G_CLAMP, _G_CLAMP)
    return -2 * xc * torch.exp(-xc * xc)


def _gauss_d2(x):
    xc = x.clamp(-_G_CLAMP, _G_CLAMP)
    return (4 * xc * xc - 2) * torch.exp(-xc * xc)


define(
    "gaussian", family=FAMILY,
    summary="Gaussian radial basis unit exp(-x²): a bump of height 1 at 0, non-monotonic.",
    formula=r"e^{-x^2}",
    citation="Broomhead & Lowe 1988, Multivariable functional interpolation and adaptive "
    "networks, Complex Systems 2",
    forward=lambda x: torch.exp(-x * x),
    derivative=_gauss_d,
    second_derivative=_gauss_d2,
    reference=lambda x: sp.exp(-x**2),
)


# -------------------------------------------------------------------------------------- PELU
def _over(x, b):
    # x/b with 0 at x = 0: a b below the dtype's range (1e-300 in float32) is 0 there, and 0/0
    # would make f(0), f'(0) and the parameter gradients NaN where they are 0.
    return torch.where(x == 0, x, x / b)


def _pelu_slope(x, a, b):
    # a/b as a tensor of x's dtype: a Python 1e300 is inf in float32 (the true f'(0) overflows
    # too), where torch.where(cond, 1e300, t) raised "cannot be converted without overflow".
    ab = a / b
    if isinstance(ab, torch.Tensor):
        return ab.to(x.dtype)
    return torch.tensor(ab, dtype=x.dtype, device=x.device)


def _log_param(p, x):
    return torch.log(p.to(x.dtype)) if isinstance(p, torch.Tensor) else math.log(p)


def _pelu_exp(x, a, b, k):
    # (a/b^k)e^{x/b} for x <= 0 (k = 1: f', k = 2: f''). Where e^{x/b} is below the normal range
    # a/b^k may still lift it back (b = 1e-300: f'' = 1e600·e^{x/b}, 1e-193 at x = -1.8e-297,
    # where e^{x/b} is 0): there e^{x/b + log a - k log b}, whose argument's rounding is within
    # the condition number |x/b| > 708 of the result. 0 where x/b = -inf (x = -inf, or a b that
    # is 0 in the dtype), not inf·0 = NaN.
    v = _nonpos(x) / b
    e = torch.exp(v)
    ab = _pelu_slope(x, a, b)
    near = ab * e if k == 1 else (ab * e) / b
    far = torch.exp(v + (_log_param(a, x) - k * _log_param(b, x)))
    far = torch.where(torch.isinf(v), torch.zeros_like(v), far)
    return torch.where(e >= torch.finfo(x.dtype).tiny, near, far)


def _pelu_d(x, a, b):
    # (a/b)e^{x/b} for x < 0
    return torch.where(x >= 0, _pelu_slope(x, a, b), _pelu_exp(x, a, b, 1))


def _pelu(x, a, b):
    return torch.where(x >= 0, torch.where(x == 0, x, a * (x / b)), a * torch.expm1(_nonpos(x) / b))


def _pelu_d2(x, a, b):
    # (a/b²)e^{x/b} for x < 0 as ((a/b)e^{x/b})/b, 0 for x >= 0 (the x >= 0 branch at the kink).
    # Analytic: autograd of e^{x/b} is e·(1/b) = 0·inf = NaN for a b that is 0 in the dtype.
    return keep_nan(x, torch.where(x >= 0, torch.zeros_like(x), _pelu_exp(x, a, b, 2)))


def _pelu_d_b(x, a, b):
    # -a x/b² (x >= 0), -(a/b)(x/b) e^{x/b} (x < 0): both -(x/b)·f'(x) (0 at x = 0). Where x/b
    # is subnormal it has lost digits the result keeps once multiplied by a/b (16 ULP at
    # x = -1.6e-316, b = 0.0316): there e^{x/b} = 1 and the result is -x·(a/b²), rounded once.
    v = _over(x, b)
    scaled = -(x * (_pelu_slope(x, a, b) / b))
    out = torch.where(v.abs() < torch.finfo(x.dtype).tiny, scaled, -_exp_lo(v) * _pelu_d(x, a, b))
    return torch.where(x == 0, torch.zeros_like(x), out)


define(
    "pelu", family=FAMILY, aliases=("parametric_elu",),
    summary="Parametric ELU: (a/b)x for x >= 0, a(e^{x/b} - 1) below; C1 at 0 for all a, b.",
    formula=r"\begin{cases}\frac{a}{b}x & x \ge 0\\ a\left(e^{x/b} - 1\right) & x < 0\end{cases}",
    citation="Trottier, Giguère & Chaib-draa 2017, Parametric exponential linear unit for deep "
    "convolutional neural networks, ICMLA",
    params=[Param("a", 1.0, POSITIVE, learnable=True, doc="negative saturation -a (and slope a/b)."),
            Param("b", 1.0, POSITIVE, learnable=True, doc="scale of the exponential decay.",
                  float32_finite=True)],  # b = inf: x/b is NaN at x = -inf, where f -> -a
    learn_by_default=True,
    forward=_pelu,
    derivative=_pelu_d,
    second_derivative=_pelu_d2,
    param_grads={
        "a": lambda x, a, b: torch.where(x >= 0, _over(x, b), torch.expm1(_nonpos(x) / b)),
        "b": _pelu_d_b,
    },
    reference=lambda x, a, b: sp.Piecewise((a / b * x, x >= 0), (a * (sp.exp(x / b) - 1), True)),
    naive=lambda x, a, b: torch.where(x >= 0, (a / b) * x, a * (torch.exp(x / b) - 1)),
    kinks=(0.0,),
    kink_note="C1 at 0 (f'(0) = a/b from both sides); f'' jumps from a/b² to 0.",
)


# ------------------------------------------------------------------------------------- xIELU
def _xielu(x, alpha_p, alpha_n, beta):
    # x > 0: x(α_p x + β), not α_p x² + βx: x² overflows before the result does.
    # x <= 0: α_n(e^x - 1 - x) + βx, the sum of a positive and a negative part. Near 0 that form
    # is best (e^x - 1 - x ≈ x²/2 is computed without cancellation); once β|x| > α_n|e^x - 1|
    # the regrouped α_n(e^x - 1) + (β - α_n)x cancels less, and is finite at x = -inf.
    xn = _nonpos(x)
    em = torch.expm1(xn)
    near = beta * xn >= alpha_n * em
    neg = torch.where(near, alpha_n * _expm1mx(xn, em) + beta * xn, alpha_n * em + (beta - alpha_n) * xn)
    return torch.where(x > 0, x * (alpha_p * x + beta), neg)


def _xielu_d(x, alpha_p, alpha_n, beta):
    # x <= 0: α_n e^x + (β - α_n) or α_n expm1(x) + β, the same value: per point the sum whose
    # terms are smaller, so cancels less. The first is better near the root of f' for the
    # defaults; the second near 0 when α_n >> β (α_n = 5.99, β = 0.43: the first cancels
    # 14-fold there, 18 ULP in float32). f'' is analytic, so autograd of expm1 is not used.
    xn = _nonpos(x)
    e, em = torch.exp(xn), torch.expm1(xn)
    a = alpha_n * e + (beta - alpha_n)
    b = alpha_n * em + beta
    use_b = abs(alpha_n * em) + abs(beta) < alpha_n * e + abs(beta - alpha_n)
    return torch.where(x > 0, 2 * alpha_p * x + beta, torch.where(use_b, b, a))


define(
    "xielu", family=FAMILY,
    summary="xIELU: α_p x² + βx for x > 0, α_n(e^x - 1 - x) + βx for x <= 0 (integrated ELU).",
    formula=r"\begin{cases}\alpha_p x^2 + \beta x & x > 0\\ "
    r"\alpha_n\left(e^{x} - 1 - x\right) + \beta x & x \le 0\end{cases}",
    citation="Huang & Schlag 2025, Deriving activation functions using integration, "
    "arXiv:2411.13010",
    params=[Param("alpha_p", 0.8, POSITIVE, learnable=True, doc="curvature for x > 0."),
            Param("alpha_n", 0.8, POSITIVE, learnable=True, doc="weight of the exponential part "
                  "for x <= 0."),
            Param("beta", 0.5, doc="linear coefficient (slope at 0).")],
    learn_by_default=True,
    forward=_xielu,
    derivative=_xielu_d,
    second_derivative=lambda x, alpha_p, alpha_n, beta: torch.where(
        x > 0, 2 * alpha_p, alpha_n * torch.exp(_nonpos(x))),
    param_grads={
        "alpha_p": lambda x, alpha_p, alpha_n, beta: torch.where(x <= 0, 0, x * x),  # NaN stays NaN
        "alpha_n": lambda x, alpha_p, alpha_n, beta: torch.where(x > 0, 0, _expm1mx(_nonpos(x))),
        "beta": lambda x, alpha_p, alpha_n, beta: x.clone(),
    },
    reference=lambda x, alpha_p, alpha_n, beta: sp.Piecewise(
        (alpha_n * (sp.exp(x) - 1 - x) + beta * x, x <= 0), (alpha_p * x**2 + beta * x, True)),
    naive=lambda x, alpha_p, alpha_n, beta: torch.where(
        x > 0, alpha_p * x * x + beta * x, alpha_n * (torch.expm1(x) - x) + beta * x),
    kinks=(0.0,),
    kink_note="C1 at 0 (f'(0) = beta from both sides); f'' jumps from alpha_n to 2 alpha_p.",
    notes="α_p and α_n are exposed directly; the paper trains them as α_p = softplus(a_p) and "
    "α_n = β + softplus(a_n) and uses expm1(min(x, eps)) with a tiny eps < 0, where this uses "
    "the exact e^x - 1 - x (computed without its cancellation near 0).",
)
