"""``actlab serve`` under hostile or broken clients (issue 16, "Web server").

Every malformed or out-of-domain request is a 4xx with a JSON reason, never a 500; every
response, errors included, carries the security headers; the Host header must be a loopback
name (DNS rebinding); requests are bounded in size and nesting; a client that sends a request
slowly or half of one is answered 408 and disconnected. Against the live server of conftest.py,
which runs the settings ``actlab serve`` uses; protocol-level cases over raw sockets.
"""

from __future__ import annotations

import json
import math
import random
import socket
import threading
import time
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

import actlab
from actlab.web import protocol, server

HEADERS = {"content-security-policy": "default-src 'self'", "x-content-type-options": "nosniff",
           "x-frame-options": "DENY", "referrer-policy": "no-referrer"}


@pytest.fixture(scope="module")
def client(live_server: str):
    with httpx.Client(base_url=live_server, timeout=60) as c:
        yield c


def address(live_server: str) -> tuple[str, int]:
    parts = urlsplit(live_server)
    return parts.hostname, parts.port


def assert_secure(headers) -> None:
    for name, value in HEADERS.items():
        assert value in headers.get(name, ""), (name, dict(headers))


def raw(live_server: str, data: bytes, wait: float = 10.0) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes it (or ``wait``)."""
    with socket.create_connection(address(live_server), timeout=wait) as s:
        s.sendall(data)
        return read_all(s, wait)


def read_all(s: socket.socket, wait: float) -> bytes:
    s.settimeout(wait)
    got = b""
    try:
        while chunk := s.recv(65536):
            got += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return got


def head_and_body(response: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return status, headers, body


# ------------------------------------------------------------------------------ bad input: 4xx
NESTED = '{"beta": ' + "[" * 900 + "]" * 900 + "}"  # as deep as fits in a parameter's length
DIGITS = "1" * 5000

BAD = [
    # (endpoint, query, what the error says)
    ("curve", {"name": "swish", "params": NESTED}, "nested too deeply"),
    ("curve", {"name": "swish", "params": '{"beta": {"a": {"b": {"c": {"d": 1}}}}}'}, "nested too deeply"),
    ("curve", {"name": "swish", "params": '{"beta": [1]}'}, "must be a number"),
    ("curve", {"name": "swish", "params": '{"beta": ' + "[" * 3000 + "]" * 3000 + "}"}, "longer than 8192"),
    ("curve", {"name": "swish", "params": "[" * 1500}, "'params'"),
    ("curve", {"name": "swish", "params": '{"\\ud800": 1}'}, "unknown parameter"),
    ("curve", {"name": "swish", "params": '{"beta": ' + DIGITS + "}"}, "too long"),
    ("curve", {"name": "swish", "params": '{"beta": ' + "1" * 1900 + "}"}, "at most 64"),
    ("curve", {"name": "swish", "params": '{"beta": ' + "9" * 400 + "}"}, "at most 64"),
    ("curve", {"name": "swish", "params": "beta=" + "9" * 400}, "at most 64"),
    ("curve", {"name": "swish", "params": '{"beta": 1e400}'}, "finite"),
    ("curve", {"name": "swish", "params": '{"beta": NaN}'}, "not JSON"),
    ("curve", {"name": "swish", "params": '{"beta": -Infinity}'}, "not JSON"),
    ("curve", {"name": "swish", "params": '{"beta": null}'}, "must be a number"),
    ("curve", {"name": "swish", "params": '{"beta": 1'}, "not valid JSON"),
    ("curve", {"name": "swish", "params": '{"beta": "\\ud800"}'}, "must be a number"),
    ("curve", {"name": "swish", "params": ",".join(f"p{i}=1" for i in range(40))}, "entries"),
    ("curve", {"name": "hardtanh", "params": '{"min_val": 2, "max_val": -2}'}, "min_val < max_val"),
    ("curve", {"name": "hardtanh", "params": "min_val=1,max_val=1"}, "min_val < max_val"),
    ("curve", {"name": "hardtanh", "params": "max_val=-3"}, "min_val < max_val"),
    ("curve", {"name": "rrelu", "params": '{"lower": 0.9, "upper": 0.1}'}, "lower <= upper"),
    ("curve", {"name": "rrelu", "params": '{"lower": 1.5}'}, "outside its domain"),
    ("curve", {"name": "swish", "n": DIGITS}, "too long"),
    ("curve", {"name": "swish", "n": "9" * 1000}, "whole number"),
    ("curve", {"name": "swish", "n": "1e3"}, "whole number"),
    ("curve", {"name": "swish", "xmin": DIGITS}, "too long"),
    ("curve", {"name": "swish", "xmin": "1" * 400}, "at most 64"),
    ("curve", {"name": "swish", "xmin": "-1e400"}, "finite"),
    ("curve", {"name": "swish\x00"}, "no activation"),
    ("curve", {"name": "s" * 5000}, "too long"),
    ("curve", {"name": "é" * 50}, "unknown activation"),
    ("properties", {"name": "hardtanh", "params": "min_val=2,max_val=-2"}, "min_val < max_val"),
    ("properties", {"name": "rrelu", "params": "lower=0.9,upper=0.1"}, "lower <= upper"),
    ("properties", {"name": "swish", "params": NESTED}, "nested too deeply"),
    ("meanfield", {"name": "hardtanh", "params": "min_val=2,max_val=-2"}, "min_val < max_val"),
    ("meanfield", {"name": "rrelu", "params": "lower=0.9,upper=0.1"}, "lower <= upper"),
    ("meanfield", {"name": "tanh", "sw_max": DIGITS}, "too long"),
    ("meanfield", {"name": "tanh", "sigma_b2": "nan"}, "finite"),
    ("formula", {"name": "nosuch"}, "unknown activation"),
    ("formula", {}, "'name' is required"),
]


@pytest.mark.parametrize(("endpoint", "query", "says"), BAD,
                         ids=[f"{e}-{i}" for i, (e, _, _) in enumerate(BAD)])
def test_bad_requests_are_4xx_with_a_reason(client, endpoint, query, says):
    r = client.get(f"/api/{endpoint}", params=query)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    body = r.json()
    assert body["status"] == r.status_code and says in body["error"], body
    assert len(body["error"]) < 600  # a reason, not an echo of the input
    assert_secure(r.headers)


def test_relations_hold_at_their_boundary(client):
    """rrelu lower == upper is allowed (a fixed slope); hardtanh needs min_val < max_val."""
    r = client.get("/api/curve", params={"name": "rrelu", "params": "lower=0.2,upper=0.2", "n": 5})
    assert r.status_code == 200, r.text
    r = client.get("/api/curve", params={"name": "hardtanh", "params": "min_val=-0.5,max_val=2", "n": 5})
    assert r.status_code == 200 and max(r.json()["f"]) == 2.0


def test_in_domain_parameters_never_give_a_500(client):
    """Every activation, parameters drawn across each domain (ends, tiny, huge, slider range):
    200 or a 4xx that names the problem; never a 500 (seeded, 6 draws each)."""
    catalog = client.get("/api/activations").json()["activations"]
    rng = random.Random(16)
    failures = []
    for a in catalog:
        for _ in range(6 if a["params"] else 1):
            params = {}
            for p in a["params"]:
                lo, hi = p["domain"]["low"], p["domain"]["high"]
                picks = [p["slider"]["min"], p["slider"]["max"], p["default"],
                         rng.uniform(p["slider"]["min"], p["slider"]["max"])]
                picks += [v for v in (lo, hi) if v is not None]
                picks += [v for v in (1e-300, 1e300, -1e300, 0.0) if in_domain(v, p["domain"])]
                params[p["name"]] = rng.choice(picks)
            r = client.get("/api/curve", params={"name": a["name"], "params": json.dumps(params), "n": 9})
            if r.status_code >= 500 or r.status_code not in (200, 400):
                failures.append((a["name"], params, r.status_code, r.text[:200]))
    assert not failures, failures


def in_domain(v: float, d: dict) -> bool:
    lo = -math.inf if d["low"] is None else d["low"]
    hi = math.inf if d["high"] is None else d["high"]
    ok_lo = v >= lo if d["low_closed"] else v > lo
    ok_hi = v <= hi if d["high_closed"] else v < hi
    return ok_lo and ok_hi and v not in d["exclude"]


def test_a_bug_is_a_500_with_the_security_headers(client, monkeypatch):
    """Starlette answers unexpected exceptions outside any middleware added to it: the headers
    must come from the outer guard."""
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(server, "curve_payload", broken)
    r = client.get("/api/curve", params={"name": "relu"})
    assert r.status_code == 500 and "RuntimeError: boom" in r.json()["error"]
    assert_secure(r.headers)


def test_every_kind_of_response_has_the_security_headers(client):
    for method, path, status in [("GET", "/", 200), ("GET", "/static/app.js", 200),
                                 ("GET", "/static/plotly.min.js", 200), ("GET", "/api/activations", 200),
                                 ("GET", "/api/formula?name=mish", 200), ("GET", "/api/nope", 404),
                                 ("GET", "/static/nope.js", 404), ("GET", "/static/../server.py", 404),
                                 ("POST", "/api/curve", 405), ("GET", "/api/curve?name=x", 404)]:
        r = client.request(method, path)
        assert r.status_code == status, (path, r.status_code)
        assert_secure(r.headers)


# ------------------------------------------------------------------------------ size bounds
def test_oversized_query_is_414(client):
    r = client.get("/api/curve", params={"name": "relu", "params": "beta=1," * 2000})
    assert r.status_code == 414 and "query string" in r.json()["error"]
    assert_secure(r.headers)


def test_oversized_headers_are_refused(live_server):
    """A head over the bound: 431 from the guard when it arrives whole; 400 from the protocol,
    which stops buffering, when it never ends."""
    host, port = address(live_server)
    head = (f"GET /api/curve?name=relu HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"X-Big: {'a' * (server.MAX_HEADER_BYTES + 100)}\r\n")
    status, headers, body = head_and_body(raw(live_server, (head + "\r\n").encode()))
    assert status == 431 and "headers are longer" in json.loads(body)["error"]
    assert_secure(headers)
    status, headers, body = head_and_body(raw(live_server, (head + "X-More: " + "b" * 70000).encode()))
    assert status == 400 and "malformed" in json.loads(body)["error"]
    assert_secure(headers)


def test_a_request_body_is_refused_before_it_is_read(live_server):
    host, port = address(live_server)
    request = (f"GET /api/curve?name=relu HTTP/1.1\r\nHost: {host}:{port}\r\n"
               f"Content-Length: 100000000\r\n\r\n" + "x" * 1000).encode()
    start = time.monotonic()
    status, headers, body = head_and_body(raw(live_server, request, wait=5))
    assert status == 413 and "no request bodies" in json.loads(body)["error"]
    assert headers["connection"] == "close" and time.monotonic() - start < 4
    assert_secure(headers)
    r = httpx.post(f"{live_server}/api/curve", content=b"x" * 5000)
    assert r.status_code == 413


def test_malformed_http_is_a_400(live_server):
    status, headers, _ = head_and_body(raw(live_server, b"GARBAGE\x00\x01 / HTTP/9\r\n\r\n"))
    assert status == 400
    assert_secure(headers)


# ------------------------------------------------------------------------------ Host header
@pytest.mark.parametrize(("host", "ok"), [
    ("127.0.0.1", True), ("localhost", True), ("LOCALHOST.", True), ("[::1]", True),
    ("127.0.0.2", True), ("app.localhost", True),
    ("evil.example", False), ("localhost.evil.example", False), ("127.0.0.1.nip.io", False),
    ("192.168.1.4", False), ("0.0.0.0", False), ("", False),
])
def test_host_header_allow_list(live_server, host, ok):
    _, port = address(live_server)
    header = f"{host}:{port}" if host else ""
    r = httpx.get(f"{live_server}/api/curve", params={"name": "relu", "n": 3}, headers={"Host": header})
    if ok:
        assert r.status_code == 200, r.text
    else:
        error = r.json()["error"]
        assert r.status_code == 400 and "not allowed" in error and "DNS rebinding" in error
        assert_secure(r.headers)
    page = httpx.get(live_server + "/", headers={"Host": header})
    assert (page.status_code == 200) is ok


def test_missing_host_header_is_refused(live_server):
    status, headers, body = head_and_body(raw(live_server, b"GET / HTTP/1.0\r\n\r\n"))
    assert status == 400 and b"Host header is required" in body
    assert_secure(headers)


def test_allowed_hosts_follow_the_bind_address(monkeypatch):
    monkeypatch.delenv("ACTLAB_ALLOWED_HOSTS", raising=False)
    assert server.default_allowed_hosts() == set(server.LOOPBACK_HOSTS)
    assert "10.1.2.3" in server.default_allowed_hosts("10.1.2.3")
    everywhere = server.default_allowed_hosts("0.0.0.0")
    assert socket.gethostname().lower() in everywhere and "evil.example" not in everywhere
    monkeypatch.setenv("ACTLAB_ALLOWED_HOSTS", "Lab.Example:8000, box")
    assert {"lab.example", "box"} <= server.default_allowed_hosts()
    assert server.host_of("[::1]:8000") == "::1" and server.host_of("LocalHost:80") == "localhost"
    assert not server.host_allowed("127.0.0.1", frozenset({"lab.example"}))  # not loopback-only then


# ------------------------------------------------------------------------------ slow clients
@pytest.fixture
def short_timeout(monkeypatch):
    monkeypatch.setattr(protocol, "REQUEST_TIMEOUT_S", 1.0)  # read per connection
    return 1.0


def test_half_sent_request_gets_408_and_is_closed(live_server, short_timeout):
    host, port = address(live_server)
    start = time.monotonic()
    got = raw(live_server, f"GET /api/curve?name=relu HTTP/1.1\r\nHost: {host}:{port}\r\n".encode(), wait=10)
    took = time.monotonic() - start
    status, headers, body = head_and_body(got)
    assert status == 408 and "did not arrive" in json.loads(body)["error"]
    assert short_timeout - 0.2 <= took < short_timeout + 5
    assert_secure(headers)


def test_dripping_client_is_cut_off(live_server, short_timeout):
    """Slowloris: a byte every 0.25 s keeps a connection busy forever unless the request as a
    whole has a deadline."""
    host, port = address(live_server)
    request = f"GET /api/curve?name=relu HTTP/1.1\r\nHost: {host}:{port}\r\nX-A: {'a' * 200}".encode()
    with socket.create_connection(address(live_server), timeout=10) as s:
        start = time.monotonic()
        closed_after = None
        for i in range(len(request)):
            try:
                s.sendall(request[i:i + 1])
            except OSError:
                closed_after = time.monotonic() - start
                break
            time.sleep(0.25)
            if time.monotonic() - start > 8:
                break
        got = read_all(s, 5)
        closed_after = closed_after or time.monotonic() - start
    assert got.startswith(b"HTTP/1.1 408"), got[:100]
    assert closed_after < 8


def test_idle_connection_after_a_response_is_closed(live_server, short_timeout):
    host, port = address(live_server)
    with socket.create_connection(address(live_server), timeout=10) as s:
        s.sendall(f"GET /api/curve?name=relu&n=3 HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        start = time.monotonic()
        got = read_all(s, 10)  # the response, then the server closes the idle connection
        took = time.monotonic() - start
    assert got.startswith(b"HTTP/1.1 200") and took < server.KEEP_ALIVE_S + 3


def test_150_stalled_connections_are_closed_and_the_server_keeps_serving(live_server, short_timeout):
    host, port = address(live_server)
    socks = []
    for i in range(150):
        s = socket.create_connection(address(live_server), timeout=10)
        s.sendall(f"GET /api/curve?name=relu HTTP/1.1\r\nHost: {host}:{port}\r\nX-N: {i}".encode())
        socks.append(s)
    try:
        r = httpx.get(f"{live_server}/api/curve", params={"name": "mish", "n": 5}, timeout=20)
        assert r.status_code == 200  # served while 150 connections stall
        closed = []
        lock = threading.Lock()

        def watch(s: socket.socket) -> None:
            got = read_all(s, short_timeout + 8)
            with lock:
                closed.append(got.startswith(b"HTTP/1.1 408"))

        threads = [threading.Thread(target=watch, args=(s,)) for s in socks]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(closed) == 150 and all(closed), closed.count(False)
    finally:
        for s in socks:
            s.close()


def test_slow_but_complete_requests_are_answered(live_server, short_timeout):
    """The deadline is on receiving a request, not on computing it: a slow analysis is fine."""
    r = httpx.get(f"{live_server}/api/properties", params={"name": "gelu"}, timeout=60)
    assert r.status_code == 200 and r.json()["name"] == "gelu"


def test_query_string_bound_is_what_the_page_needs():
    """The longest request the page makes (six activations' parameters) is far inside the bounds."""
    params = {p.name: 1.2345678901234567 for s in actlab.specs() for p in s.params}
    query = urlencode({"name": "xielu", "params": json.dumps(params), "xmin": -6, "xmax": 6, "n": 801})
    assert len(query) < server.MAX_QUERY_BYTES / 2
