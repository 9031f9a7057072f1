"""Sigmoidal activations: bounded, S-shaped, saturating at both ends."""

from __future__ import annotations

import torch.nn.functional as F

from ..numerics.stable import inv_1p_sq, recip, sech2, select
from ..numerics.stable import sigmoid as _sigmoid
from ..numerics.stable import sigmoid_grad as _sigmoid_d
from ..numerics.stable import softplus as _softplus
from ._define import Domain, Param, define, sp, torch

__all__: list[str] = []  # importing this module registers its activations; nothing else is public

FAMILY = "sigmoidal"
POSITIVE = Domain(low=0.0)


define(
    "sigmoid", family=FAMILY, aliases=("logistic", "sigm"),
    summary="Logistic sigmoid: squashes to (0, 1); max slope 1/4 at x = 0.",
    formula=r"\sigma(x) = \frac{1}{1 + e^{-x}}",
    citation="Rumelhart, Hinton & Williams 1986, Learning representations by back-propagating "
    "errors, Nature 323",
    forward=_sigmoid,
    derivative=_sigmoid_d,
    second_derivative=lambda x: -_sigmoid_d(x) * torch.tanh(x / 2),  # 1 - 2σ(x) = -tanh(x/2)
    reference=lambda x: 1 / (1 + sp.exp(-x)),
    native=torch.sigmoid,
    naive=lambda x: 1 / (1 + torch.exp(-x)),
)

def _tanh_d2(x):
    return -2 * torch.tanh(x) * sech2(x)


define(
    "tanh", family=FAMILY, aliases=("hyperbolic_tangent",),
    summary="Hyperbolic tangent: zero-centred, odd, squashes to (-1, 1); tanh(x) = 2σ(2x) - 1.",
    formula=r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
    citation="LeCun, Bottou, Orr & Müller 1998, Efficient BackProp, in Neural Networks: "
    "Tricks of the Trade",
    forward=torch.tanh,
    derivative=sech2,
    second_derivative=_tanh_d2,
    reference=lambda x: (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x)),
    native=torch.tanh,
    naive=lambda x: (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x)),
)

define(
    "log_sigmoid", family=FAMILY, aliases=("logsigmoid",),
    summary="Log of the sigmoid, log σ(x) = -softplus(-x): the log-likelihood of a logistic unit.",
    formula=r"\log \sigma(x) = -\log(1 + e^{-x})",
    citation="Paszke et al. 2019, PyTorch (NeurIPS): torch.nn.LogSigmoid; "
    "Bradbury et al. 2018, JAX: jax.nn.log_sigmoid",
    forward=lambda x: -_softplus(-x),
    derivative=lambda x: _sigmoid(-x),
    reference=lambda x: -sp.log(1 + sp.exp(-x)),
    native=F.logsigmoid,
    naive=lambda x: torch.log(1 / (1 + torch.exp(-x))),
)

define(
    "softsign", family=FAMILY, aliases=("soft_sign",),
    summary="Softsign: x / (1 + |x|), a sigmoid with polynomial (not exponential) tails.",
    formula=r"\frac{x}{1 + |x|}",
    citation="Bergstra, Desjardins, Lamblin & Bengio 2009, Quadratic polynomials learn better "
    "image features, Technical Report 1337, Université de Montréal",
    forward=lambda x: torch.where(x.abs() > 1, torch.sign(x) / (1 + 1 / x.abs()), x / (1 + x.abs())),
    derivative=lambda x: (1 / (1 + x.abs())) ** 2,
    second_derivative=lambda x: -2 * torch.sign(x) * (1 / (1 + x.abs())) ** 3,
    reference=lambda x: sp.Piecewise((x / (1 - x), x < 0), (x / (1 + x), True)),
    native=F.softsign,
    kinks=(0.0,),
    kink_note="f'' jumps from 2 to -2 at 0 (f is C1); f''(0) = 0, the mean of the two sides.",
)

define(
    "lecun_tanh", family=FAMILY, aliases=("scaled_tanh",),
    summary="LeCun's scaled tanh, 1.7159 tanh(2x/3): f(±1) = ±1 and unit gain near there.",
    formula=r"1.7159 \tanh\left(\tfrac{2}{3}x\right)",
    citation="LeCun, Bottou, Orr & Müller 1998, Efficient BackProp, section 4.4",
    forward=lambda x: 1.7159 * torch.tanh(x * (2 / 3)),
    derivative=lambda x: 1.7159 * (2 / 3) * sech2(x * (2 / 3)),
    second_derivative=lambda x: 1.7159 * (4 / 9) * _tanh_d2(x * (2 / 3)),
    reference=lambda x: sp.Float("1.7159", 50) * sp.tanh(sp.Rational(2, 3) * x),
)

define(
    "penalized_tanh", family=FAMILY, aliases=("ptanh",),
    summary="Penalized tanh: tanh for x > 0, a·tanh(x) (default a = 1/4) for x <= 0.",
    formula=r"\begin{cases}\tanh(x) & x > 0\\ a\tanh(x) & x \le 0\end{cases}",
    citation="Xu, Huang & Li 2016, Revise saturated activation functions, arXiv:1602.05980; "
    "Eger, Youssef & Gurevych 2018, Is it time to swish?, EMNLP",
    params=[Param("a", 0.25, learnable=True, doc="slope factor on the negative side.")],
    forward=lambda x, a: torch.where(x > 0, torch.tanh(x), a * torch.tanh(x)),
    derivative=lambda x, a: select(x > 0, 1.0, a, x) * sech2(x),
    second_derivative=lambda x, a: select(x > 0, 1.0, a, x) * _tanh_d2(x),
    param_grads={"a": lambda x, a: torch.where(x > 0, 0.0, torch.tanh(x))},
    reference=lambda x, a: sp.Piecewise((a * sp.tanh(x), x <= 0), (sp.tanh(x), True)),
    kinks=(0.0,),
    kink_note="C1 at 0 only for a = 1; f'(0) = a (the x <= 0 branch).",
)

def _isru_parts(x, alpha):
    # f' = (1 + αx²)^(-3/2), f = x/sqrt(1 + αx²) and df/dα = -x³f'/2 without overflowing αx²:
    # where αx² > 1 write them with r = 1/x, as sign(x)/sqrt(α + r²), f' = q³ with
    # q = |r|/sqrt(α + r²) (|r|³ underflows first) and -sign(x)/(2(α + r²)^(3/2)), exact in the
    # limit x -> ±inf. The switch is on αx², not on |x| > 1: for a tiny α (1e-300 is 0 in
    # float32) and a large x, α + r² underflowed to 0 and f was inf where it is x. An α that
    # rounds to 0 makes αx² = 0·inf = NaN at x = ±inf: that takes the r branch too (f = ±inf).
    # w^(-3/2) as 1/(w·sqrt w): one sqrt, not a pow (exp and log).
    big = ~(alpha * x * x <= 1) & ~torch.isnan(x)
    r = recip(x, big)
    small = torch.where(big, 0, x)
    w = torch.where(big, alpha + r * r, 1 + alpha * small * small)
    root = torch.sqrt(w)
    w32 = w * root
    f = torch.where(big, torch.sign(x), small) / root
    q = r.abs() / torch.where(root > 0, root, 1)
    cube = torch.where(big, q * q * q, 1 / w32)
    d_alpha = -0.5 * torch.where(big, torch.sign(x), small * small * small) / w32
    return cube, f, d_alpha, (big, q, root, w, w32, small)


def _isru_d2(x, alpha):
    # -3αx(1 + αx²)^(-5/2): -3αx/(w²·sqrt w) where αx² <= 1, -3 sign(x) q⁴ α/sqrt(α + r²)
    # beyond. Analytic: autograd of the r form was NaN where α rounds to 0.
    big, q, root, w, w32, small = _isru_parts(x, alpha)[3]
    a_root = alpha / torch.where(root > 0, root, 1)
    q4a = ((q * a_root) * q) * q * q  # in this order: q⁴ alone underflows for a large α
    return torch.where(big, -3 * torch.sign(x) * q4a, -3 * alpha * small / (w * w32))


define(
    "isru", family=FAMILY, aliases=("inverse_square_root_unit",),
    summary="Inverse square root unit x / sqrt(1 + αx²): a cheap sigmoid with range ±1/sqrt(α).",
    formula=r"\frac{x}{\sqrt{1 + \alpha x^2}}",
    citation="Carlile, Delamarter, Kinney, Marti & Whitney 2017, Improving deep learning by "
    "inverse square root linear units (ISRLUs), arXiv:1710.09967",
    params=[Param("alpha", 1.0, POSITIVE, learnable=True, doc="sets the range ±1/sqrt(alpha).")],
    forward=lambda x, alpha: _isru_parts(x, alpha)[1],
    derivative=lambda x, alpha: _isru_parts(x, alpha)[0],
    second_derivative=_isru_d2,
    param_grads={"alpha": lambda x, alpha: _isru_parts(x, alpha)[2]},
    reference=lambda x, alpha: x / sp.sqrt(1 + alpha * x**2),
)

def _arctan_d2(x):
    # -2x/(1 + x²)², as -2r³/(1 + r²)² with r = 1/x for |x| > 1 so ±inf gives 0, not inf/inf.
    big = x.abs() > 1
    r = recip(x, big)
    small = torch.where(big, 0, x)
    return torch.where(big, -2 * r**3 / (1 + r * r) ** 2, -2 * small / (1 + small**2) ** 2)


define(
    "arctan", family=FAMILY, aliases=("atan",),
    summary="Arctangent: a sigmoid with range (-π/2, π/2) and slowly decaying (1/x²) slope.",
    formula=r"\arctan(x)",
    citation="Eger, Youssef & Gurevych 2018, Is it time to swish?, EMNLP",
    forward=torch.atan,
    derivative=inv_1p_sq,
    second_derivative=lambda x: _arctan_d2(x),
    reference=lambda x: sp.atan(x),
    native=torch.atan,
)
