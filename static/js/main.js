// Entry point of /explain: reads the page's JSON blocks (state, trace, layer specs, strings), wires the
// modules, and keeps the page in step with the state. Text renders first; Plotly loads after the first paint.

import { initEditor } from "./editor.js";
import { fitParams, initForm, startingParams } from "./form.js";
import * as i18n from "./i18n.js";
import { initMasks } from "./masks.js";
import { railEdges, renderLesson, renderNumbers, renderStep } from "./narrative.js";
import { randomAffine, renderAffineNote, renderCounts } from "./panels.js";
import { initPermalink } from "./permalink.js";
import { initPlayer } from "./player.js";
import { createStage, loadPlotly } from "./stage.js";
import * as S from "./state.js";
import { completeSummaries } from "./summary.js";
import { renderTable } from "./table.js";
import { groupIds, members, paramIndex, paramMembers } from "./tensor.js";
import "./paper.js"; // printed: figures scaled to the paper
import { onSchemeChange } from "./theme.js";
import { initTracing } from "./tracing.js";

const read = (id) => JSON.parse(document.getElementById(id).textContent);
const $ = (id) => document.getElementById(id);

const config = read("page-config");
const specs = read("layer-specs");
let trace = completeSummaries(read("initial-trace"));
let traceCount = 0;
trace.__id = ++traceCount;
S.init(read("initial-state"));
i18n.init(read("i18n-strings"), S.get().view.lang, config.i18n);

const t = (k, v) => i18n.t(k, v);
const pick = (x) => i18n.pick(x);
const spec = () => specs.find((s) => s.name === S.get().layer);

function stepIndex() {
  const id = S.get().view.step;
  const i = trace.steps.findIndex((s) => s.id === id);
  return i < 0 ? 0 : i;
}

const view = () => {
  const s = S.get();
  return { group: s.view.group, cell: s.ui.cell, lang: s.view.lang, speed: s.ui.speed, t, pick, paramIndex: paramIndex(trace, s.ui.cell) };
};
const textCtx = () => ({ t, pick, spec: spec(), stepIndex: stepIndex(), answer: config.answer_step });

// ---- modules ------------------------------------------------------------------------------------------------

const form = initForm({ specs, state: S.get, setParams: (params) => S.set({ params }), t, pick });
// a new input keeps the arguments that still fit its shape (fitParams); the form shows what changed
const fit = (shape) => {
  const s = S.get();
  const params = fitParams(specs.find((x) => x.name === s.layer), s.params, shape);
  if (params === s.params) return {};
  queueMicrotask(() => form.render());
  return { params };
};
const editor = initEditor({ state: S.get, set: S.set, t, lang: () => S.get().view.lang, fit });
const player = initPlayer({
  count: () => trace.steps.length,
  index: stepIndex,
  go: (i) => S.set({ view: { ...S.get().view, step: trace.steps[i].id } }),
  speed: () => S.get().ui.speed || 1,
  setSpeed: (speed) => S.set({ ui: { ...S.get().ui, speed } }),
  t,
});
const stage = createStage({
  cell: (i) => selectCell(i),
  group: (g) => selectGroup(g),
  param: (j) => {
    const feed = paramMembers(trace, j);
    if (feed.length) selectCell(feed[0]);
  },
});

function selectCell(i) {
  const ids = groupIds(trace);
  const s = S.get();
  S.set({ ui: { ...s.ui, cell: i }, view: { ...s.view, group: ids ? ids[i] : s.view.group } });
}

function selectGroup(g) {
  const s = S.get();
  const ids = groupIds(trace);
  const cell = ids && ids[s.ui.cell] === g ? s.ui.cell : members(trace, g)[0] ?? 0;
  S.set({ ui: { ...s.ui, cell }, view: { ...s.view, group: g } });
}

// ---- tracing ---------------------------------------------------------------------------------------------------

const tracing = initTracing({
  state: S.get,
  request: S.toRequest,
  t,
  form,
  editor,
  adopt: (next) => {
    next = completeSummaries(next);
    next.__id = ++traceCount;
    adopt(next);
  },
});

// ---- rendering ------------------------------------------------------------------------------------------------

function renderTableNow() {
  const s = S.get();
  renderTable($("numbers-table"), trace, stepIndex(), { group: s.view.group, cell: s.ui.cell, showAll: s.ui.showAll, t, pick });
}

const masks = initMasks({
  state: S.get,
  setSeed: (seed) => {
    S.set({ params: { ...S.get().params, seed } });
    form.render(); // the seed field shows the new seed
  },
  request: S.toRequest,
  t,
});

/** What depends on the step beyond its words: the gamma/beta note. */
function renderStepExtras() {
  renderAffineNote(trace, stepIndex(), S.get().params, { t });
}

function renderAll() {
  renderLesson(trace, S.get(), textCtx());
  renderStepExtras();
  renderCounts(trace, { t });
  masks.update(trace);
  renderTableNow();
  player.sync();
  stage.render(trace, stepIndex(), view());
}

S.subscribe((s, changed, prev) => {
  if (changed.includes("layer")) {
    // (a change of params alone comes from the form itself: re-rendering it would steal the focus)
    $("layer").value = s.layer;
    form.render();
  }
  if (changed.some((k) => S.TRACE_KEYS.includes(k))) tracing.schedule();
  if (changed.includes("view")) {
    if (s.view.lang !== prev.view.lang) {
      i18n.use(s.view.lang).then(() => {
        form.render();
        editor.relabel();
        tracing.relabel();
        renderAll();
      });
      return;
    }
    if (s.view.step !== prev.view.step) {
      renderStep(trace, s, textCtx());
      renderStepExtras();
      renderTableNow();
      player.sync();
      stage.render(trace, stepIndex(), view(), { animate: true });
      return;
    }
  }
  if (changed.includes("view") || changed.includes("ui")) {
    if (s.ui.showAll !== prev.ui.showAll || s.view.group !== prev.view.group || s.ui.cell !== prev.ui.cell) {
      renderNumbers(trace, s, textCtx());
      renderTableNow();
      stage.render(trace, stepIndex(), view());
    }
  }
});

/** A new trace: keep the step (by id) and the selection where they still exist. */
function adopt(next) {
  trace = next;
  const s = S.get();
  const ids = groupIds(trace);
  const n = trace.steps[0].shape.reduce((a, b) => a * b, 1);
  let cell = s.ui.cell < n ? s.ui.cell : 0;
  let group = ids ? ids[cell] : s.view.group;
  if (ids && s.view.group !== null && s.view.group < trace.grouping.stat_shape.reduce((a, b) => a * b, 1) && ids[cell] !== s.view.group) {
    // the old group still exists but this cell left it: keep the cell, follow its group
    group = ids[cell];
  }
  const stepId = trace.steps.some((x) => x.id === s.view.step) ? s.view.step : trace.steps[0].id;
  S.set({ view: { ...s.view, step: stepId, group }, ui: { ...s.ui, cell } });
  renderAll();
  if (s.ui.fillText && trace.steps[0].values) editor.fill(pyText(trace.steps[0].values));
}

/** A tensor as PyTorch prints it, to edit after a random draw. */
function pyText(values) {
  const num = (v) => {
    const s = Number(v.toPrecision(4)).toString();
    return s.includes(".") || s.includes("e") ? s : `${s}.`;
  };
  const walk = (v, depth) => (Array.isArray(v) ? `[${v.map((x) => walk(x, depth + 1)).join(Array.isArray(v[0]) ? ",\n" + " ".repeat(8 + depth + 1) : ", ")}]` : num(v));
  return `tensor(${walk(values, 0)})`;
}

// ---- wiring ----------------------------------------------------------------------------------------------------

$("setup-toggle").addEventListener("click", () => {
  const open = $("setup-toggle").getAttribute("aria-expanded") !== "true";
  $("setup-toggle").setAttribute("aria-expanded", String(open));
  document.querySelector(".setup").classList.toggle("is-open", open);
});
// a new layer starts from PyTorch's defaults, adjusted to the input where they would not fit it
$("layer").addEventListener("change", (e) => {
  const layer = e.target.value;
  S.set({ layer, params: startingParams(specs.find((s) => s.name === layer), trace.shape) });
});
// the scale step's note: seeded random gamma and beta into the state (a new seed each press), or PyTorch's again
$("affine-random").addEventListener("click", () => {
  const s = S.get();
  const n = trace.parameters?.gamma ? [trace.parameters.gamma].flat(Infinity).length : 0;
  if (!n) return;
  const seed = (s.ui.affineSeed ?? 0) + 1;
  S.set({ ui: { ...s.ui, affineSeed: seed }, params: { ...s.params, ...randomAffine(n, seed, !!trace.parameters.beta) } });
  form.render();
});
$("affine-reset").addEventListener("click", () => {
  const { gamma, beta, ...params } = S.get().params;
  S.set({ params });
  form.render();
});
$("step-rail").addEventListener("scroll", () => railEdges($("step-rail")), { passive: true });
addEventListener("resize", () => railEdges($("step-rail")), { passive: true });
onSchemeChange(renderAll); // the system turned dark or light: the figures follow the page
$("numbers-all").addEventListener("change", (e) => S.set({ ui: { ...S.get().ui, showAll: e.target.checked } }));
for (const b of document.querySelectorAll(".lang-btn")) {
  b.addEventListener("click", () => S.set({ view: { ...S.get().view, lang: b.dataset.lang } }));
}
$("copy-code").addEventListener("click", async () => {
  const btn = $("copy-code");
  try {
    await navigator.clipboard.writeText(trace.torch_code || "");
    btn.textContent = t("code.copied");
  } catch {
    const range = document.createRange();
    range.selectNodeContents($("torch-code"));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    btn.textContent = t("code.select");
  }
  setTimeout(() => (btn.textContent = t("code.copy")), 1600);
});

// ---- start -----------------------------------------------------------------------------------------------------

initPermalink({ S, t }); // the address bar follows the view; Share makes a short link
form.render();
editor.sync();
editor.describeInitial(trace);
renderAll();
$("numbers-all").checked = !!S.get().ui.showAll;

const preferred = i18n.preferred();
if (preferred !== S.get().view.lang && !config.lang_fixed) S.set({ view: { ...S.get().view, lang: preferred } });

// A readable link (/explain?layer=...) opened its view: the address bar shows the view's permalink instead.
if (config.canonical) history.replaceState(history.state, "", config.canonical);

// ?autoplay=1 plays once through; an example plays once from its input up to the step it is about, and stays
const autoplay = new URLSearchParams(location.search).get("autoplay") === "1";
const answer = config.answer_step ? trace.steps.findIndex((x) => x.id === config.answer_step) : -1;
const startPlotly = () =>
  loadPlotly(config.plotly_url)
    .then((P) => {
      stage.ready(P);
      performance.mark("normlens:first-figure"); // both figures drawn (bench: time to first animated frame)
      document.documentElement.dataset.plotly = "ready";
      if (autoplay) player.start();
      else if (answer > 0 && stepIndex() === 0 && !moved) player.buildUp(answer); // unless the reader moved
    })
    .catch(() => {
      for (const el of document.querySelectorAll(".plot-loading")) el.textContent = t("fig.load_failed");
    });
// the reader took a step before Plotly arrived: the example does not take the page back
let moved = false;
const unmove = S.subscribe((s, changed, prev) => {
  if (changed.includes("view") && s.view.step !== prev.view.step) {
    moved = true;
    unmove();
  }
});
// after the first paint: the text is on screen before 4.8 MB of Plotly is parsed
requestAnimationFrame(() => setTimeout(startPlotly, 0));

// for tests and the console: the current trace and state, read-only
window.normlens = { get trace() { return trace; }, get state() { return S.get(); }, stage };
