// actlab explorer: f, f′, f″ — the curve cache (one request per activation, parameters and x
// range), the debounced refresh, and drawing them with Plotly (the global from plotly.min.js).

import { $, ORDERS, POINTS, api, colorOf, paramsOf, setStatus, showMessages, state, view, writeHash }
  from "./core.js";

let curveGeneration = 0;

// A curve is fetched once per (activation, parameters, x range): moving one activation's slider
// fetches that activation's curve only, the others come from this cache, and going back to a
// value seen before fetches nothing. Slider moves are debounced (a drag that keeps going still
// redraws every MAX_WAIT ms), and the same curve is never asked for twice at once.
const CURVE_CACHE_MAX = 400;  // ~25 kB each
const DEBOUNCE_MS = 50, MAX_WAIT_MS = 180;
const curveCache = new Map();  // key -> response, in least-recently-used order
const curveInflight = new Map();  // key -> Promise of the response
// What the page did, for people and for the browser tests (no timing is asserted from outside):
// curve requests sent, cache hits, draws, and the time from the last parameter input to the draw
// that shows it.
export const stats = { curveRequests: 0, cacheHits: 0, draws: 0, latencies: [], phases: [] };
window.actlabStats = stats;
let drawnGeneration = 0;

const curveKey = (name) => JSON.stringify([name, paramsOf(name), state.xmin, state.xmax, POINTS]);

function fetchCurve(name) {
  const key = curveKey(name);
  if (curveCache.has(key)) {
    const body = curveCache.get(key);
    curveCache.delete(key);
    curveCache.set(key, body);  // most recently used
    stats.cacheHits++;
    return Promise.resolve(body);
  }
  if (curveInflight.has(key)) return curveInflight.get(key);
  stats.curveRequests++;
  const request = api("/api/curve", { name, params: JSON.stringify(paramsOf(name)),
    xmin: state.xmin, xmax: state.xmax, n: POINTS })
    .then((body) => {
      curveCache.set(key, body);
      while (curveCache.size > CURVE_CACHE_MAX) curveCache.delete(curveCache.keys().next().value);
      return body;
    })
    .finally(() => curveInflight.delete(key));
  curveInflight.set(key, request);
  return request;
}

function debounceWithMaxWait(fn, wait, maxWait) {
  let timer = null, since = null;
  return () => {
    const now = performance.now();
    if (since === null) since = now;
    clearTimeout(timer);
    timer = setTimeout(() => { since = null; fn(); }, Math.max(0, Math.min(wait, since + maxWait - now)));
  };
}
export const refreshCurvesSoon = debounceWithMaxWait(() => refreshCurves(), DEBOUNCE_MS, MAX_WAIT_MS);

export async function refreshCurves() {
  const gen = ++curveGeneration;
  const inputAt = view.lastInputAt;
  const names = [...state.sel];
  if (!names.length) { view.lastCurves = new Map(); drawCurves(view.lastCurves); showMessages(view.linkNotes, []); return; }
  // say "computing…" only when it takes long enough to notice (not on every slider step)
  const busy = setTimeout(() => gen === curveGeneration && setStatus("computing…", "busy"), 300);
  const asked = performance.now();
  const results = await Promise.all(names.map((name) => fetchCurve(name).then(
    (body) => [name, body, null], (e) => [name, null, e.message])));
  const fetched = performance.now();
  clearTimeout(busy);
  // a newer view already drawn wins; an older one still draws while a drag outruns the server
  if (gen < drawnGeneration) return;
  drawnGeneration = gen;
  const curves = new Map(), errors = [];
  for (const [name, body, error] of results) {
    if (body) curves.set(name, body);
    else errors.push(`${name}: ${error}`);
    if (error) markInvalid(name);
  }
  view.lastCurves = curves;
  drawCurves(curves);
  const notes = [...curves.values()].map((c) => c.note).filter(Boolean);
  showMessages(view.linkNotes.concat(errors), notes);
  const drawn = performance.now();
  const latency = inputAt === null ? null : drawn - inputAt;
  if (latency !== null) {
    stats.latencies.push(Math.round(latency));
    // where the time went: waiting for the debounce, the server, Plotly
    stats.phases.push([Math.round(asked - inputAt), Math.round(fetched - asked), Math.round(drawn - fetched)]);
  }
  document.dispatchEvent(new CustomEvent("actlab:curves", { detail: { generation: gen, latency,
    requests: stats.curveRequests, names: [...curves.keys()] } }));
}

function markInvalid(name) {
  for (const input of document.querySelectorAll(`#params input[id^="n-${name}-"]`)) {
    input.setAttribute("aria-invalid", "true");
  }
}

// f′ and f″ jump at kinks: break their lines there and show the value the library takes at the
// kink itself (its convention, e.g. ReLU′(0) = 0) as a dot, not as a vertical segment.
function splitAtKinks(c, key) {
  if (key === "f" || !c.kinks.length) return { y: c[key], dots: null };
  const y = c[key].slice(), dots = { x: [], y: [] };
  c.x.forEach((v, i) => {
    if (!c.kinks.includes(v)) return;
    dots.x.push(v); dots.y.push(y[i]); y[i] = null;
  });
  return { y, dots };
}

export const isNarrow = () => window.innerWidth < 700;

export function drawCurves(curves) {
  const traces = [];
  for (const [name, c] of curves) {
    let first = true;  // one legend entry per activation: colour names it, dash names the order
    for (const o of ORDERS) {
      if (!state.show.has(o.key)) continue;
      const label = c.plotted !== name ? `${name} [${c.plotted}]` : name;
      const { y, dots } = splitAtKinks(c, o.key);
      traces.push({
        type: "scatter", mode: "lines", x: c.x, y, name: label, showlegend: first,
        line: { color: colorOf(name), dash: o.dash, width: o.width },
        legendgroup: name, connectgaps: false,
        meta: { name, order: o.key, params: c.params, plotted: c.plotted },
        hovertemplate: `%{y:.6g}<extra>${label}${o.label}</extra>`,
      });
      first = false;
      if (dots) {
        traces.push({
          type: "scatter", mode: "markers", x: dots.x, y: dots.y, showlegend: false, legendgroup: name,
          marker: { color: colorOf(name), size: 7, symbol: o.key === "df" ? "circle" : "circle-open" },
          meta: { name, order: o.key, params: c.params, plotted: c.plotted, kink: true },
          hovertemplate: `%{y:.6g} at the kink<extra>${label}${o.label}</extra>`,
        });
      }
    }
  }
  const narrow = isNarrow();
  const layout = {
    // the top margin is the toolbar's own strip: it never covers a curve or the legend
    margin: { l: 48, r: 12, t: 34, b: 40 },
    xaxis: { title: { text: narrow ? "" : "x" }, range: [state.xmin, state.xmax], zeroline: true,
      zerolinecolor: "#999", gridcolor: "#e6e6e6", hoverformat: ".4g" },
    yaxis: { title: { text: "value" }, autorange: true, zeroline: true, zerolinecolor: "#999", gridcolor: "#e6e6e6" },
    hovermode: "x unified",
    legend: legendFor(narrow),
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff", font: { size: narrow ? 11 : 12 },
  };
  if (!traces.length) {
    layout.annotations = [{ text: curves.size || state.sel.length ? "Tick f, f′ or f″ above" : "Select activations to plot",
      showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5, font: { size: 15, color: "#777" } }];
  }
  Plotly.react("curves", traces, layout, plotConfig());
  stats.draws++;
  $("#curves").dataset.draws = String(stats.draws);
}

// The legend sits outside the plot: to its right on a laptop, below it (in rows) on a phone.
export function legendFor(narrow) {
  return narrow ? { orientation: "h", x: 0, xanchor: "left", y: -0.1, yanchor: "top", font: { size: 11 } }
    : { x: 1.02, xanchor: "left", y: 1, yanchor: "top", font: { size: 12 } };
}

export function plotConfig() {
  // No "Share chart" (it uploads to Plotly's cloud): this page talks to its own server only.
  return { responsive: true, displaylogo: false, scrollZoom: false, plotlyServerURL: "",
    modeBarButtonsToRemove: ["lasso2d", "select2d", "sendChartToCloud", "sendDataToCloud"],
    toImageButtonOptions: { filename: "actlab" } };
}

export function onZoom(ev) {
  if (ev["xaxis.range[0]"] === undefined || ev["xaxis.range[1]"] === undefined) return;
  const r = (v) => +Number(v).toPrecision(4);
  const a = r(ev["xaxis.range[0]"]), b = r(ev["xaxis.range[1]"]);
  if (!(a < b) || (a === state.xmin && b === state.xmax)) return;
  state.xmin = a; state.xmax = b;
  $("#xmin").value = a; $("#xmax").value = b;
  writeHash();
  refreshCurvesSoon();
}
