r"""Mean-field signal propagation through deep random networks, for any elementwise activation.

The network is the MLP of the source notes with random weights and biases,

.. math::
    z^{(l)} = W^{(l)} \phi(z^{(l-1)}) + b^{(l)},\qquad
    W_{ij} \sim \mathcal N(0, \sigma_w^2 / N_{l-1}),\quad b_i \sim \mathcal N(0, \sigma_b^2),

in the limit of infinite width, where every pre-activation is Gaussian (Poole et al. 2016):

* length map :math:`q^{(l)} = V(q^{(l-1)}) = \sigma_w^2\,\mathbb E_z[\phi(\sqrt{q}\,z)^2] + \sigma_b^2`,
  with fixed point :math:`q^* = V(q^*)`;
* :math:`\chi_1 = \sigma_w^2\,\mathbb E_z[\phi'(\sqrt{q^*}\,z)^2]`: the slope of the correlation
  map at :math:`c = 1` and the factor by which the mean squared back-propagated gradient
  :math:`\mathbb E\|\delta^{(l)}\|^2` grows per layer (Schoenholz et al. 2017, eq. 10);
* correlation map :math:`C(c) = [\sigma_w^2\,\mathbb E\,\phi(u_1)\phi(u_2) + \sigma_b^2] / q^*`
  with :math:`u_1 = \sqrt{q^*} z_1`, :math:`u_2 = \sqrt{q^*}(c z_1 + \sqrt{1-c^2} z_2)`,
  fixed point :math:`c^*` (1 in the ordered phase :math:`\chi_1 < 1`, below 1 in the chaotic one);
* depth scales :math:`\xi_q^{-1} = -\log(\chi_1 + \sigma_w^2\,\mathbb E[\phi''(u)\phi(u)])` and
  :math:`\xi_c^{-1} = -\log(\sigma_w^2\,\mathbb E[\phi'(u_1)\phi'(u_2)])` at :math:`c^*`
  (Schoenholz et al. 2017, eqs. 7 and 9);
* the edge of chaos: the :math:`\sigma_w^2` with :math:`\chi_1 = 1` for a given :math:`\sigma_b^2`.

Gaussian expectations come from :mod:`actlab.analysis.gauss` (Gauss–Hermite for smooth φ at
small scales; elsewhere, and where the spec declares kinks, Gauss–Legendre on pieces cut at the
kinks, against the Gaussian density; tested against mpmath).
φ, φ′ and φ″ come from the spec (``act.forward``/``derivative``/``second_derivative`` on float64
NumPy arrays): no activation's math is restated here.
The results are plain data; the phase diagram of :func:`phase_diagram` is drawn by
:func:`actlab.report.figures.meanfield.plot_phase_diagram`.

Self-normalisation (Klambauer et al. 2017) is the mean/variance version of the length map:
:func:`moment_fixed_point` finds SELU's fixed point (μ, ν) = (0, 1) under LeCun-normal weights.

References: Poole, Lahiri, Raghu, Sohl-Dickstein & Ganguli 2016, Exponential expressivity in deep
neural networks through transient chaos, NeurIPS. Schoenholz, Gilmer, Ganguli & Sohl-Dickstein
2017, Deep information propagation, ICLR. Klambauer, Unterthiner, Mayr & Hochreiter 2017,
Self-normalizing neural networks, NeurIPS.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

import actlab
from actlab.activation import Activation as _BoundActivation
from actlab.composite import ConcatenatedSpec, GatedSpec
from actlab.spec import ActivationSpec

from . import fixedpoint
from .gauss import expect, expect2, gauss_nodes, moments

__all__ = [
    "Q_GRID", "MeanField", "MomentFixedPoint", "Phi", "Progress", "analyse", "correlation_map",
    "edge_of_chaos", "expect", "expect2", "gauss_nodes", "length_map", "moment_fixed_point",
    "moment_map", "phase_diagram", "phi", "propagate", "table", "variance_preserving",
]

Array = np.ndarray
Progress = Callable[[str], None]  # called with a label after each step of a long computation
Q_GRID = np.logspace(-8, 8, 161)  # where the length map is scanned for its fixed point


@dataclass(frozen=True, eq=False)
class Phi:
    """An activation as mean-field theory needs it: φ, φ′, φ″ on float64 arrays and its kinks.

    :func:`phi` builds one from a catalog name; construct one directly for a function that is not
    in the catalog (tests use this to cross-check the catalog against a formula from a paper).
    """

    name: str
    forward: Callable[[Array], Array]
    derivative: Callable[[Array], Array]
    second_derivative: Callable[[Array], Array] | None = None
    kinks: tuple[float, ...] = ()
    params: dict[str, float] = field(default_factory=dict)


def phi(activation: str | Phi | Any, **params: float) -> Phi:
    """The :class:`Phi` of a catalog activation (name, spec, or ``actlab.get(...)`` object).

    Elementwise and stochastic (eval form) activations are supported; a concatenated one
    ([f(x), f(-x)], CReLU) has the mean-field maps of f when the next layer's fan-in counts
    both halves. Gated activations (GLU family) multiply two pre-activations and have no
    single-variable length map: ``ValueError``.
    """
    if isinstance(activation, Phi):
        return activation
    if isinstance(activation, _BoundActivation):
        act = activation if not params else actlab.get(activation.spec.name, **{**activation.params,
                                                                               **params})
    else:
        spec = actlab.get_spec(activation)
        if isinstance(spec, GatedSpec):
            raise ValueError(
                f"{spec.name} is gated (a ⊗ {spec.base.name}(b)): mean-field theory here covers "
                f"elementwise activations; analyse its gate '{spec.base.name}' or an elementwise one"
            )
        if isinstance(spec, ConcatenatedSpec):
            spec = spec.base
        if not isinstance(spec, ActivationSpec):
            raise ValueError(f"{spec.name} is {spec.kind}, not an elementwise activation: mean-field "
                             f"theory here covers elementwise ones")
        act = actlab.get(spec.name, **params)
    kinks = tuple(float(k) for k in act.spec.kinks(**act.params))
    return Phi(
        name=act.spec.name,
        forward=lambda u: np.asarray(act.forward(np.asarray(u, dtype=np.float64))),
        derivative=lambda u: np.asarray(act.derivative(np.asarray(u, dtype=np.float64))),
        second_derivative=lambda u: np.asarray(act.second_derivative(np.asarray(u, dtype=np.float64))),
        kinks=kinks,
        params=dict(act.params),
    )


# ------------------------------------------------------------------------------- the two maps
class _Field:
    """φ with the quadrature settings and the length-map moment E[φ(√q z)²] cached on Q_GRID."""

    def __init__(self, f: Phi) -> None:
        self.f = f
        self._m2_grid: Array | None = None

    def m2(self, q: Array | float) -> Array:
        return expect(lambda u: self.f.forward(u) ** 2, q, self.f.kinks)

    def m2_grid(self) -> Array:
        if self._m2_grid is None:
            self._m2_grid = self.m2(Q_GRID)
        return self._m2_grid

    def d2(self, q: Array | float) -> Array:
        return expect(lambda u: self.f.derivative(u) ** 2, q, self.f.kinks)

    def q_star(self, sw2: float, sb2: float, q0: float = 1.0) -> float:
        """The fixed point of the length map that iterating it from ``q0`` reaches.

        V is increasing for every activation in practice, so the iteration moves monotonically
        towards the nearest root of V(q) - q in the direction of V(q0) - q0: scan Q_GRID for the
        first sign change on that side and polish with Brent's method. inf: the map diverges
        (no fixed point above q0 up to 1e8); 0: it collapses (σ_b = 0 and φ(0) = 0, ordered).
        """
        from scipy.optimize import brentq

        def gap(q: float) -> float:
            return float(sw2 * self.m2(q) + sb2 - q)

        g0 = gap(q0)
        if abs(g0) <= 1e-13 * max(1.0, q0):  # every q is fixed (ReLU at σ_w² = 2, σ_b = 0)
            return q0
        grid = sw2 * self.m2_grid() + sb2 - Q_GRID
        if g0 > 0:
            above = np.nonzero((Q_GRID > q0) & (grid <= 0))[0]
            if above.size == 0:
                return math.inf
            i = above[0]
            lo = max(q0, Q_GRID[i - 1]) if i > 0 else q0
            return brentq(gap, lo, Q_GRID[i], xtol=1e-300, rtol=1e-14, maxiter=200)
        below = np.nonzero((Q_GRID < q0) & (grid >= 0))[0]
        if below.size:
            i = below[-1]
            hi = min(q0, Q_GRID[i + 1]) if i + 1 < Q_GRID.size else q0
            return brentq(gap, Q_GRID[i], hi, xtol=1e-300, rtol=1e-14, maxiter=200)
        if gap(0.0) > 0:  # a fixed point below 1e-8
            return brentq(gap, 0.0, Q_GRID[0], xtol=1e-300, rtol=1e-14, maxiter=200)
        return 0.0

    def chi1(self, sw2: float, q: float) -> float:
        # q* = inf: the slope in the limit, e.g. σ_w²/2 for ReLU. q* = 0: the limit q -> 0+, not
        # φ′(0)² (ReLU′(0) = 0 by convention, yet E[ReLU′(√q z)²] = 1/2 for every q > 0).
        q = min(max(q, 1e-200), float(Q_GRID[-1]))
        return float(sw2 * self.d2(q))

    def corr_map(self, sw2: float, sb2: float, q: float, c: Array | float) -> Array:
        f = self.f.forward
        return (sw2 * expect2(f, f, q, c, self.f.kinks) + sb2) / q

    def chi_c(self, sw2: float, q: float, c: float) -> float:
        d = self.f.derivative
        return float(sw2 * expect2(d, d, q, c, self.f.kinks))

    def c_star(self, sw2: float, sb2: float, q: float, chi1: float) -> float:
        """The stable fixed point of the correlation map: 1 unless χ₁ > 1, then the largest
        root below 1 (C(c) - c < 0 just below 1 in the chaotic phase, ≥ 0 at c = -1)."""
        from scipy.optimize import brentq

        if not (0 < q < math.inf):
            return math.nan
        if chi1 <= 1.0 + 1e-12:
            return 1.0
        cs = np.linspace(-1.0, 1.0 - 1e-6, 41)  # C(c) - c is smooth: a coarse scan brackets it
        gap = self.corr_map(sw2, sb2, q, cs) - cs
        nonneg = np.nonzero(gap >= 0)[0]
        if nonneg.size == 0:  # numerical noise at c = -1
            return -1.0
        i = nonneg[-1]
        if i + 1 == cs.size:
            return float(cs[-1])
        return brentq(lambda c: float(self.corr_map(sw2, sb2, q, c) - c), cs[i], cs[i + 1], xtol=1e-13)

    def chi_q(self, sw2: float, q: float) -> float:
        """Slope of the length map at q: χ₁ + σ_w² E[φ″φ] (Gaussian integration by parts)."""
        f = self.f
        if f.second_derivative is None:  # dV/dq = σ_w² E[φ′(u) φ(u) u] / q, no φ″ needed
            if q <= 0:
                return self.chi1(sw2, q)
            return float(sw2 * expect(lambda u: f.derivative(u) * f.forward(u) * u / q, q, f.kinks))
        extra = expect(lambda u: f.second_derivative(u) * f.forward(u), q, f.kinks)
        return self.chi1(sw2, q) + float(sw2 * extra)


def _field(activation: Any, params: dict[str, float]) -> _Field:
    if isinstance(activation, Phi):
        return _Field(activation)
    f = phi(activation, **params)  # validates the name and the parameters
    return _field_by_name(f.name, tuple(sorted(f.params.items())))


@lru_cache(maxsize=64)
def _field_by_name(name: str, params: tuple[tuple[str, float], ...]) -> _Field:
    """Cached per (name, params): the moment grid on Q_GRID is reused across σ_w², σ_b²."""
    return _Field(phi(name, **dict(params)))


# ------------------------------------------------------------------------------- public results
@dataclass
class MeanField:
    """Mean-field quantities of one (activation, σ_w², σ_b²). ``to_dict()`` gives plain data."""

    activation: str
    params: dict[str, float]
    sigma_w2: float
    sigma_b2: float
    q_star: float
    chi1: float
    chi_q: float
    c_star: float
    chi_c: float
    xi_q: float
    xi_c: float
    phase: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return (f"{self.activation} σ_w²={self.sigma_w2:g} σ_b²={self.sigma_b2:g}: q*={self.q_star:.6g} "
                f"χ₁={self.chi1:.6g} c*={self.c_star:.6g} ξ_q={self.xi_q:.4g} ξ_c={self.xi_c:.4g} "
                f"({self.phase})")


def _depth(chi: float) -> float:
    """ξ = -1 / log χ for 0 < χ < 1; inf at or above 1 (no exponential decay)."""
    if not math.isfinite(chi) or chi >= 1.0 - 1e-10:  # at the edge (to rounding): no decay
        return math.inf
    if chi <= 0.0:
        return 0.0
    return -1.0 / math.log(chi)


def analyse(activation: str | Phi | Any, sigma_w2: float, sigma_b2: float = 0.0, *, q0: float = 1.0,
            tol: float = 1e-3, **params: float) -> MeanField:
    """q*, χ₁, c*, χ_c, ξ_q, ξ_c and the phase of ``activation`` at (σ_w², σ_b²).

    ``phase`` is "ordered" for χ₁ < 1 - tol, "chaotic" for χ₁ > 1 + tol, else "critical".
    Example (ReLU is scale-free: χ₁ = σ_w²/2 whatever q):

        >>> round(analyse("relu", 2.0).chi1, 12)
        1.0
    """
    _check_variances(sigma_w2, sigma_b2)
    fld = _field(activation, params)
    q = fld.q_star(sigma_w2, sigma_b2, q0)
    chi1 = fld.chi1(sigma_w2, q)
    cs = fld.c_star(sigma_w2, sigma_b2, q, chi1)
    finite = 0 < q < math.inf
    chi_c = fld.chi_c(sigma_w2, q, cs) if finite and not math.isnan(cs) else chi1
    chi_q = fld.chi_q(sigma_w2, min(q, float(Q_GRID[-1])))
    phase = "ordered" if chi1 < 1 - tol else "chaotic" if chi1 > 1 + tol else "critical"
    return MeanField(fld.f.name, dict(fld.f.params), float(sigma_w2), float(sigma_b2), float(q), chi1,
                     chi_q, float(cs), chi_c, _depth(chi_q), _depth(chi_c), phase)


def _check_variances(sigma_w2: float, sigma_b2: float) -> None:
    if not (sigma_w2 > 0 and math.isfinite(sigma_w2)):
        raise ValueError(f"sigma_w2 must be a finite positive weight variance, got {sigma_w2!r}")
    if not (sigma_b2 >= 0 and math.isfinite(sigma_b2)):
        raise ValueError(f"sigma_b2 must be a finite bias variance >= 0, got {sigma_b2!r}")


def length_map(activation: str | Phi | Any, sigma_w2: float, sigma_b2: float, q: Array | float,
               **params: float) -> Array:
    """V(q) = σ_w² E[φ(√q z)²] + σ_b², elementwise over ``q``."""
    return sigma_w2 * _field(activation, params).m2(q) + sigma_b2


def correlation_map(activation: str | Phi | Any, sigma_w2: float, sigma_b2: float, c: Array | float,
                    q: float | None = None, **params: float) -> Array:
    """C(c) at q (default q*), elementwise over ``c``."""
    fld = _field(activation, params)
    q = fld.q_star(sigma_w2, sigma_b2) if q is None else q
    return fld.corr_map(sigma_w2, sigma_b2, q, c)


def propagate(activation: str | Phi | Any, sigma_w2: float, sigma_b2: float, depth: int,
              q0: float = 1.0, **params: float) -> list[dict[str, float]]:
    """Layer by layer, what an infinitely wide network does before q reaches q*.

    Returns, for l = 1..depth, ``{"layer", "q", "chi1"}``: the pre-activation variance
    q^(l) = V(q^(l-1)) (layer 1 sees the raw input, of mean square ``q0``: q^(1) = σ_w² q0 + σ_b²)
    and the gradient factor χ₁(q^(l)) = σ_w² E[φ′(√q^(l) z)²] by which E‖δ‖² grows from layer
    l+1 back to l. At the fixed point these are q* and χ₁; along the way they are the transient.
    """
    _check_variances(sigma_w2, sigma_b2)
    fld = _field(activation, params)
    rows, q = [], sigma_w2 * q0 + sigma_b2
    for layer in range(1, depth + 1):
        rows.append({"layer": layer, "q": float(q), "chi1": fld.chi1(sigma_w2, float(q))})
        q = float(sigma_w2 * fld.m2(q) + sigma_b2) if math.isfinite(q) else q
    return rows


def edge_of_chaos(activation: str | Phi | Any, sigma_b2: float = 0.0, *,
                  bounds: tuple[float, float] = (1e-2, 1e3), q0: float = 1.0,
                  **params: float) -> float:
    """The critical weight variance: the σ_w² where χ₁(σ_w², σ_b²) = 1, at fixed point q*(σ_w², σ_b²).

    χ₁ is scanned on a log grid over ``bounds`` for its first crossing of 1, then refined with
    Brent's method. ReLU: 2 (He et al. 2015); tanh: 1 at σ_b² = 0 and 1.76095 at σ_b² = 0.05.
    For ReLU with σ_b² > 0 the root is still 2 but q* diverges there (no finite critical point).

    q* is the stable fixed point that iterating the length map from ``q0`` reaches (what a deep
    network converges to). For GELU, SiLU/swish and mish at small σ_b², χ₁ < 1 on that whole
    branch until it meets an unstable fixed point and q* jumps to infinity; Hayou et al. 2019
    (On the impact of the activation function on deep neural networks training, ICML) place
    their edge of chaos on the unstable branch, which a network started at that q only stays
    near for a few layers.

    ``ValueError`` when χ₁ does not cross 1 in ``bounds``, or jumps over 1 instead of crossing
    it: activations that grow faster than linearly (squared ReLU, cube) have no stable finite
    q*, the signal collapses to 0 or diverges, and there is no edge of chaos
    (:func:`variance_preserving` is the usual fallback).
    """
    from scipy.optimize import brentq

    _check_variances(1.0, sigma_b2)
    fld = _field(activation, params)

    def excess(sw2: float) -> float:
        return fld.chi1(sw2, fld.q_star(sw2, sigma_b2, q0)) - 1.0

    decades = math.log10(bounds[1]) - math.log10(bounds[0])
    grid = np.logspace(math.log10(bounds[0]), math.log10(bounds[1]), int(14 * decades) + 1)
    if excess(grid[0]) >= 0:
        raise ValueError(f"{fld.f.name}: χ₁ ≥ 1 already at σ_w² = {grid[0]:g}; widen bounds={bounds}")
    for lo, hi in itertools.pairwise(grid):
        cur = excess(hi)
        if cur < 0:
            continue
        root = float(hi) if cur == 0 else float(brentq(excess, lo, hi, xtol=1e-13, rtol=1e-13, maxiter=200))
        miss = min(abs(excess(root)), abs(excess(root * (1 + 1e-12))))
        if miss > 1e-6:
            raise ValueError(
                f"{fld.f.name}: χ₁ jumps over 1 at σ_w² ≈ {root:.6g} (σ_b² = {sigma_b2:g}) instead of "
                f"crossing it: the length map has no stable finite fixed point there, so there is "
                f"no edge of chaos; use variance_preserving() instead"
            )
        return root
    raise ValueError(
        f"{fld.f.name}: χ₁ stays below 1 for σ_w² in {bounds} at σ_b² = {sigma_b2:g} (no edge of "
        f"chaos there); widen bounds, e.g. bounds=({bounds[0]:g}, {bounds[1] * 10:g})"
    )


def variance_preserving(activation: str | Phi | Any, sigma_b2: float = 0.0, q: float = 1.0,
                        **params: float) -> float:
    """The σ_w² that makes ``q`` a fixed point of the length map: (q - σ_b²) / E[φ(√q z)²].

    The "LeCun/He for any activation" choice (He for ReLU, LeCun-like for SELU); the fallback of
    critical initialisation where there is no edge of chaos.
    """
    _check_variances(1.0, sigma_b2)
    if not q > sigma_b2:
        raise ValueError(f"q={q} must exceed sigma_b2={sigma_b2} for a variance-preserving σ_w²")
    m2 = float(_field(activation, params).m2(q))
    if not m2 > 0:
        raise ValueError(f"{phi(activation, **params).name}: E[φ(√q z)²] = 0 at q={q}; nothing to preserve")
    return (q - sigma_b2) / m2


# ------------------------------------------------------------------------- self-normalisation
@dataclass
class MomentFixedPoint:
    """Fixed point of the mean/variance map of Klambauer et al. 2017 (eqs. 3–4)."""

    activation: str
    params: dict[str, float]
    omega: float
    tau: float
    mu: float
    nu: float
    jacobian: list[list[float]]
    spectral_norm: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def moment_map(activation: str | Phi | Any, mu: float, nu: float, omega: float = 0.0, tau: float = 1.0,
               **params: float) -> tuple[float, float]:
    r"""g(μ, ν) = (E φ(z), Var φ(z)) for :math:`z \sim \mathcal N(\mu\omega, \nu\tau)`.

    μ, ν: mean and variance of the previous layer's activations; ω = Σᵢ wᵢ, τ = Σᵢ wᵢ² for a
    unit's weights (LeCun normal: ω ≈ 0, τ ≈ 1). Klambauer et al. 2017, eqs. 3–4.
    """
    f = phi(activation, **params)
    if nu * tau < 0:
        raise ValueError(f"the variance ν·τ must be >= 0, got ν={nu}, τ={tau}")
    return moments(f.forward, mu * omega, math.sqrt(nu * tau), f.kinks)


def moment_fixed_point(activation: str | Phi | Any = "selu", omega: float = 0.0, tau: float = 1.0,
                       start: tuple[float, float] = (0.5, 1.5),
                       **params: float) -> MomentFixedPoint:
    """The fixed point (μ, ν) of :func:`moment_map`, its Jacobian and spectral norm.

    The map is iterated (it is a contraction near a stable fixed point) and then polished with
    a Newton-type solve (:func:`actlab.analysis.fixedpoint.solve`); the Jacobian is by central
    differences (:func:`actlab.analysis.fixedpoint.jacobian`). For SELU with LeCun-normal weights
    (ω = 0, τ = 1) the fixed point is (0, 1) (Klambauer et al. 2017, Theorem 1).
    """
    def g(v: Array) -> Array:
        return np.array(moment_map(activation, v[0], max(v[1], 0.0), omega, tau, **params))

    v = fixedpoint.solve(g, start, tol=1e-13, max_steps=200, polish=True).x
    if not np.all(np.isfinite(v)):
        raise ValueError(f"the mean/variance map of {phi(activation, **params).name} has no finite "
                         f"fixed point from start={start} at ω={omega}, τ={tau}")
    jac = fixedpoint.jacobian(g, v, 1e-6)
    f = phi(activation, **params)
    return MomentFixedPoint(f.name, dict(f.params), omega, tau, float(v[0]), float(v[1]),
                            jac.tolist(), float(np.linalg.norm(jac, 2)))


# ----------------------------------------------------------------------------- phase diagram
def phase_diagram(activations: Iterable[str] = ("tanh", "relu"), *,
                  sigma_w2: tuple[float, float] = (0.25, 4.0), sigma_b2: tuple[float, float] = (0.0, 0.3),
                  grid: int = 41, curve_points: int = 16,
                  progress: Progress | None = None) -> dict[str, Any]:
    """Plain data for the order/chaos phase diagram (drawn by
    :func:`actlab.report.figures.meanfield.plot_phase_diagram`).

    Returns ``{"sigma_w2": [...], "sigma_b2": [...], "activations": {name: {"chi1": [[...]]
    (rows: σ_b², columns: σ_w²), "edge": [{"sigma_b2", "sigma_w2"}...]}}}``. The edge curve is
    :func:`edge_of_chaos` on ``curve_points`` values of σ_b². ``progress(name)`` is called after
    each row of the grid and each point of the curve: ``grid + curve_points`` times per activation.
    """
    sw = np.linspace(*sigma_w2, grid)
    sb = np.linspace(*sigma_b2, grid)
    data: dict[str, Any] = {"sigma_w2": sw.tolist(), "sigma_b2": sb.tolist(), "activations": {}}
    for name in activations:
        fld = _field(name, {})
        chi = np.empty((grid, grid))
        for i, b in enumerate(sb):
            for j, w in enumerate(sw):
                chi[i, j] = fld.chi1(w, fld.q_star(w, b))
            if progress:
                progress(name)
        edge = []
        for b in np.linspace(*sigma_b2, curve_points):
            try:
                edge.append({"sigma_b2": float(b), "sigma_w2": edge_of_chaos(name, float(b))})
            except ValueError:
                pass  # no crossing in range at this σ_b²: the curve leaves the plot
            if progress:
                progress(name)
        data["activations"][fld.f.name] = {"chi1": chi.tolist(), "edge": edge}
    return data


def table(activations: Iterable[str], sigma_w2: float | None = None,
          sigma_b2: float = 0.0) -> list[dict[str, Any]]:
    """One row of :func:`analyse` per activation; ``sigma_w2=None`` means its edge of chaos."""
    rows = []
    for name in activations:
        sw2 = edge_of_chaos(name, sigma_b2) if sigma_w2 is None else sigma_w2
        rows.append(analyse(name, sw2, sigma_b2).to_dict())
    return rows
