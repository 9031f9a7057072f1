// actlab explorer: the controls (activation list, chips, parameter sliders, x range, orders
// shown, mean-field settings), their wiring and the start. The entry module (index.html loads it
// with <script type="module">); the other modules are described in core.js.

import { phoneTable, refreshAnalysesSoon, refreshMeanfield, refreshProps } from "./analyses.js";
import { $, DEFAULT, ORDERS, api, catalog, colorOf, debounce, el, paramsOf, pretty, readHash, setStatus, state,
  view, writeHash } from "./core.js";
import { drawCurves, isNarrow, onZoom, plotConfig, refreshCurves, refreshCurvesSoon } from "./curves.js";
import { searchScore } from "./search.js";

// ------------------------------------------------------------------------------ activation list
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
  view.linkNotes = [];
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
  view.linkNotes = [];
  view.lastInputAt = performance.now();
  (state.params[name] ||= {})[pname] = value;
  for (const input of inputs) input.removeAttribute("aria-invalid");
  writeHash();
  refreshCurvesSoon();
  refreshAnalysesSoon();
}


// ------------------------------------------------------------------------------ wiring
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
  view.linkNotes = readHash();
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
      drawCurves(view.lastCurves);
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
    if (isNarrow() !== wasNarrow) { wasNarrow = isNarrow(); drawCurves(view.lastCurves); refreshMeanfield(); }
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
  view.linkNotes = readHash();
  applyStateToControls();
  wire();
  Plotly.newPlot("curves", [], {}, plotConfig());
  document.getElementById("curves").on("plotly_relayout", onZoom);
  changed({ list: true });
  document.body.dataset.ready = "true";
}

main();
