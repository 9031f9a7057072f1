"""A live actlab web server on a free 127.0.0.1 port, in a thread, for the whole test session."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn

from actlab.web.guards import ExplorerApp
from actlab.web.server import create_app, isolate_analyses, uvicorn_config


@contextmanager
def running(app: ExplorerApp) -> Iterator[str]:
    """Base URL of a uvicorn server running ``app`` in a thread; stopped (and joined) on exit.

    The socket is bound here and handed to uvicorn, so no other process can take the port
    between choosing and binding it. The settings (timeouts, limits, guarded protocol) are the
    ones ``actlab serve`` uses.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(app, port=port))  # what `actlab serve` runs
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


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """Base URL of the explorer as ``actlab serve`` runs it, for the whole test session."""
    isolate_analyses()  # as `actlab serve`: analyses in a worker process, curves never wait
    with running(create_app()) as url:
        yield url
