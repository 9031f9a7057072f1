"""The CLI: tables and JSON, exit codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import actlab
from actlab.cli import app, main

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


def test_bad_input_exits_2_with_one_line_on_stderr():
    result = runner.invoke(app, ["show", "mish2"])
    assert result.exit_code == 2 and not result.stdout
    assert result.stderr.startswith("error: unknown activation 'mish2'")
    assert len(result.stderr.splitlines()) == 1


def test_a_bug_keeps_its_traceback_instead_of_exit_2(monkeypatch):
    # the old wrapper turned every ValueError/TypeError into "error:" and exit 2, bugs included
    for kind in (TypeError, ValueError):
        def broken(*args, kind=kind, **kwargs):
            raise kind("a bug inside actlab")

        monkeypatch.setattr(actlab, "specs", broken)
        result = runner.invoke(app, ["list"])
        assert result.exit_code == 1 and isinstance(result.exception, kind), result.output
        assert "error:" not in result.output


def test_every_group_is_mounted_on_the_root():
    import typer.main

    root = typer.main.get_command(app)
    assert set(root.commands) >= {"list", "show", "demo", "check", "properties", "verify", "gradflow",
                                  "meanfield", "doctor", "selfnorm", "recommend", "plot", "approx",
                                  "report", "serve", "bench"}
    assert set(root.commands["bench"].commands) == {"train", "results", "tasks", "quick", "kernels"}
    help_text = runner.invoke(app, ["--help"]).stdout
    assert "actlab check accuracy mish" in help_text and "properties" in help_text


def test_console_script_and_python_m_reach_the_same_root():
    import subprocess
    import sys
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "actlab"]
    assert script.value == "actlab.cli:main" and script.load() is main
    done = subprocess.run([sys.executable, "-m", "actlab.cli", "--version"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == f"actlab {actlab.__version__}\n", done.stderr
