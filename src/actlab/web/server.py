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
``GET /report/...`` (``actlab serve --report DIR`` only)
    the folder ``actlab report`` wrote, read-only, through the same static-file logic as
    ``/static`` (paths resolved inside DIR, no symlinks out of it, ``..`` refused);
    ``/api/activations`` then adds ``"report"``: the activations with a page
    ``activations/NAME.html`` there, which the page links to.

This module wires the app (routes to endpoints, :func:`create_app`) and runs it (:func:`serve`).
The pieces, each its own module, and their names re-exported here:

* :mod:`~actlab.web.errors`: :class:`ApiError` and the JSON error body (a 4xx with the reason,
  never a 500; unknown names add ``"suggestions"``); the server keeps serving;
* :mod:`~actlab.web.request`: query values bounded and parsed, names and parameters checked;
* :mod:`~actlab.web.payloads`: the catalog's facts, slider ranges and the curves;
* :mod:`~actlab.web.analyses`: measured properties and chi_1, in a worker process;
* :mod:`~actlab.web.guards`: security headers, the Host allow-list against DNS rebinding (loopback
  names by default), request size bounds;
* :mod:`~actlab.web.protocol`: uvicorn's settings and the deadline on receiving a request
  (slow or half-sent requests are answered 408 and closed): :func:`uvicorn_config`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import actlab

from .analyses import (
    ANALYSIS_WAIT_S,
    MAX_MEANFIELD_POINTS,
    PROPERTY_ROWS,
    features,
    isolate_analyses,
    meanfield_payload,
    properties_payload,
)
from .errors import ApiError, JSONResponse, on_api_error, on_http_error, on_unexpected
from .guards import (
    CSP,
    LOOPBACK_HOSTS,
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    MAX_QUERY_BYTES,
    SECURITY_HEADERS,
    ExplorerApp,
    default_allowed_hosts,
    host_allowed,
    host_of,
    raw_response,
)
from .payloads import MAX_ABS_X, MAX_POINTS, curve_payload, finite_or_none, plotted, slider, spec_facts
from .protocol import KEEP_ALIVE_S, MAX_CONNECTIONS, REQUEST_TIMEOUT_S, uvicorn_config
from .request import (
    MAX_JSON_DEPTH,
    MAX_NUMBER_CHARS,
    MAX_PARAMS,
    MAX_TEXT,
    RELATIONS,
    check_relations,
    explored,
    explored_spec,
    find_spec,
    parse_params,
    query,
    query_count,
    query_number,
    resolve,
)

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
    "explored",
    "explored_spec",
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
    "report_index",
    "report_pages",
    "resolve",
    "serve",
    "slider",
    "spec_facts",
    "uvicorn_config"
]

STATIC = Path(__file__).with_name("static")


def plotly_js() -> Path:
    """plotly.min.js as shipped inside the installed ``plotly`` Python package."""
    path = resources.files("plotly") / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(
            f"plotly.min.js is not at {path}; reinstall the plotly package (pip install plotly)"
        )
    return Path(str(path))


@cache
def activations_payload() -> dict[str, Any]:
    """The catalog for the page: the facts of every activation it draws (:func:`explored`), their
    families, the analyses there are, the request limits."""
    specs = [s for s in actlab.specs() if explored(s)]
    return {
        "version": actlab.__version__,
        "families": [f for f in actlab.families() if any(s.family == f for s in specs)],
        "activations": [spec_facts(s) for s in specs],
        "features": features(),
        "limits": {"max_points": MAX_POINTS, "max_abs_x": MAX_ABS_X,
                   "max_meanfield_points": MAX_MEANFIELD_POINTS},
    }


def report_pages(report_dir: Path) -> dict[str, Any]:
    """What ``actlab serve --report DIR`` adds to the catalog: the report's address and the
    activations (drawn by the page) that have a page ``activations/NAME.html`` in DIR, read at
    each request (the report may be rewritten while the server runs)."""
    pages = report_dir / "activations"
    names = [a["name"] for a in activations_payload()["activations"]
             if (pages / f"{a['name']}.html").is_file()]
    return {"index": "/report/", "pages": names}


# ------------------------------------------------------------------------------ endpoints
def api_activations(request: Request) -> JSONResponse:
    report_dir: Path | None = request.app.state.report_dir
    if report_dir is None:
        return JSONResponse(activations_payload())
    return JSONResponse({**activations_payload(), "report": report_pages(report_dir)})


def api_curve(request: Request) -> JSONResponse:
    payload = curve_payload(
        query(request, "name"), parse_params(query(request, "params")),
        query_number(request, "xmin", -6.0), query_number(request, "xmax", 6.0),
        query_count(request, "n", 801, 2, MAX_POINTS),
    )
    return JSONResponse(payload)


def api_properties(request: Request) -> JSONResponse:
    return JSONResponse(properties_payload(query(request, "name"), parse_params(query(request, "params"))))


def api_meanfield(request: Request) -> JSONResponse:
    payload = meanfield_payload(
        query(request, "name"), parse_params(query(request, "params")),
        query_number(request, "sigma_b2", 0.0), query_number(request, "sw_min", 0.05),
        query_number(request, "sw_max", 4.0), query_count(request, "n", 80, 2, MAX_MEANFIELD_POINTS),
    )
    return JSONResponse(payload)


def api_formula(request: Request) -> Response:
    """The spec's formula as SVG, typeset on the server (no math library in the browser)."""
    from . import formula

    spec = find_spec(query(request, "name"))
    svg = formula.svg(spec.formula)
    return Response(svg, media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=3600"})


def index(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


def report_index(request: Request) -> Response:
    """``/report/``: the report's own page (``report.html``; the folder has no index.html)."""
    report_dir: Path = request.app.state.report_dir
    return FileResponse(report_dir / "report.html", media_type="text/html; charset=utf-8")


def plotly(request: Request) -> Response:
    # the file changes only with the plotly package: let the browser keep it for a day
    return FileResponse(plotly_js(), media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=86400"})


# ------------------------------------------------------------------------------ the app
def create_app(allowed_hosts: set[str] | frozenset[str] | None = None,
               report_dir: Path | None = None) -> ExplorerApp:
    """The ASGI app: the page at ``/``, static files, Plotly.js and the JSON API, guarded.

    ``allowed_hosts``: the names the Host header may carry (port dropped); loopback names by
    default (:func:`default_allowed_hosts`). ``report_dir``: a folder ``actlab report`` wrote,
    served read-only under ``/report/`` (``actlab serve --report``); none by default.
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
    if report_dir is not None:
        report_dir = Path(report_dir).resolve()
        routes += [Route("/report/", report_index),
                   Mount("/report", StaticFiles(directory=report_dir), name="report")]
    app = Starlette(
        routes=routes,
        exception_handlers={ApiError: on_api_error, HTTPException: on_http_error, Exception: on_unexpected},
    )
    app.state.report_dir = report_dir
    return ExplorerApp(app, default_allowed_hosts() if allowed_hosts is None else allowed_hosts)


def serve(host: str = "127.0.0.1", port: int = 8000, log_level: str = "warning",
          allowed_hosts: Iterable[str] | None = None, report_dir: Path | None = None) -> None:
    """Run the app under uvicorn until interrupted (Ctrl-C).

    The Host header may name loopback, the bound address (all of this machine's names when bound
    to 0.0.0.0 or ::), ``ACTLAB_ALLOWED_HOSTS`` and ``allowed_hosts`` (``actlab serve
    --allow-host``; a port or a final dot is dropped, case ignored). ``report_dir``: see
    :func:`create_app`.
    """
    import uvicorn

    allowed = default_allowed_hosts(host) | {host_of(h) for h in allowed_hosts or ()}
    isolate_analyses()
    app = create_app(allowed, report_dir)
    uvicorn.Server(uvicorn_config(app, host=host, port=port, log_level=log_level)).run()
