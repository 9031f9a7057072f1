"""Activations other libraries ship that the catalog lacked: JAX's log1mexp, Keras's general
relu, TF Addons' asymmetric shrinkage, Hugging Face's laplace, gelu_10 and sqrtsoftplus, and
timm's hard mish. Each is written from the library's documented formula (cited), with the
library's own defaults, so that the peer's name resolves to exactly its function."""

from __future__ import annotations

import math
import sys

import torch.nn.functional as F

from ..numerics.stable import SQRT_2, keep_nan, neg_abs, pos_part, select, step, zero
from ..registry import get_spec
from ..spec import POSITIVE
from ._define import Bound, Param, Relation, define, sp, sp_log1p, torch

__all__: list[str] = []  # importing this module registers its activations; nothing else is public

FMAX = sys.float_info.max  # "no cap": Keras's max_value=None


def _t(v, x):
    return torch.as_tensor(v, dtype=x.dtype, device=x.device)


# ------------------------------------------------------------------------------ log1mexp
LN2 = math.log(2)


def _half_tanh(a):
    # t = tanh(a/2): 1 - e^-a = 2t/(1 + t) and e^-a = (1 - t)/(1 + t) without expm1 (which
    # inductor lowers as exp - 1 in a user's compiled graph, cancelling near 0)
    return torch.tanh(a / 2)


def _log1mexp(x):
    # log(1 - e^-|x|) (Mächler 2012): up to ln 2 as log(2t) - log1p(t), t = tanh(|x|/2) (a
    # negative minus a positive: no cancellation), beyond as log1p(-e^-|x|).
    # Below 1e-3, log a - a/2 + a²/24 - a⁴/2880 (next term a⁶/181440): a/2 underflows for
    # subnormal a, where log(2t) would be log 0.
    a = x.abs()
    t = _half_tanh(torch.clamp(a, max=LN2))
    s = torch.clamp(a, max=1e-3)
    tiny = torch.log(s) + s * (-0.5 + s * (1 / 24 - s * s / 2880))
    mid = torch.where(a < 1e-3, tiny, torch.log(2 * t) - torch.log1p(t))
    return torch.where(a <= LN2, mid, torch.log1p(-torch.exp(-a)))


def _log1mexp_d(x):
    # sign(x) e^-a/(1 - e^-a): (1 - t)/(2t) up to ln 2, e^-a/(1 - e^-a) beyond (e^-a < 1/2)
    a = x.abs()
    t = _half_tanh(torch.clamp(a, max=LN2))
    e = torch.exp(-torch.clamp(a, min=LN2))
    g = torch.where(a <= LN2, (1 - t) / (2 * t), e / (1 - e))
    return torch.sign(x) * g


def _log1mexp_d2(x):
    # -e^-a/(1 - e^-a)² (even): -(1 - t²)/(4t²) up to ln 2, beyond directly
    a = x.abs()
    t = _half_tanh(torch.clamp(a, max=LN2))
    e = torch.exp(-torch.clamp(a, min=LN2))
    return torch.where(a <= LN2, -((1 - t) * (1 + t)) / (4 * t * t), -(e / (1 - e)) / (1 - e))


define(
    "log1mexp", family="exponential", aliases=("log_one_minus_exp",),
    summary="log(1 - e^-|x|), computed without cancellation; JAX's log1mexp for x >= 0.",
    formula=r"\log\left(1 - e^{-|x|}\right)",
    citation="Mächler 2012, Accurately computing log(1 - exp(-|a|)), assessed by the Rmpfr "
    "package, CRAN vignette; JAX jax.nn.log1mexp",
    forward=_log1mexp,
    derivative=_log1mexp_d,
    second_derivative=_log1mexp_d2,
    reference=lambda x: sp.Piecewise((sp_log1p(-sp.exp(x)), x < 0), (sp_log1p(-sp.exp(-x)), True)),
    kinks=(0.0,),
    kink_note="f(0) = -inf; f' has a pole of opposite signs there and is NaN at 0 (0·inf).",
    notes="JAX defines log1mexp for x >= 0 only (NaN below); this is Mächler's log(1 - e^-|a|), "
    "equal to JAX's on x >= 0 and even, so that it is defined (and differentiable) off 0.",
    naive=lambda x: torch.log(1 - torch.exp(-x.abs())),
)


# -------------------------------------------------------------------------- Keras relu
def _general_relu(x, negative_slope, threshold, max_value):
    # slope·(x - t) below the threshold; a zero slope gives 0 there even where x - t overflows
    # (x = -inf, or -max - 1e300: not 0·inf), signed as the product.
    s = _t(negative_slope, x)
    d = x - threshold
    low = torch.where((s == 0) & torch.isinf(d), s * torch.sign(d), s * d)
    top = _t(max_value, x)
    return torch.where(x <= threshold, low, torch.where(x >= top, top.expand_as(x), x))


def _general_relu_d(x, negative_slope, threshold, max_value):
    inner = select(x >= max_value, 0.0, 1.0, like=x)
    return keep_nan(x, torch.where(x <= threshold, _t(negative_slope, x).expand_as(x), inner))


def _threshold_below_max(negative_slope: float, threshold: float, max_value: float) -> bool:
    return threshold < max_value


define(
    "general_relu", family="rectifier", aliases=("keras_relu", "relu_general"),
    summary="Keras's general ReLU: slope·(x - t) up to the threshold t, then x, capped at max_value.",
    formula=r"\begin{cases}a\,(x - t) & x \le t\\ x & t < x < m\\ m & x \ge m\end{cases}",
    citation="Keras 3 keras.activations.relu(x, negative_slope, max_value, threshold) (Chollet et "
    "al. 2015-2024); Nair & Hinton 2010, Rectified linear units improve restricted Boltzmann "
    "machines, ICML",
    params=[Param("negative_slope", 0.0, learnable=True, doc="slope below the threshold."),
            Param("threshold", 0.0, doc="inputs at or below it take the sloped branch."),
            Param("max_value", FMAX, doc="saturation value (Keras's None, no cap, is the largest "
                                         "double).")],
    relations=[Relation(_threshold_below_max, "threshold < max_value",
                        "pass a max_value above the threshold")],
    forward=_general_relu,
    derivative=_general_relu_d,
    second_derivative=lambda x, negative_slope, threshold, max_value: zero(x),
    param_grads={
        "negative_slope": lambda x, negative_slope, threshold, max_value: keep_nan(
            x, torch.where(x <= threshold, x - threshold, torch.zeros_like(x))),
        "threshold": lambda x, negative_slope, threshold, max_value: keep_nan(
            x, torch.where(x <= threshold, -_t(negative_slope, x).expand_as(x), torch.zeros_like(x))),
        "max_value": lambda x, negative_slope, threshold, max_value: step(x >= max_value, 1.0, 0.0, x),
    },
    reference=lambda x, negative_slope, threshold, max_value: sp.Piecewise(
        (negative_slope * (x - threshold), x <= threshold), (max_value, x >= max_value), (x, True)),
    kinks=lambda negative_slope, threshold, max_value: (threshold, max_value),
    kink_note="f(t) = 0 and f'(t) = negative_slope (the lower branch, as Keras computes "
    "x·[x > t] - a·relu(t - x) and as torch's leaky_relu at 0); discontinuous at t unless t = 0; "
    "f'(max_value) = 0 (as torch's clamp/hardtanh).",
    notes="Keras's documented formula; with all defaults it is relu, with max_value=6 relu6, with "
    "a slope alone leaky_relu. Keras's implementation also clips x in (t, 0) to 0 when t < 0 and a "
    "max_value is given; this follows the documented x there.",
    naive=lambda x, negative_slope, threshold, max_value: torch.where(
        x > threshold, torch.minimum(x, _t(max_value, x)), negative_slope * (x - threshold)),
)


# ------------------------------------------------------------- TF Addons asymmetric shrinkage
def _lower_le_upper(lower: float, upper: float) -> bool:
    return lower <= upper


_ORDER = Relation(_lower_le_upper, "lower <= upper", "pass a lower no larger than upper (TF Addons "
                  "raises likewise)")
_SHRINK_PARAMS = [Param("lower", -0.5, doc="lower threshold."),
                  Param("upper", 0.5, doc="upper threshold (>= lower).")]


def _inside(x, lower, upper):
    return (x >= lower) & (x <= upper)


define(
    "asymmetric_hardshrink", family="hard", aliases=("hardshrink_asymmetric", "tfa_hardshrink"),
    summary="Hard shrinkage with separate thresholds: x outside [lower, upper], 0 inside.",
    formula=r"\begin{cases}x & x < l \text{ or } x > u\\ 0 & l \le x \le u\end{cases}",
    citation="TF Addons tfa.activations.hardshrink(x, lower, upper) (2019); Donoho & Johnstone "
    "1994, Ideal spatial adaptation by wavelet shrinkage, Biometrika 81",
    params=_SHRINK_PARAMS,
    relations=[_ORDER],
    forward=lambda x, lower, upper: torch.where(_inside(x, lower, upper), torch.zeros_like(x), x),
    derivative=lambda x, lower, upper: step(_inside(x, lower, upper), 0.0, 1.0, x),
    second_derivative=lambda x, lower, upper: zero(x),
    param_grads={"lower": lambda x, lower, upper: zero(x),
                 "upper": lambda x, lower, upper: zero(x)},
    reference=lambda x, lower, upper: sp.Piecewise((x, x > upper), (x, x < lower), (0, True)),
    kinks=lambda lower, upper: (lower, upper),
    kink_note="Discontinuous at lower and upper, where f = 0 and f' = 0 (as torch's hardshrink at "
    "±λ).",
    notes="With lower = -upper it is hardshrink(lambd=upper); TF Addons' defaults (-0.5, 0.5) are "
    "torch's lambd = 0.5.",
    naive=lambda x, lower, upper: torch.where((x < lower) | (x > upper), x, 0.0 * x),
)


def _softshrink(x, lower, upper):
    below = torch.where(x < lower, x - lower, torch.zeros_like(x))
    return keep_nan(x, torch.where(x > upper, x - upper, below))  # NaN fails both comparisons


define(
    "asymmetric_softshrink", family="hard", aliases=("softshrink_asymmetric", "tfa_softshrink"),
    summary="Soft shrinkage with separate thresholds: x - upper above, x - lower below, 0 between.",
    formula=r"\begin{cases}x - u & x > u\\ x - l & x < l\\ 0 & l \le x \le u\end{cases}",
    citation="TF Addons tfa.activations.softshrink(x, lower, upper) (2019); Donoho 1995, "
    "De-noising by soft-thresholding, IEEE Transactions on Information Theory 41",
    params=_SHRINK_PARAMS,
    relations=[_ORDER],
    forward=_softshrink,
    derivative=lambda x, lower, upper: step(_inside(x, lower, upper), 0.0, 1.0, x),
    second_derivative=lambda x, lower, upper: zero(x),
    param_grads={"lower": lambda x, lower, upper: step(x < lower, -1.0, 0.0, x),
                 "upper": lambda x, lower, upper: step(x > upper, -1.0, 0.0, x)},
    reference=lambda x, lower, upper: sp.Piecewise((x - upper, x > upper), (x - lower, x < lower),
                                                   (0, True)),
    kinks=lambda lower, upper: (lower, upper),
    kink_note="f' = 0 at lower and upper (as torch's softshrink at ±λ).",
    notes="With lower = -upper it is softshrink(lambd=upper); TF Addons' defaults (-0.5, 0.5) are "
    "torch's lambd = 0.5.",
    naive=lambda x, lower, upper: torch.where(x < lower, x - lower,
                                              torch.where(x > upper, x - upper, 0.0 * x)),
)


# ------------------------------------------------------------------------- Hugging Face
def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_prod(a, b):
    # a·b = p + e exactly (Dekker's split; |a|, |b| < 1e150 so that the split cannot overflow)
    p = a * b
    c, d = 134217729.0 * a, 134217729.0 * b
    ah, bh = c - (c - a), d - (d - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


_SQRT2_LO = -9.667293313452913e-17  # √2 - SQRT_2, so that σ√2 is carried to ~106 bits
_W_FAR = 30.0  # |w| beyond which e^{-w²} is 0 and erfc(w) 0 or 2 in float64


def _laplace_w(x, mu, sigma):
    """w = (μ - x)/(σ√2) as w_hi + w_lo to ~2^-100 (float64; w_lo = 0 in other dtypes and where
    |w| > 30), the masked w_hi (0 there) and e^{-w²} from both parts.

    Φ(z) = erfc(w)/2 with z = -√2 w: near x = 0 with μ = 0.707, σ = 0.0316, z ≈ -22 and the
    roundings of x - μ, /σ, /√2 and of w² are each amplified ~z² (1.1e3 ULP in f); the low
    parts carry them into first-order corrections instead."""
    w_hi = (mu - x) / (sigma * SQRT_2)
    if x.dtype != torch.float64:
        small = w_hi.abs() < _W_FAR
        wc = torch.where(small, w_hi, torch.zeros_like(w_hi))
        return w_hi, wc, torch.zeros_like(w_hi), torch.where(small, torch.exp(-wc * wc), torch.zeros_like(wc))
    mu_t, sigma_t = torch.as_tensor(mu, dtype=x.dtype), torch.as_tensor(sigma, dtype=x.dtype)
    # the split products cannot overflow for σ < 1e150 (σ = 1e300 made them NaN at x = -1.4e154);
    # beyond, |w| > 1 needs |x| > σ, where f's κ ≈ z² in x covers w's roundings: w_lo = 0 there
    split = sigma_t < 1e150
    sigma_s = torch.where(split, sigma_t, torch.ones_like(sigma_t))
    near = w_hi.abs() < _W_FAR
    small = near & split
    zero = torch.zeros_like(w_hi)
    wc = torch.where(near, w_hi, zero)
    d_hi, d_lo = _two_sum(mu_t, -torch.where(small, x, zero))
    s_hi, s_e = _two_prod(sigma_s, torch.as_tensor(SQRT_2, dtype=x.dtype))
    s_lo = s_e + sigma_s * _SQRT2_LO
    p, pe = _two_prod(torch.where(small, wc, zero), s_hi)
    w_lo = torch.where(small, (((d_hi - p) - pe) + d_lo - wc * s_lo) / s_hi, zero)
    q, qe = _two_prod(wc, wc)
    g = torch.where(near, torch.exp(-q) * (1 - (qe + 2 * wc * w_lo)), zero)
    return w_hi, wc, w_lo, g


def _laplace(x, mu, sigma):
    w_hi, _, w_lo, g = _laplace_w(x, mu, sigma)
    return (torch.special.erfc(w_hi) - (2 / math.sqrt(math.pi)) * g * w_lo) / 2


def _laplace_pdf(x, mu, sigma):
    # φ(z) = e^{-w²}/√(2π)
    return keep_nan(x, _laplace_w(x, mu, sigma)[3] / math.sqrt(2 * math.pi))


def _per_sigma(v, sigma):
    # v/σ, 0 where v is: a σ that float32 flushes to 0 (1e-300) makes w = ±inf and e^{-w²} = 0,
    # whose limit over σ is 0, not 0/0
    return torch.where(v == 0, v, v / sigma)


def _laplace_zphi(x, mu, sigma):
    # z·φ(z) = -(w/√π)e^{-w²}, 0 at x = ±inf (not inf·0)
    _, wc, w_lo, g = _laplace_w(x, mu, sigma)
    return keep_nan(x, -(wc + w_lo) * g / math.sqrt(math.pi))


_LAPLACE_BOUND = ("Φ((x - μ)/σ) at the shift μ = 0.707: near x = 0 the problem is well "
                  "conditioned in x (κ ~ 0) but z = (x - μ)/σ ≈ -2.5 there, and z's roundings "
                  "(and μ's, which float32 holds to 3e-8) are amplified by |z|·φ(z)/Φ(z) ≈ 7 in f "
                  "(|z|²·… in f'); float64 carries z in two parts and meets the default bound")

define(
    "laplace", family="sigmoidal", aliases=("laplace_activation",),
    summary="Laplace activation Φ((x - μ)/σ): a Gaussian CDF fitted to relu² on [0, √2] (MEGA).",
    formula=r"\frac{1}{2}\left(1 + \operatorname{erf}\frac{x - \mu}{\sigma\sqrt{2}}\right)",
    citation="Ma, Zhou, Kong, He, Gui, Neubig, May & Zettlemoyer 2023, Mega: moving average "
    "equipped gated attention, ICLR (arXiv:2209.10655); Hugging Face LaplaceActivation",
    params=[Param("mu", 0.707107, doc="location μ (√(1/2), as Hugging Face writes it)."),
            Param("sigma", 0.282095, POSITIVE,
                  doc="scale σ (√(1/(4π)), as Hugging Face writes it).")],
    forward=_laplace,
    derivative=lambda x, mu, sigma: _per_sigma(_laplace_pdf(x, mu, sigma), sigma),
    second_derivative=lambda x, mu, sigma: -_per_sigma(_per_sigma(_laplace_zphi(x, mu, sigma), sigma), sigma),
    param_grads={
        "mu": lambda x, mu, sigma: -_per_sigma(_laplace_pdf(x, mu, sigma), sigma),
        "sigma": lambda x, mu, sigma: -_per_sigma(_laplace_zphi(x, mu, sigma), sigma),
    },
    reference=lambda x, mu, sigma: sp.erfc(-(x - mu) / (sigma * sp.sqrt(2))) / 2,
    bounds={f"{q}:{d}": Bound(24, _LAPLACE_BOUND) for q in ("f", "df", "d_mu", "d_sigma")
            for d in ("float32",)},
    notes="Hugging Face's defaults μ = 0.707107, σ = 0.282095 (its ACT2FN['laplace']).",
    naive=lambda x, mu, sigma: 0.5 * (1 + torch.erf((x - mu) / (sigma * SQRT_2))),
)


def _gelu_py(x: float) -> float:
    return 0.5 * x * math.erfc(-x / SQRT_2)


def _bisect(lo: float, hi: float, c: float) -> float:
    # gelu(x) = c on [lo, hi], gelu - c changing sign there; to the last bit of a double
    f_lo = _gelu_py(lo) - c
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if (_gelu_py(mid) - c > 0) == (f_lo > 0):
            lo, f_lo = mid, _gelu_py(mid) - c
        else:
            hi = mid
    return hi if abs(_gelu_py(hi) - c) <= abs(_gelu_py(lo) - c) else lo


_GELU_ARGMIN = -0.7517915246935716  # gelu's minimum, -0.16997...


def _gelu_roots(c: float) -> tuple[float, ...]:
    if not math.isfinite(c):
        return ()
    if c == 0:
        return (0.0,)  # exactly: bisection would stop at a subnormal beside it
    gmin = _gelu_py(_GELU_ARGMIN)
    if c > gmin and c < 0:
        return (_bisect(-40.0, _GELU_ARGMIN, c), _bisect(_GELU_ARGMIN, 0.0, c))
    if c >= 0:
        hi = max(1.0, 2 * c)
        return (_bisect(_GELU_ARGMIN, hi, c),)
    return ()


def _gelu():
    return get_spec("gelu")


def _gelu_clip(x, min_val, max_val):
    """gelu(x) and masks for "below min_val" and "above max_val". Where gelu(x) rounds to ±0 at
    x != 0 (x < -13.5 or 0 < x < 3e-45 in float32) the true value has x's sign and is nearer 0
    than any nonzero float: it is below a clip value c when c >= 0 (x < 0) or c > 0 (x > 0)."""
    g = _gelu().forward(x)
    lo, hi = _t(min_val, x), _t(max_val, x)
    tiny, neg = (g == 0) & (x != 0), x < 0
    below = torch.where(tiny, torch.where(neg, lo >= 0, lo > 0), g < lo)
    above = torch.where(tiny, torch.where(neg, hi < 0, hi <= 0), g > hi)
    return g, lo, hi, below, above


def _clip_inside(x, min_val, max_val):
    _, _, _, below, above = _gelu_clip(x, min_val, max_val)
    return ~below & ~above  # torch.clip passes the gradient at both ends


def _clipped_gelu(x, min_val, max_val):
    g, lo, hi, below, above = _gelu_clip(x, min_val, max_val)
    return torch.where(below, lo.expand_as(g), torch.where(above, hi.expand_as(g), g))


def _clipped_gelu_d(x, min_val, max_val):
    return keep_nan(x, torch.where(_clip_inside(x, min_val, max_val), _gelu().derivative(x),
                                   torch.zeros_like(x)))


def _clipped_gelu_d2(x, min_val, max_val):
    return keep_nan(x, torch.where(_clip_inside(x, min_val, max_val), _gelu().second_derivative(x),
                                   torch.zeros_like(x)))


def _min_below_max(min_val: float, max_val: float) -> bool:
    return min_val < max_val


def _gelu_ref(x):
    # evaluate=False: SymPy would rewrite erfc(-x/√2) as 2 - erfc(x/√2), which cancels to exactly
    # 0 at x = -40 until ~350 digits, and a clip's condition "gelu(x) >= 0" then holds there at
    # every precision the oracle tries
    return x / 2 * sp.erfc(-x / sp.sqrt(2), evaluate=False)


define(
    "clipped_gelu", family="self_gated", aliases=("gelu_10", "gelu_clipped"),
    summary="GELU clipped to [min_val, max_val] (default ±10), for 8-bit quantisation.",
    formula=r"\min(\max(x\,\Phi(x), a), b)",
    citation="Wu, Judd, Zhang, Isaev & Micikevicius 2020, Integer quantization for deep learning "
    "inference: principles and empirical evaluation, arXiv:2004.09602; Hugging Face "
    "ClippedGELUActivation (gelu_10)",
    params=[Param("min_val", -10.0, doc="lower clip."), Param("max_val", 10.0, doc="upper clip.")],
    relations=[Relation(_min_below_max, "min_val < max_val", "pass a min_val below max_val")],
    bounds={"df:float32": Bound(6, "gelu's own f' bound between the clips: " + get_spec("gelu").bounds[
        "df:float32"].reason)},
    forward=_clipped_gelu,
    derivative=_clipped_gelu_d,
    second_derivative=_clipped_gelu_d2,
    param_grads={
        "min_val": lambda x, min_val, max_val: step(_gelu_clip(x, min_val, max_val)[3], 1.0, 0.0, x),
        "max_val": lambda x, min_val, max_val: step(_gelu_clip(x, min_val, max_val)[4], 1.0, 0.0, x),
    },
    reference=lambda x, min_val, max_val: sp.Piecewise(
        (min_val, _gelu_ref(x) <= min_val), (max_val, _gelu_ref(x) >= max_val), (_gelu_ref(x), True)),
    kinks=lambda min_val, max_val: (*_gelu_roots(min_val), *_gelu_roots(max_val)),
    kink_note="f' = gelu'(x) where gelu(x) equals min_val or max_val (torch.clip passes the "
    "gradient at its bounds, as Hugging Face's torch.clip(gelu(x), min, max)).",
    native=lambda x, min_val, max_val: torch.clip(F.gelu(x), min_val, max_val),
)


# sqrt(softplus(x)), both signs from one u = e^-|x| and one L = log1p(u) (softplus = max(x, 0) + L;
# a where() computes both sides, so a side of its own would cost its own exp and log1p). For x < 0
# as h·√r, h = e^{x/2}, r = L/u: softplus underflows at x = -745 (float64) while its square root
# e^{x/2} lives on to x = -1490.
def _sqsp(x):
    u = torch.exp(neg_abs(x))
    log1p_u = torch.log1p(u)
    # r by its series 1 - u/2 below 1e-8 (log1p of a subnormal u loses digits); dividing by 1
    # there keeps the unused side finite (its gradient would be NaN·0)
    small = u < 1e-8
    r = torch.where(small, 1 - u / 2, log1p_u / torch.where(small, torch.ones_like(u), u))
    h = torch.exp(torch.clamp(x, max=0.0) / 2)
    # softplus(x) for x >= 0; 1 for x < 0, where it would be √0 in the unused side
    s = torch.where(x < 0, torch.ones_like(u), pos_part(x) + log1p_u)
    return u, r, h, s


def _sqrtsoftplus(x):
    _, r, h, s = _sqsp(x)
    return torch.where(x < 0, h * torch.sqrt(r), torch.sqrt(s))


def _sqrtsoftplus_d(x):
    # σ(x)/(2f); for x < 0: e^{x/2}/(2(1 + u)√r), which never divides underflowed values
    u, r, h, s = _sqsp(x)
    return torch.where(x < 0, h / (2 * (1 + u) * torch.sqrt(r)), (1.0 / (1.0 + u)) / (2 * torch.sqrt(s)))


def _sqrtsoftplus_d2(x):
    # (σ' - 2f'²)/(2f): x < 0: e^{x/2}(1 - 1/(2r))/(2(1 + u)²√r), 1/(2r) in [0.5, 0.73);
    # x >= 0: σ(σ(-x) - σ/(2s))/(2√s), σ = 1/(1 + u), σ(-x) = uσ, s = softplus(x)
    u, r, h, s = _sqsp(x)
    neg = h * (1 - 1 / (2 * r)) / (2 * (1 + u) ** 2 * torch.sqrt(r))
    sig = 1.0 / (1.0 + u)
    return torch.where(x < 0, neg, sig * (u * sig - sig / (2 * s)) / (2 * torch.sqrt(s)))


define(
    "sqrtsoftplus", family="exponential", aliases=("sqrt_softplus",),
    summary="Square root of softplus, √log(1 + e^x): DeepSeek-V4's MoE router score function.",
    formula=r"\sqrt{\log(1 + e^{x})}",
    citation="Hugging Face transformers SqrtSoftplusActivation (2026), the router scoring function "
    "(scoring_func='sqrtsoftplus') of DeepSeek-V4",
    forward=_sqrtsoftplus,
    derivative=_sqrtsoftplus_d,
    second_derivative=_sqrtsoftplus_d2,
    reference=lambda x: sp.sqrt(sp_log1p(sp.exp(x))),
    naive=lambda x: torch.sqrt(F.softplus(x)),
)


# ----------------------------------------------------------------------------- timm
def _hard_mish(x):
    xm = torch.clamp(x, -2.0, 0.0)  # the quadratic piece stays finite far out
    return torch.where(x <= -2, torch.zeros_like(x), torch.where(x >= 0, x, xm * (xm + 2) / 2))


def _hard_mish_d(x):
    xm = torch.clamp(x, -2.0, 0.0)
    return torch.where(x < -2, torch.zeros_like(x), torch.where(x > 0, torch.ones_like(x), xm + 1))


define(
    "hard_mish", family="hard", aliases=("hardmish",),
    summary="Hard mish ½·x·clamp(x + 2, 0, 2): 0, then x(x + 2)/2 on [-2, 0], then x.",
    formula=r"\tfrac{1}{2}\,x\,\min(\max(x + 2, 0), 2)",
    citation="Wightman 2020, PyTorch Image Models (timm) HardMish; after Misra 2019, Mish: a self "
    "regularized non-monotonic activation function, arXiv:1908.08681",
    forward=_hard_mish,
    derivative=_hard_mish_d,  # x + 1 is exact near its root -1 (Sterbenz)
    second_derivative=lambda x: step((x >= -2) & (x <= 0), 1.0, 0.0, x),
    reference=lambda x: sp.Piecewise((0, x <= -2), (x * (x + 2) / 2, x < 0), (x, True)),
    kinks=(-2.0, 0.0),
    kink_note="f'(-2) = -1 and f'(0) = 1: the inner piece x + 1 on [-2, 0], as autograd of timm's "
    "0.5·x·clamp(x + 2, 0, 2) (torch's clamp passes the gradient at its bounds) and timm's own "
    "backward; f is C1 at 0, where f'' jumps from 1 to 0 and is taken as 1.",
    naive=lambda x: 0.5 * x * torch.clamp(x + 2, 0, 2),
)
