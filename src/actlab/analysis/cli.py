"""CLI commands of the numerical-stability lab: ``gradflow``, ``meanfield``, ``doctor``, ``selfnorm``.

Each command builds plain data (lists of dicts) and prints a Rich table, or JSON with ``--json``;
figures are written with ``--plot PATH``. Bad input raises ``ValueError``/``TypeError`` with a
message saying what to do (the top-level CLI turns those into exit code 2).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from ..cli_common import parse_params

app = typer.Typer(help="Numerical stability: gradient flow, mean-field theory, the model doctor, "
                  "self-normalisation.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
PlotOpt = Annotated[Path | None, typer.Option("--plot", help="Save the figure here (.png or .svg).")]


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, width=None if sys.stdout.isatty() else 200)


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return "inf" if v == math.inf else f"{v:.4g}"
    if v is None:
        return ""
    return str(v)


def render(rows: list[dict[str, Any]] | dict[str, Any], columns: Sequence[str], as_json: bool,
           title: str = "") -> None:
    """A Rich table of ``rows`` restricted to ``columns``, or all of ``rows`` as JSON on stdout."""
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, default=_json_default) + "\n")
        return
    from rich.table import Table

    table = Table(title=title or None)
    for c in columns:
        table.add_column(c)
    for r in rows if isinstance(rows, list) else [rows]:
        table.add_row(*(_cell(r.get(c)) for c in columns))
    _console().print(table)


def _json_default(v: Any) -> Any:
    if isinstance(v, Path):
        return str(v)
    return str(v)


def _names(items: Sequence[str] | None, default: Sequence[str]) -> list[str]:
    """Comma/space separated activation names; an unknown one fails here, with suggestions."""
    import actlab

    out = []
    for item in items or default:
        out += [actlab.get_spec(s.strip()).name for s in item.split(",") if s.strip()]
    return out


# ------------------------------------------------------------------------------------ gradflow
@app.command()
def gradflow(
    activations: Annotated[list[str] | None,
                           typer.Argument(help="Activations (default: sigmoid tanh relu).")] = None,
    depth: Annotated[int, typer.Option(help="Number of layers L.")] = 20,
    width: Annotated[int, typer.Option(help="Hidden width N.")] = 256,
    batch: Annotated[int, typer.Option(help="Batch size.")] = 64,
    init: Annotated[str, typer.Option(help="xavier|he|lecun|orthogonal|normal|critical.")] = "xavier",
    sigma: Annotated[float | None, typer.Option(help="Std of 'normal' (gain of 'orthogonal').")] = None,
    sigma_w2: Annotated[float | None,
                        typer.Option("--sigma-w2", help="Gaussian N(0, σ_w²/fan_in) weights.")] = None,
    sigma_b2: Annotated[float, typer.Option("--sigma-b2", help="Bias variance σ_b² (biases if > 0).")] = 0.0,
    dtype: Annotated[str, typer.Option(help="float64 | float32 | bfloat16 | float16.")] = "float32",
    inputs: Annotated[str, typer.Option(help="normal | uniform | rademacher | positive.")] = "normal",
    loss: Annotated[str, typer.Option(help="random | mse | sum.")] = "random",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    layers: Annotated[bool, typer.Option("--layers", help="Also print the per-layer table.")] = False,
    theory: Annotated[bool, typer.Option("--theory", help="Measured growth vs mean-field χ₁ at width "
                                         ">= 512 for a standard set of (activation, σ_w², σ_b²).")] = False,
    plot: PlotOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Gradient flow through the notes' L-layer MLP: per-layer ‖δ‖, ‖∇W‖, saturation, dead units;
    the growth factor per layer vs mean-field χ₁; where float16/bfloat16 underflow or overflow."""
    from . import gradflow as gf

    if theory:
        rows = gf.theory_vs_simulation(width=max(width, 512), depth=max(depth, 24), seed=seed,
                                       progress=not as_json)
        render(rows, ["activation", "sigma_w2", "sigma_b2", "q_star", "chi1", "chi1_path", "measured",
                      "rel_error"], as_json, title="growth of E‖δ‖² per layer: measured vs mean-field χ₁")
        return
    names = _names(activations, ["sigmoid", "tanh", "relu"])
    results = gf.compare(names, progress=not as_json, depth=depth, width=width, batch=batch, init=init,
                         sigma=sigma, sigma_w2=sigma_w2, sigma_b2=sigma_b2, dtype=dtype, inputs=inputs,
                         loss=loss, seed=seed)
    if plot is not None:
        for p in gf.plot(results, plot):
            _console(stderr=True).print(f"wrote {p}")
    if as_json:
        render([r.to_dict() for r in results], [], True)
        return
    render([r.summary() for r in results],
           ["activation", "init", "dtype", "sigma_w2", "sigma_b2", "growth", "chi1", "theory_growth",
            "verdict", "ratio_first_last", "first_underflow", "first_overflow"], False,
           title=f"gradient flow: depth {depth}, width {width}, batch {batch} "
                 "(growth: measured per-layer factor of E‖δ‖²; chi1: mean field at q*; "
                 "theory_growth: mean field along the way to q*)")
    if layers:
        for r in results:
            render(r.rows(), ["layer", "pre_mean", "pre_std", "saturated", "dead", "delta_norm", "grad_norm",
                              "log10_dphi", "underflow"], False,
                   title=f"{r.activation} ({r.init}, {r.dtype})")


# ----------------------------------------------------------------------------------- meanfield
@app.command()
def meanfield(
    activations: Annotated[list[str] | None,
                           typer.Argument(help="Activations (default: tanh relu selu).")] = None,
    sigma_w2: Annotated[float | None, typer.Option("--sigma-w2", help="Weight variance σ_w² "
                                                   "(default: each activation's edge of chaos).")] = None,
    sigma_b2: Annotated[float, typer.Option("--sigma-b2", help="Bias variance σ_b².")] = 0.0,
    param: Annotated[list[str] | None,
                     typer.Option("--param", "-p", help="NAME=VALUE (one activation).")] = None,
    moments: Annotated[bool, typer.Option("--moments", help="Also the mean/variance fixed point "
                                       "(Klambauer et al. 2017) under LeCun-normal weights.")] = False,
    plot: PlotOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Mean-field signal propagation: q*, χ₁, c*, depth scales ξ_q and ξ_c, the edge of chaos, and
    the order/chaos phase diagram (--plot)."""
    from . import meanfield as mf

    names = _names(activations, ["tanh", "relu", "selu"])
    # the options themselves are checked here (exit 2); per-activation failures, such as "no
    # edge of chaos", stay in the table's note column
    if not (math.isfinite(sigma_b2) and sigma_b2 >= 0):
        raise ValueError(f"--sigma-b2 must be a finite bias variance >= 0, got {sigma_b2}")
    if sigma_w2 is not None and not (math.isfinite(sigma_w2) and sigma_w2 > 0):
        raise ValueError(f"--sigma-w2 must be a finite weight variance > 0, got {sigma_w2}")
    params = parse_params(param)
    if params and len(names) != 1:
        raise ValueError("--param applies to a single activation; name exactly one")
    rows = []
    for name in names:
        row: dict[str, Any] = {"activation": name}
        try:
            sw2 = mf.edge_of_chaos(name, sigma_b2, **params) if sigma_w2 is None else sigma_w2
            row.update(mf.analyse(name, sw2, sigma_b2, **params).to_dict())
        except ValueError as e:
            if sigma_w2 is not None:
                raise
            row["note"] = str(e)
        if moments:
            fp = mf.moment_fixed_point(name, **params)
            row.update({"moment_mu": fp.mu, "moment_nu": fp.nu, "moment_jacobian_norm": fp.spectral_norm})
        rows.append(row)
    if plot is not None:
        data = mf.phase_diagram([n for n in names if _elementwise(n)], progress=not as_json)
        for p in mf.plot_phase_diagram(data, plot):
            _console(stderr=True).print(f"wrote {p}")
    cols = ["activation", "sigma_w2", "sigma_b2", "q_star", "chi1", "c_star", "xi_q", "xi_c", "phase"]
    if moments:
        cols += ["moment_mu", "moment_nu", "moment_jacobian_norm"]
    if any("note" in r for r in rows):
        cols.append("note")
    title = "mean field at the edge of chaos" if sigma_w2 is None else f"mean field at σ_w² = {sigma_w2:g}"
    render(rows, cols, as_json, title=f"{title}, σ_b² = {sigma_b2:g}")


def _elementwise(name: str) -> bool:
    import actlab

    return actlab.get_spec(name).kind != "gated"


# -------------------------------------------------------------------------------------- doctor
def load_model(spec: str, input_shape: str | None) -> tuple[Any, Any]:
    """``module:factory`` or ``path/to/file.py:factory``; the factory returns a model or (model, inputs)."""
    import torch

    target, sep, attr = spec.rpartition(":")
    if not sep or not target or not attr:
        raise ValueError(f"--model expects MODULE:FACTORY or FILE.py:FACTORY, got {spec!r}")
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_file():
            raise ValueError(f"--model: no file {path}")
        mod_spec = importlib.util.spec_from_file_location(path.stem, path)
        if mod_spec is None or mod_spec.loader is None:
            raise ValueError(f"--model: cannot import {path}")
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(target)
    factory = getattr(module, attr, None)
    if factory is None:
        raise ValueError(f"--model: {target} has no attribute {attr!r}")
    made = factory() if callable(factory) else factory
    if isinstance(made, tuple) and len(made) == 2:
        return made
    if input_shape is None:
        raise ValueError("--model returned only a model: give --input-shape, e.g. --input-shape 64,32")
    try:
        shape = [int(s) for s in input_shape.split(",")]
    except ValueError:
        raise ValueError(f"--input-shape expects integers like 64,32; got {input_shape!r}") from None
    return made, torch.randn(*shape, generator=torch.Generator().manual_seed(0))


@app.command()
def doctor(
    demo: Annotated[str | None, typer.Option(help="A built-in model: healthy | dead-relu | sigmoid-deep | "
                                             "cnn | transformer.")] = None,
    model: Annotated[str | None, typer.Option(help="MODULE:FACTORY or FILE.py:FACTORY returning a model "
                                             "or (model, inputs).")] = None,
    input_shape: Annotated[str | None, typer.Option(help="Shape of random inputs, e.g. 64,32.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random projection loss.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Diagnose a model: per-layer activation statistics, dead and saturated units, gradient norms and
    their layer-to-layer ratios, with warnings and advice. Exits 1 if it finds errors."""
    from .doctor import DEMOS, demo_model, diagnose

    if (demo is None) == (model is None):
        raise ValueError(f"give exactly one of --demo ({' | '.join(DEMOS)}) or --model MODULE:FACTORY")
    net, inputs = demo_model(demo) if demo is not None else load_model(model, input_shape)  # type: ignore[arg-type]
    report = diagnose(net, inputs, seed=seed)
    if as_json:
        render(report.to_dict(), [], True)
    else:
        _console().print(report.table())
        out = _console()
        ratio = report.grad_first_last
        out.print(f"loss = {report.loss:.4g}" + ("" if ratio is None else f"; ‖∇W‖ first/last = {ratio:.3g}"),
                  highlight=False)
        if not report.findings:
            out.print("No problems found.")
        for f in report.findings:
            colour = {"error": "red", "warning": "yellow", "info": "cyan"}[f.severity]
            where = f" [{f.module}]" if f.module else ""
            out.print(f"[{colour}]{f.severity.upper()}[/]{where}: {f.problem}", highlight=False)
            out.print(f"    → {f.advice}", highlight=False)
    if any(f.severity == "error" for f in report.findings):
        raise typer.Exit(1)


# ------------------------------------------------------------------------------------ selfnorm
@app.command()
def selfnorm(
    arms: Annotated[str, typer.Option(help="Comma-separated: relu+bn,selu,elu,relu.")] = "relu+bn,selu,elu",
    depth: Annotated[int, typer.Option(help="Hidden layers.")] = 32,
    width: Annotated[int, typer.Option(help="Hidden width.")] = 128,
    steps: Annotated[int, typer.Option(help="Training steps.")] = 300,
    batch: Annotated[int, typer.Option(help="Batch size.")] = 128,
    lr: Annotated[float, typer.Option(help="Learning rate.")] = 0.01,
    optimizer: Annotated[str, typer.Option(help="sgd (momentum 0.9) | adam.")] = "sgd",
    alpha_dropout: Annotated[float, typer.Option(help="AlphaDropout rate after each SELU.")] = 0.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    layers: Annotated[bool, typer.Option("--layers", help="Also print per-layer statistics.")] = False,
    plot: PlotOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """BatchNorm vs self-normalisation: train deep MLPs (ReLU+BatchNorm, SELU, ELU) on the same task
    and report trainability and per-layer activation statistics."""
    from . import selfnorm as sn

    result = sn.run([a.strip() for a in arms.split(",") if a.strip()], depth=depth, width=width,
                    steps=steps, batch=batch, lr=lr, optimizer=optimizer, alpha_dropout=alpha_dropout,
                    seed=seed, progress=not as_json)
    if plot is not None:
        for p in sn.plot(result, plot):
            _console(stderr=True).print(f"wrote {p}")
    if as_json:
        render(result.to_dict(), [], True)
        return
    render(result.summary(), ["arm", "initial_loss", "final_loss", "train_acc", "test_acc", "trained",
                              "diverged", "grad_first_last", "post_mean_last", "post_var_last"], False,
           title=f"{depth}-layer MLPs, {steps} steps of {optimizer} (lr {lr:g}); chance accuracy "
                 f"{result.chance_accuracy:.2f}")
    if layers:
        for a in result.arms:
            render([vars(s) for s in a.init_stats], ["layer", "pre_mean", "pre_var", "post_mean", "post_var",
                                                     "q_theory"], False, title=f"{a.arm} at initialisation")
