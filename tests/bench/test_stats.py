"""Statistics against independent references: SciPy's own t-interval and paired t-test, Holm's
procedure from its definition, and synthetic runs whose ranking is known by construction."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from actlab.bench import stats
from actlab.bench.recommend import recommend_kind


def fake_runs(means, seeds=5, task="digits", noise=0.01, config_hash="h", rng=0, metric="accuracy",
              config=None):
    """Runs whose metric is mean + seed effect (shared by all activations) + small noise."""
    g = np.random.default_rng(rng)
    seed_effect = g.normal(0, 0.02, seeds)
    runs = []
    for act, m in means.items():
        for s in range(seeds):
            runs.append({"task": task, "activation": act, "seed": s, "config_hash": config_hash,
                         "config": config or {}, "metric_name": metric,
                         "metric": float(m + seed_effect[s] + g.normal(0, noise)),
                         "seconds": 1.0, "n_params": 10, "finished": 1.0})
    return runs


def test_t_interval_matches_scipy_and_the_tabulated_quantile():
    x = [1.0, 2.0, 3.0, 4.0, 5.0]
    mean, lo, hi = stats.t_interval(x)
    # t_{0.975, 4} = 2.7764451051977987 (tables); s = sqrt(2.5)
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)
    assert mean == 3.0 and hi - mean == pytest.approx(half, rel=1e-12)
    ref = sps.t.interval(0.95, 4, loc=3.0, scale=sps.sem(x))
    assert (lo, hi) == pytest.approx(ref, rel=1e-12)
    assert math.isnan(stats.t_interval([0.5])[1])


def test_paired_t_matches_scipy_ttest_rel():
    g = np.random.default_rng(1)
    a, b = g.normal(0.9, 0.02, 6), g.normal(0.88, 0.02, 6)
    res = stats.paired_t(a, b)
    ref = sps.ttest_rel(a, b)
    assert res["p"] == pytest.approx(ref.pvalue, rel=1e-10)
    assert res["t"] == pytest.approx(ref.statistic, rel=1e-10)
    ci = ref.confidence_interval(0.95)
    assert (res["lo"], res["hi"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert stats.paired_t([1.0, 2.0], [1.0, 2.0])["p"] == 1.0  # identical: no difference
    # one test example out of 360 on every seed: zero variance, the t-test is undefined, no claim
    # (as computed in training: correct / 360, so the differences agree only up to rounding)
    const = stats.paired_t([26 / 360, 93 / 360, 186 / 360], [25 / 360, 92 / 360, 185 / 360])
    assert math.isnan(const["p"]) and const["diff"] == pytest.approx(1 / 360)
    assert math.isnan(stats.paired_t([1.0], [0.0])["p"])  # one pair: no test


def test_holm_textbook_example_and_definition():
    # p sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> running max
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # definition: H_(i) is rejected at level a iff p_(j) <= a/(m-j+1) for all j <= i
    g = np.random.default_rng(2)
    for _ in range(50):
        p = list(g.uniform(0, 0.1, 7))
        adj = stats.holm(p)
        order = np.argsort(p)
        for alpha in (0.01, 0.05):
            reject = set()
            for j, i in enumerate(order):
                if p[i] > alpha / (len(p) - j):
                    break
                reject.add(i)
            assert {i for i in range(7) if adj[i] <= alpha} == reject
    assert math.isnan(stats.holm([0.01, math.nan])[1]) and stats.holm([0.01, math.nan])[0] == 0.01


def test_ranks_share_ties_and_put_missing_last():
    r = stats.rank_means({"a": 0.9, "b": 0.9, "c": 0.5, "d": math.nan}, higher_is_better=True)
    assert r == {"a": 1.5, "b": 1.5, "c": 3.0, "d": 4.0}
    assert stats.rank_means({"a": 1.2, "b": 1.1}, higher_is_better=False) == {"a": 2.0, "b": 1.0}


def test_summary_pairwise_and_ranks_on_a_known_ordering():
    runs = fake_runs({"good": 0.95, "same": 0.95, "bad": 0.80}) + \
        fake_runs({"good": 0.90, "same": 0.90, "bad": 0.70}, task="mnist1d", rng=3)
    summary = {(s["task"], s["activation"]): s for s in stats.summarize(runs)}
    s = summary[("digits", "bad")]
    assert s["n"] == 5 and s["lo"] < s["mean"] < s["hi"] and abs(s["mean"] - 0.80) < 0.03
    pairs = stats.pairwise(runs)
    sig = {(p["task"], p["a"], p["b"]): p for p in pairs}
    bad_good = sig[("digits", "bad", "good")]
    assert bad_good["significant"] and bad_good["better"] == "good"
    assert not sig[("digits", "good", "same")]["significant"]
    ranks = {r["activation"]: r for r in stats.average_ranks(runs)}
    assert ranks["bad"]["avg_rank"] == 3.0 and ranks["bad"]["lo"] == ranks["bad"]["hi"] == 3.0
    assert ranks["good"]["lo"] <= ranks["good"]["avg_rank"] <= ranks["good"]["hi"]


def test_recommend_never_claims_what_the_tests_do_not_support():
    runs = fake_runs({"relu": 0.950, "gelu": 0.951, "tanh": 0.90})
    rec = recommend_kind(runs, "vision", properties=False)
    assert set(rec["tied"]) == {"relu", "gelu"} and rec["worse"] == ["tanh"]
    assert "statistically tied" in rec["statement"] and "Holm-adjusted p > 0.05" in rec["statement"]
    assert "better than" not in rec["statement"].replace("no test says it is better", "")
    # two seeds: nothing can be separated, and the confidence says so
    few = fake_runs({"relu": 0.95, "gelu": 0.96, "tanh": 0.90}, seeds=2)
    rec = recommend_kind(few, "vision", properties=False)
    assert rec["confidence"] == "low" and set(rec["tied"]) == {"relu", "gelu", "tanh"}
    assert "do not support a choice" in rec["statement"]
    assert not recommend_kind(runs, "nlp", properties=False)["available"]



def _tuned(means, task, protocol, metric="accuracy", rng=0):
    """Test-stage runs of a tune-then-test ``protocol`` (what ``bench train --profile`` stores)."""
    cfg = {"stage": "test", "protocol": protocol, "lr": 1e-3}
    return fake_runs(means, task=task, metric=metric, rng=rng, config=cfg)


def test_recommend_names_the_profile_that_has_the_language_model():
    from actlab.bench.recommend import recommend

    ci = _tuned({"relu": 0.95, "gelu": 0.96, "tanh": 0.90}, "digits", "tune-test/ci")
    ci += _tuned({"relu": 0.94, "gelu": 0.95, "tanh": 0.91}, "digits", "tune-test/ci", rng=1)
    # after the ci profile alone (make demo): vision is answered, nlp says why not and what to run
    vision, nlp, deep = recommend(runs=ci, properties=False)
    assert vision["available"] and "tune-test/ci" in vision["protocol"]
    assert not nlp["available"] and "\n" not in nlp["statement"]
    assert "full and paper profiles only, not in ci" in nlp["statement"]
    assert "actlab bench train --profile full --only text" in nlp["statement"]
    assert not deep["available"] and "--profile ci" in deep["statement"]
    # the full profile's text experiment added to the same store: nlp comes from it, although ci
    # has more test runs in all, and vision still comes from ci
    text = _tuned({"relu": 1.60, "swiglu": 1.55, "gelu": 1.58}, "text", "tune-test/full", metric="bpc")
    vision, nlp = recommend(runs=ci + text, properties=False)[:2]
    assert nlp["available"] and "tune-test/full" in nlp["protocol"] and nlp["best"] == "swiglu"
    assert "tune-test/ci" in vision["protocol"]

def test_figure_data_are_plain_and_hold_the_curves():
    """What the figures show, as JSON-ready data (actlab.report.figures.bench draws them)."""
    import json

    runs = fake_runs({"relu": 0.95, "tanh": 0.9}, seeds=3)
    for r in runs:
        r["epochs"] = [{"epoch": e, "step": 10 * e, "metric": r["metric"] * e / 2, "dead_frac": 0.1 * e,
                        "sat_frac": 0.3} for e in range(3)]
    data = stats.learning_curves_data(runs)
    assert json.loads(json.dumps(data)) == data
    assert data["metric"] == "accuracy" and set(data["curves"]) == {"relu", "tanh"}
    relu = [r["metric"] for r in runs if r["activation"] == "relu"]
    c = data["curves"]["relu"]
    assert c["step"] == [0, 10, 20]
    assert c["mean"] == pytest.approx([0.0, np.mean(relu) / 2, np.mean(relu)], rel=1e-12)
    _, lo, hi = stats.t_interval(relu)
    assert (c["lo"][-1], c["hi"][-1]) == pytest.approx((lo, hi), rel=1e-12)
    assert data["dead"]["tanh"]["mean"] == pytest.approx([0.0, 0.1, 0.2])
    assert data["saturated"]["tanh"]["mean"] == pytest.approx([0.3] * 3)

    depth = []
    for d in (2, 8):
        depth += fake_runs({"relu": 0.9, "selu": 0.95}, seeds=3, task="depth", config_hash=f"d{d}",
                           config={"depth": d, "dataset": "digits"})
    dd = stats.depth_data(runs + depth)  # only the depth runs count
    assert json.loads(json.dumps(dd)) == dd and dd["dataset"] == "digits"
    assert [(r["activation"], r["depth"], r["n"]) for r in dd["rows"]] == [
        ("relu", 2, 3), ("relu", 8, 3), ("selu", 2, 3), ("selu", 8, 3)]
    selu8 = [r["metric"] for r in depth if r["activation"] == "selu" and r["config"]["depth"] == 8]
    assert dd["rows"][3]["mean"] == pytest.approx(np.mean(selu8), rel=1e-12)
    assert len(dd["seeds"]) == 12 and {s["depth"] for s in dd["seeds"]} == {2, 8}
    req = stats.figure("depth", dd, "depth.png", caption="c")
    assert req == {"kind": "depth", "file": "depth.png", "title": "", "caption": "c", "data": dd}


def test_one_family_over_all_experiments_is_more_conservative():
    runs = fake_runs({"a": 0.95, "b": 0.94, "c": 0.93})
    runs += fake_runs({"a": 0.9, "b": 0.9, "c": 0.8}, task="mnist1d")
    per_exp = {(p["task"], p["a"], p["b"]): p for p in stats.pairwise(runs)}
    joint = {(p["task"], p["a"], p["b"]): p for p in stats.pairwise(runs, family="all")}
    assert per_exp.keys() == joint.keys() and len(joint) == 6
    for k in joint:
        assert joint[k]["p"] == per_exp[k]["p"] and joint[k]["p_holm"] >= per_exp[k]["p_holm"]
    assert stats.holm([p["p"] for p in joint.values()]) == [p["p_holm"] for p in joint.values()]
    with pytest.raises(ValueError, match="family"):
        stats.pairwise(runs, family="task")
