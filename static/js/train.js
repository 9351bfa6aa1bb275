// Entry point of a training page (/labs/train-bn, ...): every run of the lesson streams from POST /api/v1/train
// at once (the server queues what it cannot run yet); each line updates the run's progress and every figure,
// drawn with the lab figure builder from series made of the lines so far. A knob change asks the server for
// the runs' new bodies and trains again; Stop aborts the streams (the server stops the jobs). Sweeps (a
// learning-rate sweep, the BN ablation) are groups of short runs started by their own button.

import * as api from "./api.js";
import * as i18n from "./i18n.js";
import * as urls from "./urls.js";
import { buildFigure } from "./lab_figures.js";
import { loadPlotly } from "./lab_plot.js";
import { fromQuery, readKnob } from "./lab_state.js";
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
const sweepResults = {};

// ---- runs ---------------------------------------------------------------------------------------------------

function status(id, key, vars) {
  const el = document.querySelector(`[data-status="${id}"]`);
  if (el) {
    el.dataset.i18n = key;
    el.textContent = t(key, vars);
  }
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
    $("train-stop").disabled = true;
    delete document.body.dataset.training;
  }
}

function stop() {
  controller?.abort();
  $("train-stop").disabled = true;
  delete document.body.dataset.training;
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
  const points = sweepPoints(s.items, sweepResults[s.id] || {}, s.metric);
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

async function sweep(s) {
  const box = (sweepResults[s.id] = {});
  const bar = document.querySelector(`[data-sweep-progress="${s.id}"]`);
  const label = document.querySelector(`[data-sweep-status="${s.id}"]`);
  const signal = (controller ||= new AbortController()).signal;
  let done = 0;
  const queue = [...s.items];
  const worker = async () => {
    for (let it = queue.shift(); it; it = queue.shift()) {
      const r = (box[it.key] = { logs: [] });
      try {
        await api.stream(TRAIN, it.body, signal, (line) => line.type === "log" && r.logs.push(line));
      } catch (err) {
        if (err?.name === "AbortError") return;
      }
      bar.value = ++done;
      label.textContent = `${done} / ${s.items.length}`;
      redraw();
    }
  };
  await Promise.all([worker(), worker()]); // two at a time: one per core of a two-core server
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

$("train-run").addEventListener("click", train);
$("train-stop").addEventListener("click", stop);
for (const b of document.querySelectorAll("[data-sweep-run]")) {
  b.addEventListener("click", () => sweep(view.sweeps.find((s) => s.id === b.dataset.sweepRun)));
}
for (const b of document.querySelectorAll(".lang-btn")) {
  b.addEventListener("click", async () => {
    await i18n.use(b.dataset.lang);
    for (const opt of document.querySelectorAll("#lab-knobs option")) opt.textContent = opt.dataset[b.dataset.lang] || opt.value;
    document.title = `${config.title[b.dataset.lang]} · ${t("labs.title")} · NormLens`;
    for (const el of document.querySelectorAll("[data-status]")) el.textContent = t(el.dataset.i18n);
    redraw();
  });
}
window.addEventListener("popstate", () => {
  fromQuery(location.search, config.knobs);
  location.reload();
});
const preferred = i18n.preferred();
if (!config.lang_fixed && preferred !== i18n.current()) document.querySelector(`.lang-btn[data-lang="${preferred}"]`)?.click();

loadPlotly(config.plotly_url)
  .then((P) => {
    Plotly = P;
    document.body.dataset.labReady = "1";
    train();
  })
  .catch((err) => showError(String(err.message || err)));
