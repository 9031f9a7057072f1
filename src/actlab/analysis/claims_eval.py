"""Deciding a claim: the functionals (extrema, limits, Gaussian moments, Taylor polynomials of
an expression in x) and the comparisons of two sides, constant or in x. See
:mod:`actlab.analysis.claims` for how each is decided and with what tolerance."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..jsonsafe import json_safe as _json_safe
from . import symbolic
from .claims_grammar import Domain
from .gauss import moments as gaussian_moments
from .scan import extremum as _extremum
from .scan import scan_grid
from .symbolic import X, branch_at, breakpoints

__all__ = [
    "DPS", "EXACT_RTOL", "GRID", "LARGE", "LOCATION_TOL", "MEASURED_RTOL", "Context", "Measured",
    "Verdict", "compare_constants", "compare_in_x", "extremum", "limit_of", "moments_of",
    "taylor_of", "to_float",
]


DPS = 30
EXACT_RTOL = 1e-20  # pointwise comparisons at 30 digits
MEASURED_RTOL = 1e-9  # comparisons with a measured functional (max, argmin, mean, ...)
LOCATION_TOL = 1e-6
LARGE = (15.0, 20.0, 30.0, 50.0, 100.0, 200.0)
GRID = tuple(np.round(np.linspace(-10, 10, 401), 12).tolist())  # step 0.05, printed cleanly


@dataclass
class Verdict:
    """The outcome of checking one claim.

    ``discrepancy``: for ``==`` the largest |lhs - rhs| found; for inequalities the largest
    violation (0 if none); for a location check the distance between the claimed and the true
    location. ``counterexample``: the x where it is worst (None for constants and predicates).
    """

    claim: str
    holds: bool
    method: str
    discrepancy: float
    counterexample: float | None = None
    lhs: float | None = None
    rhs: float | None = None
    detail: str = ""
    tolerance: float = 0.0
    points: int = 0

    def as_dict(self, json_safe: bool = False) -> dict[str, Any]:
        d = asdict(self)
        return _json_safe(d) if json_safe else d


@dataclass
class Measured:
    """A functional's value and, for extrema, where it is attained."""

    kind: str
    label: str
    value: Any
    where: float | None = None
    note: str = ""


@dataclass
class Context:
    claim: str
    measured: list[Measured] = field(default_factory=list)
    domain: Domain | None = None
    notes: list[str] = field(default_factory=list)


def _np(e: Any) -> Callable[[np.ndarray], np.ndarray]:
    fn = symbolic.np_function(e)

    def call(xs: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            out = fn(xs)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), np.shape(xs)).copy()

    return call


def _mp(*exprs: Any) -> Callable[[Any], list[Any]]:
    return symbolic.mp_function(*exprs)


def _real(v: Any) -> Any:
    import mpmath

    v = mpmath.mpmathify(v)
    if isinstance(v, mpmath.mpc):
        if abs(v.imag) > abs(v.real) * mpmath.mpf(10) ** (-mpmath.mp.dps + 5) + mpmath.mpf(10) ** -200:
            return None
        v = v.real
    return None if mpmath.isnan(v) else v


def _mp_at(fn: Callable[[Any], list[Any]], x: Any, dps: int = DPS) -> list[Any] | None:
    import mpmath

    with mpmath.workdps(dps):
        try:
            vals = [_real(v) for v in fn(mpmath.mpf(x))]
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return None
        if any(v is None for v in vals):
            return None
        return [+v for v in vals]


def _cuts(e: Any) -> list[float]:
    return symbolic.attempt(lambda: breakpoints(e), default=[]) or []


def extremum(e: Any, which: str, domain: Domain | None) -> tuple[Any, float | None, str]:
    """sup (which="max") or inf of expression ``e`` in x over ``domain`` (default: all x), and
    where it is attained: (SymPy value, x or None, note)."""
    import sympy

    x = X
    if not e.has(x):
        return e, None, "constant"
    domain = domain or Domain()
    xs = scan_grid()
    extra = [v for v in (domain.lo, domain.hi) if math.isfinite(v)]
    cuts = _cuts(e)
    xs = np.unique(np.concatenate([xs, extra, cuts]))
    xs = xs[domain.mask(xs)]
    if len(xs) < 3:
        raise ValueError(f"the domain {domain} holds too few points to search for the {which}imum")
    f, df = _np(e), _np(sympy.diff(e, x))
    ys = f(xs)
    mpf = _mp(e)

    def lim(sign: int) -> float:
        if (sign < 0 and math.isfinite(domain.lo)) or (sign > 0 and math.isfinite(domain.hi)):
            return math.nan
        return float(limit_of(e, sign * sympy.oo, numeric_ok=True))

    def ref(t: float) -> Any:
        v = _mp_at(mpf, t)
        return None if v is None else v[0]

    lims = (lim(-1), lim(1))
    scalar = lambda t: float(f(np.array([t]))[0])
    slope = lambda t: float(df(np.array([t]))[0])
    value, where, note = _extremum(xs, ys, lims, which, scalar, slope, ref, cuts,
                                   open_ends=(math.isinf(domain.lo), math.isinf(domain.hi)))
    if math.isinf(value):
        return (sympy.oo if value > 0 else -sympy.oo), None, note
    if where is not None:
        # at a closed end of the domain (max of sigmoid on x <= 0): the end itself, not the
        # point 1e-13 inside that the search stops at
        for end, closed in ((domain.lo, domain.lo_closed), (domain.hi, domain.hi_closed)):
            if math.isfinite(end) and (closed or not domain.contains(where)) and abs(where - end) < 1e-9:
                where = end
        if not domain.contains(where):
            where = min(max(where, domain.lo), domain.hi)
    if where is not None:
        v = ref(where)
        if v is not None:
            value = v
    return sympy.Float(str(value) if not isinstance(value, float) else repr(value), 25), where, note


def limit_of(e: Any, point: Any, numeric_ok: bool = True) -> Any:
    """The limit of ``e`` as x -> point (two-sided at finite points): SymPy first (within its
    operation budget), else the mpmath value at ±1e400 and ±2e400 (must agree as floats); nan if
    there is none."""
    import mpmath
    import sympy

    v = symbolic.limit(e, point)
    if v is not None:
        return sympy.nan if v == sympy.zoo else v
    if not numeric_ok:
        return sympy.nan
    fn = _mp(e)
    if point in (sympy.oo, -sympy.oo):
        s = 1 if point == sympy.oo else -1
        vals = [_mp_at(fn, s * mpmath.mpf(p), dps=80) for p in ("1e400", "2e400")]
    else:
        c = mpmath.mpf(float(point))
        vals = [_mp_at(fn, c + s * mpmath.mpf("1e-40"), dps=80) for s in (-1, 1)]
    if any(v is None for v in vals):
        return sympy.nan
    a, b = (float(v[0]) for v in vals)
    if a == b or (math.isfinite(a) and abs(a - b) <= 1e-12 * max(1.0, abs(a))):
        return sympy.Float(a, 17) if math.isfinite(a) else (sympy.oo if a > 0 else -sympy.oo)
    return sympy.nan


def moments_of(e: Any) -> tuple[float, float]:
    return gaussian_moments(_np(e), 0.0, 1.0, _cuts(e))


def taylor_of(e: Any, order: int, label: str) -> Any:
    import sympy

    tiny = sympy.Rational(1, 10**30)
    right, left = branch_at(e, tiny), branch_at(e, -tiny)
    if symbolic.vanishes(right - left) is not True:
        raise ValueError(f"taylor({label}, {order}): the formula changes at 0 (a kink), so there "
                         f"is no two-sided Taylor series; compare one side with 'for x > 0'")
    s = symbolic.series(right, order)
    if s is None:
        raise ValueError(f"taylor({label}, {order}): SymPy could not expand it within its "
                         f"operation budget")
    return sympy.expand(s)


def to_float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _points(domain: Domain, cuts: Iterable[float]) -> list[float]:
    pts = set(GRID)
    pts |= {s * v for v in LARGE for s in (-1, 1)}
    pts |= {s * v for v in (1e-3, 1e-6) for s in (-1, 1)}
    for c in cuts:
        pts |= {c, c - 1e-9, c + 1e-9, c - 1e-3, c + 1e-3}
    lo, hi = domain.lo, domain.hi
    if math.isfinite(lo) and math.isfinite(hi) and hi - lo < 10:
        pts |= set(np.linspace(lo, hi, 201).tolist())
    for end in (lo, hi):
        if math.isfinite(end):
            pts |= {end, end - 1e-9, end + 1e-9, end - 1e-3, end + 1e-3}
    return sorted(p for p in pts if domain.contains(p))


def _violation(op: str, lv: Any, rv: Any) -> Any:
    """How far (lhs op rhs) is from holding: 0 when it holds, and for a tie under <, > or !=
    (which fails, but by nothing: see :func:`_tie`)."""
    d = lv - rv
    if op == "==":
        return abs(d)
    if op == "!=":
        return 0
    if op in ("<", "<="):
        return max(d, 0)
    return max(-d, 0)


def _tie(op: str, lv: Any, rv: Any) -> bool:
    return op in ("<", ">", "!=") and lv == rv


def compare_constants(op: str, lhs: Any, rhs: Any, tol_abs: float | None, ctx: Context,
                      text: str) -> Verdict:
    import mpmath
    import sympy

    if lhs is sympy.nan or rhs is sympy.nan or (getattr(lhs, "is_number", False) and lhs.has(sympy.nan)):
        why = "; ".join(ctx.notes) or "a value is undefined"
        return Verdict(text, False, "measured", math.nan, detail=why)
    exact_sides = not lhs.has(sympy.Float) and not rhs.has(sympy.Float)
    if exact_sides and op == "==" and tol_abs is None:
        if symbolic.vanishes(lhs - rhs) is True:
            return Verdict(text, True, "symbolic", 0.0, lhs=to_float(lhs), rhs=to_float(rhs),
                           detail="both sides are equal exactly")
    # infinities compare as such
    if lhs.is_infinite or rhs.is_infinite:
        holds = bool({"==": lhs == rhs, "!=": lhs != rhs, "<": lhs < rhs, "<=": lhs <= rhs,
                      ">": lhs > rhs, ">=": lhs >= rhs}[op])
        return Verdict(text, holds, "symbolic", 0.0 if holds else math.inf, lhs=to_float(lhs),
                       rhs=to_float(rhs))
    with mpmath.workdps(50):
        lv, rv = mpmath.mpf(str(sympy.N(lhs, 50))), mpmath.mpf(str(sympy.N(rhs, 50)))
        viol = _violation(op, lv, rv)
        scale = max(1, abs(lv), abs(rv))
    measured = bool(ctx.measured) and any(m.kind != "limit" for m in ctx.measured)
    rtol = MEASURED_RTOL if measured or not exact_sides else EXACT_RTOL
    tol = tol_abs if tol_abs is not None else rtol * float(scale)
    holds = (viol <= tol) if op in ("==", "<=", ">=") else (viol == 0 and not _tie(op, lv, rv))
    if op == "!=":
        holds = abs(lv - rv) > tol
    method = "measured" if measured else "exact" if exact_sides else "numeric (50 digits)"
    return Verdict(text, bool(holds), method, float(abs(lv - rv)) if op in ("==", "!=") else float(viol),
                   lhs=float(lv), rhs=float(rv), tolerance=float(tol))


def compare_in_x(op: str, lhs: Any, rhs: Any, tol_abs: float | None, ctx: Context,
                 text: str) -> Verdict:
    domain = ctx.domain or Domain()
    cuts = _cuts(lhs) + _cuts(rhs)
    pts = _points(domain, cuts)
    fn = _mp(lhs, rhs)
    measured = any(m.kind != "limit" for m in ctx.measured)
    rtol = MEASURED_RTOL if measured else EXACT_RTOL
    tol = tol_abs if tol_abs is not None else rtol
    rows = []  # (x, lhs, rhs, violation, violation measured against tol)
    skipped = []
    for p in pts:
        vals = _mp_at(fn, p)
        if vals is None:
            skipped.append(p)
            continue
        lv, rv = vals
        for dps in (120, 400):  # a tie at 30 digits: look closer (tanh(200) = 1 - 2e-174)
            if op not in ("<", ">", "!=") or lv != rv:
                break
            closer = _mp_at(fn, p, dps=dps)
            if closer is not None:
                lv, rv = closer
        viol = _violation(op, lv, rv)
        rel = float(viol / max(1, abs(lv), abs(rv))) if tol_abs is None else float(viol)
        if op == "!=":
            fails = float(abs(lv - rv) / (max(1, abs(lv), abs(rv)) if tol_abs is None else 1)) <= tol
        elif op in ("<", ">"):
            fails = viol > 0 or _tie(op, lv, rv)
        else:
            fails = rel > tol
        rows.append((p, lv, rv, viol, rel, fails))
    if not rows:
        raise ValueError(f"both sides of {text!r} are undefined at every point checked in {domain}")
    n = len(rows)
    bad = [r for r in rows if r[5]]
    holds = not bad
    worst = max(rows, key=lambda r: r[4])
    wx, wv, w = worst[0], (worst[1], worst[2]), worst[3]
    if bad and op != "!=":
        # the largest discrepancy, refined between grid neighbours
        wx, wv, w = _refine_worst(fn, op, wx, pts, domain, wx, wv, w)
    method = "numeric"
    detail = f"checked at {n} points of {domain}"
    if bad:
        # the counterexample shown: the failing point nearest 0 (a readable witness); the
        # largest discrepancy is reported separately with where it occurs
        # clearly beyond the tolerance, and on the main grid rather than 1e-9 off a kink or an
        # end of the domain, where a reader can check it by hand
        grid = set(GRID) | {s * v for v in LARGE for s in (-1, 1)}
        clear = [r for r in bad if r[4] >= 10 * tol or op in ("<", ">", "!=")]
        clear = [r for r in clear if r[0] in grid] or clear or bad
        witness = min(clear, key=lambda r: (abs(r[0]), r[0]))
        cx, lv, rv = witness[0], witness[1], witness[2]
        detail = f"fails at {len(bad)} of {n} points of {domain}"
        if op != "!=":
            detail += f"; largest discrepancy {float(w):.6g} at x = {wx:.6g}"
    else:
        cx, lv, rv = None, worst[1], worst[2]
    if skipped:
        detail += f"; undefined at {len(skipped)} (e.g. x = {skipped[0]:g}), skipped"
    if holds and op == "==" and tol_abs is None:
        if symbolic.vanishes(lhs - rhs) is True:
            method = "symbolic"
            detail = "the difference simplifies to 0 (SymPy); " + detail
    disc = float(w) if op != "!=" else 0.0
    return Verdict(text, holds, method, disc, cx, float(lv), float(rv), detail, float(tol), n)


def _refine_worst(fn: Callable, op: str, x0: float, pts: list[float], domain: Domain,
                  wx: float, wv: tuple, w: Any) -> tuple[float, tuple, Any]:
    from scipy.optimize import minimize_scalar

    i = pts.index(x0)
    lo, hi = pts[max(i - 1, 0)], pts[min(i + 1, len(pts) - 1)]
    if hi <= lo:
        return wx, wv, w

    def neg(t: float) -> float:
        if not domain.contains(t):
            return 0.0
        v = _mp_at(fn, t)
        return 0.0 if v is None else -float(_violation(op, v[0], v[1]))

    try:
        r = minimize_scalar(neg, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    except ValueError:
        return wx, wv, w
    if -r.fun > float(w):
        v = _mp_at(fn, float(r.x))
        if v is not None:
            return float(r.x), (v[0], v[1]), _violation(op, v[0], v[1])
    return wx, wv, w
