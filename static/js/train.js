// Entry point of a training page (/labs/train-bn, ...): every run of the lesson streams from POST /api/v1/train
// at once (the server queues what it cannot run yet); each line updates the run's progress and every figure,
// drawn with the lab figure builder from series made of the lines so far. A knob change asks the server for
// the runs' new bodies and trains again; Stop aborts the streams (the server stops the jobs). Sweeps (a
// learning-rate sweep, the BN ablation) are groups of short runs started by their own button.

import * as api from "./api.js";
import { copyButton } from "./copy_button.js";
import * as i18n from "./i18n.js";
import { foldKnobs } from "./knob_fold.js";
import * as urls from "./urls.js";
import { buildFigure } from "./lab_figures.js";
import { loadPlotly } from "./lab_plot.js";
import { fromQuery, readKnob } from "./lab_state.js";
import "./paper.js"; // printed: figures scaled to the paper
import { shareOnTap } from "./share_menu.js";
import { onSchemeChange } from "./theme.js";
import { namedKeys, pageSeries, sweepPoints } from "./train_series.js";

const $ = (id) => document.getElementById(id);
const config = JSON.parse($("train-config").textContent);
i18n.init(JSON.parse($("i18n-strings").textContent), document.documentElement.dataset.lang || "en", config.i18n);
const t = (k, v) => i18n.t(k, v);
const PLOT = { displayModeBar: false, responsive: true, scrollZoom: false };
const TRAIN = urls.api.train;

let view = config.view;
let results = {};
let controller = null;
let Plotly = null;
let pending = false;
const sweeps = {}; // by sweep id, the one started last: { results: {key: {logs}}, controller }

// ---- runs ---------------------------------------------------------------------------------------------------

function status(id, key, vars) {
  const el = document.querySelector(`[data-status="${id}"]`);
  if (el) i18n.label(el, key, vars);
}

function onLine(id, line) {
  const r = (results[id] ||= { logs: [] });
  if (line.type === "queued") status(id, "train.queued", { position: line.position });
  else if (line.type === "start") r.start = line;
  else if (line.type === "log") {
    r.logs.push(line);
    document.querySelector(`[data-run="${id}"] progress`).value = line.step;
    status(id, "train.step", { step: line.step, steps: r.start?.steps ?? "" });
  } else if (line.type === "summary") {
    r.summary = line;
    status(id, "train.done", { seconds: line.seconds.toFixed(1) });
    if (id === view.runs[0].id) $("lab-code").textContent = line.torch_code;
  } else if (line.type === "error") status(id, "train.stopped");
  redraw();
}

async function train() {
  controller?.abort();
  const mine = (controller = new AbortController());
  results = {};
  $("train-stop").disabled = false;
  document.body.dataset.training = "1";
  redraw();
  await Promise.allSettled(
    view.runs.map(async (run) => {
      document.querySelector(`[data-run="${run.id}"] progress`).value = 0;
      status(run.id, "train.waiting");
      try {
        await api.stream(TRAIN, run.body, mine.signal, (line) => onLine(run.id, line));
      } catch (err) {
        status(run.id, err?.name === "AbortError" ? "train.stopped" : "train.failed");
        if (err?.name !== "AbortError") showError(api.errorMessage(err, i18n.current()));
      }
    }),
  );
  if (mine === controller) {
    delete document.body.dataset.training;
    stoppable();
  }
}

/** Stop: every run and sweep of the page (their closed streams stop the server's jobs). */
function stop() {
  controller?.abort();
  for (const s of Object.values(sweeps)) s.controller.abort();
  delete document.body.dataset.training;
  stoppable();
}

/** Stop is on while a run or a sweep streams. */
function stoppable() {
  const sweeping = Object.values(sweeps).some((s) => s.running && !s.controller.signal.aborted);
  $("train-stop").disabled = !document.body.dataset.training && !sweeping;
}

function showError(text) {
  const p = document.createElement("p");
  p.className = "lab-error";
  p.textContent = text;
  $("lab-errors").replaceChildren(p);
}

// ---- figures ------------------------------------------------------------------------------------------------

function redraw() {
  if (pending || !Plotly) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    const series = pageSeries(view.runs, results, view.values);
    for (const key of namedKeys(config.figures)) series[key] ??= [];
    for (const spec of config.figures) {
      const div = $(`plot-${spec.id}`);
      const fig = buildFigure(spec, series, { lang: i18n.current(), width: div.clientWidth });
      // curves over training steps draw from left to right on a fixed axis instead of stretching it
      if (spec.x === "step") fig.layout.xaxis.range = [0, Math.max(...view.runs.map((r) => r.body.steps))];
      Plotly.react(div, fig.data, fig.layout, PLOT);
    }
    for (const s of view.sweeps) drawSweep(s);
  });
}

function sweepSpec(s) {
  if (s.kind === "bars") {
    const traces = [{ y: "sy", name: s.title, color: 0 }];
    return { ...s, categories: s.variants, traces };
  }
  const runs = view.runs.map((r, i) => ({ x: `sx.${r.id}`, y: `sy.${r.id}`, name: r.name, color: r.color ?? i, mode: "lines+markers" }));
  return { ...s, traces: runs };
}

function drawSweep(s) {
  const div = $(`plot-sweep-${s.id}`);
  const points = sweepPoints(s.items, sweeps[s.id]?.results || {}, s.metric);
  if (!div || !points.length) return;
  const series = {};
  if (s.kind === "bars") series.sy = s.items.map((it) => points.find((p) => p.key === it.key)?.y ?? 0);
  for (const r of view.runs) {
    const mine = points.filter((p) => p.run === r.id);
    series[`sx.${r.id}`] = mine.map((p) => p.x);
    series[`sy.${r.id}`] = mine.map((p) => p.y);
  }
  const fig = buildFigure(sweepSpec(s), series, { lang: i18n.current(), width: div.clientWidth });
  Plotly.react(div, fig.data, fig.layout, PLOT);
}

// ---- sweeps: groups of short runs on request, two at a time, their figure hidden until one starts -----------

function sweepParts(s) {
  const el = (attr) => document.querySelector(`[data-sweep-${attr}="${s.id}"]`);
  return { button: el("run"), bar: el("progress"), label: el("status"), plot: $(`plot-sweep-${s.id}`) };
}

async function sweep(s) {
  sweeps[s.id]?.controller.abort();
  const mine = (sweeps[s.id] = { results: {}, controller: new AbortController(), running: true });
  const { button, bar, label, plot } = sweepParts(s);
  const count = s.items.length;
  const started = performance.now();
  let done = 0;
  button.disabled = true;
  stoppable();
  bar.hidden = plot.hidden = false;
  bar.value = 0;
  i18n.label(label, "train.sweep_progress", { done, count });
  const queue = [...s.items];
  const worker = async () => {
    for (let it = queue.shift(); it && !mine.controller.signal.aborted; it = queue.shift()) {
      const r = (mine.results[it.key] = { logs: [] });
      try {
        await api.stream(TRAIN, it.body, mine.controller.signal, (line) => line.type === "log" && r.logs.push(line));
      } catch (err) {
        if (err?.name === "AbortError") return;
        showError(api.errorMessage(err, i18n.current()));
      }
      if (sweeps[s.id] !== mine) return;
      bar.value = ++done;
      i18n.label(label, "train.sweep_progress", { done, count });
      redraw();
    }
  };
  await Promise.all([worker(), worker()]); // two at a time: one per core of a two-core server
  mine.running = false;
  stoppable();
  if (sweeps[s.id] !== mine) return; // started again, or the knobs changed: that one owns the figure now
  button.disabled = false;
  if (mine.controller.signal.aborted) i18n.label(label, "train.stopped");
  else i18n.label(label, "train.sweep_done", { count, seconds: ((performance.now() - started) / 1000).toFixed(1) });
}

/** The knobs changed: a sweep run before answered another question. Stop it and show its plan again. */
function resetSweeps() {
  for (const s of view.sweeps) {
    if (!sweeps[s.id]) continue;
    sweeps[s.id].controller.abort();
    delete sweeps[s.id];
    const { button, bar, label, plot } = sweepParts(s);
    button.disabled = false;
    bar.hidden = plot.hidden = true;
    if (Plotly) Plotly.purge(plot);
    i18n.label(label, "train.sweep_plan", { count: s.items.length, steps: s.steps });
  }
}

// ---- knobs --------------------------------------------------------------------------------------------------

function knobValues() {
  const out = {};
  for (const box of document.querySelectorAll("#lab-knobs [data-knob]")) out[box.dataset.knob] = readKnob(box);
  return out;
}

async function changed() {
  const query = new URLSearchParams(Object.entries(knobValues()).map(([k, v]) => [k, String(v)]));
  try {
    const next = await api.request("GET", `/api/v1/train/lessons/${config.slug}?${query}`);
    if (next.errors?.length) return showError(next.errors.map((e) => api.itemMessage(e, i18n.current())).join("; "));
    $("lab-errors").replaceChildren();
    resetSweeps();
    view = next;
    $("lab-permalink").href = view.permalink;
    history.replaceState(null, "", view.permalink);
    train();
  } catch (err) {
    showError(api.errorMessage(err, i18n.current()));
  }
}

let debounce = null;
for (const box of document.querySelectorAll("#lab-knobs [data-knob]")) {
  const input = box.querySelector("input:not(.knob-number), select");
  const number = box.querySelector(".knob-number");
  input.addEventListener("change", () => {
    if (number) number.value = String(readKnob(box));
    clearTimeout(debounce);
    debounce = setTimeout(changed, 150);
  });
  number?.addEventListener("change", () => {
    input.value = number.value;
    changed();
  });
}

const knobLine = foldKnobs($("lab-knobs"));
$("train-run").addEventListener("click", train);
copyButton($("lab-copy"), $("lab-code"));
$("train-stop").addEventListener("click", stop);
for (const b of document.querySelectorAll("[data-sweep-run]")) {
  b.addEventListener("click", () => sweep(view.sweeps.find((s) => s.id === b.dataset.sweepRun)));
}
for (const b of document.querySelectorAll(".lang-btn")) {
  b.addEventListener("click", async () => {
    await i18n.use(b.dataset.lang);
    for (const opt of document.querySelectorAll("#lab-knobs option")) opt.textContent = opt.dataset[b.dataset.lang] || opt.value;
    document.title = `${config.title[b.dataset.lang]} · ${t("labs.title")} · NormLens`;
    knobLine();
    redraw();
  });
}
window.addEventListener("popstate", () => {
  fromQuery(location.search, config.knobs);
  location.reload();
});
const preferred = i18n.preferred();
if (!config.lang_fixed && preferred !== i18n.current()) document.querySelector(`.lang-btn[data-lang="${preferred}"]`)?.click();

onSchemeChange(redraw); // the system turned dark or light: the figures follow the page
shareOnTap($("lab-permalink")); // on a phone, "Link to this state" opens the share menu
loadPlotly(config.plotly_url)
  .then((P) => {
    Plotly = P;
    document.body.dataset.labReady = "1";
    train();
  })
  .catch((err) => showError(String(err.message || err)));
