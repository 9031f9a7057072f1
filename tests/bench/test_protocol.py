"""Tune, then test: the lr the protocol picks is the one a direct grid shows best, a diverged
run is a counted failure, the test split is never read while tuning, init is declared and
gated/concatenated activations are parameter-matched."""

import math
import sqlite3

import pytest
import torch
from torch import nn

from actlab.bench import compare, protocol, stats, train
from actlab.bench.protocol import Experiment, Profile
from actlab.bench.store import Store
from actlab.bench.tasks import carve, get_task, models
from actlab.bench.train import RunSpec

TINY = {"steps": 24, "batch": 32}  # one evaluation after 24 steps: fractions of a second a run


def profile(acts, lrs, test_seeds=2, name="t"):
    return Profile(name, "test", (Experiment("digits", "digits", tuple(acts), TINY),),
                   {"classify": tuple(lrs)}, tune_seeds=1, test_seeds=test_seeds)


def test_tune_then_test_picks_the_lr_a_direct_grid_shows_best(tmp_path):
    lrs = (1e-5, 1e-2, 1e20)  # too small to learn in 24 steps, fine, diverges
    prof = profile(("relu", "tanh"), lrs)
    out = protocol.run_profile(prof, tmp_path / "r.sqlite", workers=0, progress=False)
    assert out["tune"].complete and out["test"].complete and len(out["test"].stored) == 4
    choice = {c["activation"]: c for c in out["choice"]}
    for act in ("relu", "tanh"):
        # the direct grid, scored here from the evaluation rows: the validation accuracy after
        # training, or the untrained model's for a run that diverged
        direct = {}
        for lr in lrs:
            spec = RunSpec.make("digits", act, protocol.TUNE_SEED0, {**TINY, "lr": lr, "stage": "tune"})
            r = train.run(spec)
            rows = r["epochs"]
            diverged = r["status"] == "diverged"
            direct[lr] = rows[0]["metric"] if diverged else max(e["metric"] for e in rows[1:])
            assert choice[act]["curve"][lr] == direct[lr]
            assert all(e["test_metric"] is None or math.isnan(e["test_metric"]) for e in rows)  # never read
        best = max(direct, key=direct.get)
        assert best == 1e-2 and choice[act]["best_lr"] == best
        assert direct[1e-2] > direct[1e-5] + 0.2  # the grid separates clearly
        assert choice[act]["tune_failures"] == 1  # the 1e20 run diverged and was counted
        mean = sum(direct.values()) / 3
        assert choice[act]["sensitivity"] == pytest.approx(direct[best] - mean)
    with Store(tmp_path / "r.sqlite") as s:
        runs = s.runs(with_epochs=True)
    tested = protocol.tested_runs(runs, prof.protocol)
    assert sorted((r["activation"], r["seed"], r["lr"]) for r in tested) == [
        ("relu", 0, 1e-2), ("relu", 1, 1e-2), ("tanh", 0, 1e-2), ("tanh", 1, 1e-2)]  # fresh seeds
    assert len({r["config_hash"] for r in tested}) == 1  # one experiment despite per-activation lrs
    for r in tested:
        assert r["metric"] == r["epochs"][r["best_epoch"]]["test_metric"]
    assert out["extended"] == []  # the best lr lies inside the grid: nothing to extend
    again = protocol.run_profile(prof, tmp_path / "r.sqlite", workers=0, progress=False)
    assert again["tune"].skipped == 6 and again["test"].skipped == 4  # resumes, same choice


def test_a_best_lr_at_the_end_of_the_grid_extends_it_until_bracketed(tmp_path, monkeypatch):
    prof = profile(("relu",), (1e-5, 1e-4), test_seeds=1)  # both too small to learn in 24 steps
    assert protocol.ladder(prof, prof.experiments[0]) == (1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2)
    with monkeypatch.context() as m:  # a store tested before extensions existed: tested at 1e-4
        m.setattr(protocol, "EXTEND", 0)
        protocol.run_profile(prof, tmp_path / "r.sqlite", workers=0, progress=False)
    out = protocol.run_profile(prof, tmp_path / "r.sqlite", workers=0, progress=False)
    direct = {}
    for lr in (1e-5, 1e-4, 1e-3, 1e-2):
        spec = RunSpec.make("digits", "relu", protocol.TUNE_SEED0, {**TINY, "lr": lr, "stage": "tune"})
        r = train.run(spec)
        direct[lr] = max(e["metric"] for e in r["epochs"][1:])
    assert direct[1e-4] > direct[1e-5] and direct[1e-2] > direct[1e-3] > direct[1e-4]  # rising
    (c,) = out["choice"]
    assert c["curve"] == direct  # two steps up, then the ladder ends; never down (1e-5 lost)
    assert c["best_lr"] == 1e-2 and len(out["extended"]) == 2
    assert c["sensitivity"] == pytest.approx(direct[1e-2] - (direct[1e-5] + direct[1e-4]) / 2)
    with Store(tmp_path / "r.sqlite") as s:
        runs = s.runs()
    assert {r["config"]["lr"] for r in runs if r["config"]["stage"] == "test"} == {1e-4, 1e-2}
    assert {r["lr"] for r in protocol.tested_runs(runs)} == {1e-2}  # the current choice only
    again = protocol.run_profile(prof, tmp_path / "r.sqlite", workers=0, progress=False)
    assert again["extended"] == [] or all(rep.skipped and not rep.stored for rep in again["extended"])


def test_extension_steps_one_lr_past_the_end_where_the_best_lies():
    prof = profile(("relu",), (1e-3, 1e-2, 1e-1))

    def lrs(curve):
        choice = [{"experiment": "digits", "activation": "relu", "curve": curve,
                   "best_lr": max(curve, key=curve.get)}]
        return [r.config["lr"] for r in protocol.extension_plan(prof, choice)]

    assert lrs({1e-3: 0.9, 1e-2: 0.5, 1e-1: 0.1}) == [1e-4]
    assert lrs({1e-3: 0.1, 1e-2: 0.5, 1e-1: 0.9}) == [1.0]
    assert lrs({1e-3: 0.1, 1e-2: 0.9, 1e-1: 0.5}) == []
    assert lrs({1e-3: 0.1, 1e-2: 0.1, 1e-1: 0.1}) == []  # flat (at chance everywhere): no end is best
    assert lrs({1e-5: 0.9, 1e-4: 0.5, 1e-3: 0.4, 1e-2: 0.2, 1e-1: 0.1}) == []  # EXTEND steps taken


def test_an_experiment_can_tune_on_more_seeds_than_its_profile():
    one = Experiment("digits", "digits", ("relu",), TINY)
    two = Experiment("digits 2", "digits", ("relu",), {**TINY, "batch": 16}, tune_seeds=2)
    prof = Profile("t", "test", (one, two), {"classify": (1e-3, 1e-2)}, tune_seeds=1, test_seeds=2)
    plan = protocol.tune_plan(prof)
    seeds = sorted((r.config["batch"], r.seed, r.config["lr"]) for r in plan)
    assert seeds == [(16, 1000, 1e-3), (16, 1000, 1e-2), (16, 1001, 1e-3), (16, 1001, 1e-2),
                     (32, 1000, 1e-3), (32, 1000, 1e-2)]
    assert [r.seed for r in plan][:3] == [1000, 1000, 1000]  # seed-major: every first seed first
    assert "1 tuning seed(s), 1 for digits, 2 for digits 2" in prof.describe()  # one task: per experiment
    choice = [{"experiment": "digits 2", "activation": "relu", "curve": {1e-3: 0.2, 1e-2: 0.9},
               "best_lr": 1e-2}]
    assert [(r.seed, r.config["lr"]) for r in protocol.extension_plan(prof, choice)] == [(1000, 0.1),
                                                                                         (1001, 0.1)]

    def stored(spec, metric):
        return {"task": spec.task, "activation": spec.activation, "seed": spec.seed, "config": spec.config,
                "metric": metric, "status": "done"}

    runs = [stored(r, 0.5 + r.config["lr"] * 10 + (r.seed - 1000) / 10) for r in plan if r.seed == 1000]
    by = {c["experiment"]: c for c in protocol.choose_lrs(prof, runs)}
    assert by["digits"]["best_lr"] == 1e-2 and by["digits 2"]["best_lr"] is None  # seed 1001 missing
    runs += [stored(r, 0.5 + r.config["lr"] * 10 + (r.seed - 1000) / 10) for r in plan if r.seed == 1001]
    by = {c["experiment"]: c for c in protocol.choose_lrs(prof, runs)}
    assert by["digits 2"]["best_lr"] == 1e-2
    assert by["digits 2"]["curve"] == pytest.approx({1e-3: 0.56, 1e-2: 0.65})  # the mean of both seeds
    # an extension run on one seed only (a store from when the experiment tuned on one): its
    # missing seed is planned, and the choice waits for it
    ext = protocol._spec(prof, two, "relu", 1000, 0.1, "tune")
    by = {c["experiment"]: c for c in protocol.choose_lrs(prof, [*runs, stored(ext, 0.7)])}
    assert by["digits 2"]["best_lr"] is None and by["digits 2"]["unfilled"] == [(0.1, 1001)]
    planned = protocol.extension_plan(prof, list(by.values()))
    assert [(r.seed, r.config["lr"]) for r in planned if r.config["batch"] == 16] == [(1001, 0.1)]


def test_a_diverged_run_is_a_counted_failure(tmp_path):
    prof = profile(("relu",), (1e20,), test_seeds=2)
    protocol.run_profile(prof, tmp_path / "r.sqlite", workers=0, progress=False)
    with Store(tmp_path / "r.sqlite") as s:
        runs = s.runs(with_epochs=True)
    tested = protocol.tested_runs(runs, prof.protocol)
    assert len(tested) == 2
    for r in tested:
        assert r["status"] == "diverged" and r["metric"] == r["epochs"][0]["test_metric"]  # untrained
        assert math.isfinite(r["metric"]) and r["metric"] < 0.2
    (row,) = protocol.analyze(prof, runs)["summary"]
    assert row["n"] == 2 and row["n_missing"] == 0 and row["failures"] == 2 and row["mean"] < 0.2
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        train.run(RunSpec.make("digits", "relu", 0, {**TINY, "lr": -1.0}))


def test_equivalence_calls_a_copy_tied_and_a_broken_activation_worse(tmp_path):
    # leaky_relu with slope 0 is ReLU; sinc on 8×8 digits learns next to nothing in 40 steps
    acts = ("relu", "leaky_relu(negative_slope=0)", "sinc")
    prof = Profile("eq", "test", (Experiment("digits", "digits", acts, {"steps": 40, "batch": 32}),),
                   {"classify": (3e-3,)}, tune_seeds=1, test_seeds=4)
    protocol.run_profile(prof, tmp_path / "r.sqlite", workers=0, progress=False)
    with Store(tmp_path / "r.sqlite") as s:
        result = protocol.analyze(prof, s.runs())
    verdict = {v["activation"]: v for v in result["versus"]}
    assert verdict["leaky_relu(negative_slope=0)"]["verdict"] == "equivalent"
    assert verdict["sinc"]["verdict"] == "worse" and verdict["sinc"]["hi"] < -0.3
    assert "tune-test/eq" in result["protocol"]


def test_carved_validation_split_is_fixed_stratified_and_disjoint():
    d = get_task("digits").load({})
    a, b = carve(d, 0.2), carve(d, 0.2)
    assert a is b and len(a.x_val) + len(a.x_train) == len(d.x_train) == 1437
    assert abs(len(a.x_val) - 287) <= 5
    counts = torch.bincount(a.y_val, minlength=10)
    assert counts.min() >= 27 and counts.max() <= 31  # ~29 per class
    rows = {tuple(x.tolist()) for x in a.x_train}
    assert not any(tuple(x.tolist()) in rows for x in a.x_val[:50] if (d.x_train == x).all(1).sum() == 1)
    small = carve(d, 0.2, subset=0.1)
    assert abs(len(small.x_train) - 115) <= 5 and torch.equal(small.x_val, a.x_val)  # same validation
    with pytest.raises(ValueError, match="val_frac"):
        carve(d, 1.0)


@pytest.mark.parametrize("task", ["digits", "digits-cnn", "mnist1d-cnn", "depth"])
@pytest.mark.parametrize("act", ["swiglu", "crelu"])
def test_width_doubling_kinds_are_parameter_matched(task, act):
    t = get_task(task)
    if task == "mnist1d-cnn":  # the build needs only the shape: skip generating MNIST-1D
        from actlab.bench.tasks import ClassData

        data = ClassData(torch.zeros(4, 40), torch.zeros(4, dtype=torch.int64), None, None, 10)
    else:
        data = t.load(t.defaults)
    n = lambda a, match=True: models.n_params(t.build(a, t.config({"match_params": match}), data))
    base = n("relu")
    # as close as whole units allow: the CNNs have 16-25 channels, one is 3-5 % of the parameters
    assert abs(n(act) - base) / base < (0.07 if task.endswith("-cnn") else 0.02)
    assert n(act, match=False) > 1.3 * base  # what the unmatched model would have had


def test_init_is_declared_and_critical_follows_the_activation():
    t = get_task("depth")
    data = t.load(t.defaults)
    torch.manual_seed(0)
    m = t.build("sigmoid", t.config({"depth": 6, "width": 256, "init": "critical"}), data)
    linears = [x for x in m if isinstance(x, nn.Linear)]
    from actlab.init import critical_sigma2

    sw2 = critical_sigma2("sigmoid", centred=True)[0]
    assert sw2 == pytest.approx(16.0, rel=1e-5)  # sigmoid is centred: each layer sees σ(h) − 1/2
    assert linears[3].weight.var().item() == pytest.approx(sw2 / 256, rel=0.05)
    assert linears[-1].weight.var().item() == pytest.approx(1 / 256, rel=0.1)  # read-out: LeCun
    assert linears[0].bias.abs().max().item() == 0.0  # its input is data
    for lin in linears[1:]:
        torch.testing.assert_close(lin.bias, -0.5 * lin.weight.sum(1))
    tanh = [x for x in t.build("tanh", t.config({"depth": 3, "init": "critical"}), data)
            if isinstance(x, nn.Linear)]
    assert all(lin.bias.abs().max().item() == 0.0 for lin in tanh)  # tanh(0) = 0: nothing to centre
    # runs with critical init stored before it centred sigmoid stop matching, the others do not
    import hashlib
    import json

    from actlab.bench.train import PROTOCOL, RunSpec

    def old_hash(cfg):
        blob = json.dumps({"task": "depth", "config": cfg, "protocol": PROTOCOL}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    for init, changed in (("critical", True), ("critical_orthogonal", True), ("lecun", False), ("he", False)):
        cfg = t.config({"init": init})
        assert (RunSpec.make("depth", "tanh", 0, cfg).config_hash != old_hash(cfg)) == changed
    # and an experiment leaves them out: same settings, an older init's results
    cfg = t.config({"init": "critical", "stage": "test", "protocol": "tune-test/x", "lr": 1e-3})
    new = RunSpec.make("depth", "sigmoid", 0, cfg)
    stored = ((old_hash(cfg), 0.5), (new.config_hash, 0.93), ("fake", 0.7))
    rows = [{"task": "depth", "activation": "sigmoid", "seed": 0, "config": cfg, "metric": m,
             "status": "done", "config_hash": h} for h, m in stored]
    assert [r["metric"] for r in protocol.tested_runs(rows)] == [0.93, 0.7]
    # the same variance on orthogonal matrices: W Wᵀ = σ_w² I for the square hidden layers, and
    # σ_w²·(fan_out/fan_in) on the orthonormal columns of a widening first layer (64 -> 256)
    m = t.build("sigmoid", t.config({"depth": 6, "width": 256, "init": "critical_orthogonal"}), data)
    linears = [x for x in m if isinstance(x, nn.Linear)]
    w = linears[3].weight.double()
    torch.testing.assert_close(w @ w.T, sw2 * torch.eye(256, dtype=torch.float64), rtol=0, atol=1e-3 * sw2)
    w0 = linears[0].weight.double()  # (256, 64)
    torch.testing.assert_close(w0.T @ w0, sw2 * 256 / 64 * torch.eye(64, dtype=torch.float64),
                               rtol=0, atol=1e-3 * sw2 * 4)
    assert (w0 ** 2).sum(1).mean().item() == pytest.approx(sw2, rel=1e-5)  # each unit: σ_w² q, as Gaussian
    assert linears[-1].weight.var().item() == pytest.approx(1 / 256, rel=0.1)


def test_a_schema_1_store_is_migrated_in_place(tmp_path):
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as c:
        c.executescript("""
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO meta VALUES ('schema_version', '1');
            CREATE TABLE runs (id INTEGER PRIMARY KEY, task TEXT NOT NULL, activation TEXT NOT NULL,
              seed INTEGER NOT NULL, config_hash TEXT NOT NULL, config TEXT NOT NULL,
              metric_name TEXT NOT NULL, metric REAL, val_loss REAL, status TEXT NOT NULL, n_params INTEGER,
              seconds REAL, threads INTEGER, host TEXT, pid INTEGER, started REAL, finished REAL,
              versions TEXT, UNIQUE (task, activation, seed, config_hash));
            CREATE TABLE epochs (run_id INTEGER NOT NULL, epoch INTEGER NOT NULL, step INTEGER NOT NULL,
              train_loss REAL, val_loss REAL, metric REAL, dead_frac REAL, sat_frac REAL, seconds REAL,
              PRIMARY KEY (run_id, epoch));
            INSERT INTO runs (task, activation, seed, config_hash, config, metric_name, metric, status)
              VALUES ('digits', 'relu', 0, 'h', '{}', 'accuracy', 0.9, 'done');
        """)
    with Store(db) as s:
        (run,) = s.runs()
        assert run["metric"] == 0.9 and run["val_metric"] is None
        s.record(train.run(RunSpec.make("digits", "relu", 0, {"steps": 2})))
        assert s.count() == 2


def test_profiles_are_well_formed():
    for name, prof in protocol.PROFILES.items():
        assert prof.tune_seeds >= 1 and prof.test_seeds >= 5 and prof.name == name
        for exp in prof.experiments:
            assert len(prof.grid(exp)) >= 2 and "relu" in exp.acts  # a baseline in every experiment
            assert "," not in exp.name  # --only takes a comma-separated list of names
    ci = protocol.get_profile("ci")
    assert {e.sets.get("init") for e in ci.experiments if e.task == "depth"} == {"lecun", "critical"}
    # deeper plain nets get a longer budget, so that depth 32 ranks trained nets
    budget = {e.sets["depth"]: e.sets["epochs"] for e in protocol.PROFILES["full"].experiments
              if e.task == "depth"}
    assert budget == {8: 20, 16: 20, 32: 80}
    # deep plain nets tune on more seeds than the rest: one seed can pick an lr at divergence's edge
    for prof in protocol.PROFILES.values():
        assert all(prof.seeds(e) == (protocol.DEPTH_TUNE_SEEDS if e.task == "depth" else prof.tune_seeds)
                   for e in prof.experiments)
    with pytest.raises(ValueError, match="unknown profile"):
        protocol.get_profile("huge")
    part = protocol.get_profile("full", "mnist1d, text")
    assert [e.name for e in part.experiments] == ["mnist1d", "text"] and part.protocol == "tune-test/full"
    with pytest.raises(ValueError, match="no experiment 'cifar'"):
        protocol.get_profile("full", "cifar")
    assert compare.MARGINS == dict(ci.margins)


def test_cli_profile_train_results_recommend_and_estimate(tmp_path, monkeypatch):
    import json

    from typer.testing import CliRunner

    from actlab.cli import app

    tiny = Profile("tiny", "test", (Experiment("digits", "digits", ("relu", "tanh", "swiglu"), TINY),
                                    Experiment("digits 50%", "digits", ("relu", "tanh", "swiglu"),
                                               {**TINY, "subset": 0.5})),
                   {"classify": (3e-3, 1e-2)}, tune_seeds=1, test_seeds=3)
    monkeypatch.setitem(protocol.PROFILES, "tiny", tiny)
    db, figs = str(tmp_path / "r.sqlite"), tmp_path / "figs"
    runner = CliRunner()
    res = runner.invoke(app, ["bench", "train", "--profile", "tiny", "--db", db, "--workers", "0",
                              "--no-progress", "--json", "--figures", str(figs)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert len(data["summary"]) == 6 and len(data["versus"]) == 4 and data["wall_seconds"] > 0
    assert {s["lr"] for s in data["summary"]} <= {3e-3, 1e-2}
    (fried,) = data["friedman"]
    assert fried["n_experiments"] == 2 and (figs / "cd-tiny-0.png").exists()
    res = runner.invoke(app, ["bench", "results", "--db", db, "--profile", "tiny"])
    assert res.exit_code == 0 and "against the baseline" in res.output and "Friedman" in res.output
    res = runner.invoke(app, ["bench", "results", "--db", db, "--profile", "tiny", "--only", "digits 50%",
                              "--json"])
    part = json.loads(res.stdout)
    assert {s["experiment"] for s in part["summary"]} == {"digits 50%"} and part["friedman"] == []
    res = runner.invoke(app, ["recommend", "--db", db, "--task-kind", "vision", "--no-properties", "--json"])
    (rec,) = json.loads(res.stdout)
    assert rec["available"] and "tune-test/tiny" in rec["protocol"] and "Protocol:" in rec["statement"]
    assert len(rec["experiments"]) == 2
    res = runner.invoke(app, ["bench", "train", "--profile", "tiny", "--estimate", "--json"])
    est = json.loads(res.stdout)
    assert est["runs"] == 2 * (3 * 2 + 3 * 3) and est["cpu_hours"] > 0
    for bad, why in ((["--profile", "huge"], "unknown profile"),
                     (["--profile", "ci", "--task", "digits"], "drop"), ([], "--task digits"),
                     (["--task", "digits", "--estimate"], "needs --profile"),
                     (["--task", "digits", "--threads", "0"], "--threads")):
        res = runner.invoke(app, ["bench", "train", *bad, "--db", db])
        assert res.exit_code == 2 and why in res.output, (bad, res.output)


def _depth_row(act, init, depth, mean, half=0.02):
    return {"task": "depth", "activation": act, "mean": mean, "lo": mean - half, "hi": mean + half,
            "config": {"init": init, "depth": depth}}


def _depth_rows(depth, relu, lecun, critical):
    return [_depth_row("relu", "lecun", depth, relu), _depth_row("sigmoid", "lecun", depth, lecun),
            _depth_row("sigmoid", "critical", depth, critical)]


def _stored(act, init, depth, metrics):
    """Test-stage rows as the store holds them (one per seed) for the depth task."""
    cfg = {"init": init, "depth": depth, "dataset": "digits", "stage": "test", "protocol": "tune-test/x"}
    return [{"task": "depth", "activation": act, "seed": seed, "config_hash": f"{init}-{depth}",
             "config": cfg, "metric_name": "accuracy", "metric": m, "status": "done", "seconds": 1.0,
             "n_params": 100}
            for seed, m in enumerate(metrics)]


def test_known_answer_passes_on_the_stored_profiles():
    # full profile, depth 8, the stored per-seed test accuracies: sigmoid/LeCun is broken but
    # above chance (0.238, one seed at 0.397); critical init 0.924; the control ReLU/LeCun 0.941
    runs = (_stored("relu", "lecun", 8, [0.958, 0.903, 0.931, 0.953, 0.958])
            + _stored("sigmoid", "lecun", 8, [0.2, 0.206, 0.397, 0.189, 0.197])
            + _stored("sigmoid", "critical", 8, [0.922, 0.931, 0.928, 0.917, 0.925])
            + _stored("relu", "critical", 8, [0.958, 0.95, 0.969, 0.956, 0.964]))
    full = protocol.known_answer(stats.summarize(runs))
    assert full["passed"] and full["verdict"] == "passed" and full["depth"] == 8
    assert full["lecun_mean"] == pytest.approx(0.2378) and full["control_mean"] == pytest.approx(0.9406)
    assert full["kept"] == pytest.approx(0.1378 / 0.8406)  # at most 1/4
    assert full["recovered"] == pytest.approx((0.9246 - 0.2378) / (0.9406 - 0.2378))  # at least 3/4
    assert full["lecun_hi"] > 0.3  # the t interval is reported, the verdict is on the means
    # ci profile, depth 12: sigmoid/LeCun at chance, critical 0.861, ReLU/LeCun 0.953
    ci = protocol.known_answer(_depth_rows(12, 0.953, 0.101, 0.861))
    assert ci["passed"] and ci["kept"] == pytest.approx(0.001 / 0.853)
    assert "PASSED" in protocol.describe_known_answer(ci) and "depth 12" in protocol.describe_known_answer(ci)


def test_known_answer_fails_when_either_half_of_the_claim_fails():
    runs = (_stored("relu", "lecun", 12, [0.95, 0.94, 0.96])
            + _stored("sigmoid", "lecun", 12, [0.1, 0.12, 0.11])
            + _stored("sigmoid", "critical", 12, [0.45, 0.55, 0.5]))
    not_rescued = protocol.known_answer(stats.summarize(runs))  # critical closes 46% of the gap
    assert not_rescued["sigmoid_fails"] and not not_rescued["critical_rescues"]
    assert not not_rescued["passed"] and not_rescued["verdict"] == "failed"
    assert "NOT rescued" in protocol.describe_known_answer(not_rescued)
    # an orthogonal critical init is reported beside the verdict, never in place of it
    orth = protocol.known_answer(stats.summarize(runs + _stored("sigmoid", "critical_orthogonal", 12,
                                                                [0.9, 0.86, 0.88])))
    assert orth["verdict"] == "failed" and orth["orthogonal_mean"] == pytest.approx(0.88)
    assert orth["orthogonal_recovered"] == pytest.approx((0.88 - 0.11) / (0.95 - 0.11))
    assert "orthogonal critical init, beside the verdict: 0.880" in protocol.describe_known_answer(orth)
    trains = protocol.known_answer(_depth_rows(8, 0.95, 0.40, 0.93))  # keeps 35% of ReLU's accuracy
    assert not trains["sigmoid_fails"] and not trains["passed"] and trains["verdict"] == "failed"
    # the thresholds are inclusive: exactly a quarter kept and three quarters recovered pass
    edge = protocol.known_answer(_depth_rows(8, 0.9, 0.3, 0.75))
    assert edge["kept"] == pytest.approx(0.25) and edge["recovered"] == pytest.approx(0.75)


def test_known_answer_needs_a_control_that_trains():
    # depth 32 with LeCun init: ReLU fails too, so sigmoid's failure says nothing; the verdict is
    # taken at the deepest depth where ReLU trains
    rows = _depth_rows(8, 0.94, 0.24, 0.92) + _depth_rows(32, 0.10, 0.10, 0.85)
    ka = protocol.known_answer(rows)
    assert ka["depth"] == 8 and ka["passed"] and [d["depth"] for d in ka["depths"]] == [8, 32]
    assert [d["verdict"] for d in ka["depths"]] == ["passed", "inconclusive"]
    only_deep = protocol.known_answer(_depth_rows(32, 0.10, 0.10, 0.85))
    assert only_deep["verdict"] == "inconclusive" and not only_deep["passed"]
    assert "INCONCLUSIVE" in protocol.describe_known_answer(only_deep)
    # any of the three rows missing: no check
    assert protocol.known_answer(_depth_rows(12, 0.95, 0.1, 0.86)[:2]) is None
    assert protocol.known_answer(_depth_rows(12, 0.95, 0.1, 0.86)[1:]) is None
