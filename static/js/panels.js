// Two small panels of the explain page: the layer's parameter and buffer counts (counts.js), and the note on
// the scale and shift steps that says when gamma is all ones (or beta all zeros), with a button that puts seeded
// random gamma and beta into the state. The decisions are pure functions (tested in tests/js/panels.test.mjs);
// the render functions only write the DOM.

import { layerCounts, torchCheck } from "./counts.js";
import { grouped } from "./format.js";
import { flat } from "./tensor.js";

const $ = (id) => document.getElementById(id);

/** The note for a step that applies gamma or beta: {key, count} (an i18n key and gamma's size), else null.
 *  "scaled" (and RMSNorm's "output") multiplies by gamma; "output" of the others adds beta. */
export function affineNote(trace, stepIndex) {
  const step = trace.steps[stepIndex];
  const gamma = flat(trace.parameters?.gamma);
  if (!step || !gamma) return null;
  const scales = step.id === "scaled" || (trace.layer === "rms_norm" && step.id === "output");
  const beta = flat(trace.parameters?.beta);
  const shifts = step.id === "output" && trace.layer !== "rms_norm" && !!beta;
  if (scales) return { key: gamma.every((v) => v === 1) ? "affine.gamma_ones" : "affine.gamma_set", count: gamma.length };
  if (shifts) return { key: beta.every((v) => v === 0) ? "affine.beta_zeros" : "affine.beta_set", count: beta.length };
  return null;
}

/** Seeded pseudo-random numbers in [0, 1) (mulberry32): the same seed gives the same gamma and beta. */
export function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random gamma in [0.5, 2.5) and beta in [-2, 2), two decimals, `n` values each, from `seed`. */
export function randomAffine(n, seed, withBeta = true) {
  const next = seeded(seed);
  const round = (v) => Math.round(v * 100) / 100;
  const gamma = Array.from({ length: n }, () => round(0.5 + 2 * next()));
  const beta = Array.from({ length: n }, () => round(-2 + 4 * next()));
  return withBeta ? { gamma, beta } : { gamma };
}

/** ctx: {t} */
export function renderAffineNote(trace, stepIndex, params, ctx) {
  const note = affineNote(trace, stepIndex);
  const box = $("step-note");
  if (!box) return;
  box.hidden = !note;
  if (!note) return;
  $("step-note-text").textContent = ctx.t(note.key, { n: grouped(note.count) });
  $("affine-reset").hidden = !("gamma" in (params || {}) || "beta" in (params || {}));
}

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The counts table into #counts-body; the section hides for layers that keep nothing. ctx: {t} */
export function renderCounts(trace, ctx) {
  const { t } = ctx;
  const rows = layerCounts(trace);
  const section = $("counts");
  if (!section) return;
  section.hidden = !rows;
  if (!rows) return;
  const table = el("table", { class: "counts-table" });
  const head = el("tr");
  const [what, count, formula, names] = ["counts.what", "counts.count", "counts.formula", "counts.names"].map((k) => t(k));
  for (const label of [what, count, formula, names]) head.append(el("th", { scope: "col" }, label));
  const thead = el("thead");
  thead.append(head);
  const body = el("tbody");
  for (const r of rows) {
    // data-label: a phone shows each row as a card, every value under its column's name (static/css)
    const tr = el("tr", { "data-key": r.key });
    tr.append(el("th", { scope: "row" }, t(`counts.${r.key}`)), el("td", { class: "num", "data-value": String(r.n), "data-label": count }, grouped(r.n)));
    tr.append(el("td", { class: "counts-formula", "data-label": formula }, r.formula), el("td", { class: "counts-names", "data-label": names }, r.names.join(", ") || "—"));
    body.append(tr);
  }
  table.append(thead, body);
  const check = el("p", { class: "hint" });
  check.append(t("counts.check"), " ", el("code", {}, torchCheck));
  $("counts-body").replaceChildren(table, check);
}
