"""Elementwise activations with learnable parameters that papers and the learnable-activation
libraries (torch-activation, Echo, BigVGAN) ship: ACON-C, APL, SReLU, PSerf and ErfAct, Snake-β,
ShiLU, scaled softsign, bounded ReLU, MPELU and soft-root-sign. Every parameter may be a scalar
or (``channelwise``) one value per channel; ∂f/∂θ is analytic for each.

Why ~800 lines: one file per family, and this family's 11 entries each carry f, f′, f″ and an
analytic ∂f/∂θ per parameter, several with stable forms for extreme parameters (issue 16); no
entry is over the catalog's few-lines-per-field shape, there are simply many fields.
"""

from __future__ import annotations

import math

from ..numerics.stable import finite as _fin
from ..numerics.stable import keep_nan, neg_abs, scaled_exp, select, settled, step, zero
from ..numerics.stable import sigmoid as _sigmoid
from ..numerics.stable import sigmoid_grad as _dsig
from ..numerics.stable import softplus as _softplus
from ..spec import POSITIVE
from ._define import Bound, Param, Relation, define, sp, sp_log1p, torch

__all__: list[str] = []  # importing this module registers its activations; nothing else is public

FAMILY = "adaptive"
SAT = 1e4  # |x| beyond which the x·g'(x) terms below are 0 in float64 (default parameters)
TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _f64(x):
    # x clamped to ±(the largest double): in float64 ±inf becomes ±max, in float32 it stays inf
    return _fin(x) if x.dtype == torch.float64 else x


def _t(v, x):
    return torch.as_tensor(v, dtype=x.dtype, device=x.device)


def _times(x, g):
    # x·g with 0 where g = 0 (inf·0 at x = ±inf is the limit 0 here, not NaN)
    return torch.where(g == 0, g * _fin(x), x * g)


def _pmul(p, v):
    # p·v, with 0 where p = 0 meets v = ±inf (a zero coefficient removes its term); elsewhere the
    # plain product, so that autograd of the forward still gives ∂(p·v)/∂p = v at p = 0
    return torch.where((_t(p, v) == 0) & torch.isinf(v), torch.zeros_like(v), p * v)


def _sd(t):
    # σ(t)(1 + tσ(-t)) (Swish's derivative), stable: for t < 0 e((1 + t) + e)/(1 + e)², e = e^t
    t = _fin(t)
    e = torch.exp(neg_abs(t))
    return torch.where(t >= 0, (1 + t * e / (1 + e)) / (1 + e), e * ((1 + t) + e) / (1 + e) ** 2)


def _tdsig(t):
    # t·σ'(t), 0 at t = ±inf
    ts = t.clamp(-1e4, 1e4)
    return ts * _dsig(ts)


# ------------------------------------------------------------------------------- ACON-C
def _acon_z(x, p1, p2, beta):
    return beta * ((p1 - p2) * _fin(x))


def _acon(x, p1, p2, beta):
    # p1·x·σ(z) + p2·x·σ(-z) (= (p1 - p2)x σ(z) + p2 x): two terms of one sign when p1, p2 are,
    # so nothing cancels; x itself where its sigmoid is >= 1/2, else x clamped finite.
    z = _acon_z(x, p1, p2, beta)
    return _p_x_sig(p1, x, z) + _p_x_sig(p2, x, -z)


def _p_x_sig(p, x, z):
    # p·x·σ(z) as (p·x)σ(z) wherever p·x is finite: x·σ(z) first rounds to a subnormal at
    # x = -5e-324 (p = 1e300: 7e15 ULP); p·(x σ(z)) only where p·x overflows
    px = p * x
    return torch.where(torch.isfinite(px), _x_sig(px, z), _pmul(p, _x_sig(x, z)))


def _x_sig(x, z):
    # x σ(z): x itself where σ(z) >= 1/2, else x clamped finite; where σ(z) = e^z is subnormal
    # it has lost digits that x σ(z) keeps (15 ULP at x = -3162, β = 0.0316 in float32): _deep.
    out = torch.where(z >= 0, x, _fin(x)) * _sigmoid(z)
    return torch.where(torch.exp(z) < torch.finfo(x.dtype).tiny, _deep(_fin(x), z), out)


def _acon_d(x, p1, p2, beta):
    # p1·s(z) + p2·s(-z), s Swish's derivative σ(z)(1 + zσ(-z)) (s(z) + s(-z) = 1), each term
    # through _x_sd, exact to the subnormals. p1σ(z) + p2σ(-z) + (p1 - p2)zσ'(z) cancelled 2.4:1
    # in s's dip (4.5 ULP in float32 at x = -3 for p2 = 0.0316), and (p1 - p2)s(z) + p2 to 0
    # where s(z) = 1 and |p2| >> |p1| (p2 = -1e300 at z = 1830)
    z = _acon_z(x, p1, p2, beta)
    return _x_sd(_t(p1, z), z) + _x_sd(_t(p2, z), -z)


def _acon_d2(x, p1, p2, beta):
    # β(p1 - p2)²σ'(u)(2 - u tanh(u/2)), even in u, as sign(β)·k²·m with k = |p1 - p2|·e^{u/2}
    # ·√|β|/(1 + e^u), so σ'(u) = e^u/(1 + e^u)² is never formed alone: it is subnormal where the
    # product is not (β = 1e30, u = -109 in float32: 8e4 ULP; p1 = 1e300, u = -1827 in float64),
    # and β(p1 - p2)² overflows where σ'(u) = 0 (p1 = 1e300 at x = -inf: inf·0). u is clamped to
    # -1e4, where k is 0 and m finite.
    u = neg_abs(_acon_z(x, p1, p2, beta)).clamp(min=-1e4)
    b = _t(beta, u)
    q = torch.exp(u / 4)  # e^{u/2} in two steps: it underflows at u = -1490 where k need not
    k = ((_t(p1 - p2, u).abs() * q) * torch.sqrt(b.abs()) * q) / (1 + torch.exp(u))
    return torch.sign(b) * (k * k) * (2 - u * torch.tanh(u / 2))


def _deep(v, t):
    # v·e^t for t <= 0, also where e^t is subnormal (t < -708 in float64, -87 in float32) but
    # v·e^t is not: there as sign(v)·(√|v|·e^{t/2})², which rounds once, at the end. √ of 1
    # where unused or v = 0 (sign(0) = 0 gives 0): √'s infinite slope at 0 made the double
    # backward 0·inf = NaN (acon_c at x = -1e4).
    v = _fin(v)
    e = torch.exp(t)
    deep = e < torch.finfo(v.dtype).tiny
    root = torch.sqrt(torch.where(deep & (v != 0), v.abs(), torch.ones_like(v))) * torch.exp(t / 2)
    return torch.where(deep, torch.sign(v) * root * root, v * e)


def _x_sd(x, t):
    # x σ(t)(1 + tσ(-t)) (x times Swish's derivative at t), exact to the subnormals: for t < 0
    # it is x e ((1 + t) + e)/(1 + e)², e = e^t, and where e is subnormal x(1 + t)·e.
    t = _fin(t)
    xf = _fin(x)
    e = torch.exp(neg_abs(t))
    neg = torch.where(e < torch.finfo(x.dtype).tiny, _deep(xf * (1 + t), neg_abs(t)),
                      xf * (e * ((1 + t) + e) / (1 + e) ** 2))
    pos = x * ((1 + t * e / (1 + e)) / (1 + e))
    return torch.where(t >= 0, pos, neg)


def _acon_dbeta(x, p1, p2, beta):
    # u² σ'(βu), u = (p1 - p2)x: σ'(w) = e/(1 + e)², e = e^{-|w|}; u²e where e is subnormal
    u = (p1 - p2) * _fin(x)
    w = neg_abs(beta * u)
    e = torch.exp(w)
    return torch.where(e < torch.finfo(x.dtype).tiny, _deep(u * u, w), u * (u * _dsig(w)))


define(
    "acon_c", family=FAMILY, aliases=("aconc", "acon"),
    summary="ACON-C (p1 - p2)·x·σ(β(p1 - p2)x) + p2·x: learns between linear and non-linear.",
    formula=r"(p_1 - p_2)\,x\,\sigma\big(\beta (p_1 - p_2) x\big) + p_2 x",
    citation="Ma, Zhang, Liu, Zhang & Sun 2021, Activate or not: learning customized activation, "
    "CVPR (arXiv:2009.04759)",
    params=[Param("p1", 1.0, learnable=True, channelwise=True, doc="slope for large positive x."),
            Param("p2", 0.0, learnable=True, channelwise=True, doc="slope for large negative x."),
            Param("beta", 1.0, learnable=True, channelwise=True,
                  doc="switching factor (Meta-ACON computes it from the input; here learned).")],
    learn_by_default=True,
    forward=_acon,
    derivative=_acon_d,
    second_derivative=_acon_d2,
    param_grads={
        # ∂/∂p1 = x σ(z)(1 + zσ(-z)), ∂/∂p2 = x σ(-z)(1 - zσ(z)): Swish's derivative at ±z
        "p1": lambda x, p1, p2, beta: _x_sd(x, _acon_z(x, p1, p2, beta)),
        "p2": lambda x, p1, p2, beta: _x_sd(x, -_acon_z(x, p1, p2, beta)),
        "beta": _acon_dbeta,
    },
    reference=lambda x, p1, p2, beta: (p1 - p2) * x / (1 + sp.exp(-beta * (p1 - p2) * x)) + p2 * x,
    notes="With p1 = 1, p2 = 0 (the defaults) it is Swish with β; Meta-ACON (β from a small "
    "network over the channel's mean) is input-conditioned, not elementwise, and not here.",
    naive=lambda x, p1, p2, beta: (p1 - p2) * x * torch.sigmoid(beta * (p1 - p2) * x) + p2 * x,
)


# ---------------------------------------------------------------------------------- APL
def _hinge(x, b):
    return torch.relu(b - x)


def _apl(x, a1, b1, a2, b2):
    f = torch.relu(x) + _pmul(a1, _hinge(x, b1)) + _pmul(a2, _hinge(x, b2))
    # left of both hinges f = -(a1 + a2)x + a1 b1 + a2 b2: taken where the sum above is not finite
    # (inf - inf at x = -inf with a1 < 0 < a2; b - x overflows at x = -max with b = 1e300)
    left = _pmul(a1 + a2, -x.clamp(max=0.0)) + (a1 * b1 + a2 * b2)  # clamped: no inf at x = +inf
    return torch.where(torch.isfinite(f) | (x > 0) | (x >= b1) | (x >= b2), f, left)


def _apl_d(x, a1, b1, a2, b2):
    out = select(x > 0, 1.0, 0.0, like=x)
    out = out - torch.where(x < b1, _t(a1, x), _t(0.0, x)) - torch.where(x < b2, _t(a2, x), _t(0.0, x))
    return keep_nan(x, out)


_APL = "a_1, b_1, a_2, b_2"
define(
    "apl", family=FAMILY, aliases=("adaptive_piecewise_linear",),
    summary="Adaptive piecewise linear unit with S = 2 learned hinges: relu(x) + Σ a_s relu(b_s - x).",
    formula=r"\max(0, x) + \sum_{s=1}^{2} a_s \max(0, b_s - x)",
    citation="Agostinelli, Hoffman, Sadowski & Baldi 2015, Learning activation functions to improve "
    "deep neural networks, ICLR workshop (arXiv:1412.6830)",
    params=[Param("a1", 0.2, learnable=True, channelwise=True, doc="slope of the first hinge."),
            Param("b1", -1.0, learnable=True, channelwise=True, doc="location of the first hinge."),
            Param("a2", 0.1, learnable=True, channelwise=True, doc="slope of the second hinge."),
            Param("b2", 1.0, learnable=True, channelwise=True, doc="location of the second hinge.")],
    learn_by_default=True,
    forward=_apl,
    derivative=_apl_d,
    second_derivative=lambda x, a1, b1, a2, b2: zero(x),
    param_grads={
        "a1": lambda x, a1, b1, a2, b2: _hinge(x, b1),
        "b1": lambda x, a1, b1, a2, b2: keep_nan(x, torch.where(x < b1, _t(a1, x), _t(0.0, x))),
        "a2": lambda x, a1, b1, a2, b2: _hinge(x, b2),
        "b2": lambda x, a1, b1, a2, b2: keep_nan(x, torch.where(x < b2, _t(a2, x), _t(0.0, x))),
    },
    reference=lambda x, a1, b1, a2, b2: (
        sp.Piecewise((x, x > 0), (0, True)) + a1 * sp.Piecewise((b1 - x, x < b1), (0, True))
        + a2 * sp.Piecewise((b2 - x, x < b2), (0, True))),
    kinks=lambda a1, b1, a2, b2: tuple(sorted({0.0, b1, b2})),
    kink_note="Each hinge max(0, u) takes relu's convention (derivative 0 at u = 0, as torch): "
    "f'(0) = -Σ a_s [0 < b_s] and at x = b_s that hinge contributes 0.",
    notes=f"S is fixed at 2 (parameters {_APL}); the paper learns them per neuron (channelwise "
    "here) with an L2 penalty on a_s.",
    naive=lambda x, a1, b1, a2, b2: torch.relu(x) + a1 * torch.relu(b1 - x) + a2 * torch.relu(b2 - x),
)


# -------------------------------------------------------------------------------- SReLU
def _srelu(x, t_l, a_l, t_r, a_r):
    right = t_r + _pmul(a_r, x - t_r)
    left = t_l + _pmul(a_l, x - t_l)
    return torch.where(x >= t_r, right, torch.where(x <= t_l, left, x))


def _srelu_d(x, t_l, a_l, t_r, a_r):
    out = torch.where(x >= t_r, _t(a_r, x).expand_as(x),
                      torch.where(x <= t_l, _t(a_l, x).expand_as(x), torch.ones_like(x)))
    return keep_nan(x, out)


def _tl_le_tr(t_l: float, a_l: float, t_r: float, a_r: float) -> bool:
    return t_l <= t_r


define(
    "srelu", family=FAMILY, aliases=("s_shaped_relu",),
    summary="S-shaped ReLU: x between t_l and t_r, lines of learned slopes a_l, a_r outside.",
    formula=r"\begin{cases}t_r + a_r (x - t_r) & x \ge t_r\\ x & t_l < x < t_r\\ "
    r"t_l + a_l (x - t_l) & x \le t_l\end{cases}",
    citation="Jin, Xu, Feng, Wei, Xiong & Yan 2016, Deep learning with S-shaped rectified linear "
    "activation units, AAAI (arXiv:1512.07030)",
    params=[Param("t_l", -1.0, learnable=True, channelwise=True, doc="left threshold."),
            Param("a_l", 0.1, learnable=True, channelwise=True, doc="slope left of t_l."),
            Param("t_r", 1.0, learnable=True, channelwise=True, doc="right threshold (>= t_l)."),
            Param("a_r", 0.1, learnable=True, channelwise=True, doc="slope right of t_r.")],
    relations=[Relation(_tl_le_tr, "t_l <= t_r", "pass a left threshold at or below the right one")],
    learn_by_default=True,
    forward=_srelu,
    derivative=_srelu_d,
    second_derivative=lambda x, t_l, a_l, t_r, a_r: zero(x),
    param_grads={
        "t_l": lambda x, t_l, a_l, t_r, a_r: keep_nan(x, torch.where(
            (x <= t_l) & (x < t_r), 1 - _t(a_l, x), _t(0.0, x))),
        "a_l": lambda x, t_l, a_l, t_r, a_r: keep_nan(x, torch.where(
            (x <= t_l) & (x < t_r), x - t_l, _t(0.0, x))),
        "t_r": lambda x, t_l, a_l, t_r, a_r: keep_nan(x, torch.where(x >= t_r, 1 - _t(a_r, x), _t(0.0, x))),
        "a_r": lambda x, t_l, a_l, t_r, a_r: keep_nan(x, torch.where(x >= t_r, x - t_r, _t(0.0, x))),
    },
    reference=lambda x, t_l, a_l, t_r, a_r: sp.Piecewise(
        (t_r + a_r * (x - t_r), x >= t_r), (t_l + a_l * (x - t_l), x <= t_l), (x, True)),
    kinks=lambda t_l, a_l, t_r, a_r: (t_l, t_r),
    kink_note="f'(t_l) = a_l and f'(t_r) = a_r: the outer pieces (the paper's x <= t_l, x >= t_r; "
    "as leaky_relu's f'(0) = slope in torch).",
    notes="Defaults: a symmetric S (t = ±1, slopes 0.1); the paper initialises a_r = 1 and learns "
    "all four per channel.",
    naive=lambda x, t_l, a_l, t_r, a_r: torch.where(
        x >= t_r, t_r + a_r * (x - t_r), torch.where(x <= t_l, t_l + a_l * (x - t_l), x)),
)


# ------------------------------------------------------------------------ PSerf / ErfAct
LOW = -40.0  # t below which softplus(t) = σ(t) = e^t to every dtype's precision


def _pserf_parts(x, gamma, delta):
    """t = δx, softplus(t), w = γ softplus(t), ρ = σ(t)/softplus(t), e^{-w²}, and the masks
    t < LOW and (``tail``) t < LOW with w below the normal range.

    Below LOW every term is ∝ e^t, taken by scaled_exp: where e^t is subnormal its digits are
    lost that γe^t keeps (γ = 1e300 at t = -744 in float64: 4e11 ULP). w is clamped to ±1e10:
    beyond, erf(w) = ±1 and e^{-w²} = 0 in every dtype, and w² stays finite, so w^k e^{-w²} is 0,
    not inf·0 (γ = 1e300 at x = -358)."""
    t = _fin(delta * _fin(x))
    low = t < LOW
    s = _softplus(t)
    w = torch.where(low, scaled_exp(t.clamp(max=0.0), gamma), gamma * s).clamp(-1e10, 1e10)
    rho = torch.where(low, torch.ones_like(t), _sigmoid(t) / torch.where(low, torch.ones_like(s), s))
    tail = low & (w.abs() < torch.finfo(x.dtype).tiny)
    return t, s, w, rho, torch.exp(-w * w), low, tail


def _pserf(x, gamma, delta):
    # x erf(w); where w has lost its digits, x γ (2/√π) e^t
    t, _, w, _, _, _, tail = _pserf_parts(x, gamma, delta)
    return torch.where(tail, _deep(_fin(x) * (gamma * TWO_OVER_SQRT_PI), t), _times(x, torch.erf(w)))


def _pserf_d(x, gamma, delta):
    # erf(w) + x w' (2/√π) e^{-w²}, w' = γδσ(t), so x w' = γσ(t)·t (= w·t below LOW, where σ(t)
    # alone may have lost digits); 0 where e^{-w²} is (|w| > 27: γσ(t)·t may be inf there).
    # Where w has lost its digits, γ (2/√π)(1 + t) e^t.
    t, _, w, _, e, low, tail = _pserf_parts(x, gamma, delta)
    gate = torch.where(low, w, gamma * _sigmoid(t))
    normal = torch.erf(w) + torch.where(e == 0, torch.zeros_like(e), (TWO_OVER_SQRT_PI * e) * gate * t)
    return torch.where(tail, scaled_exp(t.clamp(max=0.0), 1 + t, gamma, TWO_OVER_SQRT_PI), normal)


def _pserf_d2(x, gamma, delta):
    # (2/√π) e^{-w²} (2w' + x(w'' - 2w w'²)) = (2/√π) γσ(t) δ e^{-w²} (2 + tσ(-t) - 2tρ w²).
    # The first product by scaled_exp: e^{-w²} is subnormal where δ times it is not (δ = 1e300,
    # t = 27); below LOW σ(t) = e^t, with e^t's own digits kept.
    t, _, w, rho, e, low, _ = _pserf_parts(x, gamma, delta)
    scale = torch.where(low, scaled_exp(t.clamp(max=0.0), gamma, delta, TWO_OVER_SQRT_PI, e),
                        scaled_exp(-w * w, gamma, _sigmoid(t), delta, TWO_OVER_SQRT_PI))
    return scale * (2 + t * _sigmoid(-t) - (t * rho) * (2 * w * w))  # not 2t: -2·max overflows


def _pserf_dgamma(x, gamma, delta):
    # x (2/√π) e^{-w²} softplus(t), one factor at a time (x softplus(t) overflows where e^{-w²}
    # makes the product finite); below LOW softplus(t) = e^t, with its own digits kept. At
    # x = ±inf, x times the rest at ±max: ±inf where that is not 0 (δ = 0: x·constant).
    t, s, w, _, e, low, _ = _pserf_parts(x, gamma, delta)
    xf = _fin(x)
    normal = torch.where(torch.isinf(x), _times(x, scaled_exp(-w * w, s, TWO_OVER_SQRT_PI)),
                         scaled_exp(-w * w, xf, s, TWO_OVER_SQRT_PI))
    return torch.where(low, scaled_exp(t.clamp(max=0.0), xf, TWO_OVER_SQRT_PI, e), normal)


def _pserf_ddelta(x, gamma, delta):
    # x² γ σ(t) (2/√π) e^{-w²}, one factor at a time, γ first: x² overflows where γ or e^{-w²}
    # makes the product finite (γ = 1e-300 at x = 1.3e154; δ = 1e-300 at x = 2.7e301: 2e286),
    # and γσ(t) alone is subnormal where the product is not (γ = 1e-300, x = -36.7: 21 ULP);
    # below LOW σ(t) = e^t
    t, _, w, _, e, low, _ = _pserf_parts(x, gamma, delta)
    xf = _fin(x)
    return torch.where(low, scaled_exp(t.clamp(max=0.0), gamma, xf, xf, TWO_OVER_SQRT_PI, e),
                       scaled_exp(-w * w, gamma, xf, xf, _sigmoid(t), TWO_OVER_SQRT_PI))


_SERF_BOUND = ("f' = erf(w) + x(2/√π)e^(-w²)w' (Serf's at γ = δ = 1): for x < -1 both terms are "
               "∝ e^x and cancel ~|x|:(|x| - 1) with κ ≈ 1, each carrying erf∘log1p∘exp's "
               "rounding (Serf needs the same 12 ULP)")

define(
    "pserf", family=FAMILY, aliases=("parametric_serf",),
    summary="Parametric Serf x·erf(γ·softplus(δx)): Serf with learned input and gate scales.",
    formula=r"x \operatorname{erf}\big(\gamma \log(1 + e^{\delta x})\big)",
    citation="Biswas, Banerjee & Pandey 2022, ErfAct and Pserf: non-monotonic smooth trainable "
    "activation functions, AAAI (arXiv:2109.04386)",
    params=[Param("gamma", 1.0, learnable=True, channelwise=True, doc="gate scale γ."),
            Param("delta", 1.0, learnable=True, channelwise=True, doc="input scale δ.")],
    learn_by_default=True,
    forward=_pserf,
    derivative=_pserf_d,
    second_derivative=_pserf_d2,
    param_grads={"gamma": _pserf_dgamma, "delta": _pserf_ddelta},
    bounds={"df:float32": Bound(12, _SERF_BOUND), "df:float64": Bound(12, _SERF_BOUND)},
    reference=lambda x, gamma, delta: x * sp.erf(gamma * sp_log1p(sp.exp(delta * x))),
    notes="γ = δ = 1 (the defaults) is Serf.",
    naive=lambda x, gamma, delta: x * torch.erf(gamma * torch.nn.functional.softplus(delta * x)),
)


def _erfact_parts(x, alpha, beta):
    """t = βx, w = αe^t, e^{-w²}, and ``tail``: t <= 0 with w below the normal range, whose
    digits are lost (every term is then ∝ αe^t, taken by scaled_exp).

    For t < 0, w = αe^t by scaled_exp: e^t is subnormal where αe^t is not (α = 1e300 at
    t = -744 in float64). Past exp's overflow, w = ±e^{t + log|α|}. w is clamped to ±1e10:
    beyond, erf(w) = ±1 and e^{-w²} = 0 in every dtype, and w² stays finite, so w^k e^{-w²} is
    0, not inf·0."""
    t = _fin(beta * _fin(x))
    top = 700.0 if x.dtype == torch.float64 else 80.0
    a = torch.as_tensor(alpha, dtype=x.dtype, device=x.device)
    log_a = torch.log(torch.where(a == 0, torch.ones_like(a), a.abs()))  # log 0 unused (and its
    far = torch.sign(a) * torch.exp((t + log_a).clamp(max=50.0))  # gradient NaN); e^50 > 1e10
    up = torch.where(t > top, far, a * torch.exp(t.clamp(max=top)))
    w = torch.where(t < 0, scaled_exp(t.clamp(max=0.0), alpha), up).clamp(-1e10, 1e10)
    return t, w, torch.exp(-w * w), (t <= 0) & (w.abs() < torch.finfo(x.dtype).tiny)


def _erfact(x, alpha, beta):
    # x erf(w); where w has lost its digits, x α (2/√π) e^t
    t, w, _, tail = _erfact_parts(x, alpha, beta)
    return torch.where(tail, _deep(_fin(x) * (alpha * TWO_OVER_SQRT_PI), t.clamp(max=0.0)),
                       _times(x, torch.erf(w)))


def _erfact_d(x, alpha, beta):
    # erf(w) + x w' (2/√π) e^{-w²}, x w' = xβw = tw; 0 where e^{-w²} is (t w may be inf there).
    # Where w has lost its digits, α (2/√π)(1 + t) e^t.
    t, w, e, tail = _erfact_parts(x, alpha, beta)
    normal = torch.erf(w) + torch.where(e == 0, torch.zeros_like(e), (TWO_OVER_SQRT_PI * e) * w * t)
    return torch.where(tail, scaled_exp(t.clamp(max=0.0), 1 + t, TWO_OVER_SQRT_PI, alpha), normal)


def _erfact_d2(x, alpha, beta):
    # (2/√π) w β e^{-w²} (2 + t(1 - 2w²)), the product by scaled_exp (e^{-w²} is subnormal where
    # β times it is not), 0 where it is 0 (t(1 - 2w²) may be inf there); where w has lost its
    # digits, (2/√π) αβ (2 + t) e^t
    t, w, _, tail = _erfact_parts(x, alpha, beta)
    scale = scaled_exp(-w * w, w, beta, TWO_OVER_SQRT_PI)
    normal = torch.where(scale == 0, scale, scale * (2 + t * (1 - 2 * w * w)))
    return torch.where(tail, scaled_exp(t.clamp(max=0.0), 2 + t, beta, TWO_OVER_SQRT_PI, alpha), normal)


def _erfact_dalpha(x, alpha, beta):
    # x (2/√π) e^{-w²} e^t: for t <= 0 by scaled_exp (x itself, not clamped: with β = 0.0316,
    # e^{β·-1e4} is 1e-137, not the 0 of the limit at -inf); for t > 0, 0 where e^{-w²} is
    # (e^t may be inf there), and inf where e^t is and e^{-w²} is not (α = 0: x(2/√π)e^t);
    # at x = ±inf, x times the rest (β = 0: x·constant)
    t, _, e, _ = _erfact_parts(x, alpha, beta)
    used = torch.where(e == 0, torch.zeros_like(t), t)  # an unused e^t = inf: autograd's 0·inf = NaN
    rest = torch.where(e == 0, e, TWO_OVER_SQRT_PI * torch.exp(used) * e)
    return torch.where(torch.isinf(x) | (t > 0), _times(x, rest),
                       scaled_exp(t.clamp(max=0.0), _fin(x), e, TWO_OVER_SQRT_PI))  # x·c overflows at ±max


def _erfact_dbeta(x, alpha, beta):
    # x² (2/√π) w e^{-w²}; where x² overflows or e^{-w²} is subnormal, one factor at a time, w
    # first (w or e^{-w²} make the product finite); where w has lost its digits, x² α (2/√π) e^t,
    # α last (α = 1e-300: αe^t alone is subnormal, 40 ULP, where x²αe^t is not)
    t, w, e, tail = _erfact_parts(x, alpha, beta)
    xf = _fin(x)
    plain = (xf.abs() < math.sqrt(torch.finfo(x.dtype).max)) & (e >= torch.finfo(x.dtype).tiny)
    return torch.where(tail, scaled_exp(t.clamp(max=0.0), xf, xf, TWO_OVER_SQRT_PI, alpha),
                       torch.where(plain, xf * xf * (TWO_OVER_SQRT_PI * w * e),
                                   scaled_exp(-w * w, w, xf, xf, TWO_OVER_SQRT_PI)))


define(
    "erfact", family=FAMILY, aliases=("erf_act",),
    summary="ErfAct x·erf(α e^{βx}): a smooth, non-monotonic self-gate with learned α, β.",
    formula=r"x \operatorname{erf}\big(\alpha e^{\beta x}\big)",
    citation="Biswas, Banerjee & Pandey 2022, ErfAct and Pserf: non-monotonic smooth trainable "
    "activation functions, AAAI (arXiv:2109.04386)",
    params=[Param("alpha", 0.75, learnable=True, channelwise=True, doc="gate scale α."),
            Param("beta", 0.75, learnable=True, channelwise=True, doc="input scale β.")],
    learn_by_default=True,
    forward=_erfact,
    derivative=_erfact_d,
    second_derivative=_erfact_d2,
    param_grads={
        "alpha": _erfact_dalpha,
        "beta": _erfact_dbeta,
    },
    # ±x where αe^(βx) is beyond ±30 (erf(30) = 1 - 1e-393), so that the oracle never
    # evaluates erf(±e^7500) and e^(-w²) at w = ±e^7500 (as tanhexp's reference)
    bounds={"df:float32": Bound(8, "f' = erf(w) + x(2/√π)βw e^(-w²), w = αe^(βx): for x < 0 the terms "
                                "cancel ~4:1 near x = -2.3 with κ < 1, each with ~1.5 ULP from "
                                "erf/exp of the rounded w; the float32 grid peaks at 5.3 ULP"),
            "d_alpha:float32": Bound(6, "∂f/∂α = x(2/√π)e^(-w²)e^(βx): e^(-w²) multiplies w²'s "
                                     "rounding by w² (≈ 2 near x = 1); the float32 grid peaks at "
                                     "4.5 ULP")},
    reference=lambda x, alpha, beta: sp.Piecewise((x, alpha * sp.exp(beta * x) > 30),
                                                  (-x, alpha * sp.exp(beta * x) < -30),
                                                  (x * sp.erf(alpha * sp.exp(beta * x)), True)),
    naive=lambda x, alpha, beta: x * torch.erf(alpha * torch.exp(beta * x)),
)


# ----------------------------------------------------------------------------- Snake-β
def _snake_arg(x, alpha):
    # αx, 0 where it overflows for a finite x (the phase is lost; see periodic.snake)
    a = alpha * x
    return torch.where(torch.isinf(a) & torch.isfinite(x), torch.zeros_like(a), a)


def _snake_beta(x, alpha, beta):
    # sin²(a)/β as s·(s/β): s² alone underflows for tiny a (β = 1e-300 at x = -5.7e-301); 0 at
    # s = 0, also where float32 flushed β to 0 (s/β = 0/0 there)
    s = torch.sin(_snake_arg(x, alpha))
    ripple = torch.where(s == 0, torch.zeros_like(s), s * (s / beta))
    return torch.where(torch.isinf(x), x, x + ripple)


def _snake_beta_d(x, alpha, beta):
    # 1 + (α/β) sin 2a = (1 - r) + r (sin a + cos a)², r = α/β: exact through the double roots of
    # 1 + sin 2a when α = β (Snake), where the textbook form cancels; and a sum of two terms >= 0
    # for r <= 1. For r >= 2 the roots are simple and that form cancels r:1 (1 - r = -30.6
    # against 31.6 near a = 0 for r = 31.6: 81 ULP), 1 + r·2 sin a cos a at most 2:1.
    # 1 at s = 0 (r = inf where float32 flushed β to 0: r·0 was NaN).
    a = _snake_arg(x, alpha)
    s, c = torch.sin(a), torch.cos(a)
    r = alpha / beta
    out = torch.where(torch.as_tensor(r < 2), (1 - r) + r * (s + c) ** 2, 1 + r * (2 * s * c))
    out = torch.where(s == 0, torch.ones_like(out), out)
    return settled(x, out, r < torch.finfo(x.dtype).eps / 4, 1.0)


def _snake_beta_dalpha(x, alpha, beta):
    # x·((2 sin a cos a)/β): 2x overflows at the largest floats, where x sin 2a does not;
    # x·sin 2a before /β is subnormal for tiny x (4.8 ULP in float32 at β = 0.0316); 0 at s = 0
    # (0/0 where float32 flushed β to 0)
    a = _snake_arg(x, alpha)
    s = torch.sin(a)
    return torch.where(s == 0, torch.zeros_like(s), x * ((2 * s * torch.cos(a)) / beta))


def _snake_beta_dbeta(x, alpha, beta):
    # -(sin a/β)²: sin² a is subnormal before the division for tiny a (232 ULP at x = 4e-159).
    # At ±inf: 0 where 1/β² is 0 in x's dtype, -inf where it overflows (every value but at the
    # zeros of sin), else no limit
    v = -((torch.sin(_snake_arg(x, alpha)) / beta) ** 2)
    scale = _t(1 / (beta * beta), x)
    return settled(x, settled(x, v, scale == 0, 0.0), torch.isinf(scale), -math.inf)


def _snake_beta_d2(x, alpha, beta):
    # (2α²/β) cos 2a, as (2α²/β)(cos a - sin a)(cos a + sin a)
    a = _snake_arg(x, alpha)
    s, c = torch.sin(a), torch.cos(a)
    k = 2 * alpha * alpha / beta
    return settled(x, k * ((c - s) * (c + s)), _t(k, x) == 0, 0.0)


define(
    "snake_beta", family="periodic", aliases=("snakebeta",),
    summary="Snake-β x + sin²(αx)/β: Snake with separate learned frequency α and magnitude 1/β.",
    formula=r"x + \frac{1}{\beta}\sin^2(\alpha x)",
    citation="Lee, Ping, Ginsburg, Catanzaro & Yoon 2023, BigVGAN: a universal neural vocoder with "
    "large-scale training, ICLR (arXiv:2206.04658)",
    params=[Param("alpha", 1.0, POSITIVE, learnable=True, channelwise=True, doc="frequency α."),
            Param("beta", 1.0, POSITIVE, learnable=True, channelwise=True, doc="inverse magnitude β.")],
    learn_by_default=True,
    forward=_snake_beta,
    derivative=_snake_beta_d,
    second_derivative=_snake_beta_d2,
    param_grads={
        "alpha": _snake_beta_dalpha,
        "beta": _snake_beta_dbeta,
    },
    reference=lambda x, alpha, beta: x + sp.sin(alpha * x) ** 2 / beta,
    notes="α = β is Snake; BigVGAN learns both per channel (optionally as logarithms).",
    naive=lambda x, alpha, beta: x + torch.sin(alpha * x) ** 2 / beta,
)


# --------------------------------------------------------------------- torch-activation
_PISHCHIK = ("Pishchik 2023, Trainable activations for image classification, Preprints.org "
             "(doi:10.20944/preprints202301.0463.v1); torch-activation")

define(
    "shilu", family=FAMILY, aliases=("shifted_relu_learnable",),
    summary="ShiLU α·relu(x) + β: a ReLU with a learned scale and shift.",
    formula=r"\alpha \max(x, 0) + \beta",
    citation=_PISHCHIK,
    params=[Param("alpha", 1.0, learnable=True, channelwise=True, doc="scale α."),
            Param("beta", 0.0, learnable=True, channelwise=True, doc="shift β.")],
    learn_by_default=True,
    forward=lambda x, alpha, beta: _pmul(alpha, torch.relu(x)) + beta,
    derivative=lambda x, alpha, beta: keep_nan(x, torch.where(x > 0, _t(alpha, x), _t(0.0, x))),
    second_derivative=lambda x, alpha, beta: zero(x),
    param_grads={"alpha": lambda x, alpha, beta: torch.relu(x),
                 "beta": lambda x, alpha, beta: keep_nan(x, torch.ones_like(x))},
    reference=lambda x, alpha, beta: sp.Piecewise((beta, x <= 0), (alpha * x + beta, True)),
    kinks=(0.0,),
    kink_note="f'(0) = 0 (relu's convention, as torch).",
    naive=lambda x, alpha, beta: alpha * torch.relu(x) + beta,
)


def _ssoftsign_den(x, beta):
    # (β + |x|, its scale): halved where β + |x| overflows though both are finite (β = 1e300 at
    # x = ±max: f would be ±0, not ±1)
    d = beta + x.abs()
    over = torch.isinf(d) & torch.isfinite(x)
    return torch.where(over, beta / 2 + x.abs() / 2, d), torch.where(over, 0.5, 1.0)


def _ssoftsign(x, alpha, beta):
    # α·(x/(β + |x|)): at x = ±inf, x/(β + |x|) is inf/inf, its limit ±1 taken explicitly; x
    # itself at x = 0 (0/0 where float32 flushed β = 1e-300 to 0; β > 0 always)
    d, k = _ssoftsign_den(x, beta)
    return alpha * torch.where(torch.isinf(x), torch.sign(x), torch.where(x == 0, x, (k * x) / d))


def _ssoftsign_d(x, alpha, beta):
    # αβ/(β + |x|)², as (α/(β + |x|))·(β/(β + |x|)): no overflow of the square; 0 where β/(β + |x|)
    # is (β flushed to 0 in float32, where α/|x| may be inf)
    d, k = _ssoftsign_den(x, beta)
    q = _t(beta, x) / d  # a tensor: a plain number over d is its reciprocal times it (inf·0)
    return torch.where(q == 0, q, ((alpha / d) * q) * (k * k))


def _ssoftsign_d2(x, alpha, beta):
    # -2 sign(x) f'/(β + |x|), 0 where f' is
    d, k = _ssoftsign_den(x, beta)
    d1 = _ssoftsign_d(x, alpha, beta)
    return torch.where(d1 == 0, d1, -2 * torch.sign(x) * d1 / d * k)


def _ssoftsign_dbeta(x, alpha, beta):
    # -αx/(β + |x|)², x clamped to the largest double (no inf/inf), and the limit 0 at ±inf
    # Where x/d is subnormal it has lost digits that the result keeps after /d (16 ULP at
    # x = -1.6e-316, β = 0.0316): there -x·(α/d²), rounded once (d = β, d² normal).
    xd = _f64(x)
    d, k = _ssoftsign_den(xd, beta)
    q = (k * xd) / d
    out = torch.where(q.abs() < torch.finfo(x.dtype).tiny, -(xd * (alpha / (d * d))), -alpha * (q / d) * k)
    return torch.where(torch.isinf(x), torch.zeros_like(out), out)


define(
    "scaled_softsign", family=FAMILY, aliases=("scaledsoftsign",),
    summary="Scaled softsign αx/(β + |x|): softsign with learned range α and knee β.",
    formula=r"\frac{\alpha x}{\beta + |x|}",
    citation=_PISHCHIK,
    params=[Param("alpha", 1.0, learnable=True, channelwise=True, doc="output range ±α."),
            Param("beta", 1.0, POSITIVE, learnable=True, channelwise=True, doc="knee β.")],
    learn_by_default=True,
    forward=_ssoftsign,
    derivative=_ssoftsign_d,
    second_derivative=lambda x, alpha, beta: _ssoftsign_d2(x, alpha, beta),
    param_grads={
        "alpha": lambda x, alpha, beta: _ssoftsign(x, 1.0, beta),
        "beta": _ssoftsign_dbeta,
    },
    reference=lambda x, alpha, beta: sp.Piecewise((alpha * x / (beta - x), x < 0),
                                                  (alpha * x / (beta + x), True)),
    kinks=(0.0,),
    kink_note="C1 at 0 (f'(0) = α/β); f'' jumps from 2α/β² to -2α/β² there and is taken as 0 "
    "(torch.sign(0) = 0).",
    naive=lambda x, alpha, beta: alpha * x / (beta + x.abs()),
)


# ------------------------------------------------------------------------------- bounded ReLU
define(
    "bounded_relu", family=FAMILY, aliases=("brelu", "relu_n", "relun"),
    summary="Bounded ReLU min(max(x, 0), n): ReLU capped at a (learnable) n; relu6 is n = 6.",
    formula=r"\min(\max(x, 0), n)",
    citation="Liew, Khalil-Hani & Bakhteri 2016, Bounded activation functions for enhanced "
    "training stability of deep neural networks on visual pattern recognition problems, "
    "Neurocomputing 216",
    params=[Param("n", 1.0, POSITIVE, learnable=True, doc="the cap n.")],
    forward=lambda x, n: torch.where(x <= 0, torch.zeros_like(x),
                                     torch.where(x >= n, _t(n, x).expand_as(x), x)),
    derivative=lambda x, n: step((x > 0) & (x < n), 1.0, 0.0, x),
    second_derivative=lambda x, n: zero(x),
    param_grads={"n": lambda x, n: step(x >= n, 1.0, 0.0, x)},
    reference=lambda x, n: sp.Piecewise((0, x <= 0), (n, x >= n), (x, True)),
    kinks=lambda n: (0.0, n),
    kink_note="f'(0) = f'(n) = 0 (as torch's relu6 and hardtanh).",
    native=lambda x, n: torch.nn.functional.hardtanh(x, 0.0, n),
    naive=lambda x, n: torch.clamp(torch.clamp(x, min=0), max=n),
)


# ------------------------------------------------------------------------------------ MPELU
def _expm1_neg(u):
    # e^u - 1 for u <= 0 as 2t/(1 - t), t = tanh(u/2): exact to the last bits near 0 without
    # expm1 (which inductor lowers as exp - 1 in a user's compiled graph)
    # (|u| < eps: u itself, as u/2 loses the last bits of a subnormal u)
    t = torch.tanh(u / 2)
    return torch.where(u.abs() < torch.finfo(u.dtype).eps, u, 2 * t / (1 - t))


def _mpelu_t(x, beta):
    # βx for x <= 0, -inf at x = -inf also where float32 flushed β = 1e-300 to 0 (β > 0 always)
    xn = torch.clamp(x, max=0.0)
    return torch.where(torch.isinf(xn), xn, beta * _fin(xn))


def _mpelu_neg(x, alpha, beta):
    return _pmul(alpha, _expm1_neg(_mpelu_t(x, beta)))


def _mpelu_dbeta(x, alpha, beta):
    # αx e^{βx} for x <= 0. Where e^{βx} is subnormal it has lost digits that x e^{βx} keeps
    # (15 ULP at x = -3162, β = 0.0316 in float32): there α(x h)h with h = e^{βx/2}.
    xn = torch.clamp(x, max=0.0)
    t = beta * xn
    e, h = torch.exp(t), torch.exp(t / 2)
    v = torch.where(e < torch.finfo(x.dtype).tiny, (alpha * (_fin(xn) * h)) * h, _times(xn, alpha * e))
    return torch.where(x > 0, torch.zeros_like(x), v)


define(
    "mpelu", family=FAMILY, aliases=("multiple_parametric_elu",),
    summary="MPELU: x for x > 0, α(e^{βx} - 1) otherwise; ELU (α), PReLU (β -> 0) in one.",
    formula=r"\begin{cases}x & x > 0\\ \alpha\,(e^{\beta x} - 1) & x \le 0\end{cases}",
    citation="Li, Ding & Wang 2018, Improving deep neural network with multiple parametric "
    "exponential linear units, Neurocomputing 301 (arXiv:1606.00305)",
    params=[Param("alpha", 1.0, learnable=True, channelwise=True, doc="scale α of the negative part."),
            Param("beta", 1.0, POSITIVE, learnable=True, channelwise=True,
                  doc="rate β of the negative part.")],
    learn_by_default=True,
    forward=lambda x, alpha, beta: torch.where(x > 0, x, _mpelu_neg(x, alpha, beta)),
    derivative=lambda x, alpha, beta: torch.where(
        x > 0, torch.ones_like(x), scaled_exp(_mpelu_t(x, beta), alpha, beta)),
    second_derivative=lambda x, alpha, beta: torch.where(
        x > 0, torch.zeros_like(x), scaled_exp(_mpelu_t(x, beta), alpha, beta, beta)),
    param_grads={
        "alpha": lambda x, alpha, beta: torch.where(x > 0, torch.zeros_like(x), _expm1_neg(
            _mpelu_t(x, beta))),
        "beta": _mpelu_dbeta,
    },
    reference=lambda x, alpha, beta: sp.Piecewise((x, x > 0), (alpha * (sp.exp(beta * x) - 1), True)),
    kinks=(0.0,),
    kink_note="f'(0) = αβ (the x <= 0 branch, as torch's elu); C1 only for αβ = 1.",
    naive=lambda x, alpha, beta: torch.where(x > 0, x, alpha * (torch.exp(beta * x) - 1)),
)


# ----------------------------------------------------------------------- soft-root-sign
# |x/β| beyond which every term below is 0 or inf in every dtype
_SRS_FAR = 3000.0


def _srs_parts(x, alpha, beta):
    # u = x/β clamped where e^{-|u|} is 0 in every dtype (x/β = ±inf would make 0·inf below).
    # x < 0: f multiplied through by e = e^{u} (e^{-u} overflows there) is x e/(1 + (x/α) e).
    xf = _fin(x)
    u = torch.nan_to_num(xf / beta, nan=0.0).clamp(-_SRS_FAR, _SRS_FAR)  # 0/0: β flushed to 0
    xn = torch.clamp(xf, max=0.0)
    e = torch.exp(u.clamp(max=0.0))
    return xf, u, xn, e


def _srs_root(xf, u, alpha):
    # x > 0: the square root of E/D² = 1/(E + 2a + H) (a = x/α, E = e^{-u}, D = a + E, H = a²e^u):
    # f' and ∂f/∂β are (1 + u) and -u² times its square, multiplied in before the squaring (E/D²
    # alone is subnormal from x = 2150 in float64). It stays finite where E alone is 0 and a tiny
    # (α = 1e30 in float32: f' = 4e10 at x = 316, where E = e^{-105}): h = √H = a e^{u/4} e^{u/4},
    # in steps that cannot overflow while H <= e^40; beyond, as 1/h over √(1 + (E + 2a)/H),
    # 1/h = e^{-(u/2 + log a)}. Each branch sees inputs safe for it: autograd of f' runs both.
    up = u.clamp(min=0.0)
    a = xf.clamp(min=0.0) / alpha
    far = (up / 2 + torch.log(a)) > 20
    gone = up >= _SRS_FAR  # E = 0 and H = inf in every dtype, also where x/α alone underflows
    un = torch.where(far | gone, 0.0, up)
    uf, af = torch.where(far, up, 0.0), torch.where(far, a, 1.0)
    q = torch.exp(un / 4)
    h = (a * q) * q
    inv_h = torch.exp(-(uf / 2 + torch.log(af)))
    root = torch.where(far, inv_h / torch.sqrt(1 + (torch.exp(-uf) + 2 * af) * inv_h * inv_h),
                       torch.rsqrt(torch.exp(-un) + 2 * a + h * h))
    return torch.where(gone, torch.zeros_like(root), root)


def _srs(x, alpha, beta):
    xf, u, xn, e = _srs_parts(x, alpha, beta)
    neg = _times(xn, e) / (1 + (xn / alpha) * e)
    xp = xf.clamp(min=0.0)
    E = torch.exp(-u.clamp(min=0.0))
    # E = 0: f = x/(x/α) is α (x/α alone loses digits where it is subnormal: β flushed to 0)
    pos = torch.where(E == 0, _t(alpha, x).expand_as(x), xp / (xp / alpha + E))
    return torch.where(x < 0, neg, pos)


def _srs_d(x, alpha, beta):
    # E(1 + x/β)/D²; x < 0: e(1 + x/β)/(1 + (x/α)e)²
    xf, u, xn, e = _srs_parts(x, alpha, beta)
    neg = e * (1 + u.clamp(max=0.0)) / (1 + (xn / alpha) * e) ** 2
    root = _srs_root(xf, u, alpha)
    pos = ((1 + u.clamp(min=0.0)) * root) * root
    out = torch.where(x < 0, neg, torch.where(torch.isinf(x), torch.zeros_like(x), pos))
    return torch.where(torch.isnan(x), x * out, out)  # NaN, and NaN under autograd (f'') too


def _srs_d2(x, alpha, beta):
    # analytic, so that no quotient overflows on the way (autograd of f' squares 1/(D²/E)):
    # x > 0: (E/D²)((2(1 + u)/(1 + a e^u) - u)/β - 2(1 + u)/(x + αE));
    # x < 0: (e/β (u + 2) - e²(u² + 2u + 2)/α)/(1 + a e)³, with e/β = e^{u - log β} where e alone
    # is subnormal (β = 1e-30 in float32)
    xf, u, xn, e = _srs_parts(x, alpha, beta)
    un, up = u.clamp(max=0.0), u.clamp(min=0.0)
    log_beta = torch.log(beta) if isinstance(beta, torch.Tensor) else math.log(beta)
    eb = torch.where(e >= torch.finfo(x.dtype).tiny, e / beta, torch.exp(un - log_beta))
    neg = (eb * (un + 2) - e * e * (un * un + 2 * un + 2) / alpha) / (1 + (xn / alpha) * e) ** 3
    root, xp = _srs_root(xf, u, alpha), xf.clamp(min=0.0)
    q = (xp / alpha) * torch.exp(up)
    pos = root * ((2 * (1 + up) / (1 + q) - up) / beta - 2 * (1 + up) / (xp + alpha * torch.exp(-up)))
    pos = torch.where((root == 0) | torch.isinf(x), torch.zeros_like(x), pos * root)
    return keep_nan(x, torch.where(x < 0, neg, pos))


def _srs_dalpha(x, alpha, beta):
    return (_srs(x, alpha, beta) / alpha) ** 2


def _srs_dbeta(x, alpha, beta):
    # -(x/β)² E/D²; x < 0: -(x/β)² e/(1 + (x/α)e)², with (x/β)²e = (|x/β| e^{x/(2β)})² (e alone
    # is subnormal from x/β < -87 in float32)
    xf, u, xn, e = _srs_parts(x, alpha, beta)
    un = u.clamp(max=0.0)
    root = un.abs() * torch.exp(un / 2)
    neg = -(root * root) / (1 + (xn / alpha) * e) ** 2
    up = u.clamp(min=0.0)
    pos = -(up * _srs_root(xf, u, alpha)) ** 2
    return keep_nan(x, torch.where(x < 0, neg, torch.where(torch.isinf(x), torch.zeros_like(x), pos)))


def _srs_ok(alpha: float, beta: float) -> bool:
    return beta < math.e * alpha


define(
    "srs", family=FAMILY, aliases=("soft_root_sign", "softrootsign"),
    summary="Soft-root-sign x/(x/α + e^{-x/β}): bounded above by α, zero-mean-ish, learned α, β.",
    formula=r"\frac{x}{x/\alpha + e^{-x/\beta}}",
    citation="Zhou, Li, Liu & Wang 2020, Soft-root-sign activation function, arXiv:2003.00547",
    params=[Param("alpha", 2.0, POSITIVE, learnable=True, doc="upper bound α."),
            Param("beta", 3.0, POSITIVE, learnable=True, doc="decay β.")],
    relations=[Relation(_srs_ok, "beta < e*alpha", "keep β/α below e: otherwise x/α + e^(-x/β) "
                        "has a root and f a pole")],
    learn_by_default=True,
    forward=_srs,
    derivative=_srs_d,
    second_derivative=_srs_d2,
    param_grads={"alpha": _srs_dalpha, "beta": _srs_dbeta},
    bounds={"d_alpha:float32": Bound(8, "∂f/∂α = (f/α)² carries twice f's relative error, and f's "
                                     "denominator 1 + (x/α)e^(x/β) cancels 2.2:1 near x = -3 (the "
                                     "float32 grid peaks at 5.0 ULP there)"),
            "d_beta:float32": Bound(8, "∂f/∂β = -(x/β)²e^(x/β)/(1 + (x/α)e^(x/β))² divides by the "
                                    "square of that denominator, which cancels 2.2:1 near x = -3 "
                                    "(the float32 grid peaks at 4.9 ULP there)")},
    reference=lambda x, alpha, beta: x / (x / alpha + sp.exp(-x / beta)),
    naive=lambda x, alpha, beta: x / (x / alpha + torch.exp(-x / beta)),
)
