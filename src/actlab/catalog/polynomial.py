"""Polynomial (and near-polynomial) activations: identity, powers, and the bent identity."""

from __future__ import annotations

from ..numerics.stable import recip
from ._define import define, sp, torch

__all__: list[str] = []  # importing this module registers its activations; nothing else is public

FAMILY = "polynomial"


def _const(x, c):
    # c everywhere but NaN in, NaN out (full_like alone would turn a NaN input into c).
    return torch.where(torch.isnan(x), x, torch.full_like(x, c))

_LESHNO = ("Leshno, Lin, Pinkus & Schocken 1993, Multilayer feedforward networks with a "
           "nonpolynomial activation function can approximate any function, Neural Networks 6(6)")

define(
    "identity", family=FAMILY, aliases=("linear",),
    summary="Identity x: no nonlinearity (output layers, linear bottlenecks, ablations).",
    formula=r"x",
    citation="Chollet et al. 2015, Keras: keras.activations.linear; "
    "Bradbury et al. 2018, JAX: jax.nn.identity",
    forward=lambda x: x,
    derivative=lambda x: _const(x, 1.0),
    second_derivative=lambda x: _const(x, 0.0),
    reference=lambda x: x,
    native=lambda x: x,
)

define(
    "square", family=FAMILY,
    summary="Square x²: a polynomial unit (no universal approximation: Leshno et al. 1993).",
    formula=r"x^2",
    citation=_LESHNO,
    forward=lambda x: x * x,
    derivative=lambda x: 2 * x,
    second_derivative=lambda x: _const(x, 2.0),
    reference=lambda x: x**2,
    native=torch.square,  # one correctly rounded op in every dtype: no float32 round trip for a half input
    naive=lambda x: x**2,
)

define(
    "cube", family=FAMILY,
    summary="Cube x³: odd polynomial unit, used in Chen & Manning's neural dependency parser.",
    formula=r"x^3",
    citation="Chen & Manning 2014, A fast and accurate dependency parser using neural "
    f"networks, EMNLP; {_LESHNO}",
    forward=lambda x: x * x * x,
    derivative=lambda x: 3 * (x * x),
    second_derivative=lambda x: 6 * x,
    reference=lambda x: x**3,
    naive=lambda x: x**3,
)


def _bent_parts(x):
    # With h = sqrt(x² + 1): f = x(1 + s/2) with s = x/(h + 1), since h - 1 = x²/(h + 1) (the
    # textbook sqrt(x² + 1) - 1 cancels near 0); f' = 1 + u/2 with u = x/h; f'' = 1/(2h³). For
    # |x| > 1 all are written with r = 1/x and hr = h/|x|, so x² never overflows and ±inf gives
    # the limits, not inf/inf. For x < -1, f = (x - 1 + 1/(h + |x|))/2 rounds once less than
    # x(1 + s/2), whose 1 + s/2 ≈ 1/2 loses the last bit of s.
    big = x.abs() > 1
    r = recip(x, big)
    xs = torch.where(big, 0, x)
    hs = torch.sqrt(1 + xs * xs)
    hr = torch.sqrt(1 + r * r)
    sign = torch.sign(x)
    f = torch.where(big, torch.where(x > 0, x * (1 + 0.5 / (hr + r)), 0.5 * (x - 1 - r / (hr + 1))),
                    xs * (1 + 0.5 * xs / (hs + 1)))
    u = torch.where(big, sign / hr, xs / hs)
    c = torch.where(big, 0.5 * (r * r).abs() * r.abs() / hr**3, 0.5 / hs**3)
    return f, u, c


define(
    "bent_identity", family=FAMILY,
    summary="Bent identity (sqrt(x² + 1) - 1)/2 + x: smooth, slope from 1/2 (x -> -inf) to 3/2.",
    formula=r"\frac{\sqrt{x^2 + 1} - 1}{2} + x",
    citation="Folklore: listed in Wikipedia's activation-function comparison table (2018); the "
    "β = 1/2 case of the bendable linear unit of Godfrey 2019, An evaluation of parametric "
    "activation functions for deep learning, IEEE SMC",
    forward=lambda x: _bent_parts(x)[0],
    derivative=lambda x: 1 + 0.5 * _bent_parts(x)[1],
    second_derivative=lambda x: _bent_parts(x)[2],
    reference=lambda x: (sp.sqrt(x**2 + 1) - 1) / 2 + x,
    naive=lambda x: (torch.sqrt(x * x + 1) - 1) / 2 + x,
)
