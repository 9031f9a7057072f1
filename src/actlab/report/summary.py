"""The report's first screen: which activation to pick for which situation and how sure, the
three things most worth knowing, and the notes that explain numbers which look like failures.

The picks come from the benchmark protocol's tuned results when the results store holds them
(the ``bench`` section's ``recommendations``, read read-only by :mod:`actlab.bench.recommend`);
otherwise from the analyses this report ran, and the summary says which. Everything here is
built from the sections' data; nothing is computed again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from . import html as H

__all__ = ["BENCH_COMMAND", "explain_gradflow", "explain_selfnorm", "readable_source", "summary"]

BENCH_COMMAND = "actlab bench train --profile ci"

_SOURCES = {"seed 000 (blog)": "a blog post on activations", "seed 003 (lecture notes)": "lecture notes",
            "textbook": "textbook statement"}


def readable_source(source: Any) -> str:
    """A claim's provenance for readers: ``"seed 000 (blog), Tanh"`` -> ``"a blog post on
    activations, section “Tanh”"``."""
    text = "" if source is None else str(source)
    head, _, rest = text.partition(", ")
    name = _SOURCES.get(head.strip())
    if name is None:
        return text
    return f"{name}, section “{rest.strip()}”" if rest.strip() else name


def explain_selfnorm(arm: Mapping[str, Any], chance: Any) -> str:
    """Why an arm reads "trained False" (or diverged), in one sentence; "" if nothing to explain."""
    if arm.get("diverged"):
        return "diverged: the loss became infinite or NaN, so the accuracies are not meaningful."
    if arm.get("trained") is False:
        acc = arm.get("test_accuracy")
        above = (f" Its test accuracy {H.num(acc)} against chance {H.num(chance)} shows it learned "
                 "little in the steps given" if isinstance(acc, (int, float)) and
                 isinstance(chance, (int, float)) else "")
        return ("“trained False” means the final training loss stayed above ½ ln K (half the loss of a "
                f"uniform guess); not a crash.{above}: slow, not broken — more steps or a "
                "normalisation fix it.")
    return ""


def explain_gradflow(run: Mapping[str, Any]) -> str:
    """Why a gradient-flow verdict may disagree with a flat ‖∇W‖ curve; "" if it does not."""
    verdict, ratio = run.get("verdict"), run.get("ratio_first_last", run.get("ratio"))
    if verdict == "vanishing" and isinstance(ratio, (int, float)) and math.isfinite(ratio) \
            and 0.1 <= ratio <= 10:
        return ("the verdict follows ‖δ‖, the back-propagated signal, which shrinks by χ₁ per layer "
                "(and the forward signal fades likewise); ‖∇W‖ = ‖δ‖·‖h‖ looks flat because the two "
                "shrink in opposite directions. With this init deep layers still see a fading signal "
                "(use He/Kaiming init for ReLU).")
    return ""


def _bench_picks(bench: Mapping[str, Any] | None) -> list[dict[str, str]]:
    rows = []
    for rec in (bench or {}).get("recommendations", []):
        if rec.get("available") and rec.get("pick"):
            tied = [t for t in rec.get("tied", []) if t != rec["pick"]]
            rows.append({"situation": {"vision": "image-like classification", "nlp": "language model",
                                       "deep": "very deep networks"}.get(rec["kind"], rec["kind"]),
                         "pick": rec["pick"],
                         "sure": f"{rec.get('confidence', '?')} ({rec.get('seeds', '?')} seeds"
                                 + (f"; tied with {', '.join(tied)}" if tied else "") + ")",
                         "basis": f"tuned benchmark, {rec.get('protocol', '')}".rstrip(", ")})
    return rows


def _analysis_picks(data: Mapping[str, Mapping[str, Any] | None]) -> list[dict[str, str]]:
    rows = []
    sn = data.get("selfnorm")
    if sn and sn.get("arms"):
        ok = [a for a in sn["arms"]
              if not a.get("diverged") and isinstance(a.get("test_accuracy"), (int, float))]
        if ok:
            best = max(ok, key=lambda a: a["test_accuracy"])
            rows.append({"situation": f"deep plain MLP ({sn.get('depth')} layers), no tuning",
                         "pick": best["arm"],
                         "sure": f"low: one seed, {sn.get('steps')} steps; test accuracy "
                                 f"{H.num(best['test_accuracy'])} "
                                 f"(chance {H.num(sn.get('chance_accuracy'))})",
                         "basis": "BatchNorm-or-self-normalisation analysis"})
    gf = data.get("gradflow")
    if gf and gf.get("runs"):
        stable = [r["activation"] for r in gf["runs"] if r.get("verdict") == "stable"]
        if stable:
            r0 = gf["runs"][0]
            rows.append({"situation": f"gradients through {r0.get('depth')} layers, {r0.get('init')} init",
                         "pick": ", ".join(stable),
                         "sure": "moderate: mean-field theory agrees with the measurement (χ₁ column)",
                         "basis": "gradient-flow analysis"})
    mf = data.get("meanfield")
    if mf and mf.get("selu"):
        rows.append({"situation": "no normalisation layers at all", "pick": "selu",
                     "sure": "theory: the only catalog activation with an attracting mean/variance "
                             "fixed point under LeCun-normal init",
                     "basis": "mean-field analysis"})
    rows.append({"situation": "a safe default elsewhere", "pick": "relu or gelu",
                 "sure": "convention, not measured here",
                 "basis": f"no tuned benchmark results; run {BENCH_COMMAND}"})
    return rows


def _facts(data: Mapping[str, Mapping[str, Any] | None]) -> list[str]:
    facts = []
    claims = data.get("claims")
    if claims and claims.get("rows"):
        rows = claims["rows"]
        false = sum(1 for r in rows if r.get("role") == "claim" and r.get("expected") is False)
        facts.append(f"{false} commonly quoted statements about activations are false (e.g. "
                     "tanh(x) = 2σ(2x − 1)); the Claims section shows each with its correction.")
    gf = data.get("gradflow")
    if gf and gf.get("half"):
        under = [r["activation"] for r in gf["half"] if r.get("first_underflow")]
        if under:
            facts.append(f"In float16, gradients of {', '.join(under)} underflow to exactly 0 in a "
                         "20-layer MLP: train these in float32/bfloat16 or with loss scaling.")
    acc = data.get("accuracy")
    if acc and acc.get("rows"):
        bad = sorted({r["name"] for r in acc["rows"] if not r.get("passed")})
        facts.append(f"{len(bad)} activation(s) exceed their accuracy bound against the 30-digit oracle"
                     + (f" ({', '.join(bad[:6])})." if bad else "; every one is within it."))
    facts.append("Polynomial activations (e.g. cube) make one hidden layer a polynomial: not a universal "
                 "approximator, whatever its width.")
    facts.append("SELU keeps activations normalised only with LeCun-normal init and no BatchNorm; "
                 "ReLU under Xavier init halves the signal per layer (use He init).")
    return facts[:3]


def summary(data: Mapping[str, Mapping[str, Any] | None], *, bench_ran: bool = True) -> H.Raw:
    """The answer-first box. ``data``: each section's data by key (None if it failed or was left
    out)."""
    picks = _bench_picks(data.get("bench"))
    if picks:
        basis = "From the benchmark protocol's tuned results in the results store (read-only)."
    else:
        picks = _analysis_picks(data)
        basis = ("No tuned benchmark results in the results store, so these picks come from the "
                 f"analyses in this report. Run <code>{BENCH_COMMAND}</code>, then rebuild the report, "
                 "to base them on trained networks (it fills “Compare and choose”).")
    table = H.table(picks, {"situation": "situation", "pick": "pick", "sure": "how sure", "basis": "from"},
                    cls="compact picks")
    facts = "".join(f"<li>{H.esc(f)}</li>" for f in _facts(data))
    return H.Raw(f'<section id="summary" class="summary"><h2>Which activation?</h2>'
                 f'<p class="note">{basis}</p>{table}'
                 f'<h3>Three things worth knowing</h3><ol>{facts}</ol></section>')
