"""CPU-hours of a profile before running it: time a few training steps of each experiment's model
here, multiply by the steps its runs will take.

Why measured rather than tabulated: the cost per step depends on this machine, the model and
the activation's eager path; a few steps of each model cost seconds, a wrong guess about a
profile costs hours. The estimate is ReLU's step time for every activation (gated and
transcendental ones are slower on the eager path, typically up to 1.5×) plus the evaluations,
priced as forward passes (a third of a training step per example); treat it as ±50 %.

Data a task needs but this machine lacks (MNIST for the paper profile) are replaced by random
tensors of the documented shape: the cost of a step does not depend on the pixel values.
"""

from __future__ import annotations

import math
import time
from typing import Any

import torch

from .protocol import EXTEND, Experiment, Profile

__all__ = ["STAND_IN", "estimate", "run_cost", "step_seconds"]

# shapes of data sets that may be absent here: (n_train, n_test, features, classes)
STAND_IN = {"mnist": (60_000, 10_000, 784, 10), "fashion-mnist": (60_000, 10_000, 784, 10)}


def _data(exp: Experiment, cfg: dict[str, Any]) -> Any:
    from .tasks import ClassData, get_task

    t = get_task(exp.task)
    name = cfg.get("dataset", t.name)
    if get_task(name).available() is None:
        return t.load(cfg)
    n_tr, n_te, feat, k = STAND_IN[name.removesuffix("-cnn")]
    g = torch.Generator().manual_seed(0)
    return ClassData(torch.randn(n_tr, feat, generator=g), torch.randint(0, k, (n_tr,), generator=g),
                     torch.randn(n_te, feat, generator=g), torch.randint(0, k, (n_te,), generator=g), k)


def step_seconds(exp: Experiment, probe_steps: int = 15) -> tuple[float, dict[str, Any], Any]:
    """Seconds per training step of ``exp``'s model with ReLU (after one warm-up step)."""
    from . import train
    from .tasks import carve, get_task

    t = get_task(exp.task)
    cfg = t.config(exp.sets)
    data = _data(exp, cfg)
    torch.manual_seed(0)
    model = t.build("relu", cfg, data)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    if t.loop == "lm":
        x = torch.randint(0, 256, (cfg["batch"], cfg["ctx"] + 1))
        loss_of = lambda: torch.nn.functional.cross_entropy(model(x[:, :-1]).reshape(-1, 256),
                                                           x[:, 1:].reshape(-1))
    else:
        data = carve(data, cfg["val_frac"], cfg["subset"])
        xb, yb = data.x_train[: cfg["batch"]], data.y_train[: cfg["batch"]]
        loss_of = lambda: torch.nn.functional.cross_entropy(model(xb), yb)
    times = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as a sweep worker runs
    try:
        with train._eager():
            for _ in range(probe_steps + 1):
                t0 = time.perf_counter()
                loss = loss_of()
                opt.zero_grad()
                loss.backward()
                opt.step()
                times.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(threads)
    # the median of single steps after a warm-up one: robust to other processes on the machine
    return float(sorted(times[1:])[len(times[1:]) // 2]), cfg, data


def run_cost(exp: Experiment, stage: str, probe_steps: int = 15) -> dict[str, Any]:
    """Estimated seconds of one run of ``exp`` (training steps plus evaluations)."""
    from .tasks import get_task

    sec, cfg, data = step_seconds(exp, probe_steps)
    t = get_task(exp.task)
    if t.loop == "lm":
        steps = cfg["steps"]
        evals = math.ceil(steps / cfg["eval_every"]) + 1
        eval_examples = (cfg["eval_bytes"] // cfg["ctx"]) * (2 if stage == "test" else 1)
    else:
        n = len(data.x_train)
        per_epoch = math.ceil(n / cfg["batch"])
        steps = cfg["epochs"] * per_epoch
        steps = min(cfg["steps"], steps) if cfg["steps"] else steps
        evals = math.ceil(steps / per_epoch) + 1
        eval_examples = len(data.x_val) + (len(data.x_test) if stage == "test" else 0)
    eval_seconds = evals * eval_examples / cfg["batch"] * sec / 3
    return {"steps": steps, "step_seconds": sec, "seconds": steps * sec + eval_seconds}


def estimate(profile: Profile, probe_steps: int = 15) -> dict[str, Any]:
    """Runs, CPU-seconds and CPU-hours of each experiment and of the whole profile."""
    rows = []
    for exp in profile.experiments:
        tune = run_cost(exp, "tune", probe_steps)
        test = run_cost(exp, "test", probe_steps)
        n_tune = len(exp.acts) * len(profile.grid(exp)) * profile.seeds(exp)
        n_test = len(exp.acts) * profile.test_seeds
        cpu = n_tune * tune["seconds"] + n_test * test["seconds"]
        rows.append({"experiment": exp.name, "task": exp.task, "runs": n_tune + n_test,
                     "steps": test["steps"],
                     "s/step": test["step_seconds"], "s/run": test["seconds"], "cpu_seconds": cpu,
                     "cpu_hours": cpu / 3600})
    total = sum(r["cpu_seconds"] for r in rows)
    extra = sum(len(exp.acts) * 2 * EXTEND * profile.seeds(exp) for exp in profile.experiments)
    return {"profile": profile.name, "experiments": rows, "runs": sum(r["runs"] for r in rows),
            "cpu_seconds": total, "cpu_hours": total / 3600, "extension_runs_max": extra}
