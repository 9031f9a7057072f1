"""The benchmark protocol: tune, then test (``actlab bench train --profile ci|full|paper``).

Why: one untuned learning rate decides rankings (on MNIST-1D ReLU beat Swish at lr 1e-3 and
lost at 1e-2), and a test score that also chose the epoch is optimistic. So, per experiment
(a task at fixed settings) and activation:

1. **Tune.** Train at every learning rate of a small log-spaced grid with ``tune_seeds`` (seeds
   ≥ 1000, never reused for testing), score each run on the *validation* split (carved from the
   training data; the test split is not even evaluated), at its best-validation epoch. The
   best lr is the one with the highest mean validation score; a diverged run scores as the
   untrained model, so an lr that diverges on some seeds loses. A best lr at an end of the
   grid says the grid did not bracket it: the grid is extended one step (the grid's own ratio)
   past that end and tuned again, at most :data:`EXTEND` steps each way. The whole curve is
   kept: **lr sensitivity** = best − mean over the profile's grid (Eger et al. 2018's "best vs
   expected"; over the same grid for every activation, whatever was extended).
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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .train import RunSpec

__all__ = [
    "CORE",
    "DEPTH_ACTS",
    "EXTEND",
    "FFN8",
    "FULL_ACTS",
    "KA_CONTROL",
    "KA_FAILS",
    "KA_RESCUES",
    "PROFILES",
    "TUNE_SEED0",
    "Experiment",
    "Profile",
    "analyze",
    "check",
    "choose_lrs",
    "depth_epochs",
    "describe_known_answer",
    "describe_protocol",
    "exp_key",
    "extension_plan",
    "get_profile",
    "known_answer",
    "ladder",
    "run_profile",
    "test_plan",
    "tested_runs",
    "tune_plan"
]

TUNE_SEED0 = 1000  # tuning seeds start here; test seeds start at 0: never the same run
EXTEND = 2  # lr steps the tuning may add past either end of a profile's grid


@dataclass(frozen=True)
class Experiment:
    """One task at fixed settings, compared over ``acts`` (learning rate tuned per activation)."""

    name: str
    task: str
    acts: tuple[str, ...]
    sets: Mapping[str, Any] = field(default_factory=dict)
    lrs: tuple[float, ...] = ()  # empty: the profile's grid for this task's loop
    tune_seeds: int = 0  # 0: the profile's


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

    def seeds(self, exp: Experiment) -> int:
        """How many seeds tune ``exp``: its own count where it sets one, else the profile's."""
        return exp.tune_seeds or self.tune_seeds

    def grid(self, exp: Experiment) -> tuple[float, ...]:
        from .tasks import get_task

        return exp.lrs or self.lrs[get_task(exp.task).loop]

    def _tune_seeds_text(self) -> str:
        """"1 tuning seed(s), 2 for the depth experiments": per task where all its experiments
        agree, else per experiment."""
        own: dict[str, set[int]] = defaultdict(set)
        for e in self.experiments:
            own[e.task].add(self.seeds(e))
        more = [f"{k.pop()} for the {task} experiments" if len(k) == 1 else
                ", ".join(f"{self.seeds(e)} for {e.name}" for e in self.experiments if e.task == task)
                for task, k in own.items() if k != {self.tune_seeds}]
        return ", ".join([f"{self.tune_seeds} tuning seed(s)", *more])

    def describe(self) -> str:
        grids = "; ".join(f"{k}: {', '.join(f'{v:g}' for v in vs)}" for k, vs in self.lrs.items())
        return (f"{self.protocol}: lr tuned per activation and experiment on a validation split "
                f"(grid {grids}; {self._tune_seeds_text()}), then {self.test_seeds} fresh seeds at "
                f"the best lr scored on test at the best-validation epoch; diverged runs count as failures "
                f"(scored as the untrained model); GLU/CReLU parameter-matched; init declared per experiment")


CORE = ("relu", "gelu", "swish", "tanh", "swiglu")
FULL_ACTS = ("relu", "leaky_relu", "elu", "selu", "gelu", "swish", "mish", "tanh", "sigmoid", "swiglu",
             "crelu")
DEPTH_ACTS = ("relu", "selu", "tanh", "sigmoid", "gelu", "swish")
FFN8 = ("relu", "gelu", "swish", "glu", "bilinear", "reglu", "geglu", "swiglu")

# Deep plain nets are tuned on 2 seeds: one seed can pick an lr at the edge of divergence. In
# the full profile, ReLU with LeCun init at depth 32 was tuned on one seed to lr 3e-3 (validation
# 0.965) and then failed outright on one of its 5 test seeds (0.10); at 80 epochs lr 3e-3 gave
# 0.96, 0.85, 0.93 on three seeds (one collapsing late, −0.32) against 1e-3's 0.97, 0.96, 0.96.
DEPTH_TUNE_SEEDS = 2


def depth_epochs(depth: int, base: int = 20) -> int:
    """The epoch budget of a plain net of ``depth`` hidden layers: ``base`` up to 16 layers,
    four times that at 17-32. Deeper plain nets train slower, and the slowest are the ones the
    depth test is about: at depth 32 (digits, width 64, Adam) sigmoid with critical init (then
    uncentred) was still climbing at the end of 40 epochs in every test run of the full profile
    (best epochs 35-40); centred, its best epochs of 80 are 64-79 (lr 3e-4). ReLU with LeCun
    init at lr 1e-3 peaked at epochs 41-69 of 80 (validation 0.97, 0.96, 0.96)."""
    return base * max(1, math.ceil(depth / 16)) ** 2


PROFILES: dict[str, Profile] = {
    "ci": Profile(
        "ci", "a few minutes on 2 cores: digits (full and 10 %), the depth known-answer check",
        (
            Experiment("digits", "digits", CORE, {"epochs": 20}),
            Experiment("digits 10%", "digits", CORE, {"epochs": 60, "subset": 0.1, "batch": 16}),
            Experiment("depth 12 lecun", "depth", ("relu", "sigmoid"),
                       {"depth": 12, "epochs": 15, "init": "lecun"}, tune_seeds=DEPTH_TUNE_SEEDS),
            Experiment("depth 12 critical", "depth", ("relu", "sigmoid"),
                       {"depth": 12, "epochs": 15, "init": "critical"}, tune_seeds=DEPTH_TUNE_SEEDS),
        ),
        {"classify": (1e-3, 3e-3, 1e-2), "lm": (1e-3, 3e-3)}, tune_seeds=1, test_seeds=5),
    "full": Profile(
        "full", "hours on one machine: vision MLPs and CNNs, small data, depth × init, the text LM",
        (
            *(Experiment(t, t, FULL_ACTS, {"epochs": 30}) for t in ("digits", "digits-cnn", "mnist1d",
                                                                     "mnist1d-cnn")),
            Experiment("digits 10%", "digits", FULL_ACTS, {"epochs": 100, "subset": 0.1, "batch": 16}),
            Experiment("mnist1d 10%", "mnist1d", FULL_ACTS, {"epochs": 100, "subset": 0.1, "batch": 32}),
            *(Experiment(f"depth {d} {init}", "depth", DEPTH_ACTS,
                         {"depth": d, "epochs": depth_epochs(d), "init": init}, tune_seeds=DEPTH_TUNE_SEEDS)
              for d in (8, 16, 32) for init in ("lecun", "he", "critical")),
            # the same variance on orthogonal matrices (Pennington et al. 2017's dynamical
            # isometry): it was added when the uncentred Gaussian init fell short at depth 32
            Experiment("depth 32 critical_orthogonal", "depth", DEPTH_ACTS,
                       {"depth": 32, "epochs": depth_epochs(32), "init": "critical_orthogonal"},
                       tune_seeds=DEPTH_TUNE_SEEDS),
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
                          "init": init}, tune_seeds=DEPTH_TUNE_SEEDS)
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
            for s in range(max(map(profile.seeds, profile.experiments), default=0))
            for exp in profile.experiments if s < profile.seeds(exp)
            for act in exp.acts for lr in profile.grid(exp)]


def _sign(task: str) -> float:
    """+1 where the task's metric is better higher (accuracy), −1 where lower (bits per char)."""
    from .tasks import get_task

    return 1.0 if get_task(task).higher_is_better else -1.0


def _beyond(grid: Sequence[float], side: int, k: int) -> float:
    """The lr ``k`` steps past the low (``side`` −1) or high (+1) end of ``grid``, at the grid's
    own geometric ratio, to 3 significant digits (a stable key for the stored runs)."""
    lo, hi = min(grid), max(grid)
    ratio = (hi / lo) ** (1 / (len(grid) - 1))
    return float(f"{(lo / ratio ** k if side < 0 else hi * ratio ** k):.3g}")


def ladder(profile: Profile, exp: Experiment) -> tuple[float, ...]:
    """Every lr the tuning of ``exp`` may try: the grid and :data:`EXTEND` steps past each end
    (none for a grid of one lr: that is a fixed lr, not a search)."""
    grid = profile.grid(exp)
    if len(set(grid)) < 2:
        return tuple(grid)
    return tuple(sorted({*grid, *(_beyond(grid, side, k) for side in (-1, 1) for k in range(1, EXTEND + 1))}))


def _past_end(curve: Mapping[float, float], best: float, steps: Sequence[float], sign: float) -> float | None:
    """The next rung of ``steps`` past the end of ``curve`` where ``best`` lies, if it is strictly
    better than the lr next to it (a NaN neighbour counts as beaten); else None."""
    tried = sorted(curve)
    i = steps.index(best)
    if len(tried) < 2:
        return None
    if best == tried[0] and i > 0 and not sign * curve[tried[1]] >= sign * curve[best]:
        return steps[i - 1]
    if best == tried[-1] and i + 1 < len(steps) and not sign * curve[tried[-2]] >= sign * curve[best]:
        return steps[i + 1]
    return None


def extension_plan(profile: Profile, choice: Sequence[Mapping[str, Any]]) -> list[RunSpec]:
    """Tuning runs one lr step past the end of the curve where an activation's best lr lies at
    that end, strictly better than the lr next to it (the grid did not bracket it; a flat curve,
    at chance everywhere, is not extended), while the ladder (:func:`ladder`) has a step left;
    and the missing seeds of extensions already run on fewer seeds than the experiment now
    tunes on (a store from before :data:`DEPTH_TUNE_SEEDS`, or a stopped sweep)."""
    exps = {exp.name: exp for exp in profile.experiments}
    out = []
    for c in choice:
        exp = exps[c["experiment"]]
        out += [_spec(profile, exp, c["activation"], seed, lr, "tune") for lr, seed in c.get("unfilled", ())]
        if c["best_lr"] is None:
            continue
        nxt = _past_end(c["curve"], c["best_lr"], ladder(profile, exp), _sign(exp.task))
        if nxt is not None:
            out += [_spec(profile, exp, c["activation"], TUNE_SEED0 + s, nxt, "tune")
                    for s in range(profile.seeds(exp))]
    return out


def current(runs: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The runs whose results today's code would reproduce: without those stored with critical
    init before it changed (:func:`actlab.bench.train.superseded`). They stay in the store, and
    their settings are the same as the new runs', so an experiment would otherwise mix them
    (sigmoid with critical init at depth 32 scored 0.50 before the init centred it, 0.93 after)."""
    from .train import superseded

    return [r for r in runs if r.get("config_hash") is None
            or not superseded(r["task"], r["config"], r["config_hash"])]


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
    seeds, failures counted: the grid and any extension past its ends that has run), the best
    lr and the sensitivity (best − mean over the profile's grid). Missing tuning runs make
    ``best_lr`` None (run the command again to finish them)."""
    from .tasks import canonical_activation, get_task

    by: dict[tuple[str, str, float], list[Mapping[str, Any]]] = defaultdict(list)
    for r in current(runs):
        c = r["config"]
        if c.get("protocol") == profile.protocol and c.get("stage") == "tune":
            by[(exp_key(r["task"], c), r["activation"], c["lr"])].append(r)
    out = []
    for exp in profile.experiments:
        t = get_task(exp.task)
        sign = _sign(t.name)
        key = _exp_id(profile, exp)[1]
        grid = profile.grid(exp)
        for act in exp.acts:
            a = canonical_activation(act)
            curve, failures, complete, unfilled = {}, 0, True, []
            for lr in ladder(profile, exp):
                rs = by.get((key, a, lr), [])
                if lr not in grid and not rs:
                    continue  # an extension not run (not needed, or not yet)
                if len(rs) < profile.seeds(exp):
                    complete = False
                    if lr not in grid:  # an extension run on fewer seeds (an older profile, a stop)
                        have = {r["seed"] for r in rs}
                        unfilled += [(lr, TUNE_SEED0 + k) for k in range(profile.seeds(exp))
                                     if TUNE_SEED0 + k not in have]
                curve[lr] = float(np.mean([r["metric"] for r in rs])) if rs else math.nan
                failures += sum(r["status"] == "diverged" for r in rs)
            finite = {lr: v for lr, v in curve.items() if math.isfinite(v)}
            on_grid = [v for lr, v in finite.items() if lr in grid]
            best = max(finite, key=lambda lr: sign * finite[lr]) if complete and finite else None
            out.append({"experiment": exp.name, "task": t.name, "activation": a, "curve": curve,
                        "best_lr": best, "best": finite.get(best, math.nan) if best else math.nan,
                        "sensitivity": (sign * (finite[best] - float(np.mean(on_grid))))
                        if best and on_grid else math.nan, "tune_failures": failures, "metric": t.metric,
                        "unfilled": unfilled})
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
    ``config_hash`` becomes :func:`exp_key`; ``lr`` is kept on each run.

    Where an activation's test runs used more than one lr (its choice moved: tuning runs were
    added after it was tested, e.g. a grid extension), only those at the lr with the best mean
    tuning score count, never a mix."""
    out, tuned = [], defaultdict(list)
    for r in current(runs):
        c = r["config"]
        p = c.get("protocol", "none")
        if p == "none" or (protocol and p != protocol) or c.get("stage") not in ("tune", "test"):
            continue
        if c["stage"] == "tune":
            tuned[(p, r["task"], exp_key(r["task"], c), r["activation"], c["lr"])].append(r["metric"])
            continue
        out.append({**r, "config_hash": exp_key(r["task"], c), "lr": c["lr"],
                    "config": {k: v for k, v in c.items() if k != "lr"}})
    lrs = defaultdict(set)
    for r in out:
        lrs[(r["config"]["protocol"], r["task"], r["config_hash"], r["activation"])].add(r["lr"])

    def score(group: tuple[Any, ...], lr: float) -> float:
        vals = [v for v in tuned.get((*group, lr), []) if v is not None and math.isfinite(v)]
        return _sign(group[1]) * float(np.mean(vals)) if vals else -math.inf

    keep = {g: max(sorted(ls), key=lambda lr, g=g: score(g, lr)) for g, ls in lrs.items()}
    return [r for r in out if r["lr"] == keep[(r["config"]["protocol"], r["task"], r["config_hash"],
                                                 r["activation"])]]


def run_profile(profile: Profile, db: str | Path, *, backend: str = "local", workers: int | None = None,
                address: str | None = None, threads: int = 1, progress: bool = True) -> dict[str, Any]:
    """Tune (extending the grid where it did not bracket the best lr), choose, test; returns the
    sweep reports (``extended``: one per extension round), the lr choice and the wall time."""
    from .store import Store
    from .sweep import run_sweep

    check(profile)
    t0 = time.perf_counter()
    kw = {"backend": backend, "workers": workers, "address": address, "threads": threads,
          "progress": progress}
    tune = run_sweep(tune_plan(profile), db, **kw)
    extended, complete = [], tune.complete
    while True:  # each round moves every unbracketed best one step outwards, along a finite ladder
        with Store(db, readonly=True) as s:
            choice = choose_lrs(profile, s.runs())
        more = extension_plan(profile, choice) if complete else []
        if not more:
            break
        extended.append(run_sweep(more, db, **kw))
        complete = extended[-1].complete
    out: dict[str, Any] = {"profile": profile.name, "tune": tune, "extended": extended, "choice": choice,
                           "test": None}
    if complete:
        out["test"] = run_sweep(test_plan(profile, choice), db, **kw)
    out["seconds"] = time.perf_counter() - t0
    return out


# ------------------------------------------------------------------------------- analysis
def analyze(profile: Profile, runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Everything the protocol's results support: per experiment and activation the tuned lr,
    lr sensitivity, mean test score with t and bootstrap intervals, failures and late gain; each
    candidate against the baseline (Holm, bootstrap effect interval, TOST verdict); Friedman and
    the critical difference over experiments sharing an activation set; the seed plan for the
    margin; and the known-answer check at depth. ``figures`` holds one request for a
    critical-difference diagram per ``friedman`` entry, in order (:func:`actlab.bench.stats.figure`;
    drawn by :mod:`actlab.report.figures.bench`: nothing is drawn here)."""
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
        friedman.append(res)
    figures = [stats.figure("cd", f, f"cd-{profile.name}-{i}.png", caption=(
        f"{profile.name}: critical-difference diagram over {', '.join(f['experiments'])} (Friedman "
        f"p = {f['p']:.3g}; Nemenyi CD = {f['cd']:.2f}; a red bar joins activations not separated)."))
        for i, f in enumerate(friedman)]
    return {"profile": profile.name, "protocol": profile.describe(), "summary": summary, "versus": versus,
            "friedman": friedman, "figures": figures, "seed_plan": compare.plan_seeds(versus),
            "known_answer": known_answer(summary)}


# The known-answer check's thresholds (see :func:`known_answer` for why these values).
KA_CONTROL = 0.5   # the control must reach half the way from chance to 100 %, else the depth is inconclusive
KA_FAILS = 0.25    # sigmoid/LeCun keeps at most a quarter of the control's accuracy above chance
KA_RESCUES = 0.75  # critical init closes at least three quarters of sigmoid/LeCun's gap to the control


def known_answer(summary: Sequence[Mapping[str, Any]], chance: float = 0.1) -> dict[str, Any] | None:
    """The known-answer check: *sigmoid fails at depth, critical init rescues it*.

    At one depth of the ``depth`` task, from the mean test accuracies over the test seeds of
    sigmoid with LeCun init (S_L), sigmoid with critical init (S_C) and the control, ReLU with
    LeCun init (R), and ``chance`` (0.1: every depth dataset has 10 classes):

    * **conclusive** when the control trains: R − chance ≥ ``KA_CONTROL`` × (1 − chance). If ReLU
      fails too (LeCun init at depth 32 left it at 0.10), the depth and init are untrainable for
      a standard activation and sigmoid's failure says nothing about sigmoid;
    * **sigmoid fails** when it keeps at most ``KA_FAILS`` of the control's accuracy above
      chance: (S_L − chance) / (R − chance) ≤ 1/4. Not "at chance": at moderate depth Adam's
      per-parameter step partly makes up for gradients that shrink by σ' ≤ 1/4 per layer, and
      some seeds learn a little (full profile, depth 8: 0.238, one seed at 0.397, against ReLU's
      0.941): broken, but above chance;
    * **critical init rescues it** when it closes at least ``KA_RESCUES`` of the gap to the
      control: (S_C − S_L) / (R − S_L) ≥ 3/4.

    The two thresholds leave a middle band (a quarter to three quarters of the way) where
    neither "broken" nor "working" is claimed; at full headroom each band is ~0.2 accuracy wide,
    several times the t half-widths of 5-seed means (0.01–0.11 in the stored runs), so one odd
    seed does not flip the verdict. The t intervals of the three means are reported beside it.

    The verdict is taken at the deepest conclusive depth (the claim is about depth); every depth
    with the three rows is listed in ``depths``. None when no depth has the three rows.
    """
    rows = {(r["activation"], r["config"].get("init"), r["config"].get("depth")): r for r in summary
            if r["task"] == "depth"}
    depths = []
    for depth in sorted({d for (_, _, d) in rows if d is not None}):
        lecun, crit, ctrl = (rows.get((act, init, depth)) for act, init in
                             (("sigmoid", "lecun"), ("sigmoid", "critical"), ("relu", "lecun")))
        if lecun is None or crit is None or ctrl is None:
            continue
        s_l, s_c, r = lecun["mean"], crit["mean"], ctrl["mean"]
        conclusive = r - chance >= KA_CONTROL * (1 - chance)
        kept = (s_l - chance) / (r - chance) if r > chance else math.nan
        recovered = (s_c - s_l) / (r - s_l) if r > s_l else math.nan
        fails = conclusive and kept <= KA_FAILS
        rescues = fails and recovered >= KA_RESCUES
        depths.append({
            "depth": depth, "chance": chance, "control": "relu", "control_mean": r,
            "control_lo": ctrl.get("lo", math.nan), "control_hi": ctrl.get("hi", math.nan),
            "lecun_mean": s_l, "lecun_lo": lecun.get("lo", math.nan), "lecun_hi": lecun.get("hi", math.nan),
            "critical_mean": s_c, "critical_lo": crit.get("lo", math.nan),
            "critical_hi": crit.get("hi", math.nan), "kept": kept, "recovered": recovered,
            "conclusive": conclusive, "sigmoid_fails": fails, "critical_rescues": rescues,
            "passed": fails and rescues,
            "verdict": "passed" if fails and rescues else "failed" if conclusive else "inconclusive"})
        orth = rows.get(("sigmoid", "critical_orthogonal", depth))
        if orth is not None:  # reported beside the verdict, which stays on the Gaussian critical init
            depths[-1] |= {"orthogonal_mean": orth["mean"], "orthogonal_lo": orth.get("lo", math.nan),
                           "orthogonal_hi": orth.get("hi", math.nan),
                           "orthogonal_recovered": (orth["mean"] - s_l) / (r - s_l) if r > s_l else math.nan}
    if not depths:
        return None
    conclusive = [d for d in depths if d["conclusive"]]
    out = dict((conclusive or depths)[-1])
    out["rule"] = (f"control ReLU/LeCun at least {KA_CONTROL:g} of the way from chance to 1; sigmoid/LeCun "
                   f"keeps at most {KA_FAILS:g} of ReLU's accuracy above chance; critical init closes at "
                   f"least {KA_RESCUES:g} of the gap (means over test seeds)")
    out["depths"] = depths
    return out


def describe_known_answer(ka: Mapping[str, Any]) -> str:
    """One line for :func:`known_answer`'s result (the CLI and the report print this)."""
    ci = lambda k: f"{ka[k + '_mean']:.3f} [{ka[k + '_lo']:.3f}, {ka[k + '_hi']:.3f}]"
    if not ka["conclusive"]:
        why = (f"inconclusive: the control ReLU with LeCun init reaches only {ci('control')}, so this depth "
               f"is untrainable for a standard activation too")
    else:
        why = (f"sigmoid with LeCun init {ci('lecun')} keeps {ka['kept']:.0%} of ReLU's accuracy above "
               f"chance ({'fails' if ka['sigmoid_fails'] else 'does NOT fail'}: at most {KA_FAILS:.0%}); "
               f"critical init {ci('critical')} closes {ka['recovered']:.0%} of the gap ("
               f"{'rescued' if ka['critical_rescues'] else 'NOT rescued'}: at least {KA_RESCUES:.0%})")
    orth = (f" (orthogonal critical init, beside the verdict: {ci('orthogonal')}, closes "
            f"{ka['orthogonal_recovered']:.0%})" if "orthogonal_mean" in ka else "")
    return (f"Known answer at depth {ka['depth']} (ReLU with LeCun init {ci('control')}; means [t 95%] over "
            f"test seeds): {why}: {ka['verdict'].upper()}{orth}")
