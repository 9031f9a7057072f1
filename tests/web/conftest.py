"""A live actlab web server on a free 127.0.0.1 port, in a thread, for the whole test session."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from actlab.web.server import create_app, isolate_analyses, uvicorn_config


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """Base URL of a uvicorn server running the app; stopped (and joined) after the session.

    The socket is bound here and handed to uvicorn, so no other process can take the port
    between choosing and binding it. The settings (timeouts, limits, guarded protocol) are the
    ones ``actlab serve`` uses.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    isolate_analyses()  # as `actlab serve`: analyses in a worker process, curves never wait
    server = uvicorn.Server(uvicorn_config(create_app(), port=port))  # what `actlab serve` runs
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="actlab-web-test-server")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test web server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
