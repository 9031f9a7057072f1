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

``params`` is a JSON object (``{"beta":1.5}``) or ``beta=1.5,alpha=2``. Bad requests get a 4xx
JSON body ``{"error": "...", "status": N}`` (unknown names add ``"suggestions"``); the server
keeps serving. Heavy analyses run one at a time (a lock) so a burst cannot starve the curves.
"""

from __future__ import annotations

import json
import math
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
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import actlab
from actlab import registry
from actlab.jsonsafe import json_safe
from actlab.spec import ActivationSpec, Domain, Param

STATIC = Path(__file__).with_name("static")
MAX_POINTS = 20001  # one curve request; 4 arrays of 20001 doubles is ~1.6 MB of JSON
MAX_ABS_X = 1e6  # beyond this the page shows nothing useful and the grid loses resolution
MAX_MEANFIELD_POINTS = 400
ANALYSIS_WAIT_S = 60.0  # a request waits this long for the analysis lock, then gets a 503

# The browser may load only what this server sends: no CDN, no external URL, ever. Plotly
# writes inline styles (hence 'unsafe-inline' for styles only) and exports PNGs via data:/blob:.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

_analysis_lock = threading.Lock()


class ApiError(Exception):
    """A bad request: answered as ``{"error": message, "status": status, **extra}``."""

    def __init__(self, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.message, self.status, self.extra = message, status, extra


# ------------------------------------------------------------------------------ optional parts
def _properties_module() -> Any | None:
    """:mod:`actlab.analysis.properties` if it is installed (it is another issue's work)."""
    try:
        from actlab.analysis import properties
    except ImportError:
        return None
    return properties


def _meanfield_module() -> Any | None:
    try:
        from actlab.analysis import meanfield
    except ImportError:
        return None
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
def _number(text: str | None, what: str, default: float | None = None) -> float:
    if text is None or text == "":
        if default is None:
            raise ApiError(f"'{what}' is required: give a finite number, e.g. {what}=1")
        return default
    try:
        value = float(text)
    except ValueError:
        raise ApiError(f"'{what}' must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ApiError(f"'{what}' must be a finite number, got {text!r}")
    return value


def _count(text: str | None, what: str, default: int, low: int, high: int) -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise ApiError(f"'{what}' must be a whole number, got {text!r}") from None
    if not low <= value <= high:
        raise ApiError(f"'{what}'={value} is out of range: use {low} <= {what} <= {high}")
    return value


def parse_params(text: str | None) -> dict[str, float]:
    """``{"beta": 1.5}`` (JSON) or ``beta=1.5,alpha=2`` -> ``{"beta": 1.5, "alpha": 2.0}``."""
    if text is None or not text.strip():
        return {}
    text = text.strip()
    if text.startswith("{"):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as e:
            raise ApiError(f"'params' is not valid JSON ({e.msg}); send e.g. {{\"beta\": 1.5}}") from None
        if not isinstance(raw, dict):
            raise ApiError("'params' must be a JSON object, e.g. {\"beta\": 1.5}")
        items = list(raw.items())
    else:
        items = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, value = part.replace(":", "=", 1).partition("=")
            if not sep:
                raise ApiError(f"'params' expects NAME=VALUE pairs, e.g. beta=1.5; got {part!r}")
            items.append((key.strip(), value.strip()))
    out = {}
    for key, value in items:
        if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
            raise ApiError(f"parameter '{key}' must be a number, got {json.dumps(value)}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ApiError(f"parameter '{key}' must be a number, got {value!r}") from None
        if not math.isfinite(number):
            raise ApiError(f"parameter '{key}' must be a finite number, got {value!r}")
        out[str(key)] = number
    return out


def find_spec(name: str | None) -> ActivationSpec:
    """The spec called ``name``; 404 with suggestions for an unknown one."""
    if name is None or not name.strip():
        raise ApiError("'name' is required, e.g. name=mish; GET /api/activations lists them all")
    try:
        return actlab.get_spec(name)
    except ValueError as e:
        raise ApiError(str(e), 404, suggestions=registry.suggestions(name)) from None


def resolve(spec: ActivationSpec, params: Mapping[str, float]) -> dict[str, float]:
    """Defaults filled in and domains checked by the spec; its errors become 400s."""
    try:
        return {k: float(v) for k, v in spec.resolve(dict(params)).items()}
    except (TypeError, ValueError) as e:
        raise ApiError(str(e)) from None


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
    act = actlab.get(spec.name, **params)
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


def _locked(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one heavy analysis at a time; a request that waits too long gets a 503."""
    if not _analysis_lock.acquire(timeout=ANALYSIS_WAIT_S):
        raise ApiError("the server is busy with other analyses; try again in a moment", 503)
    try:
        return fn(*args, **kwargs)
    finally:
        _analysis_lock.release()


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
        props = _locked(module.analyze, spec.name, values, cost=False, taylor=True)
    except ValueError as e:  # gated / concatenated: not a function of one variable
        out["message"] = str(e)
        return out
    row = module.summary_row(props)
    out["rows"] = [{"key": k, "label": label, "value": str(row[k])} for k, label in PROPERTY_ROWS.items()
                   if k in row]
    out["measured"] = json_safe(props.as_dict(), inf_as_text=False)
    return out


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

    def compute() -> dict[str, Any]:
        field_of = getattr(module, "_field", None)
        if field_of is not None:  # chi_1 at q* only: analyse() also solves for c*, ~20x slower
            fld = field_of(spec.name, values)
            qs = [fld.q_star(float(s), sigma_b2) for s in grid]
            chi = [fld.chi1(float(s), q) for s, q in zip(grid, qs)]
        else:
            res = [module.analyse(spec.name, float(s), sigma_b2, **values) for s in grid]
            qs, chi = [r.q_star for r in res], [r.chi1 for r in res]
        try:
            critical, reason = module.edge_of_chaos(spec.name, sigma_b2, **values), ""
        except ValueError as e:
            critical, reason = None, str(e)
        return {"q_star": qs, "chi1": chi, "critical": critical, "reason": reason}

    try:
        got = _locked(compute)
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
def _error(message: str, status: int, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, "status": status, **extra}, status_code=status)


def api_activations(request: Request) -> JSONResponse:
    return JSONResponse(activations_payload())


def api_curve(request: Request) -> JSONResponse:
    q = request.query_params
    payload = curve_payload(
        q.get("name"), parse_params(q.get("params")), _number(q.get("xmin"), "xmin", -6.0),
        _number(q.get("xmax"), "xmax", 6.0), _count(q.get("n"), "n", 801, 2, MAX_POINTS),
    )
    return JSONResponse(payload)


def api_properties(request: Request) -> JSONResponse:
    q = request.query_params
    return JSONResponse(properties_payload(q.get("name"), parse_params(q.get("params"))))


def api_meanfield(request: Request) -> JSONResponse:
    q = request.query_params
    payload = meanfield_payload(
        q.get("name"), parse_params(q.get("params")), _number(q.get("sigma_b2"), "sigma_b2", 0.0),
        _number(q.get("sw_min"), "sw_min", 0.05), _number(q.get("sw_max"), "sw_max", 4.0),
        _count(q.get("n"), "n", 80, 2, MAX_MEANFIELD_POINTS),
    )
    return JSONResponse(payload)


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


class _SecurityHeaders:
    """Pure ASGI middleware: CSP and friends on every response (keeps streaming intact)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"content-security-policy", CSP.encode()),
                            (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app() -> Starlette:
    """The ASGI app: the page at ``/``, static files, Plotly.js and the JSON API."""
    routes = [
        Route("/", index),
        Route("/api/activations", api_activations),
        Route("/api/curve", api_curve),
        Route("/api/properties", api_properties),
        Route("/api/meanfield", api_meanfield),
        Route("/static/plotly.min.js", plotly),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={ApiError: on_api_error, HTTPException: on_http_error, Exception: on_unexpected},
    )
    app.add_middleware(_SecurityHeaders)
    return app


def serve(host: str = "127.0.0.1", port: int = 8000, log_level: str = "warning") -> None:
    """Run the app under uvicorn until interrupted (Ctrl-C)."""
    import uvicorn

    uvicorn.run(create_app(), host=host, port=port, log_level=log_level)
