// Tensor view: the array of the current step as small-multiple heatmaps in one mosaic, the selected group
// highlighted. (N, C, H, W): rows are samples, columns channels, each an H x W map; (N, L, D): N maps of L x D;
// 2-D: one map; 1-D: one row; 5-D: N x C maps of (D*H) x W. Pure: trace -> {data, layout, frames, meta}.

import { fmt, fmtCell, grouped } from "../format.js";
import { axisNames, channelsLast, flat, groupIds, groupLabel, indexText, ravel, size } from "../tensor.js";
import { COLORS, DIVERGING, FONT, QUALITATIVE, SEQUENTIAL, baseLayout, messageFigure } from "./common.js";

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
        .map(([ax, v]) => `${names[ax]}=${v}`)
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

/** What the tensor view draws for a step: its own array, the group ids, or the input for context. */
export function drawnArray(trace, step) {
  const same = step.shape && step.shape.length === trace.shape.length && step.shape.every((d, i) => d === trace.shape[i]);
  if (step.id === "grouping" && trace.grouping) return { mode: "groups", step };
  if (step.kind === "tensor" && same) return { mode: step.id === "mask" ? "mask" : "values", step };
  return { mode: "values", step: trace.steps[0], context: true };
}

function colorFor(mode, values) {
  if (mode === "groups") return { colorscale: null };
  if (mode === "mask") {
    return {
      colorscale: [
        [0, COLORS.dropped],
        [0.5, COLORS.dropped],
        [0.5, COLORS.kept],
        [1, COLORS.kept],
      ],
      zmin: 0,
      zmax: 1,
    };
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo >= 0) return { colorscale: SEQUENTIAL, zmin: 0, zmax: hi > 0 ? hi : 1 };
  const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  return { colorscale: DIVERGING, zmin: -m, zmax: m };
}

/**
 * view: {group, cell, width, t (i18n function), symbol ("x", "y"...)}.
 * meta.cellOf maps a clicked heatmap point (row * cols + col) back to the input cell.
 */
export function tensorFigure(trace, stepIndex, view) {
  const step = trace.steps[stepIndex];
  const t = view.t;
  const d = drawnArray(trace, step);
  const values = d.mode === "groups" ? null : flat(d.step.values);
  if (d.mode !== "groups" && !values) {
    return { ...messageFigure(t("fig.too_big", { n: grouped(size(trace.shape)) })), meta: null };
  }
  const m = mosaic(trace);
  const ids = groupIds(trace);
  const { rows, cols, cellOf } = m;
  const width = Math.max(240, view.width || 640);
  const margin = { l: m.gridRows > 1 ? 52 : 16, r: 12, t: m.gridCols > 1 || m.plan.wrap ? 30 : 12, b: 46 };
  const cell = Math.max(4, Math.min(MAX_CELL, Math.floor((width - margin.l - margin.r) / cols), Math.floor(MAX_HEIGHT / rows)));
  const showText = cell >= MIN_TEXT_CELL && rows * cols <= 2500;
  const color = colorFor(d.mode, values || []);

  const z = [];
  const text = [];
  const hover = [];
  const custom = [];
  const dim = [];
  const members = [];
  const selectedGroup = view.group ?? 0;
  const symbol = d.mode === "groups" ? "g" : d.step.id === "input" ? "x" : symbolFor(d.step);
  for (let r = 0; r < rows; r++) {
    const zr = [];
    const tr = [];
    const hr = [];
    const cr = [];
    const dr = [];
    for (let c = 0; c < cols; c++) {
      const i = cellOf[r * cols + c];
      if (i < 0) {
        zr.push(null);
        tr.push("");
        hr.push("");
        cr.push(-1);
        dr.push(null);
        continue;
      }
      const g = ids ? ids[i] : -1;
      const v = d.mode === "groups" ? g % QUALITATIVE.length : values[i];
      zr.push(v);
      tr.push(showText ? (d.mode === "groups" ? String(g) : d.mode === "mask" ? String(values[i]) : fmtCell(v)) : "");
      const where = `${symbol}${indexText(i, trace.shape)}`;
      const val = d.mode === "groups" ? `${t("fig.group")} ${groupLabel(trace, g)}` : `${where} = ${fmt(values[i], 6)}`;
      const grp = ids && d.mode !== "groups" ? `<br>${t("fig.group")} ${groupLabel(trace, g)} (#${g})` : "";
      hr.push(d.mode === "groups" ? `${where}<br>${val} (#${g})` : val + grp);
      cr.push(i);
      const member = ids ? g === selectedGroup : true;
      dr.push(member ? null : 1);
      if (member && ids) members.push([r, c]);
    }
    z.push(zr);
    text.push(tr);
    hover.push(hr);
    custom.push(cr);
    dim.push(dr);
  }

  const base = {
    type: "heatmap",
    z,
    text,
    hovertext: hover,
    customdata: custom,
    hovertemplate: "%{hovertext}<extra></extra>",
    texttemplate: showText ? "%{text}" : undefined,
    textfont: { family: FONT.family, size: cell >= 44 ? 11 : cell >= 34 ? 10 : 9 },
    xgap: cell >= 10 ? 1 : 0,
    ygap: cell >= 10 ? 1 : 0,
    hoverongaps: false,
    showscale: d.mode === "values",
    name: "tensor",
  };
  if (d.mode === "groups") {
    const n = QUALITATIVE.length;
    base.colorscale = QUALITATIVE.flatMap((col, k) => [
      [k / n, col],
      [(k + 1) / n, col],
    ]);
    base.zmin = -0.5;
    base.zmax = n - 0.5;
  } else {
    Object.assign(base, color);
    if (d.mode === "values") {
      base.colorbar = { orientation: "h", thickness: 8, len: 0.6, x: 0.5, xanchor: "center", y: 0, yanchor: "top", ypad: 6, outlinewidth: 0, tickfont: { size: 10 } };
    }
  }
  const data = [base];
  if (ids) {
    data.push({
      type: "heatmap",
      z: dim,
      colorscale: [
        [0, "rgba(251,250,248,0.74)"],
        [1, "rgba(251,250,248,0.74)"],
      ],
      showscale: false,
      hoverinfo: "skip",
      xgap: base.xgap,
      ygap: base.ygap,
      name: "dim",
    });
  }

  const shapes = [];
  // outline the selected group's cells in each map (its bounding box there) and the selected cell
  for (const mp of m.maps) {
    let r0 = Infinity;
    let r1 = -1;
    let c0 = Infinity;
    let c1 = -1;
    for (const [r, c] of members) {
      if (r < mp.r0 || r >= mp.r0 + mp.h || c < mp.c0 || c >= mp.c0 + mp.w) continue;
      r0 = Math.min(r0, r);
      r1 = Math.max(r1, r);
      c0 = Math.min(c0, c);
      c1 = Math.max(c1, c);
    }
    if (r1 >= 0) shapes.push(rect(c0 - 0.5, r0 - 0.5, c1 + 0.5, r1 + 0.5, COLORS.accent, 2));
  }
  const selPos = cellOf.indexOf(view.cell ?? -1);
  if (selPos >= 0) {
    const r = Math.floor(selPos / cols);
    const c = selPos % cols;
    shapes.push(rect(c - 0.5, r - 0.5, c + 0.5, r + 0.5, COLORS.ink, 2.5));
  }

  const annotations = [];
  const axisFont = { size: 11, color: COLORS.muted };
  // both axes "domain": square cells shrink the plot area instead of padding the ranges, so labels placed at
  // the domain's edge sit right beside the maps
  let xaxis = { visible: false, range: [-0.5, cols - 0.5], fixedrange: true, constrain: "domain" };
  let yaxis = { visible: false, range: [rows - 0.5, -0.5], fixedrange: true, scaleanchor: "x", constrain: "domain" };
  if (m.plan.wrap) {
    for (const mp of m.maps) {
      annotations.push({ x: mp.c0 + (mp.w - 1) / 2, y: mp.r0 - 0.5, yanchor: "bottom", yshift: 1, text: mp.label, showarrow: false, font: axisFont });
    }
  } else if (m.gridRows > 1 || m.gridCols > 1) {
    for (let gi = 0; gi < m.gridRows; gi++) {
      const mp = m.maps.find((q) => q.gi === gi);
      const lab = m.plan.gr.map((ax) => `${m.names[ax]}=${mp.base[ax]}`).join(", ");
      // "x domain" refs: data coordinates outside the axis range would hide the label
      annotations.push({ xref: "x domain", x: 0, xanchor: "right", xshift: -6, y: mp.r0 + (mp.h - 1) / 2, text: lab, showarrow: false, font: axisFont });
    }
    for (let gj = 0; gj < m.gridCols; gj++) {
      const mp = m.maps.find((q) => q.gj === gj);
      const lab = m.plan.gc.map((ax) => `${m.names[ax]}=${mp.base[ax]}`).join(", ");
      annotations.push({ x: mp.c0 + (mp.w - 1) / 2, yref: "y domain", y: 1, yanchor: "bottom", yshift: 3, text: lab, showarrow: false, font: axisFont });
    }
  } else if (trace.shape.length === 2) {
    // one map: label its axes
    xaxis = { ...xaxis, visible: true, side: "top", showgrid: false, zeroline: false, ticks: "", tickfont: axisFont, title: { text: m.names[1], font: axisFont, standoff: 2 }, dtick: cols > 16 ? Math.ceil(cols / 16) : 1 };
    yaxis = { ...yaxis, visible: true, showgrid: false, zeroline: false, ticks: "", tickfont: axisFont, title: { text: m.names[0], font: axisFont, standoff: 2 }, dtick: rows > 16 ? Math.ceil(rows / 16) : 1 };
    margin.l = 44;
    margin.t = 40;
  }
  const height = Math.round(rows * cell + margin.t + margin.b);
  const layout = baseLayout({ height, margin, xaxis, yaxis, shapes, annotations, uirevision: "tensor" });
  return { data, layout, frames: [], meta: { cellOf, cols, rows, truncated: m.truncated, mode: d.mode, context: !!d.context, drawnStep: d.step.id } };
}

function symbolFor(step) {
  return (
    {
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
    }[step.id] || step.id
  );
}

function rect(x0, y0, x1, y1, color, width) {
  return { type: "rect", xref: "x", yref: "y", x0, y0, x1, y1, line: { color, width }, fillcolor: "rgba(0,0,0,0)", layer: "above" };
}

