"""scikit-learn's bundled 8×8 handwritten digits (1,797 images, 10 classes; UCI, Alpaydin &
Kaynak 1998): ``digits`` (MLP 64-128-128-10) and ``digits-cnn`` (two conv blocks).

Split once and for all: a stratified 80/20 split with ``random_state=0`` (1,437 train, 360 test),
pixels scaled to [0, 1] then centred per pixel and divided by one global standard deviation
(constant border pixels stay 0). The run's seed changes the initial weights and the batch order,
never the split.
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
        import sklearn  # noqa: F401
    except ImportError:
        return "scikit-learn is not installed (pip install scikit-learn)"
    return None


@cache
def _load() -> ClassData:
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x / 16.0, y, test_size=0.2, stratify=y, random_state=0)
    mean, std = xtr.mean(0), xtr.std()
    f = lambda a: torch.tensor((a - mean) / std, dtype=torch.float32)
    g = lambda a: torch.tensor(a, dtype=torch.int64)
    return ClassData(f(xtr), g(ytr), f(xte), g(yte), 10)


def load(cfg: Mapping[str, Any]) -> ClassData:
    return _load()


classification_tasks(
    "digits", summary="8×8 digits (scikit-learn, 1,437/360)", source="sklearn.datasets.load_digits",
    load=load, available=available, mlp_hidden=(128, 128), cnn="2d", cnn_channels=(16, 32),
    epochs=20, batch=32,
)
