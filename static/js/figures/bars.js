// Bar charts with their numbers: one bar per statistic group (mean, variance, std, mean square, rms and their
// gradients), per parameter entry (dgamma, dbeta), or the running statistics before and after a training step.
// Pure: trace -> {data, layout, frames}.

import { fmt } from "../format.js";
import { axisLabel, flat, groupCount, groupLabel, paramLabel, paramShape, unravel } from "../tensor.js";
import { AXIS_FONT, COLORS, baseLayout, groupWindow, sparseTicks, tickLines } from "./common.js";

function barLayout(view, labels, extra = {}) {
  const width = view.width || 640;
  const ticks = sparseTicks(labels, Math.max(3, Math.floor((width - 80) / 52)), width - 80);
  const more = 14 * (tickLines(ticks) - 1); // stacked tick labels
  return baseLayout({
    height: 300 + more,
    margin: { l: 56, r: 12, t: 28, b: 52 + more },
    xaxis: { ...ticks, tickfont: AXIS_FONT, fixedrange: true, showgrid: false, title: { text: extra.xTitle || "", font: AXIS_FONT, standoff: 6 } },
    yaxis: { tickfont: AXIS_FONT, gridcolor: COLORS.grid, zeroline: true, zerolinecolor: COLORS.muted, fixedrange: true, title: { text: extra.yTitle || "", font: AXIS_FONT, standoff: 4 } },
    bargap: 0.25,
    hovermode: "closest",
    ...extra.layout,
  });
}

function bar(values, selected, start, labels, name) {
  const n = values.length;
  const showText = n <= 24;
  return {
    type: "bar",
    x: labels.map((_, k) => k),
    y: Array.from(values),
    width: n <= 4 ? 0.45 : undefined, // a few groups: slim bars, not slabs
    customdata: labels.map((_, k) => start + k),
    text: showText ? Array.from(values, (v) => fmt(v)) : undefined,
    textposition: showText ? "outside" : "none",
    cliponaxis: false,
    textfont: { size: n <= 8 ? 12 : 10, color: COLORS.ink },
    marker: { color: labels.map((_, k) => (start + k === selected ? COLORS.accent : COLORS.blueSoft)), line: { width: 0 } },
    hovertext: labels.map((l, k) => `${l}: ${fmt(values[k], 7)}`),
    hovertemplate: "%{hovertext}<extra></extra>",
    name,
  };
}

/** Steps of a phase with one value per group: the frames between which the bars grow and shrink. */
export function statSteps(trace, phase) {
  const n = groupCount(trace);
  return trace.steps
    .map((s, i) => [s, i])
    .filter(([s]) => s.phase === phase && s.kind === "stat" && !s.id.startsWith("running_") && flat(s.values)?.length === n)
    .map(([, i]) => i);
}

/** A y range holding 0 and every value, with room for the numbers printed above the bars. */
function barRange(values) {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  }
  const pad = (hi - lo || 1) * 0.16;
  return [lo < 0 ? lo - pad : 0, hi > 0 ? hi + pad : pad / 4];
}

/** One bar per statistic group; the selected group in the accent colour. Clicking a bar selects its group.
 *  Frames (one per statistic step of the phase) let the bars grow from one statistic into the next; `enter`
 *  starts them from zero when the figure is drawn afresh. */
export function statFigure(trace, stepIndex, view) {
  const step = trace.steps[stepIndex];
  const v = flat(step.values) || [];
  const [g0, g1] = groupWindow(v.length, view.group ?? 0, Math.max(6, Math.min(64, Math.floor(((view.width || 640) - 80) / 14))));
  const labels = [];
  for (let g = g0; g < g1; g++) labels.push(groupLabel(trace, g));
  const data = [bar(v.slice(g0, g1), view.group ?? 0, g0, labels, step.id)];
  const layout = barLayout(view, labels, { xTitle: view.t("fig.groups_axis"), yTitle: view.pick(step.title) });
  const frameOf = (s) => {
    const w = flat(s.values).slice(g0, g1);
    const b = bar(w, view.group ?? 0, g0, labels, s.id);
    // no numbers while the bars move (Plotly would slide them in from a corner): they land when it settles
    return { name: s.id, data: [{ y: b.y, text: b.y.map(() => ""), hovertext: b.hovertext }], traces: [0], layout: { yaxis: { ...layout.yaxis, range: barRange(w) } } };
  };
  const frames = statSteps(trace, step.phase).map((i) => frameOf(trace.steps[i]));
  layout.yaxis.range = barRange(v.slice(g0, g1));
  const enter = frames.length ? { data: [{ y: data[0].y.map(() => 0), text: data[0].text?.map(() => "") }], traces: [0] } : null;
  return { data, layout, frames, enter, meta: { kind: "groups", start: g0, settle: true } };
}

/** One bar per parameter entry (dgamma, dbeta): the entry the selected cell uses is highlighted. */
export function paramFigure(trace, stepIndex, view) {
  const step = trace.steps[stepIndex];
  const v = flat(step.values) || [];
  const pshape = step.shape || paramShape(trace) || [v.length];
  const selected = view.paramIndex ?? -1;
  const [s0, s1] = groupWindow(v.length, Math.max(0, selected), Math.max(6, Math.min(64, Math.floor(((view.width || 640) - 80) / 14))));
  const labels = [];
  for (let j = s0; j < s1; j++) labels.push(paramTick(trace, j, pshape));
  const data = [bar(v.slice(s0, s1), selected, s0, labels, step.id)];
  return { data, layout: barLayout(view, labels, { xTitle: view.t("fig.param_index"), yTitle: view.pick(step.title) }), frames: [], meta: { kind: "params", start: s0 } };
}

/** A parameter entry's tick: its index, or the labels of the input axes that index it ("height"; "(我,2)"). */
export function paramTick(trace, j, pshape) {
  const idx = unravel(j, pshape);
  const own = paramShape(trace);
  const parts = idx.map(String);
  if (own && own.length === pshape.length && own.every((d, k) => d === pshape[k])) {
    trace.param_axes.forEach((p, a) => {
      if (p !== null && p !== undefined) parts[p] = axisLabel(trace, a, idx[p]);
    });
  }
  return pshape.length === 1 ? parts[0] : `(${parts.join(",")})`;
}

/** Running statistics: the value before this batch, the batch statistic, and the updated value, per channel. */
export function runningFigure(trace, stepIndex, view) {
  const step = trace.steps[stepIndex];
  const t = view.t;
  const isVar = step.id === "running_var";
  const before = flat(isVar ? trace.parameters?.running_var : trace.parameters?.running_mean);
  const after = flat(step.values);
  const batchStat = flat(isVar ? trace.stats?.var : trace.stats?.mean);
  if (!before || !after) return statFigure(trace, stepIndex, view);
  const n = after.length;
  // one value per group (BatchNorm: per channel) or per parameter entry (InstanceNorm: per channel, while its
  // groups are per sample and channel)
  const perGroup = n === groupCount(trace);
  const labels = Array.from({ length: n }, (_, k) => (perGroup ? groupLabel(trace, k) : paramLabel(trace, k)));
  const xs = labels.map((_, k) => k);
  const mk = (vals, name, color, pattern) => ({
    type: "bar",
    x: xs,
    y: Array.from(vals),
    name,
    marker: { color, line: { width: 0 }, pattern },
    text: n <= 8 ? Array.from(vals, (v) => fmt(v)) : undefined,
    textposition: n <= 8 ? "outside" : "none",
    cliponaxis: false,
    textfont: { size: 10, color: COLORS.ink },
    hovertemplate: `${name}: %{y:.6g}<extra>%{x}</extra>`,
  });
  const data = [mk(before, t("fig.running_before"), COLORS.faint)];
  if (batchStat && batchStat.length === n) data.push(mk(batchStat, isVar ? t("fig.batch_var") : t("fig.batch_mean"), COLORS.blueSoft));
  data.push(mk(after, t("fig.running_after"), COLORS.accent));
  const layout = barLayout(view, labels, {
    xTitle: t("fig.channel"),
    yTitle: view.pick(step.title),
    layout: { barmode: "group", showlegend: true, legend: { orientation: "h", x: 0, y: 1.14, font: { size: 11 } }, margin: { l: 56, r: 12, t: 40, b: 52 } },
  });
  return { data, layout, frames: [], meta: { kind: "running" } };
}

