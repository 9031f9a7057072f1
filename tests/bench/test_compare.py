"""Statistics that can say "tied", against independent references: SciPy's one-sided t-tests
(TOST), SciPy's Friedman test, Demšar's table of Nemenyi critical values, and a Monte-Carlo
simulation of the paired t-test's power for the seed planner."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from actlab.bench import compare, stats

from .test_stats import fake_runs


def test_tost_is_the_larger_of_two_one_sided_scipy_tests():
    g = np.random.default_rng(4)
    for _ in range(20):
        d = g.normal(g.uniform(-0.02, 0.02), 0.01, 6)
        margin = 0.015
        lower = sps.ttest_1samp(d, -margin, alternative="greater").pvalue
        upper = sps.ttest_1samp(d, margin, alternative="less").pvalue
        assert compare.tost(d, margin) == pytest.approx(max(lower, upper), rel=1e-10)
    assert compare.tost([0.0, 0.0, 0.0], 0.01) == 0.0  # identical runs: equivalent
    assert compare.tost([0.5, 0.5, 0.5], 0.01) == 1.0  # a constant gap beyond the margin: not
    with pytest.raises(ValueError, match="margin"):
        compare.tost([0.1, 0.2], 0.0)
    assert compare.diff_test([0.0, 0.0], 1.0) == 1.0 and compare.diff_test([0.2, 0.2], 1.0) == 0.0
    d = g.normal(0.01, 0.02, 7)
    assert compare.diff_test(d) == pytest.approx(sps.ttest_1samp(d, 0.0).pvalue, rel=1e-10)


def test_versus_baseline_verdicts_and_holm_over_k_minus_1():
    runs = fake_runs({"relu": 0.95, "copy": 0.95, "broken": 0.60, "better": 0.99}, seeds=6, noise=0.002)
    rows = {r["activation"]: r for r in compare.versus_baseline(runs, "relu")}
    assert set(rows) == {"copy", "broken", "better"}  # k − 1 comparisons, never relu vs itself
    assert rows["copy"]["verdict"] == "equivalent" and rows["broken"]["verdict"] == "worse"
    assert rows["better"]["verdict"] == "better"
    assert rows["broken"]["lo"] <= rows["broken"]["diff"] <= rows["broken"]["hi"] < -0.3
    from actlab.bench.stats import holm

    for key in ("p", "p_tost"):
        ordered = [rows[a] for a in sorted(rows)]
        assert [r[key + "_holm"] for r in ordered] == holm([r[key] for r in ordered])
    # two seeds: nothing can be shown in either direction
    few = fake_runs({"relu": 0.95, "tanh": 0.90}, seeds=2, noise=0.02)
    (row,) = compare.versus_baseline(few, "relu")
    assert row["verdict"] in ("inconclusive", "worse")
    assert compare.versus_baseline(fake_runs({"gelu": 0.9, "tanh": 0.8}), "relu") == []


def test_bootstrap_interval_brackets_the_mean_and_shrinks_with_n():
    g = np.random.default_rng(0)
    small, large = g.normal(0, 1, 5), g.normal(0, 1, 200)
    m, lo, hi = compare.bootstrap_mean_ci(small)
    assert lo <= m <= hi and m == pytest.approx(small.mean())
    _, lo2, hi2 = compare.bootstrap_mean_ci(large)
    assert (hi2 - lo2) < (hi - lo)
    # large n: the percentile interval approaches the normal one, mean ± 1.96 s/√n
    half = 1.96 * large.std(ddof=1) / math.sqrt(200)
    assert (hi2 - lo2) / 2 == pytest.approx(half, rel=0.1)
    assert compare.bootstrap_mean_ci([1.0, 1.0, 1.0])[1:] == (1.0, 1.0)
    assert math.isnan(compare.bootstrap_mean_ci([1.0])[1])


def test_friedman_matches_scipy_and_the_cd_demsar_table():
    means = {"digits": {"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.85},
             "mnist1d": {"a": 0.6, "b": 0.65, "c": 0.5, "d": 0.55},
             "fashion": {"a": 0.88, "b": 0.86, "c": 0.80, "d": 0.87}}
    runs = []
    for task, m in means.items():
        runs += fake_runs(m, seeds=3, task=task, noise=0.0)
    res = compare.friedman(runs)
    table = np.array([[means[t][a] for a in "abcd"] for t in means])
    ref = sps.friedmanchisquare(*table.T)
    assert res["chi2"] == pytest.approx(ref.statistic, rel=1e-10)
    assert res["p"] == pytest.approx(ref.pvalue, rel=1e-10)
    expected = {"a": (1 + 2 + 1) / 3, "b": (3 + 1 + 3) / 3, "c": 4.0, "d": (2 + 3 + 2) / 3}
    assert res["ranks"] == pytest.approx(expected)
    # Demšar 2006, Table 5(a): q_0.05 = 2.343, 2.569, 2.728, 3.164 for k = 3, 4, 5, 10
    for k, q in ((3, 2.343), (4, 2.569), (5, 2.728), (10, 3.164)):
        acts = {chr(97 + i): 0.9 - 0.01 * i for i in range(k)}
        r = compare.friedman(fake_runs(acts, seeds=2, task="digits", noise=0.0))
        assert r["cd"] == pytest.approx(q * math.sqrt(k * (k + 1) / 6), abs=2e-3)


def test_cd_groups_join_the_ranks_closer_than_the_cd():
    ranks = [("a", 1.0), ("b", 1.5), ("c", 2.4), ("d", 3.9)]
    # a-b-c within 1.5 of a; c-d 1.5 apart: not joined; b-c inside a-c: no group of its own
    assert compare.cd_groups(ranks, 1.5) == [(0, 2)]
    assert compare.cd_groups(ranks, 1.6) == [(0, 2), (2, 3)]
    assert compare.cd_groups(ranks, 0.4) == []


@pytest.mark.parametrize("effect,sd,alpha", [(0.8, 1.0, 0.05), (0.01, 0.012, 0.05 / 4)])
def test_seed_planner_matches_a_simulation(effect, sd, alpha):
    n = compare.seeds_needed(effect, sd, alpha=alpha, power=0.8)
    assert compare.power_paired(n, effect, sd, alpha) >= 0.8 > compare.power_paired(n - 1, effect, sd, alpha)
    g = np.random.default_rng(7)
    reps = 40_000
    for m in (n - 1, n):
        d = g.normal(effect, sd, (reps, m))
        t = d.mean(1) / (d.std(1, ddof=1) / math.sqrt(m))
        rate = float((np.abs(t) > sps.t.ppf(1 - alpha / 2, m - 1)).mean())
        # Monte-Carlo standard error at power 0.8: sqrt(0.16 / 40000) = 0.002
        assert rate == pytest.approx(compare.power_paired(m, effect, sd, alpha), abs=0.01)
    with pytest.raises(ValueError, match="sd > 0"):
        compare.seeds_needed(0.1, 0.0)


def test_plan_seeds_from_a_pilot():
    runs = fake_runs({"relu": 0.95, "gelu": 0.951, "tanh": 0.94}, seeds=5, noise=0.01)
    plan = {p["activation"]: p for p in compare.plan_seeds(compare.versus_baseline(runs, "relu"))}
    for act in ("gelu", "tanh"):
        p = plan[act]
        assert p["seeds"] == compare.seeds_needed(0.01, p["sd_diff"], alpha=0.05 / 2)


def test_verdicts_use_the_t_interval_not_the_bootstrap():
    # a candidate ahead on 4 of 5 seeds: the percentile bootstrap of the paired difference
    # excludes 0, the paired t interval does not, and the verdict follows t (p = 0.069)
    d = [0.01, 0.02, -0.005, 0.015, 0.012]
    base = [0.90, 0.92, 0.91, 0.93, 0.90]
    runs = [{"task": "digits", "activation": act, "seed": s, "config_hash": "h", "config": {},
             "metric_name": "accuracy", "metric": b + (dd if act == "gelu" else 0.0), "seconds": 1.0}
            for act in ("relu", "gelu") for s, (b, dd) in enumerate(zip(base, d))]
    (row,) = compare.versus_baseline(runs, "relu")
    ref = sps.t.interval(0.95, 4, loc=np.mean(d), scale=sps.sem(d))
    assert (row["lo"], row["hi"]) == pytest.approx(ref, rel=1e-9) and row["lo"] < 0 < row["hi"]
    assert 0 < row["boot_lo"] < row["boot_hi"] < row["hi"]
    assert row["p_holm"] == pytest.approx(sps.ttest_1samp(d, 0.0).pvalue, rel=1e-9)
    assert row["verdict"] == "inconclusive"


def test_the_bootstrap_under_covers_with_five_seeds():
    # why the verdicts use t: 400 normal samples of 5 (fixed generator), true mean 0
    g = np.random.default_rng(12)
    boot = t = 0
    for i in range(400):
        x = g.normal(0.0, 1.0, 5)
        _, lo, hi = compare.bootstrap_mean_ci(x, seed=i)
        boot += lo <= 0.0 <= hi
        _, lo, hi = stats.t_interval(x)
        t += lo <= 0.0 <= hi
    assert boot / 400 < 0.88 and t / 400 > 0.92  # nominal 0.95 for both (measured: 0.82, 0.94)
