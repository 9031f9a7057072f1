"""``actlab recommend``: which activation to choose, from stored results, and how sure that is.

For a task kind (``vision``: the image-like classification tasks; ``nlp``: the language model;
``deep``: the depth test), from the experiments of that kind in the store (per task, the
configuration with the most runs; for ``deep``, every depth of the depth sweep with the most
runs):

1. **average rank** of each activation over the experiments, with a bootstrap 95 % interval;
2. **the tied group**: the best-ranked activation and every activation that no experiment
   shows to be worse than it (paired t-test over seeds; Holm's correction over all pairs of all
   the experiments of the kind together, so that the family-wise error of everything said stays
   below 5 %; too few common seeds means untested, hence tied). Nothing outside what these tests
   support is claimed: an activation is called worse only where a Holm-adjusted p < 0.05 says so;
3. **the pick**: among the tied group (being tied, none is shown to be better), the
   best-ranked of those whose training time per run is within 25 % of the cheapest member's.
   Training time is the median seconds per run relative to ReLU's in the same experiments
   (geometric mean over experiments): what the activation costs in context, measured in the
   same sweep. 25 % because run times on a shared machine jitter by about that much;
4. **confidence**: ``low`` with fewer than 3 seeds per activation, or when the tied group holds
   more than half of the candidates (the data barely separate anything); ``high`` with at least
   5 seeds and a best activation that is significantly better than every other candidate in a
   majority of the experiments; ``moderate`` otherwise.

Measured properties (:func:`actlab.analysis.properties.analyze`: smoothness, monotonicity,
zero-centred, self-normalising, and the forward micro-benchmark ``cost_vs_relu``) are listed
beside each candidate to explain the ranking, not to change it (the micro-benchmark is too
noisy on a shared machine to decide between tied candidates).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import stats
from .store import DEFAULT_DB, Store

KINDS = ("vision", "nlp", "deep")
COST_TOLERANCE = 1.25  # training times within 25 % of the cheapest count as equal
HINTS = {
    "vision": "actlab bench train --task digits,mnist1d --acts core --seeds 3",
    "nlp": "actlab bench train --task text --acts text --seeds 3",
    "deep": "actlab bench train --task depth --acts core --seeds 3 --set depth=2,8,16,32",
}


def _task_kind(task: str) -> str | None:
    from .tasks import get_task

    try:
        return get_task(task).kind
    except ValueError:
        return None


def choose_experiments(runs: Sequence[Mapping[str, Any]], kind: str) -> list[stats.ExpKey]:
    """The experiments that stand for ``kind`` (see the module docstring)."""
    groups = stats.experiments(runs)
    mine = {k: v for k, v in groups.items() if _task_kind(k[0]) == kind}
    if kind == "deep":  # group depth experiments by their configuration apart from depth
        families: dict[str, list[stats.ExpKey]] = defaultdict(list)
        for k, v in mine.items():
            rest = {c: x for c, x in v[0]["config"].items() if c != "depth"}
            families[repr(sorted(rest.items()))].append(k)
        if not families:
            return []
        best = max(families.values(), key=lambda ks: (sum(len(mine[k]) for k in ks), len(ks)))
        return sorted(best, key=lambda k: mine[k][0]["config"]["depth"])
    by_task: dict[str, list[stats.ExpKey]] = defaultdict(list)
    for k in mine:
        by_task[k[0]].append(k)
    return [max(ks, key=lambda k: (len(mine[k]), max(r["finished"] or 0 for r in mine[k])))
            for _, ks in sorted(by_task.items())]


def _properties(act: str) -> dict[str, Any]:
    """Measured properties of an activation (of its gate for the GLU family; {} if none)."""
    import actlab
    from actlab.analysis.properties import analyze

    from .tasks import parse_activation

    name, params = parse_activation(act)
    spec = actlab.get_spec(name)
    what = name
    if spec.kind == "gated":
        what = spec.gate
        params = {}
    elif spec.kind != "elementwise":
        return {}
    try:
        p = analyze(what, params, taylor=False)
    except ValueError:
        return {}
    out = {"smoothness": p.smoothness, "monotonic": p.monotonic, "zero_centred": p.zero_centred,
           "self_normalizing": p.self_normalizing, "kernel_cost_vs_relu": p.cost_vs_relu}
    if what != name:
        out = {f"gate {k}" if k != "kernel_cost_vs_relu" else k: v for k, v in out.items()}
        out["gate"] = what
    return out


def _train_cost(runs: Sequence[Mapping[str, Any]], exps: Sequence[stats.ExpKey]) -> dict[str, float]:
    """Geometric mean over experiments of (median seconds per run) / (ReLU's, or the fastest's)."""
    groups = stats.experiments(runs)
    logs: dict[str, list[float]] = defaultdict(list)
    for e in exps:
        med: dict[str, list[float]] = defaultdict(list)
        for r in groups[e]:
            if r["seconds"]:
                med[r["activation"]].append(r["seconds"])
        m = {a: sorted(v)[len(v) // 2] for a, v in med.items()}
        if not m:
            continue
        ref = m.get("relu", min(m.values()))
        for a, v in m.items():
            logs[a].append(math.log(v / ref))
    return {a: math.exp(sum(v) / len(v)) for a, v in logs.items()}


def recommend_kind(runs: Sequence[Mapping[str, Any]], kind: str, properties: bool = True) -> dict[str, Any]:
    """The recommendation for one task kind, as data (see :func:`recommend`)."""
    if kind not in KINDS:
        raise ValueError(f"--task-kind must be one of {', '.join(KINDS)}, got '{kind}'")
    exps = choose_experiments(runs, kind)
    if not exps:
        return {"kind": kind, "available": False,
                "statement": f"No {kind} results in the store yet. Run for example: {HINTS[kind]}"}
    groups = stats.experiments(runs)
    chosen = [r for e in exps for r in groups[e]]
    ranks = stats.average_ranks(chosen, exps)
    if not ranks:
        return {"kind": kind, "available": False,
                "statement": f"The {kind} experiments share no activation; nothing to compare."}
    acts = [r["activation"] for r in ranks]
    summary = [s for s in stats.summarize(chosen) if s["activation"] in acts]
    pairs = stats.pair_lookup(stats.pairwise(chosen, family="all"))  # one family: every claim below
    best = acts[0]
    seeds = min(s["n"] for s in summary)
    labels = {e: groups[e][0] for e in exps}
    exp_names = [stats.label(e[0], labels[e]["config"]) for e in exps]

    # per candidate: in how many experiments the best-ranked is significantly better / worse
    def count(a: str, winner: str) -> int:
        return sum(1 for e in exps if (p := pairs.get((e, best, a))) and p["better"] == winner)

    wins = {a: count(a, best) for a in acts[1:]}
    losses = {a: count(a, a) for a in acts[1:]}
    tied = [best] + [a for a in acts[1:] if wins[a] == 0]  # never shown worse than the best
    worse = [a for a in acts[1:] if wins[a] > 0 and losses[a] == 0]
    mixed = [a for a in acts[1:] if wins[a] > 0 and losses[a] > 0]
    cost = _train_cost(chosen, exps)
    props = {a: _properties(a) for a in acts} if properties else {}
    rank_of = {r["activation"]: r for r in ranks}
    cheapest = min(cost.get(a) or math.inf for a in tied)
    affordable = [a for a in tied if (cost.get(a) or math.inf) <= COST_TOLERANCE * cheapest] or tied
    pick = min(affordable, key=lambda a: rank_of[a]["avg_rank"])
    cost_what = "training time per run vs ReLU's"

    if seeds < 3 or len(tied) > len(acts) / 2:
        confidence = "low"
    elif seeds >= 5 and all(wins[a] > len(exps) / 2 for a in acts[1:]):
        confidence = "high"
    else:
        confidence = "moderate"

    holm = "Holm-adjusted p > 0.05"
    plural = lambda n, word: f"{n} {word}" + ("s" if n != 1 else "")
    where = (f"{plural(len(exps), 'experiment')}: {', '.join(exp_names)}; at least "
             f"{plural(seeds, 'seed')} per activation")
    lines = []
    if len(tied) == len(acts) and not any(losses.values()):
        lines.append(f"No activation is separated from the best-ranked, {best}, on {kind} ({where}; "
                     f"every paired comparison with it has {holm}). The data do not support a choice "
                     f"on quality.")
    elif len(tied) == 1:
        lines.append(f"{best} ranks first on {kind} ({where}) and every other candidate is "
                     f"significantly worse in at least one experiment (Holm-adjusted p < 0.05).")
    else:
        lines.append(f"{_join(tied)} form the top group on {kind}: none is "
                     f"significantly worse than {best}, the best-ranked, in any experiment ({where}; "
                     f"{holm})." if any(losses[a] for a in tied[1:]) else
                     f"{_join(tied)} are statistically tied for the best on {kind} ({where}; "
                     f"{holm} against {best}, the best-ranked, in every experiment).")
    for a in tied[1:] + mixed:
        if losses[a]:
            lines.append(f"{a} is significantly better than {best} in {losses[a]} of {len(exps)} "
                         f"experiment(s)" + (f" and worse in {wins[a]}" if wins[a] else "") + ".")
    if worse and len(tied) > 1:  # (with a single best, the first sentence said it already)
        lines.append(f"Significantly worse than {best} in at least one experiment (Holm-adjusted "
                     f"p < 0.05): {_join(worse)}.")
    if pick == best:
        lines.append(f"Pick: {pick}" + (f" (the best-ranked of that group whose training time is "
                                        f"within 25% of the cheapest's; {cost_what}: "
                                        f"{cost.get(pick) or math.nan:.2f}×)." if len(tied) > 1 else "."))
    else:
        lines.append(f"Pick: {pick}: not shown worse than {best} and cheaper ({cost_what}: "
                     f"{cost.get(pick) or math.nan:.2f}× vs {cost.get(best) or math.nan:.2f}×); {best} "
                     f"ranks higher on average, but no test says it is better.")
    if kind == "deep":  # what the deepest networks did, as description (the tests are above)
        deepest = exps[-1]
        means = sorted(((s["mean"], s["activation"]) for s in summary
                        if (s["task"], s["config_hash"]) == deepest), reverse=True)
        lines.append(f"At {labels[deepest]['config']['depth']} layers, mean accuracy over seeds: "
                     + ", ".join(f"{a} {m:.2f}" for m, a in means) + ".")
    lines.append(f"Confidence: {confidence}.")

    candidates = []
    for a in acts:
        row = {"activation": a, "avg_rank": rank_of[a]["avg_rank"], "rank_lo": rank_of[a]["lo"],
               "rank_hi": rank_of[a]["hi"], "tied_with_best": a in tied,
               "worse_than_best_in": wins.get(a, 0),
               "better_than_best_in": losses.get(a, 0), "train_time_vs_relu": cost.get(a)}
        row.update(props.get(a, {}))
        candidates.append(row)
    return {
        "kind": kind, "available": True, "experiments": exp_names, "seeds": seeds, "best": best,
        "tied": tied, "worse": worse, "mixed": mixed, "pick": pick, "confidence": confidence,
        "cost_basis": cost_what,
        "statement": " ".join(lines), "candidates": candidates, "summary": summary,
    }


def _join(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def recommend(db: str | Path | None = None, task_kind: str | None = None, properties: bool = True,
              runs: Sequence[Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """One recommendation per task kind (or just ``task_kind``), from the store at ``db``."""
    if runs is None:
        path = Path(db or DEFAULT_DB)
        if not path.exists():
            raise ValueError(f"no results store at {path}; run a sweep first, e.g. {HINTS['vision']}")
        with Store(path) as store:
            runs = store.runs()
    kinds = [task_kind] if task_kind else list(KINDS)
    return [recommend_kind(runs, k, properties) for k in kinds]


# ----------------------------------------------------------------------- quick sweep, report
QUICK = {
    "digits": {"acts": "relu,leaky_relu,elu,gelu,swish,tanh", "sets": {"epochs": [6]}},
    "mnist1d": {"acts": "relu,leaky_relu,elu,gelu,swish,tanh", "sets": {"epochs": [6]}},
    "depth": {"acts": "relu,selu,tanh,sigmoid", "sets": {"depth": [2, 16, 32], "epochs": [5]}},
    "text": {"acts": "relu,swiglu", "sets": {"steps": [100], "eval_every": [25]}},
}


def quick_sweep(db: str | Path, *, seeds: int = 3, workers: int | None = None, progress: bool = True,
                tasks: Sequence[str] = ("digits", "mnist1d", "depth", "text")) -> Any:
    """A small sweep for ``make demo`` and the report's quick profile (:data:`QUICK`).

    digits and MNIST-1D (6 activations × 6 epochs), the depth test at depths 2, 16, 32
    (4 activations × 5 epochs) and a short language-model run (ReLU vs SwiGLU, 100 steps), each
    with ``seeds`` seeds: about 400 CPU-seconds, 3-4 minutes on 2 busy cores. Resumable like any
    sweep; the full-size runs are ``actlab bench train``'s defaults. Returns the SweepReport.
    """
    from .sweep import plan, run_sweep

    specs = []
    for t in tasks:
        q = QUICK[t]
        specs += plan(t, q["acts"], seeds, q["sets"])
    specs.sort(key=lambda s: s.seed)  # all tasks get seed 0 first
    return run_sweep(specs, db, workers=workers, progress=progress)


def report_section(db: str | Path, out_dir: str | Path, properties: bool = True) -> dict[str, Any]:
    """Data and figures for the report's "Compare and choose" section.

    Returns ``{"title", "intro", "tables": [{"title", "columns", "rows"}], "figures": [{"path",
    "caption"}], "recommendations": [...], "notes": [...]}``; figures are PNG files written to
    ``out_dir``. Empty tables and a note when the store has no runs.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = Path(db)
    runs = []
    if path.exists():
        with Store(path) as store:
            runs = store.runs(with_epochs=True)
    section: dict[str, Any] = {
        "title": "Compare and choose: training on real data",
        "intro": ("Each activation trained with the same model, data, optimiser and seeds; mean "
                  "and 95% t-interval over seeds; paired t-tests over seeds with Holm's correction "
                  "within each experiment; a difference is claimed only when Holm-adjusted p < 0.05."),
        "tables": [], "figures": [], "recommendations": [], "notes": [],
    }
    if not runs:
        section["notes"].append(f"No stored runs in {path}. Run `{HINTS['vision']}` (or "
                                "actlab.bench.recommend.quick_sweep) first.")
        return section
    summary = stats.summarize(runs)
    section["tables"].append({
        "title": "Final metric per experiment and activation (mean, 95% CI over seeds)",
        "columns": ["experiment", "activation", "metric", "n", "mean", "lo", "hi", "rank", "seconds"],
        "rows": [{k: s[k] for k in ("experiment", "activation", "metric", "n", "mean", "lo", "hi",
                                    "rank", "seconds")} for s in summary]})
    sig = [p for p in stats.pairwise(runs) if p["significant"]]
    section["tables"].append({
        "title": "Significant paired differences (Holm-adjusted p < 0.05); all other pairs are not "
                 "separated by the data",
        "columns": ["experiment", "better", "a", "b", "diff", "lo", "hi", "p_holm", "n"],
        "rows": [{k: p[k] for k in ("experiment", "better", "a", "b", "diff", "lo", "hi", "p_holm", "n")}
                 for p in sig]})
    groups = stats.experiments(runs)
    for (task, chash), exp in sorted(groups.items()):
        if task == "depth":
            continue
        name = stats.label(task, exp[0]["config"])
        png = stats.plot_learning_curves(exp, out_dir / f"curves-{task}-{chash[:8]}.png",
                                         title=f"{name}: learning curves (mean, 95% CI)")
        section["figures"].append({"path": str(png), "caption": f"{name}: held-out metric and "
                                   "dead/saturated units over training (mean and 95% CI over seeds)."})
    if any(t == "depth" for t, _ in groups):
        png = stats.plot_depth([r for r in runs if r["task"] == "depth"], out_dir / "depth.png")
        section["figures"].append({"path": str(png), "caption": "Depth test: test accuracy of plain "
                                   "MLPs vs number of hidden layers (mean and 95% CI over seeds)."})
    recs = recommend(runs=runs, properties=properties)
    for rec in recs:
        if not rec["available"]:
            continue
        png = stats.plot_ranks([{"activation": c["activation"], "avg_rank": c["avg_rank"],
                                 "lo": c["rank_lo"], "hi": c["rank_hi"],
                                 "n_experiments": len(rec["experiments"])} for c in rec["candidates"]],
                               out_dir / f"ranks-{rec['kind']}.png",
                               title=f"{rec['kind']}: average rank over "
                                     f"{len(rec['experiments'])} experiment(s)")
        section["figures"].append({"path": str(png), "caption": f"{rec['kind']}: average rank (1 = best) "
                                   "with 95% bootstrap intervals over seeds."})
    section["recommendations"] = recs
    return section
