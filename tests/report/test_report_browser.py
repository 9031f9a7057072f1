"""The generated report in a real browser: Playwright driving the system Chromium (Debian
``chromium``), as the explorer's browser tests do.

No browser is downloaded (``playwright install`` is never run); the tests launch
``/usr/bin/chromium`` and are skipped, with the reason, when it or the ``playwright`` package is
missing. A small quick report (three activations, the sections that need no training) is built
once; its index page and one activation page are opened from disk at a laptop width (1280 px)
and a phone width (390 px). Screenshots go to the test's temporary folder, and also to the
folder named by ``ACTLAB_SCREENSHOTS`` when it is set (``docs/screenshots/`` is made that way).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from actlab.report import build as B

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed: pip install playwright")

pytestmark = pytest.mark.xdist_group("web-browser")  # one worker shares the browser

NAMES = ["relu", "gelu", "swish"]
WIDTHS = {"laptop": 1280, "phone": 390}
HEIGHT = {"laptop": 800, "phone": 844}
OVERFLOW = "() => document.scrollingElement.scrollWidth - window.innerWidth"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report-browser")
    result = B.build(out, quick=True, names=NAMES, keys=["catalog", "gallery"], jobs=1, progress=False)
    assert result.failed == []
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(params=list(WIDTHS))
def page(request, browser):
    """A page at one width; any request that is not for a local file is refused and recorded,
    and page errors are recorded: both must stay empty."""
    width = WIDTHS[request.param]
    context = browser.new_context(viewport={"width": width, "height": HEIGHT[request.param]})
    problems: list[str] = []

    def refuse(route) -> None:
        problems.append(f"request {route.request.url}")
        route.abort()

    context.route(lambda url: not url.startswith(("file:", "data:", "about:")), refuse)
    p = context.new_page()
    p.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    p.device = request.param  # type: ignore[attr-defined]
    yield p
    context.close()
    assert problems == []


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def _shoot(page, tmp_path: Path, name: str) -> None:
    width = page.viewport_size["width"]
    shot = tmp_path / f"{name}-{width}.png"
    page.screenshot(path=str(shot))  # the first screen, what a reader sees on opening it
    # device pixels at scale 1: the viewport's width and height
    assert _png_size(shot) == (width, page.viewport_size["height"])
    folder = os.environ.get("ACTLAB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / shot.name))


def test_index_answers_first_and_fits_the_width(report, page, tmp_path):
    page.goto((report / "report.html").as_uri())
    assert page.evaluate(OVERFLOW) <= 1
    summary = page.locator("#summary")
    assert summary.count() == 1
    assert summary.locator("h2").inner_text().startswith("Which activation?")
    # the summary is the first section of the page, and it starts on the first screen
    assert page.evaluate("() => document.querySelector('main > section').id") == "summary"
    box = summary.bounding_box()
    assert box is not None and 0 <= box["y"] < page.viewport_size["height"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"] + 1
    for name in NAMES:  # every chosen activation has its row and its page link
        assert page.locator(f'#act-{name} a[href="activations/{name}.html"]').count() >= 1
    _shoot(page, tmp_path, "report")


def test_search_finds_an_activation_by_a_typo(report, page):
    page.goto((report / "report.html").as_uri())
    for typed, found in (("gleu", "gelu"), ("swsh", "swish"), ("gel", "gelu")):
        page.fill("#search", typed)
        page.press("#search", "Enter")
        assert page.evaluate("() => location.hash") == f"#act-{found}"
        assert page.locator("#search-msg").inner_text() == f"→ {found}"
    page.fill("#search", "qqqzzz")
    page.press("#search", "Enter")
    assert "no activation like" in page.locator("#search-msg").inner_text()


def test_activation_page_fits_the_width_and_says_what_it_is_first(report, page, tmp_path):
    page.goto((report / "activations" / "gelu.html").as_uri())
    assert page.evaluate(OVERFLOW) <= 1
    assert page.locator("h1").inner_text() == "gelu"
    sub = page.locator("header .sub")
    box = sub.bounding_box()
    assert box is not None and box["y"] < page.viewport_size["height"] / 2
    assert "x·Φ(x)" in sub.inner_text()  # the catalog's one-line summary
    # the formula is rendered (an image drawn by mathtext), not raw LaTeX
    formula = page.locator("h2:has-text('Formula') + p img")
    widths = formula.evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
    assert widths and min(widths) > 0
    hrefs = page.eval_on_selector_all("a", "as => as.map(a => a.getAttribute('href'))")
    assert "../report.html#act-gelu" in hrefs
    assert any(h.startswith("http://127.0.0.1:8000/#a=gelu") for h in hrefs)
    _shoot(page, tmp_path, "activation-gelu")


def test_no_activation_page_is_wider_than_a_phone(browser, tmp_path):
    """Every catalog entry's page (formula, code, notes; no section data) at 390 px: the widest
    formulas (DY-ReLU-B's, sparsemax's) scroll inside their own box, not the page."""
    import actlab
    from actlab.report.pages import write_pages

    names = actlab.names()
    written = write_pages(tmp_path, names, {})
    assert len(written) == len(names)
    context = browser.new_context(viewport={"width": WIDTHS["phone"], "height": HEIGHT["phone"]})
    context.route(lambda url: not url.startswith(("file:", "data:", "about:")), lambda route: route.abort())
    page = context.new_page()
    wide = {}
    for path in written:
        page.goto(path.as_uri())
        extra = page.evaluate(OVERFLOW)
        if extra > 1:
            wide[path.stem] = extra
    context.close()
    assert wide == {}
