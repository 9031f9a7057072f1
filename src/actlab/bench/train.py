"""One training run: (task, activation, seed, configuration) -> per-epoch metrics and a result.

A run is deterministic: the seed fixes the initial weights (``torch.manual_seed`` just before
the model is built) and the order of the batches (its own ``torch.Generator``); the data split
never depends on it. Sweeps run each run on one thread (``torch.set_num_threads(1)``), which also
keeps floating-point reductions in one order, so the same run gives the same numbers in a local
worker, in a Ray worker or in this process.

Data come in three splits: train, validation (carved from the training data with a fixed
generator, :func:`actlab.bench.tasks.carve`; for text, held-out documents) and test. Each
evaluation ("epoch" row; for the language model, every ``eval_every`` steps) records the
training loss since the last one, the validation loss and metric (``val_loss``, ``metric``:
accuracy or bits per character), in the test stage (``stage="test"``) the test loss and metric
(``test_loss``, ``test_metric``; a tuning run never evaluates the test split), and two unit
statistics measured on a fixed probe batch, with the threshold used for saturation
by :mod:`actlab.analysis.properties` (``|f'| < 1e-3``):

* ``sat_frac`` -- the fraction of (example, unit) pairs where the unit passes (almost) no
  gradient: ``|∂y/∂z| < 1e-3`` (for a gated unit ``a ⊗ g(b)``, both ``|g(b)|`` and
  ``|a·g'(b)|``); a ReLU on its negative side counts, as does tanh beyond |z| ≈ 3.8;
* ``dead_frac`` -- the fraction of units saturated on *every* probe example: dead ReLUs, or
  sigmoid units stuck at 0 or 1.

A run's score (:func:`select`) is the metric at its best-validation evaluation: on validation
in the tuning stage, on test in the test stage; a diverged run scores as the untrained model.

Units are features for MLPs and the transformer's feed-forward block, channels for CNNs.

Runs take actlab's eager (spec) path for every activation (``actlab.fused.disabled()``): the
fused kernels are compiled only after a process has used an activation for a while, so with
them a run's last digits would depend on what its worker ran before. Speed is measured apart
(``actlab bench kernels``); here only the training curves matter.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .tasks import Task, canonical_activation, carve, get_task

__all__ = [
    "AT_LEAST",
    "DIVERGED",
    "PROTOCOL",
    "SATURATION",
    "RunSpec",
    "activation_modules",
    "check_config",
    "config_hash",
    "data_key",
    "exploded",
    "load_data",
    "run",
    "select",
    "unit_stats",
    "warm_up"
]

SATURATION = 1e-3  # |f'| below this is "saturated" (actlab.analysis.properties.SATURATION)
PROTOCOL = 2  # bump when a change to the training code changes results: old rows stop matching
# the same for runs with critical init alone; 2: layers fed by an activation that is not 0 at 0
# (sigmoid) are centred (actlab.bench.tasks.models.critical_centre)
CRITICAL_INIT = 2

Progress = Callable[[dict[str, Any], int], None]


def config_hash(task: str, config: Mapping[str, Any]) -> str:
    """First 16 hex digits of SHA-256 over the task, its resolved configuration and PROTOCOL (and
    CRITICAL_INIT for a run with critical init)."""
    return _hash(task, config, CRITICAL_INIT if _critical(config) else None)


def superseded(task: str, config: Mapping[str, Any], stored_hash: str) -> bool:
    """Whether a run was stored under the key its settings had before critical init last changed
    (CRITICAL_INIT 1 had no number in the key): same settings, results of an older init."""
    old = _hash(task, config, None)
    return _critical(config) and stored_hash == old and old != config_hash(task, config)


def _critical(config: Mapping[str, Any]) -> bool:
    return str(config.get("init", "")).startswith("critical")


def _hash(task: str, config: Mapping[str, Any], critical_init: int | None) -> str:
    extra = {} if critical_init is None else {"critical_init": critical_init}
    blob = json.dumps({"task": task, "config": dict(config), "protocol": PROTOCOL, **extra}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


# the budget and size settings a run is made of: (least value, what it means); a run with
# less is refused before anything is trained or stored (epochs=0 would store chance accuracy)
AT_LEAST = {
    "epochs": (1, "passes over the training data"), "batch": (1, "examples per step"),
    "probe": (1, "examples for the unit statistics"), "width": (1, "units per hidden layer"),
    "layers": (1, "hidden layers"), "channels": (1, "channels"), "depth": (1, "hidden layers"),
    "d_model": (1, "model width"), "heads": (1, "attention heads"), "ctx": (1, "context bytes"),
    "ffn_mult": (1, "feed-forward width multiple"), "eval_every": (1, "steps between evaluations"),
    "eval_bytes": (1, "bytes evaluated"), "warmup": (0, "warm-up steps"),
}


def check_config(task: Task, cfg: Mapping[str, Any]) -> None:
    """ValueError, naming the setting and what it accepts, for a configuration no run can be
    trained with: a budget of no epochs or negative steps, an empty layer, an lr that is not a
    positive number, a validation fraction that leaves nothing to train or validate on."""
    def bad(key: str, want: str) -> ValueError:
        return ValueError(f"task '{task.name}': {key}={cfg[key]!r} cannot be trained; {key} must be "
                          f"{want}, e.g. {task.defaults.get(key, '')!r}")

    for key, (least, meaning) in AT_LEAST.items():
        v = cfg.get(key)
        if key in cfg and not (isinstance(v, int) and not isinstance(v, bool) and v >= least):
            raise bad(key, f"an integer >= {least} ({meaning})")
    steps = cfg.get("steps")
    if "steps" in cfg:
        least = 1 if task.loop == "lm" else 0
        if not (isinstance(steps, int) and not isinstance(steps, bool) and steps >= least):
            raise bad("steps", "an integer >= 1 (training steps)" if least else
                      "an integer >= 0 (a cap on training steps; 0 = no cap)")
    lr = cfg.get("lr")
    if "lr" in cfg and not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise bad("lr", "a finite number > 0 (the learning rate)")
    for key, lo, hi, meaning in (("val_frac", 0.0, 1.0, "the share of training data held out for "
                                  "validation, above 0 and below 1"),
                                 ("subset", 0.0, 1.0, "the share of training data used, above 0 "
                                  "and at most 1")):
        v = cfg.get(key)
        in_range = isinstance(v, (int, float)) and lo < v and (v < hi or (key == "subset" and v == hi))
        if key in cfg and not in_range:
            raise bad(key, meaning)
    if "stage" in cfg and cfg["stage"] not in ("tune", "test"):
        raise bad("stage", "tune (score on validation) or test")
    if {"d_model", "heads"} <= cfg.keys() and cfg["d_model"] % cfg["heads"]:
        raise ValueError(f"task '{task.name}': d_model={cfg['d_model']} must be a multiple of "
                         f"heads={cfg['heads']}")


@dataclass(frozen=True)
class RunSpec:
    """What identifies a run. Build with :meth:`make` (canonical names, defaults filled in)."""

    task: str
    activation: str
    seed: int
    config: dict[str, Any] = field(hash=False)
    config_hash: str = ""

    @classmethod
    def make(cls, task: str, activation: str, seed: int,
             overrides: Mapping[str, Any] | None = None) -> RunSpec:
        t = get_task(task)
        cfg = t.config(overrides)
        check_config(t, cfg)  # refused here: before a sweep opens the store or trains anything
        return cls(t.name, canonical_activation(activation), int(seed), cfg, config_hash(t.name, cfg))

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.task, self.activation, self.seed, self.config_hash)

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "activation": self.activation, "seed": self.seed, "config": self.config}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunSpec:
        return cls.make(d["task"], d["activation"], d["seed"], d["config"])

    def describe(self) -> str:
        return f"{self.task} {self.activation} seed {self.seed}"


# ------------------------------------------------------------------------------ unit stats
def activation_modules(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if hasattr(m, "unit_dim") and hasattr(m, "spec")]


def unit_stats(model: nn.Module, probe: torch.Tensor) -> tuple[float, float]:
    """(dead_frac, sat_frac) of ``model``'s activation units on ``probe`` (see module doc)."""
    acts = activation_modules(model)
    inputs: dict[int, torch.Tensor] = {}
    hooks = [m.register_forward_hook(lambda m, i, o, k=k: inputs.__setitem__(k, i[0].detach()))
             for k, m in enumerate(acts)]
    was_training = model.training
    model.eval()  # eval form of stochastic activations (RReLU), and no RNG drawn here
    dead = units = sat = pairs = 0
    try:
        with torch.no_grad():
            model(probe)
        for k, m in enumerate(acts):
            z = inputs[k].clone().requires_grad_(True)
            with torch.enable_grad():
                (g,) = torch.autograd.grad(m(z).sum(), z)  # elementwise: the diagonal f'(z)
            g = g.abs()
            if m.spec.kind == "gated":  # ∂/∂a = g(b), ∂/∂b = a·g'(b): no gradient when both are ~0
                g = torch.maximum(*g.chunk(2, dim=m.dim))
            g = g.movedim(m.unit_dim, -1).reshape(-1, g.shape[m.unit_dim])
            small = g < SATURATION
            sat += int(small.sum())
            pairs += small.numel()
            dead += int(small.all(0).sum())
            units += small.shape[1]
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return (dead / units if units else 0.0, sat / pairs if pairs else 0.0)


# -------------------------------------------------------------------------------- the loops
def _row(epoch: int, step: int, train_loss: float, val: tuple[float, float], test: tuple[float, float] | None,
         stats: tuple[float, float], t0: float) -> dict[str, Any]:
    return {"epoch": epoch, "step": step, "train_loss": train_loss, "val_loss": val[0], "metric": val[1],
            "test_loss": test[0] if test else math.nan, "test_metric": test[1] if test else math.nan,
            "dead_frac": stats[0], "sat_frac": stats[1], "seconds": time.perf_counter() - t0}


def _evaluator(model: nn.Module, probe: torch.Tensor, val: Callable[[], tuple[float, float]],
               test: Callable[[], tuple[float, float]] | None, progress: Progress | None, total: int,
               t0: float) -> Callable[[int, int, float], dict[str, Any]]:
    """A loop's evaluation: (loss, metric) on validation, and on test only in the test stage (a
    tuning run never reads the test split), plus the units' dead/saturated fractions; one row."""

    def evaluate(epoch: int, step: int, train_loss: float) -> dict[str, Any]:
        model.eval()
        with torch.no_grad():
            scores = val(), test() if test else None
        model.train()
        row = _row(epoch, step, train_loss, *scores, unit_stats(model, probe), t0)
        if progress:
            progress(row, total)
        return row

    return evaluate


def _classify(task: Task, spec: RunSpec, model: nn.Module, data: Any, progress: Progress | None,
              t0: float) -> tuple[list[dict[str, Any]], bool]:
    cfg = spec.config
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    gen = torch.Generator().manual_seed(spec.seed)
    data = carve(data, cfg["val_frac"], cfg["subset"])
    if len(data.x_val) == 0:
        raise ValueError(f"{spec.task}: val_frac={cfg['val_frac']} leaves no validation examples")
    x, y = data.x_train, data.y_train
    probe = x[: cfg["probe"]]
    n, batch, steps = len(x), cfg["batch"], cfg["steps"]
    total = cfg["epochs"] if not steps else min(cfg["epochs"], math.ceil(steps / math.ceil(n / batch)))
    testing = cfg["stage"] == "test"

    def score(xs: torch.Tensor, ys: torch.Tensor) -> tuple[float, float]:
        losses, correct = 0.0, 0
        for i in range(0, len(xs), 4096):
            logits = model(xs[i:i + 4096])
            target = ys[i:i + 4096]
            losses += float(nn.functional.cross_entropy(logits, target, reduction="sum"))
            correct += int((logits.argmax(1) == target).sum())
        return losses / len(xs), correct / len(xs)

    evaluate = _evaluator(model, probe, lambda: score(data.x_val, data.y_val),
                          (lambda: score(data.x_test, data.y_test)) if testing else None, progress, total, t0)

    rows = [evaluate(0, 0, math.nan)]
    step, diverged, first = 0, False, None
    for epoch in range(1, total + 1):
        perm = torch.randperm(n, generator=gen)
        loss_sum, seen = 0.0, 0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            seen += len(idx)
            step += 1
            first = loss.item() if first is None else first
            if exploded(loss.item(), first):
                diverged = True
                break
            if steps and step >= steps:
                break
        rows.append(evaluate(epoch, step, loss_sum / seen))
        if diverged or (steps and step >= steps):
            break
    return rows, diverged


def _lm(task: Task, spec: RunSpec, model: nn.Module, data: Any, progress: Progress | None,
        t0: float) -> tuple[list[dict[str, Any]], bool]:
    cfg = spec.config
    ctx, batch, steps, every = cfg["ctx"], cfg["batch"], cfg["steps"], cfg["eval_every"]
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], betas=(0.9, 0.95), weight_decay=0.0)
    warm = max(1, cfg["warmup"])

    def lr_factor(s: int) -> float:  # linear warm-up, then cosine from 1 to 0.1
        if s < warm:
            return (s + 1) / warm
        progress_ = (s - warm) / max(1, steps - warm)
        return 0.1 + 0.45 * (1 + math.cos(math.pi * min(1.0, progress_)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    gen = torch.Generator().manual_seed(spec.seed)
    offsets = torch.arange(ctx + 1)
    testing = cfg["stage"] == "test"

    def windows(split: torch.Tensor) -> tuple[torch.Tensor, int]:
        n_seg = (min(cfg["eval_bytes"], len(split)) - 1) // ctx
        segments = split[torch.arange(n_seg)[:, None] * ctx + offsets].long()
        is_char = (segments[:, 1:] & 0xC0) != 0x80  # a byte that starts a UTF-8 character
        return segments, int(is_char.sum())

    val_seg, val_chars = windows(data.val)
    test_seg, test_chars = windows(data.test if data.test is not None else data.val)
    probe = val_seg[: cfg["probe"], :-1]
    total = math.ceil(steps / every)

    def score(segments: torch.Tensor, n_chars: int) -> tuple[float, float]:
        nats = 0.0
        for i in range(0, len(segments), 128):
            seg = segments[i:i + 128]
            logits = model(seg[:, :-1])
            nats += float(nn.functional.cross_entropy(logits.reshape(-1, 256), seg[:, 1:].reshape(-1),
                                                      reduction="sum"))
        return nats / (len(segments) * ctx), nats / math.log(2) / n_chars

    evaluate = _evaluator(model, probe, lambda: score(val_seg, val_chars),
                          (lambda: score(test_seg, test_chars)) if testing else None, progress, total, t0)

    rows = [evaluate(0, 0, math.nan)]
    loss_sum, seen, diverged, first = 0.0, 0, False, None
    for step in range(1, steps + 1):
        starts = torch.randint(0, len(data.train) - ctx - 1, (batch,), generator=gen)
        seq = data.train[starts[:, None] + offsets].long()
        logits = model(seq[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, 256), seq[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        loss_sum += loss.item()
        seen += 1
        first = loss.item() if first is None else first
        if exploded(loss.item(), first):
            diverged = True
        if diverged or step % every == 0 or step == steps:
            rows.append(evaluate(len(rows), step, loss_sum / seen))
            loss_sum, seen = 0.0, 0
        if diverged:
            break
    return rows, diverged


DIVERGED = 100.0  # a training loss this many times the first batch's (or non-finite) is divergence


def exploded(loss: float, first: float) -> bool:
    """Divergence: a non-finite loss, or one ``DIVERGED`` times the first batch's (a classifier
    starts near ln 10 ≈ 2.3; 230 means confidently wrong logits of that size: the weights have
    blown up, even if float32 has not yet overflowed)."""
    return not math.isfinite(loss) or loss > DIVERGED * max(first, 1.0)


def select(rows: list[dict[str, Any]], stage: str, higher_is_better: bool,
           diverged: bool) -> tuple[float, int, float]:
    """(score, epoch, late_gain) of a run under the tune-then-test protocol.

    * the evaluation kept is the one with the best *validation* metric after training began
      (early stopping by validation; epoch 0, the untrained model, is not a candidate);
    * ``stage="tune"`` scores it on validation, ``stage="test"`` on test (the test split never
      chooses anything);
    * a diverged run is a failure that counts: it scores what the untrained model scores on the
      same split (epoch 0), not NaN, so it pulls its activation's mean down instead of vanishing;
    * ``late_gain``: how much the validation metric improved over the last quarter of the
      budget (signed so that positive is better): near 0 means the run had converged, a large
      value means the budget ranks models still learning.
    """
    key = "test_metric" if stage == "test" else "metric"
    if diverged or len(rows) < 2:
        return float(rows[0][key]), 0, math.nan
    sign = 1.0 if higher_is_better else -1.0
    trained = [r for r in rows[1:] if math.isfinite(r["metric"])]
    if not trained:
        return float(rows[0][key]), 0, math.nan
    best = max(trained, key=lambda r: sign * r["metric"])
    last = rows[-1]
    quarter = [r for r in rows[1:] if r["step"] <= 0.75 * last["step"]]
    late = sign * (last["metric"] - quarter[-1]["metric"]) if quarter else math.nan
    return float(best[key]), int(best["epoch"]), float(late)


def _eager() -> contextlib.AbstractContextManager[Any]:
    try:
        from .. import fused
    except ImportError:  # pragma: no cover - older actlab without fused kernels
        return contextlib.nullcontext()
    return fused.disabled()


_WARM = False


def warm_up() -> None:
    """Pay this process's one-time costs (torch.optim imports torch._dynamo, the first backward
    starts autograd's threads: ~2-4 s) before a run's clock starts, so ``seconds`` compares."""
    global _WARM
    if not _WARM:
        lin = nn.Linear(2, 2)
        opt = torch.optim.Adam(lin.parameters())
        lin(torch.ones(1, 2)).sum().backward()
        opt.step()
        _WARM = True


def data_key(spec: RunSpec) -> tuple[str, Any, Any]:
    """What a run's data depend on: the task and, for some tasks, one setting (the depth test's
    ``dataset``, the language model's ``corpus``). Runs with the same key share the data."""
    return (spec.task, spec.config.get("dataset"), spec.config.get("corpus"))


def load_data(spec: RunSpec) -> Any:
    """The data of a run, as :func:`run` would load them (for a driver to ship to workers)."""
    return get_task(spec.task).load(spec.config)


def run(spec: RunSpec, progress: Progress | None = None, data: Any = None) -> dict[str, Any]:
    """Train one run and return its record (what :meth:`actlab.bench.store.Store.record` stores).

    ``data``: the task's data when the caller has them (a Ray worker gets them from the driver,
    so a worker needs neither the files nor ``ACTLAB_DATA``); loaded here otherwise.
    Raises ValueError when the task cannot run here (missing data) or the activation does not
    fit the task.
    """
    import actlab

    task = get_task(spec.task)
    lr, stage = spec.config.get("lr"), spec.config.get("stage", "test")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if stage not in ("tune", "test"):
        raise ValueError(f"stage must be 'tune' (score on validation) or 'test', got {stage!r}")
    data = task.load(spec.config) if data is None else data
    warm_up()
    started = time.time()
    t0 = time.perf_counter()
    torch.manual_seed(spec.seed)
    model = task.build(spec.activation, spec.config, data)
    loop = _classify if task.loop == "classify" else _lm
    with _eager():
        rows, diverged = loop(task, spec, model, data, progress, t0)
    score, best_epoch, late_gain = select(rows, spec.config.get("stage", "test"), task.higher_is_better,
                                          diverged)
    best = rows[best_epoch]
    return {
        "task": spec.task, "activation": spec.activation, "seed": spec.seed,
        "config_hash": spec.config_hash, "config": spec.config, "metric_name": task.metric,
        "metric": score, "val_loss": best["val_loss"], "val_metric": best["metric"],
        "best_epoch": best_epoch, "late_gain": late_gain,
        "status": "diverged" if diverged else "done",
        "n_params": sum(p.numel() for p in model.parameters()),
        "seconds": time.perf_counter() - t0, "started": started, "finished": time.time(),
        "host": socket.gethostname(), "pid": os.getpid(), "threads": torch.get_num_threads(),
        "versions": {"actlab": actlab.__version__, "torch": torch.__version__, "protocol": PROTOCOL},
        "epochs": rows,
    }
