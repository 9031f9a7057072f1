"""The heavy analyses behind the page: measured properties and the mean-field chi_1 curve.

:mod:`actlab.analysis.properties` (SymPy series, quadratures) and :mod:`actlab.analysis.meanfield`
(root finding) are imported on first use and run in one worker process at a lower priority
(``actlab serve``, :func:`isolate_analyses`), so that curve requests, which a slider sends many
of, never wait behind them; in-process they run one at a time under a lock. A request that waits
longer than :data:`ANALYSIS_WAIT_S` is a 503.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from actlab.composite import GatedSpec
from actlab.jsonsafe import json_safe

from .errors import ApiError
from .payloads import finite_or_none, spec_facts
from .request import explored_spec, resolve

__all__ = [
    "ANALYSIS_WAIT_S",
    "MAX_MEANFIELD_POINTS",
    "PROPERTY_ROWS",
    "features",
    "isolate_analyses",
    "meanfield_payload",
    "properties_payload",
]

MAX_MEANFIELD_POINTS = 400
ANALYSIS_WAIT_S = 60.0  # a request waits this long for the analysis lock, then gets a 503

_analysis_lock = threading.Lock()


def _properties_module() -> Any:
    """:mod:`actlab.analysis.properties`, imported on first use (it pulls in SymPy)."""
    from actlab.analysis import properties

    return properties


def _meanfield_module() -> Any:
    """:mod:`actlab.analysis.meanfield`, imported on first use."""
    from actlab.analysis import meanfield

    return meanfield


def features() -> dict[str, bool]:
    """Which analyses this installation can run (the page hides the others)."""
    return {"properties": _properties_module() is not None, "meanfield": _meanfield_module() is not None}


# The measured rows the page shows, in order (keys of properties.summary_row), with their labels.
PROPERTY_ROWS = {
    "class": "smoothness", "kinks": "kinks", "polynomial": "polynomial", "monotonic": "monotonic",
    "f(0)": "f(0)", "f'(0)": "f′(0)", "≈x at 0": "≈ x near 0", "range": "range",
    "min at": "min at", "E f(z)": "E f(z), z ~ N(0,1)", "max|f'|": "max |f′|", "at": "max |f′| at",
    "saturates": "saturates (|f′| < 1e-3)", "dead": "dead (f′ = 0)", "self-norm": "self-normalizing",
    "symmetry": "symmetry", "taylor": "Taylor at 0",
}


# Heavy analyses (SymPy series, quadratures, root finding: seconds of Python holding the GIL) run
# in one worker process at a lower priority, so that curve requests, which a slider sends many of,
# never wait behind them. In-process (one at a time, under a lock) where no worker is wanted.
_pool: Any = None
_pool_lock = threading.Lock()
_isolate_analyses = False


def _worker_init() -> None:
    try:
        os.nice(5)  # the curves first
    except OSError:
        pass
    torch.set_num_threads(1)


def _warm() -> bool:
    """Imports the analysis modules in the worker (its first real job then starts at once)."""
    return _properties_module() is not None and _meanfield_module() is not None


def _analysis_pool() -> Any:
    global _pool
    with _pool_lock:
        if _pool is None:
            import atexit
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_worker_init)
            atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
        return _pool


def isolate_analyses(on: bool = True) -> None:
    """Run analyses in a worker process (``actlab serve``) or in the server's own (the default)."""
    global _isolate_analyses
    _isolate_analyses = on
    if on:
        _analysis_pool().submit(_warm)


def _run_analysis(fn: Any, *args: Any) -> Any:
    """``fn(*args)`` in the worker process, or here one at a time; a long wait is a 503."""
    if _isolate_analyses:
        from concurrent.futures import TimeoutError as FutureTimeout
        from concurrent.futures.process import BrokenProcessPool

        try:
            return _analysis_pool().submit(fn, *args).result(timeout=ANALYSIS_WAIT_S)
        except FutureTimeout:
            raise ApiError("the server is busy with other analyses; try again in a moment", 503) from None
        except BrokenProcessPool:
            global _pool
            with _pool_lock:
                _pool = None  # a new worker next time
            raise ApiError("the analysis worker stopped; try again", 503) from None
    if not _analysis_lock.acquire(timeout=ANALYSIS_WAIT_S):
        raise ApiError("the server is busy with other analyses; try again in a moment", 503)
    try:
        return fn(*args)
    finally:
        _analysis_lock.release()


def _measure_properties(name: str, values: dict[str, float]) -> dict[str, Any]:
    """The measured rows and properties of ``name`` (runs in the analysis worker)."""
    module = _properties_module()
    props = module.analyze(name, values, cost=False, taylor=True)
    row = module.summary_row(props)
    return {"rows": [{"key": k, "label": label, "value": str(row[k])} for k, label in PROPERTY_ROWS.items()
                     if k in row],
            "measured": json_safe(props.as_dict(), inf_as_text=False)}


def properties_payload(name: str | None, params: Mapping[str, float]) -> dict[str, Any]:
    """The spec's facts, and the measured properties when the analysis module is there."""
    spec = explored_spec(name)
    values = resolve(spec, params)
    out: dict[str, Any] = {"name": spec.name, "params": values, "spec": spec_facts(spec, values),
                           "measured": None, "rows": [], "message": ""}
    module = _properties_module()
    if module is None:
        out["message"] = "measured properties need actlab.analysis.properties, which is not installed"
        return out
    try:
        out.update(_run_analysis(_measure_properties, spec.name, values))
    except ValueError as e:  # gated / concatenated: not a function of one variable
        out["message"] = str(e)
    return out


def _chi1_curve(name: str, values: dict[str, float], sigma_b2: float, grid: list[float]) -> dict[str, Any]:
    """chi_1 and q* on the sigma_w^2 grid, and the edge of chaos (runs in the analysis worker)."""
    module = _meanfield_module()
    field_of = getattr(module, "_field", None)
    if field_of is not None:  # chi_1 at q* only: analyse() also solves for c*, ~20x slower
        fld = field_of(name, values)
        qs = [fld.q_star(float(s), sigma_b2) for s in grid]
        chi = [fld.chi1(float(s), q) for s, q in zip(grid, qs)]
    else:
        res = [module.analyse(name, float(s), sigma_b2, **values) for s in grid]
        qs, chi = [r.q_star for r in res], [r.chi1 for r in res]
    try:
        critical, reason = module.edge_of_chaos(name, sigma_b2, **values), ""
    except ValueError as e:
        critical, reason = None, str(e)
    return {"q_star": [float(q) for q in qs], "chi1": [float(c) for c in chi],
            "critical": None if critical is None else float(critical), "reason": reason}


def meanfield_payload(name: str | None, params: Mapping[str, float], sigma_b2: float, sw_min: float,
                      sw_max: float, n: int) -> dict[str, Any]:
    """chi_1(sigma_w^2) at the length map's fixed point q*, and the critical sigma_w^2."""
    module = _meanfield_module()
    if module is None:
        raise ApiError("mean-field analysis needs actlab.analysis.meanfield, which is not installed", 501)
    spec = explored_spec(name)
    values = resolve(spec, params)
    if not (sigma_b2 >= 0):
        raise ApiError(f"sigma_b2={sigma_b2:g} is a variance: use sigma_b2 >= 0")
    if not 0 < sw_min < sw_max:
        raise ApiError(f"need 0 < sw_min < sw_max for the σ_w² grid, got sw_min={sw_min:g}, "
                       f"sw_max={sw_max:g}")
    if sw_max > 1e4:
        raise ApiError(f"sw_max={sw_max:g} is too large: use sw_max <= 1e4")
    if isinstance(spec, GatedSpec):
        gate = spec.base.name
        raise ApiError(f"{spec.name} is gated (a ⊗ {gate}(b)): mean-field theory here covers "
                       f"elementwise activations; look at its gate '{gate}' instead")
    grid = np.linspace(sw_min, sw_max, n)
    try:
        got = _run_analysis(_chi1_curve, spec.name, values, sigma_b2, grid.tolist())
    except ValueError as e:
        raise ApiError(str(e)) from None
    return {
        "name": spec.name, "params": values, "sigma_b2": sigma_b2, "sigma_w2": grid.tolist(),
        "chi1": finite_or_none(np.asarray(got["chi1"])),
        # q* = inf (the signal diverges) is a result, not a failure: sent as the string "inf"
        "q_star": ["inf" if q == math.inf else q if math.isfinite(q) else None for q in got["q_star"]],
        "critical_sigma_w2": got["critical"], "critical_reason": got["reason"],
    }
