"""The numeric side of the property analysis: the x grid every measurement scans, runs of a
condition on it, and the refinement of extrema and region edges (SciPy, to ~1e-12).

Grid: 20,001 points on [-10, 10] plus 400 geometric points per side out to ±1e6. A feature
narrower than 1e-3 inside [-10, 10] or beyond 1e6 is not seen.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["DENSE", "FAR", "Interval", "extremum", "nearest", "regions", "runs", "scan_grid",
           "snap"]

DENSE = 10.0  # dense scan on [-DENSE, DENSE]
FAR = 1e6  # geometric tail scan out to ±FAR

Interval = tuple[float, float]


def scan_grid() -> np.ndarray:
    """The x grid every measurement scans: dense on [-10, 10], geometric out to ±1e6."""
    dense = np.linspace(-DENSE, DENSE, 20001)
    tail = np.geomspace(DENSE, FAR, 401)[1:]
    return np.concatenate([-tail[::-1], dense, tail])


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
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


def extremum(xs: np.ndarray, ys: np.ndarray, lims: tuple[float, float], which: str,
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
    pole = np.isneginf(y)  # f = ∓inf at a finite x (log1mexp at 0): the extremum is there
    if pole.any():
        at = float(xs[int(np.argmax(pole))])
        return sgn * -math.inf, at, f"a pole at x = {at:g}"
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
    near_runs = runs(near)
    run = min(near_runs, key=lambda r: _dist0(xs[r[0]], xs[r[1]]))
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
        lo = -math.inf if first else snap(float(xs[a]), kinks)
        hi = math.inf if last else snap(float(xs[b]), kinks)
        return sgn * m, None, f"attained on {_interval(lo, hi)}"
    # isolated extrema: refine every candidate within 1e-6 of the grid's best (a periodic
    # function has many; the grid may land closer to one far from 0), keep the lowest
    loose = runs(ok & (y <= m + 1e-6 * max(1.0, abs(m))))
    loose = sorted(loose, key=lambda r: _dist0(xs[r[0]], xs[r[1]]))[:6]
    found = []
    for ra, rb in loose:
        k = ra + int(np.argmin(y[ra:rb + 1]))
        found.append(_refine(xs, k, sgn, q, slope, value_ref, kinks))
    found = [(v, w) for v, w in found if not math.isnan(v)] or [(m, float(xs[i]))]  # refinement hit a NaN
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


def snap(v: float, kinks: list[float], within: float = 2e-3) -> float:
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


def regions(xs: np.ndarray, mask: np.ndarray, edge: Callable[[float], float] | None,
             kinks: list[float], min_width: float = 0.0,
             extend: tuple[bool, bool] = (True, True), limit: int = 24) -> list[Interval]:
    """Intervals where ``mask`` holds on the grid; ends refined as roots of ``edge``."""
    out = []
    found = runs(mask)
    if len(found) > limit:  # periodic: refine only the runs nearest 0
        found = sorted(sorted(found, key=lambda r: _dist0(xs[r[0]], xs[r[1]]))[:limit])
    for a, b in found:
        lo = -math.inf if a == 0 and extend[0] else float(xs[a])
        hi = math.inf if b == len(xs) - 1 and extend[1] else float(xs[b])
        if edge is not None:
            if a > 0:
                r = _brentq(edge, float(xs[a - 1]), float(xs[a]))
                lo = r if r is not None else snap(lo, kinks)
            if b < len(xs) - 1:
                r = _brentq(edge, float(xs[b]), float(xs[b + 1]))
                hi = r if r is not None else snap(hi, kinks)
        else:
            lo = lo if math.isinf(lo) else snap(float(xs[max(a - 1, 0)]) if a > 0 else lo, kinks)
            hi = hi if math.isinf(hi) else snap(float(xs[min(b + 1, len(xs) - 1)]), kinks)
        if a > 0 and b < len(xs) - 1 and abs(xs[a]) > DENSE and abs(xs[b]) > DENSE:
            continue  # inside a sparse tail: the grid cannot resolve it
        if hi - lo >= min_width:
            out.append((lo, hi))
    return out




def nearest(intervals: list[Interval], n: int = 10) -> list[Interval]:
    """The ``n`` intervals nearest 0, in order."""
    return sorted(sorted(intervals, key=lambda iv: _dist0(*iv))[:n])
