"""``actlab report``: one self-contained HTML page with every section, tables as JSON, failing
sections as error boxes. Built here for four activations in one process; the network analyses
(whose own tests cover them) run on tiny settings and are drawn by the sections' own renderers."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from typer.testing import CliRunner

from actlab.cli import app
from actlab.report import build as B
from actlab.report import sections as S

NAMES = ["relu", "sigmoid", "cube", "geglu"]


def tiny_analyses(monkeypatch):
    """The network sections with real data of the real shape, from tiny runs (seconds, not minutes)."""
    import torch

    from actlab.analysis import doctor, gradflow, meanfield, selfnorm

    small = {
        "gradflow": lambda: {"runs": [gradflow.run("relu", depth=4, width=16, batch=8).to_dict()],
                             "half": [], "theory": []},
        "meanfield": lambda: {"edge": [meanfield.analyse("tanh", 1.0, 0.0).to_dict()],
                              "selu": meanfield.moment_fixed_point("selu").to_dict(), "phase": None},
        "selfnorm": lambda: selfnorm.run(("selu",), depth=2, width=8, steps=2, n_train=64).to_dict(),
        "doctor": lambda: {"tiny": {"report": doctor.diagnose(
            torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)),
            torch.randn(16, 4)).to_dict()}},
    }
    for key, fn in small.items():
        monkeypatch.setitem(S.REGISTRY, key, dataclasses.replace(
            S.REGISTRY[key], compute=lambda opt, part, fn=fn: {**fn(), "assets": {}}, in_quick=True))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    tiny_analyses(mp)
    try:
        out = tmp_path_factory.mktemp("report")
        return B.build(out, quick=True, names=NAMES, jobs=1, progress=False)
    finally:
        mp.undo()


def test_every_section_is_there_and_ok(built):
    page = built.html_path.read_text(encoding="utf-8")
    assert built.failed == []
    for s in S.REGISTRY.values():
        assert f'<section id="{s.key}"><h2>{s.title}' in page.replace("&#x27;", "'"), s.key
        assert f'href="#{s.key}"' in page  # and in the table of contents
    assert "error" not in {o.key: o.error for o in built.outcomes}.values()


def test_page_is_self_contained(built):
    page = built.html_path.read_text(encoding="utf-8")
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", page)
    local = ("#", "data:image/png;base64,", "activations/")  # the activation pages lie next to it
    assert refs and all(r.startswith(local) for r in refs), [r[:40] for r in refs if not r.startswith(local)]
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert page.count("<script") == 1 and "<script>" in page  # one inline script, no src
    assert "@import" not in page and "url(" not in page
    assert page.count("data:image/png;base64,") >= len(NAMES)  # one plot card per activation at least


def test_content_of_the_core_sections(built):
    page = built.html_path.read_text(encoding="utf-8")
    assert "geglu" in page and "gate g = gelu" in page  # gated: its gate is plotted
    assert "polynomial, degree 3" in page  # the approximation demo names cube's degree
    assert "as expected" in page and "✗ WRONG" not in page


def test_json_has_the_tables(built):
    data = json.loads(built.json_path.read_text(encoding="utf-8"))
    assert data["meta"]["quick"] is True and data["meta"]["names"] == NAMES
    sec = data["sections"]
    assert set(sec) == set(S.REGISTRY)
    assert {r["name"] for r in sec["catalog"]["data"]["rows"]} == set(NAMES)
    props = {r["name"]: r for r in sec["properties"]["data"]["properties"]}
    assert set(props) == {"relu", "sigmoid", "cube"}  # elementwise ones only
    assert props["sigmoid"]["max_abs_derivative"] == pytest.approx(0.25, abs=1e-12)  # σ′(0) = 1/4
    assert props["cube"]["polynomial"] is True
    claims = sec["claims"]["data"]["rows"]
    assert claims and all(r["ok"] for r in claims)
    acc = sec["accuracy"]["data"]["rows"]
    assert {r["name"] for r in acc} == {"relu", "sigmoid", "cube"}
    assert {r["dtype"] for r in acc} == {"float32"}
    approx = sec["approx"]["data"]
    assert approx["degree"]["cube"] == 3 and "assets" not in approx
    assert sec["gradflow"]["data"]["runs"][0]["activation"] == "relu"


def test_a_failing_section_becomes_an_error_box(tmp_path, monkeypatch):
    def boom(opt, part):
        raise RuntimeError("the oracle is on holiday")

    monkeypatch.setitem(S.REGISTRY, "claims", dataclasses.replace(S.REGISTRY["claims"], compute=boom))
    r = B.build(tmp_path, quick=True, names=["relu"], keys=["catalog", "claims"], jobs=1, progress=False)
    page = r.html_path.read_text(encoding="utf-8")
    assert r.failed == ["claims"] and r.failed_required == ["claims"]
    assert 'class="error"' in page and "the oracle is on holiday" in page
    assert '<section id="catalog">' in page  # the rest is still there
    assert json.loads(r.json_path.read_text())["sections"]["claims"]["error"].startswith("RuntimeError")


def test_cli_report_json_and_bad_input(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["report", "--out", str(tmp_path), "--quick", "--name", "relu",
                              "--sections", "catalog,gallery", "--jobs", "1", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["sections"] == {"catalog": "ok", "gallery": "ok"}
    assert (tmp_path / "report.html").exists()
    bad = runner.invoke(app, ["report", "--out", str(tmp_path), "--sections", "catalogue"])
    assert bad.exit_code == 2 and "catalog" in bad.stderr, bad.output


def test_worker_processes_give_the_same_page_content(tmp_path):
    r = B.build(tmp_path, names=["relu", "elu", "tanh"], keys=["catalog", "gallery"], jobs=2, progress=False)
    assert r.failed == []
    data = json.loads(r.json_path.read_text())["sections"]
    assert {row["name"] for row in data["gallery"]["data"]["rows"]} == {"relu", "elu", "tanh"}
    assert r.html_path.read_text(encoding="utf-8").count('<div class="card">') == 3


def test_sections_with_nothing_to_show_say_so(tmp_path):
    r = B.build(tmp_path, names=["geglu"], keys=["properties", "catalog"], jobs=1, progress=False)
    page = r.html_path.read_text(encoding="utf-8")
    assert r.failed == [] and "Nothing to show for the chosen activations" in page


def test_quick_leaves_out_what_is_marked_so(tmp_path, monkeypatch):
    slow = dataclasses.replace(S.REGISTRY["approx"], in_quick=False)
    monkeypatch.setattr(S, "REGISTRY", {"catalog": S.REGISTRY["catalog"], "approx": slow})
    r = B.build(tmp_path, quick=True, names=["relu"], jobs=1, progress=False)
    page = r.html_path.read_text(encoding="utf-8")
    assert "Left out of <code>--quick</code>" in page and r.failed == []
    assert json.loads(r.json_path.read_text())["sections"]["approx"]["skipped"]


def test_the_page_answers_first(built):
    page = built.html_path.read_text(encoding="utf-8")
    assert page.index('id="summary"') < page.index('<section id="catalog"')
    assert "Which activation?" in page and "seed 000 (blog)" not in page
    assert "actlab bench train --profile ci" in page  # the empty "Compare and choose" says what fills it


def test_tables_sort_and_filter_and_search_finds_an_activation(built):
    import shutil
    import subprocess

    page = built.html_path.read_text(encoding="utf-8")
    for name in NAMES:
        assert f'<tr id="act-{name}"' in page  # the anchors the search box jumps to
    assert 'id="search"' in page and "sortable" in page and "filter" in page
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    if shutil.which("node"):  # the script at least parses
        check = subprocess.run(["node", "--check", "-"], input=script, text=True, capture_output=True)
        assert check.returncode == 0, check.stderr


def test_a_page_per_activation(built):
    folder = built.html_path.parent / "activations"
    page = built.html_path.read_text(encoding="utf-8")
    for name in NAMES:
        assert f'href="activations/{name}.html"' in page and (folder / f"{name}.html").exists()
    import html

    relu = html.unescape((folder / "relu.html").read_text(encoding="utf-8"))
    for heading in ("Formula", "f, f′ and f″", "Parameters", "Measured properties", "Accuracy against",
                    "Mean field", "Use it", "Reference"):
        assert f"<h2>{heading}" in relu, heading
    assert "actlab.functional.relu(x)" in relu and "actlab.nn.ReLU()" in relu and 'actlab.get("relu")' in relu
    assert 'href="../report.html#act-relu"' in relu and "data:image/png;base64," in relu
    assert 'href="http://127.0.0.1:8000/#a=relu"' in relu  # "open in the explorer" (actlab serve)
    # nothing from the network: the one http:// link is the local explorer's
    local = relu.replace("http://www.w3.org", "").replace("http://127.0.0.1:8000/#a=relu", "")
    assert "https://" not in relu and "http://" not in local
