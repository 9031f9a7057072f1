"""The independent oracle: each spec's SymPy reference, differentiated symbolically and evaluated
with mpmath at adaptive precision (>= 40 digits, doubled until two precisions agree).

Values come back as double-double pairs ``(hi, lo)`` with ``hi + lo`` the true value to ~106
bits, so float64 results can be scored in ULPs without the reference's own rounding mattering.
Results are cached on disk, keyed by the expression, the parameters and the points.
"""

from __future__ import annotations

import hashlib
import math
import os
from functools import cache, lru_cache
from pathlib import Path

import mpmath
import numpy as np
import sympy

from ..registry import get_spec
from ..spec import ActivationSpec

__all__ = [
    "CACHE_VERSION", "MAX_DPS", "MIN_DPS", "X", "cache_dir", "compiled", "evaluate", "evaluate_limit",
    "expressions", "lambdified", "quantities", "value"
]

X = sympy.Symbol("x", real=True)
MIN_DPS = 40
MAX_DPS = 5120
# Stand-ins for ±inf. First far beyond any float, so growing quantities round to inf; where the
# reference cancels there (1 - tanh² at 1e400 needs 1e400 digits) it does not converge, and the
# second pair, beyond every exp under/overflow edge, is used. If the quantity takes the same
# float value at all points of a triple, that is its limit; if not (sin, x cos x), it has none
# (and slowly growing ones, log² x, are left unchecked rather than guessed).
_INF_PROBES = (
    tuple(mpmath.mpf(v) for v in ("1e400", "2e400", "3.7e401")),
    tuple(mpmath.mpf(v) for v in ("1000", "2000", "3700")),
)
# An unbounded oscillation (x sin x) rounds to ±inf at every probe, with the sign its phase
# gives there, and three probes share one sign one time in four: an infinite "limit" must also
# hold at these multiples of the first probe (19 signs agree by chance once in 2^18; with 8,
# coslu's ∂f/∂β = -αx sin(βx)σ(x) at β = 0.0316f was -inf at all of them).
_INF_CONFIRM = tuple(1 + mpmath.mpf(k) / 17 for k in range(1, 17))
CACHE_VERSION = "4"


def cache_dir() -> Path:
    root = os.environ.get("ACTLAB_CACHE") or Path.home() / ".cache" / "actlab"
    return Path(root) / "reference"


def quantities(spec: ActivationSpec) -> dict[str, tuple[str, str]]:
    """Each checked quantity -> (its expression key, the key of its x-derivative)."""
    out = {"f": ("f", "df"), "df": ("df", "d2f"), "d2f": ("d2f", "d3f")}
    for p in spec.params:
        out[f"d_{p.name}"] = (f"d_{p.name}", f"d_{p.name}_dx")
    return out


@cache
def expressions(name: str) -> dict[str, sympy.Expr]:
    """f, f', f'', f''' and df/dθ, d²f/dθdx of the reference, symbolically."""
    spec = get_spec(name)
    syms = {p.name: sympy.Symbol(p.name, real=True) for p in spec.params}
    f = sympy.sympify(spec.reference(X, **syms))
    out = {"f": f}
    out["df"] = sympy.diff(f, X)
    out["d2f"] = sympy.diff(out["df"], X)
    out["d3f"] = sympy.diff(out["d2f"], X)
    for p, s in syms.items():
        out[f"d_{p}"] = sympy.diff(f, s)
        out[f"d_{p}_dx"] = sympy.diff(out[f"d_{p}"], X)
    return out


@lru_cache(maxsize=4096)
def lambdified(args: tuple, expr, modules: str | tuple[str, ...] = "mpmath"):
    """``sympy.lambdify(args, expr, modules)``, cached by its arguments (SymPy expressions hash
    by value): the one lambdify cache, for the oracle and for the analyses' own expressions."""
    return sympy.lambdify(list(args), list(expr) if isinstance(expr, tuple) else expr,
                          modules=list(modules) if isinstance(modules, tuple) else modules)


@cache
def compiled(name: str, key: str):
    """Reference quantity ``key`` of activation ``name`` as an mpmath function of
    (x, *parameters in spec order)."""
    spec = get_spec(name)
    args = (X, *(sympy.Symbol(p, real=True) for p in spec.param_names))
    return lambdified(args, expressions(name)[key])


def _at(fn, x: mpmath.mpf, params: list[mpmath.mpf], dps: int) -> mpmath.mpf | None:
    with mpmath.workdps(dps):
        try:
            v = fn(x, *params)
        except (ZeroDivisionError, ValueError, OverflowError, MemoryError):
            return None
        v = mpmath.mpmathify(v)
        if isinstance(v, mpmath.mpc):
            return None if abs(v.imag) > abs(v.real) * mpmath.mpf(2) ** (-dps * 3) else v.real
        return +v


def _agree(a: mpmath.mpf, b: mpmath.mpf) -> bool:
    if mpmath.isnan(a) or mpmath.isnan(b):
        return mpmath.isnan(a) and mpmath.isnan(b)
    if mpmath.isinf(a) or mpmath.isinf(b) or a == b:
        return a == b
    return abs(a - b) <= abs(b) * mpmath.mpf(2) ** -120


def _resolved(v: mpmath.mpf, dps: int) -> bool:
    """Whether ``dps`` digits resolve a value as small as ``v`` out of terms of size ~1.

    Two precisions can drop the same small term and agree: srs's f'' at x = 6.5, β = 0.0316 has
    e^{-x/β}/β = 3e-88 next to 1/α, lost at 40 and at 80 digits alike, and both gave 1% off. A
    value 10^-k out of O(1) terms needs k more digits than a value of size 1 (to 1e-330, below
    which every float is 0)."""
    if v == 0 or not mpmath.isfinite(v) or abs(v) >= 1:
        return True
    return dps >= MIN_DPS + min(-int(mpmath.log10(abs(v))), 330)


def value(fn, x: float | mpmath.mpf, params: list[float], max_dps: int = MAX_DPS
          ) -> mpmath.mpf | None:
    """The reference at x to (at least) 120 correct bits; None where it is undefined or two
    precisions never agree (then it is left out of the comparison rather than guessed)."""
    ps = [mpmath.mpf(p) for p in params]
    xm = mpmath.mpf(x)
    # Start with enough digits that 1 + x and 1 + e^-|x| are exact in the working precision:
    # at x = 1e-100, 40 and 80 digits both turn (e^x - e^-x)/(e^x + e^-x) into 0, so x - tanh x
    # "converges" to x, stably and wrongly; likewise log(1 + e^x) loses e^-215 at x = 215 at
    # both 42 and 84 digits. Beyond |x| = 750 such terms are below every float anyway.
    dps = MIN_DPS
    if xm != 0 and mpmath.isfinite(xm):
        dps += int(-mpmath.log10(abs(xm))) if abs(xm) < 1 else int(min(abs(xm), 750) / 2.302585)
    prev = _at(fn, xm, ps, dps)
    while dps < max_dps:
        dps *= 2
        cur = _at(fn, xm, ps, dps)
        if prev is None and cur is None:
            return None
        # An exact 0 at two precisions may be cancellation that neither resolved (1 - tanh²(100)
        # is 0 to 80 digits): a zero must hold at >= 640 digits, enough for any float64 value.
        if (prev is not None and cur is not None and _agree(prev, cur) and (cur != 0 or dps >= 640)
                and _resolved(cur, dps)):
            return cur
        prev = cur
    return None


def _split(v: mpmath.mpf | None) -> tuple[float, float]:
    if v is None or mpmath.isnan(v):
        return math.nan, 0.0
    hi = float(v)
    if math.isinf(hi):
        return hi, 0.0
    with mpmath.workdps(60):
        return hi, float(v - mpmath.mpf(hi))


def evaluate_limit(fn, sign: int, params: list[float]) -> tuple[float, float]:
    """The limit at sign·inf as (hi, lo), or (nan, 0) if the quantity has none there."""
    for probes in _INF_PROBES:
        vals = [value(fn, sign * p, params, max_dps=1280) for p in probes]
        if None in vals:
            continue
        split = [_split(v) for v in vals]
        if len({v[0] for v in split}) != 1:
            return math.nan, 1.0
        if math.isinf(split[0][0]):
            more = (value(fn, sign * probes[0] * c, params, max_dps=1280) for c in _INF_CONFIRM)
            if any(v is not None and _split(v)[0] != split[0][0] for v in more):
                return math.nan, 1.0
        return split[0]
    return math.nan, 0.0


def evaluate(name: str, key: str, xs: np.ndarray, params: dict[str, float]) -> np.ndarray:
    """Reference values of quantity ``key`` at ``xs``: array (len(xs), 2) of (hi, lo).

    ``hi`` is nan where the reference is undefined (nan input, no limit at ±inf); ``lo`` is 1
    there for "no limit" and 0 for "undefined".
    """
    spec = get_spec(name)
    plist = [float(params[p]) for p in spec.param_names]
    expr = expressions(name)[key]
    digest = hashlib.sha256(
        f"{CACHE_VERSION}|{sympy.srepr(expr)}|{plist!r}".encode() + xs.astype("<f8").tobytes()
    ).hexdigest()[:32]
    path = cache_dir() / f"{name}-{key}-{digest}.npy"
    if path.exists():
        return np.load(path)
    fn = compiled(name, key)
    out = np.empty((len(xs), 2))
    for i, x in enumerate(xs.tolist()):
        if math.isnan(x):
            out[i] = (math.nan, 0.0)
        elif math.isinf(x):
            out[i] = evaluate_limit(fn, 1 if x > 0 else -1, plist)
        else:
            out[i] = _split(value(fn, x, plist))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
    np.save(tmp, out)
    os.replace(tmp, path)
    return out
