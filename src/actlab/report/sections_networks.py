"""The report's sections on activations inside networks: gradient flow (``gradflow``), mean-field
signal propagation (``meanfield``), BatchNorm against self-normalisation (``selfnorm``), the model
doctor on demo models (``doctor``) and training benchmarks from the results store (``bench``).

Each section's data come from the analyses (:mod:`actlab.analysis`, :mod:`actlab.bench`), run
here at the report's settings (``*_data(quick)``, plain JSON-ready dicts); its figures are drawn
from those data by :mod:`actlab.report.figures` and shown above a summary table.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import html as H
from .sections_base import Options, Section
from .summary import BENCH_COMMAND, explain_gradflow, explain_selfnorm

__all__ = [
    "BENCH", "DOCTOR", "DOCTOR_DEMOS", "GRADFLOW", "GRADFLOW_ACTIVATIONS", "MEANFIELD",
    "MEANFIELD_ACTIVATIONS", "SECTIONS", "SELFNORM", "doctor_data", "gradflow_data", "meanfield_data",
    "selfnorm_data",
]

GRADFLOW_ACTIVATIONS = ("sigmoid", "tanh", "relu", "selu", "gelu")
MEANFIELD_ACTIVATIONS = ("tanh", "relu", "selu", "elu", "sigmoid", "gelu", "swish")
DOCTOR_DEMOS = ("dead-relu", "sigmoid-deep", "transformer")

Figures = Callable[[dict[str, Any], str], list[Any]]  # (data, folder) -> files written


# ========================================================================================= data
def gradflow_data(quick: bool = False) -> dict[str, Any]:
    """``runs``: 20-layer MLPs under Xavier init in float32 for :data:`GRADFLOW_ACTIVATIONS`;
    ``half``: the same in float16 (where the products underflow); ``theory``: measured growth
    against χ₁ at width 512 (:func:`actlab.analysis.gradflow.theory_vs_simulation`)."""
    from ..analysis import gradflow

    width = 128 if quick else 256
    kw: dict[str, Any] = {"depth": 20, "width": width, "batch": 64, "init": "xavier"}
    runs = gradflow.compare(GRADFLOW_ACTIVATIONS, dtype="float32", **kw)
    half = gradflow.compare(GRADFLOW_ACTIVATIONS, dtype="float16", **kw)
    theory = gradflow.theory_vs_simulation(depth=24 if quick else 32)
    return {"runs": [r.to_dict() for r in runs], "half": [r.to_dict() for r in half], "theory": theory}


def meanfield_data(quick: bool = False) -> dict[str, Any]:
    """``edge``: :func:`~actlab.analysis.meanfield.analyse` at each activation's edge of chaos
    for σ_b² = 0 and 0.05 (or the reason there is none); ``selu``: the mean/variance fixed point
    under LeCun-normal weights; ``phase``: phase-diagram data for tanh and ReLU."""
    import actlab

    from ..analysis import meanfield as mf

    names = [n for n in MEANFIELD_ACTIVATIONS if n in actlab.names()]
    edge = []
    for sb2 in (0.0, 0.05):
        for name in names:
            try:
                edge.append(mf.analyse(name, mf.edge_of_chaos(name, sb2), sb2).to_dict())
            except ValueError as e:
                edge.append({"activation": name, "sigma_b2": sb2, "note": str(e)})
    selu = mf.moment_fixed_point("selu").to_dict() if "selu" in names else None
    phase = mf.phase_diagram(("tanh", "relu"), grid=21 if quick else 41, curve_points=8 if quick else 16)
    return {"edge": edge, "selu": selu, "phase": phase}


def selfnorm_data(quick: bool = False) -> dict[str, Any]:
    """32-layer MLPs, ReLU+BatchNorm, SELU, ELU and plain ReLU, SGD (momentum 0.9, lr 0.01): a
    ``SelfNormResult.to_dict()``."""
    from ..analysis import selfnorm

    kw: dict[str, Any] = ({"width": 64, "steps": 150, "n_train": 1024} if quick
                          else {"width": 128, "steps": 300, "n_train": 2048})
    return selfnorm.run(("relu+bn", "selu", "elu", "relu"), depth=32, **kw).to_dict()


def doctor_data(demos: tuple[str, ...] = DOCTOR_DEMOS) -> dict[str, Any]:
    """Each demo model's diagnosis and its text: ``{demo: {"report": ..., "text": ...}}``."""
    from ..analysis.doctor import demo_model, diagnose

    out = {}
    for name in demos:
        model, inputs = demo_model(name)
        report = diagnose(model, inputs)
        out[name] = {"report": report.to_dict(), "text": str(report)}
    return out


def with_figures(data: dict[str, Any], figures: Figures) -> dict[str, Any]:
    """``data`` with the PNG figures ``figures(data, folder)`` saves as its ``assets``
    (``figure:STEM``, in the order made)."""
    if "assets" in data:
        raise ValueError("the key 'assets' of a section's data is reserved for its figures")
    assets = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in figures(data, tmp):
            p = Path(path)
            if p.suffix == ".png":
                assets[f"figure:{p.stem}"] = p.read_bytes()
    return {**data, "assets": assets}


def _gradflow_compute(opt: Options, part: Any) -> dict[str, Any]:
    from .figures import gradflow

    return with_figures(gradflow_data(opt.quick), gradflow.report_figures)


def _meanfield_compute(opt: Options, part: Any) -> dict[str, Any]:
    from .figures import meanfield

    return with_figures(meanfield_data(opt.quick), meanfield.report_figures)


def _selfnorm_compute(opt: Options, part: Any) -> dict[str, Any]:
    from .figures import selfnorm

    return with_figures(selfnorm_data(opt.quick), selfnorm.report_figures)


def _doctor_compute(opt: Options, part: Any) -> dict[str, Any]:
    from .figures import doctor

    return with_figures(doctor_data(), doctor.report_figures)


def _bench_compute(opt: Options, part: Any) -> dict[str, Any]:
    from ..bench import report
    from .figures import bench

    return with_figures(report.report_data(quick=opt.quick), bench.report_figures)


# ======================================================================================= render
def _with_figures_above(title: str, render: Callable[[dict[str, Any], Options], Any]
                        ) -> Callable[[dict[str, Any], Options], Any]:
    """A section's render: its figures first, then ``render(data without assets, options)``."""
    def full_render(out: dict[str, Any], opt: Options) -> Any:
        figs = [H.figure(png, f"{title}: {name.split(':', 1)[1]}", scale=0.6)  # in the order made
                for name, png in out.get("assets", {}).items()]
        try:
            below = render({k: v for k, v in out.items() if k != "assets"}, opt)
        except Exception as e:  # the figures are still worth showing
            below = H.error_box("summary table", f"{type(e).__name__}: {e}")
        return H.join([H.Raw(f'<div class="figs">{"".join(figs)}</div>'), below])

    return full_render


def _gradflow_render(data: dict[str, Any], opt: Options) -> Any:
    rows = []
    for r in data.get("runs", []) + data.get("half", []):
        rows.append({"activation": r["activation"], "dtype": r["dtype"], "init": r["init"],
                     "depth": r["depth"], "width": r["width"], "verdict": r["verdict"],
                     "growth": r["growth"], "chi1": r["chi1"], "ratio": r["ratio_first_last"],
                     "underflow": r["first_underflow"], "why": explain_gradflow(r)})
    verdict = {"vanishing": "bad", "exploding": "bad", "stable": "ok"}
    parts = [H.table(rows, {"activation": "activation", "dtype": "dtype", "init": "init", "depth": "depth",
                            "width": "width", "verdict": "verdict",
                            "growth": "growth of ‖δ‖² per layer", "chi1": "mean-field χ₁",
                            "ratio": "‖∇W¹‖ / ‖∇Wᴸ‖", "underflow": "underflows at layer",
                            "why": "how to read it"},
                     numeric=("depth", "width", "growth", "chi1", "ratio", "underflow"), cls="compact",
                     cell=lambda k, v, r: H.badge(v, verdict.get(v, "info")) if k == "verdict"
                     else H.Raw(f'<span class="small">{H.esc(v)}</span>') if k == "why" else None)]
    if data.get("theory"):
        parts.append(H.Raw("<h3>Theory against simulation</h3>"))
        parts.append(H.table(data["theory"], {"activation": "activation", "sigma_w2": "σ_w²",
                                              "sigma_b2": "σ_b²", "q_star": "q*", "chi1": "χ₁ (theory)",
                                              "measured": "measured growth", "rel_error": "relative error"},
                             numeric=("sigma_w2", "sigma_b2", "q_star", "chi1", "measured", "rel_error"),
                             cls="compact"))
    return H.join(parts)


def _meanfield_render(data: dict[str, Any], opt: Options) -> Any:
    rows = [r for r in data.get("edge", [])]
    cols = {"activation": "activation", "sigma_b2": "σ_b²", "sigma_w2": "σ_w² at the edge of chaos",
            "q_star": "q*", "chi1": "χ₁", "xi_c": "depth scale ξ_c", "note": "note"}
    present = {k: v for k, v in cols.items() if any(k in r for r in rows)}
    parts = [H.table(rows, present, numeric=("sigma_b2", "sigma_w2", "q_star", "chi1", "xi_c"),
                     cls="compact")]
    selu = data.get("selu")
    if selu:
        fp = ", ".join(f"{k} = {H.num(v, 5)}" for k, v in selu.items()
                       if isinstance(v, (int, float)) and not isinstance(v, bool))
        parts.append(H.note(f"SELU's mean/variance map under LeCun-normal weights: {fp}."))
    return H.join(parts)


def _selfnorm_render(data: dict[str, Any], opt: Options) -> Any:
    arms = data.get("arms", [])
    keys = ("arm", "initial_loss", "final_loss", "train_accuracy", "test_accuracy", "trained", "diverged",
            "grad_first_last")
    rows = [{**{k: a.get(k) for k in keys}, "why": explain_selfnorm(a, data.get("chance_accuracy"))}
            for a in arms]
    present = [k for k in keys if any(r.get(k) is not None for r in rows)]
    if any(r["why"] for r in rows):
        present.append("why")
    return H.join([
        H.note(f"{data.get('depth')}-layer MLPs, width {data.get('width')}, {data.get('steps')} steps of "
               f"{data.get('optimizer')} (lr {data.get('lr')}); chance accuracy "
               f"{H.num(data.get('chance_accuracy'))}."),
        H.table(rows, present, numeric=[k for k in present if k not in ("arm", "trained", "diverged", "why")],
                cls="compact",
                cell=lambda k, v, r: H.Raw(f'<span class="small">{H.esc(v)}</span>') if k == "why" else None),
    ])


def _doctor_render(data: dict[str, Any], opt: Options) -> Any:
    parts = []
    for name, entry in data.items():
        rep = entry.get("report", {})
        findings = rep.get("findings", [])
        colour = {"error": "bad", "warning": "warn"}
        items = "".join(
            f"<li>{H.badge(f.get('severity', ''), colour.get(f.get('severity'), 'info'))} "
            f"{H.esc(f.get('problem', ''))}<br><span class='small'>→ {H.esc(f.get('advice', ''))}</span></li>"
            for f in findings) or "<li>No problems found.</li>"
        parts.append(H.Raw(f"<h3>demo model: {H.esc(name)}</h3><ul>{items}</ul>"))
    return H.join(parts)


def _bench_render(data: dict[str, Any], opt: Options) -> Any:
    parts = [H.note(n) for n in data.get("notes", [])]
    for rec in data.get("recommendations", []):
        if rec.get("available") and rec.get("statement"):
            parts.append(H.Raw(f"<p><b>{H.esc(rec.get('kind', ''))}:</b> {H.esc(rec['statement'])}</p>"))
    tables = [t for t in data.get("tables", []) if t.get("rows")]
    if not tables and not any(r.get("available") for r in data.get("recommendations", [])):
        parts.insert(0, H.Raw(f'<p class="empty"><b>Empty: the results store has no tuned runs yet.</b> '
                              f'Fill it with <code>{BENCH_COMMAND}</code> (a few minutes; '
                              '<code>actlab bench quick</code> runs the same profile), then build the report '
                              'again.</p>'))
    for t in tables:
        parts.append(H.Raw(f"<h3>{H.esc(t.get('title', ''))}</h3>"))
        parts.append(H.table(t.get("rows", []), t.get("columns", []), cls="compact"))
    return H.join(parts)


# ===================================================================================== sections
def _section(key: str, title: str, compute: Callable[[Options, Any], dict[str, Any]],
             render: Callable[[dict[str, Any], Options], Any], **kw: Any) -> Section:
    return Section(key, title, compute, _with_figures_above(title, render), **kw)


GRADFLOW = _section(
    "gradflow", "Gradient flow through deep MLPs", _gradflow_compute, _gradflow_render, order=70,
    weight=15,
    intro="One forward and backward pass through 20-layer MLPs: the norm of each layer's weight "
          "gradient, in float32 and in float16 (where products of many φ′ < 1 underflow), and the "
          "measured per-layer growth against mean-field theory's χ₁ (Schoenholz et al. 2017).")
MEANFIELD = _section(
    "meanfield", "Mean-field signal propagation", _meanfield_compute, _meanfield_render, order=80,
    weight=5,
    intro="Infinite-width random networks: each activation's edge of chaos (χ₁ = 1), where signals "
          "and gradients neither vanish nor explode with depth (Poole et al. 2016), and the "
          "order-to-chaos phase diagram.")
SELFNORM = _section(
    "selfnorm", "BatchNorm or self-normalisation?", _selfnorm_compute, _selfnorm_render, order=90,
    weight=28,
    intro="Deep (32-layer) MLPs trained on the same task: ReLU + BatchNorm, SELU (self-normalising, "
          "Klambauer et al. 2017), ELU and plain ReLU; loss curves and per-layer statistics at init.")
DOCTOR = _section(
    "doctor", "Model doctor on demo models", _doctor_compute, _doctor_render, order=100, weight=3,
    intro="actlab doctor runs one pass through any nn.Module with hooks and reports dead and saturated "
          "units and vanishing or exploding gradients with advice; here on built-in demo models.")
BENCH = _section(
    "bench", "Compare and choose: training on real data", _bench_compute, _bench_render,
    order=110, weight=3,
    intro="Activations trained with the same model, data, optimiser and seeds (digits, MNIST-1D, a "
          "byte-level transformer, the depth test): mean and 95% interval over seeds, paired tests "
          "with Holm's correction, and a recommendation that claims only what the tests support. "
          "From the results store; `make demo` runs a quick sweep first, `actlab bench train` more.")

SECTIONS = (GRADFLOW, MEANFIELD, SELFNORM, DOCTOR, BENCH)
