"""What the page draws and lists, as JSON: the catalog's facts and the curves f, f', f''.

Computed by the library only (``actlab.get(name, **params)`` in float64); JSON has no inf/nan,
so such values are ``null``. Gated (GLU family) and concatenated (CReLU) activations are not
functions of one variable: their elementwise part (the gate) is drawn. Slider ranges for the
page are chosen here, inside each parameter's domain. The heavy analyses are in
:mod:`actlab.web.analyses`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

import actlab
from actlab.composite import CompositeSpec, ConcatenatedSpec, GatedSpec, RandomizedSpec
from actlab.spec import ActivationSpec, Domain, Param, Spec

from .errors import ApiError
from .request import explored_spec, resolve

__all__ = ["MAX_ABS_X", "MAX_POINTS", "curve_payload", "finite_or_none", "plotted", "slider", "spec_facts"]

MAX_POINTS = 20001  # one curve request; 4 arrays of 20001 doubles is ~1.6 MB of JSON
MAX_ABS_X = 1e6  # beyond this the page shows nothing useful and the grid loses resolution
HUGE_DEFAULT = 1e300  # a parameter default beyond this gets the slider of slider()'s first case


def plotted(spec: ActivationSpec, params: Mapping[str, float]) -> tuple[actlab.Activation, str]:
    """What can be drawn as y = f(x): the activation itself, or the gate of a gated/concat one."""
    if isinstance(spec, (GatedSpec, ConcatenatedSpec)):
        base = spec.base.name
        if isinstance(spec, GatedSpec):
            note = (f"{spec.name}(x) = a ⊗ {base}(b) with [a, b] = x is not a function of one "
                    f"variable: drawn is its gate {base}.")
        else:
            note = (f"{spec.name}(x) = [{base}(x), {base}(-x)] doubles the channels: "
                    f"drawn is its first half {base}(x).")
        return actlab.get(base), note
    try:
        act = actlab.get(spec.name, **params)
    except (TypeError, ValueError, OverflowError) as e:  # the library refused these values
        raise ApiError(str(e)) from None
    note = "stochastic: drawn in its eval form (mean slope)." if spec.kind == "stochastic" else ""
    return act, note


def finite_or_none(values: np.ndarray) -> list[float | None]:
    """JSON has no inf/nan: such values become null (the page leaves a gap there)."""
    return [v if math.isfinite(v) else None for v in np.asarray(values, dtype=np.float64).tolist()]


def _nice(step: float) -> float:
    """The 1-2-5 number at or above ``step`` (slider steps that read well)."""
    exp = math.floor(math.log10(step))
    for m in (1, 2, 5, 10):
        if m * 10**exp >= step * (1 - 1e-12):
            return float(f"{m * 10**exp:.12g}")
    return 10.0 ** (exp + 1)


def slider(param: Param) -> dict[str, float]:
    """A slider range for ``param`` inside its domain (the number input takes any exact value).

    Finite ends are the domain's (an open end is moved in by one step); an infinite end is
    ``max(3, 2|default|)`` (one side bounded: ``max(5, 4 (default - bound))``) from the default,
    or ``±|default|`` for a default over :data:`HUGE_DEFAULT` (float max meaning 'no cap').
    """
    d, lo, hi = float(param.default), param.domain.low, param.domain.high
    if abs(d) > HUGE_DEFAULT and not (math.isfinite(lo) and math.isfinite(hi)):
        # a default such as float max ('no cap'): the infinite ends are at ±|default|, unrounded,
        # as ends derived from it would overflow to inf (which JSON cannot carry)
        a = lo if math.isfinite(lo) else -abs(d)
        b = hi if math.isfinite(hi) else abs(d)
        step = _nice(b / 400.0 - a / 400.0)  # b - a itself may overflow
        if math.isfinite(lo) and not param.domain.low_closed:
            a = lo + step
        if math.isfinite(hi) and not param.domain.high_closed:
            b = hi - step
        return {"min": a, "max": b, "step": step}
    if math.isfinite(lo) and math.isfinite(hi):
        a, b = lo, hi
    elif math.isfinite(lo):
        a, b = lo, lo + max(5.0, 4.0 * (d - lo))
    elif math.isfinite(hi):
        a, b = hi - max(5.0, 4.0 * (hi - d)), hi
    else:
        w = max(3.0, 2.0 * abs(d))
        a, b = d - w, d + w
    step = _nice((b - a) / 400.0)
    a = math.floor(a / step) * step if not math.isfinite(lo) else a
    b = math.ceil(b / step) * step if not math.isfinite(hi) else b
    if math.isfinite(lo) and not param.domain.low_closed:
        a = lo + step
    if math.isfinite(hi) and not param.domain.high_closed:
        b = hi - step
    clean = lambda v: float(f"{v:.12g}")
    return {"min": clean(a), "max": clean(b), "step": step}


def _domain(domain: Domain) -> dict[str, Any]:
    end = lambda v: v if math.isfinite(v) else None  # null: unbounded on that side
    return {"low": end(domain.low), "high": end(domain.high), "low_closed": domain.low_closed,
            "high_closed": domain.high_closed, "exclude": list(domain.exclude), "text": str(domain)}


def _base_name(spec: Spec) -> str | None:
    """The elementwise spec a composite one is built on (GLU's gate, CReLU's f, RReLU's leaky
    ReLU); ``None`` for an elementwise one. The page's JSON calls it ``"gate"``."""
    return spec.base.name if isinstance(spec, (CompositeSpec, RandomizedSpec)) else None


def spec_facts(spec: ActivationSpec, params: Mapping[str, float] | None = None) -> dict[str, Any]:
    """What the spec itself says (no measurement): formula, citation, kinks, parameters."""
    values = dict(params) if params is not None else spec.defaults
    try:
        kinks = [float(k) for k in spec.kinks(**values)]
    except Exception:  # a kinks() that needs its gate's parameters: none is better than a 500
        kinks = []
    return {
        "name": spec.name, "family": spec.family, "kind": spec.kind, "summary": spec.summary,
        "formula": spec.formula, "citation": spec.citation, "aliases": list(spec.aliases),
        "gate": _base_name(spec), "kinks": kinks, "kink_note": spec.kink_note, "notes": spec.notes,
        "params": [
            {"name": p.name, "default": float(p.default), "domain": _domain(p.domain),
             "learnable": p.learnable, "channelwise": p.channelwise, "doc": p.doc,
             "slider": slider(p)}
            for p in spec.params
        ],
    }


def curve_payload(name: str | None, params: Mapping[str, float], xmin: float, xmax: float,
                  n: int) -> dict[str, Any]:
    """f, f', f'' of ``name`` at ``params`` on ``linspace(xmin, xmax, n)`` plus its kinks there."""
    spec = explored_spec(name)
    values = resolve(spec, params)
    if not xmin < xmax:
        raise ApiError(f"xmin={xmin:g} must be less than xmax={xmax:g}")
    if max(abs(xmin), abs(xmax)) > MAX_ABS_X:
        raise ApiError(f"x range [{xmin:g}, {xmax:g}] is too wide: keep |x| <= {MAX_ABS_X:g}")
    act, note = plotted(spec, values)
    x = np.linspace(xmin, xmax, n)
    try:
        kinks = [float(k) for k in act.spec.kinks(**act.params)]
    except Exception:
        kinks = []
    inside = [k for k in kinks if xmin < k < xmax]
    if inside:  # sample the kinks themselves so corners are drawn where they are
        x = np.union1d(x, np.asarray(inside, dtype=np.float64))
    with torch.no_grad(), np.errstate(all="ignore"):
        f = act.forward(x)
        df = act.derivative(x)
        d2f = act.second_derivative(x)
    return {
        "name": spec.name, "plotted": act.spec.name, "kind": spec.kind, "params": values,
        "note": note, "kinks": inside, "x": x.tolist(), "f": finite_or_none(f),
        "df": finite_or_none(df), "d2f": finite_or_none(d2f),
    }
