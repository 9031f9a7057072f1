r"""Statistics over stored runs: what the seeds support, and no more.

An *experiment* is one task at one configuration (``task``, ``config_hash``); its runs differ
in activation and seed. Within an experiment:

* **mean and 95 % confidence interval** per activation, Student's t over seeds:
  :math:`\bar x \pm t_{0.975,\,n-1}\, s/\sqrt n` (``s`` the sample standard deviation);
* **paired comparisons** of every pair of activations on the seeds both have (the same seed
  gives both the same data order, so the difference removes that source of noise): a paired
  t-test on the per-seed differences, two-sided, and **Holm's step-down correction** over all
  pairs of the experiment (or, for a claim that draws on several experiments, over all pairs of
  all of them; Holm 1979): with the m p-values sorted,
  :math:`p^{adj}_{(i)} = \max_{j \le i} \min\{1, (m - j + 1)\, p_{(j)}\}`; a difference is
  claimed only when :math:`p^{adj} < 0.05` (the family-wise error rate stays below 5 %);
* **ranks**: activations ranked by mean metric (1 = best; ties share the average rank).

Across experiments: the **average rank** (Demšar 2006) with a 95 % bootstrap interval (seeds
resampled with replacement within each activation and experiment, 2,000 times, fixed RNG).

**Which interval decides.** Every verdict (the paired tests here and in
:mod:`actlab.bench.compare`, Holm, the equivalence test, ``recommend``'s tied group, the
protocol's known-answer check) uses Student's t. Bootstrap intervals (of a mean, of a paired
difference, of an average rank) are reported beside them for information only: with the 5
seeds of a profile the percentile bootstrap under-covers, since the resampled mean's spread is
:math:`s\sqrt{(n-1)/n}/\sqrt n` and no t quantile widens it (in 1,000 simulated normal samples
of 5 it held the true mean 85 % of the time, the t interval 96 %; the test in
``tests/bench/test_compare.py`` repeats this).

A run whose metric is not finite (a diverged language model) is counted in ``n_missing`` and
left out of the means; an activation with no finite run ranks last.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np

__all__ = [
    "ALPHA", "LEVEL", "average_ranks", "curves", "depth_data", "depth_table", "experiments", "figure",
    "higher_is_better", "holm", "label", "learning_curves_data", "pair_lookup", "paired_t", "pairwise",
    "rank_means", "summarize", "t_interval"
]

ALPHA = 0.05
LEVEL = 0.95

ExpKey = tuple[str, str]


# ------------------------------------------------------------------------------- primitives
def t_interval(values: Sequence[float], level: float = LEVEL) -> tuple[float, float, float]:
    """(mean, lower, upper) of the Student-t confidence interval; NaN bounds for n < 2."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def paired_t(a: Sequence[float], b: Sequence[float]) -> dict[str, float]:
    """Two-sided paired t-test of mean(a - b) = 0, with the difference's 95 % CI.

    Written out rather than ``scipy.stats.ttest_rel`` so that zero variance is handled without
    warnings: identical pairs give p = 1; a constant non-zero difference gives p = NaN (the test
    is undefined, and treated as "not shown"). That case is common, not exotic: accuracy on 360
    test digits moves in steps of 1/360, and three seeds that each differ by one test example
    would otherwise count as infinitely significant.
    """
    from scipy import stats

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    d = a - b
    n = len(d)
    out = {"n": n, "diff": float(d.mean()) if n else math.nan, "lo": math.nan, "hi": math.nan,
           "t": math.nan, "p": math.nan}
    if n < 2:
        return out
    scale = max(1.0, float(np.abs(a).max()), float(np.abs(b).max()))
    sd = float(d.std(ddof=1))
    # differences equal up to rounding (k/360 - (k-1)/360 is not bitwise the same for every k)
    se = 0.0 if sd <= 1e-12 * scale else sd / math.sqrt(n)
    tcrit = float(stats.t.ppf(0.5 + LEVEL / 2, n - 1))
    out["lo"], out["hi"] = out["diff"] - tcrit * se, out["diff"] + tcrit * se
    if se == 0.0:
        if out["diff"] == 0:
            out["t"], out["p"] = 0.0, 1.0
        return out
    out["t"] = out["diff"] / se
    out["p"] = float(2 * stats.t.sf(abs(out["t"]), n - 1))
    return out


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values (NaN stays NaN and does not count towards m)."""
    idx = [i for i, p in enumerate(pvalues) if not math.isnan(p)]
    m = len(idx)
    adjusted = [math.nan] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(sorted(idx, key=lambda i: pvalues[i])):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def rank_means(means: Mapping[str, float], higher_is_better: bool) -> dict[str, float]:
    """Rank 1 = best; ties share the average rank; NaN ranks last."""
    from scipy.stats import rankdata

    names = list(means)
    worst = -math.inf if higher_is_better else math.inf
    vals = np.array([means[n] if math.isfinite(means[n]) else worst for n in names])
    ranks = rankdata(-vals if higher_is_better else vals, method="average")
    return dict(zip(names, map(float, ranks)))


# ------------------------------------------------------------------------------ experiments
def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def experiments(runs: Iterable[Mapping[str, Any]]) -> dict[ExpKey, list[Mapping[str, Any]]]:
    out: dict[ExpKey, list[Mapping[str, Any]]] = defaultdict(list)
    for r in runs:
        out[(r["task"], r["config_hash"])].append(r)
    return dict(out)


def higher_is_better(metric_name: str) -> bool:
    return metric_name == "accuracy"


def label(task: str, config: Mapping[str, Any]) -> str:
    """``task`` plus the settings that differ from the task's defaults (``depth depth=16``)."""
    try:
        from .tasks import get_task

        defaults = get_task(task).defaults
    except ValueError:
        return task
    always = {"depth"}  # the depth test's variable, shown even at its default
    never = {"protocol", "stage"}  # bookkeeping of the tune-then-test protocol, not a setting
    diff = [f"{k}={v}" for k, v in sorted(config.items())
            if (defaults.get(k) != v or k in always) and k not in never]
    return task + (" " + " ".join(diff) if diff else "")


Group = list[Mapping[str, Any]]


def _ordered(groups: Mapping[ExpKey, Group]) -> list[tuple[ExpKey, Group]]:
    """Experiments by task, then depth (for the depth test), then configuration hash."""
    return sorted(groups.items(), key=lambda kv: (kv[0][0], kv[1][0]["config"].get("depth", 0), kv[0][1]))


def summarize(runs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per (experiment, activation): n, mean, 95 % CI, sd, seconds, parameters."""
    rows = []
    for (task, chash), exp in _ordered(experiments(runs)):
        by_act: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for r in exp:
            by_act[r["activation"]].append(r)
        metric = exp[0]["metric_name"]
        means = {}
        for act, rs in by_act.items():
            vals = [r["metric"] for r in rs if _finite(r["metric"])]
            mean, lo, hi = t_interval(vals)
            means[act] = mean
            rows.append({
                "task": task, "config_hash": chash, "experiment": label(task, exp[0]["config"]),
                "config": exp[0]["config"], "activation": act, "metric": metric, "n": len(vals),
                "n_missing": len(rs) - len(vals), "mean": mean, "lo": lo, "hi": hi,
                "sd": float(np.std(vals, ddof=1)) if len(vals) > 1 else math.nan,
                "seeds": sorted(r["seed"] for r in rs),
                "seconds": float(np.median([r["seconds"] for r in rs])),
                "n_params": rs[0].get("n_params"),
            })
        ranks = rank_means(means, higher_is_better(metric))
        for row in rows:
            if (row["task"], row["config_hash"]) == (task, chash):
                row["rank"] = ranks[row["activation"]]
    return rows


def pairwise(runs: Iterable[Mapping[str, Any]], alpha: float = ALPHA,
             family: str = "experiment") -> list[dict[str, Any]]:
    """Every pair of activations within each experiment: paired t-test on common seeds, Holm.

    ``family="experiment"`` corrects over the pairs of each experiment separately (a table per
    experiment); ``family="all"`` over every pair of every experiment at once, which is what a
    claim drawn from several experiments together (a recommendation) needs.
    """
    if family not in ("experiment", "all"):
        raise ValueError(f"family must be 'experiment' or 'all', got {family!r}")
    families: list[list[dict[str, Any]]] = []
    for (task, chash), exp in _ordered(experiments(runs)):
        metric = exp[0]["metric_name"]
        by_act: dict[str, dict[int, float]] = defaultdict(dict)
        for r in exp:
            if _finite(r["metric"]):
                by_act[r["activation"]][r["seed"]] = r["metric"]
        rows = []
        for a, b in combinations(sorted(by_act), 2):
            seeds = sorted(set(by_act[a]) & set(by_act[b]))
            res = paired_t([by_act[a][s] for s in seeds], [by_act[b][s] for s in seeds])
            rows.append({"task": task, "config_hash": chash, "experiment": label(task, exp[0]["config"]),
                         "a": a, "b": b, "metric": metric, **res})
        families.append(rows)
    if family == "all":
        families = [[row for rows in families for row in rows]]
    out = []
    for rows in families:
        for row, adj in zip(rows, holm([r["p"] for r in rows])):
            row["p_holm"] = adj
            row["significant"] = bool(adj < alpha) if not math.isnan(adj) else False
            if row["significant"]:
                a_better = (row["diff"] > 0) == higher_is_better(row["metric"])
                row["better"] = row["a"] if a_better else row["b"]
            else:
                row["better"] = None
        out += rows
    return out


def pair_lookup(pairs: Iterable[Mapping[str, Any]]) -> dict[tuple[ExpKey, str, str], Mapping[str, Any]]:
    """(experiment, a, b) and (experiment, b, a) -> the pair's row."""
    out = {}
    for p in pairs:
        key = (p["task"], p["config_hash"])
        out[(key, p["a"], p["b"])] = p
        out[(key, p["b"], p["a"])] = p
    return out


def average_ranks(runs: Iterable[Mapping[str, Any]], exps: Sequence[ExpKey] | None = None,
                  n_boot: int = 2000, seed: int = 0) -> list[dict[str, Any]]:
    """Average rank over experiments, with a 95 % bootstrap interval (see module doc).

    Only activations present in every chosen experiment are ranked (an average over different
    sets of tasks would not compare); ``exps`` defaults to all experiments.
    """
    from scipy.stats import rankdata

    groups = experiments(runs)
    exps = list(exps) if exps is not None else sorted(groups)
    if not exps:
        return []
    common = set.intersection(*({r["activation"] for r in groups[e]} for e in exps))
    acts = sorted(common)
    if not acts:
        return []
    rng = np.random.default_rng(seed)
    point = np.zeros(len(acts))
    boot = np.zeros((n_boot, len(acts)))
    for e in exps:
        hib = higher_is_better(groups[e][0]["metric_name"])
        sign = -1.0 if hib else 1.0
        worst = np.inf
        means = np.empty(len(acts))
        bmeans = np.empty((n_boot, len(acts)))
        for j, a in enumerate(acts):
            vals = np.array([r["metric"] for r in groups[e] if r["activation"] == a and _finite(r["metric"])])
            if len(vals) == 0:
                means[j], bmeans[:, j] = worst, worst
                continue
            means[j] = sign * vals.mean()
            bmeans[:, j] = sign * vals[rng.integers(0, len(vals), (n_boot, len(vals)))].mean(1)
        point += rankdata(means, method="average")
        boot += rankdata(bmeans, method="average", axis=1)
    point /= len(exps)
    boot /= len(exps)
    lo, hi = np.percentile(boot, [2.5, 97.5], axis=0)
    rows = [{"activation": a, "avg_rank": float(point[j]), "lo": float(lo[j]), "hi": float(hi[j]),
             "n_experiments": len(exps)} for j, a in enumerate(acts)]
    return sorted(rows, key=lambda r: r["avg_rank"])


def curves(runs: Iterable[Mapping[str, Any]], field: str = "metric") -> dict[str, dict[str, np.ndarray]]:
    """Per activation: ``step``, ``epoch``, mean and 95 % CI of ``field`` over seeds, per epoch."""
    by_act: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in runs:
        by_act[r["activation"]].append(r)
    out = {}
    for act, rs in sorted(by_act.items()):
        n_ep = min(len(r["epochs"]) for r in rs)
        mean, lo, hi = [], [], []
        for i in range(n_ep):
            vals = [r["epochs"][i][field] for r in rs if _finite(r["epochs"][i][field])]
            m, a, b = t_interval(vals)
            mean.append(m)
            lo.append(a if math.isfinite(a) else m)
            hi.append(b if math.isfinite(b) else m)
        out[act] = {"epoch": np.array([rs[0]["epochs"][i]["epoch"] for i in range(n_ep)]),
                    "step": np.array([rs[0]["epochs"][i]["step"] for i in range(n_ep)]),
                    "mean": np.array(mean), "lo": np.array(lo), "hi": np.array(hi)}
    return out


def depth_table(runs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Depth-test rows: activation, depth, n, mean accuracy and its CI (for plots and tables)."""
    rows = [r for r in summarize(r for r in runs if r["task"] == "depth")]
    for r in rows:
        r["depth"] = r["config"]["depth"]
    return sorted(rows, key=lambda r: (r["activation"], r["depth"]))


# ------------------------------------------------------------------------------ figure data
# What the figures of the results show, as plain JSON-ready data; actlab.report.figures.bench
# draws them (the library draws nothing).
def figure(kind: str, data: Any, file: str, title: str = "", caption: str = "") -> dict[str, Any]:
    """A figure request: what to draw (``kind``: ``learning_curves``, ``depth``, ``ranks`` or
    ``cd``), from which ``data``, into which ``file`` (a PNG name), with its ``title`` and
    ``caption``. :func:`actlab.report.figures.bench.draw` draws it."""
    return {"kind": kind, "file": file, "title": title, "caption": caption, "data": data}


def learning_curves_data(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One experiment's learning curves: the metric's name (``metric``) and, per activation,
    ``step``, mean and 95 % CI over seeds of the metric (``curves``), of the fraction of saturated
    unit-example pairs (``saturated``) and of dead units (``dead``), per epoch."""
    def plain(cs: dict[str, dict[str, np.ndarray]]) -> dict[str, dict[str, list[float]]]:
        return {a: {k: c[k].tolist() for k in ("step", "mean", "lo", "hi")} for a, c in cs.items()}

    return {"metric": runs[0]["metric_name"] if runs else "", "curves": plain(curves(runs)),
            "saturated": plain(curves(runs, "sat_frac")), "dead": plain(curves(runs, "dead_frac"))}


def depth_data(runs: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The depth test: its dataset, per activation and depth the mean accuracy and its 95 % CI
    over seeds (``rows``), and each seed's accuracy (``seeds``)."""
    runs = [r for r in runs if r["task"] == "depth"]
    rows = depth_table(runs)
    return {"dataset": rows[0]["config"].get("dataset", "") if rows else "",
            "rows": [{k: r[k] for k in ("activation", "depth", "n", "mean", "lo", "hi")} for r in rows],
            "seeds": [{"activation": r["activation"], "depth": r["config"]["depth"], "metric": r["metric"]}
                      for r in runs if _finite(r["metric"])]}
