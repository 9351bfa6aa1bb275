// Distribution view: every value as a dot in its group's column, the group's mean and +-1 std beside it, and a
// histogram of the whole step on the right. Frames hold one step each; the points keep their identity, so
// Plotly.animate slides them: centering moves each column to 0, scaling squeezes it to unit spread, gamma and
// beta stretch and shift it. Pure: trace -> {data, layout, frames}.

import { fmt } from "../format.js";
import { flat, groupCount, groupIds, groupLabel, size } from "../tensor.js";
import { AXIS_FONT, COLORS, FONT, baseLayout, groupWindow, jitter, sparseTicks, tickLines } from "./common.js";

const MAX_POINTS = 1600;

/** Steps of one phase that hold an array of the input's shape, in order: the frames of the animation. */
export function stripSteps(trace, phase) {
  const n = trace.shape.length;
  return trace.steps
    .map((s, i) => [s, i])
    .filter(([s]) => s.phase === phase && s.kind === "tensor" && s.id !== "grouping" && s.id !== "mask")
    .filter(([s]) => s.shape && s.shape.length === n && s.shape.every((d, k) => d === trace.shape[k]))
    .map(([, i]) => i);
}

function pickPoints(trace, group, maxGroups) {
  const ids = groupIds(trace);
  const count = groupCount(trace);
  const [g0, g1] = groupWindow(count, group, maxGroups);
  const byGroup = new Map();
  for (let g = g0; g < g1; g++) byGroup.set(g, []);
  for (let i = 0; i < ids.length; i++) if (byGroup.has(ids[i])) byGroup.get(ids[i]).push(i);
  const per = Math.max(8, Math.floor(MAX_POINTS / Math.max(1, g1 - g0)));
  const sampled = new Map();
  for (const [g, cells] of byGroup) {
    if (cells.length <= per) sampled.set(g, cells);
    else {
      const step = cells.length / per;
      sampled.set(g, Array.from({ length: per }, (_, k) => cells[Math.floor(k * step)]));
    }
  }
  return { g0, g1, all: byGroup, sampled };
}

function groupStats(values, cells) {
  let s = 0;
  for (const i of cells) s += values[i];
  const mean = s / cells.length;
  let q = 0;
  for (const i of cells) q += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(q / cells.length) };
}

function frameData(trace, stepIndex, pts, view) {
  const step = trace.steps[stepIndex];
  const v = flat(step.values);
  const sel = view.group ?? 0;
  const others = { x: [], y: [], customdata: [] };
  const mine = { x: [], y: [], customdata: [] };
  const meanX = [];
  const meanY = [];
  const whiskX = [];
  const whiskY = [];
  const meanText = [];
  for (const [g, cells] of pts.sampled) {
    const pos = g - pts.g0;
    const target = g === sel ? mine : others;
    const spread = Math.min(0.34, 0.1 + cells.length / 260);
    for (const i of cells) {
      target.x.push(pos + jitter(i) * spread);
      target.y.push(v[i]);
      target.customdata.push(i);
    }
    const st = groupStats(v, pts.all.get(g));
    meanX.push(pos);
    meanY.push(st.mean);
    meanText.push(`${groupLabel(trace, g)}<br>${view.t("fig.mean")} ${fmt(st.mean)} · ${view.t("fig.std")} ${fmt(st.std)}`);
    whiskX.push(pos, pos, null);
    whiskY.push(st.mean - st.std, st.mean + st.std, null);
  }
  const cellX = [];
  const cellY = [];
  const c = view.cell ?? -1;
  const cellGroup = groupIds(trace)[c];
  if (c >= 0 && c < v.length && pts.sampled.has(cellGroup)) {
    cellX.push(cellGroup - pts.g0 + jitter(c) * Math.min(0.34, 0.1 + pts.sampled.get(cellGroup).length / 260));
    cellY.push(v[c]);
  }
  const h = step.summary?.histogram;
  const centers = [];
  const widths = [];
  if (h) {
    for (let k = 0; k < h.counts.length; k++) {
      centers.push((h.edges[k] + h.edges[k + 1]) / 2);
      widths.push(h.edges[k + 1] - h.edges[k]);
    }
  }
  const hover = `${view.t("fig.value")} %{y:.4g}<extra></extra>`;
  const b = view.before;
  return [
    { x: others.x, y: others.y, customdata: others.customdata, hovertemplate: hover },
    { x: mine.x, y: mine.y, customdata: mine.customdata, hovertemplate: hover },
    { x: whiskX, y: whiskY },
    { x: meanX, y: meanY, text: meanText },
    { x: cellX, y: cellY },
    { x: h ? h.counts : [], y: centers, width: widths },
    // the same in every frame: Plotly drops bar traces of a subplot that an animation leaves out
    { x: b ? b.counts : [], y: b ? b.centers : [], width: b ? b.widths : [] },
  ];
}

/** The phase's first histogram (the input, or dL/dy) as bar geometry: the "before" outline. */
function beforeBars(step) {
  const h = step?.summary?.histogram;
  if (!h) return null;
  const centers = [];
  const widths = [];
  for (let k = 0; k < h.counts.length; k++) {
    centers.push((h.edges[k] + h.edges[k + 1]) / 2);
    widths.push(h.edges[k + 1] - h.edges[k]);
  }
  return { counts: h.counts, centers, widths };
}

/** view: {group, cell, width, t}. Frames are named by step id. */
export function stripFigure(trace, stepIndex, view) {
  const step = trace.steps[stepIndex];
  const t = view.t;
  const indices = stripSteps(trace, step.phase);
  const width = Math.max(260, view.width || 640);
  const maxGroups = Math.max(4, Math.min(48, Math.floor((width - 140) / 16)));
  const pts = pickPoints(trace, view.group ?? 0, maxGroups);
  const nG = pts.g1 - pts.g0;

  let lo = Infinity;
  let hi = -Infinity;
  let maxCount = 1;
  for (const i of indices) {
    const s = trace.steps[i].summary;
    if (!s || s.min === null) continue;
    lo = Math.min(lo, s.min);
    hi = Math.max(hi, s.max);
    if (s.histogram) maxCount = Math.max(maxCount, ...s.histogram.counts);
  }
  if (!Number.isFinite(lo)) {
    lo = -1;
    hi = 1;
  }
  const pad = (hi - lo || 1) * 0.07;
  const yRange = [Math.min(lo, -1.1) - pad, Math.max(hi, 1.1) + pad];

  view = { ...view, before: beforeBars(trace.steps[indices[0]]) };
  const frames = indices.map((i) => ({ name: trace.steps[i].id, data: frameData(trace, i, pts, view), traces: [0, 1, 2, 3, 4, 5, 6] }));
  const current = frames.find((f) => f.name === step.id)?.data || frameData(trace, stepIndex, pts, view);
  const marker = (color, size, opacity) => ({ color, size, opacity, line: { width: 0 } });
  const data = [
    { type: "scatter", mode: "markers", marker: marker(COLORS.blueSoft, 5, 0.75), name: "others", ...current[0] },
    { type: "scatter", mode: "markers", marker: marker(COLORS.accent, 6.5, 0.9), name: "selected", ...current[1] },
    { type: "scatter", mode: "lines", line: { color: COLORS.ink, width: 1.5 }, hoverinfo: "skip", name: "std", ...current[2] },
    {
      type: "scatter",
      mode: "markers",
      marker: { symbol: "line-ew-open", size: 22, color: COLORS.ink, line: { width: 2.5, color: COLORS.ink } },
      hovertemplate: "%{text}<extra></extra>",
      name: "mean",
      ...current[3],
    },
    {
      type: "scatter",
      mode: "markers",
      marker: { size: 12, color: "rgba(0,0,0,0)", line: { width: 2.5, color: COLORS.ink } },
      hoverinfo: "skip",
      name: "cell",
      ...current[4],
    },
    {
      type: "bar",
      orientation: "h",
      xaxis: "x2",
      yaxis: "y",
      marker: { color: COLORS.blueSoft, line: { width: 0 } },
      hovertemplate: `%{x} ${t("fig.values")}<extra></extra>`,
      name: "histogram",
      ...current[5],
    },
    {
      type: "bar",
      orientation: "h",
      xaxis: "x2",
      yaxis: "y",
      marker: { color: "rgba(0,0,0,0)", line: { color: COLORS.muted, width: 0.8 } },
      hovertemplate: `${view.pick(trace.steps[indices[0]]?.title)}: %{x}<extra></extra>`,
      name: "before",
      ...current[6],
    },
  ];
  const labels = [];
  for (let g = pts.g0; g < pts.g1; g++) labels.push(groupLabel(trace, g));
  const ticks = sparseTicks(labels, Math.max(3, Math.floor((width - 140) / 56)), (width - 64) * 0.8);
  const more = 14 * (tickLines(ticks) - 1); // stacked tick labels
  const forward = step.phase === "forward";
  const shapes = [
    { type: "line", xref: "paper", x0: 0, x1: 0.8, yref: "y", y0: 0, y1: 0, line: { color: COLORS.muted, width: 1 } },
  ];
  if (forward) {
    for (const y of [-1, 1]) {
      shapes.push({ type: "line", xref: "paper", x0: 0, x1: 0.8, yref: "y", y0: y, y1: y, line: { color: COLORS.faint, width: 1, dash: "dot" } });
    }
  }
  const layout = baseLayout({
    height: Math.max(280, Math.min(420, Math.round(width * 0.55))) + more,
    margin: { l: 52, r: 12, t: 14, b: 48 + more },
    xaxis: {
      domain: [0, 0.8],
      range: [-0.6, nG - 0.4],
      ...ticks,
      tickfont: AXIS_FONT,
      showgrid: false,
      zeroline: false,
      fixedrange: true,
      title: { text: t("fig.groups_axis"), font: AXIS_FONT, standoff: 6 },
    },
    xaxis2: { domain: [0.84, 1], range: [0, maxCount * 1.05], showgrid: false, zeroline: false, tickfont: AXIS_FONT, nticks: 3, fixedrange: true, title: { text: t("fig.count"), font: AXIS_FONT, standoff: 6 } },
    yaxis: { range: yRange, gridcolor: COLORS.grid, zeroline: false, tickfont: AXIS_FONT, fixedrange: true, title: { text: t("fig.value"), font: AXIS_FONT, standoff: 4 } },
    shapes,
    bargap: 0.05,
    barmode: "overlay",
    hovermode: "closest",
    uirevision: "strip",
  });
  const meta = { windowStart: pts.g0, groupsShown: nG, groupsTotal: groupCount(trace), sampled: [...pts.sampled.values()].reduce((a, c) => a + c.length, 0), total: size(trace.shape) };
  return { data, layout, frames, meta };
}

/** When the arrays were summarized (large tensors): the input's and this step's histograms, from summaries. */
export function histogramFigure(trace, stepIndex, view) {
  const t = view.t;
  const step = trace.steps[stepIndex];
  const bars = (s, name, color) => {
    const h = s?.summary?.histogram;
    if (!h) return null;
    const x = [];
    const w = [];
    for (let k = 0; k < h.counts.length; k++) {
      x.push((h.edges[k] + h.edges[k + 1]) / 2);
      w.push(h.edges[k + 1] - h.edges[k]);
    }
    return { type: "bar", x, y: h.counts, width: w, name, marker: { color, line: { width: 0 } }, opacity: 0.8, hovertemplate: `%{x:.4g}: %{y}<extra>${name}</extra>` };
  };
  const input = trace.steps[0];
  const data = [bars(input, t("fig.input"), COLORS.faint), step !== input ? bars(step, step.title[view.lang] || step.id, COLORS.blue) : null].filter(Boolean);
  const sampled = step.summary?.histogram && step.summary.histogram.sampled < step.summary.count;
  return {
    data,
    layout: baseLayout({
      height: 300,
      barmode: "overlay",
      showlegend: true,
      legend: { orientation: "h", y: 1.08, x: 0, font: { ...FONT, size: 11 } },
      margin: { l: 52, r: 12, t: 30, b: 48 },
      xaxis: { title: { text: t("fig.value"), font: AXIS_FONT }, tickfont: AXIS_FONT, zeroline: true, zerolinecolor: COLORS.muted, fixedrange: true },
      yaxis: { title: { text: t("fig.count") + (sampled ? ` (${t("fig.sampled")})` : ""), font: AXIS_FONT }, tickfont: AXIS_FONT, gridcolor: COLORS.grid, fixedrange: true },
    }),
    frames: [],
    meta: {},
  };
}
