"""``actlab recommend``: which activation to choose, from tuned results, and how sure that is.

Only **tuned test-stage runs** count (``actlab bench train --profile ...``, see
:mod:`actlab.bench.protocol`): each activation at its own learning rate, tuned on a validation
split, scored on test with fresh seeds; diverged runs count as failures. Untuned runs (plain
``actlab bench train``) are never used: one shared lr decides rankings by itself. When the
store holds several protocols, each task kind uses the one with the most test runs of that
kind (``make demo``'s ci runs and a later ``--profile full --only text`` share a store: vision
and deep come from ci, nlp from full), and the statement names it. The language model is in
the full and paper profiles only (a few hundred steps of a model small enough for ci would rank
untrained models), so after the ci profile alone ``nlp`` says so and names the command.

For a task kind (``vision``: the image-like classification tasks; ``nlp``: the language model;
``deep``: the depth test), from the experiments of that kind (every experiment of the protocol;
for ``deep``, the depth sweep at one init with the most runs):

1. **average rank** of each activation over the experiments, with a bootstrap 95 % interval;
2. **the tied group**: the best-ranked activation and every activation that no experiment
   shows to be worse than it: a paired t-test against the best-ranked in each experiment, Holm
   over the k − 1 candidates (:func:`actlab.bench.compare.versus_baseline`). An activation is
   called worse only where a Holm-adjusted p < 0.05 says so;
3. **against ReLU** (the declared baseline): per candidate, in how many experiments it is
   equivalent (TOST with the declared margin), better, worse or inconclusive;
4. **the pick**: the best-ranked activation. The tied group is listed because the data do not
   prefer its best-ranked member over the others; choose among them on cost
   (``actlab bench kernels``), not on training time per run, which is measured on the eager
   path on a possibly shared machine and shown for information only;
5. **confidence**: ``low`` with fewer than 3 seeds per activation, or when the tied group holds
   more than half of the candidates; ``high`` with at least 5 seeds and a best activation that
   is significantly better than every other candidate in a majority of the experiments;
   ``moderate`` otherwise.

Measured properties (:func:`actlab.analysis.properties.analyze`) are listed beside each
candidate to explain the ranking, not to change it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import stats
from .store import DEFAULT_DB, Store

__all__ = [
    "COST_TOLERANCE", "HINTS", "KINDS", "WHY_MISSING", "choose_experiments", "missing", "quick_sweep",
    "recommend", "recommend_kind", "report_section"
]

KINDS = ("vision", "nlp", "deep")
COST_TOLERANCE = 1.25  # training times within 25 % of the cheapest count as equal
HINTS = {
    "vision": "actlab bench train --profile ci",
    "nlp": "actlab bench train --profile full --only text",
    "deep": "actlab bench train --profile ci",
}
WHY_MISSING = {  # why a kind can be missing after the ci profile (make demo), when it can
    "nlp": ": the language model (task text) is in the full and paper profiles only, not in ci (what "
           "make demo runs)",
}


def missing(kind: str | None, untuned: int = 0) -> str:
    """The statement when the store has no tuned results of ``kind`` (None: of any kind): why, and
    the command that produces them (one line)."""
    note = (f" ({untuned} untuned run(s) are not used: one shared learning rate decides rankings by "
            f"itself)") if untuned else ""
    if kind is None:
        return ("No tuned results in the store (untuned runs are never used: one shared learning rate "
                f"decides rankings by itself). Produce them with: {HINTS['vision']} (vision and deep; the "
                f"language model, nlp, is in the full and paper profiles only: {HINTS['nlp']})")
    return (f"No tuned {kind} results in the store{note}{WHY_MISSING.get(kind, '')}. Produce them with: "
            f"{HINTS[kind]}" + (" (add --estimate to see its CPU-hours first)" if kind == "nlp" else ""))


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
    return sorted(mine)  # every experiment of one protocol was planned as part of the comparison


def _properties(act: str) -> dict[str, Any]:
    """Measured properties of an activation (of its gate for the GLU family; {} if none)."""
    import actlab
    from actlab.analysis.properties import analyze

    from .tasks import parse_activation

    name, params = parse_activation(act)
    spec = actlab.get_spec(name)
    what = name
    if spec.kind == "gated":
        what = spec.base_name
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


def recommend_kind(runs: Sequence[Mapping[str, Any]], kind: str, properties: bool = True,
                   protocol: str = "") -> dict[str, Any]:
    """The recommendation for one task kind, as data (see the module docstring). ``runs`` are
    tuned test-stage runs (:func:`actlab.bench.protocol.tested_runs`); ``protocol`` names them."""
    from . import compare

    if kind not in KINDS:
        raise ValueError(f"--task-kind must be one of {', '.join(KINDS)}, got '{kind}'")
    exps = choose_experiments(runs, kind)
    if not exps:
        return {"kind": kind, "available": False, "protocol": protocol, "statement": missing(kind)}
    groups = stats.experiments(runs)
    chosen = [r for e in exps for r in groups[e]]
    ranks = stats.average_ranks(chosen, exps)
    if not ranks:
        return {"kind": kind, "available": False, "protocol": protocol,
                "statement": f"The {kind} experiments share no activation; nothing to compare."}
    acts = [r["activation"] for r in ranks]
    chosen = [r for r in chosen if r["activation"] in acts]
    summary = stats.summarize(chosen)
    best = acts[0]
    seeds = min(s["n"] for s in summary)
    labels = {e: groups[e][0] for e in exps}
    exp_names = [stats.label(e[0], labels[e]["config"]) for e in exps]

    vs_best = compare.versus_baseline(chosen, best)
    wins = {a: sum(v["verdict"] == "worse" for v in vs_best if v["activation"] == a) for a in acts[1:]}
    losses = {a: sum(v["verdict"] == "better" for v in vs_best if v["activation"] == a) for a in acts[1:]}
    tied = [best] + [a for a in acts[1:] if wins[a] == 0]
    worse = [a for a in acts[1:] if wins[a] > 0 and losses[a] == 0]
    mixed = [a for a in acts[1:] if wins[a] > 0 and losses[a] > 0]
    vs_relu = compare.versus_baseline(chosen, "relu")
    verdicts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for v in vs_relu:
        verdicts[v["activation"]][v["verdict"]] += 1
    cost = _train_cost(chosen, exps)
    props = {a: _properties(a) for a in acts} if properties else {}
    rank_of = {r["activation"]: r for r in ranks}
    pick = best

    if seeds < 3 or len(tied) > len(acts) / 2:
        confidence = "low"
    elif seeds >= 5 and all(wins[a] > len(exps) / 2 for a in acts[1:]):
        confidence = "high"
    else:
        confidence = "moderate"

    holm = "Holm-adjusted p > 0.05 over the k−1 comparisons with it"
    plural = lambda n, word: f"{n} {word}" + ("s" if n != 1 else "")
    where = (f"{plural(len(exps), 'experiment')}: {', '.join(exp_names)}; at least "
             f"{plural(seeds, 'seed')} per activation")
    lines = []
    if len(tied) == len(acts) and not any(losses.values()):
        lines.append(f"No activation is separated from the best-ranked, {best}, on {kind} ({where}; "
                     f"{holm}). The data do not support a choice on quality.")
    elif len(tied) == 1:
        lines.append(f"{best} ranks first on {kind} ({where}) and every other candidate is "
                     f"significantly worse in at least one experiment (Holm-adjusted p < 0.05).")
    else:
        lines.append(f"{_join(tied)} are statistically tied for the best on {kind} ({where}; none is "
                     f"shown worse than {best}, the best-ranked: {holm}).")
    for a in tied[1:] + mixed:
        if losses[a]:
            lines.append(f"{a} is significantly better than {best} in {losses[a]} of {len(exps)} "
                         f"experiment(s)" + (f" and worse in {wins[a]}" if wins[a] else "") + ".")
    if worse and len(tied) > 1:
        lines.append(f"Significantly worse than {best} in at least one experiment (Holm-adjusted "
                     f"p < 0.05): {_join(worse)}.")
    equiv = [a for a in acts if a != "relu" and verdicts[a].get("equivalent", 0) == len(exps)]
    if equiv and "relu" in acts:
        lines.append(f"Equivalent to ReLU within the declared margin in every experiment (TOST): "
                     f"{_join(equiv)}.")
    lines.append(f"Pick: {pick}" + (" (the best-ranked of the tied group; choose among the group on cost, "
                                     "measured with actlab bench kernels)." if len(tied) > 1 else "."))
    if kind == "deep":  # what the deepest networks did, as description (the tests are above)
        deepest = exps[-1]
        means = sorted(((s["mean"], s["activation"]) for s in summary
                        if (s["task"], s["config_hash"]) == deepest), reverse=True)
        cfg = labels[deepest]["config"]
        lines.append(f"At {cfg['depth']} layers ({cfg.get('init', '?')} init), mean test accuracy: "
                     + ", ".join(f"{a} {m:.2f}" for m, a in means) + ".")
    lines.append(f"Confidence: {confidence}.")
    if protocol:
        lines.append(f"Protocol: {protocol}.")

    candidates = []
    for a in acts:
        row = {"activation": a, "avg_rank": rank_of[a]["avg_rank"], "rank_lo": rank_of[a]["lo"],
               "rank_hi": rank_of[a]["hi"], "tied_with_best": a in tied,
               "worse_than_best_in": wins.get(a, 0), "better_than_best_in": losses.get(a, 0),
               "vs_relu": (", ".join(f"{k} {n}" for k, n in sorted(verdicts[a].items()))
                           if a != "relu" else ""),
               "train_time_vs_relu": cost.get(a)}
        row.update(props.get(a, {}))
        candidates.append(row)
    return {
        "kind": kind, "available": True, "protocol": protocol, "experiments": exp_names, "seeds": seeds,
        "best": best, "tied": tied, "worse": worse, "mixed": mixed, "pick": pick, "confidence": confidence,
        "cost_basis": "training time per run vs ReLU's (information only: eager path, shared machine)",
        "statement": " ".join(lines), "candidates": candidates, "summary": summary,
    }


def _join(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def recommend(db: str | Path | None = None, task_kind: str | None = None, properties: bool = True,
              runs: Sequence[Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """One recommendation per task kind (or just ``task_kind``), from the store at ``db``."""
    from .protocol import describe_protocol, tested_runs

    if runs is None:
        path = Path(db or DEFAULT_DB)
        if not path.exists():
            raise ValueError(f"no results store at {path}; run a sweep first, e.g. {HINTS['vision']}")
        with Store(path, readonly=True) as store:  # a reader: never writes, reads read-only stores
            runs = store.runs()
    if task_kind is not None and task_kind not in KINDS:
        raise ValueError(f"--task-kind must be one of {', '.join(KINDS)}, got '{task_kind}'")
    kinds = [task_kind] if task_kind else list(KINDS)
    tested = tested_runs(runs)
    out = []
    for k in kinds:
        mine = [r for r in tested if _task_kind(r["task"]) == k]
        if not mine:
            out.append({"kind": k, "available": False, "protocol": "",
                        "statement": missing(k, 0 if tested else len(runs))})
            continue
        counts: dict[str, int] = defaultdict(int)
        for r in mine:
            counts[r["config"]["protocol"]] += 1
        chosen = max(counts, key=lambda p: (counts[p], p))
        out.append(recommend_kind([r for r in mine if r["config"]["protocol"] == chosen], k, properties,
                                  describe_protocol(chosen)))
    return out


def quick_sweep(db: str | Path, *, seeds: int | None = None, workers: int | None = None,
                progress: bool = True) -> dict[str, Any]:
    """``actlab bench quick``: the ``ci`` profile of the tune-then-test protocol (what
    ``actlab bench train --profile ci`` runs; ``seeds`` overrides its number of test seeds).
    Resumable like any sweep. Returns :func:`actlab.bench.protocol.run_profile`'s result."""
    import dataclasses

    from .protocol import get_profile, run_profile

    prof = get_profile("ci")
    if seeds is not None:
        if seeds < 2:
            raise ValueError(f"--seeds must be at least 2 for any test to be possible, got {seeds}")
        prof = dataclasses.replace(prof, test_seeds=seeds)
    return run_profile(prof, db, workers=workers, progress=progress)


def report_section(db: str | Path, properties: bool = True) -> dict[str, Any]:
    """Data for the report's "Compare and choose" section.

    Returns ``{"title", "intro", "tables": [{"title", "columns", "rows"}], "figures": [...],
    "recommendations": [...], "notes": [...]}``. ``figures`` are figure requests
    (:func:`actlab.bench.stats.figure`: kind, data, file name, title, caption), drawn by
    :mod:`actlab.report.figures.bench`; nothing is drawn here. Empty tables and a note when the
    store has no runs.
    """
    path = Path(db)
    runs = []
    if path.exists():
        with Store(path, readonly=True) as store:
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
    from .protocol import tested_runs

    protocols = sorted({r["config"]["protocol"] for r in tested_runs(runs)})
    if protocols:
        return _protocol_section(section, runs, protocols, properties)
    section["notes"].append("These runs are untuned (one learning rate for every activation); no "
                            "recommendation is made from them. Run actlab bench train --profile ci.")
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
        section["figures"].append(stats.figure(
            "learning_curves", stats.learning_curves_data(exp), f"curves-{task}-{chash[:8]}.png",
            title=f"{name}: learning curves (mean, 95% CI)", caption=f"{name}: held-out metric and "
            "dead/saturated units over training (mean and 95% CI over seeds)."))
    if any(t == "depth" for t, _ in groups):
        section["figures"].append(stats.figure(
            "depth", stats.depth_data(runs), "depth.png", caption="Depth test: test accuracy of plain "
            "MLPs vs number of hidden layers (mean and 95% CI over seeds)."))
    recs = recommend(runs=runs, properties=properties)
    for rec in recs:
        if not rec["available"]:
            continue
        section["figures"].append(stats.figure(
            "ranks", [{"activation": c["activation"], "avg_rank": c["avg_rank"], "lo": c["rank_lo"],
                       "hi": c["rank_hi"], "n_experiments": len(rec["experiments"])}
                      for c in rec["candidates"]],
            f"ranks-{rec['kind']}.png",
            title=f"{rec['kind']}: average rank over {len(rec['experiments'])} experiment(s)",
            caption=f"{rec['kind']}: average rank (1 = best) with 95% bootstrap intervals over seeds."))
    section["recommendations"] = recs
    return section


def _protocol_section(section: dict[str, Any], runs: Sequence[Mapping[str, Any]], protocols: Sequence[str],
                      properties: bool) -> dict[str, Any]:
    """The report section from tune-then-test results: each stored profile's analysis."""
    from .protocol import PROFILES, analyze, describe_known_answer

    section["intro"] = (
        "Tune, then test: each activation's learning rate tuned on a validation split, then fresh seeds "
        "at that rate scored on test at the best-validation epoch; diverged runs count as failures. Each "
        "candidate against ReLU: paired t-test with Holm over the k−1 candidates, bootstrap interval of "
        "the difference, and an equivalence test (TOST) with a declared margin; across experiments, "
        "Friedman with a critical-difference plot.")
    cols = ["experiment", "activation", "lr", "n", "failures", "mean", "lo", "hi", "boot_lo", "boot_hi",
            "sensitivity", "late_gain"]
    vcols = ["experiment", "activation", "diff", "lo", "hi", "boot_lo", "boot_hi", "p_holm", "p_tost_holm",
             "margin", "verdict"]
    for tag in protocols:
        name = tag.removeprefix("tune-test/")
        if name not in PROFILES:
            section["notes"].append(f"protocol {tag}: not a known profile; shown by recommend only")
            continue
        res = analyze(PROFILES[name], runs)
        section["notes"].append(f"Protocol {res['protocol']}")
        section["tables"].append({
            "title": f"{name}: test score per experiment and activation (mean; 95% t and bootstrap "
                     "intervals; lr sensitivity; validation gain over the last quarter of the budget)",
            "columns": cols, "rows": [{k: s[k] for k in cols} for s in res["summary"]]})
        section["tables"].append({
            "title": f"{name}: each candidate against ReLU (difference with its paired-t and bootstrap 95% "
                     "intervals, Holm-adjusted p of the difference and of the equivalence test, verdict: "
                     "from the t tests; the bootstrap under-covers at 5 seeds)",
            "columns": vcols, "rows": [{k: v[k] for k in vcols} for v in res["versus"]]})
        section["figures"].extend(res["figures"])  # the critical-difference diagrams
        ka = res["known_answer"]
        if ka:
            section["notes"].append(describe_known_answer(ka) + ".")
    section["recommendations"] = recommend(runs=runs, properties=properties)
    return section
