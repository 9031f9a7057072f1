// actlab explorer, the shared core: constants, the catalog and the view's state, DOM helpers,
// the JSON API client and the URL hash (the view lives there:
//   #a=mish,swish&swish.beta=1.5&x=-6,6&show=f,df&sb2=0&swmax=4).
// The page only draws: every value comes from the JSON API, which the actlab library computes
// (no activation formula is written in these modules). The modules, loaded as ES modules from
// app.js: core.js (this), search.js (fuzzy search), curves.js (the curve cache and plot),
// analyses.js (properties table, mean field), app.js (controls, wiring, start).

export const DEFAULT = { sel: ["relu", "gelu", "swish"], xmin: -6, xmax: 6, show: ["f", "df"], sb2: 0, swmax: 4 };
export const ORDERS = [
  { key: "f", label: "", dash: "solid", width: 2.4 },
  { key: "df", label: "′", dash: "dash", width: 1.8 },
  { key: "d2f", label: "″", dash: "dot", width: 1.8 },
];
// The Okabe–Ito palette (Okabe & Ito 2008), safe for the common colour-vision deficiencies, in
// an order that keeps the look-alike pairs (blue/sky blue, vermillion/orange) apart; yellow is
// darkened to read on white. Derivative orders are told apart by dash, never by colour.
export const COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9", "#B8A400"];
export const POINTS = 801;

export const catalog = { byName: new Map(), alias: new Map(), families: [], features: {}, report: null };
export const state = { sel: [], params: {}, xmin: -6, xmax: 6, show: new Set(["f", "df"]), sb2: 0, swmax: 4 };
export const cache = { props: new Map(), meanfield: new Map() };
// What more than one module changes: imported bindings are read-only, so they live in one object.
export const view = {
  linkNotes: [],  // what a shared link asked for that does not exist; shown until the next change
  lastCurves: new Map(),  // the curves last drawn, redrawn when only the orders shown change
  lastInputAt: null,  // performance.now() of the last parameter input, for the latency stats
};

export const $ = (sel) => document.querySelector(sel);
export const el = (tag, attrs = {}, ...kids) => {
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
export const debounce = (fn, ms) => {
  let t;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
};
export const pretty = (family) => family.replace(/_/g, "-");
export const fmt = (v) => (v === null || v === undefined ? "—" : Number.isFinite(v) ? String(+v.toPrecision(6)) : String(v));
export const colorOf = (name) => COLORS[state.sel.indexOf(name) % COLORS.length];

export async function api(path, params) {
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
export function paramsOf(name) {
  const spec = catalog.byName.get(name);
  const values = {};
  for (const p of spec.params) values[p.name] = (state.params[name] || {})[p.name] ?? p.default;
  return values;
}

export function writeHash() {
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

export function readHash() {
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


// ------------------------------------------------------------------------------ status line
// Errors in red, notes (what is drawn for gated activations, ...) in grey.
export function showMessages(errors, notes) {
  const s = $("#status");
  s.className = "status";
  s.replaceChildren(...errors.map((t) => el("span", { class: "err", text: t })),
    ...notes.map((t) => el("span", { class: "note", text: t })));
}

export function setStatus(text, kind = "") {
  const s = $("#status");
  s.textContent = text;
  s.className = `status ${kind}`;
}
