"""The model doctor: one forward and backward pass through any ``nn.Module`` with hooks, per-layer
statistics, and warnings with concrete advice.

``diagnose(model, inputs, loss_fn=None)`` records, in execution order:

* for every activation module (torch.nn or actlab.nn; matched to the catalog by
  :func:`actlab.init.activation_of`): pre-activation mean/std, output mean/std, the fraction of
  dead units (φ′ = 0 for every example and position) and of saturated entries (0 < |φ′| < 5% of
  the activation's peak slope), from the spec's analytic derivative;
* for every module with its own parameters (Linear, Conv, norms, attention, embeddings): output
  mean/std, ‖W‖, ‖∇W‖, ‖∇W‖/‖W‖, the ratio of ‖∇W‖ to the previous such layer's, and the
  fraction of input features that are 0 for every example (dead units upstream, also when the
  activation is applied functionally, as in ``nn.TransformerEncoderLayer``);
* the norm of the gradient reaching each module's output.

Without ``loss_fn`` the loss is a fixed random projection of the output, L = Σ y·g / batch with
g ~ N(0, 1): its gradient is the network's Jacobian applied to noise, which is what vanishing and
exploding gradients are about, independent of any target. The model's parameters' ``.grad`` are
not touched (``torch.autograd.grad``) and BatchNorm running statistics are restored afterwards.

The figure of a diagnosis is :func:`actlab.report.figures.doctor.plot`.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

import actlab
from actlab.init import WEIGHT_LAYERS, activation_of
from actlab.spec import ActivationSpec

__all__ = ["DEAD_ERROR", "DEAD_WARN", "DEMOS", "EXPLODE", "SATURATED_WARN", "SATURATION", "VANISH",
           "Diagnosis", "Finding", "LayerReport", "demo_model", "diagnose"]

SATURATION = 0.05
DEAD_WARN, DEAD_ERROR = 0.2, 0.9
SATURATED_WARN = 0.5
VANISH, EXPLODE = 1e-3, 1e3  # ‖∇W‖ first / last parameterised layer


@dataclass
class LayerReport:
    """One row of the diagnosis: an activation or a module with parameters."""

    name: str
    type: str
    role: str  # "activation" | "weight" | "norm" | "other"
    activation: str | None = None
    shape: list[int] = field(default_factory=list)
    pre_mean: float | None = None
    pre_std: float | None = None
    out_mean: float | None = None
    out_std: float | None = None
    dead: float | None = None  # fraction of units with φ′ = 0 on every example and position
    dead_pre_mean: float | None = None  # mean pre-activation of the dead units (why they died)
    saturated: float | None = None  # fraction of entries with 0 < |φ′| < 5% of the peak slope
    zero_inputs: float | None = None  # fraction of input features that are 0 for every example
    grad_out: float | None = None  # ‖∂L/∂output‖ (RMS per example)
    weight_norm: float | None = None
    grad_norm: float | None = None  # ‖∇W‖ of the main weight
    grad_ratio: float | None = None  # grad_norm / previous weight layer's grad_norm
    update_scale: float | None = None  # grad_norm / weight_norm
    nonfinite: bool = False


@dataclass
class Finding:
    severity: str  # "error" | "warning" | "info"
    module: str | None
    problem: str
    advice: str

    def __str__(self) -> str:
        where = f" [{self.module}]" if self.module else ""
        return f"{self.severity.upper()}{where}: {self.problem}\n    → {self.advice}"


@dataclass
class Diagnosis:
    """What :func:`diagnose` found. ``rows()``/``to_dict()`` give plain data; ``str()`` a report."""

    model: str
    loss: float
    layers: list[LayerReport]
    findings: list[Finding]
    grad_first_last: float | None  # ‖∇W‖ of the first weight layer / the last one

    @property
    def ok(self) -> bool:
        return not any(f.severity in ("error", "warning") for f in self.findings)

    def rows(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.layers]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def table(self) -> Any:
        """A Rich table of the per-layer statistics."""
        from rich.table import Table

        t = Table(title=f"actlab doctor: {self.model}", show_lines=False)
        cols = ["layer", "type", "shape", "pre μ/σ", "out μ/σ", "dead", "sat", "0-in", "‖∂L/∂out‖",
                "‖∇W‖", "÷ prev", "‖∇W‖/‖W‖"]
        for c in cols:
            t.add_column(c, justify="left" if c in ("layer", "type") else "right")
        for r in self.layers:
            t.add_row(
                r.name or "(model)", r.activation or r.type, "×".join(map(str, r.shape)),
                _pair(r.pre_mean, r.pre_std), _pair(r.out_mean, r.out_std), _pct(r.dead),
                _pct(r.saturated), _pct(r.zero_inputs), _num(r.grad_out), _num(r.grad_norm),
                _num(r.grad_ratio), _num(r.update_scale),
                style="red" if r.nonfinite else None,
            )
        return t

    def __str__(self) -> str:
        from rich.console import Console

        buf = io.StringIO()
        console = Console(file=buf, width=150, force_terminal=False, color_system=None)
        console.print(self.table())
        lines = [buf.getvalue().rstrip()]
        ratio = ("" if self.grad_first_last is None
                 else f"; ‖∇W‖ first/last layer = {self.grad_first_last:.3g}")
        lines.append(f"loss = {self.loss:.4g}{ratio}")
        if not self.findings:
            lines.append("No problems found.")
        lines += [str(f) for f in self.findings]
        return "\n".join(lines)


def _pair(a: float | None, b: float | None) -> str:
    return "" if a is None or b is None else f"{a:.2g}/{b:.2g}"


def _pct(v: float | None) -> str:
    return "" if v is None else f"{100 * v:.0f}%"


def _num(v: float | None) -> str:
    return "" if v is None else f"{v:.2e}"


def _first_tensor(value: Any) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value if value.is_floating_point() else None
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        for v in value:
            t = _first_tensor(v)
            if t is not None:
                return t
    if hasattr(value, "logits"):
        return _first_tensor(value.logits)
    return None


def _unit_dim(t: torch.Tensor, conv_like: bool) -> int:
    # NCHW / NCDHW, or (N, C, L) after a Conv1d: channels are dim 1; otherwise features are last
    return 1 if t.dim() >= 4 or (conv_like and t.dim() == 3) else t.dim() - 1


def _per_unit(t: torch.Tensor, dim: int) -> torch.Tensor:
    return t.movedim(dim, 0).reshape(t.shape[dim], -1) if t.dim() > 1 else t.reshape(-1, 1)


def _role(m: nn.Module) -> str:
    if isinstance(m, WEIGHT_LAYERS) or isinstance(m, (nn.Embedding, nn.MultiheadAttention)):
        return "weight"
    if isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm)):
        return "norm"
    return "other"


class _Recorder:
    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.rows: dict[str, LayerReport] = {}
        self.order: list[str] = []
        self.handles: list[Any] = []
        self.grad_sq: dict[str, float] = {}
        self.batch = 1
        self.conv_seen = False
        self.peaks: dict[str, float] = {}
        self.acts: dict[str, tuple[Any, Any]] = {}
        self.calls: dict[str, int] = {}
        self.current: dict[str, str] = {}

    def attach(self) -> None:
        for name, m in self.model.named_modules():
            found = activation_of(m)
            # elementwise, or stochastic in its eval form
            if found is not None and found[0].name != "identity" and isinstance(found[0], ActivationSpec):
                spec, params = found
                try:
                    act = actlab.get(spec.name, **params)
                except (ValueError, TypeError):
                    act = actlab.get(spec.name)
                self.acts[name] = (spec, act)
                self.handles.append(m.register_forward_pre_hook(self._pre_activation(name)))
                self.handles.append(m.register_forward_hook(self._post(name, "activation")))
            elif any(True for _ in m.parameters(recurse=False)):
                self.handles.append(m.register_forward_pre_hook(self._pre_weight(name, m)))
                self.handles.append(m.register_forward_hook(self._post(name, _role(m))))

    def detach(self) -> None:
        for h in self.handles:
            h.remove()

    def _enter(self, name: str) -> str:
        """A row key per call: a module used several times in one forward (one ``self.act`` after
        every layer) gets rows ``name``, ``name@2``, ``name@3``, ..."""
        self.calls[name] = self.calls.get(name, 0) + 1
        key = name if self.calls[name] == 1 else f"{name}@{self.calls[name]}"
        self.current[name] = key
        return key

    def _row(self, name: str, m: nn.Module | None, role: str) -> LayerReport:
        if name not in self.rows:
            kind = type(m).__name__ if m is not None else ""
            self.rows[name] = LayerReport(name=name, type=kind, role=role)
            self.order.append(name)
        return self.rows[name]

    def _pre_activation(self, name: str) -> Callable[..., None]:
        def hook(module: nn.Module, args: tuple) -> None:
            key = self._enter(name)
            x = _first_tensor(args)
            if x is None:
                return
            spec, act = self.acts[name]
            row = self._row(key, module, "activation")
            row.activation = spec.name
            xd = x.detach()
            x64 = xd.to(torch.float64)
            row.pre_mean, row.pre_std = float(x64.mean()), float(x64.std()) if x64.numel() > 1 else 0.0
            d = act.derivative(xd.float() if xd.dtype in (torch.float16, torch.bfloat16) else xd)
            d = d.abs().to(torch.float64)
            if name not in self.peaks:
                grid = np.abs(np.asarray(act.derivative(np.linspace(-3.0, 3.0, 601))))
                grid = grid[np.isfinite(grid)]
                self.peaks[name] = float(grid.max()) if grid.size and grid.max() > 0 else 1.0
            dim = _unit_dim(d, self.conv_seen)
            dead = (_per_unit(d, dim) == 0).all(dim=1)
            row.dead = float(dead.double().mean())
            if bool(dead.any()):
                row.dead_pre_mean = float(_per_unit(x64, dim)[dead].mean())
            row.saturated = float(((d > 0) & (d < SATURATION * self.peaks[name])).double().mean())
            row.nonfinite |= not bool(torch.isfinite(x64).all())
        return hook

    def _pre_weight(self, name: str, module: nn.Module) -> Callable[..., None]:
        conv = isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d))

        def hook(mod: nn.Module, args: tuple) -> None:
            row = self._row(self._enter(name), mod, _role(mod))
            x = _first_tensor(args)
            if isinstance(mod, WEIGHT_LAYERS) and x is not None and x.dim() >= 2:
                dim = 1 if conv else x.dim() - 1
                units = _per_unit(x.detach(), dim)
                row.zero_inputs = float((units == 0).all(dim=1).double().mean())
            if conv:
                self.conv_seen = True
        return hook

    def _post(self, name: str, role: str) -> Callable[..., None]:
        def hook(module: nn.Module, args: tuple, output: Any) -> None:
            y = _first_tensor(output)
            key = self.current.get(name, name)
            row = self._row(key, module, role)
            if y is None:
                return
            y64 = y.detach().to(torch.float64)
            row.shape = list(y.shape)
            row.out_mean = float(y64.mean())
            row.out_std = float(y64.std()) if y64.numel() > 1 else 0.0
            row.nonfinite |= not bool(torch.isfinite(y64).all())
            if y.requires_grad:
                def grad_hook(g: torch.Tensor, key: str = key) -> None:
                    sq = float(g.detach().to(torch.float64).pow(2).sum())
                    self.grad_sq[key] = self.grad_sq.get(key, 0.0) + sq
                y.register_hook(grad_hook)
        return hook


def _call(model: nn.Module, inputs: Any) -> Any:
    if isinstance(inputs, dict):
        return model(**inputs)
    if isinstance(inputs, (tuple, list)):
        return model(*inputs)
    return model(inputs)


def _batch_size(inputs: Any) -> int:
    t = inputs if isinstance(inputs, torch.Tensor) else None
    if t is None:
        items = (inputs.values() if isinstance(inputs, dict)
                 else inputs if isinstance(inputs, (list, tuple)) else [])
        t = next((v for v in items if isinstance(v, torch.Tensor)), None)
    return int(t.shape[0]) if t is not None and t.dim() > 0 else 1


def diagnose(model: nn.Module, inputs: Any, loss_fn: Callable[[Any], torch.Tensor] | None = None, *,
             seed: int = 0) -> Diagnosis:
    """Run ``model`` forward and backward on ``inputs`` with hooks and diagnose it.

    Args:
        model: any ``nn.Module`` (MLP, CNN, transformer; torch.nn or actlab.nn activations).
        inputs: a tensor, a tuple of positional arguments, or a dict of keyword arguments.
        loss_fn: maps the model's output to a scalar loss; default: a fixed random projection.
        seed: seed of that random projection.

    Returns:
        A :class:`Diagnosis`: per-layer rows, findings with advice, the loss and the ratio of the
        first to the last weight layer's gradient norm. ``print(diagnosis)`` shows a table.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"diagnose() needs a torch.nn.Module, got {type(model).__name__}")
    buffers = {k: v.detach().clone() for k, v in model.named_buffers()}
    rec = _Recorder(model)
    rec.attach()
    try:
        with torch.enable_grad():
            output = _call(model, inputs)
            if loss_fn is not None:
                loss = loss_fn(output)
            else:
                y = _first_tensor(output)
                if y is None:
                    raise TypeError("the model's output has no floating-point tensor; pass loss_fn=")
                g = torch.randn(y.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
                loss = (y * g.to(y.dtype)).sum() / max(_batch_size(inputs), 1)
            if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
                raise TypeError("loss_fn must return a scalar tensor")
            named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
            grads = (torch.autograd.grad(loss, [p for _, p in named], allow_unused=True)
                     if named and loss.requires_grad else [None] * len(named))
    finally:
        rec.detach()
        with torch.no_grad():  # BatchNorm in train mode updated its running statistics: undo
            for k, v in model.named_buffers():
                if k in buffers:
                    v.copy_(buffers[k])
    batch = max(_batch_size(inputs), 1)
    grad_of = {n: g for (n, _), g in zip(named, grads)}
    modules = dict(model.named_modules())
    for name, row in rec.rows.items():
        if name in rec.grad_sq:
            row.grad_out = math.sqrt(rec.grad_sq[name] / batch)
    # modules with parameters that never ran their own forward (MultiheadAttention's out_proj)
    for name, m in modules.items():
        if name not in rec.rows and any(True for _ in m.parameters(recurse=False)) and name not in rec.acts:
            rec._row(name, m, _role(m))
            parent = name.rpartition(".")[0]
            rec.order.pop()
            family = [i for i, n in enumerate(rec.order) if n == parent or n.startswith(parent + ".")]
            rec.order.insert(family[-1] + 1 if family and parent else len(rec.order), name)
    prev = None
    for name in rec.order:
        row, m = rec.rows[name], modules.get(name)
        if m is None or row.role == "activation":
            continue
        pname = _main_param(m, name)
        if pname is None:
            continue
        p = dict(model.named_parameters())[pname]
        row.weight_norm = float(p.detach().to(torch.float64).norm())
        gp = grad_of.get(pname)
        row.grad_norm = 0.0 if gp is None else float(gp.to(torch.float64).norm())
        row.nonfinite |= gp is not None and not bool(torch.isfinite(gp).all())
        row.update_scale = row.grad_norm / row.weight_norm if row.weight_norm > 0 else None
        if row.role == "weight":
            if prev is not None and prev > 0:
                row.grad_ratio = row.grad_norm / prev
            prev = row.grad_norm
    layers = [rec.rows[n] for n in rec.order]
    weights = [r for r in layers if r.role == "weight" and r.grad_norm is not None]
    first_last = None
    if len(weights) >= 2 and weights[-1].grad_norm and weights[-1].grad_norm > 0:
        first_last = weights[0].grad_norm / weights[-1].grad_norm
    findings = _findings(layers, weights, first_last, float(loss.detach()))
    return Diagnosis(type(model).__name__, float(loss.detach()), layers, findings, first_last)


def _main_param(m: nn.Module, prefix: str) -> str | None:
    names = [n for n, p in m.named_parameters(recurse=False) if p.requires_grad]
    for preferred in ("weight", "in_proj_weight"):
        if preferred in names:
            return f"{prefix}.{preferred}" if prefix else preferred
    return (f"{prefix}.{names[0]}" if prefix else names[0]) if names else None


def _findings(layers: list[LayerReport], weights: list[LayerReport], first_last: float | None,
              loss: float) -> list[Finding]:
    out: list[Finding] = []
    if not math.isfinite(loss):
        out.append(Finding("error", None, f"the loss is {loss}",
                           "check the inputs for NaN/inf; lower the learning rate; compute in float32 or "
                           "bfloat16 rather than float16; clip gradients (torch.nn.utils.clip_grad_norm_)"))
    for r in layers:
        if r.nonfinite:
            out.append(Finding("error", r.name, "inf/NaN in this layer's activations or gradients",
                               "lower the learning rate, normalise the inputs, clip gradients, and avoid "
                               "float16 without loss scaling (torch.amp.GradScaler)"))
        if r.role == "activation" and r.dead is not None and r.dead >= DEAD_WARN:
            sev = "error" if r.dead >= DEAD_ERROR else "warning"
            shift = ""
            if r.dead_pre_mean is not None and r.dead_pre_mean < 0:
                shift = (f"; the dead units' pre-activations average {r.dead_pre_mean:.3g} (layer std "
                         f"{r.pre_std:.3g}): look for large negative biases before this layer")
            out.append(Finding(
                sev, r.name, f"{100 * r.dead:.0f}% of the {r.activation} units are dead (φ′ = 0 for every "
                f"input in the batch){shift}",
                "dead units get no gradient and never recover: lower the learning rate; use LeakyReLU, "
                "ELU or GELU (actlab.nn.replace_activations(model, 'relu', 'leaky_relu')); He/critical "
                "init (actlab.init.critical_(model)); reset biases to 0",
            ))
        if r.role == "activation" and r.saturated is not None and r.saturated >= SATURATED_WARN:
            out.append(Finding(
                "warning", r.name, f"{100 * r.saturated:.0f}% of the {r.activation} inputs are saturated "
                f"(|φ′| < {100 * SATURATION:.0f}% of its peak; pre-activation std {r.pre_std:.3g})",
                "scale the weights down (Xavier/LeCun, or actlab.init.critical_(model)); normalise the "
                "inputs; put BatchNorm/LayerNorm before the activation; or use a non-saturating one "
                "(ReLU family, GELU)",
            ))
        if r.role == "weight" and r.zero_inputs is not None and r.zero_inputs >= DEAD_WARN:
            out.append(Finding(
                "error" if r.zero_inputs >= DEAD_ERROR else "warning", r.name,
                f"{100 * r.zero_inputs:.0f}% of this layer's input features are 0 for every example "
                f"(dead units upstream)",
                "the activation before it has dead units: lower the learning rate, use LeakyReLU/ELU/GELU, "
                "He/critical init, check for large negative biases",
            ))
        if r.role == "weight" and r.grad_norm == 0.0 and r.weight_norm is not None:
            out.append(Finding("error", r.name, "no gradient reaches this layer (‖∇W‖ = 0)",
                               "dead units after it, a detached graph (.detach(), .data, torch.no_grad), "
                               "or float16 underflow (use torch.amp.GradScaler)"))
    if first_last is not None and first_last > 0 and len(weights) >= 3:  # 0: reported per layer
        n = len(weights)
        if first_last < VANISH:
            out.append(Finding(
                "warning", None, f"gradients vanish: ‖∇W‖ of the first weight layer is {first_last:.2g} × "
                f"the last one's over {n} layers (about {first_last ** (1 / (n - 1)):.3g}× per layer)",
                "critical initialisation (actlab.init.critical_(model)); normalisation (BatchNorm/"
                "LayerNorm); residual connections; a non-saturating activation (ReLU family, GELU, SELU)",
            ))
        elif first_last > EXPLODE:
            out.append(Finding(
                "warning", None, f"gradients explode: ‖∇W‖ of the first weight layer is {first_last:.2g} × "
                f"the last one's over {n} layers (about {first_last ** (1 / (n - 1)):.3g}× per layer)",
                "smaller initial weights (LeCun, or actlab.init.critical_(model)); normalisation layers; "
                "gradient clipping (torch.nn.utils.clip_grad_norm_); a lower learning rate",
            ))
    acts = [r for r in layers if r.role == "activation" and r.out_std is not None and r.out_std > 0]
    if len(acts) >= 3 and acts[-1].out_std / acts[0].out_std > EXPLODE:
        out.append(Finding("warning", acts[-1].name,
                           f"activations grow {acts[-1].out_std / acts[0].out_std:.2g}× from the first "
                           f"activation layer to the last",
                           "smaller initial weights (actlab.init.critical_(model)) or normalisation layers"))
    for r in acts:
        if r.out_mean is not None and r.out_std is not None and abs(r.out_mean) > 2 * r.out_std:
            out.append(Finding("info", r.name,
                               f"{r.activation} outputs are far from zero-mean (mean {r.out_mean:.3g}, std "
                               f"{r.out_std:.3g})",
                               "non-centred activations slow gradient descent (LeCun et al. 1998); "
                               "prefer a zero-centred activation (tanh, ELU, SELU) or add normalisation"))
            break
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(out, key=lambda f: order[f.severity])


# ------------------------------------------------------------------------------------- demos
DEMOS = ("healthy", "dead-relu", "sigmoid-deep", "cnn", "transformer")


def demo_model(name: str, seed: int = 0) -> tuple[Any, Any]:
    """(model, inputs) for a built-in demo: healthy | dead-relu | sigmoid-deep | cnn | transformer."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    if name == "healthy":
        model = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                              nn.Linear(128, 10))
        return model, torch.randn(256, 32)
    if name == "dead-relu":  # large negative biases kill 3/4 of the second ReLU layer's units
        model = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                              nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
        with torch.no_grad():
            model[2].bias[:96] = -4.0
        return model, torch.randn(256, 32)
    if name == "sigmoid-deep":
        blocks: list[nn.Module] = []
        for _ in range(20):
            lin = nn.Linear(64, 64)
            nn.init.xavier_normal_(lin.weight)
            nn.init.zeros_(lin.bias)
            blocks += [lin, nn.Sigmoid()]
        return nn.Sequential(*blocks), torch.randn(256, 64)
    if name == "cnn":
        import actlab

        model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                              nn.Conv2d(16, 32, 3, padding=1), actlab.nn.Activation("gelu"),
                              nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
        return model, torch.randn(16, 3, 16, 16)
    if name == "transformer":
        layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, dropout=0.0,
                                           batch_first=True)
        return nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False), torch.randn(8, 10, 32)
    raise ValueError(f"unknown demo {name!r}; choose one of {', '.join(DEMOS)}")
