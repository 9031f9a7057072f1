"""Further published elementwise activations that peers (Echo, torch-activation, the GLM and
activation-survey literature) ship: SQNL, absolute value, Elliott, the oscillating NCU and SQU,
the complementary log-log and log-log (Gumbel) gates, Gish, NLReLU, SERLU, PFLU, dSiLU,
Flatten-T Swish, smooth-step, SineReLU, CosLU, SinLU and Keras 2's linear hard sigmoid.

Why ~650 lines: one file per family, 18 entries of a few lines per field each; CosLU and SinLU
also carry stable forms for extreme parameters (issue 16)."""

from __future__ import annotations

import math

from ..numerics.stable import finite as _fin
from ..numerics.stable import hypot, keep_nan, neg_abs, phase, scaled_exp, settled, step, zero
from ..numerics.stable import sigmoid as _sigmoid
from ..numerics.stable import sigmoid_grad as _dsig
from ..spec import POSITIVE
from ._define import Bound, Param, define, sp, sp_log1p, torch

__all__: list[str] = []  # importing this module registers its activations; nothing else is public

SAT = 1e4


def _sp_expm1(u):
    """e^u - 1 for references, as SymPy's expm1 (mpmath.expm1): 1 - e^(-tiny) loses the tiny at
    any fixed precision (see _define.sp_log1p)."""
    from sympy.codegen.cfunctions import expm1

    return expm1(u)


def _t(v, x):
    return torch.as_tensor(v, dtype=x.dtype, device=x.device)


def _f64(x):
    # x clamped to ±(the largest double) in float64 (in float32 ±inf stays): at ±inf the value
    # there, which the oracle takes as the truth at ±inf where it differs from the limit
    return _fin(x) if x.dtype == torch.float64 else x


def _times(x, g):
    # x·g with 0 where g = 0 (inf·0 at x = ±inf is the limit 0 here, not NaN)
    return torch.where(g == 0, g * _fin(x), x * g)


# -------------------------------------------------------------------------------- SQNL
def _sqnl(x):
    xm = x.clamp(-2.0, 2.0)
    return xm * (1 - xm.abs() / 4)  # x ± x²/4 as x(1 ∓ x/4): clamp makes ±2 -> ±1 exactly


define(
    "sqnl", family="sigmoidal", aliases=("square_nonlinearity",),
    summary="Square nonlinearity: x ∓ x²/4 on [-2, 2], ±1 outside; a cheap C1 tanh.",
    formula=r"\begin{cases}1 & x > 2\\ x - x^2/4 & 0 \le x \le 2\\ x + x^2/4 & -2 \le x < 0\\ "
    r"-1 & x < -2\end{cases}",
    citation="Wuraola & Patel 2018, SQNL: a new computationally efficient activation function, "
    "IJCNN",
    forward=_sqnl,
    derivative=lambda x: keep_nan(x, 1 - x.clamp(-2.0, 2.0).abs() / 2),
    second_derivative=lambda x: step((x > -2) & (x < 2), 1.0, 0.0, x) * (-torch.sign(x) / 2),
    reference=lambda x: sp.Piecewise((1, x > 2), (x - x**2 / 4, x >= 0), (x + x**2 / 4, x >= -2), (-1, True)),
    kinks=(-2.0, 0.0, 2.0),
    kink_note="C1 everywhere (f'(±2) = 0, f'(0) = 1); f'' jumps at -2, 0 and 2 and is taken as "
    "0 there.",
)


define(
    "absolute", family="rectifier", aliases=("abs", "abs_rectification"),
    summary="Absolute-value rectification |x|.",
    formula=r"|x|",
    citation="Jarrett, Kavukcuoglu, Ranzato & LeCun 2009, What is the best multi-stage "
    "architecture for object recognition?, ICCV",
    forward=torch.abs,
    derivative=lambda x: keep_nan(x, torch.sign(x)),
    second_derivative=zero,
    reference=lambda x: sp.Piecewise((-x, x < 0), (x, True)),
    kinks=(0.0,),
    kink_note="f'(0) = 0 (torch.abs's autograd: sign(0) = 0).",
    native=torch.abs,
)


def _elliott(x):
    # ½x/(1 + |x|) + ½ cancels for x -> -inf: ½/(1 - x) there; 1 - ½/(1 + x) for x >= 0.
    # at ±inf these give the limits 0 and 1 exactly
    return torch.where(x < 0, 0.5 / (1 - x), 1 - 0.5 / (1 + x.clamp(min=0.0)))


def _elliott_d(x):
    d = 1 + x.abs()
    return (0.5 / d) / d


define(
    "elliott", family="sigmoidal", aliases=("elliott_sigmoid",),
    summary="Elliott sigmoid ½x/(1 + |x|) + ½: a rational logistic, softsign rescaled to (0, 1).",
    formula=r"\frac{x}{2(1 + |x|)} + \frac{1}{2}",
    citation="Elliott 1993, A better activation function for artificial neural networks, "
    "Institute for Systems Research technical report 93-8, University of Maryland",
    forward=_elliott,
    derivative=_elliott_d,
    second_derivative=lambda x: -torch.sign(x) * (_elliott_d(x) * 2) / (1 + x.abs()),
    # x/(2(1 + |x|)) + 1/2 on each side, summed: 1/(2(1 - x)) and (1 + 2x)/(2(1 + x))
    reference=lambda x: sp.Piecewise((1 / (2 * (1 - x)), x < 0), ((1 + 2 * x) / (2 * (1 + x)), True)),
    kinks=(0.0,),
    kink_note="C1 at 0 (f'(0) = 1/2); f'' jumps from 1 to -1 and is taken as 0 (sign(0) = 0).",
    naive=lambda x: 0.5 * x / (1 + x.abs()) + 0.5,
)


# --------------------------------------------------------------- oscillating (Noel et al.)
_NOEL = ("Noel, Bharadwaj, Muthiah-Nakarajan, Dutta & Amarnath 2021, Biologically inspired "
         "oscillating activation functions can bridge the performance gap between biological and "
         "artificial neurons, arXiv:2111.04020")

define(
    "ncu", family="polynomial", aliases=("non_monotonic_cubic_unit",),
    summary="Non-monotonic cubic unit x - x³.",
    formula=r"x - x^3",
    citation=_NOEL,
    forward=lambda x: x * (1 - x) * (1 + x),  # exact factors near the roots ±1 (Sterbenz)
    derivative=lambda x: 1 - 3 * x * x,
    second_derivative=lambda x: -6 * x,
    reference=lambda x: x - x**3,
    naive=lambda x: x - x**3,
)

define(
    "squ", family="polynomial", aliases=("shifted_quadratic_unit",),
    summary="Shifted quadratic unit x² + x.",
    formula=r"x^2 + x",
    citation=_NOEL,
    forward=lambda x: x * (x + 1),  # x + 1 exact near the root -1
    derivative=lambda x: 2 * x + 1,
    second_derivative=lambda x: keep_nan(x, torch.full_like(x, 2.0)),
    reference=lambda x: x**2 + x,
    naive=lambda x: x**2 + x,
)


# ----------------------------------------------------------------- log-log gates (GLM links)
_GOMES = ("Gomes, Ludermir & Lima 2011, Comparison of new activation functions in neural network "
          "for forecasting financial time series, Neural Computing and Applications 20")


def _one_minus_exp_neg(u):
    # 1 - e^(-u) for u >= 0 as 2T/(1 + T), T = tanh(u/2): no cancellation as u -> 0, and no
    # expm1 (which inductor lowers as exp - 1 in a user's compiled graph)
    T = torch.tanh(u / 2)
    return 2 * T / (1 + T)


def _cloglog_d(x):
    xs = x.clamp(max=40.0)  # beyond, e^(x - e^x) is 0 in every dtype
    return torch.exp(xs - torch.exp(xs))


define(
    "cloglog", family="sigmoidal", aliases=("complementary_log_log",),
    summary="Complementary log-log 1 - exp(-e^x): an asymmetric sigmoid (inverse cloglog link).",
    formula=r"1 - e^{-e^{x}}",
    citation=_GOMES,
    forward=lambda x: _one_minus_exp_neg(torch.exp(x)),
    derivative=_cloglog_d,
    second_derivative=lambda x: -_cloglog_d(x) * torch.expm1(x.clamp(max=40.0)),
    # 1 - e^(-e^x) (as -expm1, without its cancellation); 1 where e^x > 1000, where it is 1 to
    # 430 digits and the oracle would otherwise evaluate e^(-e^(1e4)) (as tanhexp's reference)
    reference=lambda x: sp.Piecewise((1, sp.exp(x) > 1000), (-_sp_expm1(-sp.exp(x)), True)),
    naive=lambda x: 1 - torch.exp(-torch.exp(x)),
)


def _loglog_d(x):
    xs = x.clamp(min=-40.0)
    return torch.exp(-xs - torch.exp(-xs))


define(
    "loglog", family="sigmoidal", aliases=("log_log", "gumbel_cdf"),
    summary="Log-log exp(-e^-x): the Gumbel CDF, an asymmetric sigmoid.",
    formula=r"e^{-e^{-x}}",
    citation=_GOMES,
    forward=lambda x: torch.exp(-torch.exp(-x)),
    derivative=_loglog_d,
    second_derivative=lambda x: _loglog_d(x) * torch.expm1(-x.clamp(min=-40.0)),
    reference=lambda x: sp.Piecewise((0, sp.exp(-x) > 1000), (sp.exp(-sp.exp(-x)), True)),  # < 1e-434
    naive=lambda x: torch.exp(-torch.exp(-x)),
)


# ------------------------------------------------------------------------------------ NLReLU
def _x_over_1px(x, beta):
    # x/(1 + βx) for x > 0, as 1/(β + 1/x) where x is large (x = inf: 1/β)
    big = x > 1
    xb = torch.where(big, x, torch.ones_like(x))
    xs = torch.where(big, torch.zeros_like(x), x.clamp(min=0.0))
    return torch.where(big, 1 / (beta + 1 / xb), xs / (1 + beta * xs))


def _nlrelu(x, beta):
    # log(1 + βx) for x > 0; where βx overflows (β = 1e30 at x = 1.8e19 in float32) log β + log x,
    # as 1/(βx) is below the last bit; +inf at x = +inf also where float32 flushed β to 0
    xp = torch.relu(x)
    bx = beta * xp
    far = torch.isinf(bx) & torch.isfinite(x)
    log_beta = torch.log(beta) if isinstance(beta, torch.Tensor) else math.log(beta)
    out = torch.where(far, log_beta + torch.log(torch.where(far, xp, torch.ones_like(xp))), torch.log1p(bx))
    return torch.where(torch.isinf(x) & (x > 0), x, out)


def _nlrelu_d(x, beta):
    # β/(1 + βx) for x > 0; 1/(x + 1/β) where βx overflows (0 there, not 1/x); the limit 0 at
    # x = +inf (β·inf is NaN where float32 flushed β to 0)
    xp = torch.where(torch.isinf(x), torch.zeros_like(x), x.clamp(min=0.0))
    bx = beta * xp
    far = torch.isinf(bx)
    near = beta / (1 + torch.where(far, torch.zeros_like(bx), bx))
    out = torch.where(far, 1 / (xp + 1 / _t(beta, x)), near)
    return keep_nan(x, torch.where((x > 0) & torch.isfinite(x), out, torch.zeros_like(x)))


define(
    "nlrelu", family="rectifier", aliases=("natural_log_relu",),
    summary="Natural-logarithm ReLU log(1 + β·max(x, 0)): a ReLU with logarithmic growth.",
    formula=r"\log\big(1 + \beta \max(x, 0)\big)",
    citation="Liu, Liu, Zhou & Xu 2019, Natural-logarithm-rectified activation function in "
    "convolutional neural networks, arXiv:1908.03682",
    params=[Param("beta", 1.0, POSITIVE, learnable=True, doc="scale β inside the logarithm.")],
    forward=_nlrelu,
    derivative=_nlrelu_d,
    second_derivative=lambda x, beta: -(_nlrelu_d(x, beta) ** 2),
    param_grads={"beta": lambda x, beta: keep_nan(x, torch.where(x > 0, _x_over_1px(x, beta),
                                                                  torch.zeros_like(x)))},
    reference=lambda x, beta: sp.Piecewise((0, x <= 0), (sp_log1p(beta * x), True)),
    kinks=(0.0,),
    kink_note="f'(0) = 0 (relu's convention, as torch).",
    naive=lambda x, beta: torch.log(1 + beta * torch.relu(x)),
)


# ------------------------------------------------------------------------------------- SERLU
SERLU_LAMBDA, SERLU_ALPHA = 1.07862, 2.90427


def _serlu(x):
    xn = _fin(x).clamp(max=0.0)
    return torch.where(x >= 0, SERLU_LAMBDA * x, (SERLU_LAMBDA * SERLU_ALPHA) * (xn * torch.exp(xn)))


def _serlu_d(x):
    xn = _fin(x).clamp(max=0.0)
    return keep_nan(x, torch.where(x > 0, torch.full_like(x, SERLU_LAMBDA),
                                   (SERLU_LAMBDA * SERLU_ALPHA) * torch.exp(xn) * (1 + xn)))


define(
    "serlu", family="exponential", aliases=("scaled_exponentially_regularized_linear_unit",),
    summary="SERLU: λx for x >= 0, λα·x·e^x below; a self-normalising unit with a negative dip.",
    formula=r"\begin{cases}\lambda x & x \ge 0\\ \lambda\alpha\,x e^{x} & x < 0\end{cases}",
    citation="Zhang & Li 2018, Effectiveness of scaled exponentially-regularized linear units "
    "(SERLUs), arXiv:1807.10117",
    forward=_serlu,
    derivative=_serlu_d,
    second_derivative=lambda x: torch.where(
        x > 0, torch.zeros_like(x),
        (SERLU_LAMBDA * SERLU_ALPHA) * torch.exp(_fin(x).clamp(max=0.0)) * (2 + _fin(x).clamp(max=0.0))),
    reference=lambda x: sp.Piecewise(
        (sp.Float("1.07862", 30) * x, x >= 0),
        (sp.Float("1.07862", 30) * sp.Float("2.90427", 30) * x * sp.exp(x), True)),
    kinks=(0.0,),
    kink_note="f'(0) = λα ≈ 3.133 (the x <= 0 branch, as torch's elu and selu take at 0).",
    notes="λ = 1.07862, α = 2.90427 as the paper gives them (its self-normalising fixed point).",
)


# -------------------------------------------------------------------------------------- PFLU
def _pflu_t(x):
    # x/√(1 + x²) as x/hypot(1, x), with its limits ±1 at ±inf
    h = hypot(1.0, x)
    return torch.where(torch.isinf(x), torch.sign(x), x / h), h


def _pflu(x):
    # x(1 + x/h)/2; for x < 0, 1 + x/h = 1/(h(h - x)) (it cancels directly): x/(2h(h - x)),
    # evaluated as ((x/h)/4)/(h/2 - x/2), which neither overflows nor underflows early.
    # (h(xn) is h(x) where x < 0: one hypot, not two.)
    t, h = _pflu_t(x)
    xn = _f64(x).clamp(max=0.0)
    hn = torch.where(x < 0, h, 1)
    neg = ((xn / hn) / 4) / (hn / 2 - xn / 2)
    neg = torch.where(torch.isinf(x), torch.zeros_like(x), neg)  # the limit 0 at -inf
    return torch.where(x < 0, neg, x * ((1 + t) / 2))


def _pflu_d(x):
    # (1 + x/h)/2 + x/(2h³) down to x = -0.1 (the terms cancel at most 1.2:1 there); below,
    # (1 + xh)/(2h³(h - x)) = (((1/h + x)/h)/h)/(2(h - x)), where (1 + x/h) would cancel.
    # Both sides at x clamped finite; one hypot, each side's h taken from it.
    xf = _fin(x)
    h, h_cut = hypot(1.0, xf), hypot(1.0, torch.full((), -0.1, dtype=x.dtype, device=x.device))
    below = x < -0.1
    xn, hn = torch.where(below, xf, -0.1), torch.where(below, h, h_cut)
    neg = (((1 / hn + xn) / hn) / hn) / (hn - xn) / 2
    xp, hp = torch.where(below, -0.1, xf), torch.where(below, h_cut, h)
    tp = xp / hp
    pos = (1 + tp) / 2 + (tp / hp) / hp / 2
    return torch.where(below, neg, pos)


def _pflu_d2(x):
    # (2 - x²)/(2h⁵) = (2r² - t²)·r³/2, r = 1/h, t = x/h: no x² to overflow
    xf = _fin(x)
    h = hypot(1.0, xf)
    r, t = 1 / h, xf / h
    return (2 * r * r - t * t) * r * r * r / 2


define(
    "pflu", family="self_gated", aliases=("power_function_linear_unit",),
    summary="PFLU x·(1 + x/√(1 + x²))/2: a smooth, non-monotonic self-gate with a rational-root gate.",
    formula=r"x \cdot \frac{1}{2}\left(1 + \frac{x}{\sqrt{1 + x^2}}\right)",
    citation="Zhu, Zeng, Li, Xie & Wang 2021, PFLU and FPFLU: two novel non-monotonic activation "
    "functions in convolutional neural networks, Neurocomputing 429",
    forward=_pflu,
    derivative=_pflu_d,
    second_derivative=_pflu_d2,
    reference=lambda x: x * (1 + x / sp.sqrt(1 + x**2)) / 2,
    naive=lambda x: x * (1 + x / torch.sqrt(1 + x * x)) / 2,
)


# ------------------------------------------------------------------------------------- dSiLU
def _dsilu(x):
    # σ(x)(1 + xσ(-x)) (SiLU's derivative); for x < 0 e((1 + x) + e)/(1 + e)², e = e^x
    xf = _fin(x)
    e = torch.exp(neg_abs(xf))
    return torch.where(xf >= 0, (1 + xf * e / (1 + e)) / (1 + e), e * ((1 + xf) + e) / (1 + e) ** 2)


def _dsilu_d2(x):
    # -σ'(x)[tanh(x/2)(3 - x tanh(x/2)) + (x/2)sech²(x/2)]: near 0 both terms are ~x, same sign
    xs = x.clamp(-SAT, SAT)
    th = torch.tanh(xs / 2)
    return -_dsig(xs) * (th * (3 - xs * th) + (xs / 2) * (1 - th) * (1 + th))


define(
    "dsilu", family="self_gated", aliases=("d_silu", "silu_derivative"),
    summary="dSiLU σ(x)(1 + x(1 - σ(x))): the derivative of SiLU, a bumped sigmoid.",
    formula=r"\sigma(x)\big(1 + x(1 - \sigma(x))\big)",
    citation="Elfwing, Uchibe & Doya 2018, Sigmoid-weighted linear units for neural network "
    "function approximation in reinforcement learning, Neural Networks 107",
    forward=_dsilu,
    derivative=lambda x: _dsig(neg_abs(x.clamp(-SAT, SAT))) * (
        2 - neg_abs(x.clamp(-SAT, SAT)) * torch.tanh(neg_abs(x.clamp(-SAT, SAT)) / 2)),
    second_derivative=_dsilu_d2,
    reference=lambda x: (1 + x * (1 - 1 / (1 + sp.exp(-x)))) / (1 + sp.exp(-x)),
    naive=lambda x: torch.sigmoid(x) * (1 + x * (1 - torch.sigmoid(x))),
)


# -------------------------------------------------------------------------- Flatten-T Swish
def _silu_pos(x):
    xp = x.clamp(min=0.0)
    return xp * _sigmoid(xp)


def _fts_d(x, T):
    xp = _fin(x).clamp(min=0.0)
    e = torch.exp(-xp)
    return keep_nan(x, torch.where(x > 0, (1 + xp * e / (1 + e)) / (1 + e), torch.zeros_like(x)))


define(
    "fts", family="self_gated", aliases=("flatten_t_swish", "flatten_tswish"),
    summary="Flatten-T Swish: x·σ(x) + T for x > 0, the flat T below (default T = -0.2).",
    formula=r"\begin{cases}x\,\sigma(x) + T & x \ge 0\\ T & x < 0\end{cases}",
    citation="Chieng, Wahid, Pauline & Perla 2018, Flatten-T Swish: a thresholded ReLU-Swish-like "
    "activation function for deep learning, International Journal of Advances in Intelligent "
    "Informatics 4(2)",
    params=[Param("T", -0.2, learnable=True, doc="the flat value T below 0.")],
    forward=lambda x, T: keep_nan(x, torch.where(x > 0, _silu_pos(x), torch.zeros_like(x)) + T),
    derivative=_fts_d,
    second_derivative=lambda x, T: keep_nan(x, torch.where(
        x > 0, _dsig(neg_abs(x.clamp(-SAT, SAT))) * (2 - neg_abs(x.clamp(-SAT, SAT)) * torch.tanh(
            neg_abs(x.clamp(-SAT, SAT)) / 2)), torch.zeros_like(x))),
    param_grads={"T": lambda x, T: keep_nan(x, torch.ones_like(x))},
    reference=lambda x, T: sp.Piecewise((x / (1 + sp.exp(-x)) + T, x > 0), (T, True)),
    kinks=(0.0,),
    kink_note="f'(0) = 0 (the flat branch, relu's convention in torch; the right-hand slope is 1/2).",
    naive=lambda x, T: torch.where(x >= 0, x * torch.sigmoid(x) + T, T + 0 * x),
)


# ------------------------------------------------------------------------------- smooth-step
def _ss_u(x, gamma):
    return x.clamp(-gamma / 2, gamma / 2) / gamma


def _smooth_step(x, gamma):
    # -2u³ + 3u/2 + 1/2 = 2(1 - u)(u + 1/2)², u = x/γ: exact through the zero at u = -1/2
    u = _ss_u(x, gamma)
    return torch.where(x <= -gamma / 2, torch.zeros_like(x),
                       torch.where(x >= gamma / 2, torch.ones_like(x), 2 * (1 - u) * (u + 0.5) ** 2))


def _ss_scaled(x, gamma, c):
    # c·u, u = x/γ; where u is subnormal it has lost digits that c·u keeps (c = 12/γ² = 1.2e4 at
    # γ = 0.0316: 5.8e3 ULP in f''): there x·(c/γ), rounded once (γ >= 2e-16 there: c/γ normal).
    # 0 at x = 0 also where c overflows (γ = 1e-300: inf·0)
    u = _ss_u(x, gamma)
    out = torch.where(u.abs() < torch.finfo(x.dtype).tiny, x * (c / gamma), c * u)
    return torch.where(x == 0, torch.zeros_like(out), out)


def _smooth_step_d(x, gamma):
    # (3/(2γ))(1 - 2u)(1 + 2u) = (6/γ)·((γ/2 - x)/γ)·((γ/2 + x)/γ): γ/2 ± x is exact near the
    # ends, where 1 ± 2u loses the digits of u = x/γ (2e7 ULP at x = -γ/2 + ULP for γ = 1e300)
    h = gamma / 2
    xc = x.clamp(-h, h)
    inner = (6 / gamma) * (((h - xc) / gamma) * ((h + xc) / gamma))
    return keep_nan(x, torch.where((x <= -gamma / 2) | (x >= gamma / 2), torch.zeros_like(x), inner))


define(
    "smooth_step", family="sigmoidal", aliases=("smoothstep",),
    summary="Smooth-step: a cubic from 0 at -γ/2 to 1 at γ/2, flat outside; C1, exactly 0 and 1.",
    formula=r"\begin{cases}0 & x \le -\gamma/2\\ -\frac{2}{\gamma^3}x^3 + \frac{3}{2\gamma}x + "
    r"\frac{1}{2} & |x| < \gamma/2\\ 1 & x \ge \gamma/2\end{cases}",
    citation="Hazimeh, Ponomareva, Mol, Tan & Mazumder 2020, The tree ensemble layer: "
    "differentiability meets conditional computation, ICML",
    params=[Param("gamma", 1.0, POSITIVE, doc="width γ of the transition.")],
    forward=_smooth_step,
    derivative=_smooth_step_d,
    second_derivative=lambda x, gamma: keep_nan(x, torch.where(
        (x <= -gamma / 2) | (x >= gamma / 2), torch.zeros_like(x),
        _ss_scaled(x, gamma, -12 / gamma / gamma))),
    param_grads={"gamma": lambda x, gamma: torch.where(
        _ss_u(x, gamma).abs() < torch.finfo(x.dtype).tiny, _ss_scaled(x, gamma, -1.5 / gamma),
        -_ss_u(x, gamma) * _smooth_step_d(x, gamma))},
    reference=lambda x, gamma: sp.Piecewise(
        (0, x <= -gamma / 2), (1, x >= gamma / 2),
        (-2 * x**3 / gamma**3 + 3 * x / (2 * gamma) + sp.Rational(1, 2), True)),
    kinks=lambda gamma: (-gamma / 2, gamma / 2),
    kink_note="C1 (f'(±γ/2) = 0); f'' jumps at ±γ/2 and is taken as 0 there (the outer pieces).",
)


# ------------------------------------------------------------------------------------ SineReLU
def _ripple(x, epsilon, wave):
    # ε·wave; at x = -inf the wave has no limit (NaN), but with ε = 0 in x's dtype (float32
    # flushes 1e-300) the product has one, 0
    e = _t(epsilon, x)
    return torch.where(torch.isinf(x) & (e == 0), torch.zeros_like(x), e * wave)


define(
    "sinerelu", family="periodic", aliases=("sine_relu",),
    summary="SineReLU: x for x > 0, ε(sin x - cos x) otherwise (ε = 0.0025).",
    formula=r"\begin{cases}x & x > 0\\ \varepsilon(\sin x - \cos x) & x \le 0\end{cases}",
    citation="Rodrigues 2018, SineReLU: an alternative to the ReLU activation function, Medium "
    "(Echo's SineReLU)",
    params=[Param("epsilon", 0.0025, learnable=True, doc="amplitude ε of the negative part.")],
    forward=lambda x, epsilon: torch.where(x > 0, x, _ripple(x, epsilon, torch.sin(x) - torch.cos(x))),
    derivative=lambda x, epsilon: torch.where(x > 0, torch.ones_like(x),
                                              _ripple(x, epsilon, torch.cos(x) + torch.sin(x))),
    second_derivative=lambda x, epsilon: torch.where(x > 0, torch.zeros_like(x),
                                                     _ripple(x, epsilon, torch.cos(x) - torch.sin(x))),
    param_grads={"epsilon": lambda x, epsilon: torch.where(x > 0, torch.zeros_like(x),
                                                           torch.sin(x) - torch.cos(x))},
    reference=lambda x, epsilon: sp.Piecewise((x, x > 0), (epsilon * (sp.sin(x) - sp.cos(x)), True)),
    kinks=(0.0,),
    kink_note="Discontinuous at 0: f(0) = -ε and f'(0) = ε (the x <= 0 branch, relu's side).",
)


# ---------------------------------------------------------------------------- CosLU / SinLU
def _left(xs, out, *terms):
    # Σ g·σ(x) (or g·σ'(x)) far left, where σ(x) = e^x is subnormal or 0 and g holds a huge
    # amplitude (a = 1e30 at x = -745 in float64): each term e^x·g as stable.scaled_exp of g's
    # factors (αβ² alone overflows float32 for β = 1e30)
    left = xs < math.log(torch.finfo(xs.dtype).tiny)
    t = torch.where(left, xs, torch.zeros_like(xs))
    return torch.where(left, sum(scaled_exp(t, *term) for term in terms), out)


def _osc_lu(x, a, b, trig):
    # (x + a·trig(bx))σ(x); at x = -inf the limit 0 (trig(inf) is NaN), at +inf x itself
    xs = x.clamp(-SAT, SAT)
    g = xs + a * trig(phase(b, xs))
    out = _left(xs, g * _sigmoid(xs), (g,))
    far = torch.where(torch.isinf(x), x, x + a * trig(phase(b, x)))
    return torch.where(x.abs() > SAT, torch.where(x > 0, far, torch.zeros_like(x)), out)


def _osc_lu_d(x, a, b, trig, dtrig):
    # σ(x)(1 + ab·trig'(bx)) + (x + a·trig(bx))σ'(x). For x < 0, with e = e^x, as SiLU's
    # e((1 + x) + e)/(1 + e)² plus the ripple's e·a(b·trig'(bx)(1 + e) + trig(bx))/(1 + e)²:
    # 1 + x is exact near SiLU's dip, where the two-term sum cancels 2.2:1 (4.8 ULP in float32
    # at x = -2 for a = 0.0316).
    # The phase bx as stable.phase: 0 where it is lost (b = 1e30 at x = 1.8e19 in float32).
    xs = x.clamp(-SAT, SAT)
    tr, dt = trig(phase(b, xs)), dtrig(phase(b, xs))
    pos = _sigmoid(xs) * (1 + a * b * dt) + (xs + a * tr) * _dsig(xs)
    e = torch.exp(xs.clamp(max=0.0))
    g = ((1 + xs) + e) + a * (b * dt * (1 + e) + tr)
    out = _left(xs, torch.where(xs < 0, e * g / (1 + e) ** 2, pos), (g,))
    far = settled(x, 1 + a * b * dtrig(phase(b, x)), abs(_t(a * b, x)) < torch.finfo(x.dtype).eps / 4, 1.0)
    return torch.where(x < -SAT, torch.zeros_like(x), torch.where(x > SAT, far, out))


def _osc_dfreq(x, a, b, trig, gone):
    # ∂f/∂b = a·x·trig(bx)σ(x): 0 far left, e^x·(a·x·trig) where σ is subnormal, the limit 0 at
    # +inf where ``gone`` (a or b is 0 in x's dtype), else no limit
    xs = x.clamp(-SAT, SAT)
    g = a * x * trig(phase(b, x))
    out = settled(x, _left(xs, g * _sigmoid(xs), (g,)), gone, 0.0)
    return torch.where(x < -SAT, torch.zeros_like(x), out)


def _neg_sin(v):
    return -torch.sin(v)


def _osc_far(x, out, far, amplitude):
    # far right: the ripple's term alone, with the limit 0 at +inf where its amplitude is 0
    far = settled(x, far, _t(amplitude, x) == 0, 0.0)
    return torch.where(x < -SAT, torch.zeros_like(x), torch.where(x > SAT, far, out))


def _coslu_d2(x, alpha, beta):
    # g''σ + 2g'σ' + gσ'', g = x + α cos βx, σ'' = -σ'T, T = tanh(x/2), σ = (1 + T)/2,
    # σ' = (1 - T²)/4. With c = αβ²: g''σ + 2σ' = [(1 - c) + 2c sin²(βx/2) - T(c cos βx + T)]/2,
    # exact where c = 1 (the defaults), where the textbook sum cancels to nothing at x = 0;
    # used on |x| < 1 (farther out the other terms dominate and σ = (1 + T)/2 would cancel).
    xs = x.clamp(-SAT, SAT)
    T = torch.tanh(xs / 2)
    c = alpha * beta * beta
    bx = phase(beta, xs)
    cb, sh = torch.cos(bx), torch.sin(bx / 2)
    near = ((1 - c) + 2 * c * sh * sh - T * (c * cb + T)) / 2  # 1 + T cancels far left: |x| < 1
    # αβ²·cos·σ with σ first: αβ² alone overflows float32 for β = 1e30 where σ(x) is 0
    a = torch.where(xs.abs() < 1, near, -(alpha * (beta * (beta * (cb * _sigmoid(xs))))) + 2 * _dsig(xs))
    b = -_dsig(xs) * (2 * alpha * beta * torch.sin(bx) + (xs + alpha * cb) * T)
    # far left σ = σ' = e^x: the sum over it
    rest = 2 - (2 * alpha * beta * torch.sin(bx) + (xs + alpha * cb) * T)
    return _osc_far(x, _left(xs, a + b, (-alpha, beta, beta, cb), (rest,)),
                    -(alpha * (beta * (beta * torch.cos(phase(beta, x))))), c)


def _sinlu_d2(x, a, b):
    # -ab² sin(bx)σ + 2(1 + ab cos bx)σ' - (x + a sin bx)σ'tanh(x/2)
    xs = x.clamp(-SAT, SAT)
    bx = phase(b, xs)
    sb = torch.sin(bx)
    out = (-(a * (b * (b * (sb * _sigmoid(xs))))) + 2 * (1 + a * b * torch.cos(bx)) * _dsig(xs)
           - (xs + a * sb) * _dsig(xs) * torch.tanh(xs / 2))
    rest = 2 * (1 + a * b * torch.cos(bx)) - (xs + a * sb) * torch.tanh(xs / 2)
    out = _left(xs, out, (-a, b, b, sb), (rest,))
    return _osc_far(x, out, -(a * (b * (b * torch.sin(phase(b, x))))), a * b * b)


define(
    "coslu", family="periodic", aliases=("cosine_linear_unit",),
    summary="CosLU (x + α cos βx)·σ(x): SiLU with a learned cosine ripple.",
    formula=r"\big(x + \alpha \cos(\beta x)\big)\,\sigma(x)",
    citation="Pishchik 2023, Trainable activations for image classification, Preprints.org "
    "(doi:10.20944/preprints202301.0463.v1); torch-activation",
    params=[Param("alpha", 1.0, learnable=True, doc="ripple amplitude α."),
            Param("beta", 1.0, learnable=True, doc="ripple frequency β.")],
    learn_by_default=True,
    forward=lambda x, alpha, beta: _osc_lu(x, alpha, beta, torch.cos),
    derivative=lambda x, alpha, beta: _osc_lu_d(x, alpha, beta, torch.cos, _neg_sin),
    second_derivative=_coslu_d2,
    param_grads={
        "alpha": lambda x, alpha, beta: torch.where(
            x < -SAT, torch.zeros_like(x), torch.cos(phase(beta, x)) * _sigmoid(x.clamp(-SAT, SAT))),
        "beta": lambda x, alpha, beta: _osc_dfreq(x, -alpha, beta, torch.sin,
                                                 (_t(alpha, x) == 0) | (_t(beta, x) == 0)),
    },
    reference=lambda x, alpha, beta: (x + alpha * sp.cos(beta * x)) / (1 + sp.exp(-x)),
    naive=lambda x, alpha, beta: (x + alpha * torch.cos(beta * x)) * torch.sigmoid(x),
)

define(
    "sinlu", family="periodic", aliases=("sinu_sigmoidal_linear_unit",),
    summary="SinLU (x + a sin bx)·σ(x): SiLU with a learned sine ripple.",
    formula=r"\big(x + a \sin(b x)\big)\,\sigma(x)",
    citation="Paul, Bandyopadhyay, Modak, Hossain & Sarkar 2022, SinLU: sinu-sigmoidal linear "
    "unit, Mathematics 10(3)",
    params=[Param("a", 1.0, learnable=True, doc="ripple amplitude a."),
            Param("b", 1.0, learnable=True, doc="ripple frequency b.")],
    learn_by_default=True,
    forward=lambda x, a, b: _osc_lu(x, a, b, torch.sin),
    derivative=lambda x, a, b: _osc_lu_d(x, a, b, torch.sin, torch.cos),
    second_derivative=_sinlu_d2,
    param_grads={
        "a": lambda x, a, b: torch.where(
            x < -SAT, torch.zeros_like(x), torch.sin(phase(b, x)) * _sigmoid(x.clamp(-SAT, SAT))),
        "b": lambda x, a, b: _osc_dfreq(x, a, b, torch.cos, _t(a, x) == 0),
    },
    reference=lambda x, a, b: (x + a * sp.sin(b * x)) / (1 + sp.exp(-x)),
    naive=lambda x, a, b: (x + a * torch.sin(b * x)) * torch.sigmoid(x),
)


# ----------------------------------------------------------------- Keras 2's hard sigmoid
define(
    "hard_sigmoid_linear", family="hard", aliases=("hard_sigmoid_keras2", "hard_sigmoid_tf"),
    summary="Keras 2 / tf.keras hard sigmoid clip(0.2x + 0.5, 0, 1) (Keras 3 and torch use x/6).",
    formula=r"\min(\max(0.2x + 0.5, 0), 1)",
    citation="Keras 2 keras.activations.hard_sigmoid (2015-2023); after Courbariaux, Bengio & "
    "David 2015, BinaryConnect, NeurIPS",
    # (x + 2.5)/5: exact near the zero at -2.5 (0.2x + 0.5 cancels there)
    forward=lambda x: (x.clamp(-2.5, 2.5) + 2.5) / 5,
    derivative=lambda x: step((x > -2.5) & (x < 2.5), 0.2, 0.0, x),
    second_derivative=zero,
    reference=lambda x: sp.Piecewise((0, x <= sp.Rational(-5, 2)), (1, x >= sp.Rational(5, 2)),
                                     (x / 5 + sp.Rational(1, 2), True)),
    kinks=(-2.5, 2.5),
    kink_note="f'(±2.5) = 0 (as torch's hardsigmoid at ±3).",
    notes="tf.keras 2's activations.hard_sigmoid; Keras 3's hard_sigmoid is 'hardsigmoid' (x/6).",
    naive=lambda x: torch.clamp(0.2 * x + 0.5, 0, 1),
)



# -------------------------------------------------------------------------------------- Gish
def _gish_g(x):
    # log(2 - e^{-e^x}) = log1p(-expm1(-e^x)): ~e^x (not 0) far left, log 2 far right
    return torch.log1p(_one_minus_exp_neg(torch.exp(x)))


def _gish_d(x):
    # g + x g', g' = e^{x - e^x}/(2 - e^{-e^x}); x clamped where both are constant to the last bit
    xs = x.clamp(-SAT, 40.0)
    return _gish_g(xs) + xs * torch.exp(xs - torch.exp(xs)) / (1 + _one_minus_exp_neg(torch.exp(xs)))


def _gish_d2(x):
    # 2g' + xg'' = (q/D)(2 + x((1 - e^x) - q/D)), q = e^{x - e^x}, D = 2 - e^{-e^x}
    xs = x.clamp(-SAT, 40.0)
    q = torch.exp(xs - torch.exp(xs))
    r = q / (1 - torch.expm1(-torch.exp(xs)))
    return r * (2 + xs * (-torch.expm1(xs) - r))


define(
    "gish", family="self_gated",
    summary="Gish x·log(2 - e^{-e^x}): a smooth self-gate rising from 0 to log 2.",
    formula=r"x \log\left(2 - e^{-e^{x}}\right)",
    citation="Kaytan, Aydilek & Yeroğlu 2023, Gish: a novel activation function for image "
    "classification, Neural Computing and Applications 35",
    forward=lambda x: _times(x, _gish_g(x)),
    derivative=_gish_d,
    second_derivative=_gish_d2,
    bounds={"df:float32": Bound(8, "f' = g + xg', g = log(2 - e^(-e^x)): for x < -1 both terms are "
                                "∝ e^x and cancel ~|x|:(|x| - 1) (2.9:1 at x = -2.1, κ ≈ 1), each "
                                "carrying log1p∘expm1∘exp's rounding; the float32 grid peaks at 5.0 "
                                "ULP (as Serf's f')")},
    # log(2 - e^(-e^x)) as log1p(-expm1(-e^x)); x log 2 where e^x > 1000 (equal to 430 digits)
    reference=lambda x: sp.Piecewise((x * sp.log(2), sp.exp(x) > 1000),
                                     (x * sp_log1p(-_sp_expm1(-sp.exp(x))), True)),
    naive=lambda x: x * torch.log(2 - torch.exp(-torch.exp(x))),
)
