// A lab's figures as data: one figure spec of the lesson file (design notes, "Lab figure spec") plus the
// response's series -> Plotly {data, layout}. Pure (no DOM, no Plotly), so node --test runs it.
//   buildFigure(spec, series, {lang: "zh", frame: 3, width: 640}) -> {data, layout, frames: 40}

import { AXIS_FONT, COLORS, DIVERGING, FONT, SEQUENTIAL, baseLayout } from "./figures/common.js";
import { byScheme } from "./theme.js";
import { fmt } from "./format.js";

// palette index of the lesson files -> colour; 6 and 7 are for references (whole data, batch markers)
export const PALETTE = byScheme(
  ["#2f6db5", "#d9480f", "#009e73", "#8a6bbf", "#e69f00", "#cc79a7", "#1d2330", "#8c96a3"],
  ["#6fa3e3", "#f0713a", "#2fbf8f", "#a48ce0", "#e6a817", "#e08ab8", "#e4e7ec", "#8c96a3"],
);
const DASH = { solid: "solid", dot: "dot", dash: "dash" };

const pick = (text, lang) => (text && typeof text === "object" ? text[lang] ?? text.en ?? "" : text ?? "");
export const flatten = (a) => (Array.isArray(a) ? a.flat(Infinity) : [a]);
const color = (t, i) => PALETTE[(t.color ?? i) % PALETTE.length];

/** How many frames the figure plays: "frames" -> the framed series' leading axis, "reveal" -> the distinct x
 *  values of its traces (frame f shows every point up to the f-th of them). */
export function frameCount(spec, series) {
  if (spec.play === "frames") {
    const framed = (spec.traces || []).find((t) => !t.static);
    const key = framed && (framed.values || framed.y || framed.z);
    return key && Array.isArray(series[key]) ? series[key].length : 0;
  }
  if (spec.play === "reveal") return revealXs(spec, series).length;
  return 0;
}

/** The sorted distinct x values of a figure's array traces (a reveal's frames). */
export function revealXs(spec, series) {
  const xs = new Set();
  for (const t of spec.traces || []) {
    if (Array.isArray(series[t.y])) for (const x of xsOf(spec, t, series, flatten(series[t.y]).length)) xs.add(x);
  }
  return [...xs].sort((a, b) => a - b);
}

/** A trace's series at frame `f` (framed figures only; static traces have no frame axis). */
function at(spec, t, value, f) {
  return spec.play === "frames" && !t.static && Array.isArray(value) ? value[Math.min(f, value.length - 1)] : value;
}

function xsOf(spec, t, series, n) {
  const key = t.x || spec.x;
  return key && series[key] !== undefined ? Array.from(flatten(series[key])) : Array.from({ length: n }, (_, i) => i);
}

/** [lo, hi] of numbers with a margin; a flat range gets a unit width. */
export function padded(values, log = false) {
  const v = log ? values.filter((x) => x > 0).map(Math.log10) : values;
  if (!v.some(Number.isFinite)) return log ? [-1, 1] : [0, 1];
  let [lo, hi] = extent(v);
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) {
    lo -= 0.5;
    hi += 0.5;
  }
  const m = (hi - lo) * 0.06;
  return [lo - m, hi + m];
}

function lineTraces(spec, series, lang, f) {
  const upTo = spec.play === "reveal" ? revealXs(spec, series)[f] : Infinity;
  const ys = [];
  const xsAll = [];
  const references = [];
  const data = (spec.traces || []).map((t, i) => {
    const raw = at(spec, t, series[t.y], f);
    const c = color(t, i);
    const base = {
      type: "scatter",
      name: pick(t.name, lang),
      line: { color: c, width: 2, dash: DASH[t.dash] || "solid" },
      marker: { color: c, size: 6 },
      hovertemplate: "%{y:.5g}<extra>%{fullData.name}</extra>",
    };
    if (!Array.isArray(raw)) {
      // a scalar: a horizontal reference line over the figure's x range (set below)
      const d = { ...base, mode: "lines", x: [0, 1], y: [raw, raw] };
      references.push(d);
      ys.push(raw);
      return d;
    }
    const y = flatten(raw);
    const x = xsOf(spec, t, series, y.length);
    ys.push(...y);
    xsAll.push(...x);
    const mode = t.mode || (spec.kind === "scatter" ? "markers" : "lines");
    const keep = x.map((v, i) => (v <= upTo ? i : -1)).filter((i) => i >= 0);
    return { ...base, mode, x: keep.map((i) => x[i]), y: keep.map((i) => y[i]) };
  });
  const [lo, hi] = xsAll.length ? extent(xsAll) : [0, 1];
  for (const d of references) d.x = [lo, hi];
  return { data, ys, xs: xsAll };
}

/** [min, max] of the finite numbers of a (long) list, without spreading it into arguments. */
export function extent(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

function barTraces(spec, series, lang, f, width) {
  const cats = spec.categories ? spec.categories.map((c) => pick(c, lang)) : null;
  const columns = (spec.traces || []).map((t) => Array.from(flatten(at(spec, t, series[t.y], f))));
  const texts = columns.map((ys) => ys.map((v) => fmt(v, 3)));
  const size = barLabelSize(texts.flat(), width);
  const data = (spec.traces || []).map((t, i) => {
    const ys = columns[i];
    const xs = cats || xsOf(spec, t, series, ys.length);
    const look = { marker: { color: color(t, i) }, textposition: size ? "outside" : "none", textfont: { size: size || 10 } };
    const text = size ? texts[i] : undefined;
    return { type: "bar", name: pick(t.name, lang), x: xs, y: ys, text, ...look, cliponaxis: false, hovertemplate: "%{x}: %{y:.6g}<extra></extra>" };
  });
  return { data, ys: [...columns.flat(), 0] };
}

const BARGAP = 0.25; // between categories
const BARGROUPGAP = 0.12; // between the bars of a category: their numbers do not run together

/** The font size of the numbers over the bars of a plot `width` px wide: one size for all, the largest that
 *  fits the narrowest bar (a character about 0.62 em wide), at most 12 px (10 beyond 6 bars); 0, no numbers,
 *  when that is under 7 px or there are more than 12 bars (the hover shows them). */
export function barLabelSize(labels, width) {
  if (!labels.length || labels.length > 12) return 0;
  const bar = ((width - 70) * (1 - BARGAP) * (1 - BARGROUPGAP)) / labels.length; // 70: the y axis and margins
  const chars = Math.max(...labels.map((s) => s.length));
  const size = Math.min(labels.length > 6 ? 10 : 12, Math.floor(bar / (0.62 * chars)));
  return size >= 7 ? size : 0;
}

/** Category names under the bars, each broken into lines at its spaces where it is wider than its share of a plot
 *  `width` px wide (about 6.8 px per character of the 11 px tick font, a CJK character 1.75 of them): names side by
 *  side no longer run together ("PyTorch 0.1Keras 0.99"). {tickvals, ticktext, lines}; {lines: 1} when all fit. */
export function categoryTicks(cats, width) {
  const room = Math.floor(((width - 70) / Math.max(1, cats.length)) / 6.8) - 1; // characters per line, one spare
  const len = (text) => [...text].reduce((n, ch) => n + (ch.charCodeAt(0) > 0x2e80 ? 1.75 : 1), 0);
  if (cats.every((c) => len(c) <= room)) return { lines: 1 };
  const wrapped = cats.map((c) => {
    const lines = [];
    for (const word of c.split(" ")) {
      const last = lines.length - 1;
      if (last >= 0 && len(`${lines[last]} ${word}`) <= room) lines[last] += ` ${word}`;
      else lines.push(word);
    }
    return lines;
  });
  return { tickvals: cats, ticktext: wrapped.map((l) => l.join("<br>")), lines: Math.max(...wrapped.map((l) => l.length)) };
}

/** Shared bin edges of every trace of a histogram over all its frames: the bars tween instead of jumping. */
export function binEdges(spec, series) {
  const bins = spec.bins || 30;
  let lo;
  let hi;
  if (spec.range) [lo, hi] = spec.range;
  else {
    [lo, hi] = extent((spec.traces || []).flatMap((t) => flatten(series[t.values])));
    if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
  }
  const w = (hi - lo) / bins;
  return Array.from({ length: bins + 1 }, (_, i) => lo + i * w);
}

/** counts (or densities) of `values` in the bins of `edges`; values outside are left out. */
export function histogram(values, edges, norm = "density") {
  const bins = edges.length - 1;
  const w = edges[1] - edges[0];
  const counts = new Array(bins).fill(0);
  let n = 0;
  for (const v of values) {
    if (!(v >= edges[0] && v <= edges[bins])) continue;
    counts[Math.min(bins - 1, Math.floor((v - edges[0]) / w))] += 1;
    n += 1;
  }
  return norm === "count" ? counts : counts.map((c) => (n ? c / (n * w) : 0));
}

function histTraces(spec, series, lang, f) {
  const edges = binEdges(spec, series);
  const w = edges[1] - edges[0];
  const centers = edges.slice(0, -1).map((e) => e + w / 2);
  const all = [0];
  const data = (spec.traces || []).map((t, i) => {
    const ys = histogram(flatten(at(spec, t, series[t.values], f)), edges, spec.norm || "density");
    all.push(...ys);
    return { type: "bar", name: pick(t.name, lang), x: centers, y: ys, width: w, opacity: 0.62, marker: { color: color(t, i), line: { width: 0 } }, hovertemplate: "%{x:.3g}: %{y:.3g}<extra>%{fullData.name}</extra>" };
  });
  return { data, ys: all, xs: [edges[0], edges[edges.length - 1]] };
}

function heatTraces(spec, series, lang, f) {
  const t = (spec.traces || [])[0] || {};
  const z = at(spec, t, series[t.z], f);
  const v = flatten(z);
  const neg = v.some((x) => x < 0);
  const [zlo, zhi] = extent(v);
  const m = Math.max(Math.abs(zlo), Math.abs(zhi), 1e-12);
  const scale = neg ? [0, 2, 4].map((k, i) => [i / 2, DIVERGING[k][1]]) : SEQUENTIAL;
  const trace = { type: "heatmap", z, colorscale: scale, zmin: neg ? -m : zlo, zmax: neg ? m : zhi, hovertemplate: "%{x}, %{y}: %{z:.5g}<extra></extra>", name: pick(t.name, lang) };
  if (t.x) trace.x = series[t.x];
  if (t.y) trace.y = series[t.y];
  return { data: [trace], ys: null };
}

const BUILDERS = { lines: lineTraces, scatter: lineTraces, bars: barTraces, histogram: histTraces, heatmap: heatTraces };

function axis(title, lang, log, range, extra = {}) {
  const out = { title: { text: pick(title, lang), font: AXIS_FONT, standoff: 6 }, tickfont: AXIS_FONT, gridcolor: COLORS.grid, zerolinecolor: COLORS.zero, fixedrange: true, automargin: true, ...extra };
  if (log) out.type = "log";
  out.exponentformat = "e"; // not "power": its superscripts are tspans with a style attribute, which the CSP refuses
  if (range) out.range = range;
  return out;
}

/** {data, layout, frames} of figure `spec` at frame `opts.frame` (default: the last). */
export function buildFigure(spec, series, opts = {}) {
  const lang = opts.lang || "en";
  const frames = frameCount(spec, series);
  const f = frames ? Math.max(0, Math.min(opts.frame ?? frames - 1, frames - 1)) : 0;
  const build = BUILDERS[spec.kind] || lineTraces;
  const width = opts.width || 640;
  const { data, ys, xs } = build(spec, series, lang, f, width);
  // fixed axis ranges over every frame: playing and knob changes move the data, the axes glide with them
  let yRange = spec.y_range || null;
  if (!yRange && ys && spec.kind !== "heatmap") {
    const every = spec.play === "frames" ? allFrames(spec, series, lang, frames, build) : ys;
    yRange = padded(every, !!spec.y_log);
    if (spec.kind === "bars") yRange = [Math.min(yRange[0], 0), yRange[1] + (yRange[1] - yRange[0]) * 0.12];
    if (spec.kind === "histogram") yRange[0] = 0;
  }
  const xRange = xs && xs.length && spec.kind !== "bars" ? padded(xs, !!spec.x_log) : null;
  // a log axis over a few values (batch sizes 1, 2, 4, ...): ticks at those values, not at every digit
  const distinct = xs && spec.x_log ? [...new Set(xs)].sort((a, b) => a - b) : [];
  const logTicks = distinct.length && distinct.length <= 12 ? { tickvals: distinct, ticktext: distinct.map((v) => fmt(v)) } : {};
  const legend = spec.kind !== "heatmap" && data.length > 1;
  const { lines, ...catTicks } = spec.kind === "bars" && spec.categories ? categoryTicks(data[0]?.x || [], width) : { lines: 1 };
  // The plot area keeps its height; the legend's rows go below the x axis title and add to the figure's height.
  const plot = opts.height || (width < 480 ? 220 : 250);
  const below = 48 + 13 * (lines - 1); // tick labels (a line each) and the x axis title
  const legendPx = legend ? legendHeight(data, width) : 0;
  const layout = baseLayout({
    height: plot + 10 + below + legendPx,
    margin: { l: 56, r: 14, t: 10, b: below + legendPx },
    xaxis: axis(spec.x_title, lang, spec.x_log, spec.kind === "lines" || spec.kind === "scatter" || spec.kind === "histogram" ? xRange : null, spec.kind === "bars" ? { type: "category", showgrid: false, ...catTicks } : logTicks),
    yaxis: axis(spec.y_title, lang, spec.y_log, yRange),
    showlegend: legend,
    legend: { orientation: "h", x: 0, xanchor: "left", y: -(below + 4) / plot, yanchor: "top", font: { ...FONT, size: 11 } },
    barmode: spec.kind === "histogram" ? "overlay" : "group",
    bargap: spec.kind === "histogram" ? 0 : BARGAP,
    bargroupgap: spec.kind === "bars" ? BARGROUPGAP : 0,
    hovermode: "closest",
  });
  return { data, layout, frames, frame: f };
}

/** Pixels the horizontal legend under the plot needs: rows of entries about 7 px per character wide. */
export function legendHeight(data, width) {
  let rows = 1;
  let used = 0;
  for (const d of data) {
    const w = 46 + 6.8 * [...(d.name || "")].reduce((n, ch) => n + (ch.charCodeAt(0) > 0x2e80 ? 1.75 : 1), 0);
    if (used && used + w > width - 20) {
      rows += 1;
      used = 0;
    }
    used += w;
  }
  return 8 + rows * 20;
}

function allFrames(spec, series, lang, frames, build) {
  const out = [];
  for (let i = 0; i < frames; i++) out.push(...(build(spec, series, lang, i).ys || []));
  return out;
}

/** Can Plotly.animate move `before` to `after` (same traces, same types, same point counts)? */
export function sameShape(before, after) {
  if (!before || before.length !== after.length) return false;
  return before.every((d, i) => d.type === after[i].type && (d.x || []).length === (after[i].x || []).length && (d.y || []).length === (after[i].y || []).length);
}

/** "after batch ${frame}" with the 1-based frame number; without a frame_label, "3 / 40". */
export function frameText(spec, f, lang, frames) {
  if (!spec.frame_label) return `${f + 1} / ${frames}`;
  return pick(spec.frame_label, lang).replace(/\$\{frame\}/g, String(f + 1));
}
