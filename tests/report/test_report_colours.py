"""One colour per activation across the report: the mean-field, doctor and kernel figures draw
each activation in ``plots.color_of(name)``, the colour the comparison, gradient-flow and
self-normalisation figures give it. Read back from the SVG files (matplotlib writes a line's
colour as ``stroke: #rrggbb`` and a bar's as ``fill: #rrggbb``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from actlab.analysis import doctor, meanfield
from actlab.report.figures import doctor as doctor_figures
from actlab.report.figures import kernels as kernel_figures
from actlab.report.figures import meanfield as meanfield_figures
from actlab.report.plots import PALETTE, color_of


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _colours(svg: str, what: str) -> set[str]:
    return {c.lower() for c in re.findall(rf"{what}: (#[0-9A-Fa-f]{{6}})", svg)}


def test_color_of_is_fixed_by_the_catalog_not_by_the_figure():
    import actlab

    names = actlab.names()
    assert color_of(names[0]) == PALETTE[0] and color_of(names[1]) == PALETTE[1]
    assert color_of("relu") == PALETTE[names.index("relu") % len(PALETTE)]
    assert color_of("relu+bn") == color_of("relu+bn") in PALETTE  # an arm: stable, from the palette


def test_phase_diagram_draws_each_edge_in_its_report_colour(tmp_path):
    assert color_of("tanh") != color_of("relu")
    data = meanfield.phase_diagram(["tanh", "relu"], grid=5, curve_points=3, sigma_b2=(0.0, 0.1))
    [path] = meanfield_figures.plot_phase_diagram(data, tmp_path / "phase.svg")
    strokes = _colours(path.read_text(), "stroke")
    assert {color_of("tanh").lower(), color_of("relu").lower()} <= strokes


def test_doctor_bars_take_their_activation_colour(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8),
                                torch.nn.Tanh(), torch.nn.Linear(8, 2))
    torch.manual_seed(0)
    report = doctor.diagnose(model, torch.randn(32, 4))
    acts = [r["activation"] for r in report.rows() if r["role"] == "activation"]
    assert acts == ["relu", "tanh"]
    [path] = doctor_figures.plot(report, tmp_path / "doc", formats=("svg",))
    svg = path.read_text()
    drawn = _colours(svg, "fill") | _colours(svg, "stroke")
    assert {color_of("relu").lower(), color_of("tanh").lower()} <= drawn


def test_kernel_figure_draws_actlab_in_the_activation_colour_and_the_rest_in_grey(tmp_path):
    rows = [{"activation": name, "dtype": "float32", "size": n, "direction": "fwd", "impl": impl,
             "time_s": 1e-9 * n * (2 if impl == "naive" else 1)}
            for name in ("relu", "mish") for n in (1 << 12, 1 << 16)
            for impl in ("actlab", "native", "naive")]
    path = kernel_figures.plot(rows, tmp_path / "k.svg", direction="fwd")
    strokes = _colours(Path(path).read_text(), "stroke")
    assert {color_of("relu").lower(), color_of("mish").lower()} <= strokes
    greys = strokes - {color_of("relu").lower(), color_of("mish").lower()}
    # everything else is a grey (r = g = b): no second colour scheme beside the activations'
    assert all(c[1:3] == c[3:5] == c[5:7] for c in greys), greys
