"""The JSON API of ``actlab serve``, against a live server on 127.0.0.1.

Curves are checked against closed forms written here from the papers (Swish: Ramachandran et
al. 2017; Mish: Misra 2019) and against the library itself (the API must *be* the library);
mean-field numbers against closed forms (ReLU: chi_1 = sigma_w^2 / 2, He et al. 2015; tanh at
sigma_b^2 = 0: q* = 0 below the edge, so chi_1 = sigma_w^2 tanh'(0)^2 = sigma_w^2).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import sys
import time
from importlib import resources

import httpx
import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import expit
from typer.testing import CliRunner

import actlab
from actlab.cli import app as actlab_app
from actlab.cli.serve import is_loopback
from actlab.composite import ConcatenatedSpec, GatedSpec, RandomizedSpec, is_composite
from actlab.spec import ActivationSpec
from actlab.web import analyses, server


@pytest.fixture(scope="module")
def client(live_server: str):
    with httpx.Client(base_url=live_server, timeout=60) as c:
        yield c


def strict_json(text: str):
    """Parse JSON refusing NaN/Infinity tokens (which are not JSON)."""
    def bad(token: str):
        raise AssertionError(f"non-standard JSON constant {token} in the response")
    return json.loads(text, parse_constant=bad)


def curve(client: httpx.Client, **query) -> dict:
    if "params" in query and isinstance(query["params"], dict):
        query["params"] = json.dumps(query["params"])
    r = client.get("/api/curve", params=query)
    assert r.status_code == 200, r.text
    return strict_json(r.text)


# ------------------------------------------------------------------------------ catalog
def test_catalog_is_the_library(client):
    body = client.get("/api/activations").json()
    drawn = [s for s in actlab.specs() if isinstance(s, ActivationSpec) or is_composite(s)]
    assert [a["name"] for a in body["activations"]] == [s.name for s in drawn]  # catalog order
    assert body["families"] == [f for f in actlab.families() if any(s.family == f for s in drawn)]
    assert body["limits"]["max_points"] == 20001
    swish = next(a for a in body["activations"] if a["name"] == "swish")
    spec = actlab.get_spec("swish")
    assert swish["formula"] == spec.formula and swish["citation"] == spec.citation
    (beta,) = swish["params"]
    assert beta["name"] == "beta" and beta["default"] == 1.0 and beta["learnable"] is True
    assert beta["domain"]["low"] is None and beta["domain"]["high"] is None  # (-inf, inf)


def test_each_composite_names_its_elementwise_base_as_gate(client):
    """The "gate" field is the spec's ``base`` (GLU's gate, CReLU's f, RReLU's leaky ReLU), null
    for an elementwise activation; mean field refuses a gated one naming that base."""
    body = client.get("/api/activations").json()
    bases = {}
    for a in body["activations"]:
        spec = actlab.get_spec(a["name"])
        built = isinstance(spec, (GatedSpec, ConcatenatedSpec, RandomizedSpec))
        assert a["gate"] == (spec.base.name if built else None), a["name"]
        bases[type(spec).__name__] = a["gate"]
    assert bases["GatedSpec"] and bases["ConcatenatedSpec"] and bases["RandomizedSpec"] == "leaky_relu"
    r = client.get("/api/meanfield", params={"name": "swiglu"})
    assert r.status_code == 400 and "look at its gate 'silu'" in r.json()["error"], r.text


def test_sliders_stay_inside_every_domain(client):
    """Every parameter of the catalog gets a slider whose ends lie in its domain (open ends,
    excluded points) and that contains the default, with at least 50 steps."""
    for a in client.get("/api/activations").json()["activations"]:
        spec = actlab.get_spec(a["name"])
        for p, param in zip(a["params"], spec.params):
            sl = p["slider"]
            assert sl["min"] in param.domain and sl["max"] in param.domain, (a["name"], p)
            assert sl["min"] <= param.default <= sl["max"], (a["name"], p)
            assert (sl["max"] - sl["min"]) / sl["step"] >= 50, (a["name"], p)


def test_a_float_max_default_gets_a_finite_slider():
    """A default meaning 'no cap' (float max, e.g. Keras's relu max_value): the slider's ends
    would overflow to inf, which JSON cannot carry; it spans ±default instead."""
    from actlab.spec import Domain, Param

    big = sys.float_info.max
    sl = server.slider(Param("cap", big, Domain()))
    assert sl == {"min": -big, "max": big, "step": 1e306}
    sl = server.slider(Param("cap", big, Domain(0.0, math.inf, low_closed=False)))
    assert sl["min"] == sl["step"] > 0 and sl["max"] == big  # the open end moved in by one step
    assert all(math.isfinite(v) for v in sl.values())


# ------------------------------------------------------------------------------ curves
def test_swish_curve_equals_closed_form_and_library(client):
    beta = 1.5
    c = curve(client, name="swish", params={"beta": beta}, xmin=-8, xmax=8, n=161)
    x = np.array(c["x"])
    assert len(x) == 161 and x[0] == -8 and x[-1] == 8
    s = expit(beta * x)  # Swish: x·σ(βx); f' = s + βx s(1-s); f'' = β s(1-s)(2 + βx(1-2s))
    np.testing.assert_allclose(c["f"], x * s, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(c["df"], s + beta * x * s * (1 - s), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(c["d2f"], beta * s * (1 - s) * (2 + beta * x * (1 - 2 * s)),
                               rtol=1e-10, atol=1e-14)
    act = actlab.get("swish", beta=beta)  # and it is exactly what the library computes
    np.testing.assert_array_equal(c["f"], act.forward(x))
    np.testing.assert_array_equal(c["df"], act.derivative(x))
    np.testing.assert_array_equal(c["d2f"], act.second_derivative(x))
    assert c["params"] == {"beta": beta} and c["plotted"] == "swish"


def test_mish_curve_equals_closed_form(client):
    c = curve(client, name="mish", xmin=-20, xmax=20, n=401)
    x = np.array(c["x"])
    sp = np.logaddexp(0.0, x)  # Mish: x·tanh(softplus(x)); f' = tanh(sp) + x sech²(sp) σ(x)
    np.testing.assert_allclose(c["f"], x * np.tanh(sp), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(c["df"], np.tanh(sp) + x * expit(x) / np.cosh(sp) ** 2,
                               rtol=1e-12, atol=1e-14)


def test_every_catalog_activation_has_a_curve(client):
    """The whole catalog the explorer lists (it grows): each curve is the library's, at the
    defaults. It lists what the report's per-activation sections cover: elementwise activations
    and those built from one (GLU family, CReLU)."""
    listed = [a["name"] for a in client.get("/api/activations").json()["activations"]]
    assert listed == [s.name for s in actlab.specs() if isinstance(s, ActivationSpec) or is_composite(s)]
    x = np.linspace(-6, 6, 61)
    for name in listed:
        c = curve(client, name=name, n=61)
        spec = actlab.get_spec(name)
        act = actlab.get(spec.base_name) if spec.kind in ("gated", "concatenated") else actlab.get(name)
        assert c["plotted"] == act.spec.name and len(c["x"]) >= 61
        want = act.forward(x)  # non-finite values are sent as null (log1mexp(0) = -inf)
        want = np.where(np.isfinite(want), want, np.nan)
        np.testing.assert_array_equal(np.array(c["f"], dtype=float)[np.isin(c["x"], x)], want)


def test_other_kinds_are_left_out_with_the_reason(client):
    """Softmax, maxout, Dynamic ReLU, ...: not functions of one variable nor built from one. The
    page does not list them; asked for anyway, each endpoint says why (a 400, never a 500)."""
    catalog = client.get("/api/activations").json()
    others = [s for s in actlab.specs() if not (isinstance(s, ActivationSpec) or is_composite(s))]
    listed = {a["name"] for a in catalog["activations"]}
    assert not listed & {s.name for s in others}
    assert set(catalog["families"]) == {a["family"] for a in catalog["activations"]}
    for spec in others:
        for path in ("/api/curve", "/api/properties", "/api/meanfield"):
            r = client.get(path, params={"name": spec.name})
            assert r.status_code == 400, (spec.name, path, r.text)
            assert "not a function of one variable" in r.json()["error"] and spec.kind in r.json()["error"]


def test_kinks_are_sampled_and_use_the_pytorch_convention(client):
    c = curve(client, name="relu", xmin=-1, xmax=1, n=4)  # the grid ±1, ±1/3 misses 0
    assert 0.0 in c["x"] and c["kinks"] == [0.0]
    i = c["x"].index(0.0)
    assert c["f"][i] == 0.0 and c["df"][i] == 0.0  # ReLU'(0) = 0 as in PyTorch
    assert c["f"][-1] == 1.0 and c["df"][-1] == 1.0


def test_non_finite_values_are_null(client):
    c = curve(client, name="exponential", xmin=700, xmax=720, n=5)  # exp overflows past 709.78
    assert c["f"][0] == pytest.approx(math.exp(700), rel=1e-15)
    assert c["f"][1] == pytest.approx(math.exp(705), rel=1e-15)
    assert c["f"][2:] == [None, None, None] and c["df"][2:] == [None, None, None]


def test_gated_activation_draws_its_gate(client):
    c = curve(client, name="swiglu", xmin=-4, xmax=4, n=9)
    assert c["plotted"] == "silu" and "gate" in c["note"]
    x = np.array(c["x"])
    np.testing.assert_allclose(c["f"], x * expit(x), rtol=1e-14)


@pytest.mark.parametrize(("query", "status", "says"), [
    ({"name": "mihs"}, 404, ["unknown activation 'mihs'", "mish"]),
    ({}, 400, ["'name' is required"]),
    ({"name": "softplus", "params": '{"beta": -1}'}, 400, ["'beta'=-1", "(0, inf)"]),
    ({"name": "celu", "params": "alpha=0"}, 400, ["'alpha'=0", "outside its domain"]),
    ({"name": "relu", "params": "gamma=2"}, 400, ["unknown parameter", "gamma"]),
    ({"name": "swish", "params": "{beta: 1}"}, 400, ["not valid JSON"]),
    ({"name": "swish", "params": "[1.5]"}, 400, ["'params' expects NAME=VALUE"]),
    ({"name": "swish", "params": '{"beta": true}'}, 400, ["'beta' must be a number"]),
    ({"name": "swish", "params": '{"beta": "fast"}'}, 400, ["'beta' must be a number"]),
    ({"name": "swish", "params": "beta=nan"}, 400, ["finite"]),
    ({"name": "relu", "n": "20002"}, 400, ["2 <= n <= 20001"]),
    ({"name": "relu", "n": "1"}, 400, ["2 <= n <= 20001"]),
    ({"name": "relu", "n": "many"}, 400, ["'n' must be a whole number"]),
    ({"name": "relu", "xmin": "2", "xmax": "2"}, 400, ["must be less than xmax"]),
    ({"name": "relu", "xmin": "abc"}, 400, ["'xmin' must be a number, got 'abc'"]),
    ({"name": "relu", "xmax": "inf"}, 400, ["'xmax' must be a finite number"]),
    ({"name": "relu", "xmin": "-1e7"}, 400, ["too wide"]),
])
def test_bad_curve_requests_get_a_clear_4xx(client, query, status, says):
    r = client.get("/api/curve", params=query)
    assert r.status_code == status, r.text
    body = strict_json(r.text)
    assert body["status"] == status
    for text in says:
        assert text in body["error"], body
    if status == 404:
        assert "mish" in body["suggestions"]
    assert client.get("/api/curve", params={"name": "relu", "n": 3}).status_code == 200  # still up


def test_unknown_endpoint_is_json_404(client):
    r = client.get("/api/nope")
    assert r.status_code == 404 and r.json()["error"] == "no such endpoint /api/nope"


# ------------------------------------------------------------------------------ properties
def test_properties_relu_against_closed_forms(client):
    body = client.get("/api/properties", params={"name": "relu"}).json()
    assert body["spec"]["formula"] == actlab.get_spec("relu").formula
    m = body["measured"]
    assert m["kinks"] == [0.0] and m["smoothness"] == "C0"
    assert m["gaussian_mean"] == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-9)  # E max(0,z) = φ(0)
    assert m["gaussian_var"] == pytest.approx(0.5 - 1 / (2 * math.pi), rel=1e-9)
    rows = {r["label"]: r["value"] for r in body["rows"]}
    assert rows["range"] == "[0, ∞)" and rows["smoothness"] == "C0"


def test_properties_follow_the_parameters(client):
    beta = 1.5
    body = client.get("/api/properties", params={"name": "swish", "params": f"beta={beta}"}).json()
    m = body["measured"]
    assert m["params"] == {"beta": beta}
    best = minimize_scalar(lambda t: t * expit(beta * t), bounds=(-5, 0), method="bounded",
                           options={"xatol": 1e-12})
    assert m["min_value"] == pytest.approx(best.fun, rel=1e-9)
    assert m["argmin"] == pytest.approx(best.x, abs=1e-5)


def test_properties_of_a_gated_activation_explain_why_not(client):
    body = client.get("/api/properties", params={"name": "swiglu"}).json()
    assert body["measured"] is None and "gated" in body["message"] and "silu" in body["message"]
    assert body["spec"]["kind"] == "gated"


def test_properties_without_the_analysis_module_show_spec_facts(monkeypatch):
    monkeypatch.setattr(analyses, "_properties_module", lambda: None)
    body = server.properties_payload("mish", {})
    assert body["measured"] is None and "not installed" in body["message"]
    assert body["spec"]["citation"] == actlab.get_spec("mish").citation


# ------------------------------------------------------------------------------ mean field
def test_meanfield_relu_is_half_sigma_w2(client):
    body = client.get("/api/meanfield", params={"name": "relu", "sw_min": 0.5, "sw_max": 4, "n": 8}).json()
    sw = np.array(body["sigma_w2"])
    np.testing.assert_allclose(body["chi1"], sw / 2, rtol=1e-12)
    assert body["critical_sigma_w2"] == pytest.approx(2.0, rel=1e-9)


def test_meanfield_tanh_edge_of_chaos_at_one(client):
    body = client.get("/api/meanfield", params={"name": "tanh", "sw_min": 0.1, "sw_max": 0.9, "n": 5}).json()
    np.testing.assert_allclose(body["chi1"], body["sigma_w2"], rtol=1e-9)
    assert body["q_star"] == [0.0] * 5
    assert body["critical_sigma_w2"] == pytest.approx(1.0, rel=1e-6)


def test_meanfield_bad_requests(client):
    r = client.get("/api/meanfield", params={"name": "glu"})
    assert r.status_code == 400 and "gated" in r.json()["error"]
    r = client.get("/api/meanfield", params={"name": "tanh", "sigma_b2": "-1"})
    assert r.status_code == 400 and "sigma_b2" in r.json()["error"]
    r = client.get("/api/meanfield", params={"name": "tanh", "n": "401"})
    assert r.status_code == 400 and "n <= 400" in r.json()["error"]


def test_meanfield_without_the_module_is_501(monkeypatch):
    monkeypatch.setattr(analyses, "_meanfield_module", lambda: None)
    with pytest.raises(server.ApiError) as e:
        server.meanfield_payload("tanh", {}, 0.0, 0.1, 4.0, 10)
    assert e.value.status == 501 and "not installed" in e.value.message


# ------------------------------------------------------------------------------ page, offline
def test_page_and_plotly_are_served_locally(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    refs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert "/static/plotly.min.js" in refs and all(ref.startswith("/") for ref in refs), refs
    shipped = (resources.files("plotly") / "package_data" / "plotly.min.js").read_bytes()
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and js.content == shipped
    scripts = sorted(p.name for p in server.STATIC.glob("*.js"))
    assert {"app.js", "core.js", "curves.js", "analyses.js", "search.js"} <= set(scripts)
    for name in ("index.html", "style.css", *scripts):
        text = (server.STATIC / name).read_text()
        assert not re.search(r"https?://|//cdn|@import", text), f"external reference in {name}"


# ------------------------------------------------------------------------------ load
def test_200_concurrent_curve_requests(live_server):
    """200 curve requests at once (plus 20 bad ones) on 127.0.0.1: all answered, all right."""
    names = ["mish", "swish", "gelu", "relu", "tanh", "elu", "softplus", "selu", "sigmoid", "silu"]

    async def fire() -> list[tuple[str, dict, httpx.Response]]:
        limits = httpx.Limits(max_connections=220, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=live_server, timeout=60, limits=limits) as c:
            queries = []
            for i in range(200):
                name = names[i % len(names)]
                params = {"beta": 0.5 + i / 100} if name == "swish" else {}
                queries.append(("good", {"name": name, "params": json.dumps(params), "n": 801,
                                         "xmin": -5 - i % 7, "xmax": 5}))
            queries += [("bad", {"name": "swish", "n": 10**6})] * 10
            queries += [("bad", {"name": f"nosuch{i}"}) for i in range(10)]
            responses = await asyncio.gather(*(c.get("/api/curve", params=q) for _, q in queries))
            return [(kind, q, r) for (kind, q), r in zip(queries, responses)]

    start = time.monotonic()
    results = asyncio.run(fire())
    elapsed = time.monotonic() - start
    good = [(q, r) for kind, q, r in results if kind == "good"]
    assert len(good) == 200 and all(r.status_code == 200 for _, r in good)
    assert all(400 <= r.status_code < 500 for kind, _, r in results if kind == "bad")
    for q, r in good[::17]:  # a sample: values are the library's
        body = r.json()
        x = np.array(body["x"])
        np.testing.assert_array_equal(body["f"], actlab.get(q["name"], **json.loads(q["params"])).forward(x))
    assert elapsed < 45, f"200 concurrent requests took {elapsed:.1f} s"
    assert httpx.get(f"{live_server}/api/curve", params={"name": "mish", "n": 5}).status_code == 200


# ------------------------------------------------------------------------------ CLI
def test_serve_command_checks_its_options(monkeypatch):
    calls = []
    monkeypatch.setattr(server, "serve", lambda **kw: calls.append(kw))
    runner = CliRunner()
    result = runner.invoke(actlab_app, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert calls == [{"host": "127.0.0.1", "port": 8123, "log_level": "warning", "allowed_hosts": []}]
    result = runner.invoke(actlab_app, ["serve", "--host", "0.0.0.0", "--port", "8124"])
    assert result.exit_code == 0 and "not a loopback address" in result.output
    result = runner.invoke(actlab_app, ["serve", "--port", "70000"])
    assert result.exit_code == 2 and "--port 70000" in result.stderr and not calls[2:]
    assert all(is_loopback(h) for h in ("127.0.0.2", "::1", "localhost"))
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")


def test_serve_command_passes_each_allow_host_to_the_server(monkeypatch):
    calls = []
    monkeypatch.setattr(server, "serve", lambda **kw: calls.append(kw))
    runner = CliRunner()
    result = runner.invoke(actlab_app, ["serve", "--port", "8125", "--allow-host", "Lab.Example",
                                        "--allow-host", "box:8000"])
    assert result.exit_code == 0, result.output
    assert calls == [{"host": "127.0.0.1", "port": 8125, "log_level": "warning",
                      "allowed_hosts": ["Lab.Example", "box:8000"]}]
    for bad in ("a.example,b.example", "", "http://a.example/"):
        result = runner.invoke(actlab_app, ["serve", "--allow-host", bad])
        assert result.exit_code == 2 and "--allow-host" in result.stderr, (bad, result.output)
    assert len(calls) == 1


def test_serve_answers_to_the_allowed_hosts_and_still_refuses_others(monkeypatch):
    """``serve(allowed_hosts=...)`` (what ``--allow-host`` passes) reaches the Host guard: those
    names (port, case and final dot ignored) are answered, loopback still is, others are not."""
    monkeypatch.delenv("ACTLAB_ALLOWED_HOSTS", raising=False)
    started = []

    class NoServer:
        def __init__(self, config):
            started.append(config)

        def run(self):
            pass

    import uvicorn

    monkeypatch.setattr(uvicorn, "Server", NoServer)
    monkeypatch.setattr(server, "isolate_analyses", lambda: None)
    server.serve(port=8126, allowed_hosts=["Lab.Example", "box:8000"])
    (config,) = started
    guard = config.app

    def refused(host: str):
        return guard.refusal({"type": "http", "headers": [(b"host", host.encode())], "query_string": b""})

    for ok in ("lab.example:8126", "LAB.EXAMPLE.", "box", "localhost:8126", "127.0.0.1"):
        assert refused(ok) is None, ok
    status, message = refused("evil.example:8126")
    assert status == 400 and "--allow-host" in message and "lab.example" in message
