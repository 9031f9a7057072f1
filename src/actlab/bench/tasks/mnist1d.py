"""MNIST-1D (Greydanus 2020, "Scaling down deep learning", arXiv:2011.14439): 10 one-dimensional
digit templates, padded, scaled, sheared, translated and noised into 40-sample signals; 4,000
train / 1,000 test with the package's default arguments (seed 42). Generated locally by the
``mnist1d`` package (``pip install mnist1d``), never downloaded.

Reference accuracies from the paper (ReLU, about 6,000 steps): logistic regression 32%, MLP 68%,
CNN 94%. ``mnist1d`` is an MLP 40-256-256-10, ``mnist1d-cnn`` the paper's three-layer CNN.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from . import ClassData
from .models import classification_tasks

__all__ = ["available", "load"]


def available() -> str | None:
    try:
        import mnist1d  # noqa: F401
    except ImportError:
        return "the mnist1d package is not installed (pip install mnist1d)"
    return None


@cache
def _load() -> ClassData:
    import numpy as np
    import torch
    from mnist1d.data import get_dataset_args, make_dataset

    state = np.random.get_state()  # make_dataset reseeds NumPy's global generator
    try:
        d = make_dataset(get_dataset_args())
    finally:
        np.random.set_state(state)
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    g = lambda a: torch.tensor(a, dtype=torch.int64)
    return ClassData(f(d["x"]), g(d["y"]), f(d["x_test"]), g(d["y_test"]), 10)


def load(cfg: Mapping[str, Any]) -> ClassData:
    return _load()


classification_tasks(
    "mnist1d", summary="MNIST-1D (4,000/1,000)", source="mnist1d.data.make_dataset (generated)",
    load=load, available=available, mlp_hidden=(256, 256), cnn="1d", epochs=20, batch=100,
)
