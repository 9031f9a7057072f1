"""The web app behind ``actlab serve``: a JSON API computed by the library, and one static page.

Starlette (the ASGI toolkit FastAPI is built on; small, typed, maintained) serves it under
uvicorn. Every number the page shows comes from these endpoints; the JavaScript only draws:

``GET /api/activations``
    the catalog: names, families, kinds, formula (LaTeX), citation, parameters with default,
    domain and a slider range for the page.
``GET /api/curve?name=swish&params={"beta":1.5}&xmin=-6&xmax=6&n=801``
    ``x`` (``n`` points of ``linspace(xmin, xmax)`` plus the kinks inside), ``f``, ``df``,
    ``d2f``: ``actlab.get(name, **params)`` ``.forward``/``.derivative``/``.second_derivative``
    in float64. Non-finite values are ``null``. Gated (GLU family) and concatenated (CReLU)
    activations are not functions of one variable: their elementwise part (the gate) is drawn.
``GET /api/properties?name=...&params=...``
    the spec's facts and, when :mod:`actlab.analysis.properties` is there, its measured
    properties (``analyze(..., cost=False)``: the micro-benchmark is skipped in a server).
``GET /api/meanfield?name=...&params=...&sigma_b2=0&sw_min=0.05&sw_max=4&n=80``
    when :mod:`actlab.analysis.meanfield` is there: chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2] at the
    fixed point q* of the length map, on a sigma_w^2 grid (Poole et al. 2016; Schoenholz et
    al. 2017), and the critical sigma_w^2 (chi_1 = 1, the edge of chaos) or why there is none.

``GET /api/formula?name=...``
    the spec's LaTeX formula drawn as SVG on the server (:mod:`actlab.web.formula`, matplotlib's
    mathtext), so the page shows typeset math with no math library in the browser and no CDN.

``params`` is a flat JSON object (``{"beta":1.5}``) or ``beta=1.5,alpha=2``. Bad requests get a
4xx JSON body ``{"error": "...", "status": N}`` (unknown names add ``"suggestions"``); the server
keeps serving. Heavy analyses run one at a time (a lock) so a burst cannot starve the curves.

Hardening (the page is local, but a browser visiting another site can still reach it):

* every malformed or out-of-domain request is a 4xx, never a 500: text lengths, number lengths
  and JSON nesting are bounded before parsing; parameter relations the domains cannot say
  (hardtanh ``min_val < max_val``, rrelu ``lower <= upper``) are checked here at the boundary;
* security headers (CSP, nosniff, no framing, no referrer, same-origin resources) on every
  response, errors and the protocol's own 400/408 included;
* a Host allow-list (loopback names by default) against DNS rebinding: another name is a 400;
* request size bounded (query string, header block, no request bodies), and a request must
  arrive whole within :data:`REQUEST_TIMEOUT_S` of its first byte or of the previous response
  (slow or half-sent requests are answered 408 and closed): :func:`uvicorn_config`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import math
import os
import socket
import threading
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.responses import JSONResponse as _StarletteJSON
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import actlab
from actlab import registry
from actlab.jsonsafe import json_safe
from actlab.spec import ActivationSpec, Domain, Param

__all__ = [
    "ANALYSIS_WAIT_S",
    "CSP",
    "KEEP_ALIVE_S",
    "LOOPBACK_HOSTS",
    "MAX_ABS_X",
    "MAX_BODY_BYTES",
    "MAX_CONNECTIONS",
    "MAX_HEADER_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_MEANFIELD_POINTS",
    "MAX_NUMBER_CHARS",
    "MAX_PARAMS",
    "MAX_POINTS",
    "MAX_QUERY_BYTES",
    "MAX_TEXT",
    "PROPERTY_ROWS",
    "RELATIONS",
    "REQUEST_TIMEOUT_S",
    "SECURITY_HEADERS",
    "STATIC",
    "ApiError",
    "ExplorerApp",
    "JSONResponse",
    "activations_payload",
    "api_activations",
    "api_curve",
    "api_formula",
    "api_meanfield",
    "api_properties",
    "check_relations",
    "create_app",
    "curve_payload",
    "default_allowed_hosts",
    "find_spec",
    "finite_or_none",
    "host_allowed",
    "host_of",
    "index",
    "isolate_analyses",
    "meanfield_payload",
    "on_api_error",
    "on_http_error",
    "on_unexpected",
    "parse_params",
    "plotly",
    "plotly_js",
    "plotted",
    "properties_payload",
    "raw_response",
    "resolve",
    "serve",
    "slider",
    "spec_facts",
    "uvicorn_config"
]

STATIC = Path(__file__).with_name("static")
MAX_POINTS = 20001  # one curve request; 4 arrays of 20001 doubles is ~1.6 MB of JSON
MAX_ABS_X = 1e6  # beyond this the page shows nothing useful and the grid loses resolution
MAX_MEANFIELD_POINTS = 400
ANALYSIS_WAIT_S = 60.0  # a request waits this long for the analysis lock, then gets a 503

# Request bounds: everything the page sends is far inside them.
MAX_QUERY_BYTES = 8192  # the whole query string (414 beyond)
MAX_HEADER_BYTES = 16384  # the headers: h11 buffers no more of an unfinished head (400), app 431
MAX_BODY_BYTES = 0  # the API is GET only: a request with a body is refused (413)
MAX_TEXT = 2000  # one query value (params, name, ...)
MAX_NUMBER_CHARS = 64  # one number's text: '1' * 5000 is refused before any parsing
MAX_JSON_DEPTH = 4  # params is a flat object; deeper nesting is refused before json.loads
MAX_PARAMS = 32
REQUEST_TIMEOUT_S = 10.0  # a request must arrive whole within this (slow or half-sent: 408)
KEEP_ALIVE_S = 5.0  # an idle keep-alive connection is closed after this
MAX_CONNECTIONS = 1000  # more at once get a 503 (uvicorn's limit_concurrency)

# The browser may load only what this server sends: no CDN, no external URL, ever. Plotly
# writes inline styles (hence 'unsafe-inline' for styles only) and exports PNGs via data:/blob:.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), usb=(), payment=()"),
)

# Names that reach this machine only. A page on another site can make a browser resolve its own
# name to 127.0.0.1 (DNS rebinding) but cannot make it send one of these as the Host header.
LOOPBACK_HOSTS = frozenset({"localhost", "ip6-localhost", "ip6-loopback", "127.0.0.1", "::1"})

# Parameter relations the domains alone cannot say, checked at the request boundary (the spec may
# state them too, as ``relations``: both are checked). (activation, a, b, strict): a < b or a <= b.
RELATIONS: tuple[tuple[str, str, str, bool], ...] = (
    ("hardtanh", "min_val", "max_val", True),
    ("rrelu", "lower", "upper", False),
)

log = logging.getLogger("actlab.web")

_analysis_lock = threading.Lock()


class ApiError(Exception):
    """A bad request: answered as ``{"error": message, "status": status, **extra}``."""

    def __init__(self, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.message, self.status, self.extra = message, status, extra


# ------------------------------------------------------------------------------ analyses
def _properties_module() -> Any:
    """:mod:`actlab.analysis.properties`, imported on first use (it pulls in SymPy)."""
    from actlab.analysis import properties

    return properties


def _meanfield_module() -> Any:
    """:mod:`actlab.analysis.meanfield`, imported on first use."""
    from actlab.analysis import meanfield

    return meanfield


def plotly_js() -> Path:
    """plotly.min.js as shipped inside the installed ``plotly`` Python package."""
    path = resources.files("plotly") / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(
            f"plotly.min.js is not at {path}; reinstall the plotly package (pip install plotly)"
        )
    return Path(str(path))


# ------------------------------------------------------------------------------ parsing
def _text(text: str | None, what: str, limit: int = MAX_TEXT) -> str | None:
    if text is not None and len(text) > limit:
        raise ApiError(f"'{what}' is too long ({len(text)} characters): keep it under {limit}")
    return text


def _float(text: str, what: str) -> float:
    """A finite float from text, refusing over-long numbers before parsing them."""
    text = text.strip()
    if len(text) > MAX_NUMBER_CHARS:
        raise ApiError(f"{what} has {len(text)} characters: a number here has at most {MAX_NUMBER_CHARS}")
    try:
        value = float(text)
    except ValueError:
        raise ApiError(f"{what} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ApiError(f"{what} must be a finite number, got {text!r}")
    return value


def _number(text: str | None, what: str, default: float | None = None) -> float:
    if text is None or text == "":
        if default is None:
            raise ApiError(f"'{what}' is required: give a finite number, e.g. {what}=1")
        return default
    return _float(text, f"'{what}'")


def _count(text: str | None, what: str, default: int, low: int, high: int) -> int:
    if text is None or text == "":
        return default
    text = text.strip()
    if len(text) > MAX_NUMBER_CHARS or not text.lstrip("+-").isdigit():
        raise ApiError(f"'{what}' must be a whole number, got {text[:40]!r}")
    value = int(text)
    if not low <= value <= high:
        raise ApiError(f"'{what}'={value} is out of range: use {low} <= {what} <= {high}")
    return value


def _json_depth(text: str) -> int:
    """The deepest nesting of [ and { in JSON text, strings skipped (no parsing, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


class _JsonNumber(str):
    """A JSON number kept as its text, so its length is checked before it is converted."""


def _bad_constant(token: str) -> None:
    raise ApiError(f"'params' has {token}, which is not JSON: send finite numbers")


def parse_params(text: str | None) -> dict[str, float]:
    """``{"beta": 1.5}`` (JSON) or ``beta=1.5,alpha=2`` -> ``{"beta": 1.5, "alpha": 2.0}``."""
    text = _text(text, "params")
    if text is None or not text.strip():
        return {}
    text = text.strip()
    if text.startswith("{"):
        if _json_depth(text) > MAX_JSON_DEPTH:
            raise ApiError("'params' is nested too deeply: send a flat JSON object of numbers, "
                           "e.g. {\"beta\": 1.5}")
        try:
            raw = json.loads(text, parse_int=_JsonNumber, parse_float=_JsonNumber,
                             parse_constant=_bad_constant)
        except json.JSONDecodeError as e:
            raise ApiError(f"'params' is not valid JSON ({e.msg}); send e.g. {{\"beta\": 1.5}}") from None
        except (ValueError, RecursionError):
            raise ApiError("'params' is not valid JSON; send e.g. {\"beta\": 1.5}") from None
        if not isinstance(raw, dict):
            raise ApiError("'params' must be a JSON object, e.g. {\"beta\": 1.5}")
        items = list(raw.items())
    else:
        items = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, value = part.replace(":", "=", 1).partition("=")
            if not sep:
                raise ApiError(f"'params' expects NAME=VALUE pairs, e.g. beta=1.5; got {part[:40]!r}")
            items.append((key.strip(), value.strip()))
    if len(items) > MAX_PARAMS:
        raise ApiError(f"'params' has {len(items)} entries: no activation has more than {MAX_PARAMS}")
    out = {}
    for key, value in items:
        if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
            raise ApiError(f"parameter '{key}' must be a number, got {json.dumps(value)[:40]}")
        out[str(key)] = _float(str(value), f"parameter '{key}'")
    return out


def find_spec(name: str | None) -> ActivationSpec:
    """The spec called ``name``; 404 with suggestions for an unknown one."""
    if name is None or not name.strip():
        raise ApiError("'name' is required, e.g. name=mish; GET /api/activations lists them all")
    if len(name) > 100 or not name.isprintable():
        raise ApiError(f"no activation is called {name[:40]!r}; GET /api/activations lists them all", 404,
                       suggestions=[])
    try:
        return actlab.get_spec(name)
    except ValueError as e:
        raise ApiError(str(e), 404, suggestions=registry.suggestions(name)) from None


def resolve(spec: ActivationSpec, params: Mapping[str, float]) -> dict[str, float]:
    """Defaults filled in and domains checked by the spec; its errors become 400s."""
    try:
        values = {k: float(v) for k, v in spec.resolve(dict(params)).items()}
    except (TypeError, ValueError, OverflowError) as e:
        raise ApiError(str(e)) from None
    check_relations(spec, values)
    return values


def check_relations(spec: Any, values: Mapping[str, float]) -> None:
    """Relations between parameters (min < max): the server's table and the spec's own, if any."""
    for name, a, b, strict in RELATIONS:
        if spec.name == name and a in values and b in values:
            ok = values[a] < values[b] if strict else values[a] <= values[b]
            if not ok:
                op = "<" if strict else "<="
                raise ApiError(f"{spec.name}: need {a} {op} {b}, got {a}={values[a]:g}, {b}={values[b]:g}; "
                               f"{'swap them' if values[a] > values[b] else 'move them apart'}")
    for rel in getattr(spec, "relations", ()) or ():
        try:
            holds = bool(rel.holds(**values))
        except Exception:  # a relation that cannot be evaluated at these values does not hold
            holds = False
        if not holds:
            fix = getattr(rel, "fix", "")
            raise ApiError(f"{spec.name}: need {rel.text}, got "
                           + ", ".join(f"{k}={v:g}" for k, v in values.items()) + (f"; {fix}" if fix else ""))


def plotted(spec: ActivationSpec, params: Mapping[str, float]) -> tuple[actlab.Activation, str]:
    """What can be drawn as y = f(x): the activation itself, or the gate of a gated/concat one."""
    if spec.kind in ("gated", "concatenated") and spec.gate:
        gate = actlab.get(spec.gate)
        if spec.kind == "gated":
            note = (f"{spec.name}(x) = a ⊗ {spec.gate}(b) with [a, b] = x is not a function of one "
                    f"variable: drawn is its gate {spec.gate}.")
        else:
            note = (f"{spec.name}(x) = [{spec.gate}(x), {spec.gate}(-x)] doubles the channels: "
                    f"drawn is its first half {spec.gate}(x).")
        return gate, note
    try:
        act = actlab.get(spec.name, **params)
    except (TypeError, ValueError, OverflowError) as e:  # the library refused these values
        raise ApiError(str(e)) from None
    note = "stochastic: drawn in its eval form (mean slope)." if spec.kind == "stochastic" else ""
    return act, note


def finite_or_none(values: np.ndarray) -> list[float | None]:
    """JSON has no inf/nan: such values become null (the page leaves a gap there)."""
    return [v if math.isfinite(v) else None for v in np.asarray(values, dtype=np.float64).tolist()]


# ------------------------------------------------------------------------------ payloads
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
    ``max(3, 2|default|)`` (one side bounded: ``max(5, 4 (default - bound))``) from the default.
    """
    d, lo, hi = float(param.default), param.domain.low, param.domain.high
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
        "gate": spec.gate, "kinks": kinks, "kink_note": spec.kink_note, "notes": spec.notes,
        "params": [
            {"name": p.name, "default": float(p.default), "domain": _domain(p.domain),
             "learnable": p.learnable, "channelwise": p.channelwise, "doc": p.doc,
             "slider": slider(p)}
            for p in spec.params
        ],
    }


@cache
def activations_payload() -> dict[str, Any]:
    specs = actlab.specs()
    return {
        "version": actlab.__version__,
        "families": actlab.families(),
        "activations": [spec_facts(s) for s in specs],
        "features": {"properties": _properties_module() is not None,
                     "meanfield": _meanfield_module() is not None},
        "limits": {"max_points": MAX_POINTS, "max_abs_x": MAX_ABS_X,
                   "max_meanfield_points": MAX_MEANFIELD_POINTS},
    }


def curve_payload(name: str | None, params: Mapping[str, float], xmin: float, xmax: float,
                  n: int) -> dict[str, Any]:
    """f, f', f'' of ``name`` at ``params`` on ``linspace(xmin, xmax, n)`` plus its kinks there."""
    spec = find_spec(name)
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
    spec = find_spec(name)
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
    spec = find_spec(name)
    values = resolve(spec, params)
    if not (sigma_b2 >= 0):
        raise ApiError(f"sigma_b2={sigma_b2:g} is a variance: use sigma_b2 >= 0")
    if not 0 < sw_min < sw_max:
        raise ApiError(f"need 0 < sw_min < sw_max for the σ_w² grid, got sw_min={sw_min:g}, "
                       f"sw_max={sw_max:g}")
    if sw_max > 1e4:
        raise ApiError(f"sw_max={sw_max:g} is too large: use sw_max <= 1e4")
    if spec.kind == "gated":
        raise ApiError(f"{spec.name} is gated (a ⊗ {spec.gate}(b)): mean-field theory here covers "
                       f"elementwise activations; look at its gate '{spec.gate}' instead")
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


# ------------------------------------------------------------------------------ endpoints
class JSONResponse(_StarletteJSON):
    """Starlette's JSON response, but text that is not UTF-8 (a lone surrogate that came in as
    ``"\\ud800"`` in a JSON parameter name) is sent escaped instead of failing as a 500."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode()


def _error(message: str, status: int, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, "status": status, **extra}, status_code=status)


def _query(request: Request, key: str) -> str | None:
    return _text(request.query_params.get(key), key)


def api_activations(request: Request) -> JSONResponse:
    return JSONResponse(activations_payload())


def api_curve(request: Request) -> JSONResponse:
    q = lambda key: _query(request, key)
    payload = curve_payload(
        q("name"), parse_params(q("params")), _number(q("xmin"), "xmin", -6.0),
        _number(q("xmax"), "xmax", 6.0), _count(q("n"), "n", 801, 2, MAX_POINTS),
    )
    return JSONResponse(payload)


def api_properties(request: Request) -> JSONResponse:
    q = lambda key: _query(request, key)
    return JSONResponse(properties_payload(q("name"), parse_params(q("params"))))


def api_meanfield(request: Request) -> JSONResponse:
    q = lambda key: _query(request, key)
    payload = meanfield_payload(
        q("name"), parse_params(q("params")), _number(q("sigma_b2"), "sigma_b2", 0.0),
        _number(q("sw_min"), "sw_min", 0.05), _number(q("sw_max"), "sw_max", 4.0),
        _count(q("n"), "n", 80, 2, MAX_MEANFIELD_POINTS),
    )
    return JSONResponse(payload)


def api_formula(request: Request) -> Response:
    """The spec's formula as SVG, typeset on the server (no math library in the browser)."""
    from . import formula

    spec = find_spec(_query(request, "name"))
    svg = formula.svg(spec.formula)
    return Response(svg, media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=3600"})


def index(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


def plotly(request: Request) -> Response:
    # the file changes only with the plotly package: let the browser keep it for a day
    return FileResponse(plotly_js(), media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=86400"})


async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _error(exc.message, exc.status, **exc.extra)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        message = f"no such endpoint {request.url.path}" if exc.status_code == 404 else str(exc.detail)
        return _error(message, exc.status_code)
    return Response(str(exc.detail), status_code=exc.status_code, media_type="text/plain")


async def on_unexpected(request: Request, exc: Exception) -> Response:
    # A bug in one computation must not take the page down: say what failed, keep serving.
    return _error(f"internal error while computing {request.url.path}: {type(exc).__name__}: {exc}", 500)


# ------------------------------------------------------------------------------ guards
def _with_security_headers(headers: Any) -> list[tuple[bytes, bytes]]:
    ours = {k for k, _ in SECURITY_HEADERS}
    return [(k, v) for k, v in (headers or []) if k.lower() not in ours] + list(SECURITY_HEADERS)


def raw_response(status: int, reason: str, message: str) -> bytes:
    """A whole HTTP/1.1 error response as bytes, security headers included, closing the connection
    (for the protocol layer, which answers before any app runs: a 408, a malformed request)."""
    body = json.dumps({"error": message, "status": status}).encode()
    head = [f"HTTP/1.1 {status} {reason}".encode(), b"content-type: application/json",
            b"content-length: " + str(len(body)).encode(), b"connection: close"]
    head += [k + b": " + v for k, v in SECURITY_HEADERS]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def host_of(header: str) -> str:
    """``'LocalHost:8000'`` -> ``'localhost'``, ``'[::1]:80'`` -> ``'::1'`` (port and final dot dropped)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    if header.count(":") == 1:
        header = header.partition(":")[0]
    return header.rstrip(".")


def default_allowed_hosts(bind: str = "127.0.0.1") -> set[str]:
    """Loopback names, plus the bound address when it is a specific one, plus this machine's names
    when bound to every interface, plus ``ACTLAB_ALLOWED_HOSTS`` (comma-separated names)."""
    allowed = set(LOOPBACK_HOSTS)
    bind = host_of(bind) if bind else ""
    if bind in ("", "0.0.0.0", "::"):
        for name in (socket.gethostname(), socket.getfqdn()):
            if name:
                allowed.add(name.lower())
    else:
        allowed.add(bind)
    extra = os.environ.get("ACTLAB_ALLOWED_HOSTS", "")
    allowed.update(host_of(h) for h in extra.split(",") if h.strip())
    return allowed


def host_allowed(host: str, allowed: set[str] | frozenset[str]) -> bool:
    """Is ``host`` (from the Host header, port dropped) one this server answers to?"""
    if host in allowed or host.endswith(".localhost"):  # *.localhost is loopback (RFC 6761)
        return True
    try:
        return ipaddress.ip_address(host).is_loopback and "127.0.0.1" in allowed
    except ValueError:
        return False


class ExplorerApp:
    """The ASGI app ``actlab serve`` runs: the Starlette app inside request guards.

    Outermost, so that everything gets the security headers, Starlette's own 500 page included
    (its error middleware sits outside any middleware added to the Starlette app). Before the
    app runs: the Host header must be allowed (400), the headers (431) and query string (414)
    bounded, and there must be no request body (413).
    """

    def __init__(self, app: ASGIApp, allowed_hosts: set[str] | frozenset[str]) -> None:
        self.app = app
        self.allowed_hosts = frozenset(allowed_hosts)

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        raw_host = headers.get(b"host")
        if raw_host is None:
            return 400, "a Host header is required"
        host = host_of(raw_host.decode("latin-1"))
        if not host_allowed(host, self.allowed_hosts):
            return 400, (f"Host {host[:80]!r} is not allowed: this server answers to "
                         f"{', '.join(sorted(self.allowed_hosts))} (a guard against DNS rebinding); "
                         "to reach it under another name, set ACTLAB_ALLOWED_HOSTS=name")
        if sum(len(k) + len(v) + 4 for k, v in scope.get("headers", [])) > MAX_HEADER_BYTES:
            return 431, f"the request headers are longer than {MAX_HEADER_BYTES} bytes"
        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            return 414, f"the query string is longer than {MAX_QUERY_BYTES} bytes"
        length = headers.get(b"content-length", b"0").strip() or b"0"
        if b"transfer-encoding" in headers or not length.isdigit() or int(length) > MAX_BODY_BYTES:
            return 413, "this server takes no request bodies: send GET requests with a query string"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # websockets: none here
            await send({"type": "websocket.close", "code": 1008})
            return

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _with_security_headers(message.get("headers"))}
            await send(message)

        refused = self.refusal(scope)
        if refused is None:
            await self.app(scope, receive, send_secure)
            return
        status, text = refused
        response = (_error(text, status) if scope.get("path", "").startswith("/api/")
                    else Response(text, status_code=status, media_type="text/plain"))
        if status == 413:
            response.headers["connection"] = "close"
        await response(scope, receive, send_secure)


def create_app(allowed_hosts: set[str] | frozenset[str] | None = None) -> ExplorerApp:
    """The ASGI app: the page at ``/``, static files, Plotly.js and the JSON API, guarded.

    ``allowed_hosts``: the names the Host header may carry (port dropped); loopback names by
    default (:func:`default_allowed_hosts`).
    """
    routes = [
        Route("/", index),
        Route("/api/activations", api_activations),
        Route("/api/curve", api_curve),
        Route("/api/properties", api_properties),
        Route("/api/meanfield", api_meanfield),
        Route("/api/formula", api_formula),
        Route("/static/plotly.min.js", plotly),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={ApiError: on_api_error, HTTPException: on_http_error, Exception: on_unexpected},
    )
    return ExplorerApp(app, default_allowed_hosts() if allowed_hosts is None else allowed_hosts)


# ------------------------------------------------------------------------------ serving
def _guarded_protocol() -> type:
    """uvicorn's h11 protocol with a deadline on receiving each request.

    uvicorn closes idle keep-alive connections but waits forever for a request that was begun
    and never finished (slowloris): here a request must arrive whole within
    :data:`REQUEST_TIMEOUT_S` of the connection opening or of the previous response, or it is
    answered 408 and the connection closed. The protocol's own 400 (a malformed request, a head
    over :data:`MAX_HEADER_BYTES`) carries the security headers too.
    """
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    received = (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR)

    class GuardedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(REQUEST_TIMEOUT_S, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state in received:
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self.conn.their_state not in received:
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _too_slow(self) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            if self.cycle is not None and not self.cycle.response_complete:
                return  # the app is answering a request that did arrive
            begun = self.conn.their_state is not h11.IDLE or bool(self.conn.trailing_data[0])
            if begun:
                log.info("closing a connection whose request did not arrive within %gs", REQUEST_TIMEOUT_S)
                self.transport.write(raw_response(
                    408, "Request Timeout",
                    f"the request did not arrive whole within {REQUEST_TIMEOUT_S:g} s"))
            self.transport.close()

        def send_400_response(self, msg: str) -> None:
            self.transport.write(raw_response(400, "Bad Request", f"malformed HTTP request: {msg}"))
            self.transport.close()

    return GuardedH11Protocol


def uvicorn_config(app: Any, host: str = "127.0.0.1", port: int = 8000,
                   log_level: str = "warning") -> Any:
    """uvicorn settings for the explorer: guarded h11 protocol, bounded heads, timeouts, limits."""
    import uvicorn

    return uvicorn.Config(
        app, host=host, port=port, log_level=log_level, http=_guarded_protocol(), ws="none",
        lifespan="off", timeout_keep_alive=int(KEEP_ALIVE_S), limit_concurrency=MAX_CONNECTIONS,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES, server_header=False,
        timeout_graceful_shutdown=5,
    )


def serve(host: str = "127.0.0.1", port: int = 8000, log_level: str = "warning",
          allowed_hosts: set[str] | None = None) -> None:
    """Run the app under uvicorn until interrupted (Ctrl-C).

    The Host header may name loopback, the bound address (all of this machine's names when bound
    to 0.0.0.0 or ::), ``ACTLAB_ALLOWED_HOSTS`` and ``allowed_hosts``.
    """
    import uvicorn

    allowed = default_allowed_hosts(host) | {host_of(h) for h in allowed_hosts or ()}
    isolate_analyses()
    uvicorn.Server(uvicorn_config(create_app(allowed), host=host, port=port, log_level=log_level)).run()
