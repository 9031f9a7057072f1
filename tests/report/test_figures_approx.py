"""The universal-approximation figure (actlab.report.figures.approx), drawn from the result
:func:`actlab.analysis.approx.run` returns or from its plain JSON data; the analysis draws nothing."""

from __future__ import annotations

import json
import re

import pytest

from actlab.analysis import approx
from actlab.report.figures import approx as approx_figures
from actlab.report.plots import color_of


@pytest.fixture(scope="module")
def result():
    return approx.run(["square", "cube", "relu"], targets=["sin", "abs"], widths=[4, 16, 64], seeds=1)


def test_one_panel_per_target_one_line_per_activation_plus_plateaus(result):
    from matplotlib.colors import to_hex

    fig = approx_figures.figure(result)
    try:
        assert len(fig.axes) == 2
        for ax, t in zip(fig.axes, ("sin", "abs")):
            assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
            curves = [ln for ln in ax.lines if len(ln.get_xdata()) == 3]
            acts = result.activations
            assert [list(ln.get_ydata()) for ln in curves] == [result.errors[a][t] for a in acts]
            # one colour per activation, the report's; polynomials dashed
            assert [to_hex(ln.get_color()) for ln in curves] == [color_of(a).lower() for a in acts]
            assert [ln.get_linestyle() for ln in curves] == ["--", "--", "-"]
            plateaus = [ln for ln in ax.lines if len(ln.get_xdata()) == 2]  # axhline: one per polynomial
            polys = ("square", "cube")
            assert [ln.get_ydata()[0] for ln in plateaus] == [result.best_polynomial[a][t] for a in polys]
            assert [to_hex(ln.get_color()) for ln in plateaus] == [color_of(a).lower() for a in polys]
    finally:
        approx_figures.pyplot().close(fig)


def test_saved_from_plain_data_as_png_and_svg(result, tmp_path):
    data = json.loads(json.dumps(result.to_dict()))
    png = approx_figures.plot(data, tmp_path / "approx.png", dpi=50)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = approx_figures.plot(data, tmp_path / "approx.svg").read_text(encoding="utf-8")
    strokes = {c.lower() for c in re.findall(r"stroke: (#[0-9A-Fa-f]{6})", svg)}
    assert {color_of(a).lower() for a in result.activations} <= strokes
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        approx_figures.plot(result, tmp_path / "approx.gif")
