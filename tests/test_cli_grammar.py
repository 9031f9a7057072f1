"""One CLI grammar: exit codes 0 ok / 1 a check or verdict failed / 2 bad usage, ports checked
before they are announced, fast help, options that read the same in every command."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from actlab.cli import app

runner = CliRunner()


# ------------------------------------------------------------------------------ exit codes
def test_verify_exits_1_when_the_claim_fails_and_0_when_it_holds():
    failing = runner.invoke(app, ["verify", "relu(x) == x"])
    assert failing.exit_code == 1, failing.output
    assert "FAILS" in failing.stdout
    as_json = runner.invoke(app, ["verify", "relu(x) == x", "--json"])
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["holds"] is False
    holding = runner.invoke(app, ["verify", "relu(x) == max(x, 0)"])
    assert holding.exit_code == 0, holding.output
    assert "HOLDS" in holding.stdout


def test_verify_bad_claim_is_usage_exit_2():
    result = runner.invoke(app, ["verify", ""])
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1


# ---------------------------------------------------------------------------------- serve
def test_serve_on_a_taken_port_is_one_line_exit_2_before_any_url(monkeypatch):
    import socket

    from actlab.web import server

    started = []
    monkeypatch.setattr(server, "serve", lambda **kw: started.append(kw))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["serve", "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert not started and "http://" not in result.output
    assert len(result.stderr.splitlines()) == 1 and f"--port {port} is taken" in result.stderr
    assert "--port 0" in result.stderr


def test_serve_announces_the_port_it_will_use(monkeypatch):
    from actlab.web import server

    started = []
    monkeypatch.setattr(server, "serve", lambda **kw: started.append(kw))
    result = runner.invoke(app, ["serve", "--port", "0"])
    assert result.exit_code == 0, result.output
    (kw,) = started
    assert kw["port"] != 0 and f"http://127.0.0.1:{kw['port']}/" in result.stderr


# ----------------------------------------------------------------------------------- help
def _all_commands():
    import typer.main

    root = typer.main.get_command(app)
    paths = [[]]
    for name, cmd in root.commands.items():
        paths.append([name])
        paths += [[name, sub] for sub in getattr(cmd, "commands", {})]
    return paths


def test_every_help_renders_and_loads_no_analysis_stack():
    import subprocess
    import sys

    # in a fresh interpreter: after `import actlab` (torch: the library's own start-up), the
    # command line and every --help must not pull in SymPy, mpmath, matplotlib, SciPy or uvicorn.
    # That is what keeps --help fast; its time is not asserted (a 1 s limit per help failed with
    # two CPU hogs and two test suites beside it: an answer that depended on the clock).
    code = """
import sys, actlab
from typer.testing import CliRunner
from actlab.cli import app
from tests.test_cli_grammar import _all_commands
for path in _all_commands():
    r = CliRunner().invoke(app, [*path, "--help"])
    assert r.exit_code == 0, (path, r.output)
heavy = sorted(m for m in ("sympy", "mpmath", "matplotlib", "scipy", "uvicorn", "plotly") if m in sys.modules)
print(heavy)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


def test_help_texts_are_written_for_the_terminal():
    import typer.main

    root = typer.main.get_command(app)
    for path in _all_commands():
        cmd = root
        for name in path:
            cmd = cmd.commands[name]
        for para in (cmd.help or "").split("\n\n"):
            lines = para.splitlines()
            # one line per paragraph (the terminal wraps it), or an examples block line by line
            assert len(lines) == 1 or lines[0].endswith(":"), (path, para)
            assert not para.rstrip().endswith("Examples:"), path
        text = runner.invoke(app, [*path, "--help"], terminal_width=100).stdout
        assert "<bool>" not in text and "see the docs" not in text, path
    plot = runner.invoke(app, ["plot", "--help"], terminal_width=100).stdout
    assert "actlab plot mish --out mish.svg" in [line.strip() for line in plot.splitlines()]
    approx = runner.invoke(app, ["approx", "--help"], terminal_width=100).stdout
    assert "[-1, 1]" in approx


# ---------------------------------------------------------------------------- one grammar
def _options(path):
    import typer.main

    cmd = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]
    shown = {o for p in cmd.params if not getattr(p, "hidden", False) for o in p.opts}
    hidden = {o for p in cmd.params if getattr(p, "hidden", False) for o in p.opts}
    return shown, hidden


def test_every_written_file_is_out_and_old_names_stay_hidden():
    for path in (["gradflow"], ["meanfield"], ["selfnorm"], ["bench", "kernels"]):
        shown, hidden = _options(path)
        assert "--out" in shown and "--plot" not in shown and "--plot" in hidden, path


def test_out_and_its_old_name_write_the_same_figure(tmp_path, monkeypatch):
    from actlab.report.figures import meanfield as figures

    written = []
    monkeypatch.setattr(figures, "plot_phase_diagram", lambda data, p: written.append(p) or [p])
    for option in ("--out", "--plot"):
        result = runner.invoke(app, ["meanfield", "tanh", option, str(tmp_path / f"m{option}.png")])
        assert result.exit_code == 0, result.output
    assert [p.name for p in written] == ["m--out.png", "m--plot.png"]
    both = runner.invoke(app, ["meanfield", "tanh", "--out", "a.png", "--plot", "b.png"])
    assert both.exit_code == 2 and "--plot is the old name of --out" in both.stderr
    bad = runner.invoke(app, ["gradflow", "relu", "--out", "g.txt"])
    assert bad.exit_code == 2 and "--out must end in" in bad.stderr


def test_bench_train_takes_activations_positionally_and_jobs(tmp_path, monkeypatch):
    from actlab.bench import sweep

    shown, hidden = _options(["bench", "train"])
    assert {"--jobs", "--out"} <= shown and {"--workers", "--acts", "--figures"} <= hidden
    shown, hidden = _options(["bench", "results"])
    assert "--out" in shown and "--plots" in hidden

    seen = []

    def fake_plan(task, acts, seeds, sets):
        seen.append(acts)
        raise ValueError("stop here")

    monkeypatch.setattr(sweep, "plan", fake_plan)
    db = str(tmp_path / "r.sqlite")
    for args in (["relu,gelu"], ["relu", "gelu"], ["--acts", "relu,gelu"], []):
        result = runner.invoke(app, ["bench", "train", *args, "--task", "digits", "--db", db])
        assert result.exit_code == 2 and "stop here" in result.stderr, result.output
    assert seen == ["relu,gelu", "relu,gelu", "relu,gelu", "core"]
    both = runner.invoke(app, ["bench", "train", "relu", "--acts", "gelu", "--task", "digits"])
    assert both.exit_code == 2 and "--acts" in both.stderr
    for option in ("--jobs", "--workers"):
        bad = runner.invoke(app, ["bench", "train", "--task", "digits", option, "-1", "--db", db])
        assert bad.exit_code == 2 and f"{option} must be" in bad.stderr, bad.output


def test_report_and_selfnorm_take_their_names_positionally(tmp_path, monkeypatch):
    from actlab.analysis import selfnorm as sn
    from actlab.report import build

    for path, old in ((["report"], "--name"), (["selfnorm"], "--arms")):
        shown, hidden = _options(path)
        assert old in hidden and old not in shown, path

    names = []

    def fake_build(out_dir, **kw):
        names.append(kw["names"])
        raise ValueError("stop here")

    monkeypatch.setattr(build, "build", fake_build)
    for args in (["mish,gelu"], ["mish", "gelu"], ["--name", "mish", "--name", "gelu"]):
        result = runner.invoke(app, ["report", *args, "--out", str(tmp_path / "r")])
        assert result.exit_code == 2 and "stop here" in result.stderr, result.output
    assert names == [["mish", "gelu"]] * 3

    arms = []

    def fake_run(chosen, **kw):
        arms.append(chosen)
        raise ValueError("stop here")

    monkeypatch.setattr(sn, "run", fake_run)
    for args in (["selu,elu"], ["selu", "elu"], ["--arms", "selu,elu"]):
        result = runner.invoke(app, ["selfnorm", *args, "--steps", "1"])
        assert result.exit_code == 2 and "stop here" in result.stderr, result.output
    assert arms == [["selu", "elu"]] * 3
    for args in (["selu", "--arms", "elu"], [","]):
        result = runner.invoke(app, ["selfnorm", *args])
        assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1, result.output


def test_positional_activations_take_commas_too():
    import json

    for args in (["relu,tanh"], ["relu", "tanh"], ["relu,", "tanh"]):
        result = runner.invoke(app, ["approx", *args, "--target", "step", "--widths", "2,4",
                                     "--seeds", "1", "--json"])
        assert result.exit_code == 0, result.output
        assert {r["activation"] for r in json.loads(result.stdout)["rows"]} == {"relu", "tanh"}
    for path in (["approx"], ["properties"], ["check", "accuracy"], ["plot"]):
        result = runner.invoke(app, [*path, ","])
        assert result.exit_code == 2 and "no activation named" in result.stderr, (path, result.output)
        assert len(result.stderr.splitlines()) == 1


def test_approx_table_keeps_bracketed_target_labels():
    result = runner.invoke(app, ["approx", "relu", "--target", "step", "--widths", "2,4", "--seeds", "1"])
    assert result.exit_code == 0 and "1[x > 0]" in result.stdout, result.output


# --------------------------------------------------------------------------------- doctor
MODEL = '''
import torch

model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU())

def make():
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU())
'''


def test_doctor_takes_a_module_level_model_or_a_factory(tmp_path):
    path = tmp_path / "mymodel.py"
    path.write_text(MODEL)
    for attr in ("model", "make"):
        result = runner.invoke(app, ["doctor", "--model", f"{path}:{attr}", "--input-shape", "16,3",
                                     "--json"])
        assert result.exit_code in (0, 1), result.output  # 1: the doctor found problems
        assert json.loads(result.stdout)["layers"], attr


def test_doctor_explains_a_wrong_input_shape_in_one_line(tmp_path):
    from actlab.cli.stability import load_model

    path = tmp_path / "mymodel.py"
    path.write_text(MODEL)
    result = runner.invoke(app, ["doctor", "--model", f"{path}:model", "--input-shape", "16,5"])
    assert result.exit_code == 2 and not result.stdout, result.output
    assert len(result.stderr.splitlines()) == 1 and "--input-shape 16,5" in result.stderr
    assert "Traceback" not in result.output
    net, _ = load_model(f"{path}:model", "16,3")  # the trial pass leaves modes and statistics alone
    assert net.training and net[1].num_batches_tracked.item() == 0


def test_jobs_and_json_wherever_they_apply(monkeypatch):
    from actlab.numerics import accuracy

    for path in (["demo"], ["report"], ["check", "accuracy"], ["bench", "train"]):
        assert "--jobs" in _options(path)[0], path
    for path in _all_commands():  # every command that prints a table can print JSON instead
        if path and path[-1] not in ("plot", "serve", "quick", "bench", "check") and path != []:
            assert "--json" in _options(path)[0], path

    fake = [{"name": "relu", "dtype": "float32", "quantity": "f", "passed": True}]
    monkeypatch.setattr(accuracy, "accuracy_rows", lambda *a, **k: fake)
    result = runner.invoke(app, ["demo", "--json", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["accuracy"] == fake and "relu" in {r["name"] for r in data["catalog"]}
    monkeypatch.setattr(accuracy, "accuracy_rows", lambda *a, **k: [{**fake[0], "passed": False}])
    assert runner.invoke(app, ["demo", "--json"]).exit_code == 1


def test_every_command_refuses_a_bad_option_in_one_line():
    for path in _all_commands():
        if not path:
            continue
        result = runner.invoke(app, [*path, "--no-such-option"])
        assert result.exit_code == 2, (path, result.output)
        assert len(result.output.splitlines()) == 1 and "Traceback" not in result.output, path
        assert "--no-such-option" in result.output
    typo = runner.invoke(app, ["gradflow", "--depth", "x"])
    assert typo.exit_code == 2 and typo.stderr.startswith("error: Invalid value for '--depth'")
    assert "actlab gradflow --help" in typo.stderr and len(typo.stderr.splitlines()) == 1
