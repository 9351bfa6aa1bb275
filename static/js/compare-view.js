// The compare page's words and numbers around the figures: each panel's module, what shares a statistic, which
// panels agree, the G slider's note, and the table of the selected cell's mu, sigma, output and live formula in
// every panel (formula.js fills the lesson's own live template with the trace's numbers).

import { fmt } from "./format.js";
import { substituted } from "./formula.js";
import { cellNumbers, coincidences } from "./compare-grid.js";
import { groupLabel, indexText } from "./tensor.js";

const $ = (id) => document.getElementById(id);

/** "${name}" / "${name:,}" placeholders of the lesson words (app/lessons/compare.toml) filled. */
export function fill(text, values) {
  return String(text).replace(/\$\{(\w+)(?::[^}]*)?\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

/** ctx: {t, lang, words: {key: {en, zh}}, titles: {layer: {en, zh}}} */
export function word(ctx, key, values = {}) {
  const w = ctx.words[key];
  return w ? fill(w[ctx.lang] ?? w.en, values) : key;
}

const title = (ctx, layer) => ctx.titles[layer]?.[ctx.lang] ?? layer;

/** The sentence under a panel's title: how many groups of how many cells share one statistic, and over what. */
export function sharesText(ctx, layer, trace, tokens) {
  const g = trace.grouping;
  if (!g) return "";
  const k = g.stat_shape.reduce((a, b) => a * b, 1);
  const key = tokens && ctx.words[`shares_tokens.${layer}`] ? `shares_tokens.${layer}` : `shares.${layer}`;
  return word(ctx, key, { k, m: g.group_size, G: trace.params?.num_groups ?? "" });
}

/** Each panel's module, sentence, coincidence note and error; `errors` are the API's per-layer error items. */
export function renderPanels(ctx, traces, errors, state) {
  const same = coincidences(traces);
  for (const panel of document.querySelectorAll(".cmp-panel")) {
    const layer = panel.dataset.layer;
    const trace = traces[layer];
    panel.querySelector("h2").textContent = title(ctx, layer);
    panel.querySelector(".cmp-torch").textContent = trace ? trace.torch_class : "";
    panel.querySelector(".cmp-groups-text").textContent = trace ? sharesText(ctx, layer, trace, state.tokensShown) : "";
    const note = panel.querySelector(".cmp-same");
    const others = same[layer] || [];
    let text = others.length ? word(ctx, "same_as", { layers: others.map((o) => title(ctx, o)).join(ctx.lang === "zh" ? "、" : ", ") }) : "";
    if (trace && layer === "instance_norm" && state.eval?.includes(layer) && !trace.params.track_running_stats) {
      text = `${word(ctx, "instance_eval")} ${text}`.trim();
    }
    note.textContent = text;
    note.hidden = !text;
    const err = panel.querySelector(".cmp-error");
    const e = errors?.[layer];
    err.textContent = e ? (ctx.lang === "zh" && e.msg_zh) || e.msg : "";
    err.hidden = !e;
    panel.classList.toggle("has-error", !!e);
    panel.dataset.same = others.join(" ");
  }
  return same;
}

/** The G slider's words: "G = 3" and, at the ends, which layer it equals. */
export function gNote(ctx, G, C) {
  if (G === 1 && C > 1) return word(ctx, "g_is_layer_norm");
  if (G === C) return word(ctx, "g_is_instance_norm", { C });
  return word(ctx, "g_between", { Cg: C / G });
}

/** Under each panel, the selected cell's numbers in that layer: "μ = 0.12 · σ = 0.98 · y = 0.39". */
export function renderCellNumbers(ctx, traces, cell) {
  for (const panel of document.querySelectorAll(".cmp-panel")) {
    const trace = traces[panel.dataset.layer];
    const out = panel.querySelector(".cmp-cellnums");
    if (!trace) {
      out.textContent = "";
      continue;
    }
    const n = cellNumbers(trace, cell);
    const parts = [`x = ${fmt(n.x)}`];
    if (n.center) parts.push(`${ctx.t(`compare.stat_${n.center.id}`)} = ${fmt(n.center.value)}`);
    if (n.spread) parts.push(`${ctx.t(`compare.stat_${n.spread.id}`)} = ${fmt(n.spread.value)}`);
    parts.push(`y = ${fmt(n.y)}`);
    out.textContent = parts.join(" · ");
    out.dataset.y = String(n.y);
  }
}

/** The table of the selected cell: one row per panel with its group, centre, spread, output and live formula. */
export function renderDetail(ctx, traces, cell, cellName) {
  const body = $("cmp-rows");
  body.textContent = "";
  const any = Object.values(traces)[0];
  $("cmp-cell").textContent = any ? (cellName ? cellName(cell) : indexText(cell, any.shape)) : "";
  for (const [layer, trace] of Object.entries(traces)) {
    const n = cellNumbers(trace, cell);
    const tr = document.createElement("tr");
    tr.dataset.layer = layer;
    const cells = [
      title(ctx, layer),
      n.group === null ? "" : groupLabel({ ...trace, axes: ctx.names ?? trace.axes }, n.group),
      n.center ? `${ctx.t(`compare.stat_${n.center.id}`)} = ${fmt(n.center.value)}` : "",
      n.spread ? `${ctx.t(`compare.stat_${n.spread.id}`)} = ${fmt(n.spread.value)}` : "",
      fmt(n.y),
    ];
    cells.forEach((text, k) => {
      const td = document.createElement(k ? "td" : "th");
      if (!k) td.scope = "row";
      td.textContent = text;
      if (k === 4) td.dataset.value = String(n.y);
      tr.append(td);
    });
    const f = document.createElement("td");
    f.className = "cmp-formula";
    f.innerHTML = n.formulaStep >= 0 ? substituted(trace, n.formulaStep, { group: n.group, cell, t: ctx.t }) : "";
    tr.append(f);
    body.append(tr);
  }
}
