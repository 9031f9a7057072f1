"""Plots of f, f′, f″: the figure objects (axes, lines, values against independent formulas) and
the files they are saved to."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from scipy.special import expit
from scipy.stats import norm
from typer.testing import CliRunner

from actlab.cli import app
from actlab.report import plots

runner = CliRunner()


def curves_of(ax):
    """The data lines of an axes (not the axhline/axvline guides, which have 2 points)."""
    return [ln for ln in ax.lines if len(ln.get_xdata()) > 2]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plots._plt().close("all")


def test_one_activation_overlays_f_df_d2f_and_marks_the_kink():
    fig = plots.plot(["relu"])
    (ax,) = fig.axes
    lines = {ln.get_label(): ln for ln in curves_of(ax)}
    assert set(lines) == {"f(x)", "f′(x)", "f″(x)"}
    assert ax.get_title() == "relu" and ax.get_xlabel() == "x" and ax.get_legend() is not None
    x = np.asarray(lines["f(x)"].get_xdata())
    ok = np.isfinite(x)
    np.testing.assert_allclose(np.asarray(lines["f(x)"].get_ydata())[ok], np.maximum(x[ok], 0.0))
    # f′ is cut at the kink: a NaN separates the 0 branch from the 1 branch, no sloped segment
    dx = np.asarray(lines["f′(x)"].get_xdata())
    dy = np.asarray(lines["f′(x)"].get_ydata())
    assert np.isnan(dx).sum() == 1
    assert set(np.unique(dy[np.isfinite(dy)])) == {0.0, 1.0}
    kinks = [ln for ln in ax.lines if ln.get_label() == "kink"]
    assert len(kinks) == 1 and list(kinks[0].get_xdata()) == [0, 0]


def test_curves_match_closed_forms():
    t = plots.curves("tanh", xrange=(-4, 4))
    ok = np.isfinite(t.x)
    np.testing.assert_allclose(t.y[1][ok], 1 - np.tanh(t.x[ok]) ** 2, rtol=1e-12, atol=1e-15)
    s = plots.curves("sigmoid", orders=(2,), xrange=(-6, 6))
    sg = expit(s.x)
    np.testing.assert_allclose(s.y[2], sg * (1 - sg) * (1 - 2 * sg), rtol=1e-9, atol=1e-15)
    assert t.kinks == [] and set(s.y) == {2}


def test_several_activations_get_one_panel_per_order():
    fig = plots.plot(["mish", "swish", "gelu"], orders="0,1")
    assert len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["f(x)", "f′(x)"]
    for ax in fig.axes:
        assert len(curves_of(ax)) == 3
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["mish", "swish", "gelu"]


def test_gated_activation_plots_its_gate():
    fig = plots.plot(["geglu"])
    ax = fig.axes[0]
    assert ax.get_title() == "geglu: gate g = gelu"
    f = next(ln for ln in curves_of(ax) if ln.get_label() == "f(x)")
    x, y = np.asarray(f.get_xdata()), np.asarray(f.get_ydata())
    np.testing.assert_allclose(y, x * norm.cdf(x), rtol=1e-12, atol=1e-15)  # GELU = x Φ(x)


def test_parameters_reach_the_curve():
    c = plots.curves("elu", orders=(0,), xrange=(-5, 1), params={"alpha": 0.5})
    assert c.title == "elu (alpha=0.5)"
    assert c.y[0][0] == pytest.approx(0.5 * math.expm1(-5.0), rel=1e-14)
    with pytest.raises(ValueError, match="none of relu has it"):
        plots.plot(["relu"], params={"alpha": 1.0})


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_saved_files_are_valid(tmp_path, suffix):
    path = plots.save(plots.plot(["hardswish"]), tmp_path / f"h{suffix}")
    data = path.read_bytes()
    if suffix == ".png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    elif suffix == ".pdf":
        assert data[:5] == b"%PDF-"
    else:
        root = ET.fromstring(data)
        assert root.tag.endswith("svg")
        assert "hardswish" in data.decode()  # the title is in the figure, as text


def test_gallery_is_small_multiples_with_one_legend():
    names = ["relu", "tanh", "swiglu", "crelu", "rrelu"]
    fig = plots.gallery(names, ncols=3)
    assert len(fig.axes) == 6
    visible = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in visible] == [
        "relu", "tanh", "swiglu: gate g = silu", "crelu: base function g = relu", "rrelu (eval form)"]
    assert all(len(curves_of(ax)) == 3 for ax in visible)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["f(x)", "f′(x)", "f″(x)", "kink"]


def test_bad_input_says_what_to_write():
    with pytest.raises(ValueError, match="orders must be 0"):
        plots.parse_orders("0,3")
    with pytest.raises(ValueError, match="A < B"):
        plots.curves("relu", xrange=(2, 1))
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        plots.save(plots.plot(["relu"]), "relu.jpg")
    with pytest.raises(ValueError, match=r"did you mean|unknown"):
        plots.plot(["rleu"])


def test_cli_plot_writes_the_file(tmp_path):
    out = tmp_path / "elus.svg"
    result = runner.invoke(app, ["plot", "elu", "selu", "--order", "0,1", "--range", "-4", "2",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and ET.fromstring(out.read_bytes()).tag.endswith("svg")
    bad = runner.invoke(app, ["plot", "relu", "--out", str(tmp_path / "x.gif")])
    assert bad.exit_code == 2 and ".png, .svg or .pdf" in bad.stderr, bad.output


def test_mathtext_renders_every_catalog_formula_piece():
    import actlab
    from actlab.report import html

    failed = [s.name for s in actlab.specs() if "<code>" in html.formula(s.formula)]
    assert failed == []


def test_one_colour_per_activation_across_the_report():
    from actlab.report.plots import PALETTE, color_of

    assert color_of("relu") == color_of("relu") and color_of("relu") in PALETTE
    assert len({color_of(n) for n in ("relu", "tanh", "sigmoid", "selu", "gelu")}) == 5
    assert color_of("relu+bn") in PALETTE  # an arm that is not a catalog name still gets a fixed colour
