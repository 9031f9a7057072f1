"""The figures of the network analyses (actlab.report.figures), drawn from the results the
analyses return and from the same results as plain JSON data; the analyses themselves draw
nothing."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import torch

import actlab
from actlab.analysis import doctor, gradflow, meanfield, selfnorm
from actlab.report import sections_networks
from actlab.report.figures import doctor as doctor_figures
from actlab.report.figures import gradflow as gradflow_figures
from actlab.report.figures import kernels as kernel_figures
from actlab.report.figures import meanfield as meanfield_figures
from actlab.report.figures import selfnorm as selfnorm_figures

PACKAGE = Path(actlab.__file__).parent


@pytest.fixture(autouse=True)
def one_thread():
    # small matrices on a shared 2-core machine: intra-op threads only contend
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _plain(data):
    return json.loads(json.dumps(data))


@pytest.mark.parametrize("path", ["analysis/gradflow.py", "analysis/meanfield.py", "analysis/selfnorm.py",
                                  "analysis/doctor.py", "analysis/approx.py", "bench/kernels.py",
                                  "bench/stats.py", "bench/compare.py", "bench/protocol.py",
                                  "bench/recommend.py"])
def test_the_analyses_compute_and_draw_nothing(path):
    tree = ast.parse((PACKAGE / path).read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in imported if m.split(".")[0] == "matplotlib" or m == "rich.progress"}
    names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert not names & {"plot", "plot_phase_diagram", "report_data", "report_figures", "plot_cd",
                        "plot_depth", "plot_learning_curves", "plot_ranks", "_save"}


def test_gradflow_figure_from_results_and_from_plain_data(tmp_path):
    results = gradflow.compare(["sigmoid", "tanh", "relu"], depth=10, width=64, batch=16, dtype="float16")
    files = gradflow_figures.plot(results, tmp_path / "flow.svg")
    assert files == [tmp_path / "flow.svg"] and files[0].read_text().count("<path") > 10
    runs = [r.to_dict() for r in gradflow.compare(["sigmoid", "relu"], depth=6, width=16, batch=8)]
    half = [r.to_dict() for r in results[:1]]
    files = gradflow_figures.report_figures(_plain({"runs": runs, "half": half, "theory": []}), tmp_path)
    assert [f.name for f in files] == ["gradflow_float32.png", "gradflow_float16.png"]
    with pytest.raises(ValueError, match="quantity"):
        gradflow_figures.plot(results, tmp_path / "x.png", quantity="loss")


def test_phase_diagram_figure(tmp_path):
    data = meanfield.phase_diagram(["tanh", "relu"], grid=5, curve_points=3, sigma_b2=(0.0, 0.1))
    files = meanfield_figures.plot_phase_diagram(data, tmp_path / "phase.png")
    assert files == [tmp_path / "phase.png"] and files[0].stat().st_size > 10_000
    files = meanfield_figures.report_figures(_plain({"phase": data}), tmp_path)  # the report's way
    assert files == [tmp_path / "meanfield_phase.png"]


def test_selfnorm_figure(tmp_path):
    result = selfnorm.run(["selu", "relu+bn"], depth=3, width=8, steps=4, n_train=64)
    files = selfnorm_figures.plot(result, tmp_path / "selfnorm.png")
    assert files[0].stat().st_size > 10_000
    files = selfnorm_figures.report_figures(_plain(result.to_dict()), tmp_path / "from-json")
    assert files == [tmp_path / "from-json" / "selfnorm.png"]


def test_doctor_section_data_and_figures(tmp_path):
    data = _plain(sections_networks.doctor_data(demos=("dead-relu",)))  # survives JSON
    assert "dead" in data["dead-relu"]["text"]
    files = doctor_figures.report_figures(data, tmp_path)
    assert [f.name for f in files] == ["doctor_dead-relu.png"] and files[0].stat().st_size > 10_000
    model, inputs = doctor.demo_model("healthy")
    files = doctor_figures.plot(doctor.diagnose(model, inputs), tmp_path / "healthy", formats=("png", "svg"))
    assert [f.name for f in files] == ["healthy.png", "healthy.svg"]


def test_kernel_benchmark_figure(tmp_path):
    rows = [{"activation": name, "dtype": "float32", "size": n, "direction": d, "impl": impl,
             "time_s": 1e-9 * n * (2 if impl == "naive" else 1)}
            for name in ("relu", "mish") for n in (1 << 12, 1 << 16) for d in ("fwd", "fwd+bwd")
            for impl in ("actlab", "naive", "copy")]
    path = kernel_figures.plot(rows, tmp_path / "k.png")
    assert path == str(tmp_path / "k.png") and (tmp_path / "k.png").stat().st_size > 10_000
    with pytest.raises(ValueError, match="no rows"):
        kernel_figures.plot(rows, tmp_path / "none.png", direction="bwd")


def test_section_figures_become_assets():
    data = sections_networks.with_figures({"x": 1}, lambda d, folder: meanfield_figures.plot_phase_diagram(
        meanfield.phase_diagram(["relu"], grid=3, curve_points=2), Path(folder) / "p"))
    assert data["x"] == 1 and list(data["assets"]) == ["figure:p"]
    assert data["assets"]["figure:p"][:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="reserved"):
        sections_networks.with_figures({"assets": {}}, lambda d, folder: [])
