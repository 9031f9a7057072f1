"""The universal-approximation demo: polynomial activations plateau at the best polynomial fit
of their degree (computed here independently with np.polyfit); the others keep improving."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from actlab.analysis import approx
from actlab.cli import app


def best_fit_error(fn, degree: int) -> float:
    """RMS error on [-1, 1] of the least-squares polynomial of ``degree``, on its own grids."""
    x = (np.arange(1024) + 0.5) / 1024 * 2 - 1
    coef = np.polyfit(x, fn(x), degree)
    t = np.linspace(-1, 1, 4001)
    return float(np.sqrt(np.mean((np.polyval(coef, t) - fn(t)) ** 2)))


@pytest.fixture(scope="module")
def result():
    return approx.run(["identity", "square", "cube", "relu", "tanh"], targets=["sin", "abs"],
                      widths=[8, 64, 256], seeds=3)


def test_degrees_come_from_the_property_analyzer(result):
    assert result.degree == {"identity": 1, "square": 2, "cube": 3, "relu": None, "tanh": None}


def test_polynomial_activations_plateau_at_the_best_polynomial_fit(result):
    sin = lambda x: np.sin(2 * np.pi * x)
    for name, d in (("identity", 1), ("square", 2), ("cube", 3)):
        for target, fn in (("sin", sin), ("abs", np.abs)):
            e = result.errors[name][target]
            assert e[-1] == pytest.approx(e[0], rel=1e-6)  # width 256 no better than width 8
            assert e[-1] == pytest.approx(best_fit_error(fn, d), rel=1e-5)
    # the plateau is far from 0: the cubic fit of sin(2πx) misses by ~0.6
    assert result.errors["cube"]["sin"][-1] > 0.5


def test_non_polynomial_activations_keep_improving(result):
    relu, tanh = result.errors["relu"], result.errors["tanh"]
    assert relu["sin"][0] / relu["sin"][-1] > 10
    assert relu["abs"][0] / relu["abs"][-1] > 10
    assert tanh["sin"][0] / tanh["sin"][-1] > 1e4
    # and beat every polynomial network by far at width 256
    assert relu["sin"][-1] < result.errors["cube"]["sin"][-1] / 100


def test_rows(result):
    rows = result.rows()
    assert len(rows) == 5 * 2
    cube_sin = next(r for r in rows if r["activation"] == "cube" and r["target"] == "sin")
    assert cube_sin["improvement"] == pytest.approx(1.0, rel=1e-6) and cube_sin["degree"] == 3
    # the figure is drawn by actlab.report.figures.approx (tests/report/test_figures_approx.py)


def test_bad_input():
    with pytest.raises(ValueError, match="elementwise"):
        approx.run(["geglu"])
    with pytest.raises(ValueError, match="unknown target"):
        approx.run(["relu"], targets=["cos"])
    with pytest.raises(ValueError, match="positive integers"):
        approx.run(["relu"], widths=[0, 4])


def test_cli_json_and_plot(tmp_path):
    out = tmp_path / "approx.png"
    r = CliRunner().invoke(app, ["approx", "square", "sin", "--target", "abs", "--widths", "4,64",
                                 "--seeds", "2", "--json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["degree"] == {"square": 2, "sin": None}
    sq = data["errors"]["square"]["abs"]
    assert sq[1] == pytest.approx(sq[0], rel=1e-6)
    assert data["errors"]["sin"]["abs"][1] < sq[1] / 5
    assert out.read_bytes()[:4] == b"\x89PNG"
