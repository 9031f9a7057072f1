"""Formulas typeset on the server (matplotlib mathtext to SVG paths): every catalog formula
renders as math (no plain-text fallback), as a self-contained SVG with its LaTeX as the label."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

import actlab
from actlab.web import formula

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("name", actlab.names())
def test_every_catalog_formula_is_typeset(name):
    tex = actlab.get_spec(name).formula
    text = formula.svg(tex)
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg" and root.get("data-fallback") == "false", name
    assert root.get("aria-label") == tex and root.find(f"{SVG}title").text == tex
    (path,) = root.findall(f"{SVG}path")
    assert len(path.get("d")) > 50
    w, h = float(root.get("width")), float(root.get("height"))
    assert 10 < w < 1200 and 10 < h < 200, (name, w, h)
    assert "<script" not in text and "href" not in text  # nothing to run, nothing to fetch


def test_cases_are_stacked_rows_beside_a_brace():
    one = formula.typeset("x")
    cases = formula.typeset(r"\begin{cases}x & x > 0\\ 0 & x \le 0\end{cases}")
    assert cases.ascent + cases.descent > 2 * (one.ascent + one.descent)  # two rows
    assert not cases.fallback


def test_size_and_style_switches_mathtext_lacks_are_dropped():
    for tex in (r"\max\big(x, 0\big)", r"\Bigl[x\Bigr]", r"\textstyle\sum_i x_i = 1"):
        assert not formula.typeset(tex).fallback, tex
    assert formula.typeset(r"\bigwedge x").fallback is False  # a symbol that starts alike, kept


def test_what_mathtext_cannot_parse_is_drawn_as_source():
    text = formula.svg(r"\unknowncommand{x}")
    assert 'data-fallback="true"' in text and ET.fromstring(text) is not None


def test_formula_endpoint(live_server):
    r = httpx.get(f"{live_server}/api/formula", params={"name": "SiLU"})  # an alias
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert ET.fromstring(r.text).get("aria-label") == actlab.get_spec("silu").formula
    assert "max-age" in r.headers["cache-control"] and r.headers["x-content-type-options"] == "nosniff"
