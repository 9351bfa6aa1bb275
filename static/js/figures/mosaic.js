// The mosaic the tensor view is drawn on: which input cell sits at each (row, column) of small-multiple maps,
// the cell size, and the layout around it (axes, map labels, the input's axis labels, the selected group's
// outline). Shared by the heatmap and the animated markers. Pure.

import { axisLabel, axisNames, channelsLast, groupIds, hasLabels, ravel, size } from "../tensor.js";
import { AXIS_FONT, COLORS, baseLayout } from "./common.js";

const MAX_GRID = 8; // sample rows / channel columns of maps drawn
const MAX_MAP = 48; // rows / columns of one map drawn
const MAX_CELL = 56; // px
const MAX_HEIGHT = 560; // px of cells: tall mosaics get smaller cells instead of a page-long figure
const MIN_TEXT_CELL = 27; // px: below this, values are not printed in cells

/** Which axes make the mosaic: grid rows/cols of maps (gr, gc) and each map's rows/cols (mr, mc). */
export function plan(shape, last) {
  const r = shape.length;
  if (r === 1) return { gr: [], gc: [], mr: [], mc: [0], wrap: false };
  if (r === 2) return { gr: [], gc: [], mr: [0], mc: [1], wrap: false };
  if (r === 3) return { gr: [], gc: [0], mr: [1], mc: [2], wrap: true };
  if (r === 4) return last ? { gr: [0], gc: [3], mr: [1], mc: [2] } : { gr: [0], gc: [1], mr: [2], mc: [3] };
  return last ? { gr: [0], gc: [4], mr: [1, 2], mc: [3] } : { gr: [0], gc: [1], mr: [2, 3], mc: [4] };
}

const prod = (shape, axes) => axes.reduce((a, ax) => a * shape[ax], 1);

function mixed(k, shape, axes) {
  // k -> one index per axis in `axes` (row-major)
  const out = {};
  for (let i = axes.length - 1; i >= 0; i--) {
    out[axes[i]] = k % shape[axes[i]];
    k = Math.floor(k / shape[axes[i]]);
  }
  return out;
}

/** The mosaic: which input cell sits at each (row, col), -1 in gaps; plus map labels and what was cut. */
export function mosaic(trace) {
  const shape = trace.shape;
  const p = plan(shape, channelsLast(trace));
  const names = axisNames(trace);
  const nMaps = prod(shape, p.gc) * prod(shape, p.gr);
  const fullH = prod(shape, p.mr);
  const fullW = prod(shape, p.mc);
  const mapH = Math.min(fullH, MAX_MAP);
  const mapW = Math.min(fullW, MAX_MAP);
  let gridRows;
  let gridCols;
  let mapAt; // (gridRow, gridCol) -> partial index {axis: i} or null
  if (p.wrap) {
    const n = Math.min(prod(shape, p.gc), MAX_GRID * 2);
    gridCols = Math.max(1, Math.min(n, Math.round(Math.sqrt((n * mapH * 1.8) / mapW)) || 1));
    gridRows = Math.ceil(n / gridCols);
    mapAt = (i, j) => (i * gridCols + j < n ? mixed(i * gridCols + j, shape, p.gc) : null);
  } else {
    gridRows = Math.min(prod(shape, p.gr), MAX_GRID);
    gridCols = Math.min(prod(shape, p.gc), MAX_GRID);
    mapAt = (i, j) => ({ ...mixed(i, shape, p.gr), ...mixed(j, shape, p.gc) });
  }
  const gap = mapH * mapW > 1 && gridRows * gridCols > 1 ? 1 : 0;
  const rows = gridRows * mapH + (gridRows - 1) * gap;
  const cols = gridCols * mapW + (gridCols - 1) * gap;
  const cellOf = new Int32Array(rows * cols).fill(-1);
  const maps = [];
  const idx = new Array(shape.length).fill(0);
  for (let gi = 0; gi < gridRows; gi++) {
    for (let gj = 0; gj < gridCols; gj++) {
      const base = mapAt(gi, gj);
      if (!base) continue;
      const r0 = gi * (mapH + gap);
      const c0 = gj * (mapW + gap);
      const label = Object.entries(base)
        .map(([ax, v]) => `${names[ax]}=${axisLabel(trace, Number(ax), v)}`)
        .join(", ");
      maps.push({ r0, c0, h: mapH, w: mapW, label, gi, gj, base });
      for (let r = 0; r < mapH; r++) {
        const ri = mixed(r, shape, p.mr);
        for (let c = 0; c < mapW; c++) {
          const ci = mixed(c, shape, p.mc);
          for (const [ax, v] of Object.entries({ ...base, ...ri, ...ci })) idx[ax] = v;
          cellOf[(r0 + r) * cols + c0 + c] = ravel(idx, shape);
        }
      }
    }
  }
  const shown = maps.length * mapH * mapW;
  return { rows, cols, cellOf, maps, plan: p, names, gap, gridRows, gridCols, truncated: shown < size(shape), nMaps, fullH, fullW, mapH, mapW };
}

/** Cell size in px, margins, whether numbers fit in the cells. */
export function geometry(trace, m, view) {
  const width = Math.max(240, view.width || 640);
  const rowLabels = m.plan.mr.length === 1 && trace.shape.length !== 2 && hasLabels(trace, m.plan.mr[0]) ? m.plan.mr[0] : null;
  const labelW = rowLabels === null ? 0 : 10 + 7 * Math.max(...Array.from({ length: trace.shape[rowLabels] }, (_, k) => short(axisLabel(trace, rowLabels, k)).length));
  const margin = { l: (m.gridRows > 1 ? 52 : 16) + labelW, r: 12, t: m.gridCols > 1 || m.plan.wrap ? 30 : 12, b: 46 };
  if (trace.shape.length === 2) Object.assign(margin, { l: 44, t: 40 });
  const cell = Math.max(4, Math.min(MAX_CELL, Math.floor((width - margin.l - margin.r) / m.cols), Math.floor(MAX_HEIGHT / m.rows)));
  const showText = cell >= MIN_TEXT_CELL && m.rows * m.cols <= 2500;
  const fontSize = cell >= 44 ? 11 : cell >= 34 ? 10 : 9;
  return { cell, margin, showText, fontSize, gap: cell >= 10 ? 1 : 0, rowLabels };
}

export const short = (s) => (s.length > 10 ? `${s.slice(0, 9)}…` : s);

/** Axes, map labels, the selected group's outline (and, on a heatmap, the selected cell's). */
export function layoutFor(trace, m, geo, view, cellOutline) {
  const { cell, margin } = geo;
  const ids = groupIds(trace);
  const sel = view.group ?? 0;
  const shapes = [];
  for (const mp of m.maps) {
    let [r0, r1, c0, c1] = [Infinity, -1, Infinity, -1];
    for (let r = mp.r0; r < mp.r0 + mp.h; r++) {
      for (let c = mp.c0; c < mp.c0 + mp.w; c++) {
        const i = m.cellOf[r * m.cols + c];
        if (i < 0 || !ids || ids[i] !== sel) continue;
        [r0, r1, c0, c1] = [Math.min(r0, r), Math.max(r1, r), Math.min(c0, c), Math.max(c1, c)];
      }
    }
    if (r1 >= 0) shapes.push(rect(c0 - 0.5, r0 - 0.5, c1 + 0.5, r1 + 0.5, COLORS.accent, 2));
  }
  const selPos = m.cellOf.indexOf(view.cell ?? -1);
  if (cellOutline && selPos >= 0) {
    const [r, c] = [Math.floor(selPos / m.cols), selPos % m.cols];
    shapes.push(rect(c - 0.5, r - 0.5, c + 0.5, r + 0.5, COLORS.ink, 2.5));
  }
  const { xaxis, yaxis, annotations } = axesFor(trace, m, geo);
  const height = Math.round(m.rows * cell + margin.t + margin.b);
  return baseLayout({ height, margin, xaxis, yaxis, shapes, annotations, uirevision: "tensor", hovermode: "closest" });
}

function axesFor(trace, m, geo) {
  const annotations = [];
  const { cols, rows } = m;
  // both axes "domain": square cells shrink the plot area instead of padding the ranges, so labels placed at
  // the domain's edge sit right beside the maps
  let xaxis = { visible: false, range: [-0.5, cols - 0.5], fixedrange: true, constrain: "domain" };
  let yaxis = { visible: false, range: [rows - 0.5, -0.5], fixedrange: true, scaleanchor: "x", constrain: "domain" };
  const lab = (axes, mp) => axes.map((ax) => `${m.names[ax]}=${short(axisLabel(trace, ax, mp.base[ax]))}`).join(", ");
  if (m.plan.wrap) {
    for (const mp of m.maps) annotations.push({ x: mp.c0 + (mp.w - 1) / 2, y: mp.r0 - 0.5, yanchor: "bottom", yshift: 1, text: short(mp.label), showarrow: false, font: AXIS_FONT });
  } else if (m.gridRows > 1 || m.gridCols > 1) {
    for (let gi = 0; gi < m.gridRows; gi++) {
      const mp = m.maps.find((q) => q.gi === gi);
      // "x domain" refs: data coordinates outside the axis range would hide the label
      annotations.push({ xref: "x domain", x: 0, xanchor: "right", xshift: -6 - (geo.rowLabels === null ? 0 : geo.margin.l - 52), y: mp.r0 + (mp.h - 1) / 2, text: lab(m.plan.gr, mp), showarrow: false, font: AXIS_FONT });
    }
    for (let gj = 0; gj < m.gridCols; gj++) {
      const mp = m.maps.find((q) => q.gj === gj);
      annotations.push({ x: mp.c0 + (mp.w - 1) / 2, yref: "y domain", y: 1, yanchor: "bottom", yshift: 3, text: lab(m.plan.gc, mp), showarrow: false, font: AXIS_FONT });
    }
  } else if (trace.shape.length <= 2) {
    // one map: label its axes, with the input's labels where it has them
    const two = trace.shape.length === 2;
    const ticks = (axis, n) => {
      const every = hasLabels(trace, axis) ? Math.ceil(n / 24) : n > 16 ? Math.ceil(n / 16) : 1;
      const vals = Array.from({ length: Math.ceil(n / every) }, (_, k) => k * every);
      return { tickmode: "array", tickvals: vals, ticktext: vals.map((k) => short(axisLabel(trace, axis, k))) };
    };
    const common = { visible: true, showgrid: false, zeroline: false, ticks: "", tickfont: AXIS_FONT };
    xaxis = { ...xaxis, ...common, side: "top", title: { text: m.names[two ? 1 : 0], font: AXIS_FONT, standoff: 2 }, ...ticks(two ? 1 : 0, cols) };
    if (two) yaxis = { ...yaxis, ...common, title: { text: m.names[0], font: AXIS_FONT, standoff: 2 }, ...ticks(0, rows) };
    else if (hasLabels(trace, 0)) geo.margin.t = 40;
    else xaxis = { ...xaxis, visible: false };
  }
  if (geo.rowLabels !== null) annotations.push(...rowLabels(trace, m, geo.rowLabels));
  return { xaxis, yaxis, annotations };
}

/** Labels of each map's rows (a sentence's tokens), left of the maps of the first grid column. */
function rowLabels(trace, m, axis) {
  const out = [];
  for (const mp of m.maps.filter((q) => q.gj === 0)) {
    for (let r = 0; r < mp.h; r++) {
      out.push({ xref: "x domain", x: 0, xanchor: "right", xshift: -4, y: mp.r0 + r, text: short(axisLabel(trace, axis, r)), showarrow: false, font: { ...AXIS_FONT, color: COLORS.ink } });
    }
  }
  return out;
}

function rect(x0, y0, x1, y1, color, width) {
  return { type: "rect", xref: "x", yref: "y", x0, y0, x1, y1, line: { color, width }, fillcolor: "rgba(0,0,0,0)", layer: "above" };
}
