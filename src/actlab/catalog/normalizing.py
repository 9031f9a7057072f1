"""The normalising kind: softmax, log_softmax and sparsemax along a dim.

Each writes a stable forward, its vector-Jacobian product and Jacobian-vector product from the
output y alone (the autograd Function saves only y), and an mpmath reference from the paper.
The Jacobians of softmax (diag(y) − y yᵀ) and sparsemax (diag(s) − s sᵀ/|S|, s the support) are
symmetric, so their vjp and jvp are the same map.
"""

from __future__ import annotations

import torch

from ._define import normalizing

__all__: list[str] = []


# --------------------------------------------------------------------------------------- softmax
def _softmax(x: torch.Tensor, dim: int) -> torch.Tensor:
    return torch.softmax(x, dim)  # torch's op: max-shifted, exp(x - max) / Σ, to 1 ULP-ish


def _softmax_vjp(y: torch.Tensor, g: torch.Tensor, dim: int) -> torch.Tensor:
    return y * (g - (g * y).sum(dim, keepdim=True))


def _softmax_ref(xs: list) -> list:
    import mpmath

    top = max(xs)
    e = [mpmath.exp(v - top) for v in xs]
    total = mpmath.fsum(e)
    return [v / total for v in e]


normalizing(
    "softmax",
    summary="Softmax exp(x_i) / Σ_j exp(x_j) along dim: a probability vector.",
    formula=r"\frac{e^{x_i}}{\sum_j e^{x_j}}",
    citation="Bridle 1990, Probabilistic interpretation of feedforward classification network "
    "outputs, with relationships to statistical pattern recognition, Neurocomputing (NATO ASI F68)",
    forward=_softmax, vjp=_softmax_vjp, jvp=_softmax_vjp, reference=_softmax_ref,
    native=lambda x: torch.softmax(x, -1),
    notes="Computed as exp(x − max x) / Σ exp(x − max x) (torch's own op, which is accurate): no "
    "overflow for any finite input. Jacobian diag(y) − y yᵀ, applied from the output.",
)


# ----------------------------------------------------------------------------------- log_softmax
def _log_softmax(x: torch.Tensor, dim: int) -> torch.Tensor:
    return torch.log_softmax(x, dim)  # x − max − log Σ exp(x − max)


def _log_softmax_vjp(y: torch.Tensor, g: torch.Tensor, dim: int) -> torch.Tensor:
    return g - torch.exp(y) * g.sum(dim, keepdim=True)


def _log_softmax_jvp(y: torch.Tensor, t: torch.Tensor, dim: int) -> torch.Tensor:
    return t - (torch.exp(y) * t).sum(dim, keepdim=True)


def _log_softmax_ref(xs: list) -> list:
    import mpmath

    top = max(xs)
    lse = top + mpmath.log(mpmath.fsum(mpmath.exp(v - top) for v in xs))
    return [v - lse for v in xs]


normalizing(
    "log_softmax",
    summary="Log-softmax x_i − log Σ_j exp(x_j) along dim: log-probabilities.",
    formula=r"x_i - \log \sum_j e^{x_j}",
    citation="Bridle 1990, Probabilistic interpretation of feedforward classification network "
    "outputs, with relationships to statistical pattern recognition, Neurocomputing (NATO ASI F68)",
    forward=_log_softmax, vjp=_log_softmax_vjp, jvp=_log_softmax_jvp, reference=_log_softmax_ref,
    native=lambda x: torch.log_softmax(x, -1),
    notes="Computed as x − max x − log Σ exp(x − max x) (logsumexp; torch's own op): exact for "
    "inputs 1e4 apart, where log(softmax) gives −inf. Jacobian I − 1 softmax(x)ᵀ.",
)


# ------------------------------------------------------------------------------------- sparsemax
def _sparsemax(x: torch.Tensor, dim: int) -> torch.Tensor:
    z = x.movedim(dim, -1)
    if z.shape[-1] == 0:
        return x.clone()
    z = z - z.amax(-1, keepdim=True)  # shift-invariant; keeps the cumulative sums small
    zs = z.sort(-1, descending=True).values
    k = torch.arange(1, z.shape[-1] + 1, dtype=z.dtype, device=z.device)
    cs = zs.cumsum(-1) - 1
    support = (k * zs > cs).sum(-1, keepdim=True)  # >= 1: the largest is always in
    tau = cs.gather(-1, support - 1) / support.to(z.dtype)
    return torch.clamp(z - tau, min=0).movedim(-1, dim)


def _sparsemax_vjp(y: torch.Tensor, g: torch.Tensor, dim: int) -> torch.Tensor:
    s = (y > 0).to(g.dtype)
    return s * (g - (g * s).sum(dim, keepdim=True) / s.sum(dim, keepdim=True))


def _sparsemax_ref(xs: list) -> list:
    """The Euclidean projection onto the simplex, found independently of the sort: bisection on
    τ with Σ max(x_i − τ, 0) = 1, then τ exact from the support it settles on."""
    import mpmath

    lo, hi = max(xs) - 1, max(xs)
    for _ in range(mpmath.mp.prec + 10):
        mid = (lo + hi) / 2
        if mpmath.fsum(max(v - mid, 0) for v in xs) > 1:
            lo = mid
        else:
            hi = mid
    support = [v for v in xs if v > lo]
    tau = (mpmath.fsum(support) - 1) / len(support)
    return [max(v - tau, mpmath.mpf(0)) for v in xs]


normalizing(
    "sparsemax",
    summary="Sparsemax: the Euclidean projection of x onto the probability simplex along dim; "
    "sparse probabilities (exact zeros).",
    formula=r"\max(x_i - \tau(x), 0),\quad \textstyle\sum_i \max(x_i - \tau, 0) = 1",
    citation="Martins & Astudillo 2016, From softmax to sparsemax: a sparse model of attention and "
    "multi-label classification, ICML",
    forward=_sparsemax, vjp=_sparsemax_vjp, jvp=_sparsemax_vjp, reference=_sparsemax_ref,
    kink_note="where an x_i enters or leaves the support (x_i = τ) the Jacobian jumps; there the "
    "element counts as outside (y_i = 0 gives no gradient), as the paper's (y > 0) support.",
    notes="τ from the sorted, max-shifted input: the support is the k with 1 + k z_(k) > Σ_{j≤k} "
    "z_(j). Jacobian diag(s) − s sᵀ/|S|, s the support indicator.",
)
