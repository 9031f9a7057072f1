r"""Gradient flow through a deep MLP: the source notes' analysis (section 3) as an experiment.

The network is exactly the notes' L-layer MLP, with optional biases:

.. math::
    z^{(l)} = W^{(l)} a^{(l-1)} (+\, b^{(l)}),\qquad a^{(l)} = \phi(z^{(l)}),\qquad
    a^{(0)} = x,\quad y = a^{(L)},

and back-propagation multiplies the output gradient by one :math:`\mathrm{diag}(\phi'(z))` and
one :math:`W^T` per layer,

.. math::
    \delta^{(l)} = \frac{\partial \mathcal L}{\partial z^{(l)}}
      = \mathrm{diag}(\phi'(z^{(l)}))\, W^{(l+1)T} \cdots W^{(L)T}\,
        \mathrm{diag}(\phi'(z^{(L)}))\, \frac{\partial \mathcal L}{\partial y},\qquad
    \nabla_{W^{(l)}}\mathcal L = \delta^{(l)} a^{(l-1)T}.

:func:`run` builds it for any elementwise activation, width, depth, batch, input distribution,
initialisation (:mod:`actlab.init`) and dtype, and records per layer: pre-activation mean and
std, saturated and dead fractions, ‖δ^(l)‖, ‖∇W^(l)‖ and log10 of the product of derivatives.
The per-layer growth factor G of the mean squared gradient ‖δ‖² is fitted over the layers and
compared with mean-field theory's χ₁ (:mod:`actlab.analysis.meanfield`): E‖δ^(l)‖² =
χ₁ E‖δ^(l+1)‖² for equal widths (Schoenholz et al. 2017, eq. 10).

In float16 and bfloat16 the product of many factors below 1 underflows: the same network is
also run in float64 (same rounded weights and inputs) and the first layer, counting back from
the output, whose gradient is exactly 0 in the chosen dtype but not in float64 is reported
(likewise for inf/NaN overflow).

The results are plain data (:meth:`GradFlow.to_dict`, :meth:`GradFlow.from_dict`); the figure of
the gradient norm per layer is :func:`actlab.report.figures.gradflow.plot`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

import actlab
from actlab import init as _init
from actlab.composite import CompositeSpec, GatedSpec
from actlab.spec import ActivationSpec

__all__ = ["DTYPES", "INPUTS", "LOSSES", "SATURATION", "THEORY_CASES", "GradFlow", "LayerFlow", "Progress",
           "compare", "run", "theory_vs_simulation"]

DTYPES = {"float64": torch.float64, "float32": torch.float32, "bfloat16": torch.bfloat16,
          "float16": torch.float16}
INPUTS = ("normal", "uniform", "rademacher", "positive")
LOSSES = ("random", "mse", "sum")
SATURATION = 0.05  # |φ′| below 5% of the activation's peak slope on [-3, 3] counts as saturated

Progress = Callable[[str], None]  # called with a label after each step of a long computation


@dataclass
class LayerFlow:
    """What one layer of the MLP did (layer 1 is next to the input, layer L is the output)."""

    layer: int
    pre_mean: float
    pre_std: float
    saturated: float  # fraction of (example, unit) pairs with 0 < |φ′(z)| < 5% of the peak slope
    dead: float  # fraction of units with φ′(z) = 0 on every example of the batch
    delta_norm: float  # RMS over the batch of the per-example ‖δ^(l)‖, in the chosen dtype
    grad_norm: float  # ‖∇W^(l) L‖_F in the chosen dtype (norm taken in float64)
    grad_norm_exact: float  # the same network in float64
    log10_dphi: float  # Σ_{k ≥ l} log10 rms φ′(z^(k)): the size of the product diag(φ′) ⋯ diag(φ′)
    underflow: float  # fraction of ∇W^(l) entries that are 0 in the dtype but not in float64
    nonfinite: float  # fraction of ∇W^(l) entries that are inf or NaN


@dataclass
class GradFlow:
    """Result of :func:`run`: per-layer rows plus the network-level verdict."""

    activation: str
    params: dict[str, float]
    depth: int
    width: int
    batch: int
    init: str
    dtype: str
    sigma_w2: float
    sigma_b2: float
    inputs: str
    seed: int
    growth: float  # fitted per-layer factor of E‖δ‖² going back one layer (theory: χ₁)
    norm_growth: float  # √growth: the per-layer factor of ‖δ‖ itself
    verdict: str  # vanishing | stable | exploding
    ratio_first_last: float  # ‖∇W^(1)‖ / ‖∇W^(L)‖ (float64)
    first_underflow: int | None  # first layer from the output whose ∇W is all 0 only in the dtype
    first_overflow: int | None  # first layer from the output with inf/NaN in ∇W
    chi1: float | None  # mean-field χ₁ at the fixed point q* reached from the input
    theory_growth: float | None  # mean-field growth along the way: fit of Π χ₁(q^(l)) (transient)
    fit_layers: list[int] = field(default_factory=list)
    layers: list[LayerFlow] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.layers]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GradFlow:
        """The result back from its ``to_dict()`` (e.g. read from JSON)."""
        return cls(**{**d, "layers": [LayerFlow(**r) for r in d.get("layers", [])]})

    def summary(self) -> dict[str, Any]:
        d = self.to_dict()
        d.pop("layers")
        return d

    def __str__(self) -> str:
        theory = "" if self.chi1 is None else f", theory χ₁ = {self.chi1:.4g}"
        lines = [
            f"{self.activation} MLP, depth {self.depth}, width {self.width}, init {self.init} "
            f"(σ_w² = {self.sigma_w2:.4g}, σ_b² = {self.sigma_b2:g}), {self.dtype}: {self.verdict}; "
            f"growth of ‖δ‖² per layer {self.growth:.4g}{theory}; ‖∇W¹‖/‖∇Wᴸ‖ = {self.ratio_first_last:.3g}",
        ]
        if self.first_underflow is not None:
            lines.append(f"  gradient underflows to 0 in {self.dtype} at layer {self.first_underflow}")
        if self.first_overflow is not None:
            lines.append(f"  gradient overflows (inf/NaN) in {self.dtype} at layer {self.first_overflow}")
        lines.append("  layer  pre_mean  pre_std  saturated  dead   ‖δ‖        ‖∇W‖       log10Πφ′")
        for r in self.layers:
            lines.append(f"  {r.layer:5d}  {r.pre_mean:8.3f}  {r.pre_std:7.3f}  {r.saturated:9.3f}  "
                         f"{r.dead:4.2f}  {r.delta_norm:9.3e}  {r.grad_norm:9.3e}  {r.log10_dphi:8.2f}")
        return "\n".join(lines)


def _dtype(name: str | torch.dtype) -> tuple[str, torch.dtype]:
    if isinstance(name, torch.dtype):
        for k, v in DTYPES.items():
            if v == name:
                return k, v
    elif name in DTYPES:
        return name, DTYPES[name]
    raise ValueError(f"unknown dtype {name!r}; choose one of {', '.join(DTYPES)}")


def _inputs(kind: str | torch.Tensor, batch: int, dim: int, std: float, gen: torch.Generator) -> torch.Tensor:
    if isinstance(kind, torch.Tensor):
        if kind.dim() != 2:
            raise ValueError(f"inputs must be a (batch, features) tensor, got shape {tuple(kind.shape)}")
        return kind.detach().to(torch.float64)
    if kind == "normal":
        return torch.randn(batch, dim, dtype=torch.float64, generator=gen) * std
    if kind == "uniform":  # U(-√3 s, √3 s) has standard deviation s
        return (torch.rand(batch, dim, dtype=torch.float64, generator=gen) * 2 - 1) * math.sqrt(3) * std
    if kind == "rademacher":
        return (torch.randint(0, 2, (batch, dim), generator=gen).to(torch.float64) * 2 - 1) * std
    if kind == "positive":  # |N(0, s²)|: all-positive inputs, as after a ReLU or from pixels
        return torch.randn(batch, dim, dtype=torch.float64, generator=gen).abs() * std
    raise ValueError(
        f"unknown input distribution {kind!r}; choose one of {', '.join(INPUTS)} or pass a tensor"
    )


def _check_activation(act: Any) -> None:
    spec = act.spec
    if not isinstance(spec, ActivationSpec):  # elementwise, or stochastic in its eval form
        role = "gate" if isinstance(spec, GatedSpec) else "base"
        example = f", e.g. its {role} '{spec.base.name}'" if isinstance(spec, CompositeSpec) else ""
        raise ValueError(
            f"{spec.name} is {spec.kind}: the notes' MLP needs an elementwise activation "
            f"(same width in and out); pick an elementwise one{example}"
        )


def _peak_slope(act: Any) -> float:
    x = np.linspace(-3.0, 3.0, 601)
    d = np.abs(np.asarray(act.derivative(x)))
    d = d[np.isfinite(d)]
    return float(d.max()) if d.size else 1.0


def _forward_backward(act: Any, weights: list[torch.Tensor], biases: list[torch.Tensor | None],
                      x: torch.Tensor, g: torch.Tensor, loss: str, target: torch.Tensor | None,
                      ) -> tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]]:
    """The notes' forward and backward; returns (z^(l), δ^(l), ∇W^(l)) for l = 1..L, detached."""
    ws = [w.detach().clone().requires_grad_(True) for w in weights]
    a, zs = x, []
    for w, b in zip(ws, biases):
        z = a @ w.T
        if b is not None:
            z = z + b
        z.retain_grad()
        zs.append(z)
        a = act(z)
    if loss == "random":  # ∂L/∂y = g: the pure product of diag(φ′) and Wᵀ factors
        total = (a * g).sum()
    elif loss == "mse":
        total = 0.5 * ((a - target) ** 2).sum()
    else:
        total = a.sum()
    total.backward()
    deltas = [z.grad if z.grad is not None else torch.zeros_like(z) for z in zs]
    grads = [w.grad if w.grad is not None else torch.zeros_like(w) for w in ws]
    return [z.detach() for z in zs], [d.detach() for d in deltas], [gw.detach() for gw in grads]


def run(activation: str | Any = "tanh", *, depth: int = 20, width: int = 256, batch: int = 64,
        input_dim: int | None = None, init: str = "xavier", sigma: float | None = None,
        sigma_w2: float | None = None, sigma_b2: float = 0.0, bias: bool | None = None,
        dtype: str | torch.dtype = "float32", inputs: str | torch.Tensor = "normal", input_std: float = 1.0,
        loss: str = "random", seed: int = 0, skip: int | None = None, threshold: float = 10.0,
        theory: bool = True, **params: float) -> GradFlow:
    """Build the notes' MLP, run one forward and backward pass, and measure the gradient flow.

    Args:
        activation: catalog name (or ``actlab.get(...)``); elementwise or stochastic (eval form).
        depth, width, batch: L, the hidden width N and the batch size; input_dim defaults to N.
        init: xavier | he | lecun | orthogonal | normal (``sigma`` = plain std) | critical.
        sigma_w2: overrides ``init`` with Gaussian N(0, σ_w²/fan_in) weights.
        sigma_b2: bias variance; biases ~ N(0, σ_b²). ``bias`` defaults to σ_b² > 0.
        dtype: float64 | float32 | bfloat16 | float16 (weights, inputs and arithmetic).
        inputs: normal | uniform | rademacher | positive (all with std ``input_std``) or a tensor.
        loss: "random" (L = Σ y·g, g ~ N(0, 1): ∂L/∂y = g), "mse" (random targets) or "sum".
        skip: forward layers left out of the growth fit while q settles (default depth // 4).
        threshold: the verdict is "vanishing" if the fitted growth, extrapolated over the depth,
            shrinks ‖δ‖ by more than this factor ((√G)^(L-1) < 1/threshold), "exploding" if it
            grows by more, else "stable".
        theory: also compute mean-field χ₁ for Gaussian inits.
        **params: activation parameters.
    """
    act = actlab.get(activation, **params) if isinstance(activation, str) else activation
    _check_activation(act)
    dname, dt = _dtype(dtype)
    if depth < 2 or width < 1 or batch < 1:
        raise ValueError(f"need depth >= 2, width >= 1, batch >= 1; got {depth}, {width}, {batch}")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    if sigma_b2 < 0:
        raise ValueError(f"sigma_b2 is a variance and must be >= 0, got {sigma_b2}")
    bias = sigma_b2 > 0 if bias is None else bias
    gen = torch.Generator().manual_seed(seed)
    x64 = _inputs(inputs, batch, input_dim or width, input_std, gen)
    batch, d_in = x64.shape

    label = init
    if sigma_w2 is not None:
        if not sigma_w2 > 0:
            raise ValueError(f"sigma_w2 must be > 0, got {sigma_w2}")
        label = "normal(σ_w²)"
    elif _init._scheme(init) == "critical":  # solve for the edge of chaos once, not per layer
        sigma_w2 = _init.critical_sigma2(act, sigma_b2)[0]
    weights64, biases64 = [], []
    for layer in range(depth):
        w = torch.empty(width, d_in if layer == 0 else width, dtype=torch.float64)
        if sigma_w2 is not None:
            _init.init_weight_(w, "normal", sigma=math.sqrt(sigma_w2 / w.shape[1]), generator=gen)
        else:
            _init.init_weight_(w, init, activation=act, sigma=sigma, sigma_b2=sigma_b2, generator=gen)
        weights64.append(w)
        biases64.append(torch.randn(width, dtype=torch.float64, generator=gen) * math.sqrt(sigma_b2)
                        if bias else None)
    hidden_sw2 = (sigma_w2 if sigma_w2 is not None else
                  _init.weight_sigma2(init, width, width, activation=act, sigma=sigma, sigma_b2=sigma_b2))
    g64 = torch.randn(batch, width, dtype=torch.float64, generator=gen)

    # the dtype run, and the same rounded numbers in float64
    w_dt = [w.to(dt) for w in weights64]
    b_dt = [None if b is None else b.to(dt) for b in biases64]
    x_dt, g_dt = x64.to(dt), g64.to(dt)
    zs, deltas, grads = _forward_backward(act, w_dt, b_dt, x_dt, g_dt, loss, g_dt)
    if dt != torch.float64:
        up = [w.to(torch.float64) for w in w_dt]
        upb = [None if b is None else b.to(torch.float64) for b in b_dt]
        _, deltas64, grads64 = _forward_backward(act, up, upb, x_dt.to(torch.float64), g_dt.to(torch.float64),
                                                 loss, g_dt.to(torch.float64))
    else:
        deltas64, grads64 = deltas, grads

    peak = _peak_slope(act)
    layers, log_rms = [], []
    for z in zs:
        d = act.derivative(z).to(torch.float64)
        log_rms.append(math.log10(max(float(d.pow(2).mean().sqrt()), 1e-300)))
    tail = np.cumsum(log_rms[::-1])[::-1]  # Σ_{k ≥ l} log10 rms φ′(z^(k))
    first_underflow = first_overflow = None
    for i in range(depth):
        z64 = zs[i].to(torch.float64)
        d = act.derivative(zs[i]).to(torch.float64).abs()
        finite = torch.isfinite(z64)
        zf = z64[finite] if not bool(finite.all()) else z64
        gw, gw64 = grads[i].to(torch.float64), grads64[i]
        nonfinite = float((~torch.isfinite(gw)).double().mean())
        lost = (gw == 0) & (gw64 != 0)
        layers.append(LayerFlow(
            layer=i + 1,
            pre_mean=float(zf.mean()) if zf.numel() else math.nan,
            pre_std=float(zf.std()) if zf.numel() > 1 else math.nan,
            saturated=float(((d > 0) & (d < SATURATION * peak)).double().mean()),
            dead=float((d == 0).all(dim=0).double().mean()),
            delta_norm=float(deltas[i].to(torch.float64).pow(2).sum(dim=1).mean().sqrt()),
            grad_norm=float(gw.norm()),
            grad_norm_exact=float(gw64.norm()),
            log10_dphi=float(tail[i]),
            underflow=float(lost.double().mean()),
            nonfinite=nonfinite,
        ))
    for r, gw64 in zip(reversed(layers), reversed(grads64)):
        if first_overflow is None and r.nonfinite > 0:
            first_overflow = r.layer
        if first_underflow is None and r.grad_norm == 0 and bool((gw64 != 0).any()):
            first_underflow = r.layer

    growth, fit = _fit_growth([float(d.pow(2).sum(dim=1).mean()) for d in deltas64],
                              depth // 4 if skip is None else skip)
    norm_growth = math.sqrt(growth) if growth >= 0 else math.nan
    total = norm_growth ** (depth - 1) if math.isfinite(norm_growth) else math.nan
    verdict = ("vanishing" if total < 1 / threshold else "exploding" if total > threshold else "stable")
    first, last = layers[0].grad_norm_exact, layers[-1].grad_norm_exact
    chi1 = theory_growth = None
    if theory:
        chi1, theory_growth = _theory(act, hidden_sw2, sigma_b2, float(x64.pow(2).mean()), depth, fit)
    return GradFlow(
        activation=act.spec.name, params=dict(act.params), depth=depth, width=width, batch=batch,
        init=label, dtype=dname, sigma_w2=float(hidden_sw2), sigma_b2=float(sigma_b2),
        inputs=inputs if isinstance(inputs, str) else "tensor", seed=seed, growth=growth,
        norm_growth=norm_growth, verdict=verdict,
        ratio_first_last=first / last if last > 0 else math.inf,
        first_underflow=first_underflow, first_overflow=first_overflow, chi1=chi1,
        theory_growth=theory_growth, fit_layers=fit, layers=layers,
    )


def _theory(act: Any, sw2: float, sb2: float, q_in: float, depth: int,
            fit: list[int]) -> tuple[float | None, float | None]:
    """Mean-field χ₁ at the fixed point reached from the input, and the growth the same
    least-squares fit would measure on the mean-field profile E‖δ^(l)‖² = Π_{k=l}^{L-1} χ₁(q^(k))."""
    from . import meanfield

    try:
        path = meanfield.propagate(act, sw2, sb2, depth, q0=q_in)
        chi1 = meanfield.analyse(act, sw2, sb2, q0=path[0]["q"]).chi1
    except ValueError:
        return None, None
    log_chi = [math.log(p["chi1"]) if p["chi1"] > 0 else -math.inf for p in path]
    profile = [math.exp(sum(log_chi[k - 1:depth - 1])) for k in range(1, depth + 1)]
    growth, _ = _fit_growth(profile, 0, layers=fit)
    return chi1, growth


def _fit_growth(sq_norms: Sequence[float], skip: int,
                layers: list[int] | None = None) -> tuple[float, list[int]]:
    """Per-layer factor G of E‖δ‖² going back one layer: exp(-slope) of the least-squares line
    through log E‖δ^(l)‖² over layers l > skip (finite, non-zero values only)."""
    if layers is not None:
        layers = [k for k in layers if sq_norms[k - 1] > 0 and math.isfinite(sq_norms[k - 1])]
    else:
        layers = [i + 1 for i, v in enumerate(sq_norms) if i >= skip and v > 0 and math.isfinite(v)]
    if len(layers) < 2:
        layers = [i + 1 for i, v in enumerate(sq_norms) if v > 0 and math.isfinite(v)]
    if len(layers) < 2:
        return (0.0 if all(v == 0 for v in sq_norms) else math.nan), layers
    y = np.log([sq_norms[i - 1] for i in layers])
    slope = np.polyfit(np.asarray(layers, dtype=np.float64), y, 1)[0]
    return float(np.exp(-slope)), layers


def compare(activations: Iterable[str], progress: Progress | None = None, **kwargs: Any) -> list[GradFlow]:
    """:func:`run` for several activations with the same settings; ``progress(name)`` after each."""
    results = []
    for name in activations:
        results.append(run(name, **kwargs))
        if progress:
            progress(name)
    return results


THEORY_CASES = (("tanh", 1.5, 0.05), ("tanh", 3.0, 0.05), ("relu", 2.0, 0.0), ("relu", 1.6, 0.0),
                ("swish", 2.0, 0.04), ("selu", 1.0, 0.0))  # (activation, σ_w², σ_b²)


def theory_vs_simulation(cases: Iterable[tuple[str, float, float]] = THEORY_CASES,
        *, width: int = 512, depth: int = 24, batch: int = 32, seed: int = 0, skip: int | None = None,
        progress: Progress | None = None) -> list[dict[str, Any]]:
    """Measured per-layer growth of E‖δ‖² against mean-field χ₁ for (activation, σ_w², σ_b²).

    Each row: activation, σ_w², σ_b², q*, χ₁ (theory at q*), chi1_path (the same fit on the
    mean-field profile Π χ₁(q^(l)) along the transient q^(1), q^(2), ... -> q*), the measured
    growth G, and the relative errors. Inputs have unit variance; the first ``depth // 4``
    layers are left out of the fit while q settles; q_last: measured pre-activation mean
    square at layer L (compare with q*). ``progress(name)`` is called after each case.
    """
    from . import meanfield

    rows = []
    for name, sw2, sb2 in cases:
        mf = meanfield.analyse(name, sw2, sb2, q0=sw2 + sb2)  # layer 1 sees unit-variance inputs
        r = run(name, depth=depth, width=width, batch=batch, sigma_w2=sw2, sigma_b2=sb2,
                dtype="float64", seed=seed, skip=skip)
        rows.append({"activation": r.activation, "sigma_w2": sw2, "sigma_b2": sb2,
                     "q_star": mf.q_star, "chi1": mf.chi1, "chi1_path": r.theory_growth,
                     "measured": r.growth, "rel_error": r.growth / mf.chi1 - 1.0,
                     "rel_error_path": r.growth / r.theory_growth - 1.0 if r.theory_growth else None,
                     "q_last": r.layers[-1].pre_std ** 2 + r.layers[-1].pre_mean ** 2})
        if progress:
            progress(name)
    return rows
