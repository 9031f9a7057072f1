"""Shared helpers: points away from kinks, parameter tensors, the catalog split by kind."""

from __future__ import annotations

import os

import torch

import actlab
from actlab.composite import CompositeSpec, RandomizedSpec

# `make test` runs 2 xdist workers on a 2-core machine: each computes on one thread. With torch's
# default (a thread per core) 2 workers run 4 threads on 2 cores, and a compiled kernel's OpenMP
# region waits at its barrier for a thread the other worker has descheduled. Tests that need
# threads set them themselves (test_fused: a kernel compiled for 2 threads has a parallel loop).
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)

ELEMENTWISE = [s.name for s in actlab.specs() if s.kind == "elementwise"]
# built on an elementwise base (GLU family, CReLU, RReLU); softmax, maxout, ... have their own tests
COMPOSITE = [s.name for s in actlab.specs() if isinstance(s, (CompositeSpec, RandomizedSpec))]


def points(spec, n: int = 40, scale: float = 3.0, seed: int = 0, dtype=torch.float64):
    """Random points in about ±3·scale, nudged at least 1e-2 away from every kink."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, generator=g, dtype=dtype) * scale
    for k in spec.kinks(**spec.defaults):
        near = (x - k).abs() < 1e-2
        x = torch.where(near, x + 0.05, x)
    return x


def param_tensors(spec, dtype=torch.float64, requires_grad=True):
    return [torch.tensor(float(p.default), dtype=dtype, requires_grad=requires_grad)
            for p in spec.params]
