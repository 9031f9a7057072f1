"""Measured properties of an elementwise activation, at any parameter values.

Everything here is computed from the spec, never typed in: the torch forward and analytic
derivatives (float64) scan the line, SciPy refines the points that matter (minima, the steepest
slope, region edges) to ~1e-12, the SymPy reference decides what algebra can decide (is it a
polynomial, its Taylor series, which Piecewise branch holds near a point) and the mpmath
evaluation of the reference gives one-sided limits at kinks and limits at ±inf.

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
* ``zero_centred`` -- |E[f(z)]| <= 1e-6 for z ~ N(0, 1) (Gauss-Legendre on the pieces between
  kinks over ±14 standard deviations, exact to ~1e-13 for piecewise-smooth f).
* ``self_normalizing`` -- Klambauer et al. (2017), eq. (3)-(4): the map
  (μ, ν) -> (E f(z), Var f(z)), z ~ N(μω, ντ), with LeCun-normal weights (ω = Σw = 0 in
  expectation, τ = Σw² = 1) iterated from (0, 1) converges to a fixed point within 0.1 of
  (0, 1) whose Jacobian has spectral radius < 1 (SELU: (0, 1), radius ≈ 0.79).
* ``saturation_regions`` -- intervals of width >= 0.1 where |f'| < 1e-3; ``dead_regions`` --
  intervals where f' is exactly 0 (confirmed on the reference, not a float underflow).
* ``cost_vs_relu`` -- a measurement, not a property: the fastest of 15 runs of the actlab
  forward over 2^18 float32 elements divided by the fastest of 15 interleaved runs of
  ``torch.relu`` on the same tensor, same process, one CPU thread.
"""

from __future__ import annotations

import copy
import itertools
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import numpy as np
import torch

from ..activation import Activation, get
from ..jsonsafe import json_safe as to_json
from ..registry import get_spec, specs
from ..spec import ActivationSpec

SATURATION = 1e-3  # |f'| below this is "saturated"
DENSE = 10.0  # dense scan on [-DENSE, DENSE]
FAR = 1e6  # geometric tail scan out to ±FAR
KINK_STEP = "1e-30"  # one-sided offsets at kinks (evaluated with 60 digits)
SYMBOLIC_SECONDS = 5.0  # per symbolic step; past it the step is reported as undecided

Interval = tuple[float, float]


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


# ----------------------------------------------------------------------------- timeouts


class SymbolicTimeout(Exception):
    """A symbolic step ran past its time limit."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`SymbolicTimeout` in the block after ``seconds`` (SIGALRM; main thread only --
    elsewhere the block runs unlimited, since a thread cannot be interrupted)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return
    if signal.getitimer(signal.ITIMER_REAL)[0] > 0:  # already inside a limit: keep the outer one
        yield
        return

    def _raise(signum: int, frame: Any) -> None:
        raise SymbolicTimeout

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def symbolic(fn: Callable[[], Any], default: Any = None, seconds: float = SYMBOLIC_SECONDS) -> Any:
    """``fn()`` under a time limit; ``default`` if it times out or SymPy gives up."""
    try:
        with time_limit(seconds):
            return fn()
    except (SymbolicTimeout, NotImplementedError, TypeError, ValueError, AttributeError,
            ZeroDivisionError, RecursionError):
        return default
    except Exception as e:  # SymPy raises its own PolynomialError, CoercionFailed, ...
        if type(e).__module__.startswith("sympy"):
            return default
        raise


# ----------------------------------------------------------------------------- helpers


def exact(v: float) -> Any:
    """A parameter value as an exact SymPy number (the decimal it prints as: 0.1 -> 1/10)."""
    import sympy

    if isinstance(v, bool):
        raise TypeError(f"expected a number, got {v!r}")
    if isinstance(v, int) or float(v).is_integer():
        return sympy.Integer(int(v))
    return sympy.Rational(repr(float(v)))


def _x() -> Any:
    from ..numerics.reference import X

    return X


def branch_at(expr: Any, point: Any) -> Any:
    """The Piecewise branch of ``expr`` (folded to a top-level Piecewise) that holds at ``point``;
    ``expr`` itself if it has no Piecewise."""
    import sympy

    x = _x()
    folded = sympy.piecewise_fold(expr)
    if not isinstance(folded, sympy.Piecewise):
        return folded
    for e, cond in folded.args:
        if bool(cond.subs(x, point)):
            return e
    return folded


NONSMOOTH = ("Abs", "sign", "Heaviside", "Max", "Min", "floor", "ceiling", "Piecewise", "DiracDelta")


def breakpoints(expr: Any) -> list[float]:
    """Points where ``expr`` may switch formula: real zeros of Piecewise conditions and of the
    arguments of Abs/sign/Heaviside/Max/Min (polynomial in x only; others are left out)."""
    return [float(r) for r in _breakpoints_exact(expr)]


def _breakpoints_exact(expr: Any) -> list[Any]:
    """:func:`breakpoints` as SymPy numbers to 50 digits (maxsig's x* = σ(x*) is not a float)."""
    import sympy

    x = _x()
    cands = [rel.lhs - rel.rhs for rel in expr.atoms(sympy.core.relational.Relational)]
    for fn in (sympy.Abs, sympy.sign, sympy.Heaviside):
        cands.extend(a.args[0] for a in expr.atoms(fn))
    for fn in (sympy.Max, sympy.Min):
        for a in expr.atoms(fn):
            cands.extend(a.args[i] - a.args[j] for i in range(len(a.args))
                         for j in range(i + 1, len(a.args)))
    found: dict[float, Any] = {}
    for c in cands:
        c = sympy.expand(c)
        if not c.has(x) or c.free_symbols - {x} or not c.is_polynomial(x):
            continue
        poly = sympy.Poly(c, x)
        if poly.degree() == 1:
            a1, a0 = poly.all_coeffs()
            roots = [sympy.N(-a0 / a1, 50)]
        else:
            exact_poly = sympy.Poly(sympy.nsimplify(c, rational=True), x)
            roots = [sympy.N(r, 50) for r in exact_poly.real_roots()]
        for r in roots:
            found.setdefault(float(r), r)
    return [found[k] for k in sorted(found)]


def _analytic(expr: Any) -> bool:
    """No non-smooth function in ``expr``; a Piecewise counts as smooth only if it differs from
    its main branch at isolated points (sinc's value at 0: conditions Eq(x, c))."""
    import sympy

    for a in sympy.preorder_traversal(expr):
        if not isinstance(a, sympy.Basic) or a.is_Atom:
            continue
        if isinstance(a, sympy.Piecewise):
            if not all(c == sympy.true or isinstance(c, sympy.Eq) for _, c in a.args):
                return False
        elif a.func.__name__ in NONSMOOTH:
            return False
    return True


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive index ranges of the True runs of ``mask``."""
    if not mask.any():
        return []
    m = np.concatenate([[False], mask, [False]]).astype(np.int8)
    d = np.diff(m)
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1) - 1
    return list(zip(starts.tolist(), ends.tolist()))


def _brentq(g: Callable[[float], float], a: float, b: float) -> float | None:
    from scipy.optimize import brentq

    try:
        ga, gb = g(a), g(b)
        if not (math.isfinite(ga) and math.isfinite(gb)) or ga * gb > 0:
            return None
        if ga == 0:
            return a
        if gb == 0:
            return b
        return float(brentq(g, a, b, xtol=1e-15, rtol=1e-15, maxiter=200))
    except (ValueError, RuntimeError):
        return None


def scan_grid() -> np.ndarray:
    """The x grid every measurement scans: dense on [-10, 10], geometric out to ±1e6."""
    dense = np.linspace(-DENSE, DENSE, 20001)
    tail = np.geomspace(DENSE, FAR, 401)[1:]
    return np.concatenate([-tail[::-1], dense, tail])


def gauss_legendre_pieces(lo: float, hi: float, cuts: list[float], width: float = 1.0,
                          order: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights integrating over [lo, hi] piecewise: split at ``cuts`` and into pieces
    no wider than ``width``, ``order``-point Gauss-Legendre on each (exact for smooth pieces)."""
    t, w = np.polynomial.legendre.leggauss(order)
    edges = sorted({lo, hi, *(c for c in cuts if lo < c < hi)})
    xs, ws = [], []
    for a, b in itertools.pairwise(edges):
        n = max(1, math.ceil((b - a) / width))
        sub = np.linspace(a, b, n + 1)
        for p, q in itertools.pairwise(sub):
            xs.append((q - p) / 2 * t + (q + p) / 2)
            ws.append((q - p) / 2 * w)
    return np.concatenate(xs), np.concatenate(ws)


def gaussian_moments(f: Callable[[np.ndarray], np.ndarray], mu: float = 0.0, sd: float = 1.0,
                     cuts: list[float] = ()) -> tuple[float, float]:
    """E[f(z)] and Var[f(z)] for z ~ N(mu, sd²), by Gauss-Legendre on the pieces between
    ``cuts`` (kinks) over mu ± 14 sd, where the normal density has mass 1 - 1e-44."""
    xs, ws = gauss_legendre_pieces(mu - 14 * sd, mu + 14 * sd, list(cuts), width=sd / 2)
    pdf = np.exp(-0.5 * ((xs - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
    with np.errstate(all="ignore"):
        fx = f(xs)
        m1 = float(np.sum(ws * pdf * fx))
        m2 = float(np.sum(ws * pdf * (fx - m1) ** 2))
    return m1, m2


# ----------------------------------------------------------------------------- the subject


class Subject:
    """One activation with parameters bound: float64 torch evaluation on arrays, and its
    mpmath reference (``ref``) with one-sided limits and limits at ±inf."""

    def __init__(self, act: Activation) -> None:
        self.act = act
        self.spec: ActivationSpec = act.spec
        self.params = {k: float(v) for k, v in act.params.items()}

    # float64 evaluation (the measured implementation)
    def _t(self, fn: Callable[..., torch.Tensor], xs: np.ndarray) -> np.ndarray:
        t = torch.as_tensor(np.asarray(xs, dtype=np.float64))
        with torch.no_grad():
            out = fn(t)
        return out.detach().numpy().astype(np.float64)

    def f(self, xs: np.ndarray) -> np.ndarray:
        return self._t(self.act.forward, xs)

    def df(self, xs: np.ndarray) -> np.ndarray:
        return self._t(self.act.derivative, xs)

    def d2f(self, xs: np.ndarray) -> np.ndarray:
        return self._t(self.act.second_derivative, xs)

    def scalar(self, which: str) -> Callable[[float], float]:
        fn = getattr(self, which)
        return lambda t: float(fn(np.array([t]))[0])

    # the reference (the oracle)
    def _compiled(self, key: str) -> Callable[..., Any]:
        return _compiled(self.spec.name, key)

    def _plist(self) -> list[Any]:
        import mpmath

        return [mpmath.mpf(self.params[p]) for p in self.spec.param_names]

    def ref_at(self, key: str, x: Any, dps: int = 60) -> Any:
        """Reference quantity ``key`` ("f", "df", "d2f", "d3f") at x with ``dps`` digits; None
        where undefined."""
        import mpmath

        fn = self._compiled(key)
        with mpmath.workdps(dps):
            try:
                v = mpmath.mpmathify(fn(mpmath.mpf(x), *self._plist()))
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                return None
            if isinstance(v, mpmath.mpc):
                if abs(v.imag) > abs(v.real) * mpmath.mpf(10) ** (-dps + 5):
                    return None
                v = v.real
            return +v

    def ref_value(self, key: str, x: float) -> Any:
        """Reference value at adaptive precision (see numerics.reference.value); exact zeros are
        confirmed at >= 640 digits."""
        from ..numerics.reference import value

        return value(self._compiled(key), x, [self.params[p] for p in self.spec.param_names])

    def limit(self, key: str, sign: int) -> float:
        """Limit of the reference quantity ``key`` at sign·inf: nan where it has none.

        SymPy's ``limit`` of the outermost Piecewise branch first (1.5 s); else the reference
        at x = ±1e400 and ±2e400 with 80 digits, which must round to the same float.
        """
        return _limit(self.spec.name, tuple(sorted(self.params.items())), key, sign)

    @property
    def expr(self) -> Any:
        """The SymPy reference with the parameter values substituted exactly."""
        return _exact_expr(self.spec.name, tuple(sorted(self.params.items())))


@cache
def _compiled(name: str, key: str) -> Callable[..., Any]:
    import sympy

    from ..numerics.reference import X, expressions

    spec = get_spec(name)
    args = [X, *(sympy.Symbol(p, real=True) for p in spec.param_names)]
    return sympy.lambdify(args, expressions(name)[key], modules="mpmath")


@cache
def _limit(name: str, items: tuple[tuple[str, float], ...], key: str, sign: int) -> float:
    import mpmath
    import sympy

    x = _x()
    expr = _exact_expr(name, items)
    order = {"f": 0, "df": 1, "d2f": 2}[key]

    def sym() -> float | None:
        e = sympy.diff(expr, x, order) if order else expr
        far = branch_at(e, sign * sympy.Integer(10) ** 30)
        v = sympy.limit(far, x, sign * sympy.oo)
        if v.has(sympy.AccumBounds):
            return math.nan
        if v in (sympy.oo, -sympy.oo):
            return float(v)
        if v.is_real and v.is_finite and not v.free_symbols:
            return float(v)
        return None

    v = symbolic(sym, seconds=1.5)
    if v is not None:
        return v
    s = Subject(get(name, **dict(items)))
    vals = []
    for probe in ("1e400", "2e400"):
        r = s.ref_at(key, sign * mpmath.mpf(probe), dps=80)
        vals.append(math.nan if r is None else float(r))
    return vals[0] if vals[0] == vals[1] else math.nan


@cache
def _exact_expr(name: str, items: tuple[tuple[str, float], ...]) -> Any:
    import sympy

    spec = get_spec(name)
    return sympy.sympify(spec.reference(_x(), **{k: exact(v) for k, v in items}))


# ----------------------------------------------------------------------------- measurements


def _kink_analysis(s: Subject) -> tuple[str, bool, list[dict[str, float]], list[float]]:
    """Smoothness class, continuity, the jumps of f, f', f'' at every candidate kink (declared,
    or a boundary of the reference's Piecewise), and the kinks: declared ones plus candidates
    where something jumps."""
    import mpmath
    import sympy

    declared = sorted({float(k) for k in s.spec.kinks(**s.params)})
    exact_found = symbolic(lambda: _breakpoints_exact(s.expr), default=[]) or []
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
        same = symbolic(lambda kx=kx: sympy.simplify(branch_at(s.expr, kx - tiny)
                                                     - branch_at(s.expr, kx + tiny)) == 0,
                        default=False, seconds=2.0)
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
    cls = classes.get(worst) or ("C∞" if found or _analytic(s.expr) else "C2")
    kinks = sorted(float(r["x"]) for r in jumps)
    return cls, worst != 0, jumps, kinks


def _extremum(xs: np.ndarray, ys: np.ndarray, lims: tuple[float, float], which: str,
              q: Callable[[float], float], slope: Callable[[float], float] | None,
              value_ref: Callable[[float], Any] | None, kinks: list[float],
              open_ends: tuple[bool, bool] = (True, True)) -> tuple[float, float | None, str]:
    """min (which="min") or max of sampled ys, refined: returns (value, where, note).

    ``lims`` are the limits at -inf and +inf (nan if none); ``q`` evaluates the sampled quantity
    at one point, ``slope`` its derivative (a sign change locates an interior extremum);
    ``value_ref(x)`` is the reference value at x (it tells a plateau from an asymptote and gives
    the value at the refined point). ``open_ends``: whether the grid's first/last point stands
    for -inf/+inf (False when the search is restricted to a bounded side).
    """
    sgn = 1.0 if which == "min" else -1.0
    y = sgn * ys
    ok = np.isfinite(y)
    if not ok.any():
        return math.nan, None, "undefined"
    lo_lim, hi_lim = (sgn * v for v in lims)
    i = int(np.nanargmin(np.where(ok, y, np.inf)))
    m = float(y[i])
    for side, lim in ((-1, lo_lim), (1, hi_lim)):
        if lim == -math.inf:
            return sgn * -math.inf, None, f"unbounded (x → {'-' if side < 0 else '+'}∞)"
    # no limit at an end but growing without bound there (x cos x): unbounded
    dense = np.abs(xs) <= DENSE
    for side, lim, is_open in ((-1, lo_lim, open_ends[0]), (1, hi_lim, open_ends[1])):
        if math.isnan(lim) and is_open:
            far = ok & (side * xs > FAR / 10)
            if far.any() and (dense & ok).any() and \
                    y[far].min() < -100 * max(1.0, np.abs(y[dense & ok]).max()):
                return sgn * -math.inf, None, f"unbounded (oscillates, x → {'-' if side < 0 else '+'}∞)"
    limits = [v for v in (lo_lim, hi_lim) if not math.isnan(v)]
    tol = 1e-12 * max(1.0, abs(m))
    # a limit below every sampled value is the infimum, however little below (isru at -1e6 is
    # still 5e-13 above its limit -1); equal to it, the plateau test below decides
    if limits and min(limits) < m - 1e-15 * max(1.0, abs(m)):
        v = min(limits)
        end = "-∞" if v == lo_lim else "+∞"
        return sgn * v, None, f"not attained (approached as x → {end})"
    near = ok & (y <= m + tol)
    runs = _runs(near)
    run = min(runs, key=lambda r: _dist0(xs[r[0]], xs[r[1]]))
    a, b = run
    first, last = a == 0 and open_ends[0], b == len(xs) - 1 and open_ends[1]
    if b - a >= 2:  # a plateau on the grid: exact constant, or an asymptote that floats round off
        probe = xs[a + 1] if last and not first else xs[b - 1] if first else (xs[a] + xs[b]) / 2
        if value_ref is not None:
            rv = value_ref(float(probe))
            if rv is not None and float(sgn * rv) != m:
                # not an exact plateau: values only reach m at float resolution (tanh -> 1)
                if first or last:
                    end = "-∞" if first else "+∞"
                    return sgn * m, None, f"not attained (approached as x → {end})"
                return sgn * m, float((xs[a] + xs[b]) / 2), "flat to float64 precision here"
        lo = -math.inf if first else _snap(float(xs[a]), kinks)
        hi = math.inf if last else _snap(float(xs[b]), kinks)
        return sgn * m, None, f"attained on {_interval(lo, hi)}"
    # isolated extrema: refine every candidate within 1e-6 of the grid's best (a periodic
    # function has many; the grid may land closer to one far from 0), keep the lowest
    loose = _runs(ok & (y <= m + 1e-6 * max(1.0, abs(m))))
    loose = sorted(loose, key=lambda r: _dist0(xs[r[0]], xs[r[1]]))[:6]
    found = []
    for ra, rb in loose:
        k = ra + int(np.argmin(y[ra:rb + 1]))
        found.append(_refine(xs, k, sgn, q, slope, value_ref, kinks))
    best = min(v for v, _ in found)
    ties = [(v, w) for v, w in found if v <= best + 1e-12 * max(1.0, abs(best))]
    v, where = min(ties, key=lambda t: abs(t[1]))
    note = "also attained elsewhere (periodic or repeated)" if len(loose) > 1 and len(ties) > 1 else ""
    return sgn * v, where, note


def _dist0(lo: float, hi: float) -> float:
    return 0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi))


def _refine(xs: np.ndarray, j: int, sgn: float, q: Callable[[float], float],
            slope: Callable[[float], float] | None, value_ref: Callable[[float], Any] | None,
            kinks: list[float]) -> tuple[float, float]:
    """(sgn·value, x) of the extremum next to grid point j: at a kink, at a sign change of
    ``slope``, else by bounded minimisation."""
    left, right = float(xs[max(j - 1, 0)]), float(xs[min(j + 1, len(xs) - 1)])
    where = None
    for k in kinks:
        if left <= k <= right:
            where = k
    if where is None and slope is not None:
        where = _brentq(slope, left, right)
    if where is None:
        from scipy.optimize import minimize_scalar

        try:
            r = minimize_scalar(lambda t: sgn * q(t), bounds=(left, right), method="bounded",
                                options={"xatol": 1e-12})
            where = float(r.x)
        except ValueError:
            where = float(xs[j])
    v = sgn * q(where)
    if value_ref is not None:
        rv = value_ref(where)
        if rv is not None:
            v = sgn * float(rv)
    return v, where


def _snap(v: float, kinks: list[float], within: float = 2e-3) -> float:
    for k in kinks:
        if abs(v - k) <= within:
            return k
    return round(v, 3)


def _interval(lo: float, hi: float) -> str:
    return ("(" if math.isinf(lo) else "[") + f"{_fmt(lo)}, {_fmt(hi)}" + (")" if math.isinf(hi) else "]")


def _fmt(v: float) -> str:
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.6g}"


def _regions(xs: np.ndarray, mask: np.ndarray, edge: Callable[[float], float] | None,
             kinks: list[float], min_width: float = 0.0,
             extend: tuple[bool, bool] = (True, True), limit: int = 24) -> list[Interval]:
    """Intervals where ``mask`` holds on the grid; ends refined as roots of ``edge``."""
    out = []
    runs = _runs(mask)
    if len(runs) > limit:  # periodic: refine only the runs nearest 0
        runs = sorted(sorted(runs, key=lambda r: _dist0(xs[r[0]], xs[r[1]]))[:limit])
    for a, b in runs:
        lo = -math.inf if a == 0 and extend[0] else float(xs[a])
        hi = math.inf if b == len(xs) - 1 and extend[1] else float(xs[b])
        if edge is not None:
            if a > 0:
                r = _brentq(edge, float(xs[a - 1]), float(xs[a]))
                lo = r if r is not None else _snap(lo, kinks)
            if b < len(xs) - 1:
                r = _brentq(edge, float(xs[b]), float(xs[b + 1]))
                hi = r if r is not None else _snap(hi, kinks)
        else:
            lo = lo if math.isinf(lo) else _snap(float(xs[max(a - 1, 0)]) if a > 0 else lo, kinks)
            hi = hi if math.isinf(hi) else _snap(float(xs[min(b + 1, len(xs) - 1)]), kinks)
        if a > 0 and b < len(xs) - 1 and abs(xs[a]) > DENSE and abs(xs[b]) > DENSE:
            continue  # inside a sparse tail: the grid cannot resolve it
        if hi - lo >= min_width:
            out.append((lo, hi))
    return out


def _self_normalizing(s: Subject, cuts: list[float]) -> tuple[bool, tuple[float, float] | None,
                                                             float | None]:
    """Iterate Klambauer et al.'s mean/variance map with ω = 0, τ = 1 from (0, 1)."""
    def step(nu: float) -> tuple[float, float]:
        return gaussian_moments(s.f, 0.0, math.sqrt(nu), cuts)

    mu, nu = 0.0, 1.0
    for _ in range(300):
        if not (abs(mu) < 0.5 and 0.5 < nu < 1.5):
            # left the neighbourhood of (0, 1): whatever it converges to is not near it
            return False, None, None
        mu2, nu2 = step(nu)
        done = abs(mu2 - mu) < 1e-12 and abs(nu2 - nu) < 1e-12
        mu, nu = mu2, nu2
        if done:
            break
    else:
        return False, None, None
    if not (math.isfinite(nu) and nu > 1e-8):
        return False, (mu, nu), None
    # Jacobian of (μ, ν) -> (μ', ν'): with ω = 0 the μ column is 0, so the radius is |∂ν'/∂ν|
    h = 1e-5 * nu
    radius = abs(step(nu + h)[1] - step(nu - h)[1]) / (2 * h)
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
    import sympy

    x = _x()

    def sym() -> tuple[bool, int | None] | None:
        e = s.expr
        if e.is_polynomial(x) is True:
            return True, int(sympy.Poly(e, x).degree()) if e.has(x) else 0
        return None

    decided = symbolic(sym)
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
    if s.spec.kinks(**s.params) and numeric[0]:
        return numeric[0], numeric[1], "numeric"
    return numeric[0], numeric[1], "numeric"


def _taylor(s: Subject, kinks: list[float], order: int = 5) -> tuple[str, list[float] | None, str]:
    """Taylor polynomial at 0 to x^order from the SymPy reference; one-sided at a kink at 0."""
    import sympy

    x = _x()
    tiny = sympy.Rational(1, 10**30)
    right = branch_at(s.expr, tiny)
    left = branch_at(s.expr, -tiny)
    one_sided = 0.0 in kinks and symbolic(lambda: sympy.simplify(right - left) != 0, default=True,
                                         seconds=2.0)

    def series(e: Any) -> tuple[str, list[float]] | None:
        poly = sympy.series(e, x, 0, order + 1).removeO()
        coeffs = [_clean(poly.coeff(x, n)) for n in range(order + 1)]
        if any(c.has(x) for c in coeffs):
            return None
        nums = [float(c) for c in coeffs]
        big = max((abs(c) for c in nums), default=0.0)
        coeffs = [sympy.Integer(0) if abs(n) <= 1e-15 * big and c.has(sympy.Float) else c
                  for c, n in zip(coeffs, nums)]
        poly = sympy.Add(*(c * x**n for n, c in enumerate(coeffs)))
        text = sympy.sstr(poly, order="rev-lex") + f" + O(x**{order + 1})"  # ascending powers
        return text, [float(c) for c in coeffs]

    if one_sided:
        r = symbolic(lambda: series(right))
        lft = symbolic(lambda: series(left))
        if r is None or lft is None:
            return "undecided (SymPy timed out)", None, "one-sided"
        return f"x > 0: {r[0]};  x < 0: {lft[0]}", r[1], "one-sided (kink at 0)"
    r = symbolic(lambda: series(right))
    if r is None:
        return "undecided (SymPy timed out)", None, ""
    return r[0], r[1], ""


def _clean(c: Any) -> Any:
    import sympy

    if c.is_Rational and c.q > 10**6:  # an exact decimal of a float parameter: show its value
        return sympy.Float(c, 12)
    if c.has(sympy.Float) or c.is_Rational:
        return sympy.Float(c.evalf(15), 12) if c.has(sympy.Float) else c
    simpler = symbolic(lambda: sympy.nsimplify(sympy.simplify(c.rewrite(sympy.exp))), default=c,
                       seconds=1.0)
    if simpler.is_Rational or sympy.count_ops(simpler) <= 8:
        return simpler
    return sympy.Float(c.evalf(15), 12)  # a closed form too long to read: its value


def measure_cost(act: Activation, n: int = 1 << 18, repeats: int = 15) -> tuple[float, float]:
    """(time per element in ns, ratio to torch.relu), measured: the fastest of ``repeats``
    interleaved runs of the actlab forward and of ``torch.relu`` on the same 2^18 float32
    tensor, on one CPU thread. The minimum, not the median, and one thread: on a shared machine
    noise only adds time, and two threads waiting on each other at every op add milliseconds."""
    x = torch.randn(n, generator=torch.Generator().manual_seed(0))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _time_pair(act, x, n, repeats)
    finally:
        torch.set_num_threads(threads)


def _time_pair(act: Activation, x: torch.Tensor, n: int, repeats: int) -> tuple[float, float]:
    with torch.no_grad():
        act.forward(x)
        torch.relu(x)
        ta, tr = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            act.forward(x)
            t1 = time.perf_counter()
            torch.relu(x)
            t2 = time.perf_counter()
            ta.append(t1 - t0)
            tr.append(t2 - t1)
    a, r = min(ta), min(tr)
    return a / n * 1e9, a / r


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
    resolved = spec.resolve(dict(params or {})) if spec.kind not in ("gated", "concatenated") else {}
    if cost:
        return _analyze(spec.name, dict(params or {}), cost=True, taylor=taylor)
    key = (spec.name, tuple(sorted((k, float(v)) for k, v in resolved.items())), taylor)
    return copy.deepcopy(_analyze_cached(*key))


@cache
def _analyze_cached(name: str, items: tuple[tuple[str, float], ...], taylor: bool) -> Properties:
    return _analyze(name, dict(items), cost=False, taylor=taylor)


def _analyze(name: str | ActivationSpec, params: Mapping[str, float] | None = None, *,
             cost: bool = True, taylor: bool = True) -> Properties:
    spec = get_spec(name)
    if spec.kind in ("gated", "concatenated"):
        what = "gated (a ⊗ g(b))" if spec.kind == "gated" else "concatenated ([f(x), f(-x)])"
        raise ValueError(
            f"{spec.name} is {what}, not a function of one variable; analyse its elementwise "
            f"part instead: actlab properties {spec.gate}"
        )
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
    nonlinear = not (poly and degree is not None and degree <= 1)

    # saturation and dead regions
    dfs = s.scalar("df")
    absdy = np.abs(dy)
    lim_abs = tuple(abs(v) for v in lim_df)
    sat_mask = absdy < SATURATION
    sat_edge = lambda t: abs(dfs(t)) - SATURATION
    tails_flat = (not math.isnan(lim_abs[0]) and lim_abs[0] < SATURATION,
                  not math.isnan(lim_abs[1]) and lim_abs[1] < SATURATION)
    saturation = _regions(xs, sat_mask, sat_edge, kinks, min_width=0.1, extend=tails_flat)
    dead = []
    for a, b in _runs(dy == 0):
        if b == a:
            continue  # an isolated zero of f' (x² at 0) is not a region
        # the reference must be exactly 0 inside (not a float underflow: gaussian at |x| > 27)
        inner = [float(xs[a]), float(xs[b]), float((xs[a] + xs[b]) / 2)]
        if a == 0:
            inner.append(-FAR)
        if b == len(xs) - 1:
            inner.append(FAR)
        if all(s.ref_value("df", t) == 0 for t in inner):
            lo = -math.inf if a == 0 else _snap(float(xs[a - 1]), kinks)
            hi = math.inf if b == len(xs) - 1 else _snap(float(xs[b + 1]), kinks)
            dead.append((lo, hi))

    # monotonicity, from the sign of f' (exact signs: tails that underflow to 0 are not
    # "flat" unless the reference confirms a dead region) and of the jumps of f at kinks
    sg = np.sign(np.nan_to_num(dy))
    nz = np.flatnonzero(sg)
    if len(nz) and not dead:
        # f' underflowing to 0 in a far tail keeps the sign it had before (mish at x < -750)
        sg[: nz[0]], sg[nz[-1] + 1:] = sg[nz[0]], sg[nz[-1]]
    pos, neg = sg > 0, sg < 0
    up_jump = any(j.get("jump_f", 0) > 0 for j in jumps)
    down_jump = any(j.get("jump_f", 0) < 0 for j in jumps)
    if not neg.any() and not down_jump:
        mono = "non-decreasing" if dead else "increasing"
    elif not pos.any() and not up_jump:
        mono = "non-increasing" if dead else "decreasing"
    else:
        mono = "no"
    inc_on = _regions(xs, pos, dfs, kinks) if mono == "no" else []
    dec_on = _regions(xs, neg, dfs, kinks) if mono == "no" else []
    if len(_runs(pos)) + len(_runs(neg)) > 20:
        notes.append(f"monotone pieces: {len(_runs(pos))} increasing, {len(_runs(neg))} decreasing "
                     f"on the grid to ±1e6; the ten nearest 0 of each listed")
        inc_on, dec_on = _nearest(inc_on), _nearest(dec_on)

    # values at 0
    f0 = float(s.f(np.array([0.0]))[0])
    if 0.0 in kinks:
        lo, hi = s.ref_at("df", "-" + KINK_STEP), s.ref_at("df", KINK_STEP)
        # f'(0±) from 1e-30 away: drop the O(1e-30) the offset itself adds (x² gives 2e-30)
        df0l = (0.0 if abs(lo) < 1e-20 else float(lo)) if lo is not None else math.nan
        df0r = (0.0 if abs(hi) < 1e-20 else float(hi)) if hi is not None else math.nan
    else:
        df0l = df0r = float(s.df(np.array([0.0]))[0])
    zero_at_zero = abs(f0) <= 1e-15
    unit = abs(df0l - 1) <= 1e-9 and abs(df0r - 1) <= 1e-9

    # range
    ref_f = lambda t: s.ref_value("f", t)
    fs = s.scalar("f")
    vmin, amin, nmin = _extremum(xs, fy, lim_f, "min", fs, dfs, ref_f, kinks)
    vmax, amax, nmax = _extremum(xs, fy, lim_f, "max", fs, dfs, ref_f, kinks)

    # steepest slope: extremum of |f'|, refined where f'' changes sign
    d2s = s.scalar("d2f")
    ref_absdf = lambda t: (lambda v: None if v is None else abs(v))(s.ref_value("df", t))
    gmax, gwhere, gnote = _extremum(xs, absdy, lim_abs, "max", lambda t: abs(dfs(t)), d2s,
                                    ref_absdf, kinks)

    # Gaussian moments, zero-centred, self-normalizing
    mean, var = gaussian_moments(s.f, 0.0, 1.0, kinks)
    zero_centred = abs(mean) <= 1e-6 * max(1.0, math.sqrt(max(var, 0.0)))
    sn, fixed, radius = _self_normalizing(s, kinks)

    # symmetry
    fm = s.f(-xs)
    sym = _symmetry(xs, fy, fm, f0)

    if taylor:
        tay, tay_coeffs, tay_note = _taylor(s, kinks)
        if tay_note:
            notes.append(f"Taylor series: {tay_note}")
    else:
        tay, tay_coeffs = "skipped", None

    ns = ratio = None
    if cost:
        ns, ratio = measure_cost(act)

    lower, upper = vmin, vmax
    if amin is None and "not attained" in nmin:
        notes.append(f"infimum {lower:.6g} {nmin}")
    return Properties(
        name=spec.name, params=dict(s.params), nonlinear=nonlinear, polynomial=poly,
        polynomial_degree=degree, polynomial_method=pmethod, continuous=continuous,
        smoothness=cls, kinks=kinks, kink_jumps=jumps, monotonic=mono, increasing_on=inc_on,
        decreasing_on=dec_on, f0=f0, df0_left=df0l, df0_right=df0r, zero_at_zero=zero_at_zero,
        unit_slope_at_zero=unit, identity_near_zero=zero_at_zero and unit, lower_bound=lower,
        upper_bound=upper, min_value=vmin, argmin=amin, argmin_note=nmin, max_value=vmax,
        argmax=amax, argmax_note=nmax, bounded_below=math.isfinite(lower),
        bounded_above=math.isfinite(upper), unbounded_above=upper == math.inf,
        negative_outputs=lower < -1e-15, gaussian_mean=mean, gaussian_var=var,
        zero_centred=zero_centred, max_abs_derivative=gmax, argmax_abs_derivative=gwhere,
        argmax_abs_derivative_note=gnote, saturation_regions=saturation, dead_regions=dead,
        self_normalizing=sn, fixed_point=fixed, fixed_point_radius=radius, symmetry=sym,
        taylor=tay, taylor_coefficients=tay_coeffs, cost_vs_relu=ratio, cost_ns_per_element=ns,
        notes=notes,
    )


def _nearest(intervals: list[Interval], n: int = 10) -> list[Interval]:
    def dist(iv: Interval) -> float:
        lo, hi = iv
        return 0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi))

    return sorted(sorted(intervals, key=dist)[:n])


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
