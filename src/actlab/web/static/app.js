// actlab explorer. This file only draws: every value comes from the JSON API, which the actlab
// library computes (no activation formula is written here). The view lives in the URL hash:
//   #a=mish,swish&swish.beta=1.5&x=-6,6&show=f,df&sb2=0&swmax=4
"use strict";

const DEFAULT = { sel: ["relu", "gelu", "swish"], xmin: -6, xmax: 6, show: ["f", "df"], sb2: 0, swmax: 4 };
const ORDERS = [
  { key: "f", label: "", dash: "solid", width: 2.4 },
  { key: "df", label: "′", dash: "dash", width: 1.8 },
  { key: "d2f", label: "″", dash: "dot", width: 1.8 },
];
// The Okabe–Ito palette (Okabe & Ito 2008), safe for the common colour-vision deficiencies, in
// an order that keeps the look-alike pairs (blue/sky blue, vermillion/orange) apart; yellow is
// darkened to read on white. Derivative orders are told apart by dash, never by colour.
const COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9", "#B8A400"];
const POINTS = 801;

const catalog = { byName: new Map(), alias: new Map(), families: [], features: {}, report: null };
const state = { sel: [], params: {}, xmin: -6, xmax: 6, show: new Set(["f", "df"]), sb2: 0, swmax: 4 };
const cache = { props: new Map(), meanfield: new Map() };
let curveGeneration = 0;
let linkNotes = [];  // what a shared link asked for that does not exist; shown until the next change
let lastCurves = new Map();

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...kids) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids) if (kid != null) node.append(kid);
  return node;
};
const debounce = (fn, ms) => {
  let t;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
};
const pretty = (family) => family.replace(/_/g, "-");
const fmt = (v) => (v === null || v === undefined ? "—" : Number.isFinite(v) ? String(+v.toPrecision(6)) : String(v));
const colorOf = (name) => COLORS[state.sel.indexOf(name) % COLORS.length];

async function api(path, params) {
  const url = path + (params ? "?" + new URLSearchParams(params) : "");
  let resp;
  try {
    resp = await fetch(url);
  } catch (e) {
    throw new Error("cannot reach the actlab server: is `actlab serve` still running?");
  }
  const body = await resp.json().catch(() => ({ error: `HTTP ${resp.status}` }));
  if (!resp.ok) throw new Error(body.error || `HTTP ${resp.status}`);
  return body;
}

// ------------------------------------------------------------------------------ URL state
function paramsOf(name) {
  const spec = catalog.byName.get(name);
  const values = {};
  for (const p of spec.params) values[p.name] = (state.params[name] || {})[p.name] ?? p.default;
  return values;
}

function writeHash() {
  const q = new URLSearchParams();
  q.set("a", state.sel.join(","));
  for (const name of state.sel) {
    for (const p of catalog.byName.get(name).params) {
      const v = (state.params[name] || {})[p.name];
      if (v !== undefined && v !== p.default) q.set(`${name}.${p.name}`, String(v));
    }
  }
  q.set("x", `${state.xmin},${state.xmax}`);
  q.set("show", [...state.show].join(","));
  if (state.sb2 !== DEFAULT.sb2) q.set("sb2", String(state.sb2));
  if (state.swmax !== DEFAULT.swmax) q.set("swmax", String(state.swmax));
  const hash = "#" + q.toString().replace(/%2C/g, ",");
  if (location.hash !== hash) history.replaceState(null, "", hash);
}

function readHash() {
  const q = new URLSearchParams(location.hash.slice(1));
  const notes = [];
  const num = (text, fallback) => {
    const v = Number(text);
    return text !== null && text !== "" && Number.isFinite(v) ? v : fallback;
  };
  const wanted = q.has("a") ? q.get("a").split(",").filter(Boolean) : DEFAULT.sel;
  state.sel = [];
  for (const asked of wanted) {
    const name = catalog.alias.get(asked.toLowerCase()) || asked;
    if (!catalog.byName.has(name)) notes.push(`unknown activation '${asked}' in the link was left out`);
    else if (!state.sel.includes(name)) state.sel.push(name);
  }
  state.params = {};
  for (const [key, value] of q.entries()) {
    const dot = key.indexOf(".");
    if (dot < 0) continue;
    const name = key.slice(0, dot), pname = key.slice(dot + 1);
    const spec = catalog.byName.get(name);
    if (!spec || !spec.params.some((p) => p.name === pname)) continue;
    const v = Number(value);
    if (value !== "" && Number.isFinite(v)) (state.params[name] ||= {})[pname] = v;
  }
  const [a, b] = (q.get("x") || "").split(",").map((t) => num(t, NaN));
  [state.xmin, state.xmax] = a < b ? [a, b] : [DEFAULT.xmin, DEFAULT.xmax];
  const show = (q.get("show") ?? DEFAULT.show.join(",")).split(",").filter((k) => ORDERS.some((o) => o.key === k));
  state.show = new Set(show);
  state.sb2 = Math.max(0, num(q.get("sb2"), DEFAULT.sb2));
  state.swmax = num(q.get("swmax"), DEFAULT.swmax) > 0.1 ? num(q.get("swmax"), DEFAULT.swmax) : DEFAULT.swmax;
  return notes;
}

// ------------------------------------------------------------------------------ activation list
// Fuzzy search: every word of the query must match the name or an alias (exactly, as a prefix or
// substring, as a subsequence such as "swsh" in swish, or within one or two typos such as
// "gleu"), or appear in the family, kind, summary or citation. Best matches first.
function editDistance(a, b) {  // Damerau–Levenshtein (optimal string alignment)
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

function isSubsequence(word, text) {
  let i = 0;
  for (const ch of text) if (ch === word[i]) i++;
  return i === word.length;
}

function wordScore(word, s) {
  let best = 0;
  const names = [s.name, ...s.aliases].map((n) => n.toLowerCase());
  names.forEach((name, k) => {
    const penalty = k ? 4 : 0;  // an alias counts a little less than the name
    const bare = name.replace(/[_-]/g, "");
    let score = 0;
    if (name === word || bare === word) score = 100;
    else if (name.startsWith(word) || bare.startsWith(word)) score = 85 - (name.length - word.length);
    else if (name.includes(word)) score = 70 - (name.length - word.length);
    else if (word.length >= 3) {
      // loose letters and typos compete: "gleu" is one typo from gelu, and only a loose
      // subsequence of general_relu, so gelu ranks first (each unmatched letter costs 3)
      const extra = bare.length - word.length;
      if (isSubsequence(word, bare)) score = (word[0] === bare[0] ? 60 : 45) - 3 * extra;
      const d = Math.min(editDistance(word, bare), editDistance(word, bare.slice(0, word.length)) + 1);
      if (d <= (word.length >= 6 ? 2 : 1)) score = Math.max(score, 52 - 8 * d);
    }
    best = Math.max(best, score - penalty);
  });
  if (!best && word.length >= 2) {
    const hay = [pretty(s.family), s.family, s.kind, s.summary, s.citation].join(" ").toLowerCase();
    if (hay.includes(word)) best = 20;
  }
  return best;
}

function searchScore(query, s) {
  let total = 0;
  for (const word of query.split(/\s+/).filter(Boolean)) {
    const score = wordScore(word, s);
    if (!score) return 0;
    total += score;
  }
  return total;
}

function pickItem(s) {
  const id = `pick-${s.name}`;
  const checked = state.sel.includes(s.name);
  const input = el("input", { type: "checkbox", id, checked, "data-name": s.name });
  input.addEventListener("change", () => toggle(s.name, input.checked));
  const badge = s.kind === "elementwise" ? null : el("span", { class: "badge", text: s.kind });
  const swatch = checked ? el("span", { class: "swatch", style: `background:${colorOf(s.name)}` }) : null;
  return el("li", { title: s.summary }, input,
    el("label", { for: id }, swatch, el("span", { class: "nm", text: s.name }), badge));
}

function renderList() {
  const query = $("#search").value.trim().toLowerCase();
  const box = $("#list");
  box.replaceChildren();
  const all = [...catalog.byName.values()];
  if (query) {  // one list, best match first
    const hits = all.map((s) => [searchScore(query, s), s]).filter(([score]) => score > 0)
      .sort((a, b) => b[0] - a[0] || a[1].name.localeCompare(b[1].name));
    if (hits.length) {
      box.append(el("div", { class: "family" }, el("h3", { text: "best matches" }),
        el("ul", {}, ...hits.map(([, s]) => pickItem(s)))));
    } else {
      box.append(el("p", { class: "empty", text: `No activation matches “${query}”.` }));
    }
    $("#list-count").textContent = `${hits.length} of ${catalog.byName.size} activations match`;
    return;
  }
  for (const family of catalog.families) {
    const items = all.filter((s) => s.family === family);
    if (!items.length) continue;
    box.append(el("div", { class: "family" }, el("h3", { text: `${pretty(family)} (${items.length})` }),
      el("ul", {}, ...items.map(pickItem))));
  }
  $("#list-count").textContent = `Browse all ${catalog.byName.size} activations`;
}

function renderChips() {
  const ul = $("#chips");
  ul.replaceChildren();
  for (const name of state.sel) {
    ul.append(el("li", { class: "chip", style: `--c:${colorOf(name)}` },
      el("span", { class: "swatch", style: `background:${colorOf(name)}` }), name,
      el("button", { type: "button", class: "x", title: `Remove ${name}`, "aria-label": `Remove ${name}`,
        text: "×", onclick: () => toggle(name, false) })));
  }
  if (!state.sel.length) ul.append(el("li", { class: "chip-empty", text: "Nothing selected: tick activations below." }));
  $("#clear").hidden = !state.sel.length;
}

function toggle(name, on) {
  linkNotes = [];
  const has = state.sel.includes(name);
  if (on && !has) state.sel.push(name);
  if (!on && has) state.sel = state.sel.filter((n) => n !== name);
  changed({ list: true });
}

// ------------------------------------------------------------------------------ parameters
function renderParams() {
  const box = $("#params");
  box.replaceChildren();
  for (const name of state.sel) {
    const spec = catalog.byName.get(name);
    if (!spec.params.length) continue;
    const values = paramsOf(name);
    const card = el("div", { class: "pcard", style: `--c:${colorOf(name)}` },
      el("div", { class: "pcard-head" }, el("strong", { text: name }),
        el("button", { type: "button", class: "linklike", text: "defaults", title: `Reset ${name}'s parameters`,
          onclick: () => { delete state.params[name]; changed({ params: true }); } })));
    for (const p of spec.params) {
      const sl = p.slider;
      const rid = `p-${name}-${p.name}`, nid = `n-${name}-${p.name}`;
      const range = el("input", { type: "range", id: rid, min: sl.min, max: sl.max, step: sl.step,
        value: values[p.name], "aria-label": `${name} ${p.name} slider` });
      const number = el("input", { type: "number", id: nid, step: "any", value: values[p.name],
        "aria-label": `${name} ${p.name} exact value` });
      range.addEventListener("input", () => {
        let v = Number(range.value);
        if (p.domain.exclude.includes(v)) v = +(v + sl.step).toFixed(12);  // e.g. CELU's α ≠ 0
        number.value = v;
        setParam(name, p.name, v, range, number);
      });
      number.addEventListener("input", () => {
        const v = Number(number.value);
        if (number.value === "" || !Number.isFinite(v)) return;
        range.value = v;
        setParam(name, p.name, v, range, number);
      });
      const learn = p.learnable ? " · learnable" : "";
      card.append(el("div", { class: "prow", title: p.doc },
        el("label", { for: nid, class: "pname", text: p.name }), range, number,
        el("span", { class: "domain", text: `${p.domain.text.replace(/inf/g, "∞")}${learn}` })));
    }
    box.append(card);
  }
  box.hidden = !box.children.length;
}

function setParam(name, pname, value, ...inputs) {
  linkNotes = [];
  lastInputAt = performance.now();
  (state.params[name] ||= {})[pname] = value;
  for (const input of inputs) input.removeAttribute("aria-invalid");
  writeHash();
  refreshCurvesSoon();
  refreshAnalysesSoon();
}

// ------------------------------------------------------------------------------ curves
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
const stats = { curveRequests: 0, cacheHits: 0, draws: 0, latencies: [], phases: [] };
window.actlabStats = stats;
let lastInputAt = null;
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
const refreshCurvesSoon = debounceWithMaxWait(() => refreshCurves(), DEBOUNCE_MS, MAX_WAIT_MS);

async function refreshCurves() {
  const gen = ++curveGeneration;
  const inputAt = lastInputAt;
  const names = [...state.sel];
  if (!names.length) { lastCurves = new Map(); drawCurves(lastCurves); showMessages(linkNotes, []); return; }
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
  lastCurves = curves;
  drawCurves(curves);
  const notes = [...curves.values()].map((c) => c.note).filter(Boolean);
  showMessages(linkNotes.concat(errors), notes);
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

const isNarrow = () => window.innerWidth < 700;

function drawCurves(curves) {
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
function legendFor(narrow) {
  return narrow ? { orientation: "h", x: 0, xanchor: "left", y: -0.1, yanchor: "top", font: { size: 11 } }
    : { x: 1.02, xanchor: "left", y: 1, yanchor: "top", font: { size: 12 } };
}

function plotConfig() {
  // No "Share chart" (it uploads to Plotly's cloud): this page talks to its own server only.
  return { responsive: true, displaylogo: false, scrollZoom: false, plotlyServerURL: "",
    modeBarButtonsToRemove: ["lasso2d", "select2d", "sendChartToCloud", "sendDataToCloud"],
    toImageButtonOptions: { filename: "actlab" } };
}

function onZoom(ev) {
  if (ev["xaxis.range[0]"] === undefined || ev["xaxis.range[1]"] === undefined) return;
  const r = (v) => +Number(v).toPrecision(4);
  const a = r(ev["xaxis.range[0]"]), b = r(ev["xaxis.range[1]"]);
  if (!(a < b) || (a === state.xmin && b === state.xmax)) return;
  state.xmin = a; state.xmax = b;
  $("#xmin").value = a; $("#xmax").value = b;
  writeHash();
  refreshCurvesSoon();
}

// ------------------------------------------------------------------------------ properties
// Analyses take seconds and the server runs them one at a time anyway: the page sends one at a
// time too. A browser opens at most six connections to a server; were they all waiting on
// analyses, a slider's curve request would queue behind them.
let analysisChain = Promise.resolve();
function analysis(path, params) {
  const run = analysisChain.then(() => api(path, params));
  analysisChain = run.catch(() => null);
  return run;
}

const refreshAnalysesSoon = debounce(() => { refreshProps(); refreshMeanfield(); }, 450);

async function refreshProps() {
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
const phoneTable = window.matchMedia("(max-width: 600px)");

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
async function refreshMeanfield() {
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

// ------------------------------------------------------------------------------ wiring
// Errors in red, notes (what is drawn for gated activations, ...) in grey.
function showMessages(errors, notes) {
  const s = $("#status");
  s.className = "status";
  s.replaceChildren(...errors.map((t) => el("span", { class: "err", text: t })),
    ...notes.map((t) => el("span", { class: "note", text: t })));
}

function setStatus(text, kind = "") {
  const s = $("#status");
  s.textContent = text;
  s.className = `status ${kind}`;
}

function changed({ list = false, params = true } = {}) {
  writeHash();
  if (list) renderList();
  renderChips();
  if (params) renderParams();
  refreshCurves();
  refreshAnalysesSoon();
}

function applyStateToControls() {
  $("#xmin").value = state.xmin;
  $("#xmax").value = state.xmax;
  for (const o of ORDERS) $(`#show-${o.key}`).checked = state.show.has(o.key);
  $("#sb2").value = state.sb2;
  $("#swmax").value = state.swmax;
}

function restoreFromUrl() {
  linkNotes = readHash();
  applyStateToControls();
  changed({ list: true });
}

function wire() {
  $("#search").addEventListener("input", () => { $("#list-box").open = true; renderList(); });
  $("#search").addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;  // Enter picks the first match
    const first = $("#list input[type=checkbox]:not(:checked)");
    if (first) { first.checked = true; toggle(first.dataset.name, true); }
  });
  $("#clear").addEventListener("click", () => { state.sel = []; changed({ list: true }); });
  for (const o of ORDERS) {
    $(`#show-${o.key}`).addEventListener("change", (e) => {
      if (e.target.checked) state.show.add(o.key); else state.show.delete(o.key);
      writeHash();
      drawCurves(lastCurves);
    });
  }
  const onRange = () => {
    const a = Number($("#xmin").value), b = Number($("#xmax").value);
    const ok = Number.isFinite(a) && Number.isFinite(b) && a < b;
    $("#xmin").toggleAttribute("aria-invalid", !ok);
    $("#xmax").toggleAttribute("aria-invalid", !ok);
    if (!ok) { setStatus("x range: ‘from’ must be less than ‘to’", "error"); return; }
    state.xmin = a; state.xmax = b;
    writeHash();
    refreshCurvesSoon();
  };
  $("#xmin").addEventListener("change", onRange);
  $("#xmax").addEventListener("change", onRange);
  $("#reset-x").addEventListener("click", () => {
    state.xmin = DEFAULT.xmin; state.xmax = DEFAULT.xmax;
    applyStateToControls(); writeHash(); refreshCurves();
  });
  const onMf = () => {
    const sb2 = Number($("#sb2").value), swmax = Number($("#swmax").value);
    if (!(sb2 >= 0) || !(swmax > 0.1)) return;
    state.sb2 = sb2; state.swmax = swmax;
    writeHash();
    refreshMeanfield();
  };
  $("#sb2").addEventListener("change", onMf);
  $("#swmax").addEventListener("change", onMf);
  $("#copy-link").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      setStatus("Link copied: it restores this exact view.");
    } catch (e) {
      setStatus(`Copy this link: ${location.href}`);
    }
  });
  window.addEventListener("hashchange", restoreFromUrl);
  phoneTable.addEventListener("change", () => refreshProps());
  // the legend moves below the plot on a phone: redraw from the cache when crossing that width
  let wasNarrow = isNarrow();
  window.addEventListener("resize", debounce(() => {
    if (isNarrow() !== wasNarrow) { wasNarrow = isNarrow(); drawCurves(lastCurves); refreshMeanfield(); }
  }, 150));
  // phones: start with the long list folded once something is selected
  if (window.innerWidth < 700 && state.sel.length) $("#list-box").open = false;
}

async function main() {
  let data;
  try {
    data = await api("/api/activations");
  } catch (e) {
    setStatus(e.message, "error");
    return;
  }
  for (const s of data.activations) {
    catalog.byName.set(s.name, s);
    for (const a of s.aliases) catalog.alias.set(a.toLowerCase(), s.name);
  }
  catalog.families = data.families;
  catalog.features = data.features;
  catalog.report = data.report || null;
  $("#version").textContent = data.version;
  if (!data.features.properties) {
    $("#props-note").textContent = "Facts from each activation's spec (the measured-properties module is not installed).";
  }
  linkNotes = readHash();
  applyStateToControls();
  wire();
  Plotly.newPlot("curves", [], {}, plotConfig());
  document.getElementById("curves").on("plotly_relayout", onZoom);
  changed({ list: true });
  document.body.dataset.ready = "true";
}

main();
