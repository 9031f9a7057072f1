"""How the explorer holds connections: uvicorn's settings and a deadline on each request.

uvicorn closes idle keep-alive connections (after :data:`KEEP_ALIVE_S`) but waits forever for a
request that was begun and never finished (slowloris). Here a request must arrive whole within
:data:`REQUEST_TIMEOUT_S` of its first byte or of the previous response, or it is answered 408
and the connection closed; heads are bounded (:data:`~actlab.web.guards.MAX_HEADER_BYTES`) and
connections limited (:data:`MAX_CONNECTIONS`, then 503). :func:`uvicorn_config` is what
``actlab serve`` and the tests run.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .guards import MAX_HEADER_BYTES, raw_response

__all__ = ["KEEP_ALIVE_S", "MAX_CONNECTIONS", "REQUEST_TIMEOUT_S", "uvicorn_config"]

REQUEST_TIMEOUT_S = 10.0  # a request must arrive whole within this (slow or half-sent: 408)
KEEP_ALIVE_S = 5.0  # an idle keep-alive connection is closed after this
MAX_CONNECTIONS = 1000  # more at once get a 503 (uvicorn's limit_concurrency)

log = logging.getLogger("actlab.web")


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
