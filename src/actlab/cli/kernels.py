"""``actlab bench kernels``: activation kernels against torch's alternatives and the memory floor.

The command builds plain data (lists of dicts, see :mod:`actlab.bench.kernels`) and prints Rich
tables, or JSON with ``--json``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from ._common import UserError, aliased, check_memory, count, items, output_file, user_errors, writing
from ._output import err, out

__all__ = ["app", "kernels"]

app = typer.Typer()

DEFAULT_SIZES = "4K,64K,1M,16M,64M"
MODEL_DEFAULTS = ("relu", "gelu", "silu", "mish", "squareplus", "tanhexp", "swiglu", "geglu")

SUMMARY_COLUMNS = {
    "activation": "activation", "dtype": "dtype", "size_label": "size", "direction": "dir",
    "path": "actlab path", "actlab_ms": "actlab ms", "best_alt": "best alt", "vs_best": "/best",
    "vs_best_accurate": "/best in bounds",
    "vs_native": "/native", "vs_compiled": "/compiled", "naive_speedup": "naive/actlab",
    "vs_copy": "/copy", "vs_alloc": "/alloc", "actlab_gb_s": "GB/s", "peak_x": "peak ×x",
    "mem_vs_ref": "peak/ref", "mem_ref": "ref",
}
MODEL_COLUMNS = {
    "activation": "activation", "model": "model", "baseline": "baseline", "actlab_ms": "actlab ms",
    "baseline_ms": "baseline ms", "time_ratio": "time ×", "actlab_peak_mb": "actlab MB",
    "baseline_peak_mb": "baseline MB", "mem_ratio": "memory ×",
}
LEFT = ("activation", "direction", "path")


def _split(names: Sequence[str] | None) -> list[str]:
    return [p.strip() for item in names or () for p in item.split(",") if p.strip()]


# bytes per element a size needs at its peak: the input (drawn in float32, then cast), the
# upstream gradient, outputs and gradients of each contender, the copy and alloc floors
BYTES_PER_ELEMENT = 12


def parse_sizes(text: str) -> list[int]:
    """``--sizes``: numbers of elements (4K = 4096); an empty list, 0, a negative, a fraction,
    inf or nan is a :class:`UserError`."""
    from ..bench import kernels as kb

    sizes = []
    for part in items(text, "--sizes", "4K,1M"):
        try:
            sizes.append(kb.parse_size(part))
        except (ValueError, OverflowError):  # OverflowError: int(inf)
            raise UserError(f"--sizes: {part!r} is not a number of elements; write e.g. 4096, 4K, "
                            "16M or 1G (K, M, G are binary)") from None
    return sizes


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if math.isinf(v) or math.isnan(v):
            return str(v)
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    return str(v)


def _table(rows: Sequence[dict[str, Any]], columns: dict[str, str], title: str) -> None:
    out.table(rows, columns, title, fmt=_cell, right=[k for k in columns if k not in LEFT])


def _print_inaccurate(summary: Sequence[dict[str, Any]]) -> None:
    """Each faster alternative outside actlab's bounds, once per activation, dtype and direction."""
    seen: dict[tuple[str, str, str], str] = {}
    for r in summary:
        if r.get("faster_but_inaccurate"):
            seen.setdefault((r["activation"], r["dtype"], r["direction"]), r["faster_but_inaccurate"])
    if seen:
        err.print("faster alternatives outside actlab's ULP bounds (oracle, accuracy grids):")
        for (name, dtype, direction), why in seen.items():
            err.print(f"  {name} {dtype} {direction}: {why}", highlight=False)


@app.command()
def kernels(
    names: Annotated[list[str] | None, typer.Argument(
        help="Activations (default: every elementwise one in the catalog).")] = None,
    sizes: Annotated[str, typer.Option(help="Numbers of elements, comma-separated; K/M/G are "
                                       "binary (4K = 4096).")] = DEFAULT_SIZES,
    dtype: Annotated[str, typer.Option(help="dtypes, comma-separated (float32, bfloat16, float16, "
                                       "float64).")] = "float32",
    repeats: Annotated[int, typer.Option(help="Timed rounds per contender (the minimum is "
                                         "reported).")] = 5,
    memory: Annotated[bool, typer.Option("--memory/--no-memory",
                                         help="Measure peak memory (one profiled call each).")] = True,
    compiled: Annotated[bool, typer.Option("--compile/--no-compile",
                                           help="Include torch.compile of the naive composite "
                                           "(a compilation per activation).")] = True,
    accuracy: Annotated[bool, typer.Option("--accuracy/--no-accuracy",
                                           help="Also score each alternative against the oracle "
                                           "(f, and f' for fwd+bwd, on the accuracy grids): "
                                           "/best in bounds compares with the fastest one within "
                                           "actlab's ULP bounds, and each faster one that is not "
                                           "is listed with its miss.")] = True,
    models: Annotated[bool, typer.Option("--models", help="Also time a training step of an MLP "
                                         "and a transformer FFN block, actlab vs torch modules "
                                         "(gated activations such as swiglu: the FFN block "
                                         "only).")] = False,
    models_only: Annotated[bool, typer.Option("--models-only", help="Only the model check.")] = False,
    calibrate: Annotated[bool, typer.Option("--calibrate", help="Measure a routes table for this "
                                            "torch, CPU and ISA (speed at 4K and 1M float32, ULP "
                                            "accuracy of the compiled kernels and natives in 4 "
                                            "dtypes) and print it as JSON for actlab/fused/routes.json."
                                            )] = False,
    out_: Annotated[Path | None, typer.Option("--out", "-o", help="Save time vs size (log-log) "
                                              "here, .png, .svg or .pdf.")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", hidden=True, help="Old name of --out.")] = None,
    threads: Annotated[int | None, typer.Option(help="torch.set_num_threads for the run (default: "
                                                "torch's).")] = None,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Forward and forward+backward time and peak memory of every activation at each size,
    side by side with torch's native op, the naive eager composite, torch.compile of it, and
    two floors (copy into a preallocated buffer; allocate and copy). Ratios: actlab / best
    alternative, actlab / floor."""
    import torch

    from .. import registry
    from ..bench import kernels as kb

    chosen = _split(names)
    if names is not None and not chosen:
        raise UserError("no activation named: give names (e.g. `actlab bench kernels mish relu`) "
                        "or none for the whole catalog")
    size_list = parse_sizes(sizes)
    with user_errors():
        dtypes = kb.parse_dtypes(items(dtype, "--dtype", "float32,bfloat16"))
    count("--repeats", repeats, 1)
    count("--threads", threads, 1)
    if device not in ("cpu", "cuda") or (device == "cuda" and not torch.cuda.is_available()):
        raise UserError(f"device {device!r} is not available here; use --device cpu")
    plot, plot_opt = aliased(out_, "--out", plot, "--plot")
    if plot is not None:
        output_file(plot, plot_opt)
    if not (models_only or calibrate):  # the model check and calibration use fixed, small sizes
        itemsize = max(max(torch.empty(0, dtype=d).element_size() for d in dtypes), 4)
        check_memory(max(size_list) * itemsize * BYTES_PER_ELEMENT,
                     f"--sizes {kb.size_label(max(size_list))}",
                     "use smaller --sizes", device=device)
    if threads is not None:
        torch.set_num_threads(threads)
    with user_errors():  # unknown names, or none of a kind this benchmark runs
        specs = kb.benchable(chosen or None, ("elementwise", "gated") if models_only else ("elementwise",))
        model_specs = (specs if models_only else
                       kb.benchable(chosen, ("elementwise", "gated")) if chosen and models else [])
    skipped = sorted({registry.get_spec(n).name for n in chosen} - {s.name for s in specs})
    if skipped:  # say so rather than drop them silently
        kinds = "elementwise or gated" if models_only else "elementwise"
        err.print(f"skipped {', '.join(skipped)}: not {kinds} (gated activations run in "
                  "the model check, --models)", highlight=True)
    result: dict[str, Any] = {"device": device, "threads": torch.get_num_threads(),
                              "torch": torch.__version__}
    if calibrate:
        from ..bench import calibrate as calibration

        with err.progress("calibrating", len(specs)) as tick:
            rows = calibration.calibrate([s.name for s in specs], repeats=repeats, progress=tick)
        if as_json:
            result["calibration"] = [{k: vars(v) if k.startswith("route") else v for k, v in r.items()}
                                     for r in rows]
            out.json(result)
        else:
            import json
            import platform

            table = calibration.routes_table(rows, f"{platform.processor() or platform.machine()}, "
                                             f"{torch.get_num_threads()} threads, repeats {repeats}")
            out.text(json.dumps(table, indent=1))
        return
    if not models_only:
        total = len(specs) * len(size_list) * len(dtypes)
        with err.progress("kernels", total) as tick:
            rows = kb.run([s.name for s in specs], size_list, dtypes, repeats, memory, compiled,
                          device, progress=tick, accuracy=accuracy)
        summary = kb.summarize(rows)
        result["results"], result["summary"] = rows, summary
        result["targets"] = kb.targets(summary)
        if plot is not None:
            from ..report.figures import kernels as figures

            with writing(plot, option=plot_opt):
                result["plot"] = figures.plot(rows, plot)
    if models or models_only:
        model_names = [s.name for s in model_specs] if chosen else list(MODEL_DEFAULTS)
        steps = sum(1 if registry.get_spec(n).kind == "gated" else 2 for n in model_names)
        with err.progress("models", steps) as tick:
            result["models"] = kb.models(model_names, repeats, memory, device, progress=tick)
    if as_json:
        out.json(result)
        return
    if "summary" in result:
        _table(result["summary"], SUMMARY_COLUMNS,
               f"actlab vs alternatives and floors ({device}, {result['threads']} threads; "
               "time ratios: < 1 means actlab is faster)")
        _print_inaccurate(result["summary"])
        misses = [t for t in result["targets"] if not t["meets_all"]]
        if result["targets"]:
            err.print(f"targets at 16M float32 fwd+bwd: {len(result['targets']) - len(misses)}/"
                      f"{len(result['targets'])} met" + (": misses " + ", ".join(
                          t["activation"] for t in misses) if misses else ""), highlight=True)
    if "models" in result:
        _table(result["models"], MODEL_COLUMNS, "training step: actlab modules vs torch (ratios < 1: "
               "actlab is faster / smaller)")
    if "plot" in result:
        err.print(f"plot written to {result['plot']}", highlight=True)
