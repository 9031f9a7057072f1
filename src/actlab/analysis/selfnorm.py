r"""BatchNorm or self-normalisation? Train deep MLPs with ReLU + BatchNorm, SELU and ELU.

The source notes end on the question of how to keep the inputs of the activations in a good
range: change z (normalise it), change W (initialise it well), or change σ. This experiment
compares three answers on the same deep (default 32-layer) MLP, task and optimiser:

* ``relu+bn``: Linear → BatchNorm → ReLU, He init (Ioffe & Szegedy 2015): z is normalised
  per unit and batch, so every post-ReLU activation is half-normal: mean 1/√(2π) ≈ 0.399,
  variance 1/2 - 1/(2π) ≈ 0.341, at every depth.
* ``selu``: Linear → SELU, LeCun-normal init, optional alpha-dropout (Klambauer et al. 2017):
  no normalisation layer; the mean/variance map has the attracting fixed point (0, 1), so the
  activations normalise themselves.
* ``elu``: Linear → ELU, He init (Clevert et al. 2016): neither; its length map drifts.
* ``relu``: Linear → ReLU, He init: the plain control.

It reports trainability (loss curve, final train/test accuracy, whether the training loss fell
below ½ ln K — half the loss of guessing uniformly among K classes — without NaN), the ratio of
the first to the last layer's gradient norm at initialisation, and per-layer activation
statistics at initialisation and after training, with the mean-field prediction of the
pre-activation second moment q^(l) (:func:`actlab.analysis.meanfield.propagate`) where there is
no normalisation layer. ReLU + BatchNorm's gradients explode with depth at initialisation (Yang,
Pennington, Rao, Sohl-Dickstein & Schoenholz 2019, A mean field theory of batch normalization,
ICLR), which is what stalls it at depth 32 here.

The data are generated locally (no download): Gaussian inputs labelled by a random two-layer
tanh teacher network, a task every arm can fit when its gradients flow.

The results are plain data (:meth:`SelfNormResult.to_dict`, :meth:`SelfNormResult.from_dict`);
the figure is :func:`actlab.report.figures.selfnorm.plot`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

import actlab
from actlab.init import init_weight_

__all__ = ["ARMS", "ArmResult", "LayerStats", "Progress", "SelfNormResult", "layer_stats", "make_mlp",
           "make_task", "run", "run_arm", "training_label"]

Progress = Callable[[str], None]  # called with a label after each step of a long computation

ARMS: dict[str, dict[str, Any]] = {
    "relu+bn": {"activation": "relu", "norm": True, "init": "he"},
    "selu": {"activation": "selu", "norm": False, "init": "lecun"},
    "elu": {"activation": "elu", "norm": False, "init": "he"},
    "relu": {"activation": "relu", "norm": False, "init": "he"},
}


@dataclass
class LayerStats:
    layer: int
    pre_mean: float  # of the activation's input z (after BatchNorm in the relu+bn arm)
    pre_var: float
    post_mean: float
    post_var: float
    q_theory: float | None = None  # mean-field E[z²] at this layer (no normalisation layer only)


@dataclass
class ArmResult:
    arm: str
    activation: str
    norm: bool
    init: str
    alpha_dropout: float
    initial_loss: float
    final_loss: float
    train_accuracy: float
    test_accuracy: float
    trained: bool  # final train loss finite and below ½ ln K, half the loss of a uniform guess
    diverged: bool
    grad_first_last: float  # ‖∇W‖ of the first / the last hidden layer at initialisation
    curve: list[dict[str, float]] = field(default_factory=list)  # {"step", "loss"}
    init_stats: list[LayerStats] = field(default_factory=list)
    final_stats: list[LayerStats] = field(default_factory=list)


@dataclass
class SelfNormResult:
    depth: int
    width: int
    steps: int
    lr: float
    optimizer: str
    seed: int
    chance_accuracy: float
    arms: list[ArmResult]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SelfNormResult:
        """The result back from its ``to_dict()`` (e.g. read from JSON)."""
        arms = []
        for a in d["arms"]:
            a = dict(a)
            a["init_stats"] = [LayerStats(**s) for s in a.get("init_stats", [])]
            a["final_stats"] = [LayerStats(**s) for s in a.get("final_stats", [])]
            arms.append(ArmResult(**a))
        return cls(**{**d, "arms": arms})

    def summary(self) -> list[dict[str, Any]]:
        """One row per arm: trainability and the spread of the per-layer statistics at init."""
        rows = []
        for a in self.arms:
            post_m = [s.post_mean for s in a.init_stats]
            post_v = [s.post_var for s in a.init_stats]
            rows.append({
                "arm": a.arm, "initial_loss": a.initial_loss, "final_loss": a.final_loss,
                "train_acc": a.train_accuracy, "test_acc": a.test_accuracy, "trained": a.trained,
                "diverged": a.diverged, "grad_first_last": a.grad_first_last,
                "post_mean_first": post_m[0] if post_m else None,
                "post_mean_last": post_m[-1] if post_m else None,
                "post_var_first": post_v[0] if post_v else None,
                "post_var_last": post_v[-1] if post_v else None,
            })
        return rows


def make_task(n_train: int = 2048, n_test: int = 1024, dim: int = 32, classes: int = 4,
              seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gaussian inputs (standardised) labelled by argmax of a random 2-layer tanh teacher."""
    gen = torch.Generator().manual_seed(10_000 + seed)
    x = torch.randn(n_train + n_test, dim, generator=gen)
    w1 = torch.randn(dim, 64, generator=gen) / math.sqrt(dim)
    w2 = torch.randn(64, classes, generator=gen) * 2.0 / math.sqrt(64)
    y = (torch.tanh(2.0 * x @ w1) @ w2).argmax(dim=1)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def make_mlp(activation: str, depth: int, width: int, in_dim: int, out_dim: int, *, norm: bool = False,
             init: str = "he", alpha_dropout: float = 0.0, seed: int = 0) -> nn.Sequential:
    """``depth`` hidden blocks Linear → [BatchNorm1d] → activation → [AlphaDropout], then a
    Linear read-out. Weights drawn by :func:`actlab.init.init_weight_`, biases 0."""
    gen = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    d = in_dim
    for _ in range(depth):
        lin = nn.Linear(d, width, bias=not norm)  # BatchNorm's shift makes a bias redundant
        init_weight_(lin.weight, init, activation=activation, generator=gen)
        if lin.bias is not None:
            nn.init.zeros_(lin.bias)
        layers.append(lin)
        if norm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(actlab.nn.Activation(activation))
        if alpha_dropout > 0:
            layers.append(nn.AlphaDropout(alpha_dropout))
        d = width
    head = nn.Linear(d, out_dim)
    init_weight_(head.weight, "lecun", generator=gen)
    nn.init.zeros_(head.bias)
    layers.append(head)
    return nn.Sequential(*layers)


def layer_stats(model: nn.Sequential, x: torch.Tensor) -> list[LayerStats]:
    """Mean and variance (over batch and units) of every activation's input and output, from a
    forward pass of a copy in training mode (BatchNorm uses batch statistics, as in training)."""
    model = copy.deepcopy(model).train()
    stats: list[LayerStats] = []

    def hook(module: nn.Module, args: tuple, out: torch.Tensor) -> None:
        z, a = args[0].detach().double(), out.detach().double()
        stats.append(LayerStats(len(stats) + 1, float(z.mean()), float(z.var()), float(a.mean()),
                                float(a.var())))

    handles = [m.register_forward_hook(hook) for m in model if isinstance(m, actlab.nn.Activation)]
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.AlphaDropout):
                m.eval()  # statistics of the network itself, without dropout noise
        model(x)
    for h in handles:
        h.remove()
    return stats


def _grad_first_last(model: nn.Sequential, x: torch.Tensor, y: torch.Tensor) -> float:
    model = copy.deepcopy(model).train()
    loss = nn.functional.cross_entropy(model(x), y)
    hidden = [m.weight for m in model if isinstance(m, nn.Linear)][:-1]
    grads = torch.autograd.grad(loss, hidden)
    last = float(grads[-1].norm())
    return float(grads[0].norm()) / last if last > 0 else math.inf


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        out = model(x)
    model.train()
    return float((out.argmax(dim=1) == y).float().mean()) if torch.isfinite(out).all() else math.nan


def run_arm(arm: str, *, depth: int = 32, width: int = 128, steps: int = 300, batch: int = 128,
            lr: float = 0.01, optimizer: str = "sgd", alpha_dropout: float = 0.0, seed: int = 0,
            data: tuple[torch.Tensor, ...] | None = None, eval_every: int = 10,
            activation: str | None = None) -> ArmResult:
    """Train one arm of :data:`ARMS` (or ``activation=`` with that arm's norm/init) and measure it."""
    if arm not in ARMS:
        raise ValueError(f"unknown arm {arm!r}; choose one of {', '.join(ARMS)}")
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' (with momentum 0.9) or 'adam', got {optimizer!r}")
    cfg = dict(ARMS[arm])
    if activation is not None:
        cfg["activation"] = actlab.get_spec(activation).name
    xtr, ytr, xte, yte = data if data is not None else make_task(seed=seed)
    classes = int(max(ytr.max(), yte.max())) + 1
    use_dropout = alpha_dropout if cfg["activation"] == "selu" else 0.0
    model = make_mlp(cfg["activation"], depth, width, xtr.shape[1], classes, norm=cfg["norm"],
                     init=cfg["init"], alpha_dropout=use_dropout, seed=seed)
    probe = xtr[: min(512, len(xtr))]
    init_stats = layer_stats(model, probe)
    if not cfg["norm"]:
        from . import meanfield

        sw2 = {"he": 2.0, "lecun": 1.0}[cfg["init"]]
        q0 = float(probe.pow(2).mean())
        path = meanfield.propagate(cfg["activation"], sw2, 0.0, depth, q0=q0)
        for s, p in zip(init_stats, path):
            s.q_theory = p["q"]
    ratio = _grad_first_last(model, probe, ytr[: len(probe)])
    opt = (torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9) if optimizer == "sgd"
           else torch.optim.Adam(model.parameters(), lr=lr))
    gen = torch.Generator().manual_seed(seed + 1)
    model.train()
    curve, diverged = [], False
    with torch.no_grad():
        initial = float(nn.functional.cross_entropy(copy.deepcopy(model).eval()(xtr), ytr))
    for step in range(1, steps + 1):
        idx = torch.randint(0, len(xtr), (batch,), generator=gen)
        loss = nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
        if not torch.isfinite(loss):
            diverged = True
            curve.append({"step": step, "loss": float("nan")})
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % eval_every == 0 or step == steps:
            curve.append({"step": step, "loss": float(loss.detach())})
    model.eval()
    with torch.no_grad():
        out = model(xtr)
        final = float(nn.functional.cross_entropy(out, ytr)) if torch.isfinite(out).all() else math.nan
    model.train()
    return ArmResult(
        arm=arm, activation=cfg["activation"], norm=cfg["norm"], init=cfg["init"], alpha_dropout=use_dropout,
        initial_loss=initial, final_loss=final, train_accuracy=_accuracy(model, xtr, ytr),
        test_accuracy=_accuracy(model, xte, yte),
        trained=bool(math.isfinite(final) and not diverged and final < 0.5 * math.log(classes)),
        diverged=diverged,
        grad_first_last=ratio, curve=curve, init_stats=init_stats,
        final_stats=layer_stats(model, probe) if not diverged else [],
    )


def run(arms: Iterable[str] = ("relu+bn", "selu", "elu"), *, depth: int = 32, width: int = 128,
        steps: int = 300, batch: int = 128, lr: float = 0.01, optimizer: str = "sgd",
        alpha_dropout: float = 0.0, seed: int = 0, n_train: int = 2048,
        progress: Progress | None = None) -> SelfNormResult:
    """Train each arm on the same task from the same seed.

    ``progress(label)`` is called after each arm, with what comes next: "training ARM (DEPTH
    layers)" for the next arm, "trained" after the last."""
    arms = list(arms)
    for a in arms:
        if a not in ARMS:
            raise ValueError(f"unknown arm {a!r}; choose from {', '.join(ARMS)}")
    data = make_task(n_train=n_train, seed=seed)
    classes = int(max(data[1].max(), data[3].max())) + 1
    chance = float(torch.bincount(data[1], minlength=classes).max()) / len(data[1])
    results = []
    torch.manual_seed(seed)  # AlphaDropout draws from the global generator
    for i, a in enumerate(arms):
        results.append(run_arm(a, depth=depth, width=width, steps=steps, batch=batch, lr=lr,
                               optimizer=optimizer, alpha_dropout=alpha_dropout, seed=seed, data=data))
        if progress:
            progress(training_label(arms[i + 1], depth) if i + 1 < len(arms) else "trained")
    return SelfNormResult(depth, width, steps, lr, optimizer, seed, chance, results)


def training_label(arm: str, depth: int) -> str:
    """What a progress display says while ``arm`` trains."""
    return f"training {arm} ({depth} layers)"
