"""ULP error sweeps of every activation against the mpmath oracle, side by side with torch's
native implementation where one exists.

What is measured is what a user gets: f from the functional API, f' and df/dθ from autograd
through actlab's Function, f'' from ``Activation.second_derivative``.

Error measure. ``err = |computed - true| / ulp(true)`` in the dtype at hand. Near a root of the
quantity q at x0 != 0 (the minimum of Swish makes f' = 0 there) any evaluation in working
precision has absolute error ~eps·|x·q'|, unbounded in ULPs of q; what an algorithm can be held
to is its error divided by the condition number κ = |x q'(x) / q(x)| of the problem. So the
checked number is ``err / max(1, κ)``: plain ULPs wherever the problem is well conditioned
(κ <= 1), including everywhere a naive formula cancels without need (x - tanh x near 0 has
κ ≈ 3, so it is still caught). The raw maximum is reported beside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from typing import Literal

import numpy as np
import torch

from .. import registry
from ..activation import Activation
from ..functional import apply
from ..fused import dispatch
from ..spec import ActivationSpec, Bound, Domain, Param, float32_overflows
from . import reference

__all__ = [
    "DEFAULT_BOUNDS", "DTYPES", "EXTREME_MAGNITUDES", "MID_MAGNITUDES", "Measurement", "RangeBound",
    "Score", "SweepFailure", "accuracy_rows", "bound_for", "check", "check_dtypes", "checked_names",
    "computed", "default_bound", "domain_values", "grid", "measure", "measured_params",
    "param_points", "plan", "references", "round_to", "score", "summary_rows", "sweep", "ulp",
]

DTYPES = {"float64": torch.float64, "float32": torch.float32,
          "bfloat16": torch.bfloat16, "float16": torch.float16}
DEFAULT_BOUNDS = {  # (float64, float32, half types)
    "f": (8.0, 4.0, 1.0), "df": (8.0, 4.0, 1.0), "d2f": (32.0, 32.0, None), "d_": (8.0, 4.0, None),
}


def default_bound(quantity: str, dtype: str) -> float | None:
    col = {"float64": 0, "float32": 1}.get(dtype, 2)
    return DEFAULT_BOUNDS["d_" if quantity.startswith("d_") else quantity][col]


def bound_for(spec: ActivationSpec, quantity: str, dtype: str,
              params: Mapping[str, float] | None = None) -> tuple[float | None, str]:
    """The ULP bound of ``quantity`` in ``dtype`` and its reason: a :data:`RANGE_BOUNDS` entry
    whose parameter range holds ``params``, else the spec's own, else the default."""
    keys = (f"{quantity}:{dtype}", quantity)
    if params is not None:
        for rb in RANGE_BOUNDS.get(spec.name, ()):
            if rb.key in keys and rb.holds(params):
                return rb.bound.ulps, f"{rb.where}: {rb.bound.reason}"
    for key in keys:
        if key in spec.bounds:
            return spec.bounds[key].ulps, spec.bounds[key].reason
    return default_bound(quantity, dtype), ""


# ------------------------------------------------------------------ parameters across domains
@dataclass(frozen=True)
class RangeBound:
    """A bound that holds only over part of a parameter's domain (``where``, e.g. "beta > 1e3"),
    for one quantity key as in ``spec.bounds`` ("f", "df:float32"), with the reason in ``bound``."""

    where: str
    holds: Callable[[Mapping[str, float]], bool]
    key: str
    bound: Bound


# Per activation: bounds that must differ over part of a parameter's domain. Each says why.
RANGE_BOUNDS: dict[str, tuple[RangeBound, ...]] = {}

# Magnitudes a parameter is swept over: log-spaced across 1e-3..1e3 (none a power of two but 1,
# so parameters that no float holds exactly are the rule), plus the extremes 1e±30 (beyond the
# half types' range) and 1e±300 (beyond float32's: 0 or inf there, which must still give a
# finite f wherever the truth is finite).
MID_MAGNITUDES = tuple(float(f"{v:.3g}") for v in np.logspace(-3, 3, 7))
EXTREME_MAGNITUDES = (1e-300, 1e-30, 1e30, 1e300)


def domain_values(domain: Domain, extremes: bool = True) -> list[float]:
    """Values across ``domain``: the magnitudes above with both signs (where inside), 0 and
    the closed finite ends; sorted."""
    mags = [*MID_MAGNITUDES, *(EXTREME_MAGNITUDES if extremes else ())]
    cands = {0.0, *mags, *(-m for m in mags)}
    for end, closed in ((domain.low, domain.low_closed), (domain.high, domain.high_closed)):
        if math.isfinite(end):
            cands |= {end, *(end + m for m in mags), *(end - m for m in mags)}
            if closed:
                cands.add(end)
    return sorted(v for v in cands if math.isfinite(v) and v in domain)


def param_points(spec: ActivationSpec, values: Callable[[Param], Sequence[float]] | None = None
                 ) -> list[dict[str, float]]:
    """Parameter sets of ``spec`` for a sweep: its defaults, then each parameter in turn over
    ``values(param)`` (default :func:`domain_values` of its domain) with the others at their
    defaults; sets breaking one of the spec's relations (min_val < max_val) are left out."""
    values = values or (lambda p: domain_values(p.domain))
    out = [dict(spec.defaults)]
    for p in spec.params:
        for v in values(p):
            point = {**spec.defaults, p.name: float(v)}
            if point not in out and all(r.holds(**point) for r in spec.relations):
                out.append(point)
    return out


@dataclass
class SweepFailure:
    name: str
    params: dict[str, float]
    dtype: str
    quantity: str
    max_ulp: float
    at: float
    bound: float | None
    nonfinite_at: list[float]

    def __str__(self) -> str:
        ps = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        bad = f", non-finite at x={self.nonfinite_at[:3]}" if self.nonfinite_at else ""
        return (f"{self.name}({ps}) {self.dtype} {self.quantity}: {self.max_ulp:.3g} ULP at "
                f"x={self.at:.6g} (bound {self.bound}){bad}")


def sweep(name: str, points: Sequence[Mapping[str, float]] | None = None,
          dtypes: Sequence[str] = ("float64", "float32", "bfloat16", "float16"),
          size: str = "small") -> tuple[int, list[SweepFailure]]:
    """:func:`measure` of ``name`` at each of ``points`` (default :func:`param_points`): the
    number of measurements made and the failures (over the bound, or non-finite where the
    truth is finite), each with its parameters."""
    spec = registry.get_spec(name)
    if spec.kind != "elementwise":
        return 0, []
    n, failures = 0, []
    for point in param_points(spec) if points is None else points:
        for m in measure(name, dtypes, size, dict(point)):
            n += 1
            if not m.passed:
                failures.append(SweepFailure(name, dict(m.params), m.dtype, m.quantity,
                                             m.actlab.max_ulp, m.actlab.at, m.bound, m.actlab.bad_at))
    return n, failures


# ---------------------------------------------------------------------------------------- grid
def _edges(dtype: torch.dtype) -> list[float]:
    """Where exp, exp(2x), x² and friends overflow or underflow in ``dtype``."""
    fi = torch.finfo(dtype)
    log_max, log_tiny = math.log(fi.max), math.log(fi.tiny)
    log_sub = math.log(fi.tiny * fi.eps)
    sat = 0.5 * math.log(2 / fi.eps)  # where tanh rounds to ±1
    return [log_max, log_max / 2, log_tiny, log_sub, sat, math.sqrt(fi.max), math.log(2 / fi.eps)]


def grid(dtype: torch.dtype, kinks: Iterable[float] = (), size: str = "full") -> np.ndarray:
    """Points spanning ±1e4 (and the dtype's edges), dense near 0, kinks and overflow edges,
    plus ±0, subnormals, ±max, ±inf and nan; all exactly representable in ``dtype``."""
    fi = torch.finfo(dtype)
    per_decade = 12 if size == "full" else 4
    lo_exp = math.log10(fi.tiny * fi.eps)
    tiny = np.logspace(lo_exp, -8, max(8, int((-8 - lo_exp) * 2)))
    mid = np.logspace(-8, 4, 12 * per_decade + 1)
    lin = np.linspace(-10, 10, 401 if size == "full" else 81)
    pos = [*tiny, *mid, fi.tiny, fi.tiny * fi.eps, fi.max, 1.0, 0.5, 2.0]
    for e in _edges(dtype):
        pos += [e * (1 + d) for d in (-1e-2, -1e-3, -1e-5, 0.0, 1e-5, 1e-3, 1e-2)]
    pts = [*pos, *(-p for p in pos), *lin, 0.0, math.inf, -math.inf]
    for k in kinks:
        step = max(abs(k), 1.0) * fi.eps
        pts += [k + s * d * step for d in (0, 1, 2, 10, 1e3, 1e6) for s in (1, -1)]
        pts += [k + s * d for d in (1e-3, 0.1) for s in (1, -1)]
    xs = np.unique(round_to(np.array(pts), dtype))
    return np.concatenate([xs, [-0.0, math.nan]])


# ------------------------------------------------------------------------------------- scoring
def ulp(values: np.ndarray, dtype: torch.dtype) -> np.ndarray:
    """Spacing of ``dtype`` at |values| (values already rounded to ``dtype``)."""
    fi = torch.finfo(dtype)
    a = np.abs(values)
    _, e = np.frexp(np.where(a > 0, a, 1.0))
    spacing = np.ldexp(fi.eps, e - 1)
    return np.maximum(np.where(a > 0, spacing, 0.0), fi.tiny * fi.eps)


def round_to(values: np.ndarray, dtype: torch.dtype) -> np.ndarray:
    return torch.tensor(values, dtype=torch.float64).to(dtype).to(torch.float64).numpy()


@dataclass
class Score:
    max_ulp: float = 0.0
    at: float = math.nan
    raw_ulp: float = 0.0
    bad: int = 0
    bad_at: list[float] = field(default_factory=list)


def score(xs: np.ndarray, computed: np.ndarray, ref: np.ndarray, dref: np.ndarray,
          dtype: torch.dtype, torch_nan_convention: bool = False) -> Score:
    """Conditioned ULP error of ``computed`` against ``ref`` (hi, lo); ``dref`` its x-derivative.

    A NaN input must give NaN, except with ``torch_nan_convention``: a derivative taken by torch's
    autograd of its own op, which at a NaN input follows torch's convention per op (ReLU passes
    the incoming gradient, hardtanh zeroes it) where the loss above is NaN anyway."""
    hi, lo = ref[:, 0], ref[:, 1]
    true_r = round_to(hi, dtype)
    with np.errstate(all="ignore"):
        nan_in = np.isnan(xs)
        undefined = ~nan_in & np.isnan(hi)
        overflow = ~nan_in & ~undefined & np.isinf(true_r)
        normal = ~nan_in & ~undefined & ~overflow
        bad = normal & ~np.isfinite(computed)
        if not torch_nan_convention:
            bad |= nan_in & ~np.isnan(computed)
        bad |= overflow & (computed != true_r)
        ok = normal & np.isfinite(computed)
        err = np.zeros_like(hi)
        # in units of the ULP first (a power of two: exact), so that computed - hi cannot
        # overflow (-1.797e308 against 8.8e307 was inf, and inf/κ with κ = inf NaN)
        u = ulp(true_r[ok], dtype)
        err[ok] = np.abs((computed[ok] / u - hi[ok] / u) - lo[ok] / u)
        kappa = np.abs(xs * dref[:, 0]) / np.abs(hi)
        kappa = np.where(np.isinf(kappa), np.abs(xs) * (np.abs(dref[:, 0]) / np.abs(hi)), kappa)
        kappa = np.where(np.isnan(kappa) | np.isinf(xs), 1.0, kappa)
        cond = err / np.maximum(1.0, kappa)
    s = Score(bad=int(bad.sum()), bad_at=[float(v) for v in xs[bad][:5]])
    if ok.any():
        i = int(np.argmax(np.where(ok, cond, -1)))
        s.max_ulp, s.at, s.raw_ulp = float(cond[i]), float(xs[i]), float(err[ok].max())
    return s


# ---------------------------------------------------------------------------- computed values
def _param_tensor_grad(fn, spec: ActivationSpec, name: str, x: torch.Tensor, params: dict):
    theta = torch.full_like(x, params[name], requires_grad=True)
    y = fn(x, {**params, name: theta})
    (g,) = torch.autograd.grad(y.sum(), theta, allow_unused=True)
    return torch.zeros_like(x) if g is None else g


def computed(spec: ActivationSpec, quantity: str, xs: np.ndarray, dtype: torch.dtype,
             params: dict, native: bool = False) -> np.ndarray | None:
    """The implementation's value of ``quantity`` at ``xs`` in ``dtype``, as float64."""
    if native and (spec.native is None or quantity.startswith("d_")):
        return None
    if native:
        try:  # some native ops have no double backward (hardsigmoid): then there is no column
            return _computed(spec, quantity, xs, dtype, params, native=True)
        except RuntimeError:
            return None
    return _computed(spec, quantity, xs, dtype, params, native=False)


def _computed(spec: ActivationSpec, quantity: str, xs: np.ndarray, dtype: torch.dtype,
              params: dict, native: bool) -> np.ndarray:
    fn = ((lambda t, p: spec.native(t, **p)) if native
          else (lambda t, p: apply(spec, t, p)))
    x = torch.tensor(xs, dtype=torch.float64).to(dtype)
    if quantity == "f":
        with torch.no_grad():
            y = fn(x, params)
    elif quantity.startswith("d_"):
        y = _param_tensor_grad(fn, spec, quantity[2:], x, params)
    elif quantity == "df" or native:
        x.requires_grad_(True)
        (y,) = torch.autograd.grad(fn(x, params).sum(), x, create_graph=quantity == "d2f")
        if quantity == "d2f":
            # an f' without a graph (torch's identity, which returns x itself) is missing, not 0:
            # a double backward through that op alone raises
            (y,) = torch.autograd.grad(y.sum(), x, allow_unused=True)
    else:  # d2f through the documented API: analytic, or autograd of the analytic f'
        y = Activation(spec, params).second_derivative(x)
    return y.detach().to(torch.float64).numpy(force=True)  # force: a ZeroTensor (abs's f'') too


# -------------------------------------------------------------------------------- measurement
@dataclass
class Measurement:
    name: str
    dtype: str
    quantity: str
    bound: float | None
    reason: str
    actlab: Score
    native: Score | None
    params: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.actlab.bad == 0 and (self.bound is None or self.actlab.max_ulp <= self.bound)

    def as_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


def plan(spec: ActivationSpec, dtypes: Sequence[str], size: str = "full", params: dict | None = None):
    """(dtype, quantity, xs, value key, derivative key) for every measurement of ``spec`` (at
    ``params``, default its defaults: the kinks, and so the grid, depend on them)."""
    kinks = spec.kinks(**(spec.defaults if params is None else params))
    for dname in dtypes:
        dtype = DTYPES[dname]
        xs = grid(dtype, kinks, size if dname in ("float64", "float32") else "small")
        for q, (key, dkey) in reference.quantities(spec).items():
            if default_bound(q, dname) is not None or f"{q}:{dname}" in spec.bounds:
                yield dname, q, xs, key, dkey


def measured_params(spec: ActivationSpec, quantity: str, dtype: str, params: Mapping[str, float]
                    ) -> dict[str, float] | None:
    """The parameters ``quantity`` is measured (and its reference evaluated) at in ``dtype``.

    df/dθ is measured with θ a tensor of the dtype, as a learnable parameter is: θ as that
    dtype holds it (0.149 in float32 is 0.14900000393...), so the reference is evaluated there;
    ``None`` (not measured) where the dtype cannot hold θ inside its domain (1e-300 -> 0 for a
    positive θ, 1e300 -> inf). Plain numbers are computed in float32 for every dtype but float64,
    and measured as it holds them, as x is: a value it holds as inf (outside every domain) is not
    measured there (refused where inf would make NaN: :func:`actlab.spec.check_representable`,
    tested on its own; a cap or threshold of inf is computed as "above everything"), and a
    nonzero value it flushes to 0 is measured at 0 where 0 is in its domain and the relations
    (Swish with beta = 1e-300 is x/2 in float32, -inf at x = -inf)."""
    params = dict(params)
    if dtype != "float64":
        if any(float32_overflows(v) for v in params.values()):
            return None  # held as inf: outside every domain (refused where it would be NaN)
        for p in spec.params:
            v = params[p.name]
            flushed = {**params, p.name: 0.0}
            if (v != 0 and abs(v) <= 2.0**-150 and 0.0 in p.domain
                    and all(r.holds(**flushed) for r in spec.relations)):
                params = flushed
    if not quantity.startswith("d_"):
        return params
    name = quantity[2:]
    held = float(round_to(np.array([params[name]]), DTYPES[dtype])[0])
    param = next(p for p in spec.params if p.name == name)
    if not math.isfinite(held) or held not in param.domain:
        return None
    point = {**params, name: held}
    return point if all(r.holds(**point) for r in spec.relations) else None


_F64_MAX = float(np.finfo(np.float64).max)


def _checked_limits(name: str, key: str, xs: np.ndarray, ref: np.ndarray, params: Mapping[str, float]
                    ) -> np.ndarray:
    """``ref`` with its values at ±inf checked against the reference at ±(the largest double).

    The oracle finds a limit by probing at 1e400 and, where that does not converge, at 1000 to
    3700; a parameter that moves the function's scale beyond those (isru with α = 1e-30
    saturates only past 1e15) gives a wrong "limit" there (f' -> 1). Where the value at the
    largest double disagrees with such a limit (by more than 0.1 %) and is no nearer to it than
    the value at 2^-40 times the largest double (the function is not on its way there), that
    value is the truth at ±inf instead. A quantity still on its way (scaled softsign's ∂f/∂β =
    -αx/(β + |x|)² with α = 1e30 is 5.6e-279 at the largest double) keeps its limit."""
    inf = np.isinf(xs)
    if not inf.any():
        return ref
    probes = np.array([-_F64_MAX, _F64_MAX, -_F64_MAX * 2.0**-40, _F64_MAX * 2.0**-40])
    far = reference.evaluate(name, key, probes, dict(params))
    out = ref.copy()
    for i in np.flatnonzero(inf & np.isfinite(ref[:, 0])):  # a finite limit only
        v, nearer = far[int(xs[i] > 0)], far[2 + int(xs[i] > 0)]
        gap = abs(v[0] - ref[i, 0])
        # a real disagreement, not the last subnormal digits of a decaying quantity at ±max
        if (np.isfinite(v[0]) and gap > 1e-300 and gap > 1e-3 * max(abs(v[0]), abs(ref[i, 0]))
                and not gap < abs(nearer[0] - ref[i, 0])):
            out[i] = v
    return out


def references(spec: ActivationSpec, dtypes: Sequence[str], size: str = "full",
               params: Mapping[str, float] | None = None) -> None:
    """Fill the reference cache for ``spec`` (the slow part; safe to run in a worker)."""
    params = spec.defaults if params is None else params
    for dname, q, xs, key, dkey in plan(spec, dtypes, size, dict(params)):
        at = measured_params(spec, q, dname, params)
        if at is not None:
            reference.evaluate(spec.name, key, xs, at)
            reference.evaluate(spec.name, dkey, xs, at)


def measure(name: str, dtypes: Sequence[str] = ("float64", "float32", "bfloat16", "float16"),
            size: str = "full", params: Mapping[str, float] | None = None) -> list[Measurement]:
    """Every (dtype, quantity) measurement of activation ``name`` at ``params`` (completed with
    the defaults; default: the defaults)."""
    spec = registry.get_spec(name)
    if spec.kind != "elementwise":
        return []  # gated / concatenated / stochastic reuse an elementwise spec, measured there
    params = spec.resolve(dict(params or {}))
    out = []
    for dname, q, xs, key, dkey in plan(spec, dtypes, size, params):
        dtype = DTYPES[dname]
        at = measured_params(spec, q, dname, params)
        if at is None:
            continue
        ref = _checked_limits(spec.name, key, xs, reference.evaluate(spec.name, key, xs, at), at)
        dref = reference.evaluate(spec.name, dkey, xs, at)
        kinks = np.array(spec.kinks(**at), dtype=np.float64)
        if q != "f":  # a derivative exactly at a kink is a convention, tested on its own
            keep = ~np.isin(xs, kinks)
            xs, ref, dref = xs[keep], ref[keep], dref[keep]
        # A kink the dtype cannot hold (a threshold of 0.0316 in float32) is compared in the dtype
        # as it rounds: on which side of it the float next to it lies is the parameter's
        # rounding, not the implementation's (a jump there is off by its whole height).
        inexact = kinks[np.isfinite(kinks) & (round_to(kinks, dtype) != kinks)]
        if inexact.size:
            near = (np.abs(xs[:, None] - inexact[None, :]) <= 2 * ulp(inexact, dtype)[None, :]).any(1)
            xs, ref, dref = xs[~near], ref[~near], dref[~near]
        # f' by autograd: torch's own where the call is torch's op whole (a measured route)
        values = tuple(at[n] for n in spec.param_names)
        torchs = q == "df" and dispatch.serves_whole(spec, xs.size, values=values, dtype=dtype)
        mine = score(xs, computed(spec, q, xs, dtype, at), ref, dref, dtype, torch_nan_convention=torchs)
        nat = computed(spec, q, xs, dtype, at, native=True)
        theirs = None if nat is None else score(xs, nat, ref, dref, dtype, torch_nan_convention=q != "f")
        bound, reason = bound_for(spec, q, dname, params)
        out.append(Measurement(spec.name, dname, q, bound, reason, mine, theirs, dict(params)))
    return out


def _fill(args: tuple[str, tuple[str, ...], str]) -> str:
    name, dtypes, size = args
    references(registry.get_spec(name), dtypes, size)
    return name


def check(names: Sequence[str], dtypes: Sequence[str], jobs: int = 1, size: str = "full",
          progress=None) -> list[Measurement]:
    """Measure ``names``; reference values are computed by ``jobs`` worker processes."""
    if jobs > 1 and len(names) > 1:
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
            for name in pool.map(_fill, [(n, tuple(dtypes), size) for n in names]):
                if progress:
                    progress(name)
        progress = None
    out = []
    for name in names:
        out += measure(name, dtypes, size)
        if progress:
            progress(name)
    return out



def checked_names(names: Sequence[str] = ()) -> list[str]:
    """The activations an accuracy check of ``names`` measures: the elementwise ones among
    them, or every elementwise activation when ``names`` is empty (unknown names: ValueError)."""
    chosen = [registry.get_spec(n).name for n in names] or registry.names()
    return [n for n in chosen if registry.get_spec(n).kind == "elementwise"]


def check_dtypes(dtypes: Iterable[str]) -> None:
    """ValueError naming the choices unless every one of ``dtypes`` is a key of :data:`DTYPES`."""
    for d in dtypes:
        if d not in DTYPES:
            raise ValueError(f"unknown dtype '{d}'; choose from {', '.join(DTYPES)}")


def accuracy_rows(names: Sequence[str], dtypes: Sequence[str], jobs: int = 1, size: str = "full",
                  progress: Callable[[str], object] | Literal[False] | None = None) -> list[dict]:
    """:func:`check` of :func:`checked_names` as plain rows: one per (activation, dtype,
    quantity) with actlab's max ULP, where, the raw max, non-finite outputs, the bound, whether
    it passed, and torch native's max ULP and non-finite count (None without a native op).

    ``progress`` is called with a name as each activation finishes (twice per activation with
    ``jobs > 1``: references, then measurements)."""
    check_dtypes(dtypes)
    results = check(checked_names(names), dtypes, jobs=jobs, size=size, progress=progress or None)
    return [{
        "name": m.name, "dtype": m.dtype, "quantity": m.quantity,
        "max_ulp": m.actlab.max_ulp, "at_x": m.actlab.at, "raw_max_ulp": m.actlab.raw_ulp,
        "nonfinite": m.actlab.bad, "bound": m.bound, "passed": m.passed,
        "native_max_ulp": None if m.native is None else m.native.max_ulp,
        "native_nonfinite": None if m.native is None else m.native.bad,
        "reason": m.reason,
    } for m in results]


def summary_rows(rows: Sequence[dict], dtypes: Sequence[str] = ()) -> list[dict]:
    """One row per activation of :func:`accuracy_rows`: for each (quantity, dtype) the max ULP
    as text, "!" over its bound, "nan×k" for k non-finite outputs, torch native's value in
    parentheses; ``ok`` whether every bound held. (``dtypes`` is accepted and unused.)"""
    table: dict[str, dict] = {}
    for r in rows:
        t = table.setdefault(r["name"], {"name": r["name"], "ok": True})
        q = "dθ" if r["quantity"].startswith("d_") else {"f": "f", "df": "f'", "d2f": "f''"}[r["quantity"]]
        key = f"{q} {r['dtype'].replace('float', 'f')}"
        prev = t.get(key)
        mark = "" if r["passed"] else "!"
        val = f"{r['max_ulp']:.2g}{mark}" + (f" nan×{r['nonfinite']}" if r["nonfinite"] else "")
        if r["native_max_ulp"] is not None:
            bad = r["native_nonfinite"]
            nat = f"{r['native_max_ulp']:.2g}" + (f" nan×{bad}" if bad else "")
            val += f" ({nat})"
        if prev is None or not r["passed"]:
            t[key] = val
        t["ok"] &= r["passed"]
    return list(table.values())


def _main(argv: Sequence[str]) -> int:
    """``python -m actlab.numerics.accuracy NAME ... [-v]``: print failing (or all) rows;
    ``--domains NAME ...``: the sweep across each parameter's domain (:func:`sweep`), failures."""
    verbose = "-v" in argv
    names = [a for a in argv if a not in ("-v", "--domains")]
    if "--domains" in argv:
        return _main_domains(names or registry.names())
    failed = 0
    for name in names or registry.names():
        for m in measure(name):
            failed += not m.passed
            if verbose or not m.passed:
                nat = "-" if m.native is None else f"{m.native.max_ulp:.3g} (bad {m.native.bad})"
                print(f"{m.name:16s} {m.dtype:8s} {m.quantity:9s} ulp={m.actlab.max_ulp:<9.3g} "
                      f"at x={m.actlab.at:<11.4g} raw={m.actlab.raw_ulp:<9.3g} "
                      f"bad={m.actlab.bad} {m.actlab.bad_at[:3]} bound={m.bound} native={nat} "
                      f"{'ok' if m.passed else 'FAIL'}")
    print(f"{failed} failing measurement(s)")
    return 1 if failed else 0


def _main_domains(names: Sequence[str]) -> int:
    total, failed = 0, 0
    for name in names:
        n, failures = sweep(name)
        total, failed = total + n, failed + len(failures)
        for f in failures:
            print(f)
    print(f"{failed} failing of {total} measurement(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    import sys

    try:
        raise SystemExit(_main(sys.argv[1:]))
    except ValueError as e:  # an unknown name: one line with suggestions, not a traceback
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
