"""The CLI: tables and JSON, exit codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import actlab
from actlab.cli import app

runner = CliRunner()


def test_list_json_lists_the_catalog():
    result = runner.invoke(app, ["list", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == actlab.names()
    fam = json.loads(runner.invoke(app, ["list", "--family", "sigmoidal", "--json"]).stdout)
    assert {r["family"] for r in fam} == {"sigmoidal"}


def test_show_gives_formula_params_and_values():
    result = runner.invoke(app, ["show", "swish", "--param", "beta=2", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["parameters"][0]["value"] == 2.0 and "sigma" in data["formula"]
    assert data["values"]["f"][3] == 0.0
    table = runner.invoke(app, ["show", "mish"])
    assert table.exit_code == 0 and "Misra" in table.stdout


def test_check_accuracy_reports_and_exits_zero_when_within_bounds():
    result = runner.invoke(app, ["check", "accuracy", "sigmoid", "--dtype", "float32", "--json",
                                 "--jobs", "1"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["quantity"] for r in rows} == {"f", "df", "d2f"}
    assert all(r["passed"] for r in rows)
    native_f = next(r for r in rows if r["quantity"] == "f")["native_max_ulp"]
    assert native_f is not None
