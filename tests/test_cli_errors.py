"""The CLI's error policy, one row per failure: a user error exits 2 with one ``error:`` line on
stderr that says what to do, no traceback, nothing on stdout and nothing written, and it is
refused before the work starts (the sizes here would take minutes, or more memory than exists).

Each case runs in an empty working folder; ``{tmp}`` in an argument is that folder, ``{db}`` a
valid results store, ``{garbage}``/``{foreign}``/``{truncated}`` damaged or foreign stores,
``{model}`` a file with model factories, ``{file}`` an existing plain file, ``{folder}`` a
folder named like a figure.
"""

from __future__ import annotations

import math
import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from actlab.bench.store import Store
from actlab.cli import app

runner = CliRunner()

MODEL = '''
import torch

def only_model():
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU())

def with_inputs():
    return only_model(), torch.randn(8, 3)

not_a_model = 42
'''

# (args, words the one error line must contain), grouped as the issue lists them
CASES: dict[str, list[tuple[list[str], str]]] = {
    "paths": [
        (["plot", "mish", "-o", "/proc/x/p.png"], "cannot write in"),
        (["plot", "mish", "-o", "{tmp}"], "must end in"),
        (["plot", "mish", "-o", "{folder}"], "is a folder"),
        (["plot", "mish", "-o", "p.txt"], "must end in .png, .svg or .pdf"),
        (["plot", "mish", "-o", ""], "must end in"),
        (["plot", "mish", "-o", "/dev/full/x.png"], "is not a folder"),
        (["plot", "mish", "-o", "{file}/x.png"], "is not a folder"),
        (["report", "--out", "/proc/x"], "cannot write in"),
        (["report", "--out", "{file}"], "is not a folder"),
        (["meanfield", "tanh", "--plot", "/dev/full"], "must end in"),
        (["meanfield", "tanh", "--plot", "/dev/null/x.png"], "is not a folder"),
        (["gradflow", "relu", "--plot", "/dev/full"], "must end in"),
        (["gradflow", "relu", "--plot", "/proc/x/g.png"], "cannot write in"),
        (["selfnorm", "--plot", "/proc/x/s.png"], "cannot write in"),
        (["selfnorm", "--plot", "{tmp}"], "must end in"),
        (["approx", "relu", "--out", "/proc/x/a.png"], "cannot write in"),
        (["bench", "kernels", "relu", "--plot", "/proc/x/k.png"], "cannot write in"),
        (["bench", "kernels", "relu", "--plot", "k.txt"], "must end in"),
        (["bench", "results", "--db", "{db}", "--plots", "/proc/x"], "cannot write in"),
        (["bench", "results", "--db", "{db}", "--plots", "{file}"], "is not a folder"),
        (["bench", "train", "--profile", "ci", "--figures", "/proc/x"], "cannot write in"),
        (["serve", "--port", "0", "--report", "{tmp}"], "no report.html in this folder"),
        (["serve", "--port", "0", "--report", "{tmp}/none"], "no such folder"),
        (["serve", "--port", "0", "--report", "{file}"], "is not a folder"),
    ],
    "sizes": [
        (["bench", "kernels", "mish", "--sizes", "10G"], "of memory"),
        (["bench", "kernels", "mish", "--sizes", "1024G"], "of memory"),
        (["bench", "kernels", "mish", "--sizes", "inf"], "not a number of elements"),
        (["bench", "kernels", "mish", "--sizes", "nan"], "not a number of elements"),
        (["bench", "kernels", "mish", "--sizes", "0"], "not a number of elements"),
        (["bench", "kernels", "mish", "--sizes", "-5"], "not a number of elements"),
        (["bench", "kernels", "mish", "--sizes", "1.5"], "not a number of elements"),
        (["bench", "kernels", "mish", "--sizes", "1e400"], "not a number of elements"),
        (["gradflow", "--width", "100000000"], "of memory"),
        (["gradflow", "--width", "100000000", "--theory"], "of memory"),
        (["gradflow", "--batch", "100000000000", "--width", "1000"], "of memory"),
        (["selfnorm", "--width", "100000000"], "of memory"),
        (["selfnorm", "--batch", "100000000000"], "of memory"),
        (["approx", "relu", "--widths", "100000000"], "of memory"),
        (["plot", "mish", "--dpi", "100000"], "--dpi must be between"),
        (["doctor", "--model", "{model}:only_model", "--input-shape", "100000,100000,1000"], "of memory"),
        (["check", "accuracy", "relu", "--jobs", "100000"], "--jobs must be between"),
        (["report", "--jobs", "100000"], "--jobs must be between"),
    ],
    "shapes": [
        (["doctor", "--demo", "healthy", "--input-shape", "abc"], "--input-shape is for --model"),
        (["doctor", "--model", "{model}:only_model", "--input-shape", "abc"], "positive integers"),
        (["doctor", "--model", "{model}:only_model", "--input-shape", "0,3"], "positive integers"),
        (["doctor", "--model", "{model}:only_model", "--input-shape", "-8,3"], "positive integers"),
        (["doctor", "--model", "{model}:only_model", "--input-shape", ""], "positive integers"),
        (["doctor", "--model", "{model}:only_model"], "give --input-shape"),
        (["doctor", "--model", "{model}:with_inputs", "--input-shape", "8,3"], "drop --input-shape"),
    ],
    "model specs": [
        (["doctor", "--model", "nope:nope"], "no module named 'nope'"),
        (["doctor", "--model", "nope"], "MODULE:FACTORY"),
        (["doctor", "--model", ":f"], "MODULE:FACTORY"),
        (["doctor", "--model", "missing.py:f", "--input-shape", "2,3"], "no file"),
        (["doctor", "--model", "actlab:no_such_factory", "--input-shape", "2,3"], "has no attribute"),
        (["doctor", "--model", "{model}:not_a_model", "--input-shape", "2,3"], "torch.nn.Module"),
        (["doctor"], "exactly one of"),
        (["doctor", "--demo", "healthy", "--model", "x:y"], "exactly one of"),
        (["doctor", "--demo", "nope"], "unknown demo"),
    ],
    "parameter relations": [
        (["plot", "mish", "--range", "5", "-5"], "--range"),
        (["plot", "mish", "--range", "1", "1"], "--range"),
        (["plot", "--gallery", "-p", "beta=2"], "--param applies"),
        (["meanfield", "tanh", "relu", "-p", "alpha=1"], "single activation"),
        (["gradflow", "--theory", "--plot", "g.png"], "--theory"),
        (["bench", "train", "--profile", "ci", "--task", "digits"], "--profile fixes"),
        # the profile's experiments name their own activations: a list beside it was ignored
        (["bench", "train", "relu", "sigmoid", "--profile", "full", "--only", "depth 16 lecun"],
         "--profile fixes"),
        (["bench", "train", "--task", "digits", "--estimate"], "needs --profile"),
        (["bench", "results", "--db", "{db}", "--only", "digits"], "needs --profile"),
        (["properties", "relu", "--json", "--csv"], "one output format"),
        (["bench", "train", "--task", "text", "--set", "d_model=10", "--set", "heads=4",
          "--db", "{tmp}/r.sqlite"], "multiple of"),
    ],
    "empty lists": [
        (["check", "accuracy", "--dtype", ""], "--dtype is empty"),
        (["check", "accuracy", "--dtype", ",,"], "--dtype is empty"),
        (["check", "accuracy", "swiglu"], "check silu instead"),
        (["check", "accuracy", "crelu", "glu"], "elementwise"),
        (["check", "accuracy", ""], "no activation named"),
        (["bench", "kernels", "mish", "--sizes", ""], "--sizes is empty"),
        (["bench", "kernels", "mish", "--sizes", ","], "--sizes is empty"),
        (["bench", "kernels", "mish", "--dtype", ""], "--dtype is empty"),
        (["bench", "kernels", ""], "no activation named"),
        (["selfnorm", "--arms", ""], "--arms is empty"),
        (["approx", "relu", "--target", ""], "--target is empty"),
        (["approx", "relu", "--widths", ""], "at least one integer"),
        (["approx", ""], "no activation named"),
        (["report", "--sections", ""], "--sections is empty"),
        (["report", "--name", ""], "--name is empty"),
        (["bench", "train", "--task", ""], "say what to train"),
        (["bench", "train", "--task", ","], "say what to train"),
        (["bench", "train", "--task", "digits", "--acts", "", "--db", "{tmp}/r.sqlite"], "--acts"),
        (["plot", "mish", "--order", ""], "--order"),
        (["plot", ""], "no activation named"),
        (["gradflow", ""], "no activation named"),
        (["meanfield", " "], "no activation named"),
    ],
    "numbers": [
        (["selfnorm", "--lr", "nan"], "--lr must be a finite number > 0"),
        (["selfnorm", "--lr", "inf"], "--lr must be a finite number > 0"),
        (["selfnorm", "--lr", "0"], "--lr must be a finite number > 0"),
        (["selfnorm", "--lr", "-1"], "--lr must be a finite number > 0"),
        (["selfnorm", "--depth", "0"], "--depth must be at least 1"),
        (["selfnorm", "--width", "0"], "--width must be at least 1"),
        (["selfnorm", "--steps", "0"], "--steps must be at least 1"),
        (["selfnorm", "--batch", "-1"], "--batch must be at least 1"),
        (["selfnorm", "--alpha-dropout", "1"], "--alpha-dropout"),
        (["selfnorm", "--alpha-dropout", "nan"], "--alpha-dropout"),
        (["selfnorm", "--seed", "-1"], "--seed"),
        (["gradflow", "--depth", "1"], "--depth must be at least 2"),
        (["gradflow", "--width", "0"], "--width must be at least 1"),
        (["gradflow", "--batch", "0"], "--batch must be at least 1"),
        (["gradflow", "--sigma-b2", "nan"], "--sigma-b2"),
        (["gradflow", "--sigma-w2", "inf"], "--sigma-w2"),
        (["gradflow", "--sigma-w2", "0"], "--sigma-w2"),
        (["gradflow", "--init", "normal", "--sigma", "-1"], "--sigma"),
        (["meanfield", "tanh", "--sigma-w2", "nan"], "--sigma-w2"),
        (["meanfield", "tanh", "--sigma-b2", "-inf"], "--sigma-b2"),
        (["bench", "kernels", "relu", "--repeats", "0"], "--repeats must be at least 1"),
        (["bench", "kernels", "relu", "--threads", "0"], "--threads must be at least 1"),
        (["check", "accuracy", "relu", "--jobs", "0"], "--jobs"),
        (["report", "--jobs", "0"], "--jobs"),
        (["plot", "mish", "--dpi", "0"], "--dpi"),
        (["plot", "mish", "--range", "nan", "1"], "--range"),
        (["plot", "mish", "--range", "-inf", "1"], "--range"),
        (["show", "swish", "-p", "beta=nan"], "finite"),
        (["show", "swish", "-p", "beta=inf"], "finite"),
        (["approx", "relu", "--seeds", "0"], "--seeds"),
        (["approx", "relu", "--widths", "0,4"], "--widths"),
        (["serve", "--port", "70000"], "--port"),
        (["bench", "quick", "--seeds", "1", "--db", "{tmp}/r.sqlite"], "--seeds"),
    ],
    "budgets": [
        (["bench", "train", "--task", "digits", "--epochs", "0", "--db", "{tmp}/r.sqlite"], "--epochs"),
        (["bench", "train", "--task", "digits", "--epochs", "-1", "--db", "{tmp}/r.sqlite"], "--epochs"),
        (["bench", "train", "--task", "digits", "--steps", "-5", "--db", "{tmp}/r.sqlite"], "--steps"),
        (["bench", "train", "--task", "digits", "--seeds", "0", "--db", "{tmp}/r.sqlite"], "--seeds"),
        (["bench", "train", "--task", "digits", "--workers", "-1", "--db", "{tmp}/r.sqlite"], "--workers"),
        (["bench", "train", "--task", "digits", "--threads", "0", "--db", "{tmp}/r.sqlite"], "--threads"),
        (["bench", "train", "--task", "digits", "--set", "epochs=0", "--db", "{tmp}/r.sqlite"], "epochs=0"),
        (["bench", "train", "--task", "digits", "--set", "steps=-5", "--db", "{tmp}/r.sqlite"], "steps=-5"),
        (["bench", "train", "--task", "digits", "--set", "lr=nan", "--db", "{tmp}/r.sqlite"], "lr=nan"),
        (["bench", "train", "--task", "digits", "--set", "lr=0", "--db", "{tmp}/r.sqlite"], "lr=0"),
        (["bench", "train", "--task", "digits", "--set", "batch=0", "--db", "{tmp}/r.sqlite"], "batch=0"),
        (["bench", "train", "--task", "digits", "--set", "val_frac=0", "--db", "{tmp}/r.sqlite"], "val_frac"),
        (["bench", "train", "--task", "digits", "--set", "subset=0", "--db", "{tmp}/r.sqlite"], "subset"),
        (["bench", "train", "--task", "digits", "--set", "width=0", "--db", "{tmp}/r.sqlite"], "width=0"),
        (["bench", "train", "--task", "digits", "--set", "epochs=inf", "--db", "{tmp}/r.sqlite"], "epochs"),
        (["bench", "train", "--task", "depth", "--set", "depth=0", "--db", "{tmp}/r.sqlite"], "depth=0"),
    ],
    "choices": [
        (["gradflow", "--dtype", "float8"], "--dtype must be one of"),
        (["gradflow", "--loss", "nope"], "--loss must be one of"),
        (["gradflow", "--init", "nope"], "unknown initialisation"),
        (["gradflow", "--inputs", "nope"], "unknown input distribution"),
        (["gradflow", "swiglu"], "elementwise"),
        (["selfnorm", "--optimizer", "nope"], "--optimizer"),
        (["selfnorm", "--arms", "nope"], "unknown arm"),
        (["bench", "kernels", "relu", "--device", "tpu"], "--device cpu"),
        (["bench", "kernels", "relu", "--dtype", "int8"], "int8"),
        (["bench", "train", "--task", "digits", "--backend", "nope", "--db", "{tmp}/r.sqlite"], "--backend"),
        (["bench", "train", "--task", "digits", "--set", "nope=1", "--db", "{tmp}/r.sqlite"], "nope"),
        (["bench", "train", "--profile", "nope"], "unknown profile"),
        (["report", "--sections", "nope"], "unknown report section"),
        (["verify", ""], "empty claim"),
    ],
    "stores": [
        (["bench", "results", "--db", "{garbage}"], "not a SQLite database"),
        (["bench", "results", "--db", "{truncated}"], "damaged"),
        (["bench", "results", "--db", "{foreign}"], "not an actlab results store"),
        (["bench", "results", "--db", "/dev/full"], "not a regular file"),
        (["bench", "results", "--db", "{tmp}"], "is a folder"),
        (["bench", "results", "--db", "{tmp}/none.sqlite"], "no results store"),
        (["recommend", "--db", "{garbage}", "--no-properties"], "not a SQLite database"),
        (["recommend", "--db", "{foreign}", "--no-properties"], "not an actlab results store"),
        (["recommend", "--db", "/dev/full", "--no-properties"], "not a regular file"),
        (["bench", "train", "--task", "digits", "--steps", "1", "--db", "/dev/full"], "not a regular file"),
        (["bench", "train", "--task", "digits", "--steps", "1", "--db", "{garbage}"], "not a SQLite"),
        (["bench", "train", "--task", "digits", "--steps", "1", "--db", "{foreign}"], "not an actlab"),
        (["bench", "train", "--task", "digits", "--steps", "1", "--db", "{truncated}"], "damaged"),
        (["bench", "train", "--task", "digits", "--steps", "1", "--db", "{tmp}"], "is a folder"),
        (["bench", "train", "--task", "digits", "--steps", "1", "--db", "/proc/x/r.sqlite"], "cannot create"),
        (["bench", "quick", "--db", "{foreign}"], "not an actlab"),
    ],
}
ALL = [(cat, args, want) for cat, rows in CASES.items() for args, want in rows]


def _result(act: str = "relu", seed: int = 0) -> dict:
    return {"task": "digits", "activation": act, "seed": seed, "config_hash": "abc",
            "config": {"epochs": 1}, "metric_name": "accuracy", "metric": 0.9 - seed / 100, "val_loss": 0.3,
            "status": "done", "n_params": 100, "seconds": 1.5, "threads": 1, "host": "h", "pid": 1,
            "started": 0.0, "finished": 1.0, "versions": {"actlab": "0"},
            "epochs": [{"epoch": 0, "step": 0, "train_loss": math.nan, "val_loss": 0.5, "metric": 0.5,
                        "dead_frac": 0.0, "sat_frac": 0.1, "seconds": 0.1}]}


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("inputs")
    with Store(d / "good.sqlite") as s:
        for seed in range(3):
            s.record(_result(seed=seed))
            s.record(_result("tanh", seed))
    (d / "garbage.sqlite").write_bytes(os.urandom(8192))
    full = (d / "good.sqlite").read_bytes()
    (d / "truncated.sqlite").write_bytes(full[: len(full) // 3])
    with sqlite3.connect(d / "foreign.sqlite") as c:
        c.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
        c.execute("INSERT INTO contacts VALUES ('a', '1')")
    c.close()
    (d / "models.py").write_text(MODEL)
    (d / "plain.txt").write_text("not a folder")
    (d / "folder.png").mkdir()
    return {"db": d / "good.sqlite", "garbage": d / "garbage.sqlite", "truncated": d / "truncated.sqlite",
            "foreign": d / "foreign.sqlite", "model": d / "models.py", "file": d / "plain.txt",
            "folder": d / "folder.png"}


def _snapshot(paths: list[Path]) -> dict[Path, bytes | None]:
    return {p: p.read_bytes() if p.is_file() else None for p in paths}


@pytest.mark.parametrize(("category", "args", "want"), ALL,
                         ids=[f"{c}: {' '.join(a)}" for c, a, _ in ALL])
def test_user_error_exits_2_with_one_line_and_writes_nothing(category, args, want, fixtures, tmp_path,
                                                             monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    subs = {"tmp": str(work), **{k: str(v) for k, v in fixtures.items()}}
    argv = [a.format(**subs) for a in args]
    inputs = list(fixtures.values())
    before = _snapshot(inputs)
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, (argv, result.exit_code, result.output, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output and not result.stdout, result.output
    assert want in lines[0], (want, lines[0])
    assert not list(work.iterdir()), f"{argv} wrote {list(work.iterdir())}"
    assert _snapshot(inputs) == before, "an input file was changed"
    for p in ("/dev/full.png", "/dev/null.png", "/proc/x"):
        assert not Path(p).exists()
    assert not [p for p in fixtures["db"].parent.iterdir() if p.name.endswith(("-wal", "-shm"))
                and not p.name.startswith("good")], "a refused store was left with SQLite sidecars"


def test_readers_leave_the_store_as_it_was(fixtures, tmp_path, monkeypatch):
    """bench results and recommend open the store read-only: its bytes do not change."""
    monkeypatch.chdir(tmp_path)
    db = fixtures["db"]
    before = db.read_bytes()
    res = runner.invoke(app, ["bench", "results", "--db", str(db), "--json"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["recommend", "--db", str(db), "--no-properties", "--json"])
    # its runs are untuned: recommend refuses them (exit 2, what to run), still reading only
    assert res.exit_code == 2 and "No tuned results in the store" in res.output, res.output
    assert db.read_bytes() == before and not list(tmp_path.iterdir())


def test_counts_per_category():
    """The table covers every category of the issue."""
    assert {c: len(r) for c, r in CASES.items()} and all(len(r) >= 5 for r in CASES.values())


def test_a_failed_write_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    """A disk that fills while the figure is written: exit 2, and no half-written file."""
    import matplotlib.figure

    def full(self, fname, *args, **kwargs):
        Path(fname).write_bytes(b"half a png")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", full)
    out = tmp_path / "deep" / "er" / "p.png"
    result = runner.invoke(app, ["plot", "relu", "-o", str(out)])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: --out: cannot write") and "No space left on device" in line
    assert not out.exists() and not (tmp_path / "deep").exists()


def test_a_bug_in_a_write_keeps_its_traceback(tmp_path, monkeypatch):
    """Only OSErrors about the output path are the user's: any other error is a bug."""
    import matplotlib.figure

    def broken(self, *args, **kwargs):
        raise RuntimeError("a bug in the plot code")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", broken)
    result = runner.invoke(app, ["plot", "relu", "-o", str(tmp_path / "p.png")])
    assert result.exit_code == 1 and isinstance(result.exception, RuntimeError)
