"""Sweeps: the rows a tiny sweep writes, resuming, and a worker killed with SIGKILL mid-run."""

import os
import signal
import sqlite3
import threading
import time

import pytest

from actlab.bench.store import Store
from actlab.bench.sweep import parse_acts, parse_sets, plan, run_sweep
from actlab.bench.train import RunSpec


def rows(db):
    """Everything a run stored that does not depend on the clock or the process."""
    with Store(db) as s:
        return {(r["task"], r["activation"], r["seed"], r["config_hash"]):
                (r["metric"], r["val_loss"], r["n_params"],
                 [{k: v for k, v in e.items() if k not in ("seconds", "run_id")} for e in r["epochs"]])
                for r in s.runs(with_epochs=True)}


TINY = {"steps": ["3"], "batch": ["16"]}  # 3 optimiser steps: one evaluation after epoch 0


def test_plan_is_a_seed_major_grid():
    specs = plan("digits,depth", "relu,tanh", 2, {"depth": ["2", "4"], "epochs": ["1"]})
    # digits: 2 acts; depth: 2 depths × 2 acts -> 6 per seed
    assert len(specs) == 12 and [s.seed for s in specs] == [0] * 6 + [1] * 6
    assert {s.config["depth"] for s in specs if s.task == "depth"} == {2, 4}
    assert all("depth" not in s.config for s in specs if s.task == "digits")
    with pytest.raises(ValueError, match="no task in"):
        plan("digits", "relu", 1, {"depht": ["2"]})
    assert parse_acts("glu,relu") == ["glu", "reglu", "geglu", "swiglu", "bilinear", "relu"]
    assert parse_sets(["depth=2,8", "lr=0.01"]) == {"depth": ["2", "8"], "lr": ["0.01"]}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_sets(["depth"])


def test_tiny_sweep_writes_the_expected_rows_and_resumes(tmp_path):
    db = tmp_path / "r.sqlite"
    specs = plan("digits", "relu,tanh", 2, TINY)
    report = run_sweep(specs, db, workers=0, progress=False)
    assert report.complete and len(report.stored) == 4 and report.skipped == 0
    with Store(db) as s:
        runs = s.runs(with_epochs=True)
        assert s.claims() == []
    assert sorted((r["activation"], r["seed"]) for r in runs) == [("relu", 0), ("relu", 1), ("tanh", 0),
                                                                  ("tanh", 1)]
    for r in runs:
        assert r["status"] == "done" and r["metric_name"] == "accuracy" and r["n_params"] == 26122
        assert [(e["epoch"], e["step"]) for e in r["epochs"]] == [(0, 0), (1, 3)]
        # one evaluation after training: the best-validation epoch is it, scored on test
        assert r["best_epoch"] == 1 and r["metric"] == r["epochs"][-1]["test_metric"]
        assert r["val_metric"] == r["epochs"][-1]["metric"]
        # accuracy is a count over the 360 test digits
        assert 0 <= r["metric"] <= 1 and abs(r["metric"] * 360 - round(r["metric"] * 360)) < 1e-9
        last = r["epochs"][-1]
        assert 0 <= last["dead_frac"] <= 1 and 0 <= last["sat_frac"] <= 1
    assert {r["epochs"][0]["sat_frac"] > 0.2 for r in runs if r["activation"] == "relu"} == {True}
    again = run_sweep(specs, db, workers=0, progress=False)
    assert again.skipped == 4 and again.stored == []


def test_a_killed_worker_loses_only_its_run_and_a_rerun_finishes(tmp_path):
    db = tmp_path / "r.sqlite"
    specs = plan("digits", "relu,elu", 2, {"epochs": ["2"]})
    Store(db).close()
    killed = {}

    def killer():  # SIGKILL the first worker seen holding a run, mid-run
        with Store(db) as s:
            deadline = time.time() + 120
            while time.time() < deadline:
                claims = s.claims()
                if claims:
                    c = claims[0]
                    killed["key"] = (c["task"], c["activation"], c["seed"], c["config_hash"])
                    os.kill(c["pid"], signal.SIGKILL)
                    return
                time.sleep(0.02)

    t = threading.Thread(target=killer)
    t.start()
    report = run_sweep(specs, db, workers=2, progress=False)
    t.join()
    assert [k for k, _ in report.lost] == [killed["key"]] and "signal 9" in report.lost[0][1]
    assert len(report.stored) == 3 and not report.failed
    with Store(db) as s:
        assert killed["key"] not in s.finished_keys() and s.count() == 3
    rerun = run_sweep(specs, db, workers=0, progress=False)
    assert rerun.stored == [killed["key"]] and rerun.skipped == 3
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        per_key = c.execute("SELECT COUNT(*) FROM runs GROUP BY task, activation, seed, config_hash")
        assert sorted(n for (n,) in per_key.fetchall()) == [1, 1, 1, 1]
        # epochs belong to stored runs only: 1 + 2 evaluations each, nothing left by the killed run
        assert c.execute("SELECT COUNT(*) FROM epochs").fetchone()[0] == 4 * 3
        assert c.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    # the pool's rows, the re-run's row and an uninterrupted in-process sweep agree bit for bit
    run_sweep(specs, tmp_path / "serial.sqlite", workers=0, progress=False)
    assert rows(db) == rows(tmp_path / "serial.sqlite")


def test_bad_requests_fail_before_anything_runs(tmp_path):
    specs = plan("digits", "relu", 1, TINY)
    with pytest.raises(ValueError, match="--backend"):
        run_sweep(specs, tmp_path / "r.sqlite", backend="slurm")
    with pytest.raises(ValueError, match="--address"):
        run_sweep(specs, tmp_path / "r.sqlite", address="10.0.0.1:6379")
    with pytest.raises(ValueError, match="--seeds"):
        plan("digits", "relu", 0)
    # budgets no run can train with: refused while planning, before the store is opened (epochs=0
    # used to store a "done" run at chance accuracy, which then entered the statistics)
    for sets, says in (({"epochs": ["0"]}, "epochs=0"), ({"epochs": ["-1"]}, "epochs=-1"),
                       ({"steps": ["-5"]}, "steps=-5"), ({"lr": ["nan"]}, "lr=nan"),
                       ({"batch": ["0"]}, "batch=0"), ({"val_frac": ["1"]}, "val_frac"),
                       ({"epochs": ["2", "0"]}, "epochs=0")):
        with pytest.raises(ValueError, match=says):
            plan("digits", "relu", 1, sets)
    with pytest.raises(ValueError, match="steps=0"):  # the language model has no epochs: steps >= 1
        RunSpec.make("text", "relu", 0, {"steps": 0})
    assert not (tmp_path / "r.sqlite").exists()


def test_cli_train_results_and_recommend(tmp_path):
    import json

    from typer.testing import CliRunner

    from actlab.cli import app

    db = str(tmp_path / "r.sqlite")
    runner = CliRunner()
    res = runner.invoke(app, ["bench", "train", "--task", "digits", "--acts", "relu,tanh", "--seeds", "2",
                              "--steps", "3", "--db", db, "--workers", "0", "--no-progress", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["report"]["stored"] == 4 and len(data["summary"]) == 2
    res = runner.invoke(app, ["bench", "results", "--db", db, "--json", "--plots", str(tmp_path / "fig")])
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.stdout)["summary"]) == 2 and (tmp_path / "fig" / "ranks.png").exists()
    # untuned runs are never used: the store cannot answer, so exit 2 with one line naming the run
    res = runner.invoke(app, ["recommend", "--db", db, "--task-kind", "vision", "--no-properties", "--json"])
    assert res.exit_code == 2 and "4 untuned run(s)" in res.output and "--profile ci" in res.output
    assert res.output.count("\n") == 1 and res.output.startswith("error:")
    res = runner.invoke(app, ["recommend", "--db", db, "--task-kind", "nlp", "--no-properties"])
    assert res.exit_code == 2 and "actlab bench train --profile full --only text" in res.output
    res = runner.invoke(app, ["recommend", "--db", db, "--no-properties"])
    assert res.exit_code == 2 and "--profile ci (vision and deep" in res.output
    res = runner.invoke(app, ["bench", "train", "--task", "digits", "--acts", "rleu", "--db", db])
    assert res.exit_code == 2 and "rleu" in res.output
    res = runner.invoke(app, ["recommend", "--db", str(tmp_path / "none.sqlite")])
    assert res.exit_code == 2 and "no results store" in res.output
    from actlab.bench.recommend import report_section

    pngs = set(tmp_path.rglob("*.png"))
    section = report_section(db, properties=False)
    # figure requests, as data: nothing is drawn (actlab.report.figures.bench draws them)
    assert section["tables"][0]["rows"] and set(tmp_path.rglob("*.png")) == pngs
    (curves,) = section["figures"]  # one experiment, no depth runs, no tuned ranks
    assert curves["kind"] == "learning_curves" and curves["file"].startswith("curves-digits-")
    assert set(curves["data"]["curves"]) == {"relu", "tanh"} and json.loads(json.dumps(curves)) == curves
    assert any("untuned" in n for n in section["notes"])
    assert {r["kind"] for r in section["recommendations"]} == {"vision", "nlp", "deep"}
    empty = report_section(tmp_path / "none.sqlite")
    assert empty["figures"] == [] and "No stored runs" in empty["notes"][0]


PARENT = """
import sys
from actlab.bench.sweep import plan, run_sweep
run_sweep(plan("digits", "relu", 1, {"epochs": ["500"], "batch": ["256"]}), sys.argv[1], workers=1,
          progress=False)
"""


def _gone(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.startswith("State:") and "Z" in line for line in f)
    except FileNotFoundError:
        return True


def test_a_worker_whose_parent_is_killed_exits_quietly(tmp_path):
    """SIGKILL the sweep's parent mid-run: its worker sees the broken pipe at its next message,
    gives its run back and exits, with no BrokenPipe traceback on the shared stderr."""
    import subprocess
    import sys

    db = tmp_path / "r.sqlite"
    Store(db).close()
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(db)], stderr=subprocess.PIPE, text=True)
    worker = None
    with Store(db, readonly=True) as s:
        deadline = time.time() + 120
        while worker is None and time.time() < deadline and parent.poll() is None:
            claims = s.claims()
            worker = claims[0]["pid"] if claims else None
            time.sleep(0.05)
    if worker is None:
        parent.kill()
        parent.wait()
        pytest.fail(f"no run claimed in 120 s: {parent.stderr.read()}")
    parent.kill()
    parent.wait()
    deadline = time.time() + 60
    while not _gone(worker) and time.time() < deadline:
        time.sleep(0.05)
    assert _gone(worker), "the orphaned worker kept running"
    stderr = parent.stderr.read()  # the worker held the same pipe: EOF once it is gone
    parent.stderr.close()
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    with Store(db, readonly=True) as s:
        assert s.claims() == [] and s.count() == 0 and s.integrity() == "ok"
