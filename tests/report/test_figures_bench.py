"""The benchmarks' figures (actlab.report.figures.bench): drawn from the figure requests the
benchmarks return as plain data (actlab.bench.stats.figure), never by the benchmarks. Each
activation in the report's colour (plots.color_of), read back from SVG; PNGs at their size."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from PIL import Image

from actlab.bench import compare, stats
from actlab.report.figures import bench as bench_figures
from actlab.report.plots import color_of

ACTS = {"relu": 0.95, "tanh": 0.9, "gelu": 0.93}


def _runs(means, task="digits", config_hash="h", config=None, seeds=3, rng=0):
    g = np.random.default_rng(rng)
    runs = []
    for act, m in means.items():
        for s in range(seeds):
            metric = float(m + g.normal(0, 0.01))
            runs.append({"task": task, "activation": act, "seed": s, "config_hash": config_hash,
                         "config": config or {}, "metric_name": "accuracy", "metric": metric, "seconds": 1.0,
                         "n_params": 10, "finished": 1.0, "status": "done",
                         "epochs": [{"epoch": e, "step": 10 * e, "metric": metric * e / 2,
                                     "dead_frac": 0.05 if act == "relu" else 0.0,
                                     "sat_frac": 0.2 if act == "tanh" else 0.0} for e in range(3)]})
    return runs


def _requests():
    """One request of each kind, through JSON as report.json and --json keep them."""
    runs = _runs(ACTS) + _runs(ACTS, task="mnist1d", config_hash="m", rng=1)
    depth = []
    for d in (2, 8):
        depth += _runs({"relu": 0.9, "tanh": 0.6}, task="depth", config_hash=f"d{d}",
                       config={"depth": d, "dataset": "digits"})
    digits = [r for r in runs if r["task"] == "digits"]
    reqs = [stats.figure("learning_curves", stats.learning_curves_data(digits), "curves-digits-h.png",
                         title="digits"),
            stats.figure("depth", stats.depth_data(depth), "depth.png"),
            stats.figure("ranks", stats.average_ranks(runs), "ranks.png"),
            stats.figure("cd", compare.friedman(runs), "cd-tiny-0.png")]
    return json.loads(json.dumps(reqs))


def _svg_colours(path) -> set[str]:
    svg = path.read_text(encoding="utf-8")
    return {c.lower() for c in re.findall(r"(?:stroke|fill): (#[0-9A-Fa-f]{6})", svg)}


@pytest.mark.parametrize("kind,size", [("learning_curves", (1440, 540)), ("depth", (900, 576)),
                                       ("ranks", (840, 324)), ("cd", (960, 259))])
def test_each_kind_draws_its_png_from_plain_data(tmp_path, kind, size):
    (req,) = [r for r in _requests() if r["kind"] == kind]
    path = bench_figures.draw(req, tmp_path / "out")
    assert path == tmp_path / "out" / req["file"]
    with Image.open(path) as img:
        assert img.format == "PNG" and img.size == size  # figsize × 120 dpi


@pytest.mark.parametrize("kind,acts", [("learning_curves", ACTS), ("depth", ("relu", "tanh")),
                                       ("ranks", ACTS), ("cd", ACTS)])
def test_one_colour_per_activation(tmp_path, kind, acts):
    (req,) = [r for r in _requests() if r["kind"] == kind]
    path = bench_figures.KINDS[kind](req["data"], tmp_path / f"{kind}.svg")
    colours = _svg_colours(path)
    assert {color_of(a).lower() for a in acts} <= colours
    assert not {"#1f77b4", "#ff7f0e"} & colours  # no tab10 colours left


def test_cd_marks_the_groups_not_separated(tmp_path):
    (req,) = [r for r in _requests() if r["kind"] == "cd"]
    res = req["data"]
    assert math.isfinite(res["cd"]) and res["n_experiments"] == 2
    order = sorted(res["ranks"].items(), key=lambda kv: kv[1])
    groups = compare.cd_groups(order, res["cd"])
    colours = _svg_colours(bench_figures.cd(res, tmp_path / "cd.svg"))
    assert ("#ff0000" in colours) == bool(groups)


def test_learning_curves_name_the_quiet_activations(tmp_path):
    (req,) = [r for r in _requests() if r["kind"] == "learning_curves"]
    svg = bench_figures.learning_curves(req["data"], tmp_path / "c.svg").read_text(encoding="utf-8")
    # gelu is neither saturated nor dead: named in a note, not drawn in the right panel
    assert "below 1% saturated and 0.1% dead throughout" in svg and "gelu saturated" not in svg
    assert "relu dead" in svg and "tanh saturated" in svg


def test_draw_all_and_report_figures_draw_every_request_in_order(tmp_path):
    reqs = _requests()
    paths = bench_figures.report_figures({"figures": reqs}, tmp_path)
    assert [p.name for p in paths] == [r["file"] for r in reqs] and all(p.stat().st_size > 0 for p in paths)
    assert bench_figures.report_figures({"figures": []}, tmp_path / "none") == []
    with pytest.raises(ValueError, match="unknown benchmark figure kind 'pie'"):
        bench_figures.draw({**reqs[0], "kind": "pie"}, tmp_path)
