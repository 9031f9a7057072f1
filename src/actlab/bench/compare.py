r"""Statistics that can say "tied": each candidate against a declared baseline, effect sizes with
bootstrap intervals, an equivalence test, Friedman with a critical-difference plot, and a seed
planner.

Why these, and not "every pair, Holm over all of them" (:func:`actlab.bench.stats.pairwise`):
with k activations that is k(k−1)/2 tests, and with 3–5 seeds Holm over 15–30 of them can
never reject anything, so every comparison came out "not significant", which reads as "tied"
but only means "not measured well enough". Here:

* **against a baseline** (ReLU by default): k − 1 paired t-tests per experiment (the seed fixes
  the data order and, through the same RNG, the initial draw, so pairing removes that noise),
  Holm's step-down correction over those k − 1 (Holm 1979);
* **effect size**: the mean paired difference (candidate − baseline, in metric units) with its
  paired-t 95 % interval (``lo``, ``hi``: the interval of the same test that gives ``p``, so it
  excludes 0 exactly when the unadjusted p < 0.05) and, for information, a 95 %
  percentile-bootstrap interval over seeds (``boot_lo``, ``boot_hi``; 2,000 resamples, fixed
  generator). **Verdicts never use the bootstrap**: with the 5 seeds of a profile the percentile
  bootstrap under-covers (the resampled mean's spread is s·√((n−1)/n)/√n and it ignores the
  t quantile: in 1,000 simulated normal samples of 5 it covered the mean 85 % of the time, the t
  interval 96 %), so it looks surer than the data are;
* **equivalence** (TOST, Schuirmann 1987): with a *declared* margin δ, two one-sided paired
  t-tests of "diff ≤ −δ" and "diff ≥ +δ"; rejecting both (p_TOST = max of the two < α,
  Holm-adjusted over the k − 1 candidates) is a positive finding of *no practical difference*.
  Verdicts: ``equivalent`` (TOST rejects), else ``better``/``worse`` (the difference test
  rejects), else ``inconclusive`` (the data support neither: more seeds needed, see the planner);
* **across experiments**: Friedman's test on the per-experiment mean ranks and the Nemenyi
  critical difference :math:`CD = q_\alpha \sqrt{k(k+1)/(6N)}` (Demšar 2006), drawn as a
  critical-difference diagram by :mod:`actlab.report.figures.bench`;
* **seed planner**: the smallest number of seeds n for which the paired t-test at level α
  (two-sided) detects a true mean difference Δ with probability ≥ power, given the standard
  deviation σ_d of per-seed differences from a pilot: the noncentral-t power
  :math:`P(|T_{n-1,\,\Delta\sqrt n/\sigma_d}| > t_{1-\alpha/2,\,n-1})`, checked against a
  simulation in the tests.

Runs here are dicts as stored (``task``, ``config_hash``, ``activation``, ``seed``, ``metric``,
``metric_name``); a diverged run carries its failure score (:func:`actlab.bench.train.select`),
so it counts.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .stats import ALPHA, _finite, _ordered, experiments, higher_is_better, holm, label, t_interval

__all__ = [
    "MARGINS", "N_BOOT", "bootstrap_mean_ci", "cd_groups", "diff_test", "friedman", "plan_seeds",
    "power_paired", "seeds_needed", "tost", "versus_baseline"
]

N_BOOT = 2000


# ------------------------------------------------------------------------------- primitives
def bootstrap_mean_ci(values: Sequence[float], level: float = 0.95, n_boot: int = N_BOOT,
                      seed: int = 0) -> tuple[float, float, float]:
    """(mean, lower, upper): percentile bootstrap of the mean, fixed generator; NaN if n < 2."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    if len(x) < 2:
        return float(x.mean()), math.nan, math.nan
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), (n_boot, len(x)))].mean(1)
    lo, hi = np.percentile(means, [50 * (1 - level), 50 * (1 + level)])
    return float(x.mean()), float(lo), float(hi)


def _se(d: np.ndarray, scale: float) -> float:
    sd = float(d.std(ddof=1))
    return 0.0 if sd <= 1e-12 * scale else sd / math.sqrt(len(d))  # equal up to rounding: exact


def diff_test(d: Sequence[float], scale: float = 1.0) -> float:
    """Two-sided paired t-test p-value of mean(d) = 0. Zero spread: 1 if every difference is 0,
    else 0 (a constant non-zero difference on every seed is as certain as the data get)."""
    from scipy import stats

    d = np.asarray(d, dtype=float)
    if len(d) < 2:
        return math.nan
    se = _se(d, scale)
    if se == 0.0:
        return 1.0 if abs(d.mean()) <= 1e-12 * scale else 0.0
    return float(2 * stats.t.sf(abs(d.mean()) / se, len(d) - 1))


def tost(d: Sequence[float], margin: float, scale: float = 1.0) -> float:
    """p-value of the paired two one-sided tests of |mean(d)| ≥ margin (small p: equivalent).

    p = max(p_lower, p_upper) with p_lower = P(T ≥ (d̄ + δ)/se), p_upper = P(T ≤ (d̄ − δ)/se).
    Zero spread: 0 when |d̄| < δ, 1 otherwise.
    """
    from scipy import stats

    if not margin > 0:
        raise ValueError(f"the equivalence margin must be > 0 (in metric units), got {margin}")
    d = np.asarray(d, dtype=float)
    if len(d) < 2:
        return math.nan
    mean, se = float(d.mean()), _se(d, scale)
    if se == 0.0:
        return 0.0 if abs(mean) < margin else 1.0
    df = len(d) - 1
    p_lower = float(stats.t.sf((mean + margin) / se, df))
    p_upper = float(stats.t.cdf((mean - margin) / se, df))
    return max(p_lower, p_upper)


# ---------------------------------------------------------------------------- vs baseline
def _by_act(exp: Iterable[Mapping[str, Any]]) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = defaultdict(dict)
    for r in exp:
        if _finite(r["metric"]):
            out[r["activation"]][r["seed"]] = float(r["metric"])
    return out


def versus_baseline(runs: Iterable[Mapping[str, Any]], baseline: str = "relu",
                    margins: Mapping[str, float] | None = None, alpha: float = ALPHA) -> list[dict[str, Any]]:
    """Every candidate against ``baseline`` in each experiment (see the module docstring).

    ``margins`` maps a metric name to its equivalence margin (default: 0.01 accuracy, 0.02 bpc).
    ``diff`` is candidate − baseline with its paired-t 95 % interval (``lo``, ``hi``) and the
    bootstrap one (``boot_lo``, ``boot_hi``, information only); ``better`` means better for the
    metric's direction. Experiments without the baseline are skipped.
    """
    margins = {**MARGINS, **(margins or {})}
    out = []
    for (task, chash), exp in _ordered(experiments(runs)):
        by = _by_act(exp)
        if baseline not in by:
            continue
        metric = exp[0]["metric_name"]
        sign = 1.0 if higher_is_better(metric) else -1.0
        margin = margins[metric]
        rows = []
        for act in sorted(a for a in by if a != baseline):
            seeds = sorted(set(by[act]) & set(by[baseline]))
            d = np.array([by[act][s] - by[baseline][s] for s in seeds])
            scale = max(1.0, *(abs(v) for v in by[act].values()))
            mean, lo, hi = t_interval(d)
            _, blo, bhi = bootstrap_mean_ci(d)
            rows.append({"task": task, "config_hash": chash, "experiment": label(task, exp[0]["config"]),
                         "activation": act, "baseline": baseline, "metric": metric, "n": len(d),
                         "diff": mean, "lo": lo, "hi": hi, "boot_lo": blo, "boot_hi": bhi,
                         "sd_diff": float(d.std(ddof=1)) if len(d) > 1 else math.nan,
                         "p": diff_test(d, scale), "p_tost": tost(d, margin, scale),
                         "margin": margin, "sign": sign})
        for key in ("p", "p_tost"):
            for row, adj in zip(rows, holm([r[key] for r in rows])):
                row[key + "_holm"] = adj
        for row in rows:
            equivalent = _finite(row["p_tost_holm"]) and row["p_tost_holm"] < alpha
            different = _finite(row["p_holm"]) and row["p_holm"] < alpha
            if equivalent:
                row["verdict"] = "equivalent"
            elif different:
                row["verdict"] = "better" if row["sign"] * row["diff"] > 0 else "worse"
            else:
                row["verdict"] = "inconclusive"
            row["different"] = different
            del row["sign"]
        out += rows
    return out


MARGINS = {"accuracy": 0.01, "bpc": 0.02}  # one point of accuracy; 0.02 bits per character


# -------------------------------------------------------------------------------- Friedman
def friedman(runs: Iterable[Mapping[str, Any]], alpha: float = ALPHA) -> dict[str, Any]:
    """Friedman's test over experiments (blocks) and activations (treatments), on mean scores.

    Only activations present in every experiment take part. Returns the average ranks (1 =
    best), the statistic, its p-value, Nemenyi's critical difference at ``alpha`` and the
    number of experiments N; ``p`` is NaN with fewer than 2 experiments or 3 activations.
    """
    from scipy.stats import rankdata, studentized_range

    groups = experiments(runs)
    if not groups:
        return {"ranks": {}, "n_experiments": 0, "k": 0, "chi2": math.nan, "p": math.nan, "cd": math.nan}
    acts = sorted(set.intersection(*({r["activation"] for r in g} for g in groups.values())))
    table = []
    for exp in groups.values():
        sign = -1.0 if higher_is_better(exp[0]["metric_name"]) else 1.0
        means = []
        for a in acts:
            vals = [r["metric"] for r in exp if r["activation"] == a and _finite(r["metric"])]
            means.append(sign * float(np.mean(vals)) if vals else math.inf)
        table.append(rankdata(means, method="average"))
    r = np.array(table)
    n, k = r.shape if r.size else (0, 0)
    avg = r.mean(0) if n else np.array([])
    out: dict[str, Any] = {"ranks": dict(zip(acts, map(float, avg))), "n_experiments": n, "k": k,
                           "chi2": math.nan, "p": math.nan, "cd": math.nan}
    if k >= 2 and n >= 1:
        q = float(studentized_range.ppf(1 - alpha, k, np.inf)) / math.sqrt(2)
        out["cd"] = q * math.sqrt(k * (k + 1) / (6 * n))
    if k >= 3 and n >= 2:
        from scipy.stats import chi2

        stat = 12 * n / (k * (k + 1)) * (float((avg ** 2).sum()) - k * (k + 1) ** 2 / 4)
        out["chi2"], out["p"] = stat, float(chi2.sf(stat, k - 1))
    return out


def cd_groups(ranks: Sequence[tuple[str, float]], cd: float) -> list[tuple[int, int]]:
    """The maximal groups of a critical-difference diagram: ``(i, j)`` joins ``ranks[i..j]``
    (sorted by average rank, best first) whose ranks differ by less than ``cd`` (not separated)."""
    out = []
    for i in range(len(ranks)):
        j = max(j for j in range(i, len(ranks)) if ranks[j][1] - ranks[i][1] < cd)
        if j > i and not (out and out[-1][1] >= j):
            out.append((i, j))
    return out


# ----------------------------------------------------------------------------- seed planner
def power_paired(n: int, effect: float, sd: float, alpha: float = ALPHA) -> float:
    """Power of the two-sided paired t-test with n seeds for a true mean difference ``effect``
    when per-seed differences have standard deviation ``sd`` (noncentral t)."""
    from scipy import stats

    if n < 2:
        return 0.0
    df = n - 1
    nc = effect * math.sqrt(n) / sd
    t = float(stats.t.ppf(1 - alpha / 2, df))
    return float(stats.nct.sf(t, df, nc) + stats.nct.cdf(-t, df, nc))


def seeds_needed(effect: float, sd: float, alpha: float = ALPHA, power: float = 0.8,
                 n_max: int = 10_000) -> int:
    """The fewest seeds with :func:`power_paired` ≥ ``power`` (``n_max + 1`` if none up to it).

    With Holm over m comparisons the first (most significant) test is run at α/m: pass that α
    for a conservative plan."""
    if not sd > 0 or not effect != 0:
        raise ValueError(f"the seed planner needs sd > 0 and a non-zero effect, got sd={sd}, effect={effect}")
    for n in range(2, n_max + 1):
        if power_paired(n, abs(effect), sd, alpha) >= power:
            return n
    return n_max + 1


def plan_seeds(comparisons: Iterable[Mapping[str, Any]], effect: float | None = None, power: float = 0.8,
               alpha: float = ALPHA) -> list[dict[str, Any]]:
    """For each baseline comparison of a pilot (:func:`versus_baseline` rows), the seeds needed to
    detect a difference of ``effect`` (default: the row's equivalence margin) at ``power``, with
    α divided by the number of candidates in that experiment (Holm's first step)."""
    rows = list(comparisons)
    per_exp: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        per_exp[(r["task"], r["config_hash"])] += 1
    out = []
    for r in rows:
        sd, eff = r.get("sd_diff", math.nan), effect if effect is not None else r["margin"]
        m = per_exp[(r["task"], r["config_hash"])]
        n = seeds_needed(eff, sd, alpha / m, power) if _finite(sd) and sd > 0 else None
        out.append({"experiment": r["experiment"], "activation": r["activation"], "sd_diff": sd,
                    "effect": eff, "seeds": n, "pilot_seeds": r["n"]})
    return out
