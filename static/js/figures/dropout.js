// Dropout as a scatter of each value before (x axis) and after (y axis) the step. Frames move the points: on
// the input every point sits on y = x; dropping pulls the dropped ones to 0; the 1/(1-p) rescaling lifts the
// kept ones onto y = x/(1-p). In evaluation mode the output stays on y = x. Backward: dL/dy against dL/dx.
// Pure: trace -> {data, layout, frames}.

import { fmt } from "../format.js";
import { cellLabel, flat, stepById } from "../tensor.js";
import { AXIS_FONT, COLORS, baseLayout } from "./common.js";

const MAX_POINTS = 1600;

export function dropoutSteps(trace, phase) {
  return trace.steps
    .map((s, i) => [s, i])
    .filter(([s]) => s.phase === phase && s.kind === "tensor" && s.values !== null)
    .map(([, i]) => i);
}

export function dropoutFigure(trace, stepIndex, view) {
  const t = view.t;
  const step = trace.steps[stepIndex];
  const backward = step.phase === "backward";
  const base = flat(stepById(trace, backward ? "grad_output" : "input")?.values);
  const mask = flat(stepById(trace, "mask")?.values);
  const n = base.length;
  const every = Math.max(1, Math.ceil(n / MAX_POINTS));
  const kept = [];
  const dropped = [];
  for (let i = 0; i < n; i += every) (mask && mask[i] === 0 ? dropped : kept).push(i);
  const p = Number(trace.params?.p ?? 0);
  const training = trace.params?.training !== false;

  const frameFor = (idx) => {
    const s = trace.steps[idx];
    const v = s.id === "mask" ? base : flat(s.values);
    const pts = (cells) => ({
      x: cells.map((i) => base[i]),
      y: cells.map((i) => v[i]),
      text: cells.map((i) => `${cellLabel(trace, i)}: ${fmt(base[i])} → ${fmt(v[i])}`),
    });
    return [pts(kept), pts(dropped)];
  };
  const indices = dropoutSteps(trace, step.phase);
  const frames = indices.map((i) => ({ name: trace.steps[i].id, data: frameFor(i), traces: [0, 1] }));
  const cur = frames.find((f) => f.name === step.id)?.data || frameFor(stepIndex);

  let lo = Infinity;
  let hi = -Infinity;
  for (const i of indices) {
    const s = trace.steps[i].summary;
    if (s && s.min !== null && trace.steps[i].id !== "mask") {
      lo = Math.min(lo, s.min);
      hi = Math.max(hi, s.max);
    }
  }
  const xs = base;
  let xlo = Infinity;
  let xhi = -Infinity;
  for (const v of xs) {
    xlo = Math.min(xlo, v);
    xhi = Math.max(xhi, v);
  }
  const pad = (a, b) => {
    const d = (b - a || 1) * 0.08;
    return [a - d, b + d];
  };
  const marker = (color, size) => ({ color, size, opacity: 0.85, line: { width: 0 } });
  const data = [
    { type: "scatter", mode: "markers", name: t("fig.kept"), marker: marker(COLORS.kept, 6), hovertemplate: "%{text}<extra></extra>", ...cur[0] },
    { type: "scatter", mode: "markers", name: t("fig.dropped"), marker: marker(COLORS.accent, 6), hovertemplate: "%{text}<extra></extra>", ...cur[1] },
  ];
  const line = (k, dash, color) => ({ type: "line", xref: "x", yref: "y", x0: xlo, x1: xhi, y0: xlo * k, y1: xhi * k, line: { color, width: 1, dash } });
  const shapes = [line(1, "dash", COLORS.faint)];
  if (training && p > 0 && p < 1 && mask) shapes.push(line(1 / (1 - p), "dot", COLORS.blueSoft));
  const annotations = [];
  if (training && p > 0 && p < 1 && mask) {
    annotations.push({ x: xhi, y: xhi / (1 - p), text: `y = x / (1 − ${fmt(p)})`, showarrow: false, xanchor: "right", yanchor: "bottom", font: AXIS_FONT });
  }
  annotations.push({ x: xhi, y: xhi, text: "y = x", showarrow: false, xanchor: "left", yanchor: "top", font: AXIS_FONT });
  const layout = baseLayout({
    height: Math.max(280, Math.min(420, Math.round((view.width || 640) * 0.6))),
    margin: { l: 56, r: 16, t: 30, b: 48 },
    showlegend: !!mask,
    legend: { orientation: "h", x: 0, y: 1.1, font: { size: 11 } },
    xaxis: { range: pad(xlo, xhi), tickfont: AXIS_FONT, gridcolor: COLORS.grid, zeroline: true, zerolinecolor: COLORS.faint, fixedrange: true, title: { text: backward ? "∂L/∂y" : t("fig.before"), font: AXIS_FONT } },
    yaxis: { range: pad(Math.min(lo, xlo, 0), Math.max(hi, xhi, 0)), tickfont: AXIS_FONT, gridcolor: COLORS.grid, zeroline: true, zerolinecolor: COLORS.faint, fixedrange: true, title: { text: backward ? view.pick(step.title) : t("fig.after"), font: AXIS_FONT } },
    shapes,
    annotations,
    hovermode: "closest",
  });
  return { data, layout, frames, meta: { kept: kept.length, dropped: dropped.length } };
}
