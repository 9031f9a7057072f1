"""Numerically stable primitives shared by the specs.

Each stays accurate over the whole float range, including ±inf and the overflow edges, and
each is written so that autograd through it is right too (the second derivative of many
specs is autograd of their analytic first derivative). The comment on each names the failure
of the textbook form it replaces.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = [
    "INV_SQRT_2PI", "SQRT_2", "SQRT_2_OVER_PI", "clip_grad", "finite", "hypot", "inv_1p_sq", "keep_nan",
    "neg_abs", "normal_cdf", "normal_pdf", "phase", "pos_part", "recip", "scaled", "scaled_exp",
    "sech2", "select", "settled", "sigmoid", "sigmoid_grad", "softplus", "step", "x_over_1p_sq", "zero",
]

SQRT_2 = math.sqrt(2.0)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def neg_abs(x: Tensor) -> Tensor:
    # -|x| with the derivative -1 at 0 (that of the x >= 0 branch). autograd of x.abs() gives 0
    # there, which silently zeroes the derivative at 0 of everything built on it.
    return torch.where(x >= 0, -x, x)


def pos_part(x: Tensor) -> Tensor:
    # max(x, 0) whose derivative at 0 is 1, to pair with neg_abs: pos_part(x) + f(neg_abs(x))
    # then differentiates correctly through 0.
    return torch.where(x >= 0, x, torch.zeros_like(x))


def sigmoid(x: Tensor) -> Tensor:
    # Sign-split: 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) for x < 0, one exp of a value <= 0. The
    # textbook form overflows exp(-x) for x < -88.7 (float32), returning 0 where σ is subnormal.
    # One division: both branches share r = 1/(1 + e) (a where() evaluates both sides).
    e = torch.exp(neg_abs(x))
    r = 1.0 / (1.0 + e)
    return torch.where(x >= 0, r, e * r)


def softplus(x: Tensor) -> Tensor:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow, and no threshold switch (torch's
    # threshold=20 returns x for x > 20, which is 1e6 ULP off in float64 up to x ≈ 37).
    return pos_part(x) + torch.log1p(torch.exp(neg_abs(x)))


def sech2(x: Tensor) -> Tensor:
    # tanh'(x) = sech²(x) = 4e^{-2|x|} / (1 + e^{-2|x|})². The textbook 1 - tanh²(x) cancels to
    # 0 for |x| > 9 (float32) / 19 (float64), where sech² is still 1e-8 / 1e-17 and beyond.
    e = torch.exp(2 * neg_abs(x))
    return 4 * e / (1 + e) ** 2


def recip(x: Tensor, big: Tensor) -> Tensor:
    # 1/x where `big` (|x| large), 0 elsewhere: the inner where keeps 1/x away from tiny x in the
    # branch that where() discards, whose inf would otherwise turn gradients into 0·inf = NaN.
    return torch.where(big, 1 / torch.where(big, x, torch.ones_like(x)), torch.zeros_like(x))


def inv_1p_sq(x: Tensor) -> Tensor:
    # 1/(1 + x²), as r²/(1 + r²) with r = 1/x for |x| > 1: x² overflows at 1.8e19 (float32) and
    # 1/inf = 0 is then wrong by all of the (subnormal) true value.
    big = x.abs() > 1
    r = recip(x, big)
    return torch.where(big, r * r / (1 + r * r), 1 / (1 + torch.where(big, 0, x) ** 2))


def hypot(a: Tensor | float, b: Tensor) -> Tensor:
    # √(a² + b²) without overflow. torch.hypot is exact and safe, but slow: 2.9 ms at 1M float32
    # compiled (Sleef's hypot), 0.4 for a sqrt. Below float64 it is sqrt(a² + b²) in float64,
    # where no float32 square overflows or underflows, rounded once (0.5 ULP, as hypot).
    if b.dtype == torch.float64:
        return torch.hypot(torch.as_tensor(a, dtype=b.dtype, device=b.device), b)
    a64, b64 = torch.as_tensor(a, dtype=torch.float64, device=b.device), b.double()
    return torch.sqrt(a64 * a64 + b64 * b64).to(b.dtype)


def normal_cdf(x: Tensor) -> Tensor:
    # Φ(x) = erfc(-x/√2)/2: accurate in the far-negative tail, where 1 + erf(x/√2) cancels to 0.
    return 0.5 * torch.special.erfc(-x / SQRT_2)


def normal_pdf(x: Tensor) -> Tensor:
    return INV_SQRT_2PI * torch.exp(-0.5 * x * x)


def select(cond: Tensor, a: float | Tensor, b: float | Tensor, like: Tensor) -> Tensor:
    """``where(cond, a, b)`` in ``like``'s dtype. ``torch.where`` of two Python floats gives the
    default dtype (float32), which would silently round a float64 computation's constants."""
    def as_t(v: float | Tensor) -> Tensor:
        return torch.as_tensor(v, dtype=like.dtype, device=like.device)

    return torch.where(cond, as_t(a), as_t(b))


def sigmoid_grad(x: Tensor) -> Tensor:
    # σ'(x) = σ(x)σ(-x) = e/(1 + e)² with e = e^-|x| (σ' is even), as e·r·r with r = 1/(1 + e):
    # one exp, one division. Never σ(1 - σ), whose 1 - σ rounds to 0 for x > 17 (float32).
    e = torch.exp(neg_abs(x))
    r = 1.0 / (1.0 + e)
    return e * r * r


def x_over_1p_sq(x: Tensor) -> Tensor:
    # x/(1 + x²), as r/(1 + r²) with r = 1/x for |x| > 1 (x² overflows at 1.8e19 in float32).
    big = x.abs() > 1
    r = recip(x, big)
    xs = torch.where(big, 0, x)
    return torch.where(big, r / (1 + r * r), xs / (1 + xs * xs))


def finite(x: Tensor) -> Tensor:
    # ±inf -> ±max (NaN stays NaN): x·g(x) at x = -inf is then -max·0 = -0 instead of NaN.
    big = torch.finfo(x.dtype).max
    return x.clamp(-big, big)


# Piecewise-constant derivatives -------------------------------------------------------------
def keep_nan(x: Tensor, v: Tensor) -> Tensor:
    # Derivatives built from comparisons turn NaN into 0 or 1 (every comparison with NaN is
    # False); a NaN input must give a NaN derivative, as it gives a NaN value.
    return torch.where(torch.isnan(x), x, v)


def step(cond: Tensor, a: float | Tensor, b: float | Tensor, x: Tensor) -> Tensor:
    """``a`` where ``cond`` else ``b``, in x's dtype, NaN where x is NaN."""
    return keep_nan(x, select(cond, a, b, like=x))


def zero(x: Tensor) -> Tensor:
    # f'' of a piecewise-linear f. Analytic rather than autograd of f': a derivative made of
    # constants is not connected to x in the graph.
    return keep_nan(x, torch.zeros_like(x))


def clip_grad(x: Tensor, lo: float | Tensor, hi: float | Tensor) -> Tensor:
    # 1 strictly inside (lo, hi), 0 outside and AT the ends: torch's hardtanh/relu6 backward.
    return step((x > lo) & (x < hi), 1.0, 0.0, x)


def scaled(c: float | Tensor, y: Tensor, x: Tensor) -> Tensor:
    """``c * y`` with 0 where that is 0·inf: a parameter that is 0 times a quantity that grows
    without bound (slope·x, β·x σ(x) at x = ±inf), whose limit is 0. NaN only from a NaN ``x``."""
    out = c * y
    return torch.where(torch.isnan(out) & ~torch.isnan(x), torch.zeros_like(out), out)


def scaled_exp(t: Tensor, *factors: float | Tensor) -> Tensor:
    """The product of ``factors`` times e^t (t <= 0), also where e^t alone is subnormal or 0 and
    the product is not (α = 1e30 times e^-751 in float64 is 3e-297): there as h·f1·f2 ... with
    h = e^(t/2), times h again once the running product reaches 1; where h underflows too
    (β² = 1e600 times e^-1827) as ±e^(t + Σ log|f|), whose rounding is small beside κ = |t|
    there. The factors multiply one at a time: their product alone (β² = 1e60 in float32) need
    not be finite."""
    log_tiny = math.log(torch.finfo(t.dtype).tiny)
    e = torch.exp(t)
    low, lowest = e < torch.finfo(t.dtype).tiny, t < 2 * log_tiny
    zero = torch.zeros_like(t)
    h = torch.exp(torch.where(low & ~lowest, t, zero) / 2)  # t = 0 where unused: autograd-safe
    near, far, sign, logs = e, h, torch.ones_like(t), torch.where(lowest, t, zero)
    pending = torch.ones_like(t, dtype=torch.bool)  # the second h: once the product reaches 1
    for c in factors:  # (h·β·β overflows float32 for β = 1e30, h·1·h underflows for α = 1)
        near, far = c * near, c * far
        now = pending & (far.abs() >= 1)
        far, pending = torch.where(now, far * h, far), pending & ~now
        c = torch.as_tensor(c, dtype=t.dtype, device=t.device)
        sign = sign * torch.sign(c)
        logs = logs + torch.log(torch.where(c == 0, torch.ones_like(c), c.abs()))  # log|0| unused
    far = torch.where(pending, far * h, far)
    return torch.where(lowest, sign * torch.exp(logs), torch.where(low, far, near))


def phase(b: float | Tensor, x: Tensor) -> Tensor:
    """The phase b·x of a periodic term, 0 where it is lost: where b·x overflows for a finite x
    (its ULP there is beyond the period: any value of the sine is as right as another) and
    where b is 0 (0·inf at x = ±inf; float32 flushes b = 1e-300 to 0)."""
    bx = b * x
    lost = (torch.isinf(bx) & torch.isfinite(x)) | (torch.as_tensor(b, dtype=x.dtype, device=x.device) == 0)
    return torch.where(lost, torch.zeros_like(bx), bx)


def settled(x: Tensor, v: Tensor, gone: bool | Tensor, limit: float) -> Tensor:
    """``v`` with ``limit`` at x = ±inf where ``gone``: a periodic term has no limit there (NaN),
    but one whose amplitude is below the last bit of what it rides on (α = 1e-300, β = 1e30)
    leaves the limit of the rest."""
    at = torch.isinf(x) & torch.as_tensor(gone, device=x.device)
    return torch.where(at, torch.full_like(v, limit), v)
