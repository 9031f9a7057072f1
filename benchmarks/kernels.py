"""Kernel benchmark: actlab's activations against torch's native op, the naive eager composite,
torch.compile of it, and the memory floors, measured side by side in one run; prints ratios.

    .venv/bin/python benchmarks/kernels.py                      # whole catalog at 16M float32
    .venv/bin/python benchmarks/kernels.py mish silu --sizes 4K,1M,16M --dtype float32,bfloat16
    .venv/bin/python benchmarks/kernels.py --models             # + MLP / FFN training step
    .venv/bin/python benchmarks/kernels.py --json out.json      # also save every row

Ratios are actlab's time over the other's (< 1: actlab is faster), except naive/actlab
(speed-up over the naive eager composite). The issue's targets, at 16M float32 forward+backward:
actlab <= 1.1x the best of (native, compiled naive); >= 2x faster than the naive composite where
torch has no native op; peak memory <= native's. The machine is shared: run `uptime` before and
compare only numbers from the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import torch

from actlab.bench import kernels as kb


def _fmt(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="activations (default: every elementwise one)")
    ap.add_argument("--sizes", default="16M")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-compile", action="store_true", help="skip torch.compile of the naive composite")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--models", action="store_true", help="also the MLP / FFN training step")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--json", default=None, help="write every row to this file")
    ap.add_argument("--plot", default=None, help="save time vs size (log-log) to this PNG")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    specs = kb.benchable(args.names or None)
    sizes, dtypes = kb.parse_sizes(args.sizes), kb.parse_dtypes(args.dtype)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {load:.1f}")

    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("kernels", total=len(specs) * len(sizes) * len(dtypes))
        rows = kb.run([s.name for s in specs], sizes, dtypes, args.repeats, not args.no_memory,
                      not args.no_compile, progress=lambda label: bar.update(task, advance=1,
                                                                              description=label))
    summary = kb.summarize(rows)
    head = (f"{'activation':17s} {'dtype':8s} {'size':>5s} {'dir':7s} {'path':13s} {'ms':>8s} "
            f"{'/best':>6s} {'best':>8s} {'/native':>7s} {'/compl':>7s} {'naive/':>7s} {'/copy':>6s} "
            f"{'/alloc':>6s} {'peak×x':>6s} {'nat×x':>6s}")
    print(head)
    for r in summary:
        print(f"{r['activation']:17s} {r['dtype']:8s} {r['size_label']:>5s} {r['direction']:7s} "
              f"{r['path']:13s} {r['actlab_ms']:8.3f} {_fmt(r['vs_best']):>6s} {r['best_alt']:>8s} "
              f"{_fmt(r['vs_native']):>7s} {_fmt(r['vs_compiled']):>7s} {_fmt(r['naive_speedup'], 1):>7s} "
              f"{_fmt(r['vs_copy']):>6s} {_fmt(r['vs_alloc']):>6s} {_fmt(r['peak_x'], 1):>6s} "
              f"{_fmt(r['native_peak_x'], 1):>6s}")
    tg = kb.targets(summary)
    if tg:
        misses = [t for t in tg if not t["meets_all"]]
        print(f"\ntargets at 16M float32 fwd+bwd: {len(tg) - len(misses)}/{len(tg)} met")
        for t in misses:
            why = []
            if not t["meets_1_1x"]:
                why.append(f"{t['vs_best_native_compiled']:.2f}x the best of native/compiled")
            if not t["meets_2x_naive"]:
                why.append(f"only {t['naive_speedup']:.2f}x faster than naive")
            if not t["meets_memory"]:
                why.append(f"memory {t['mem_vs_ref']:.2f}x native's")
            print(f"  miss {t['activation']}: {'; '.join(why)}")
    out = {"rows": rows, "summary": summary, "targets": tg}
    if args.models:
        out["models"] = kb.models([s.name for s in specs] if args.names else
                                  ["relu", "gelu", "silu", "mish", "squareplus", "tanhexp"],
                                  args.repeats, not args.no_memory)
        print(f"\n{'activation':17s} {'model':5s} {'baseline':16s} {'actlab ms':>10s} {'base ms':>10s} "
              f"{'time×':>6s} {'mem×':>6s}")
        for m in out["models"]:
            print(f"{m['activation']:17s} {m['model']:5s} {m['baseline']:16s} {m['actlab_ms']:10.2f} "
                  f"{m['baseline_ms']:10.2f} {m['time_ratio']:6.2f} {_fmt(m['mem_ratio']):>6s}")
    if args.plot:
        print("plot:", kb.plot(rows, args.plot))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
