"""The depth test: test accuracy of plain MLPs as layers are added, after Misra 2019 (Mish:
"A self regularized non-monotonic activation function", arXiv:1908.08681), which plotted test
accuracy against the number of fully connected layers to show which activations stay trainable
as networks deepen.

``depth`` is the number of hidden layers (each ``Linear(width) -> activation``), no
normalisation, no residual connections, no dropout; every activation gets the same
initialisation (``init``, LeCun-normal N(0, 1/fan_in) by default: neutral between ReLU, which
wants 2/fan_in, and tanh/SELU, which want 1/fan_in; ``he``; ``critical``, each activation's
own edge-of-chaos variance; or ``critical_orthogonal``, that variance on orthogonal matrices) and
the same optimiser (Adam, ``lr``). The init is part of the
verdict: sweep it (``--set init=lecun,critical``) rather than read a depth result without it.
Sweep it with ``actlab bench train --task depth --set depth=2,8,16,32``. The data come from
another classification task (``dataset``: digits by default, also mnist1d, mnist, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from . import Task, get_task, register
from .models import CLASSIFY_DEFAULTS, matched_width, mlp

__all__ = ["build", "load"]


def load(cfg: Mapping[str, Any]) -> Any:
    base = get_task(cfg["dataset"])
    if base.loop != "classify" or base.name.endswith("-cnn") or base.name == "depth":
        raise ValueError(f"depth: dataset must be an MLP classification task (digits, mnist1d, mnist, "
                         f"fashion-mnist), got '{cfg['dataset']}'")
    why = base.available()
    if why:
        raise ValueError(f"depth: dataset '{base.name}' is not available: {why}")
    return base.load(base.defaults)


def build(act: str, cfg: Mapping[str, Any], data: Any) -> nn.Module:
    if cfg["depth"] < 1:
        raise ValueError(f"depth must be >= 1 hidden layer, got {cfg['depth']}")
    make = lambda w, a: mlp(data.x_train.shape[1], [w] * cfg["depth"], data.n_classes, a)
    w = matched_width(make, cfg["width"], act) if cfg["match_params"] else cfg["width"]
    return mlp(data.x_train.shape[1], [w] * cfg["depth"], data.n_classes, act, init=cfg["init"])


register(Task(
    "depth", "deep", "accuracy", "classify",
    "accuracy vs number of layers: plain MLPs (no normalisation, no skips) on another task's data",
    "the data of `dataset`", {**CLASSIFY_DEFAULTS, "dataset": "digits", "depth": 8, "width": 64,
                              "init": "lecun", "epochs": 20, "batch": 32},
    load, build,
))
