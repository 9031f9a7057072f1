"""``actlab serve --report DIR``: the report folder read-only under /report/, linked from the page.

A fake report folder (report.html, activations/gelu.html, a file beside the folder that must
stay unreachable, a symlink out of it) behind a live server built as ``actlab serve`` builds it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from actlab.cli import app as actlab_app
from actlab.web import server
from actlab.web.guards import REPORT_CSP
from actlab.web.server import create_app

from .conftest import running

REPORT = "<!DOCTYPE html><title>report</title><p>the whole report</p>"
GELU = "<!DOCTYPE html><title>gelu</title><p>gelu's own page</p>"
SECRET = "outside the report folder"


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("served")
    (root / "secret.txt").write_text(SECRET)
    out = root / "out"
    (out / "activations").mkdir(parents=True)
    (out / "report.html").write_text(REPORT)
    (out / "activations" / "gelu.html").write_text(GELU)
    (out / "activations" / "nope-not-an-activation.html").write_text("stray")
    (out / "activations" / "escape.html").symlink_to(root / "secret.txt")
    return out


@pytest.fixture(scope="module")
def report_server(report_dir: Path) -> Iterator[str]:
    with running(create_app(report_dir=report_dir)) as url:
        yield url


@pytest.fixture(scope="module")
def client(report_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=report_server, timeout=60) as c:
        yield c


def raw_get(base: str, target: str) -> tuple[int, bytes]:
    """GET ``target`` byte for byte (no client normalising ``..`` or percent escapes)."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data


def test_serve_report_passes_the_folder_to_the_server(report_dir, monkeypatch):
    calls = []
    monkeypatch.setattr(server, "serve", lambda **kw: calls.append(kw))
    result = CliRunner().invoke(actlab_app, ["serve", "--port", "0", "--report", str(report_dir)])
    assert result.exit_code == 0, result.output
    assert len(calls) == 1 and calls[0]["report_dir"] == report_dir.resolve()
    assert "/report/" in result.stderr


def test_the_api_lists_the_activations_with_a_page(client):
    body = client.get("/api/activations").json()
    assert body["report"] == {"index": "/report/", "pages": ["gelu"]}


def test_without_report_the_api_has_no_report(live_server):
    body = httpx.get(live_server + "/api/activations", timeout=60).json()
    assert "report" not in body
    assert httpx.get(live_server + "/report/", timeout=60).status_code == 404


def test_pages_are_served_with_the_report_policy(client):
    r = client.get("/report/activations/gelu.html")
    assert r.status_code == 200 and r.text == GELU
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == REPORT_CSP
    assert "sandbox allow-scripts" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    index = client.get("/report/")
    assert index.status_code == 200 and index.text == REPORT
    assert client.get("/report/report.html").text == REPORT
    assert client.get("/").headers["content-security-policy"] != REPORT_CSP


def test_read_only(client):
    assert client.post("/report/report.html").status_code == 405
    assert client.put("/report/activations/gelu.html").status_code in (405, 413)


@pytest.mark.parametrize("target", [
    "/report/../secret.txt",
    "/report/../../secret.txt",
    "/report/activations/../../secret.txt",
    "/report/%2e%2e/secret.txt",
    "/report/%2E%2E%2Fsecret.txt",
    "/report/..%2fsecret.txt",
    "/report/..%5csecret.txt",
    "/report/%252e%252e/secret.txt",
    "/report/activations/escape.html",  # a symlink out of the folder
    "/report//etc/passwd",
    "/report/%2fetc%2fpasswd",
])
def test_traversal_is_refused(report_server, target):
    status, data = raw_get(report_server, target)
    assert status in (400, 404), (target, status)
    assert SECRET.encode() not in data and b"root:" not in data


def test_the_page_links_each_selected_activation_to_its_report_page(report_server):
    """In Chromium (skipped without it): gelu, which has a page, gets a "report page" link that
    opens it; relu, which has none, gets a dash."""
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("/usr/bin/chromium is missing: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed: pip install playwright")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(report_server + "/#a=gelu,relu")
            page.wait_for_function("() => document.body.dataset.ready === 'true'")
            link = page.locator("#props a.report-link")
            link.wait_for(timeout=180_000)  # only a hang fails; beside a CPU hog it is slow
            assert link.count() == 1 and link.inner_text() == "report page"
            assert link.get_attribute("href") == "/report/activations/gelu.html"
            row = page.locator("#props tr", has=page.locator("th", has_text="report"))
            cells = [c.strip() for c in row.locator("td").all_inner_texts()]
            assert cells == ["report page", "—"]
            link.click()
            page.wait_for_url(report_server + "/report/activations/gelu.html")
            assert page.locator("p").inner_text() == "gelu's own page"
            assert not errors, errors
        finally:
            browser.close()
