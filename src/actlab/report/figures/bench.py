"""Figures of the training benchmarks (:mod:`actlab.bench`): learning curves, the depth test,
average ranks and the critical-difference diagram, drawn from the plain data the benchmarks
return.

The benchmarks describe each figure as a request (:func:`actlab.bench.stats.figure`:
``kind``, ``data``, ``file``, ``title``, ``caption``): ``actlab bench results --out``,
``actlab bench train --profile`` and the report's "Compare and choose" section hand them to
:func:`draw`. One colour per activation, the report's (:func:`actlab.report.plots.color_of`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import pyplot, save

__all__ = ["DPI", "KINDS", "cd", "depth", "draw", "draw_all", "learning_curves", "ranks", "report_figures"]

DPI = 120
QUIET_SATURATED, QUIET_DEAD = 0.01, 0.001  # below both throughout: nothing to show for an activation


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def _nan(v: Any) -> float:
    return float(v) if _finite(v) else math.nan


def _save(fig: Any, path: str | Path) -> Path:
    [out] = save(fig, path, dpi=DPI)  # a name without .png gets it
    return out


def learning_curves(data: Mapping[str, Any], path: str | Path, title: str = "") -> Path:
    """Metric and dead/saturated fractions vs step (mean and 95 % CI over seeds), one experiment;
    ``data`` is :func:`actlab.bench.stats.learning_curves_data`'s."""
    from ..plots import color_of

    plt = pyplot()
    metric = data["metric"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for act, c in data["curves"].items():
        color = color_of(act)
        ax1.plot(c["step"], [_nan(v) for v in c["mean"]], label=act, color=color)
        ax1.fill_between(c["step"], [_nan(v) for v in c["lo"]], [_nan(v) for v in c["hi"]], color=color,
                         alpha=0.2)
    quiet = []
    for act, c in data["saturated"].items():
        color = color_of(act)
        d = data["dead"][act]
        sat_max = max((v for v in c["mean"] if _finite(v)), default=math.nan)
        dead_max = max((v for v in d["mean"] if _finite(v)), default=math.nan)
        if sat_max < QUIET_SATURATED and dead_max < QUIET_DEAD:
            quiet.append(act)  # nothing to see: keep the legend for those that have something
            continue
        ax2.plot(c["step"], [_nan(v) for v in c["mean"]], color=color, label=f"{act} saturated")
        ax2.plot(d["step"], [_nan(v) for v in d["mean"]], color=color, linestyle="--", label=f"{act} dead")
    if quiet:
        ax2.text(0.02, 0.98, "below 1% saturated and 0.1% dead throughout:\n" + ", ".join(quiet),
                 transform=ax2.transAxes, va="top", fontsize=7, wrap=True)
    ax1.set_xlabel("training step")
    ax1.set_ylabel({"accuracy": "test accuracy", "bpc": "held-out bits per character"}.get(metric, metric))
    if metric == "bpc":
        finite = [v for c in data["curves"].values() for v in c["mean"][1:] if _finite(v)]
        if finite:  # the untrained model's 8 bits would flatten the interesting part
            ax1.set_ylim(min(finite) - 0.05, max(finite) + 0.05)
    ax1.set_title(title or "learning curves (mean, 95% CI over seeds)")
    ax2.set_xlabel("training step")
    ax2.set_ylabel("fraction (solid: saturated unit-example pairs; dashed: dead units)", fontsize=8)
    ax2.set_title("|f'| < 1e-3 on the probe batch")
    for ax in (ax1, ax2):
        ax.grid(True, alpha=0.3)
    ax1.legend(fontsize=8)
    if ax2.get_legend_handles_labels()[0]:
        ax2.legend(fontsize=7, loc="center right")
    return _save(fig, path)


def depth(data: Mapping[str, Any], path: str | Path, title: str = "") -> Path:
    """Test accuracy vs depth, mean and 95 % CI over seeds, one line per activation, single seeds
    as dots; ``data`` is :func:`actlab.bench.stats.depth_data`'s."""
    import numpy as np

    from ..plots import color_of

    plt = pyplot()
    rows = data["rows"]
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    acts = sorted({r["activation"] for r in rows})
    for i, act in enumerate(acts):
        rs = [r for r in rows if r["activation"] == act]
        d = np.array([r["depth"] for r in rs], dtype=float)
        m = np.array([_nan(r["mean"]) for r in rs])
        # the t-interval of a bounded metric can pass 1 (or 0); show it clipped to what is possible
        lo = np.clip([r["lo"] if _finite(r["lo"]) else _nan(r["mean"]) for r in rs], 0.0, 1.0)
        hi = np.clip([r["hi"] if _finite(r["hi"]) else _nan(r["mean"]) for r in rs], 0.0, 1.0)
        shift = 2 ** ((i - (len(acts) - 1) / 2) * 0.03)  # spread the activations a little sideways
        color = color_of(act)
        ax.errorbar(d * shift, m, yerr=[m - lo, hi - m], label=act, color=color, marker="o", capsize=3)
        seeds = [(s["depth"], s["metric"]) for s in data["seeds"]
                 if s["activation"] == act and _finite(s["metric"])]
        if seeds:
            sd, sm = zip(*seeds)
            ax.scatter(np.array(sd, dtype=float) * shift, sm, color=color, s=8, alpha=0.4)
    ax.set_xscale("log", base=2)
    depths = sorted({r["depth"] for r in rows})
    ax.set_xticks(depths, [str(d) for d in depths])
    ax.set_xlabel("hidden layers (log scale)")
    ax.set_ylabel("test accuracy")
    ax.set_title(title or f"depth test: plain MLPs on {data.get('dataset', '')} "
                 "(mean, 95% CI; dots: single seeds)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def ranks(rows: Sequence[Mapping[str, Any]], path: str | Path, title: str = "") -> Path:
    """Average rank (1 = best) with its 95 % bootstrap interval, best at the top; ``rows`` are
    :func:`actlab.bench.stats.average_ranks`'s (activation, avg_rank, lo, hi, n_experiments)."""
    import numpy as np

    from ..plots import color_of

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(rows) + 1.5))
    y = np.arange(len(rows))[::-1]
    for yi, x in zip(y, rows):
        r = float(x["avg_rank"])
        ax.errorbar([r], [yi], xerr=[[r - x["lo"]], [x["hi"] - r]], fmt="o", capsize=3,
                    color=color_of(x["activation"]))
    ax.set_yticks(y, [x["activation"] for x in rows])
    ax.set_xlim(0.5, len(rows) + 0.5)
    ax.set_xlabel("average rank over experiments (1 = best); bars: 95% bootstrap interval over seeds")
    n = rows[0]["n_experiments"] if rows else 0
    ax.set_title(title or f"average rank over {n} experiment(s)")
    ax.grid(True, axis="x", alpha=0.3)
    return _save(fig, path)


def cd(result: Mapping[str, Any], path: str | Path, title: str = "") -> Path:
    """Critical-difference diagram (Demšar 2006) of :func:`actlab.bench.compare.friedman`'s
    result: average ranks on an axis, best on the left; a red bar joins activations whose ranks
    differ by less than the Nemenyi CD (not separated)."""
    from ...bench.compare import cd_groups
    from ..plots import color_of

    plt = pyplot()
    order = sorted(result["ranks"].items(), key=lambda kv: kv[1])
    k, crit = len(order), result["cd"]
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.32 * max(k, 2)))
    ax.set_xlim(0.5, max(k, 2) + 0.5)
    ax.set_ylim(-(k + 1), 2.2)
    ax.axhline(0, color="black", lw=1)
    for i in range(1, max(k, 2) + 1):
        ax.plot([i, i], [0, 0.15], color="black", lw=1)
        ax.text(i, 0.3, str(i), ha="center", va="bottom", fontsize=8)
    half = (k + 1) // 2
    for j, (act, rk) in enumerate(order):
        y = -(j % half + 1) * 0.9 if half else -1
        x_text = 0.55 if j < half else max(k, 2) + 0.45
        ax.plot([rk, rk, x_text], [0, y, y], color=color_of(act), lw=1.2)
        ax.text(x_text, y, f" {act} ({rk:.2f}) ", ha="left" if j < half else "right", va="center", fontsize=8,
                color=color_of(act))
    if _finite(crit):
        ax.plot([1, 1 + crit], [1.3, 1.3], color="black", lw=2)
        ax.text(1 + crit / 2, 1.45, f"CD = {crit:.2f}", ha="center", va="bottom", fontsize=8)
        for level, (i, j) in enumerate(cd_groups(order, crit)):  # maximal groups not separated
            ax.plot([order[i][1] - 0.05, order[j][1] + 0.05], [-0.25 - 0.2 * level] * 2, color="red", lw=3)
    ax.axis("off")
    p = result.get("p", math.nan)
    ax.set_title(title or f"average rank over {result['n_experiments']} experiment(s); Friedman p = "
                 + (f"{p:.3g}" if _finite(p) else "n/a"), fontsize=9)
    return _save(fig, path)


KINDS: dict[str, Callable[..., Path]] = {"learning_curves": learning_curves, "depth": depth, "ranks": ranks,
                                         "cd": cd}


def draw(request: Mapping[str, Any], folder: str | Path) -> Path:
    """Draw one figure request (:func:`actlab.bench.stats.figure`) into ``folder``/its file."""
    kind = request["kind"]
    if kind not in KINDS:
        raise ValueError(f"unknown benchmark figure kind {kind!r}; known: {', '.join(KINDS)}")
    return KINDS[kind](request["data"], Path(folder) / request["file"], title=request.get("title", ""))


def draw_all(requests: Iterable[Mapping[str, Any]], folder: str | Path) -> list[Path]:
    """Draw every request into ``folder`` (made if missing); the files written, in order."""
    return [draw(r, folder) for r in requests]


def report_figures(data: Mapping[str, Any], outdir: str | Path) -> list[Path]:
    """The report's "Compare and choose" figures from its data's ``figures`` requests
    (:func:`actlab.bench.recommend.report_section`)."""
    return draw_all(data.get("figures", []), outdir)
