"""A real training loop, as a user meets it: each run in a FRESH process, 300 SGD steps of an MLP
on a batch of 256 x 1024 (activations of 256K elements), first step included, with torch's
activation modules and with actlab's after the documented set-up (``actlab.compile_kernels``,
timed separately), alternating torch and actlab runs so that both see the same machine.

    .venv/bin/python benchmarks/training_loop.py                    # silu gelu relu mish, 3 rounds
    .venv/bin/python benchmarks/training_loop.py swiglu --rounds 5 --threads 1

Prints, per activation, the median loop time of each, and the ratio actlab / torch as the median
over rounds of each round's pair (a torch run and the actlab run right after it): this VM's speed
drifts by 10% over minutes, which a ratio of the two medians takes for a difference; the range
of the paired ratios shows how far one round can be trusted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, sys, time, torch
import actlab
name, which, steps, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(0)
spec = actlab.get_spec(name)
gated = spec.kind == "gated"
def act():
    if which == "actlab":
        return actlab.nn.Activation(name)
    if gated:
        gate = {"swiglu": torch.nn.functional.silu, "geglu": torch.nn.functional.gelu,
                "reglu": torch.nn.functional.relu, "glu": torch.sigmoid}[name]
        class G(torch.nn.Module):
            def forward(self, x):
                a, b = x.chunk(2, dim=-1)
                return a * gate(b)
        return G()
    return {"silu": torch.nn.SiLU, "gelu": torch.nn.GELU, "relu": torch.nn.ReLU, "mish": torch.nn.Mish,
            "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid, "elu": torch.nn.ELU,
            "softplus": torch.nn.Softplus, "gelu_tanh": lambda: torch.nn.GELU(approximate="tanh")}[name]()
w = 1024
inner = w // 2 if gated else w
model = torch.nn.Sequential(torch.nn.Linear(w, w), act(), torch.nn.Linear(inner, w), act(),
                            torch.nn.Linear(inner, 10))
x, y = torch.randn(256, w), torch.randint(0, 10, (256,))
opt = torch.optim.SGD(model.parameters(), lr=1e-3)
t0 = time.perf_counter()
if which == "actlab":
    actlab.compile_kernels(model)
setup = time.perf_counter() - t0
t0 = time.perf_counter()
first = None
for i in range(steps):
    opt.zero_grad(set_to_none=True)
    torch.nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
    if i == 0:
        first = time.perf_counter() - t0
print(json.dumps({"loop_s": time.perf_counter() - t0, "first_step_s": first, "setup_s": setup}))
"""


def run_once(name: str, which: str, steps: int, threads: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, name, which, str(steps), str(threads)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*", default=["silu", "gelu", "relu", "mish"])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    print(f"{'activation':12} {'torch s':>8} {'actlab s':>9} {'ratio':>6} {'range':>11} "
          f"{'first step t/a ms':>18} {'set-up s':>9}")
    for name in a.names:
        runs: dict[str, list[dict]] = {"torch": [], "actlab": []}
        for _ in range(a.rounds):
            for which in ("torch", "actlab"):
                runs[which].append(run_once(name, which, a.steps, a.threads))
        med = {k: statistics.median(r["loop_s"] for r in v) for k, v in runs.items()}
        first = {k: statistics.median(r["first_step_s"] for r in v) * 1e3 for k, v in runs.items()}
        setup = statistics.median(r["setup_s"] for r in runs["actlab"])
        paired = [a["loop_s"] / t["loop_s"] for t, a in zip(runs["torch"], runs["actlab"])]
        spread = f"{min(paired):.2f}-{max(paired):.2f}"
        print(f"{name:12} {med['torch']:8.2f} {med['actlab']:9.2f} {statistics.median(paired):6.2f} "
              f"{spread:>11} {first['torch']:8.1f}/{first['actlab']:<8.1f} {setup:9.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
