"""The cost of an activation's forward relative to ``torch.relu``: a measurement of this
machine, kept apart from the properties, which depend on the function alone."""

from __future__ import annotations

import time

import torch

from ..activation import Activation

__all__ = ["measure_cost"]


def measure_cost(act: Activation, n: int = 1 << 18, repeats: int = 15) -> tuple[float, float]:
    """(time per element in ns, ratio to torch.relu), measured: the fastest of ``repeats``
    interleaved runs of the actlab forward and of ``torch.relu`` on the same 2^18 float32
    tensor, on one CPU thread. The minimum, not the median, and one thread: on a shared machine
    noise only adds time, and two threads waiting on each other at every op add milliseconds."""
    x = torch.randn(n, generator=torch.Generator().manual_seed(0))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _time_pair(act, x, n, repeats)
    finally:
        torch.set_num_threads(threads)


def _time_pair(act: Activation, x: torch.Tensor, n: int, repeats: int) -> tuple[float, float]:
    with torch.no_grad():
        act.forward(x)
        torch.relu(x)
        ta, tr = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            act.forward(x)
            t1 = time.perf_counter()
            torch.relu(x)
            t2 = time.perf_counter()
            ta.append(t1 - t0)
            tr.append(t2 - t1)
    a, r = min(ta), min(tr)
    return a / n * 1e9, a / r
