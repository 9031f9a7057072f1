"""The request guards around the explorer's app: security headers, Host allow-list, size bounds.

The page is local, but a browser visiting another site can still reach it:

* security headers (CSP, nosniff, no framing, no referrer, same-origin resources) on every
  response, errors and the protocol's own 400/408 included (:func:`raw_response`);
* a Host allow-list (loopback names by default) against DNS rebinding: another name is a 400;
* request size bounded: headers (431), query string (414), and no request bodies (413).

:class:`ExplorerApp` applies them, outermost, before the app runs. The per-connection deadline
on receiving a request is in :mod:`actlab.web.protocol`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_response

__all__ = [
    "CSP",
    "LOOPBACK_HOSTS",
    "MAX_BODY_BYTES",
    "MAX_HEADER_BYTES",
    "MAX_QUERY_BYTES",
    "REPORT_CSP",
    "SECURITY_HEADERS",
    "ExplorerApp",
    "default_allowed_hosts",
    "host_allowed",
    "host_of",
    "raw_response",
]

# Request bounds: everything the page sends is far inside them.
MAX_QUERY_BYTES = 8192  # the whole query string (414 beyond)
MAX_HEADER_BYTES = 16384  # the headers: h11 buffers no more of an unfinished head (400), app 431
MAX_BODY_BYTES = 0  # the API is GET only: a request with a body is refused (413)

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

# The report's pages (``actlab serve --report``, under /report/) are self-contained: inline CSS,
# a small inline script (table sorting, search) and images as data: URIs. They get their own
# policy: that inline script may run, but sandboxed (no allow-same-origin: an opaque origin, so
# nothing in the report folder can read the API or the explorer's storage) and loading nothing.
REPORT_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
              "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
              "sandbox allow-scripts")

# Names that reach this machine only. A page on another site can make a browser resolve its own
# name to 127.0.0.1 (DNS rebinding) but cannot make it send one of these as the Host header.
LOOPBACK_HOSTS = frozenset({"localhost", "ip6-localhost", "ip6-loopback", "127.0.0.1", "::1"})


def _with_security_headers(headers: Any, path: str = "") -> list[tuple[bytes, bytes]]:
    ours = {k for k, _ in SECURITY_HEADERS}
    secure = list(SECURITY_HEADERS)
    if path.startswith("/report/"):
        secure = [(k, REPORT_CSP.encode() if k == b"content-security-policy" else v) for k, v in secure]
    return [(k, v) for k, v in (headers or []) if k.lower() not in ours] + secure


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
                         "to reach it under another name, start it with --allow-host NAME "
                         "(or set ACTLAB_ALLOWED_HOSTS=name)")
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
                message = {**message, "headers": _with_security_headers(message.get("headers"),
                                                                        scope.get("path", ""))}
            await send(message)

        refused = self.refusal(scope)
        if refused is None:
            await self.app(scope, receive, send_secure)
            return
        status, text = refused
        response = (error_response(text, status) if scope.get("path", "").startswith("/api/")
                    else Response(text, status_code=status, media_type="text/plain"))
        if status == 413:
            response.headers["connection"] = "close"
        await response(scope, receive, send_secure)
