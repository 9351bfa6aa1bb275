// Entry point of a lab page (/labs/<slug>): the server rendered the state's texts and put its whole response
// in a JSON block; this module draws the figures, and on a knob change asks POST /api/v1/labs/<slug>, then
// moves every figure to the new numbers, updates the table, the answer, the PyTorch check and the permalink.

import * as api from "./api.js";
import { copyButton } from "./copy_button.js";
import * as i18n from "./i18n.js";
import { foldKnobs } from "./knob_fold.js";
import { createPlots, loadPlotly } from "./lab_plot.js";
import { fromQuery, knobQuery, paragraphs, readKnob, sliderPosition } from "./lab_state.js";
import "./paper.js"; // printed: figures scaled to the paper
import { shareOnTap } from "./share_menu.js";
import { onSchemeChange } from "./theme.js";

const read = (id) => JSON.parse(document.getElementById(id).textContent);
const $ = (id) => document.getElementById(id);
const config = read("lab-config");
let lab = read("lab-data");
const initialLang = document.documentElement.dataset.lang || "en";
i18n.init(read("i18n-strings"), initialLang, config.i18n);
const t = (k, v) => i18n.t(k, v);
const lang = () => i18n.current();

let plots = null;
let inflight = null;
let debounce = null;
let slowTimer = null;

// ---- knobs --------------------------------------------------------------------------------------------------

const knobEls = () => [...document.querySelectorAll("#lab-knobs [data-knob]")];
const knobLine = foldKnobs($("lab-knobs"));

function knobValues() {
  const out = {};
  for (const box of knobEls()) out[box.dataset.knob] = readKnob(box);
  return out;
}

function setKnobs(knobs) {
  for (const box of knobEls()) {
    const value = knobs[box.dataset.knob];
    if (value === undefined) continue;
    const input = box.querySelector("input:not(.knob-number), select");
    const number = box.querySelector(".knob-number");
    if (input.type === "checkbox") input.checked = !!value;
    else if (input.type === "range") input.value = String(sliderPosition(input, value));
    else input.value = String(value);
    if (number && document.activeElement !== number) number.value = String(value);
  }
  knobLine();
}

function wireKnobs() {
  for (const box of knobEls()) {
    const input = box.querySelector("input:not(.knob-number), select");
    const number = box.querySelector(".knob-number");
    input.addEventListener(input.type === "range" ? "input" : "change", () => {
      if (number) number.value = String(readKnob(box));
      schedule();
    });
    number?.addEventListener("change", () => {
      const v = Number(number.value);
      if (number.value !== "" && Number.isFinite(v)) input.value = String(sliderPosition(input, v));
      schedule();
    });
  }
  $("lab-reset").addEventListener("click", () => {
    setKnobs(config.defaults);
    schedule(0);
  });
}

// ---- a state ------------------------------------------------------------------------------------------------

function schedule(ms = 140) {
  clearTimeout(debounce);
  debounce = setTimeout(() => update(knobValues()), ms);
}

async function update(knobs, push = true) {
  inflight?.abort();
  const controller = (inflight = new AbortController());
  clearTimeout(slowTimer);
  slowTimer = setTimeout(() => ($("lab-status").textContent = t("lab.loading")), 300);
  try {
    const answer = await api.request("POST", config.api, knobs, controller.signal);
    if (controller !== inflight) return;
    lab = answer;
    showErrors([]);
    renderState(push);
  } catch (err) {
    if (err?.name === "AbortError") return;
    showErrors(err instanceof api.ApiError && Array.isArray(err.body?.detail) ? err.body.detail : [{ msg: String(err?.message || err) }]);
  } finally {
    if (controller === inflight) {
      clearTimeout(slowTimer);
      $("lab-status").textContent = "";
    }
  }
}

function both(text, tag = "span") {
  const frag = document.createDocumentFragment();
  for (const l of i18n.LANGS) {
    const el = document.createElement(tag);
    el.className = `i18n-${l}`;
    el.lang = i18n.htmlLang(l);
    el.textContent = text?.[l] ?? text?.en ?? "";
    frag.append(el);
  }
  return frag;
}

function showErrors(items) {
  const box = $("lab-errors");
  box.replaceChildren();
  for (const e of items) {
    const p = document.createElement("p");
    p.className = "lab-error";
    const where = Array.isArray(e.loc) ? e.loc.filter((x) => x !== "body" && x !== "query").join(".") : "";
    if (where) {
      const code = document.createElement("code");
      code.textContent = where;
      p.append(code, ": ");
    }
    p.append(both({ en: e.msg, zh: e.msg_zh || e.msg }));
    box.append(p);
  }
}

function renderState(push) {
  const w = lab.words;
  const rows = w.numbers.map((row) => {
    const tr = document.createElement("tr");
    tr.dataset.key = row.key;
    const th = document.createElement("th");
    th.scope = "row";
    th.append(both(row.label));
    const td = document.createElement("td");
    td.dataset.value = String(row.value);
    td.textContent = row.text;
    tr.append(th, td);
    return tr;
  });
  $("lab-numbers").replaceChildren(...rows);
  const answer = $("lab-answer");
  answer.replaceChildren(...i18n.LANGS.map((l) => paragraphs(w.answer[l], l, i18n.htmlLang(l))));
  $("lab-warnings").replaceChildren(...lab.warnings.map((n) => Object.assign(document.createElement("p"), { className: "lab-warning" })));
  lab.warnings.forEach((n, i) => $("lab-warnings").children[i].append(both(n.message)));
  $("lab-code").textContent = lab.torch_code;
  $("lab-expect").textContent = JSON.stringify(lab.torch_expect);
  setKnobs(lab.knobs);
  const url = config.base + knobQuery(lab.permalink);
  $("lab-permalink").href = url;
  if (push && url !== location.pathname + location.search) history.replaceState(null, "", url);
  for (const f of w.figures) {
    const cap = document.querySelector(`#fig-${f.id} .lab-figure-title`);
    if (cap) cap.replaceChildren(both(f.title));
  }
  plots?.render("animate");
}

// ---- language -----------------------------------------------------------------------------------------------

async function switchLang(l) {
  await i18n.use(l);
  for (const opt of document.querySelectorAll("#lab-knobs option")) opt.textContent = opt.dataset[l] || opt.value;
  for (const n of document.querySelectorAll(".knob-number")) {
    const label = n.closest("[data-knob]")?.querySelector(`.knob-label .i18n-${l}`);
    if (label) n.setAttribute("aria-label", label.textContent);
  }
  document.title = `${lab.words.title[l]} · ${t("labs.title")} · NormLens`;
  knobLine();
  plots?.render("new");
}

copyButton($("lab-copy"), $("lab-code"));

for (const b of document.querySelectorAll(".lang-btn")) b.addEventListener("click", () => switchLang(b.dataset.lang));
window.addEventListener("popstate", () => update(fromQuery(location.search, config.knobs), false));
const preferred = i18n.preferred();
if (!config.lang_fixed && preferred !== initialLang) switchLang(preferred);

wireKnobs();
onSchemeChange(() => plots?.render("new")); // the system turned dark or light: the figures follow the page
shareOnTap($("lab-permalink")); // on a phone, "Link to this state" opens the share menu
loadPlotly(config.plotly_url)
  .then((Plotly) => {
    plots = createPlots({ Plotly, lab: () => lab, lang, t });
    plots.wire();
    plots.render("new");
    document.body.dataset.labReady = "1";
  })
  .catch((err) => showErrors([{ msg: String(err.message || err) }]));
