"""``actlab gradflow``, ``meanfield``, ``doctor`` and ``selfnorm``: the numerical-stability lab.

Each command builds plain data (lists of dicts) and prints a Rich table, or JSON with ``--json``;
figures are written with ``--out PATH`` (``--plot``, the old name, still works).
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from ._common import (
    JsonOpt,
    UserError,
    activation_names,
    aliased,
    check_memory,
    count,
    items,
    number,
    output_file,
    parse_params,
    user_errors,
    writing,
)
from ._output import err, out

__all__ = ["app", "doctor", "gradflow", "load_model", "meanfield", "selfnorm"]

app = typer.Typer()

PlotOpt = Annotated[Path | None, typer.Option("--out", "-o",
                                              help="Save the figure here (.png, .svg or .pdf).")]
OldPlotOpt = Annotated[Path | None, typer.Option("--plot", hidden=True, help="Old name of --out.")]


def _plot_path(out: Path | None, plot: Path | None) -> tuple[Path | None, str]:
    """``--out`` (or its old name ``--plot``): the file written is the file named (no suffix
    added), checked before the work; returns it and the option's name as typed."""
    path, option = aliased(out, "--out", plot, "--plot")
    if path is not None:
        output_file(path, option, (".png", ".svg", ".pdf"))
    return path, option


def _names(activations: list[str] | None, default: list[str]) -> list[str]:
    if activations is not None and not [a for a in activations if a.strip()]:
        raise UserError(f"no activation named: give names, e.g. {' '.join(default)}, or none for those")
    return activation_names(activations, default)


def _cell(v: Any) -> str:
    """4 significant digits (the analyses' tables)."""
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def _rows(rows: Any, columns: list[str], as_json: bool, title: str = "") -> None:
    out.rows(rows, columns, as_json, title=title, fmt=_cell)


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
    out_: PlotOpt = None,
    plot: OldPlotOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Gradient flow through the notes' L-layer MLP: per-layer ‖δ‖, ‖∇W‖, saturation, dead units;
    the growth factor per layer vs mean-field χ₁; where float16/bfloat16 underflow or overflow."""
    from ..analysis import gradflow as gf

    count("--depth", depth, 2)
    count("--width", width, 1)
    count("--batch", batch, 1)
    number("--sigma", sigma, gt=0)
    number("--sigma-w2", sigma_w2, gt=0)
    number("--sigma-b2", sigma_b2, ge=0)
    for option, value, choices in (("--dtype", dtype, gf.DTYPES), ("--loss", loss, gf.LOSSES)):
        if value not in choices:
            raise UserError(f"{option} must be one of {', '.join(choices)}, got {value!r}")
    plot, plot_opt = _plot_path(out_, plot)
    if theory and plot is not None:
        raise UserError(f"{plot_opt} draws the per-layer gradients of a run; --theory prints a table only")
    w, d, b = (max(width, 512), max(depth, 24), 32) if theory else (width, depth, batch)
    # float64 weights and their copy in --dtype, gradients; activations and deltas per layer
    check_memory(3 * 8 * d * w * w + 6 * 8 * d * b * w, f"a {d}-layer MLP of width {w}",
                 "use a smaller --width, --depth or --batch")
    if theory:
        with (err.progress("theory vs simulation", len(gf.THEORY_CASES), enabled=not as_json) as tick,
              user_errors()):  # the sizes are the user's
            rows = gf.theory_vs_simulation(width=max(width, 512), depth=max(depth, 24), seed=seed,
                                           progress=lambda _: tick())
        _rows(rows, ["activation", "sigma_w2", "sigma_b2", "q_star", "chi1", "chi1_path", "measured",
                     "rel_error"], as_json, title="growth of E‖δ‖² per layer: measured vs mean-field χ₁")
        return
    names = _names(activations, ["sigmoid", "tanh", "relu"])
    # gradflow checks init, dtype, inputs, loss and the kind as it builds the MLP
    with err.progress("gradient flow", len(names), enabled=not as_json) as tick, user_errors():
        results = gf.compare(names, progress=lambda _: tick(), depth=depth, width=width, batch=batch,
                             init=init, sigma=sigma, sigma_w2=sigma_w2, sigma_b2=sigma_b2, dtype=dtype,
                             inputs=inputs, loss=loss, seed=seed)
    if plot is not None:
        from ..report.figures import gradflow as figures

        with writing(plot, option=plot_opt):
            written = figures.plot(results, plot)
        for p in written:
            err.note(f"wrote {p}")
    if as_json:
        out.json([r.to_dict() for r in results])
        return
    _rows([r.summary() for r in results],
          ["activation", "init", "dtype", "sigma_w2", "sigma_b2", "growth", "chi1", "theory_growth",
           "verdict", "ratio_first_last", "first_underflow", "first_overflow"], False,
          title=f"gradient flow: depth {depth}, width {width}, batch {batch} "
                "(growth: measured per-layer factor of E‖δ‖²; chi1: mean field at q*; "
                "theory_growth: mean field along the way to q*)")
    if layers:
        for r in results:
            _rows(r.rows(), ["layer", "pre_mean", "pre_std", "saturated", "dead", "delta_norm", "grad_norm",
                             "log10_dphi", "underflow"], False, title=f"{r.activation} ({r.init}, {r.dtype})")


# ----------------------------------------------------------------------------------- meanfield
def _centred_note(name: str, sigma_b2: float, params: dict[str, float]) -> dict[str, str]:
    """For an activation that is not 0 at 0 (sigmoid), what critical init uses instead: its mean
    makes q* large here; actlab.init.critical_ centres it and takes the centred edge of chaos."""
    import actlab
    from actlab import init

    from ..composite import GatedSpec

    if isinstance(actlab.get_spec(name), GatedSpec):
        return {}
    act = actlab.get(name, **params)
    shift = init.value_at_zero(act)
    if not shift:
        return {}
    sw2, how = init.critical_sigma2(act, sigma_b2, centred=True)
    return {"note": f"critical init centres it (φ(0) = {shift:.4g}): σ_w² = {sw2:.4g}, {how}"}


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
    out_: PlotOpt = None,
    plot: OldPlotOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Mean-field signal propagation: q*, χ₁, c*, depth scales ξ_q and ξ_c, the edge of chaos, and
    the order/chaos phase diagram (--out)."""
    import actlab

    from ..analysis import meanfield as mf

    names = _names(activations, ["tanh", "relu", "selu"])
    plot, plot_opt = _plot_path(out_, plot)
    # the options themselves are checked here (exit 2); per-activation failures, such as "no
    # edge of chaos", stay in the table's note column
    if not (math.isfinite(sigma_b2) and sigma_b2 >= 0):
        raise UserError(f"--sigma-b2 must be a finite bias variance >= 0, got {sigma_b2}")
    if sigma_w2 is not None and not (math.isfinite(sigma_w2) and sigma_w2 > 0):
        raise UserError(f"--sigma-w2 must be a finite weight variance > 0, got {sigma_w2}")
    params = parse_params(param)
    if params and len(names) != 1:
        raise UserError("--param applies to a single activation; name exactly one")
    if params:
        with user_errors(ValueError, TypeError):  # a parameter it does not take, or out of domain
            actlab.get(names[0], **params)
    drawn: list[str] = []
    if plot is not None:
        from ..composite import GatedSpec

        specs = [actlab.get_spec(n) for n in names]
        drawn = [s.name for s in specs if not isinstance(s, GatedSpec)]
        if not drawn:
            raise UserError(f"{plot_opt} draws the phase diagram of elementwise activations and "
                            f"{specs[0].name} "
                            f"is gated; name its gate ({specs[0].base.name}) or an elementwise one")
    rows = []
    for name in names:
        row: dict[str, Any] = {"activation": name}
        try:
            sw2 = mf.edge_of_chaos(name, sigma_b2, **params) if sigma_w2 is None else sigma_w2
            row.update(mf.analyse(name, sw2, sigma_b2, **params).to_dict())
            if sigma_w2 is None:
                row.update(_centred_note(name, sigma_b2, params))
        except ValueError as e:
            if sigma_w2 is not None:  # the user's σ_w² does not work for this activation
                raise UserError(str(e)) from e
            row["note"] = str(e)
        if moments:
            with user_errors():  # e.g. a gated activation has no moment map
                fp = mf.moment_fixed_point(name, **params)
            row.update({"moment_mu": fp.mu, "moment_nu": fp.nu, "moment_jacobian_norm": fp.spectral_norm})
        rows.append(row)
    if plot is not None:
        from ..report.figures import meanfield as figures

        grid, curve_points = 41, 16  # σ_w² x σ_b² grid of χ₁, points on each edge-of-chaos curve
        with err.progress("phase diagram", len(drawn) * (grid + curve_points), enabled=not as_json) as tick:
            data = mf.phase_diagram(drawn, grid=grid, curve_points=curve_points, progress=lambda _: tick())
        with writing(plot, option=plot_opt):
            written = figures.plot_phase_diagram(data, plot)
        for p in written:
            err.note(f"wrote {p}")
    cols = ["activation", "sigma_w2", "sigma_b2", "q_star", "chi1", "c_star", "xi_q", "xi_c", "phase"]
    if moments:
        cols += ["moment_mu", "moment_nu", "moment_jacobian_norm"]
    if any("note" in r for r in rows):
        cols.append("note")
    title = "mean field at the edge of chaos" if sigma_w2 is None else f"mean field at σ_w² = {sigma_w2:g}"
    _rows(rows, cols, as_json, title=f"{title}, σ_b² = {sigma_b2:g}")


# -------------------------------------------------------------------------------------- doctor
def load_model(spec: str, input_shape: str | None) -> tuple[Any, Any]:
    """``module:factory`` or ``path/to/file.py:factory``; the factory returns a model or (model,
    inputs). ``module:model`` names a module-level model (a ``torch.nn.Module``) as well."""
    import torch

    shape = None if input_shape is None else parse_shape(input_shape)
    target, sep, attr = spec.rpartition(":")
    if not sep or not target or not attr:
        raise UserError(f"--model expects MODULE:FACTORY or FILE.py:FACTORY, got {spec!r}")
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_file():
            raise UserError(f"--model: no file {path}")
        mod_spec = importlib.util.spec_from_file_location(path.stem, path)
        if mod_spec is None or mod_spec.loader is None:
            raise UserError(f"--model: cannot import {path}")
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(target)
        except ModuleNotFoundError as e:
            if e.name is None or not (target == e.name or target.startswith(e.name + ".")):
                raise  # the user's module imports something missing: its traceback says where
            raise UserError(f"--model: no module named {e.name!r}") from None
    factory = getattr(module, attr, None)
    if factory is None:
        raise UserError(f"--model: {target} has no attribute {attr!r}")
    # a module-level model is callable too: it is the model, not a factory to call
    made = factory() if callable(factory) and not isinstance(factory, torch.nn.Module) else factory
    if isinstance(made, tuple) and len(made) == 2:
        if shape is not None:
            raise UserError(f"--model {spec} returns its own inputs; drop --input-shape (or return "
                            "only the model)")
        net, inputs = made
    else:
        if shape is None:
            raise UserError("--model returned only a model: give --input-shape, e.g. --input-shape 64,32")
        net, inputs = made, torch.randn(*shape, generator=torch.Generator().manual_seed(0))
    if not isinstance(net, torch.nn.Module):
        raise UserError(f"--model {spec}: the factory must return a torch.nn.Module (or (module, "
                        f"inputs)), got {type(net).__name__}")
    if shape is not None:
        _check_inputs(net, inputs, spec, input_shape or "")
    return net, inputs


def _check_inputs(net: Any, inputs: Any, spec: str, shape: str) -> None:
    """One forward pass of the random ``--input-shape`` inputs, in eval mode without gradients
    (no BatchNorm statistics change; each module's mode is restored): a model that cannot take
    that shape is a :class:`UserError` of one line, not the traceback of its first layer."""
    import torch

    modes = [(m, m.training) for m in net.modules()]
    try:
        with torch.no_grad():
            net.eval()(inputs)
    except (RuntimeError, ValueError, TypeError, IndexError) as e:
        reason = " ".join(str(e).split("\n")[0].split())[:200]
        raise UserError(f"--model {spec} cannot take --input-shape {shape} ({reason}); give the shape "
                        "its forward expects, batch first, e.g. --input-shape 64,32 for "
                        "nn.Linear(32, ...)") from None
    finally:
        for m, training in modes:
            m.training = training


def parse_shape(text: str) -> list[int]:
    """``--input-shape 64,32`` -> [64, 32]: positive integers whose tensor fits in memory."""
    try:
        shape = [int(s) for s in text.split(",")]
    except ValueError:
        raise UserError(f"--input-shape expects positive integers like 64,32; got {text!r}") from None
    if any(n < 1 for n in shape):
        raise UserError(f"--input-shape expects positive integers like 64,32; got {text!r}")
    check_memory(4 * 4 * math.prod(shape), f"--input-shape {text}", "use a smaller shape")
    return shape


@app.command()
def doctor(
    demo: Annotated[str | None, typer.Option(help="A built-in model: healthy | dead-relu | sigmoid-deep | "
                                             "cnn | transformer.")] = None,
    model: Annotated[str | None, typer.Option(help="MODULE:NAME or FILE.py:NAME: a model, or a factory "
                                             "returning a model or (model, inputs).")] = None,
    input_shape: Annotated[str | None, typer.Option(help="Shape of random inputs, e.g. 64,32.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random projection loss.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Diagnose a model: per-layer activation statistics, dead and saturated units, gradient norms and
    their layer-to-layer ratios, with warnings and advice. Exits 1 if it finds errors."""
    from ..analysis.doctor import DEMOS, demo_model, diagnose

    if (demo is None) == (model is None):
        raise UserError(f"give exactly one of --demo ({' | '.join(DEMOS)}) or --model MODULE:FACTORY")
    if demo is not None and input_shape is not None:
        raise UserError("--input-shape is for --model (a demo brings its own inputs); drop it")
    if demo is not None:
        with user_errors():  # an unknown demo
            net, inputs = demo_model(demo)
    else:
        net, inputs = load_model(model, input_shape)  # type: ignore[arg-type]
    report = diagnose(net, inputs, seed=seed)
    if as_json:
        out.json(report.to_dict())
    else:
        out.print(report.table(), highlight=True)
        ratio = report.grad_first_last
        out.print(f"loss = {report.loss:.4g}" + ("" if ratio is None else f"; ‖∇W‖ first/last = {ratio:.3g}"))
        if not report.findings:
            out.print("No problems found.", highlight=True)
        for f in report.findings:
            colour = {"error": "red", "warning": "yellow", "info": "cyan"}[f.severity]
            where = escape(f" [{f.module}]") if f.module else ""
            out.print(f"[{colour}]{f.severity.upper()}[/]{where}: {escape(f.problem)}")
            out.print(f"    → {f.advice}", markup=False)
    if any(f.severity == "error" for f in report.findings):
        raise typer.Exit(1)


# ------------------------------------------------------------------------------------ selfnorm
@app.command()
def selfnorm(
    activations: Annotated[list[str] | None, typer.Argument(
        help="Arms, comma or space separated: relu+bn, selu, elu, relu (default: relu+bn selu elu).",
        metavar="ARMS")] = None,
    arms: Annotated[str | None, typer.Option("--arms", hidden=True,
                                             help="Old form of the arms argument.")] = None,
    depth: Annotated[int, typer.Option(help="Hidden layers.")] = 32,
    width: Annotated[int, typer.Option(help="Hidden width.")] = 128,
    steps: Annotated[int, typer.Option(help="Training steps.")] = 300,
    batch: Annotated[int, typer.Option(help="Batch size.")] = 128,
    lr: Annotated[float, typer.Option(help="Learning rate.")] = 0.01,
    optimizer: Annotated[str, typer.Option(help="sgd (momentum 0.9) | adam.")] = "sgd",
    alpha_dropout: Annotated[float, typer.Option(help="AlphaDropout rate after each SELU.")] = 0.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    layers: Annotated[bool, typer.Option("--layers", help="Also print per-layer statistics.")] = False,
    out_: PlotOpt = None,
    plot: OldPlotOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """BatchNorm vs self-normalisation: train deep MLPs (ReLU+BatchNorm, SELU, ELU) on the same task
    and report trainability and per-layer activation statistics."""
    from ..analysis import selfnorm as sn

    if activations is not None and arms is not None:
        raise UserError("--arms is the old form of the arms argument: give only the arms, e.g. "
                        "actlab selfnorm relu+bn selu")
    if activations is not None:
        chosen = [w.strip() for a in activations for w in a.split(",") if w.strip()]
        if not chosen:
            raise UserError("no arm named: give arms, e.g. actlab selfnorm relu+bn selu, or none for "
                            "relu+bn, selu and elu")
    else:
        chosen = items("relu+bn,selu,elu" if arms is None else arms, "--arms", "relu+bn,selu")
    count("--depth", depth, 1)
    count("--width", width, 1)
    count("--steps", steps, 1)
    count("--batch", batch, 1)
    number("--lr", lr, gt=0)
    if optimizer not in ("sgd", "adam"):
        raise UserError(f"--optimizer must be sgd (with momentum 0.9) or adam, got {optimizer!r}")
    number("--alpha-dropout", alpha_dropout, ge=0, lt=1)
    count("--seed", seed, 0)
    plot, plot_opt = _plot_path(out_, plot)
    n_train = 2048  # selfnorm.run's training set: evaluated whole, layer by layer
    check_memory(4 * 4 * depth * width * width + 4 * 8 * depth * max(batch, n_train) * width,
                 f"a {depth}-layer MLP of width {width} (batch {batch})",
                 "use a smaller --width, --depth or --batch")
    unknown = [a for a in chosen if a not in sn.ARMS]
    if unknown:  # before the progress bar starts
        raise UserError(f"unknown arm {unknown[0]!r}; choose from {', '.join(sn.ARMS)}")
    with (err.progress(sn.training_label(chosen[0], depth), len(chosen), enabled=not as_json) as tick,
          user_errors()):
        result = sn.run(chosen, depth=depth, width=width,
                        steps=steps, batch=batch, lr=lr, optimizer=optimizer, alpha_dropout=alpha_dropout,
                        seed=seed, progress=tick)
    if plot is not None:
        from ..report.figures import selfnorm as figures

        with writing(plot, option=plot_opt):
            written = figures.plot(result, plot)
        for p in written:
            err.note(f"wrote {p}")
    if as_json:
        out.json(result.to_dict())
        return
    _rows(result.summary(), ["arm", "initial_loss", "final_loss", "train_acc", "test_acc", "trained",
                             "diverged", "grad_first_last", "post_mean_last", "post_var_last"], False,
          title=f"{depth}-layer MLPs, {steps} steps of {optimizer} (lr {lr:g}); chance accuracy "
                f"{result.chance_accuracy:.2f}")
    if layers:
        for a in result.arms:
            _rows([vars(s) for s in a.init_stats], ["layer", "pre_mean", "pre_var", "post_mean", "post_var",
                                                    "q_theory"], False, title=f"{a.arm} at initialisation")
