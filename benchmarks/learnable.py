"""Learned parameters: forward+backward of actlab modules with a learned scalar, compiled kernels
(after ``actlab.compile_kernels(model)``) against actlab's eager path and ``torch.compile`` of
the naive formula, measured side by side (interleaved rounds, minimum), one thread.

    python benchmarks/learnable.py [activations ...] [--sizes 256K,16M] [--channels 64]

``--channels C``: per-channel parameters, x shaped (size / C, C) (PReLU-style, one value per
channel), against the naive formula with a (1, C) parameter.

``pau``: PAU (``actlab.nn.PAU``, degrees 5/4, its coefficient vectors learned) against
P(x)/(1 + |A(x)|) in plain torch ops with the coefficients as ``nn.Parameter`` s, eager
("naive") and under ``torch.compile`` ("compiled naive").
"""

from __future__ import annotations

import argparse
import time

import torch

import actlab
from actlab import fused
from actlab.bench.kernels import parse_sizes, size_label

NAIVE = {  # the textbook formula with a learnable parameter, as a user would write it
    "swish": lambda x, p: x * torch.sigmoid(p * x),
    "prelu": lambda x, p: torch.where(x > 0, x, p * x),
    "elu": lambda x, p: torch.where(x > 0, x, p * torch.expm1(x)),
    "snake": lambda x, p: x + torch.sin(p * x) ** 2 / p,
    "pau": lambda x, a, b: (sum(a[j] * x ** j for j in range(len(a)))
                            / (1 + sum(b[k - 1] * x ** k for k in range(1, len(b) + 1)).abs())),
}


def step(module_or_fn, x, g, params):
    def run():
        for p in params:
            p.grad = None
        x.grad = None
        module_or_fn(x).backward(g)
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", default=list(NAIVE))
    ap.add_argument("--sizes", default="256K,16M")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--channels", type=int, default=1)
    args = ap.parse_args()
    unknown = [n for n in args.names if n not in NAIVE]
    if unknown:
        ap.error(f"no naive formula for {', '.join(unknown)}; choose from {', '.join(NAIVE)}")
    if args.channels < 1:
        ap.error("--channels must be >= 1")
    torch.set_num_threads(1)
    for name in args.names:
        c = args.channels if name != "pau" else 1
        if name == "pau":  # its coefficient vectors: (6,) and (4,)
            m = actlab.nn.PAU(target="leaky_relu")
            ps = [torch.nn.Parameter(t.detach().clone()) for t in m.parameters()]
        else:
            m = actlab.nn.Activation(name, learnable=True, num_channels=c)
            first = next(iter(m.parameters())).detach()
            ps = [torch.nn.Parameter(first.reshape(1, -1).clone() if first.numel() > 1 else first.clone())]
        actlab.compile_kernels(m)

        def plain(x, ps=ps, f=NAIVE[name]):
            return f(x, *ps)

        naive = torch.compile(plain, dynamic=False)
        for n in parse_sizes(args.sizes):
            x = torch.randn(n // c, c, requires_grad=True) if c > 1 else torch.randn(n, requires_grad=True)
            g = torch.randn_like(x)
            runs = {"actlab fused": step(m, x, g, list(m.parameters())),
                    "compiled naive": step(naive, x, g, ps), "naive": step(plain, x, g, ps)}

            def eager(x, m=m):
                with fused.disabled():
                    return m(x)

            runs["actlab eager"] = step(eager, x, g, list(m.parameters()))
            for r in runs.values():
                r()
            best = dict.fromkeys(runs, float("inf"))
            for _ in range(args.repeats):
                for k, r in runs.items():
                    t0 = time.perf_counter()
                    r()
                    best[k] = min(best[k], time.perf_counter() - t0)
            ref = best["actlab fused"]
            print(f"{name:6} {size_label(n):>5} C={c} fwd+bwd: " + ", ".join(
                f"{k} {v * 1e3:.2f} ms ({v / ref:.2f}x)" for k, v in best.items()))


if __name__ == "__main__":
    main()
