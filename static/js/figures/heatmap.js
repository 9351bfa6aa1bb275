// Tensor view: the array of the current step as small-multiple maps in one mosaic (mosaic.js), the selected
// group highlighted. Up to MAX_MARKERS cells the cells are square markers that Plotly.animate moves (cells.js):
// on a statistic step they gather into their group's tile and spread back after. Larger mosaics stay one
// heatmap, and steps jump. Pure: trace -> {data, layout, frames, meta}.

import { fmt, fmtCell, grouped } from "../format.js";
import { cellLabel, flat, groupIds, groupLabel, size } from "../tensor.js";
import { MAX_MARKERS, cellsTrace, slotsOf } from "./cells.js";
import { COLORS, DIVERGING, FONT, QUALITATIVE, SEQUENTIAL, messageFigure } from "./common.js";
import { geometry, layoutFor, mosaic } from "./mosaic.js";
import { byScheme } from "../theme.js";

// the other groups, seen through three quarters of the panel's colour
const VEIL = byScheme({ color: "rgba(251,250,248,0.74)" }, { color: "rgba(26,30,36,0.74)" });

export { mosaic, plan } from "./mosaic.js";

/** What the tensor view draws for a step: its own array, the group ids, a statistic (mode "stat": the cells
 *  gather per group, with `slots`), or the input for context. */
export function drawnArray(trace, step) {
  const same = step.shape && step.shape.length === trace.shape.length && step.shape.every((d, i) => d === trace.shape[i]);
  if (step.id === "grouping" && trace.grouping) return { mode: "groups", step, symbol: "g" };
  if (step.kind === "tensor" && same) return { mode: step.id === "mask" ? "mask" : "values", step, symbol: symbolFor(step) };
  const slots = step.kind !== "tensor" ? slotsOf(trace, step) : null;
  if (slots) return { mode: "stat", step, slots, symbol: symbolFor(step) };
  return context(trace);
}

const context = (trace) => ({ mode: "values", step: trace.steps[0], context: true, symbol: "x" });

function colorFor(mode, values) {
  if (mode === "groups") {
    const n = QUALITATIVE.length;
    return { colorscale: QUALITATIVE.flatMap((col, k) => [[k / n, col], [(k + 1) / n, col]]), zmin: -0.5, zmax: n - 0.5 };
  }
  if (mode === "mask") return { colorscale: [[0, COLORS.dropped], [0.5, COLORS.dropped], [0.5, COLORS.kept], [1, COLORS.kept]], zmin: 0, zmax: 1 };
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo >= 0) return { colorscale: SEQUENTIAL, zmin: 0, zmax: hi > 0 ? Math.max(hi, MIN_SCALE) : 1 };
  const m = Math.max(Math.abs(lo), Math.abs(hi), MIN_SCALE);
  return { colorscale: DIVERGING, zmin: -m, zmax: m };
}

// The colour bar's smallest half-width: Plotly finds no ticks for a range of a few subnormals (5e-324) and
// the figure is not redrawn, so values that small are coloured as the zeros they nearly are.
const MIN_SCALE = 1e-300;

const COLORBAR = { orientation: "h", thickness: 8, len: 0.6, x: 0.5, xanchor: "center", y: 0, yanchor: "top", ypad: 6, outlinewidth: 0, tickfont: { size: 10 } };

/**
 * view: {group, cell, width, t (i18n function)}. Markers (animatable) up to MAX_MARKERS drawn cells, else a
 * heatmap. meta.cellOf maps a clicked position (row * cols + col) back to the input cell; meta.cells is the
 * index of the markers trace (the one the stage animates), null for a heatmap.
 */
export function tensorFigure(trace, stepIndex, view) {
  const step = trace.steps[stepIndex];
  const m = mosaic(trace);
  const drawn = m.cellOf.reduce((a, i) => a + (i >= 0), 0);
  let d = drawnArray(trace, step);
  const markers = drawn <= MAX_MARKERS && view.markers !== false;
  if (d.mode === "stat" && !markers) d = context(trace);
  const values = d.mode === "groups" ? null : flat(d.step.values);
  if (d.mode !== "groups" && !values) {
    return { ...messageFigure(view.t("fig.too_big", { n: grouped(size(trace.shape)) })), meta: null };
  }
  const geo = geometry(trace, m, view);
  const color = colorFor(d.mode, values || []);
  const data = markers ? markerData(trace, d, color, m, geo, view) : heatmapData(trace, d, color, m, geo, view);
  const layout = layoutFor(trace, m, geo, view, !markers);
  const meta = { cellOf: m.cellOf, cols: m.cols, rows: m.rows, truncated: m.truncated, mode: d.mode, context: !!d.context, drawnStep: d.step.id };
  return { data, layout, frames: [], meta: { ...meta, cells: markers ? 1 : null, by: d.slots?.by ?? null } };
}

/** Markers: a pale slot under every cell (it stays when the cells travel), the cells, and the colour bar (a
 *  trace of its own: the cells carry plain colours, which animate). All scatter: an animation drops the layer
 *  of any trace type it cannot tween (a heatmap under the cells would vanish at the first step). */
function markerData(trace, d, color, m, geo, view) {
  const data = [slotsTrace(m, geo), cellsTrace(trace, d, color, m, geo, view)];
  if (d.mode === "values" || d.mode === "stat") {
    const { colorscale, zmin, zmax } = color;
    const marker = { color: [zmin, zmax], colorscale, cmin: zmin, cmax: zmax, showscale: true, colorbar: COLORBAR, size: 0.001 };
    data.push({ type: "scatter", mode: "markers", x: [null], y: [null], marker, hoverinfo: "skip", showlegend: false, name: "scale" });
  }
  return data;
}

/** Every drawn cell's square as one filled path (one SVG element, however many cells). */
function slotsTrace(m, geo) {
  const h = 0.5 - (geo.gap / geo.cell) / 2;
  const x = [];
  const y = [];
  m.cellOf.forEach((i, p) => {
    if (i < 0) return;
    const c = p % m.cols;
    const r = Math.floor(p / m.cols);
    x.push(c - h, c + h, c + h, c - h, c - h, null);
    y.push(r - h, r - h, r + h, r + h, r - h, null);
  });
  return { type: "scatter", mode: "lines", x, y, fill: "toself", fillcolor: COLORS.grid, line: { width: 0 }, hoverinfo: "skip", name: "slots" };
}

function heatmapData(trace, d, color, m, geo, view) {
  const ids = groupIds(trace);
  const values = d.mode === "groups" ? null : flat(d.step.values);
  const sel = view.group ?? 0;
  const grid = (f) => Array.from({ length: m.rows }, (_, r) => Array.from({ length: m.cols }, (_, c) => f(m.cellOf[r * m.cols + c])));
  const z = grid((i) => (i < 0 ? null : d.mode === "groups" ? ids[i] % QUALITATIVE.length : values[i]));
  const text = grid((i) => (i < 0 || !geo.showText ? "" : d.mode === "groups" ? String(ids[i]) : d.mode === "mask" ? String(values[i]) : fmtCell(values[i])));
  const hover = grid((i) => (i < 0 ? "" : hoverText(trace, d, values, ids, i, view)));
  const base = {
    type: "heatmap",
    z,
    text,
    hovertext: hover,
    customdata: grid((i) => i),
    hovertemplate: "%{hovertext}<extra></extra>",
    texttemplate: geo.showText ? "%{text}" : undefined,
    textfont: { family: FONT.family, size: geo.fontSize },
    xgap: geo.gap,
    ygap: geo.gap,
    hoverongaps: false,
    showscale: d.mode === "values",
    name: "tensor",
    ...color,
  };
  if (d.mode === "values") base.colorbar = COLORBAR;
  if (!ids) return [base];
  const veil = { type: "heatmap", z: grid((i) => (i < 0 || ids[i] === sel ? null : 1)), colorscale: [[0, VEIL.color], [1, VEIL.color]] };
  return [base, { ...veil, showscale: false, hoverinfo: "skip", xgap: geo.gap, ygap: geo.gap, name: "dim" }];
}

function hoverText(trace, d, values, ids, i, view) {
  const where = `${d.symbol}${cellLabel(trace, i)}`;
  const grp = ids ? `${view.t("fig.group")} ${groupLabel(trace, ids[i])} (#${ids[i]})` : "";
  if (d.mode === "groups") return `${where}<br>${grp}`;
  return `${where} = ${fmt(values[i], 6)}${grp ? `<br>${grp}` : ""}`;
}

function symbolFor(step) {
  return (
    {
      input: "x",
      centered: "x−μ",
      normalized: "x̂",
      scaled: "γx̂",
      output: "y",
      squares: "x²",
      mask: "mask",
      dropped: "x·mask",
      saturated: "x'",
      grad_output: "∂L/∂y",
      dnormalized: "∂L/∂x̂",
      dinput: "∂L/∂x",
      mean: "μ",
      variance: "σ²",
      std: "√(σ²+ε)",
      mean_square: "mean(x²)",
      rms: "rms",
      running_mean: "running_mean",
      running_var: "running_var",
      dbeta: "∂L/∂β",
      dgamma: "∂L/∂γ",
      dvariance: "∂L/∂σ²",
      dmean: "∂L/∂μ",
    }[step.id] || step.id
  );
}

