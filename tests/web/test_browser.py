"""The explorer page in a real browser: Playwright driving the system Chromium (Debian ``chromium``).

No browser is downloaded: ``playwright install`` is never run; the tests launch
``/usr/bin/chromium`` and are skipped, with the reason, only when it or the ``playwright``
package is missing. Values are read back from the Plotly graph's own data in the page and
compared with the library and with Swish's closed form x·σ(βx) (Ramachandran et al. 2017).
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import expit

import actlab

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed: pip install playwright")

# one xdist worker runs these (they share a browser); the rest of the suite runs beside them
pytestmark = pytest.mark.xdist_group("web-browser")

# A wait only guards against a hang: beside a CPU hog the server's analyses take several times
# longer than on an idle machine (a 15 s wait for the mean-field panel failed so). Latency is
# reported by the tests that measure it, never asserted.
WAIT = 180_000  # ms

# In the page, CSP forbids eval: Playwright predicates are passed as functions ("() => ...").
TRACES = """() => { const gd = document.getElementById('curves');
  return (gd && gd.data ? gd.data : []).filter(t => !t.meta.kink)
    .map(t => ({meta: t.meta, x: Array.from(t.x), y: Array.from(t.y)})); }"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Watch:
    """Everything the page did that it should not: page errors, console errors, requests
    that left 127.0.0.1 (aborted)."""

    def __init__(self, base: str) -> None:
        self.host = urlsplit(base).netloc
        self.problems: list[str] = []

    def attach(self, context) -> None:
        def is_external(url: str) -> bool:
            parts = urlsplit(url)
            return parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != self.host

        def abort(route) -> None:
            self.problems.append(f"external request {route.request.url}")
            route.abort()

        context.route(is_external, abort)
        context.on("page", self._page)

    def _page(self, page) -> None:
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))


@pytest.fixture
def session(browser, live_server: str):
    """A fresh browser context at laptop size, watched; fails the test on page errors."""
    watch = Watch(live_server)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    watch.attach(context)
    yield context, watch
    context.close()
    assert not watch.problems, watch.problems


def open_page(context, url: str):
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => document.body.dataset.ready === 'true'")
    return page


def wait_for_curves(page, expect: dict[str, dict[str, float]], orders: int) -> list[dict]:
    """Wait until the plot holds exactly ``expect``'s activations, at those parameter values."""
    page.wait_for_function(
        """([want, orders]) => { const gd = document.getElementById('curves');
          if (!gd || !gd.data) return false;
          const names = Object.keys(want), lines = gd.data.filter(t => !(t.meta && t.meta.kink));
          if (lines.length !== names.length * orders) return false;
          return lines.every(t => t.meta && names.includes(t.meta.name) &&
            Object.entries(want[t.meta.name]).every(([k, v]) => t.meta.params[k] === v)); }""",
        arg=[expect, orders], timeout=WAIT,
    )
    return page.evaluate(TRACES)


def check_png(path: Path, width: int) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert struct.unpack(">I", data[16:20])[0] == width
    keep = os.environ.get("ACTLAB_WEB_SCREENSHOTS")  # a folder to keep them in, for people to look
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def library(name: str, order: str, params: dict, x: np.ndarray) -> np.ndarray:
    act = actlab.get(name, **params)
    fn = {"f": act.forward, "df": act.derivative, "d2f": act.second_derivative}[order]
    return fn(x)


def test_pick_mish_and_swish_move_beta_and_share_the_view(session, live_server, tmp_path):
    context, _ = session
    page = open_page(context, live_server + "/#a=relu")
    page.click("#clear")
    page.fill("#search", "mish")
    page.check("#pick-mish")
    page.fill("#search", "swish")
    page.check("#pick-swish")
    page.fill("#search", "")
    page.check("#show-d2f")
    wait_for_curves(page, {"mish": {}, "swish": {"beta": 1.0}}, orders=3)

    # move Swish's β with the keyboard, as a user would with the slider
    page.focus("#p-swish-beta")
    for _ in range(25):
        page.keyboard.press("ArrowRight")
    beta = float(page.input_value("#n-swish-beta"))
    step = float(page.get_attribute("#p-swish-beta", "step"))
    assert beta == pytest.approx(1.0 + 25 * step)
    traces = wait_for_curves(page, {"mish": {}, "swish": {"beta": beta}}, orders=3)

    # the plotted values are the library's, at sample points of every trace
    assert sorted((t["meta"]["name"], t["meta"]["order"]) for t in traces) == sorted(
        (n, o) for n in ("mish", "swish") for o in ("f", "df", "d2f"))
    for t in traces:
        x = np.array(t["x"])[::40]
        y = np.array(t["y"], dtype=float)[::40]
        params = {"beta": beta} if t["meta"]["name"] == "swish" else {}
        np.testing.assert_array_equal(y, library(t["meta"]["name"], t["meta"]["order"], params, x))
    swish_f = next(t for t in traces if (t["meta"]["name"], t["meta"]["order"]) == ("swish", "f"))
    x = np.array(swish_f["x"])
    np.testing.assert_allclose(swish_f["y"], x * expit(beta * x), rtol=1e-13, atol=1e-300)
    assert x[0] == -6 and x[-1] == 6

    # hover shows values (Plotly's unified hover label)
    box = page.locator("#curves .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] / 2)
    page.wait_for_selector("#curves .hoverlayer .legend", timeout=WAIT)
    assert "swish" in page.text_content("#curves .hoverlayer")
    titles = page.eval_on_selector_all("#curves .modebar-btn", "bs => bs.map(b => b.dataset.title)")
    assert "Zoom" in titles and not any("Share" in t for t in titles)  # no upload to Plotly's cloud

    # the mean-field panel draws χ₁ for both
    page.wait_for_function("""() => { const gd = document.getElementById('meanfield');
      const names = (gd.data || []).filter(t => t.mode === 'lines').map(t => t.meta.name);
      return names.includes('mish') && names.includes('swish'); }""", timeout=WAIT)

    # the property table follows β: Swish's minimum against scipy's
    best = minimize_scalar(lambda t: t * expit(beta * t), bounds=(-5, 0), method="bounded",
                           options={"xatol": 1e-12})
    page.wait_for_function("""(want) => {
      const heads = [...document.querySelectorAll('#props th')].map(th => th.textContent);
      const text = document.querySelector('#props').textContent;
      return heads.includes('range') && text.includes(want) && !text.includes('measuring'); }""",
                           arg=f"beta = {beta:g}", timeout=WAIT)
    cells = page.eval_on_selector_all(
        "#props tbody tr", "rows => rows.map(r => [...r.children].map(c => c.textContent))")
    table = {row[0]: row[1:] for row in cells}
    assert table["parameters"] == ["—", f"beta = {beta:g}"]
    low = float(table["range"][1].split(",")[0].lstrip("["))
    assert low == pytest.approx(best.fun, rel=1e-5)

    # the view is in the URL: a new tab at that URL restores selection, β, toggles and values
    url = page.url
    assert "a=mish,swish" in url and f"swish.beta={beta:g}" in url
    page.screenshot(path=tmp_path / "explorer-laptop.png")
    check_png(tmp_path / "explorer-laptop.png", 1280)

    again = open_page(context, url)
    restored = wait_for_curves(again, {"mish": {}, "swish": {"beta": beta}}, orders=3)
    assert again.is_checked("#pick-mish") and again.is_checked("#pick-swish")
    assert again.locator("#list input[type=checkbox]:checked").count() == 2
    assert float(again.input_value("#n-swish-beta")) == beta
    assert again.is_checked("#show-d2f")
    key = lambda t: (t["meta"]["name"], t["meta"]["order"])
    assert sorted((key(t), t["y"]) for t in restored) == sorted((key(t), t["y"]) for t in traces)


def test_phone_width_has_no_sideways_scroll(session, live_server, tmp_path):
    context, _ = session
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + "/#a=mish,swish&swish.beta=1.5&show=f,df,d2f")
    page.wait_for_function("() => document.body.dataset.ready === 'true'")
    wait_for_curves(page, {"mish": {}, "swish": {"beta": 1.5}}, orders=3)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    plot = page.locator("#curves").bounding_box()
    assert 300 <= plot["width"] <= 390 and plot["height"] >= 280
    page.wait_for_selector("#meanfield .scatterlayer .trace", timeout=WAIT)
    page.screenshot(path=tmp_path / "explorer-phone.png", full_page=True)
    check_png(tmp_path / "explorer-phone.png", 390)


def test_out_of_domain_parameter_is_reported_and_the_page_recovers(session, live_server):
    context, watch = session
    page = open_page(context, live_server + "/#a=softplus,nosuch")
    wait_for_curves(page, {"softplus": {"beta": 1.0}}, orders=2)
    assert "unknown activation 'nosuch' in the link was left out" in page.text_content("#status")
    assert "a=softplus&" in page.url  # the URL is rewritten to what is shown
    page.fill("#n-softplus-beta", "-3")
    page.wait_for_function(
        "() => document.getElementById('status').textContent.includes('outside its domain')", timeout=WAIT)
    assert page.get_attribute("#n-softplus-beta", "aria-invalid") == "true"
    assert page.evaluate("() => document.getElementById('curves').data.length") == 0
    page.fill("#n-softplus-beta", "2")
    traces = wait_for_curves(page, {"softplus": {"beta": 2.0}}, orders=2)
    f = next(t for t in traces if t["meta"]["order"] == "f")
    x = np.array(f["x"])
    np.testing.assert_allclose(f["y"], np.logaddexp(0.0, 2.0 * x) / 2.0, rtol=1e-13)  # softplus_β
    assert page.get_attribute("#n-softplus-beta", "aria-invalid") is None

    # zooming the plot (what a drag does) recomputes the curves on the new range, into the URL
    page.evaluate("() => Plotly.relayout('curves', {'xaxis.range[0]': -2, 'xaxis.range[1]': 1})")
    page.wait_for_function("() => { const t = document.getElementById('curves').data[0];"
                           " return t.x[0] === -2 && t.x[t.x.length - 1] === 1; }")
    assert "x=-2,1" in page.url and page.input_value("#xmin") == "-2"
    # the browser logs the 400 as a failed resource load: expected here, not a page problem
    watch.problems = [p for p in watch.problems if "status of 400" not in p]


# ------------------------------------------------------------------------------ keeping up (#14)
SIX = {"relu": {}, "gelu": {}, "swish": {"beta": 1.0}, "mish": {}, "elu": {"alpha": 1.0},
       "hardtanh": {"min_val": -1.0, "max_val": 1.0}}
SIX_URL = "/#a=relu,gelu,swish,mish,elu,hardtanh&show=f,df,d2f"
OKABE_ITO = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9", "#B8A400"}


class CurveRequests:
    """The /api/curve requests a page sends, by activation name."""

    def __init__(self, page) -> None:
        self.names: list[str] = []
        page.on("request", self._seen)

    def _seen(self, request) -> None:
        if "/api/curve" in request.url:
            self.names.append(parse_qs(urlsplit(request.url).query)["name"][0])

    def since(self, mark: int) -> list[str]:
        return self.names[mark:]


def drag(page, slider: str, steps: int) -> float:
    """``steps`` input events on a range slider within one task, as a fast drag sends them;
    returns the final value."""
    return page.evaluate("""([sel, steps]) => { const r = document.querySelector(sel);
        for (let i = 0; i < steps; i++) { r.stepUp(); r.dispatchEvent(new Event('input', {bubbles: true})); }
        return Number(r.value); }""", [slider, steps])


def test_slider_fetches_only_the_changed_curve_once_per_pause(session, live_server):
    context, _ = session
    page = context.new_page()
    seen = CurveRequests(page)
    page.goto(live_server + SIX_URL)
    page.wait_for_function("() => document.body.dataset.ready === 'true'")
    before = wait_for_curves(page, SIX, orders=3)
    assert sorted(seen.names) == sorted(SIX)  # one request per activation to start with

    # a fast drag of swish's β: 20 input events -> one request, for swish only (debounced)
    mark = len(seen.names)
    beta = drag(page, "#p-swish-beta", 20)
    after = wait_for_curves(page, {**SIX, "swish": {"beta": beta}}, orders=3)
    assert seen.since(mark) == ["swish"]
    key = lambda t: (t["meta"]["name"], t["meta"]["order"])
    old, new = ({key(t): t["y"] for t in traces} for traces in (before, after))
    assert all(old[k] != new[k] for k in old if k[0] == "swish")  # swish's curves moved ...
    assert all(old[k] == new[k] for k in old if k[0] != "swish")  # ... the others are the same

    # the keyboard, one press at a time as a user does: only swish, at most one per press
    mark = len(seen.names)
    page.focus("#p-swish-beta")
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    beta = float(page.input_value("#n-swish-beta"))
    wait_for_curves(page, {**SIX, "swish": {"beta": beta}}, orders=3)
    assert set(seen.since(mark)) == {"swish"} and 1 <= len(seen.since(mark)) <= 20

    # back to values seen before: drawn from the cache, no request at all
    mark = len(seen.names)
    page.click("#params .pcard:has(strong:text-is('swish')) button")  # "defaults"
    wait_for_curves(page, SIX, orders=3)
    assert seen.since(mark) == []

    # another activation's slider: only its curve
    mark = len(seen.names)
    low = drag(page, "#p-hardtanh-min_val", 7)
    wait_for_curves(page, {**SIX, "hardtanh": {"min_val": low, "max_val": 1.0}}, orders=3)
    assert seen.since(mark) == ["hardtanh"]
    stats = page.evaluate("() => window.actlabStats")
    assert stats["curveRequests"] == len(seen.names) and stats["cacheHits"] >= 15


# A redraw that has not come this long after the input is a hang, not a slow machine (a step
# takes well under a second even beside a CPU hog); the latency itself is reported, not asserted.
REDRAW_HANG_MS = 60_000


def test_each_slider_step_is_drawn_after_one_request(session, live_server, record_testsuite_property):
    """Single slider steps, each awaited through the page's own 'actlab:curves' event (no sleeps):
    every step is followed by exactly one curve request (swish's, debounced), the other five
    activations from the cache, and exactly one redraw, which shows the slider's new value.

    Nothing here depends on the clock (issue 13: a test that fails under load is a defect). The
    time from the input event to the drawn plot (debounce + one request + one Plotly draw) is
    measured in the page and reported: printed, and as the ``slider_latency_ms`` property of the
    test suite in a JUnit report (``pytest --junitxml``)."""
    context, _ = session
    page = open_page(context, live_server + SIX_URL)
    wait_for_curves(page, SIX, orders=3)
    steps = page.evaluate("""async ([n, hangMs]) => { const out = [];
        const r = document.getElementById('p-swish-beta'), stats = window.actlabStats;
        const counts = () => ({requests: stats.curveRequests, hits: stats.cacheHits, draws: stats.draws});
        for (let i = 0; i < n; i++) {
          const before = counts();
          let hang;
          const redrawn = new Promise((ok) => document.addEventListener('actlab:curves',
                                                                        (e) => ok(e.detail), {once: true}));
          const hung = new Promise((_, no) => {
            hang = setTimeout(() => no(new Error(`step ${i}: no redraw within ${hangMs} ms`)), hangMs); });
          const drawn = Promise.race([redrawn, hung]);
          r.stepUp(); r.dispatchEvent(new Event('input', {bubbles: true}));
          const detail = await drawn;
          clearTimeout(hang);
          const swish = document.getElementById('curves').data.find((t) => t.meta && t.meta.name === 'swish');
          out.push({before, after: counts(), generation: detail.generation, latency: detail.latency,
                    names: detail.names, value: Number(r.value), drawnBeta: swish.meta.params.beta});
        }
        return out; }""", [5, REDRAW_HANG_MS])
    latencies = [round(s["latency"]) for s in steps]
    phases = page.evaluate("() => window.actlabStats.phases")
    print(f"slider -> plot latencies (ms): {latencies}; [debounce, request, draw] per step: {phases[-5:]}")
    record_testsuite_property("slider_latency_ms", latencies)

    assert len(steps) == 5
    for i, s in enumerate(steps):
        before, after = s["before"], s["after"]
        assert after["requests"] - before["requests"] == 1, (i, s)  # one request per step: swish's
        assert after["hits"] - before["hits"] == len(SIX) - 1, (i, s)  # the other five: the cache
        assert after["draws"] - before["draws"] == 1, (i, s)  # one redraw
        assert sorted(s["names"]) == sorted(SIX) and s["drawnBeta"] == s["value"], (i, s)
        assert s["latency"] is not None and s["latency"] > 0, (i, s)  # timed from this step's input
    assert [s["generation"] for s in steps] == list(range(steps[0]["generation"], steps[0]["generation"] + 5))
    assert len({s["value"] for s in steps}) == 5  # five new values, none from the cache
    wait_for_curves(page, {**SIX, "swish": {"beta": steps[-1]["value"]}}, orders=3)


def test_legend_outside_the_plot_palette_and_dashes(session, live_server):
    context, _ = session
    page = open_page(context, live_server + SIX_URL)
    wait_for_curves(page, SIX, orders=3)
    traces = page.evaluate("""() => document.getElementById('curves').data.filter(t => !t.meta.kink)
        .map(t => ({name: t.meta.name, order: t.meta.order, color: t.line.color, dash: t.line.dash,
                    legend: t.showlegend !== false}))""")
    colors = {t["name"]: t["color"] for t in traces}
    assert len(set(colors.values())) == 6 and set(colors.values()) <= OKABE_ITO
    assert all(t["color"] == colors[t["name"]] for t in traces)  # one colour per activation
    dashes = {t["order"]: t["dash"] for t in traces}
    assert len(set(dashes.values())) == 3 and all(t["dash"] == dashes[t["order"]] for t in traces)
    assert sum(t["legend"] for t in traces) == 6  # one legend entry per activation, not 18
    plot = page.locator("#curves .nsewdrag").first.bounding_box()
    legend = page.locator("#curves .legend").first.bounding_box()
    assert legend["x"] >= plot["x"] + plot["width"], (legend, plot)  # to the right, outside
    page.hover("#curves .nsewdrag")
    modebar = page.locator("#curves .modebar").first.bounding_box()
    assert not overlaps(modebar, legend) and not overlaps(modebar, plot)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280


def overlaps(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_fuzzy_search_and_rendered_formulas(session, live_server):
    context, _ = session
    page = open_page(context, live_server + "/#a=relu")
    for query, first in [("swsh", "swish"), ("gleu", "gelu"), ("mihs", "mish"), ("hard swish", "hardswish"),
                         ("leaky", "leaky_relu"), ("SOFTPLUS", "softplus")]:
        page.fill("#search", query)
        assert page.locator("#list .nm").first.text_content() == first, query
    page.fill("#search", "swsh")
    page.press("#search", "Enter")  # picks the best match
    wait_for_curves(page, {"relu": {}, "swish": {"beta": 1.0}}, orders=2)
    page.fill("#search", "qqqzzz")
    assert "No activation matches" in page.text_content("#list")

    # the property table shows typeset formulas (server-drawn SVG), not LaTeX source
    page.wait_for_function("""() => { const imgs = [...document.querySelectorAll('#props img.formula')];
        return imgs.length === 2 && imgs.every(i => i.complete && i.naturalWidth > 20); }""", timeout=WAIT)
    assert "\\" not in page.text_content("#props")
    alts = page.eval_on_selector_all("#props img.formula", "imgs => imgs.map(i => i.alt)")
    assert alts == [actlab.get_spec("relu").formula, actlab.get_spec("swish").formula]


def test_phone_layout_nothing_overlaps_or_scrolls_sideways(session, live_server, tmp_path):
    context, _ = session
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + SIX_URL)
    page.wait_for_function("() => document.body.dataset.ready === 'true'")
    wait_for_curves(page, SIX, orders=3)
    page.wait_for_function("""() => !document.getElementById('props').textContent.includes('measuring')
        && document.querySelectorAll('#props img.formula').length === 6""", timeout=WAIT)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    wrap = page.evaluate("() => { const w = document.querySelector('.table-wrap');"
                         " return [w.scrollWidth, w.clientWidth]; }")
    assert wrap[0] <= wrap[1], wrap  # the property table does not scroll sideways
    plot = page.locator("#curves .nsewdrag").first.bounding_box()
    legend = page.locator("#curves .legend").first.bounding_box()
    assert legend["y"] >= plot["y"] + plot["height"], (legend, plot)  # below the plot
    box = page.locator("#curves").bounding_box()
    assert legend["x"] >= box["x"] - 1 and legend["x"] + legend["width"] <= box["x"] + box["width"] + 1
    page.hover("#curves .nsewdrag")
    modebar = page.locator("#curves .modebar").first.bounding_box()
    assert not overlaps(modebar, legend) and not overlaps(modebar, plot)
    page.screenshot(path=tmp_path / "explorer-phone-six.png", full_page=True)
    check_png(tmp_path / "explorer-phone-six.png", 390)
