// actlab explorer: the analyses, which take seconds and are asked for one at a time — the
// properties table (spec facts, measured properties) and the mean-field χ₁ plot.

import { $, api, cache, catalog, colorOf, debounce, el, fmt, paramsOf, pretty, state } from "./core.js";
import { legendFor, plotConfig } from "./curves.js";

// Analyses take seconds and the server runs them one at a time anyway: the page sends one at a
// time too. A browser opens at most six connections to a server; were they all waiting on
// analyses, a slider's curve request would queue behind them.
let analysisChain = Promise.resolve();
function analysis(path, params) {
  const run = analysisChain.then(() => api(path, params));
  analysisChain = run.catch(() => null);
  return run;
}

export const refreshAnalysesSoon = debounce(() => { refreshProps(); refreshMeanfield(); }, 450);

export async function refreshProps() {
  const names = [...state.sel];
  const table = $("#props");
  if (!names.length) { table.replaceChildren(); return; }
  const keyOf = (n) => n + JSON.stringify(paramsOf(n));
  const missing = names.filter((n) => !cache.props.has(keyOf(n)));
  if (missing.length) renderProps(names, keyOf);
  // one at a time: the server analyses serially anyway, and the first columns fill in sooner
  for (const name of missing) {
    const key = keyOf(name);
    try {
      cache.props.set(key, await analysis("/api/properties", { name, params: JSON.stringify(paramsOf(name)) }));
    } catch (e) {
      cache.props.set(key, { error: e.message });
    }
    if (state.sel.includes(name)) renderProps([...state.sel], keyOf);
  }
  renderProps([...state.sel], keyOf);
}

// SymPy prints series as Python (x**2/8): show x^2/8 and a centred dot instead.
const readable = (text) => text.replace(/\*\*/g, "^").replace(/\*/g, "·");

// The formula as typeset math: SVG drawn by the server from the spec's LaTeX (no math library
// in the page, nothing from a CDN); the LaTeX stays available as its alt text and tooltip.
const formulaImg = (n) => el("img", { class: "formula", src: `/api/formula?name=${encodeURIComponent(n)}`,
  alt: catalog.byName.get(n).formula, title: catalog.byName.get(n).formula, loading: "lazy", decoding: "async" });

// One column per activation on a laptop; on a phone one small two-column table per activation,
// stacked, so nothing scrolls sideways.
export const phoneTable = window.matchMedia("(max-width: 600px)");

function propRows(names, got) {
  const rows = [];  // [label, cells, class]
  const spec = (n) => catalog.byName.get(n);
  rows.push(["summary", names.map((n) => spec(n).summary)]);
  rows.push(["formula", names.map(formulaImg)]);
  rows.push(["family · kind", names.map((n) => `${pretty(spec(n).family)} · ${spec(n).kind}`)]);
  rows.push(["parameters", names.map((n) => Object.entries(paramsOf(n)).map(([k, v]) => `${k} = ${fmt(v)}`).join(", ") || "—")]);
  rows.push(["kinks (spec)", names.map((n, i) => {
    const facts = got[i] && got[i].spec ? got[i].spec : spec(n);
    return facts.kinks.length ? facts.kinks.map(fmt).join(", ") : "—";
  })]);
  rows.push(["citation", names.map((n) => spec(n).citation), "cite"]);
  if (catalog.report) {  // `actlab serve --report DIR`: the activations with a page in DIR
    rows.push(["report", names.map((n) => (catalog.report.pages.includes(n)
      ? el("a", { class: "report-link", href: `/report/activations/${encodeURIComponent(n)}.html`, text: "report page" })
      : "—"))]);
  }
  const labels = [];
  for (const g of got) for (const r of (g && g.rows) || []) if (!labels.includes(r.label)) labels.push(r.label);
  if (labels.length || got.some((g) => !g || g.message || g.error)) {
    rows.push(["measured", null, "section"]);
    if (got.some((g) => !g || g.error || g.message)) {
      rows.push(["status", got.map((g) => (!g ? "measuring…" : g.error || g.message || "measured")), "status-row"]);
    }
    for (const label of labels) {
      rows.push([label, got.map((g) => {
        const r = g && g.rows ? g.rows.find((x) => x.label === label) : null;
        return r ? readable(r.value) : g ? "—" : "…";
      })]);
    }
  }
  return rows;
}

function renderProps(names, keyOf) {
  const table = $("#props");
  const got = names.map((n) => cache.props.get(keyOf(n)));
  const rows = propRows(names, got);
  const swatch = (n) => el("span", { class: "swatch", style: `background:${colorOf(n)}` });
  if (phoneTable.matches) {
    table.className = "props stacked";
    const bodies = names.map((n, i) => el("tbody", {},
      el("tr", { class: "act" }, el("th", { scope: "colgroup", colspan: 2 }, swatch(n), n)),
      ...rows.map(([label, cells, cls]) => (cells === null
        ? el("tr", { class: cls }, el("th", { colspan: 2, text: label }))
        : el("tr", cls ? { class: cls } : {}, el("th", { scope: "row", text: label }), el("td", {}, cells[i]))))));
    table.replaceChildren(...bodies);
    return;
  }
  table.className = "props";
  const head = el("tr", {}, el("th", { scope: "col", text: "" }),
    ...names.map((n) => el("th", { scope: "col" }, swatch(n), n)));
  const trs = rows.map(([label, cells, cls]) => (cells === null
    ? el("tr", { class: cls }, el("th", { colspan: names.length + 1, text: label }))
    : el("tr", cls ? { class: cls } : {}, el("th", { scope: "row", text: label }), ...cells.map((c) => el("td", {}, c)))));
  table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...trs));
}

// ------------------------------------------------------------------------------ mean field
export async function refreshMeanfield() {
  if (!catalog.features.meanfield) { $("#meanfield-card").hidden = true; return; }
  const names = [...state.sel];
  const keyOf = (n) => `${n}${JSON.stringify(paramsOf(n))}|${state.sb2}|${state.swmax}`;
  await Promise.all(names.filter((n) => !cache.meanfield.has(keyOf(n))).map(async (name) => {
    const key = keyOf(name);
    try {
      cache.meanfield.set(key, await analysis("/api/meanfield", { name, params: JSON.stringify(paramsOf(name)),
        sigma_b2: state.sb2, sw_min: Math.min(0.05, state.swmax / 10), sw_max: state.swmax, n: 120 }));
    } catch (e) {
      cache.meanfield.set(key, { error: e.message });
    }
  }));
  const now = [...state.sel];
  const traces = [], items = [];
  let top = 0;
  for (const name of now) {
    const mf = cache.meanfield.get(keyOf(name));
    if (!mf) continue;
    const color = colorOf(name);
    if (mf.error) {
      items.push(el("li", {}, el("span", { class: "swatch", style: `background:${color}` }), el("strong", { text: name }),
        `: ${mf.error}`));
      continue;
    }
    for (const v of mf.chi1) if (v !== null && v > top) top = v;
    // Where q* jumps between finite and ∞ (the signal starts to diverge) χ₁ jumps too: leave a gap
    // there instead of drawing a vertical line that no σ_w² has.
    const xs = [], ys = [], qs = [];
    mf.sigma_w2.forEach((s, i) => {
      if (i && (mf.q_star[i] === "inf") !== (mf.q_star[i - 1] === "inf")) { xs.push(s); ys.push(null); qs.push(""); }
      xs.push(s); ys.push(mf.chi1[i]); qs.push(mf.q_star[i] === "inf" ? "∞ (diverges)" : fmt(mf.q_star[i]));
    });
    traces.push({ type: "scatter", mode: "lines", x: xs, y: ys, customdata: qs, name, line: { color, width: 2.2 },
      meta: { name }, connectgaps: false,
      hovertemplate: `σ<sub>w</sub>²=%{x:.4g}  χ₁=%{y:.5g}  q*=%{customdata}<extra>${name}</extra>` });
    const c = mf.critical_sigma_w2;
    if (c !== null && c <= state.swmax) {
      traces.push({ type: "scatter", mode: "markers", x: [c], y: [1], name: `${name} critical`, showlegend: false,
        marker: { color, size: 11, symbol: "diamond", line: { color: "#fff", width: 1 } },
        hovertemplate: `critical σ<sub>w</sub>² = ${fmt(c)}<extra>${name}</extra>` });
    }
    const text = c !== null ? `edge of chaos at σ_w² = ${fmt(c)} (σ_b² = ${fmt(state.sb2)})`
      : `no edge of chaos: ${mf.critical_reason.replace(/^[^:]*:\s*/, "").replace(/;[^;]*\(\)[^;]*$/, "")}`;
    items.push(el("li", {}, el("span", { class: "swatch", style: `background:${color}` }), el("strong", { text: name }),
      `: ${text}`));
  }
  const clip = top > 4;
  const narrow = window.innerWidth < 700;
  const layout = {
    margin: { l: 48, r: 12, t: 34, b: 40 },
    xaxis: { title: { text: "σ<sub>w</sub>² (weight variance × fan-in)" }, range: [0, state.swmax], gridcolor: "#e6e6e6" },
    yaxis: { title: { text: "χ₁" }, gridcolor: "#e6e6e6", ...(clip ? { range: [0, 4] } : { rangemode: "tozero" }) },
    shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: 1, y1: 1, line: { color: "#444", dash: "dash", width: 1 } }],
    annotations: [{ xref: "paper", x: 1, y: 1, yanchor: "bottom", xanchor: "right", showarrow: false,
      text: "χ₁ = 1: edge of chaos", font: { size: 11, color: "#444" } }],
    hovermode: "closest", showlegend: true,
    legend: legendFor(narrow),
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff", font: { size: narrow ? 11 : 12 },
  };
  if (clip) items.push(el("li", { class: "muted", text: "χ₁ is drawn up to 4; larger values leave the plot." }));
  Plotly.react("meanfield", traces, layout, plotConfig());
  $("#critical").replaceChildren(...items);
}
