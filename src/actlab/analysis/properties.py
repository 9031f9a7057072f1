"""Measured properties of an elementwise activation, at any parameter values.

Everything here is computed from the spec, never typed in: the torch forward and analytic
derivatives (float64) scan the line, SciPy refines the points that matter (minima, the steepest
slope, region edges) to ~1e-12, the SymPy reference decides what algebra can decide (is it a
polynomial, its Taylor series, which Piecewise branch holds near a point) and the mpmath
evaluation of the reference gives one-sided limits at kinks and limits at ±inf. SymPy runs
under operation budgets (:mod:`actlab.analysis.symbolic`), never under a time limit, so every
answer depends on the activation and its parameters only, not on how busy the machine is.

Grid: 20,001 points on [-10, 10] plus 400 geometric points per side out to ±1e6, and the
reference's limits at ±inf. "Measured" means measured on that grid and refined there; a
feature narrower than 1e-3 inside [-10, 10] or beyond 1e6 is not seen.

Definitions (what each field means):

* ``polynomial`` -- the Leshno et al. (1993) condition: a continuous activation gives a
  universal approximator iff it is *not* a polynomial. Symbolic (SymPy ``is_polynomial``) when
  SymPy decides, otherwise a degree <= 8 least-squares fit on [-3, 3] that must extrapolate to
  [-10, 10] within 1e-9.
* ``smoothness`` -- "discontinuous", "C0", "C1", "C2" or "C∞": the lowest derivative order that
  jumps at a kink (one-sided limits of f, f', f'' from the reference at k ± 1e-30, 60 digits).
  No kinks and an analytic reference (no Piecewise/Abs/sign/Max/Min/Heaviside) is C∞; "C2"
  means f'' is continuous at the kinks and higher orders were not decided.
* ``zero_centred`` -- |E[f(z)]| <= 1e-6 for z ~ N(0, 1) (:func:`actlab.analysis.gauss.moments`:
  Gauss-Legendre on the pieces between kinks over ±12 standard deviations, exact to ~1e-13 for
  piecewise-smooth f).
* ``self_normalizing`` -- Klambauer et al. (2017), eq. (3)-(4): the map
  (μ, ν) -> (E f(z), Var f(z)), z ~ N(μω, ντ), with LeCun-normal weights (ω = Σw = 0 in
  expectation, τ = Σw² = 1) iterated from (0, 1) converges to a fixed point within 0.1 of
  (0, 1) whose Jacobian has spectral radius < 1 (SELU: (0, 1), radius ≈ 0.79;
  :func:`actlab.analysis.fixedpoint.solve`).
* ``saturation_regions`` -- intervals of width >= 0.1 where |f'| < 1e-3; ``dead_regions`` --
  intervals where f' is exactly 0 (confirmed on the reference, not a float underflow).
* ``cost_vs_relu`` -- a measurement, not a property: the fastest of 15 runs of the actlab
  forward over 2^18 float32 elements divided by the fastest of 15 interleaved runs of
  ``torch.relu`` on the same tensor, same process, one CPU thread
  (:func:`actlab.analysis.cost.measure_cost`).

The measurements are split by what they use: :mod:`.subject` (the activation and its
reference), :mod:`.scan` (the grid and the refinement of extrema and edges), :mod:`.symbolic`
(SymPy under budgets), :mod:`.gauss` and :mod:`.fixedpoint`; this module runs them in named
steps (:func:`_analyze`) and formats the result.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import mpmath
import numpy as np
import sympy

from ..activation import get
from ..jsonsafe import json_safe as to_json
from ..registry import get_spec, specs
from ..spec import ActivationSpec
from . import fixedpoint, symbolic
from .cost import measure_cost
from .gauss import moments as gaussian_moments
from .scan import DENSE, FAR, Interval, extremum, nearest, regions, runs, scan_grid, snap
from .subject import Subject
from .symbolic import X, analytic, branch_at, breakpoints, breakpoints_exact, exact

__all__ = [
    "DENSE", "FAR", "KINK_STEP", "SATURATION", "Properties", "Subject", "analyze", "analyze_many",
    "branch_at", "breakpoints", "elementwise_names", "exact", "gaussian_moments", "measure_cost",
    "scan_grid", "summary_row",
]

SATURATION = 1e-3  # |f'| below this is "saturated"
KINK_STEP = "1e-30"  # one-sided offsets at kinks (evaluated with 60 digits)
TAYLOR_ORDER = 5
CLOSED_FORM_OPS = 8  # a Taylor coefficient longer than this (count_ops) is shown as its value
CLEAN_OPS = 128  # simplify budget for a Taylor coefficient (SELU's run to 100 ops)


# ----------------------------------------------------------------------------- result type


@dataclass
class Properties:
    """What :func:`analyze` measured for one activation at one set of parameter values."""

    name: str
    params: dict[str, float]
    nonlinear: bool
    polynomial: bool
    polynomial_degree: int | None
    polynomial_method: str
    continuous: bool
    smoothness: str
    kinks: list[float]
    kink_jumps: list[dict[str, float]]
    monotonic: str
    increasing_on: list[Interval]
    decreasing_on: list[Interval]
    f0: float
    df0_left: float
    df0_right: float
    zero_at_zero: bool
    unit_slope_at_zero: bool
    identity_near_zero: bool
    lower_bound: float
    upper_bound: float
    min_value: float
    argmin: float | None
    argmin_note: str
    max_value: float
    argmax: float | None
    argmax_note: str
    bounded_below: bool
    bounded_above: bool
    unbounded_above: bool
    negative_outputs: bool
    gaussian_mean: float
    gaussian_var: float
    zero_centred: bool
    max_abs_derivative: float
    argmax_abs_derivative: float | None
    argmax_abs_derivative_note: str
    saturation_regions: list[Interval]
    dead_regions: list[Interval]
    self_normalizing: bool
    fixed_point: tuple[float, float] | None
    fixed_point_radius: float | None
    symmetry: str
    taylor: str
    taylor_coefficients: list[float] | None
    cost_vs_relu: float | None
    cost_ns_per_element: float | None
    notes: list[str] = field(default_factory=list)

    def as_dict(self, json_safe: bool = False) -> dict[str, Any]:
        """The fields as a dict; ``json_safe`` writes ±inf as "inf"/"-inf" and nan as None."""
        d = asdict(self)
        return to_json(d) if json_safe else d


# ----------------------------------------------------------------------------- the steps


def _elementwise_spec(name: str | ActivationSpec) -> ActivationSpec:
    """The spec of ``name``; ValueError for one that is not an elementwise function of x."""
    spec = get_spec(name)
    if not isinstance(spec, ActivationSpec):  # RReLU is one: its eval form
        what = {"gated": "gated (a ⊗ g(b))", "concatenated": "concatenated ([f(x), f(-x)])"}.get(
            spec.kind, spec.kind)
        instead = (f"; analyse its elementwise part instead: actlab properties {spec.base_name}"
                   if spec.base_name else "")
        raise ValueError(f"{spec.name} is {what}, not a function of one variable{instead}")
    return spec


def _kink_analysis(s: Subject) -> tuple[str, bool, list[dict[str, float]], list[float]]:
    """Smoothness class, continuity, the jumps of f, f', f'' at every candidate kink (declared,
    or a boundary of the reference's Piecewise), and the kinks: declared ones plus candidates
    where something jumps."""
    declared = sorted({float(k) for k in s.spec.kinks(**s.params)})
    exact_found = symbolic.attempt(lambda: breakpoints_exact(s.expr), default=[]) or []
    found = [float(r) for r in exact_found]
    # a declared float kink next to a Piecewise boundary is that boundary, to 50 digits: maxsig's
    # float x* lies 6e-17 below the true one, and offsets of 1e-30 around it never cross
    precise = {float(r): str(r) for r in exact_found}
    for k in declared:
        near = [r for r in exact_found if abs(float(r) - k) <= 1e-12 * max(1.0, abs(k))]
        if near:
            precise[k] = str(near[0])
    candidates = sorted({*declared, *found})
    jumps = []
    worst = 99  # the lowest derivative order that jumps somewhere (3: formulas meet C2)
    tiny = sympy.Rational(1, 10**30)
    for k in candidates:
        with mpmath.workdps(60):  # k ± d must be formed at 60 digits, not 15
            km = mpmath.mpf(precise.get(k, repr(k)))
            d = mpmath.mpf(KINK_STEP) if k == 0 else min(mpmath.mpf(KINK_STEP), abs(km) * mpmath.mpf("1e-10"))
            left, right = km - d, km + d
        # identical formulas on both sides (penalized_tanh at a = 1): smooth at k
        kx = sympy.Rational(precise.get(k, repr(k)))
        same = symbolic.vanishes(branch_at(s.expr, kx - tiny) - branch_at(s.expr, kx + tiny)) is True
        row: dict[str, float] = {"x": k}
        jumped = False
        for order, key in enumerate(("f", "df", "d2f")):
            lo, hi = s.ref_at(key, left), s.ref_at(key, right)
            if lo is None or hi is None:
                row[f"jump_{key}"] = math.nan
                continue
            jump = float(hi - lo)
            scale = max(1.0, abs(float(lo)), abs(float(hi)))
            # continuous pieces move by ~|f^(n+1)|·2e-30 over the offsets; more than 1e-20
            # (relative) is a jump
            if same or abs(jump) <= 1e-20 * scale:
                jump = 0.0
            row[f"jump_{key}"] = jump
            if jump != 0.0:
                worst = min(worst, order)
                jumped = True
        if not same and row.get("jump_f") == 0.0:
            # the value at the kink itself must match the limits (threshold: f(t) = value)
            at, lim = s.ref_at("f", km), s.ref_at("f", right)
            if at is not None and lim is not None and abs(float(at - lim)) > 1e-20 * max(1.0, abs(float(at))):
                row["jump_f"] = float(at - lim)
                worst, jumped = 0, True
        if k in declared and not same and not jumped:
            worst = min(worst, 3)  # a declared kink where f, f', f'' are continuous: C2 at least
        if jumped or (k in declared and not same):
            jumps.append(row)
    classes = {0: "discontinuous", 1: "C0", 2: "C1", 3: "C2"}
    # no declared kink and nothing jumps (sinc's Piecewise at 0 is a Taylor patch): smooth,
    # unless the reference hides a kink where no boundary was found (|x|, max(x, 0))
    cls = classes.get(worst) or ("C∞" if found or analytic(s.expr) else "C2")
    kinks = sorted(float(r["x"]) for r in jumps)
    return cls, worst != 0, jumps, kinks


def _saturation(s: Subject, xs: np.ndarray, dy: np.ndarray, lim_df: tuple[float, float],
                kinks: list[float]) -> list[Interval]:
    """Intervals of width >= 0.1 where |f'| < SATURATION; a flat tail extends to ±inf."""
    dfs = s.scalar("df")
    lim_abs = tuple(abs(v) for v in lim_df)
    tails_flat = (not math.isnan(lim_abs[0]) and lim_abs[0] < SATURATION,
                  not math.isnan(lim_abs[1]) and lim_abs[1] < SATURATION)
    return regions(xs, np.abs(dy) < SATURATION, lambda t: abs(dfs(t)) - SATURATION, kinks,
                   min_width=0.1, extend=tails_flat)


def _dead_regions(s: Subject, xs: np.ndarray, dy: np.ndarray, kinks: list[float]) -> list[Interval]:
    """Intervals where f' is exactly 0, confirmed on the reference (not a float underflow:
    gaussian at |x| > 27)."""
    dead = []
    for a, b in runs(dy == 0):
        if b == a:
            continue  # an isolated zero of f' (x² at 0) is not a region
        inner = [float(xs[a]), float(xs[b]), float((xs[a] + xs[b]) / 2)]
        if a == 0:
            inner.append(-FAR)
        if b == len(xs) - 1:
            inner.append(FAR)
        if all(s.ref_value("df", t) == 0 for t in inner):
            lo = -math.inf if a == 0 else snap(float(xs[a - 1]), kinks)
            hi = math.inf if b == len(xs) - 1 else snap(float(xs[b + 1]), kinks)
            dead.append((lo, hi))
    return dead


def _monotonicity(s: Subject, xs: np.ndarray, dy: np.ndarray, jumps: list[dict[str, float]],
                  dead: list[Interval], kinks: list[float], notes: list[str]
                  ) -> tuple[str, list[Interval], list[Interval]]:
    """(monotonic, increasing_on, decreasing_on) from the sign of f' (exact signs: tails that
    underflow to 0 are not "flat" unless the reference confirms a dead region) and of the jumps
    of f at kinks."""
    sg = np.sign(np.nan_to_num(dy))
    nz = np.flatnonzero(sg)
    if len(nz) and not dead:
        # f' underflowing to 0 in a far tail keeps the sign it had before (mish at x < -750)
        sg[: nz[0]], sg[nz[-1] + 1:] = sg[nz[0]], sg[nz[-1]]
    pos, neg = sg > 0, sg < 0
    up_jump = any(j.get("jump_f", 0) > 0 for j in jumps)
    down_jump = any(j.get("jump_f", 0) < 0 for j in jumps)
    if not neg.any() and not down_jump:
        return ("non-decreasing" if dead else "increasing"), [], []
    if not pos.any() and not up_jump:
        return ("non-increasing" if dead else "decreasing"), [], []
    dfs = s.scalar("df")
    inc_on, dec_on = regions(xs, pos, dfs, kinks), regions(xs, neg, dfs, kinks)
    n_pos, n_neg = len(runs(pos)), len(runs(neg))
    if n_pos + n_neg > 20:
        notes.append(f"monotone pieces: {n_pos} increasing, {n_neg} decreasing "
                     f"on the grid to ±1e6; the ten nearest 0 of each listed")
        inc_on, dec_on = nearest(inc_on), nearest(dec_on)
    return "no", inc_on, dec_on


def _at_zero(s: Subject, kinks: list[float]) -> tuple[float, float, float]:
    """f(0), f'(0-), f'(0+): one-sided from the reference at a kink at 0."""
    f0 = float(s.f(np.array([0.0]))[0])
    if 0.0 not in kinks:
        d = float(s.df(np.array([0.0]))[0])
        return f0, d, d
    lo, hi = s.ref_at("df", "-" + KINK_STEP), s.ref_at("df", KINK_STEP)
    # f'(0±) from 1e-30 away: drop the O(1e-30) the offset itself adds (x² gives 2e-30)
    df0l = (0.0 if abs(lo) < 1e-20 else float(lo)) if lo is not None else math.nan
    df0r = (0.0 if abs(hi) < 1e-20 else float(hi)) if hi is not None else math.nan
    return f0, df0l, df0r


def _range(s: Subject, xs: np.ndarray, fy: np.ndarray, lim_f: tuple[float, float],
           kinks: list[float]) -> tuple[tuple[float, float | None, str], tuple[float, float | None, str]]:
    """(min, argmin, note) and (max, argmax, note) of f, refined on the reference."""
    fs, dfs = s.scalar("f"), s.scalar("df")

    def ref_f(t: float) -> Any:
        return s.ref_value("f", t)

    return (extremum(xs, fy, lim_f, "min", fs, dfs, ref_f, kinks),
            extremum(xs, fy, lim_f, "max", fs, dfs, ref_f, kinks))


def _steepest(s: Subject, xs: np.ndarray, dy: np.ndarray, lim_df: tuple[float, float],
              kinks: list[float]) -> tuple[float, float | None, str]:
    """The extremum of |f'|, refined where f'' changes sign."""
    dfs, d2s = s.scalar("df"), s.scalar("d2f")

    def ref_absdf(t: float) -> Any:
        v = s.ref_value("df", t)
        return None if v is None else abs(v)

    lim_abs = (abs(lim_df[0]), abs(lim_df[1]))
    return extremum(xs, np.abs(dy), lim_abs, "max", lambda t: abs(dfs(t)), d2s, ref_absdf, kinks)


def _self_normalizing(s: Subject, cuts: list[float]) -> tuple[bool, tuple[float, float] | None,
                                                             float | None]:
    """Iterate Klambauer et al.'s mean/variance map with ω = 0, τ = 1 from (0, 1)."""
    def step(v: np.ndarray) -> np.ndarray:
        return np.array(gaussian_moments(s.f, 0.0, math.sqrt(v[1]), cuts))

    def near_start(v: np.ndarray) -> bool:
        # left the neighbourhood of (0, 1): whatever it converges to is not near it
        return bool(abs(v[0]) < 0.5 and 0.5 < v[1] < 1.5)

    fp = fixedpoint.solve(step, (0.0, 1.0), tol=1e-12, max_steps=300, inside=near_start)
    if not fp.converged:
        return False, None, None
    mu, nu = float(fp.x[0]), float(fp.x[1])
    if not (math.isfinite(nu) and nu > 1e-8):
        return False, (mu, nu), None
    # Jacobian of (μ, ν) -> (μ', ν'): with ω = 0 the μ column is 0, so the radius is |∂ν'/∂ν|
    radius = abs(float(fixedpoint.jacobian(step, fp.x, 1e-5 * nu)[1, 1]))
    near = abs(mu) < 0.1 and abs(nu - 1) < 0.1
    return bool(near and radius < 1 - 1e-6), (mu, nu), radius


def _symmetry(xs: np.ndarray, fp: np.ndarray, fm: np.ndarray, f0: float) -> str:
    ok = np.isfinite(fp) & np.isfinite(fm) & (np.abs(xs) <= 1e3)
    fp, fm = fp[ok], fm[ok]
    scale = max(1.0, float(np.abs(fp).max()))
    tol = 1e-10 * scale
    if np.abs(fp + fm).max() <= tol:
        return "odd"
    if np.abs(fp - fm).max() <= tol:
        return "even"
    if math.isfinite(f0) and np.abs(fp + fm - 2 * f0).max() <= tol:
        return f"odd about (0, {f0:.6g})"
    return "none"


def _polynomial(s: Subject) -> tuple[bool, int | None, str]:
    def sym() -> tuple[bool, int | None] | None:
        e = s.expr
        if e.is_polynomial(X) is True:
            return True, int(sympy.Poly(e, X).degree()) if e.has(X) else 0
        return None

    decided = symbolic.attempt(sym)
    # numeric: a degree <= 8 fit on [-3, 3] must extrapolate to [-10, 10]
    cheb = 3 * np.cos(np.pi * (np.arange(200) + 0.5) / 200)
    test = np.linspace(-DENSE, DENSE, 2001)
    y, yt = s.f(cheb), s.f(test)
    numeric: tuple[bool, int | None] = (False, None)
    if np.isfinite(y).all() and np.isfinite(yt).all():
        scale = max(1.0, float(np.abs(yt).max()))
        for deg in range(9):
            p = np.polynomial.Polynomial.fit(cheb, y, deg)
            if np.abs(p(test) - yt).max() <= 1e-9 * scale:
                numeric = (True, deg)
                break
    if decided is not None:
        return decided[0], decided[1], "symbolic"
    return numeric[0], numeric[1], "numeric"


def _taylor(s: Subject, kinks: list[float], order: int = TAYLOR_ORDER
            ) -> tuple[str, list[float] | None, str]:
    """Taylor polynomial at 0 to x^order from the SymPy reference; one-sided at a kink at 0."""
    tiny = sympy.Rational(1, 10**30)
    right = branch_at(s.expr, tiny)
    left = branch_at(s.expr, -tiny)
    one_sided = 0.0 in kinks and symbolic.vanishes(right - left) is not True
    undecided = "undecided (SymPy could not expand it within its operation budget)"
    if one_sided:
        r, lft = _series_text(right, order), _series_text(left, order)
        if r is None or lft is None:
            return undecided, None, "one-sided"
        return f"x > 0: {r[0]};  x < 0: {lft[0]}", r[1], "one-sided (kink at 0)"
    r = _series_text(right, order)
    if r is None:
        return undecided, None, ""
    return r[0], r[1], ""


def _series_text(e: Any, order: int) -> tuple[str, list[float]] | None:
    """(the series of ``e`` at 0 in ascending powers, its coefficients); None if undecided."""
    poly = symbolic.series(e, order)
    if poly is None:
        return None

    def text() -> tuple[str, list[float]] | None:
        coeffs = [_clean(poly.coeff(X, n)) for n in range(order + 1)]
        if any(c.has(X) for c in coeffs):
            return None
        nums = [float(c) for c in coeffs]
        big = max((abs(c) for c in nums), default=0.0)
        coeffs = [sympy.Integer(0) if abs(n) <= 1e-15 * big and c.has(sympy.Float) else c
                  for c, n in zip(coeffs, nums)]
        p = sympy.Add(*(c * X**n for n, c in enumerate(coeffs)))
        return sympy.sstr(p, order="rev-lex") + f" + O(x**{order + 1})", [float(c) for c in coeffs]

    return symbolic.attempt(text)


def _clean(c: Any) -> Any:
    """A Taylor coefficient as shown: a short closed form where SymPy finds one, else its value."""
    if c.is_Rational and c.q > 10**6:  # an exact decimal of a float parameter: show its value
        return sympy.Float(c, 12)
    if c.has(sympy.Float) or c.is_Rational:
        return sympy.Float(c.evalf(15), 12) if c.has(sympy.Float) else c

    def closed_form() -> Any:
        r = symbolic.simplified(c.rewrite(sympy.exp), CLEAN_OPS)
        return c if r is None else sympy.nsimplify(r)

    simpler = symbolic.attempt(closed_form, default=c)
    if simpler.is_Rational or sympy.count_ops(simpler) <= CLOSED_FORM_OPS:
        return simpler
    return sympy.Float(c.evalf(15), 12)  # a closed form too long to read: its value


# ----------------------------------------------------------------------------- public API


def analyze(name: str | ActivationSpec, params: Mapping[str, float] | None = None, *,
            cost: bool = True, taylor: bool = True) -> Properties:
    """Measure the properties of activation ``name`` at ``params`` (defaults for the rest).

    ``cost=False`` skips the micro-benchmark; ``taylor=False`` skips the SymPy series (the
    slowest symbolic step). Raises ``ValueError`` for unknown names, parameters outside their
    domain and activations that are not elementwise functions of x. Results without the
    micro-benchmark are cached for the process (the measurement is deterministic).
    """
    spec = get_spec(name)
    resolved = spec.resolve(dict(params or {})) if isinstance(spec, ActivationSpec) else {}
    if cost:
        return _analyze(spec.name, dict(params or {}), cost=True, taylor=taylor)
    key = (spec.name, tuple(sorted((k, float(v)) for k, v in resolved.items())), taylor)
    return copy.deepcopy(_analyze_cached(*key))


@cache
def _analyze_cached(name: str, items: tuple[tuple[str, float], ...], taylor: bool) -> Properties:
    return _analyze(name, dict(items), cost=False, taylor=taylor)


def _analyze(name: str | ActivationSpec, params: Mapping[str, float] | None = None, *,
             cost: bool = True, taylor: bool = True) -> Properties:
    """The measurements of :func:`analyze`, step by step (each step is a function above)."""
    spec = _elementwise_spec(name)
    act = get(spec.name, **dict(params or {}))
    s = Subject(act)
    notes: list[str] = []
    if spec.kind == "stochastic":
        notes.append("stochastic: analysed in its eval form (the deterministic forward)")

    xs = scan_grid()
    cls, continuous, jumps, kinks = _kink_analysis(s)
    with np.errstate(all="ignore"):
        fy, dy = s.f(xs), s.df(xs)
    lim_f = (s.limit("f", -1), s.limit("f", 1))
    lim_df = (s.limit("df", -1), s.limit("df", 1))
    poly, degree, pmethod = _polynomial(s)
    saturation = _saturation(s, xs, dy, lim_df, kinks)
    dead = _dead_regions(s, xs, dy, kinks)
    mono, inc_on, dec_on = _monotonicity(s, xs, dy, jumps, dead, kinks, notes)
    f0, df0l, df0r = _at_zero(s, kinks)
    (vmin, amin, nmin), (vmax, amax, nmax) = _range(s, xs, fy, lim_f, kinks)
    gmax, gwhere, gnote = _steepest(s, xs, dy, lim_df, kinks)
    mean, var = gaussian_moments(s.f, 0.0, 1.0, kinks)
    sn, fixed, radius = _self_normalizing(s, kinks)
    sym = _symmetry(xs, fy, s.f(-xs), f0)
    if taylor:
        tay, tay_coeffs, tay_note = _taylor(s, kinks)
        if tay_note:
            notes.append(f"Taylor series: {tay_note}")
    else:
        tay, tay_coeffs = "skipped", None
    ns, ratio = measure_cost(act) if cost else (None, None)
    if amin is None and "not attained" in nmin:
        notes.append(f"infimum {vmin:.6g} {nmin}")

    zero_at_zero = abs(f0) <= 1e-15
    unit = abs(df0l - 1) <= 1e-9 and abs(df0r - 1) <= 1e-9
    return Properties(
        name=spec.name, params=dict(s.params), nonlinear=not (poly and degree is not None and degree <= 1),
        polynomial=poly, polynomial_degree=degree, polynomial_method=pmethod, continuous=continuous,
        smoothness=cls, kinks=kinks, kink_jumps=jumps, monotonic=mono, increasing_on=inc_on,
        decreasing_on=dec_on, f0=f0, df0_left=df0l, df0_right=df0r, zero_at_zero=zero_at_zero,
        unit_slope_at_zero=unit, identity_near_zero=zero_at_zero and unit, lower_bound=vmin,
        upper_bound=vmax, min_value=vmin, argmin=amin, argmin_note=nmin, max_value=vmax,
        argmax=amax, argmax_note=nmax, bounded_below=math.isfinite(vmin),
        bounded_above=math.isfinite(vmax), unbounded_above=vmax == math.inf,
        negative_outputs=vmin < -1e-15, gaussian_mean=mean, gaussian_var=var,
        zero_centred=abs(mean) <= 1e-6 * max(1.0, math.sqrt(max(var, 0.0))),
        max_abs_derivative=gmax, argmax_abs_derivative=gwhere, argmax_abs_derivative_note=gnote,
        saturation_regions=saturation, dead_regions=dead, self_normalizing=sn, fixed_point=fixed,
        fixed_point_radius=radius, symmetry=sym, taylor=tay, taylor_coefficients=tay_coeffs,
        cost_vs_relu=ratio, cost_ns_per_element=ns, notes=notes,
    )


def elementwise_names() -> list[str]:
    """The catalog's elementwise activations (those :func:`analyze` takes)."""
    return [s.name for s in specs() if s.kind == "elementwise"]


def analyze_many(names: list[str] | None = None, params: Mapping[str, float] | None = None, *,
                 cost: bool = True, taylor: bool = True,
                 progress: Callable[[str], None] | None = None) -> list[Properties]:
    """:func:`analyze` each of ``names`` (default: the whole elementwise catalog).

    ``params`` go to every activation that has a parameter of that name; with explicit names a
    parameter no listed activation has is an error.
    """
    chosen = list(names) if names else elementwise_names()
    params = dict(params or {})
    if params:
        known = {p for n in chosen for p in get_spec(n).param_names}
        unknown = set(params) - known
        if unknown:
            which = ", ".join(chosen) if names else "the catalog's activations"
            raise ValueError(
                f"parameter(s) {sorted(unknown)} belong to none of {which}; "
                f"they take: {', '.join(sorted(known)) or 'no parameters'}"
            )
    out = []
    for n in chosen:
        spec = get_spec(n)
        mine = {k: v for k, v in params.items() if k in spec.param_names}
        out.append(analyze(spec.name, mine, cost=cost, taylor=taylor))
        if progress is not None:
            progress(spec.name)
    return out


def summary_row(p: Properties) -> dict[str, Any]:
    """The headline columns of ``p`` as plain data (for tables, CSV and Markdown)."""
    def num(v: float | None) -> str:
        if v is None:
            return "—"
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "∞" if v > 0 else "-∞"
        return f"{v + 0.0:.6g}"  # + 0.0: no "-0"

    def where(v: float | None, note: str) -> str:
        return num(v) if v is not None else note

    def ivs(items: list[Interval]) -> str:
        return ", ".join(f"({num(a)}, {num(b)})" for a, b in items) or "—"

    return {
        "name": p.name,
        "params": ", ".join(f"{k}={v:g}" for k, v in p.params.items()),
        "class": p.smoothness,
        "kinks": ", ".join(num(k) for k in p.kinks) or "—",
        "polynomial": "yes" if p.polynomial else "no",
        "monotonic": p.monotonic,
        "f(0)": num(p.f0),
        "f'(0)": num(p.df0_right) if p.df0_left == p.df0_right else f"{num(p.df0_left)}|{num(p.df0_right)}",
        "≈x at 0": "yes" if p.identity_near_zero else "no",
        "range": ("[" if p.argmin is not None or p.argmin_note.startswith("attained") else "(")
        + f"{num(p.lower_bound)}, {num(p.upper_bound)}"
        + ("]" if p.argmax is not None or p.argmax_note.startswith("attained") else ")"),
        "min at": where(p.argmin, p.argmin_note),
        "E f(z)": num(p.gaussian_mean),
        "max|f'|": num(p.max_abs_derivative),
        "at": where(p.argmax_abs_derivative, p.argmax_abs_derivative_note),
        "saturates": ivs(p.saturation_regions),
        "dead": ivs(p.dead_regions),
        "self-norm": "yes" if p.self_normalizing else "no",
        "symmetry": p.symmetry,
        "taylor": p.taylor,
        "cost/relu": num(p.cost_vs_relu),
    }
