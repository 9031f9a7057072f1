"""The one fixed-point solver of the analyses: iterate a map x -> g(x) until it stops moving
(optionally polished with a Newton-type solve), and its Jacobian by central differences.

Used for the mean/variance map of self-normalising networks (Klambauer et al. 2017), both by the
property sheet (does the map, iterated from (0, 1), settle near (0, 1)?) and by
:func:`actlab.analysis.meanfield.moment_fixed_point` (where is the fixed point, how attracting?).
The iteration is a fixed number of steps at most, with fixed tolerances: its answer depends on
the map and the start only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["FixedPoint", "jacobian", "solve"]

Map = Callable[[np.ndarray], np.ndarray]


@dataclass
class FixedPoint:
    """What :func:`solve` found: the last iterate ``x``; ``converged`` when two iterates agreed
    to ``tol`` (or the polish succeeded); ``escaped`` when an iterate left ``inside``."""

    x: np.ndarray
    converged: bool
    escaped: bool
    steps: int


def solve(g: Map, start: Sequence[float], *, tol: float = 1e-12, max_steps: int = 300,
          inside: Callable[[np.ndarray], bool] | None = None, polish: bool = False) -> FixedPoint:
    """Iterate ``x <- g(x)`` from ``start`` until successive iterates differ by less than ``tol``
    in every coordinate, for at most ``max_steps`` steps.

    ``inside``: checked before every step; an iterate outside stops the search (``escaped``).
    ``polish``: afterwards, solve g(x) = x with SciPy's ``hybr`` from the last iterate (used
    when it finds a finite solution): a contraction converges slowly where its rate is near 1.
    """
    x = np.asarray(start, dtype=np.float64)
    converged = False
    steps = 0
    for steps in range(1, max_steps + 1):
        if inside is not None and not inside(x):
            return FixedPoint(x, False, True, steps - 1)
        nxt = np.asarray(g(x), dtype=np.float64)
        converged = bool(np.max(np.abs(nxt - x)) < tol)
        x = nxt
        if converged:
            break
    if polish:
        from scipy.optimize import root

        sol = root(lambda v: np.asarray(g(v)) - v, x, method="hybr", tol=1e-14)
        if sol.success and np.all(np.isfinite(sol.x)):
            x, converged = sol.x, True
    return FixedPoint(x, converged, False, steps)


def jacobian(g: Map, x: Sequence[float], h: float | Sequence[float]) -> np.ndarray:
    """The Jacobian of ``g`` at ``x`` by central differences with step ``h`` (one per
    coordinate, or one for all)."""
    x = np.asarray(x, dtype=np.float64)
    steps = np.broadcast_to(np.asarray(h, dtype=np.float64), x.shape)
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = steps[j]
        cols.append((np.asarray(g(x + e)) - np.asarray(g(x - e))) / (2 * steps[j]))
    return np.stack(cols, axis=1)
