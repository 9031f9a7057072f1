"""The benchmark protocol: tune, then test (``actlab bench train --profile ci|full|paper``).

Why: one untuned learning rate decides rankings (on MNIST-1D ReLU beat Swish at lr 1e-3 and
lost at 1e-2), and a test score that also chose the epoch is optimistic. So, per experiment
(a task at fixed settings) and activation:

1. **Tune.** Train at every learning rate of a small log-spaced grid with ``tune_seeds`` (seeds
   ≥ 1000, never reused for testing), score each run on the *validation* split (carved from the
   training data; the test split is not even evaluated), at its best-validation epoch. The
   best lr is the one with the highest mean validation score; a diverged run scores as the
   untrained model, so an lr that diverges on some seeds loses. The whole curve is kept:
   **lr sensitivity** = best − mean over the grid (Eger et al. 2018's "best vs expected").
2. **Test.** Train with fresh seeds (0, 1, ...) at each activation's best lr, score on *test*
   at the best-validation epoch. Only these runs go into the comparisons and ``recommend``.

Every run is an ordinary sweep run (resumable, local pool or Ray) whose configuration carries
``stage`` (tune/test) and ``protocol`` (``tune-test/<profile>``), so re-running the command
resumes either stage, and the test stage's lrs are recomputed from the stored tuning runs
(the same choice every time).

Init is a declared setting of each experiment; GLU-family and CReLU models are
parameter-matched (``match_params``, the task default). Budgets: each run records
``late_gain``, the validation gain over the last quarter of its budget; the summary shows its
median so a reader can see whether the ranking is of trained models.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .train import RunSpec

__all__ = [
    "CORE",
    "DEPTH_ACTS",
    "FFN8",
    "FULL_ACTS",
    "PROFILES",
    "TUNE_SEED0",
    "Experiment",
    "Profile",
    "analyze",
    "check",
    "choose_lrs",
    "describe_protocol",
    "exp_key",
    "get_profile",
    "known_answer",
    "run_profile",
    "test_plan",
    "tested_runs",
    "tune_plan"
]

TUNE_SEED0 = 1000  # tuning seeds start here; test seeds start at 0: never the same run


@dataclass(frozen=True)
class Experiment:
    """One task at fixed settings, compared over ``acts`` (learning rate tuned per activation)."""

    name: str
    task: str
    acts: tuple[str, ...]
    sets: Mapping[str, Any] = field(default_factory=dict)
    lrs: tuple[float, ...] = ()  # empty: the profile's grid for this task's loop


@dataclass(frozen=True)
class Profile:
    name: str
    summary: str
    experiments: tuple[Experiment, ...]
    lrs: Mapping[str, tuple[float, ...]]  # per loop: "classify", "lm"
    tune_seeds: int
    test_seeds: int
    baseline: str = "relu"
    margins: Mapping[str, float] = field(default_factory=lambda: {"accuracy": 0.01, "bpc": 0.02})

    @property
    def protocol(self) -> str:
        return f"tune-test/{self.name}"

    def grid(self, exp: Experiment) -> tuple[float, ...]:
        from .tasks import get_task

        return exp.lrs or self.lrs[get_task(exp.task).loop]

    def describe(self) -> str:
        grids = "; ".join(f"{k}: {', '.join(f'{v:g}' for v in vs)}" for k, vs in self.lrs.items())
        return (f"{self.protocol}: lr tuned per activation and experiment on a validation split "
                f"(grid {grids}; {self.tune_seeds} tuning seed(s)), then {self.test_seeds} fresh seeds at "
                f"the best lr scored on test at the best-validation epoch; diverged runs count as failures "
                f"(scored as the untrained model); GLU/CReLU parameter-matched; init declared per experiment")


CORE = ("relu", "gelu", "swish", "tanh", "swiglu")
FULL_ACTS = ("relu", "leaky_relu", "elu", "selu", "gelu", "swish", "mish", "tanh", "sigmoid", "swiglu",
             "crelu")
DEPTH_ACTS = ("relu", "selu", "tanh", "sigmoid", "gelu", "swish")
FFN8 = ("relu", "gelu", "swish", "glu", "bilinear", "reglu", "geglu", "swiglu")

PROFILES: dict[str, Profile] = {
    "ci": Profile(
        "ci", "a few minutes on 2 cores: digits (full and 10 %), the depth known-answer check",
        (
            Experiment("digits", "digits", CORE, {"epochs": 20}),
            Experiment("digits 10%", "digits", CORE, {"epochs": 60, "subset": 0.1, "batch": 16}),
            Experiment("depth 12 lecun", "depth", ("relu", "sigmoid"),
                       {"depth": 12, "epochs": 15, "init": "lecun"}),
            Experiment("depth 12 critical", "depth", ("relu", "sigmoid"),
                       {"depth": 12, "epochs": 15, "init": "critical"}),
        ),
        {"classify": (1e-3, 3e-3, 1e-2), "lm": (1e-3, 3e-3)}, tune_seeds=1, test_seeds=5),
    "full": Profile(
        "full", "hours on one machine: vision MLPs and CNNs, small data, depth × init, the text LM",
        (
            *(Experiment(t, t, FULL_ACTS, {"epochs": 30}) for t in ("digits", "digits-cnn", "mnist1d",
                                                                     "mnist1d-cnn")),
            Experiment("digits 10%", "digits", FULL_ACTS, {"epochs": 100, "subset": 0.1, "batch": 16}),
            Experiment("mnist1d 10%", "mnist1d", FULL_ACTS, {"epochs": 100, "subset": 0.1, "batch": 32}),
            *(Experiment(f"depth {d} {init}", "depth", DEPTH_ACTS, {"depth": d, "epochs": 20, "init": init})
              for d in (8, 16, 32) for init in ("lecun", "he", "critical")),
            Experiment("text", "text", FFN8, {"steps": 2000, "eval_every": 250, "warmup": 100}),
        ),
        {"classify": (3e-4, 1e-3, 3e-3, 1e-2, 3e-2), "lm": (1e-3, 2e-3, 4e-3)}, tune_seeds=1, test_seeds=5),
    "paper": Profile(
        "paper", "a cluster: Shazeer 2020's FFN comparison on a byte LM, Misra's depth test on MNIST",
        (
            Experiment("byte LM d192", "text", FFN8,
                       {"d_model": 192, "layers": 4, "heads": 6, "ctx": 128, "steps": 4000, "batch": 32,
                        "warmup": 200, "eval_every": 500, "eval_bytes": 262144}),
            *(Experiment(f"MNIST depth {d} {init}", "depth", FULL_ACTS[:9],
                         {"dataset": "mnist", "depth": d, "width": 128, "epochs": 5, "batch": 128,
                          "init": init})
              for d in (4, 8, 16, 24, 32) for init in ("he", "critical")),
        ),
        {"classify": (3e-4, 1e-3, 3e-3), "lm": (5e-4, 1e-3, 2e-3, 4e-3)}, tune_seeds=1, test_seeds=5),
}


def describe_protocol(protocol: str) -> str:
    """What a stored protocol tag means, in words (the profile's description when known)."""
    name = protocol.removeprefix("tune-test/")
    return PROFILES[name].describe() if name in PROFILES else f"{protocol} (tune, then test)"


def get_profile(name: str, only: str | Sequence[str] | None = None) -> Profile:
    """The profile ``name``, restricted to the experiments named in ``only`` (comma-separated or
    a list) when given: a profile can be run piecewise, and its runs are shared with the whole
    (same protocol tag, same keys)."""
    import dataclasses

    if name not in PROFILES:
        raise ValueError(f"unknown profile '{name}'; choose one of: {', '.join(PROFILES)}")
    prof = PROFILES[name]
    if not only:
        return prof
    wanted = [w.strip() for w in only.split(",")] if isinstance(only, str) else list(only)
    names = [e.name for e in prof.experiments]
    unknown = [w for w in wanted if w not in names]
    if unknown:
        raise ValueError(f"profile {name} has no experiment {', '.join(map(repr, unknown))}; "
                         f"its experiments: {', '.join(names)}")
    return dataclasses.replace(prof, experiments=tuple(e for e in prof.experiments if e.name in wanted))


# ------------------------------------------------------------------------------------ plans
def _spec(profile: Profile, exp: Experiment, act: str, seed: int, lr: float, stage: str) -> RunSpec:
    return RunSpec.make(exp.task, act, seed, {**exp.sets, "lr": lr, "stage": stage,
                                              "protocol": profile.protocol})


def check(profile: Profile) -> None:
    """Every task of the profile can run here (else ValueError saying how to get its data)."""
    from .tasks import get_task

    for exp in profile.experiments:
        t = get_task(exp.task)
        why = t.available()
        if not why and exp.task == "depth":
            why = get_task(exp.sets.get("dataset", t.defaults["dataset"])).available()
        if why:
            raise ValueError(f"profile {profile.name}: experiment '{exp.name}' cannot run here: {why}")


def tune_plan(profile: Profile) -> list[RunSpec]:
    """Every tuning run, seed-major."""
    return [_spec(profile, exp, act, TUNE_SEED0 + s, lr, "tune")
            for s in range(profile.tune_seeds) for exp in profile.experiments
            for act in exp.acts for lr in profile.grid(exp)]


def exp_key(task: str, config: Mapping[str, Any]) -> str:
    """An experiment's identity: its task and settings except lr and stage (stable hash)."""
    from .train import config_hash

    return config_hash(task, {k: v for k, v in config.items() if k not in ("lr", "stage")})


def _exp_id(profile: Profile, exp: Experiment) -> tuple[str, str]:
    """(task, :func:`exp_key`) of an experiment of ``profile``, as its stored runs carry it."""
    from .tasks import get_task

    t = get_task(exp.task)
    return t.name, exp_key(t.name, {**t.config(exp.sets), "protocol": profile.protocol})


def choose_lrs(profile: Profile, runs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per experiment and activation: the lr curve (mean validation score per lr over the tuning
    seeds, failures counted), the best lr and the sensitivity (best − mean over the grid).
    Missing tuning runs make ``best_lr`` None (run the command again to finish them)."""
    from .tasks import canonical_activation, get_task

    by: dict[tuple[str, str, float], list[Mapping[str, Any]]] = defaultdict(list)
    for r in runs:
        c = r["config"]
        if c.get("protocol") == profile.protocol and c.get("stage") == "tune":
            by[(exp_key(r["task"], c), r["activation"], c["lr"])].append(r)
    out = []
    for exp in profile.experiments:
        t = get_task(exp.task)
        sign = 1.0 if t.higher_is_better else -1.0
        key = _exp_id(profile, exp)[1]
        for act in exp.acts:
            a = canonical_activation(act)
            curve, failures, complete = {}, 0, True
            for lr in profile.grid(exp):
                rs = by.get((key, a, lr), [])
                if len(rs) < profile.tune_seeds:
                    complete = False
                curve[lr] = float(np.mean([r["metric"] for r in rs])) if rs else math.nan
                failures += sum(r["status"] == "diverged" for r in rs)
            finite = {lr: v for lr, v in curve.items() if math.isfinite(v)}
            best = max(finite, key=lambda lr: sign * finite[lr]) if complete and finite else None
            out.append({"experiment": exp.name, "task": t.name, "activation": a, "curve": curve,
                        "best_lr": best, "best": finite.get(best, math.nan) if best else math.nan,
                        "sensitivity": (sign * (finite[best] - float(np.mean(list(finite.values())))))
                        if best else math.nan, "tune_failures": failures, "metric": t.metric})
    return out


def test_plan(profile: Profile, choice: Sequence[Mapping[str, Any]]) -> list[RunSpec]:
    """The test runs at each activation's chosen lr (fresh seeds 0..n−1), seed-major."""
    lr = {(c["experiment"], c["activation"]): c["best_lr"] for c in choice}
    missing = [k for k, v in lr.items() if v is None]
    if missing:
        raise ValueError(f"tuning is not finished for {len(missing)} (experiment, activation) pair(s), e.g. "
                         f"{missing[0]}; run the same command again to finish it")
    from .tasks import canonical_activation

    return [_spec(profile, exp, act, s, lr[(exp.name, canonical_activation(act))], "test")
            for s in range(profile.test_seeds) for exp in profile.experiments for act in exp.acts]


# ------------------------------------------------------------------------------------ runs
def tested_runs(runs: Sequence[Mapping[str, Any]], protocol: str | None = None) -> list[dict[str, Any]]:
    """The tuned test-stage runs (of ``protocol``, or of any tune-test protocol), regrouped so that
    an experiment is its settings without the lr (each activation ran at its own best lr):
    ``config_hash`` becomes :func:`exp_key`; ``lr`` is kept on each run."""
    out = []
    for r in runs:
        c = r["config"]
        p = c.get("protocol", "none")
        if c.get("stage") != "test" or p == "none" or (protocol and p != protocol):
            continue
        out.append({**r, "config_hash": exp_key(r["task"], c), "lr": c["lr"],
                    "config": {k: v for k, v in c.items() if k != "lr"}})
    return out


def run_profile(profile: Profile, db: str | Path, *, backend: str = "local", workers: int | None = None,
                address: str | None = None, threads: int = 1, progress: bool = True) -> dict[str, Any]:
    """Tune, choose, test; returns the sweep reports, the lr choice and the wall time."""
    from .store import Store
    from .sweep import run_sweep

    check(profile)
    t0 = time.perf_counter()
    kw = {"backend": backend, "workers": workers, "address": address, "threads": threads,
          "progress": progress}
    tune = run_sweep(tune_plan(profile), db, **kw)
    with Store(db, readonly=True) as s:
        choice = choose_lrs(profile, s.runs())
    out: dict[str, Any] = {"profile": profile.name, "tune": tune, "choice": choice, "test": None}
    if tune.complete:
        out["test"] = run_sweep(test_plan(profile, choice), db, **kw)
    out["seconds"] = time.perf_counter() - t0
    return out


# ------------------------------------------------------------------------------- analysis
def analyze(profile: Profile, runs: Sequence[Mapping[str, Any]],
            figdir: str | Path | None = None) -> dict[str, Any]:
    """Everything the protocol's results support: per experiment and activation the tuned lr,
    lr sensitivity, mean test score with t and bootstrap intervals, failures and late gain; each
    candidate against the baseline (Holm, bootstrap effect interval, TOST verdict); Friedman and
    the critical difference over experiments sharing an activation set (plot in ``figdir``);
    the seed plan for the margin; and the known-answer check at depth."""
    from . import compare, stats

    choice = {(c["task"], c["experiment"], c["activation"]): c for c in choose_lrs(profile, runs)}
    names = {_exp_id(profile, exp): exp.name for exp in profile.experiments}
    tested = [r for r in tested_runs(runs, profile.protocol) if (r["task"], r["config_hash"]) in names]
    summary = []
    for s in stats.summarize(tested):
        name = names.get((s["task"], s["config_hash"]), s["experiment"])
        rs = [r for r in tested if (r["task"], r["config_hash"], r["activation"]) ==
              (s["task"], s["config_hash"], s["activation"])]
        vals = [r["metric"] for r in rs if stats._finite(r["metric"])]
        _, blo, bhi = compare.bootstrap_mean_ci(vals)
        c = choice.get((s["task"], name, s["activation"]), {})
        late = [r["late_gain"] for r in rs if stats._finite(r.get("late_gain"))]
        summary.append({**s, "experiment": name, "lr": rs[0]["lr"] if rs else math.nan,
                        "boot_lo": blo, "boot_hi": bhi,
                        "failures": sum(r["status"] == "diverged" for r in rs),
                        "sensitivity": c.get("sensitivity", math.nan), "tune_curve": c.get("curve", {}),
                        "late_gain": float(np.median(late)) if late else math.nan})
    versus = compare.versus_baseline(tested, profile.baseline, profile.margins)
    for v in versus:
        v["experiment"] = names.get((v["task"], v["config_hash"]), v["experiment"])
    groups: dict[frozenset, list[Mapping[str, Any]]] = defaultdict(list)
    by_exp = stats.experiments(tested)
    for _, rs in by_exp.items():
        groups[frozenset(r["activation"] for r in rs)].extend(rs)
    friedman = []
    for acts, rs in sorted(groups.items(), key=lambda kv: -len(kv[0])):
        n_exp = len(stats.experiments(rs))
        if len(acts) < 3 or n_exp < 2:
            continue
        res = compare.friedman(rs)
        res["experiments"] = sorted({names.get((r["task"], r["config_hash"]), r["task"]) for r in rs})
        if figdir is not None:
            res["plot"] = str(compare.plot_cd(res, Path(figdir) / f"cd-{profile.name}-{len(friedman)}.png"))
        friedman.append(res)
    return {"profile": profile.name, "protocol": profile.describe(), "summary": summary, "versus": versus,
            "friedman": friedman, "seed_plan": compare.plan_seeds(versus),
            "known_answer": known_answer(summary)}


def known_answer(summary: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Sigmoid fails at depth with LeCun init and critical init rescues it: the check passes when
    sigmoid's mean test accuracy is within 10 points of chance with LeCun init and its critical-
    init bootstrap interval lies above chance + 30 points (same depth). None without the data."""
    rows = {(r["config"].get("init"), r["config"].get("depth")): r for r in summary
            if r["task"] == "depth" and r["activation"] == "sigmoid"}
    for (init, depth), lecun in sorted(rows.items(), key=lambda kv: -(kv[0][1] or 0)):
        crit = rows.get(("critical", depth))
        if init != "lecun" or crit is None:
            continue
        chance = 0.1
        fails = lecun["mean"] <= chance + 0.1
        rescued = math.isfinite(crit["boot_lo"]) and crit["boot_lo"] >= chance + 0.3
        return {"depth": depth, "lecun_mean": lecun["mean"], "critical_mean": crit["mean"],
                "critical_lo": crit["boot_lo"], "critical_hi": crit["boot_hi"], "sigmoid_fails": fails,
                "critical_rescues": rescued, "passed": fails and rescued}
    return None
