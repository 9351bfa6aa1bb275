// Entry point of /compare: one tensor through every normalization layer, side by side. Reads the page's JSON
// blocks (state, first response), keeps the query string in step with the state, asks POST /api/v1/compare for
// new traces, and draws the panels once Plotly has loaded (after the first paint, as on /explain).

import * as api from "./api.js";
import { cellAt, gridLayout, sharedRange, stepCell, tokenLabel } from "./compare-grid.js";
import { TRACE, panelFigure, selectionUpdate } from "./compare-figure.js";
import { COMPARE_URL, LAYERS, currentG, divisors, requestBody, toQuery, tokensOn } from "./compare-state.js";
import { initInput } from "./compare-input.js";
import { gNote, renderCellNumbers, renderDetail, renderPanels, word } from "./compare-view.js";
import { fmt } from "./format.js";
import * as i18n from "./i18n.js";
import { loadPlotly } from "./stage.js";
import { axisNames, flat, indexText, size } from "./tensor.js";
import "./paper.js"; // printed: figures scaled to the paper
import { onSchemeChange } from "./theme.js";

const read = (id) => JSON.parse(document.getElementById(id).textContent);
const $ = (id) => document.getElementById(id);
const config = read("page-config");
const first = read("initial-compare");
const state = read("initial-state");
let input = first.request?.input ?? { random: state.source.random };
let data = first.response; // {traces, errors}
let Plotly = null;
let layout = null; // the grid every panel shares
i18n.init(read("i18n-strings"), state.lang, config.i18n);

const ctx = () => ({ t: i18n.t, lang: i18n.current(), words: config.words, titles: config.titles, names: names() });
const traces = () => data?.traces ?? {};
const shapeOf = () => Object.values(traces())[0]?.shape ?? null;

/** One set of axis names for every panel (each trace names its axes its own way: LayerNorm's (B, S, D)). */
function names() {
  const sample = traces().batch_norm ?? Object.values(traces())[0];
  if (!sample) return [];
  return state.tokensShown ? ["B", "S", "D"] : axisNames({ ...sample, axes: sample.axes });
}

function cellName(i) {
  const shape = shapeOf();
  if (!layout?.tokens) return indexText(i, shape);
  const [, S, D] = shape;
  const label = tokenLabel(shape, Object.values(traces())[0].labels);
  const b = Math.floor(i / (S * D));
  const s = Math.floor(i / D) % S;
  return `${label(b, s)} (b=${b}, s=${s}, d=${i % D})`;
}

// ---- text ------------------------------------------------------------------------------------------------------

function renderText() {
  const shape = shapeOf();
  const c = ctx();
  state.tokensShown = shape ? tokensOn(state, shape) : false;
  if (!shape) return;
  renderPanels(c, traces(), data.errors, state);
  renderDetail(c, traces(), state.cell, cellName);
  renderCellNumbers(c, traces(), state.cell);
  const C = shape.length >= 2 ? shape[1] : 1;
  const ds = divisors(C);
  const G = currentG(state, C);
  const slider = $("cmp-g");
  slider.max = String(ds.length - 1);
  slider.value = String(Math.max(0, ds.indexOf(G)));
  slider.disabled = shape.length < 2 || ds.length < 2;
  $("cmp-g-value").textContent = `G = ${G}`;
  slider.setAttribute("aria-valuetext", `G = ${G}`);
  $("cmp-g-note").textContent = shape.length < 2 ? "" : gNote(c, G, C);
  $("cmp-tokens").checked = state.tokensShown;
  $("cmp-tokens").disabled = shape.length !== 3;
  $("cmp-groups").checked = state.color === "groups";
  document.documentElement.dataset.color = state.color;
  const r = sharedRange(traces());
  $("cmp-scale-lo").textContent = state.color === "groups" ? "" : fmt(-r);
  $("cmp-scale-hi").textContent = state.color === "groups" ? word(c, "color_groups") : fmt(r);
  $("cmp-summary").textContent = word(c, state.tokensShown ? "summary_tokens" : "summary", { shape: shape.join(" × "), n: size(shape) });
  for (const tab of document.querySelectorAll(".cmp-tab")) {
    tab.textContent = c.t(`compare.tab_${tab.dataset.layer}`);
    tab.title = c.titles[tab.dataset.layer]?.[c.lang] ?? tab.dataset.layer;
    tab.setAttribute("aria-selected", String(tab.dataset.layer === state.show));
  }
  for (const p of document.querySelectorAll(".cmp-panel")) p.classList.toggle("is-shown", p.dataset.layer === state.show);
  $("cmp-explain-link").href = explainLink();
}

/** The explainer's readable link to the shown layer on this tensor (random tensors; else the explainer itself). */
function explainLink() {
  const r = input.random;
  if (!r) return "/explain";
  const q = [`layer=${state.show}`, `shape=${r.shape.join(",")}`, `seed=${r.seed ?? 0}`];
  const G = traces().group_norm?.params?.num_groups;
  if (state.show === "group_norm" && G) q.push(`num_groups=${G}`);
  return `/explain?${q.join("&")}`;
}

// ---- figures -----------------------------------------------------------------------------------------------------

let drawing = 0; // the latest drawAll: an older one stops between panels

/** Draw every panel, the shown one first, yielding to the browser between panels (the first figure is on screen
 *  after one panel's work, not six). Resolves when all are drawn. */
async function drawAll() {
  const shape = shapeOf();
  if (!Plotly || !shape) return;
  const run = ++drawing;
  layout = gridLayout(shape, state.tokensShown);
  if (state.cell >= size(shape)) state.cell = 0;
  const sample = Object.values(traces())[0];
  const opts = { range: sharedRange(traces()), color: state.color, cell: state.cell, t: i18n.t, names: names(), tokenLabel: layout.tokens ? tokenLabel(shape, sample.labels) : null, input: flat(sample.steps[0].values), cellName };
  const order = [state.show, ...LAYERS.filter((n) => n !== state.show)];
  for (const [k, name] of order.entries()) {
    if (k) await new Promise((done) => setTimeout(done, 0));
    if (run !== drawing) return;
    drawPanel(name, sample, opts);
    if (k === 0 && !performance.getEntriesByName("normlens:first-figure").length) performance.mark("normlens:first-figure");
  }
}

function drawPanel(name, sample, opts) {
  const el = $(`cmp-plot-${name}`);
  const trace = traces()[name];
  if (!trace || !sample.steps[0].values) {
    Plotly.purge(el);
    el.textContent = trace ? word(ctx(), "too_big") : "";
    return;
  }
  const width = Math.max(200, Math.floor(el.clientWidth || el.parentElement.clientWidth || 320));
  const maxHeight = innerWidth >= 900 ? Math.max(160, Math.min(250, innerHeight / 2 - 200)) : 420;
  const fig = panelFigure(trace, layout, { ...opts, width, maxHeight });
  el.querySelector(".plot-loading")?.remove();
  Plotly.react(el, fig.data, fig.layout, { displayModeBar: false, responsive: false, locale: i18n.current() === "zh" ? "zh-CN" : "en" });
  if (!el.dataset.wired) {
    el.dataset.wired = "1";
    el.on("plotly_click", (ev) => {
      const p = ev.points?.[0];
      const i = p ? cellAt(layout, Math.round(p.y), Math.round(p.x)) : -1;
      if (i >= 0) select(i);
    });
  }
}

function select(cell) {
  state.cell = cell;
  if (Plotly) {
    for (const name of LAYERS) {
      const trace = traces()[name];
      const el = $(`cmp-plot-${name}`);
      if (trace && el.data) Plotly.restyle(el, selectionUpdate(trace, layout, cell), [TRACE.halo, TRACE.group, TRACE.cell]);
    }
  }
  renderDetail(ctx(), traces(), cell, cellName);
  renderCellNumbers(ctx(), traces(), cell);
  document.documentElement.dataset.selected = String(cell);
  writeUrl();
}

// ---- requests ----------------------------------------------------------------------------------------------------

let inflight = null;
const status = (kind, text) => {
  $("cmp-status").dataset.kind = kind;
  $("cmp-status").textContent = text;
};

/** The shape of an input before it is traced (the toggles' params depend on it): a pasted text is read first. */
async function shapeFor(next, signal) {
  if (next.random) return next.random.shape;
  if (next.text !== undefined) {
    const r = await api.parse(next.text, signal);
    // a new paste is computed in the dtype it names; a later redraw of the same text keeps the reader's choice
    const dtype = next !== input && api.namedDtype(r);
    if (dtype) {
      state.dtype = dtype;
      $("cmp-dtype").value = dtype;
    }
    return r.shape;
  }
  return shapeOf() ?? [];
}

/** Ask for new traces of `next` input (default: the current one); on success adopt them and redraw. */
async function recompute(next = input) {
  inflight?.abort();
  inflight = new AbortController();
  status("busy", i18n.t("run.computing"));
  document.documentElement.dataset.busy = "1";
  try {
    const shape = await shapeFor(next, inflight.signal);
    data = await api.request("POST", COMPARE_URL, requestBody(state, next, shape), inflight.signal);
    input = next;
    status("ok", "");
    renderText();
    writeUrl();
    await drawAll();
    return true;
  } catch (err) {
    if (err.name === "AbortError") return false;
    status("error", api.errorMessage(err, i18n.current()));
    return false;
  } finally {
    delete document.documentElement.dataset.busy;
  }
}

// ---- the address bar ---------------------------------------------------------------------------------------------

function writeUrl() {
  history.replaceState(history.state, "", `/compare?${toQuery({ ...state, lang: i18n.current() })}`);
}

// ---- controls ----------------------------------------------------------------------------------------------------

$("cmp-g").addEventListener("input", (e) => {
  const C = shapeOf()?.[1] ?? 1;
  state.G = divisors(C)[Number(e.target.value)];
  $("cmp-g-value").textContent = `G = ${state.G}`;
  recompute();
});
$("cmp-tokens").addEventListener("change", (e) => {
  state.tokens = e.target.checked;
  recompute();
});
$("cmp-groups").addEventListener("change", (e) => {
  state.color = e.target.checked ? "groups" : "values";
  renderText();
  drawAll();
  writeUrl();
});
for (const box of document.querySelectorAll("[data-eval]")) {
  box.addEventListener("change", () => {
    const name = box.dataset.eval;
    state.eval = box.checked ? [...new Set([...state.eval, name])] : state.eval.filter((n) => n !== name);
    recompute();
  });
}
for (const tab of document.querySelectorAll(".cmp-tab")) {
  tab.addEventListener("click", () => {
    state.show = tab.dataset.layer;
    renderText();
    drawAll(); // a panel that was hidden had no width
    writeUrl();
  });
}
initInput({ state, recompute, writeUrl, lang: i18n.current });
$("cmp-dtype").addEventListener("change", (e) => {
  state.dtype = e.target.value;
  recompute();
});
for (const b of document.querySelectorAll(".lang-btn")) {
  b.addEventListener("click", async () => {
    await i18n.use(b.dataset.lang);
    renderText();
    drawAll();
    writeUrl();
  });
}
// the arrow keys move the selected cell in the focused panel (every panel follows)
const ARROWS = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
for (const el of document.querySelectorAll(".cmp-plot")) {
  el.addEventListener("keydown", (e) => {
    const d = ARROWS[e.key];
    if (!d || !layout) return;
    e.preventDefault();
    select(stepCell(layout, state.cell, d[0], d[1]));
  });
}
onSchemeChange(drawAll); // the system turned dark or light: the figures follow the page
window.addEventListener("resize", () => {
  clearTimeout(window.__cmpResize);
  window.__cmpResize = setTimeout(drawAll, 150);
});

// ---- start -------------------------------------------------------------------------------------------------------

if (first.ignored?.length || state.lost) status("info", word(ctx(), state.lost ? "lost_link" : "ignored", { names: (first.ignored || []).join(", ") }));
if (state.source.text !== undefined) $("cmp-text").value = state.source.text;
if (input.text !== undefined) $("cmp-text").value = input.text;
renderText();
requestAnimationFrame(() =>
  setTimeout(() => {
    loadPlotly(config.plotly_url)
      .then((P) => {
        Plotly = P;
        return drawAll();
      })
      .then(() => {
        document.documentElement.dataset.plotly = "ready"; // every panel drawn (tests wait on it)
      })
      .catch(() => {
        for (const el of document.querySelectorAll(".plot-loading")) el.textContent = i18n.t("fig.load_failed");
      });
  }, 0),
);

// for tests and the console: the current traces and state, read-only
window.normlens = { get compare() { return data; }, get state() { return state; }, get layout() { return layout; }, select };
