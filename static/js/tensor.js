// Reading a trace's arrays: flattening nested lists, index arithmetic, and which cells share a statistic.
// Mirrors core/trace.py's Grouping: stat_index[stat_axis] = index[axis] // divisor for mapped axes.

const flatCache = new WeakMap();

/** Nested lists -> Float64Array in row-major order (cached per array object). flat([[1, 2], [3, 4]]) -> [1, 2, 3, 4] */
export function flat(values) {
  if (values === null || values === undefined) return null;
  if (typeof values === "number" || typeof values === "boolean") return Float64Array.of(Number(values));
  const hit = flatCache.get(values);
  if (hit) return hit;
  const out = [];
  (function walk(v) {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else out.push(v === null ? NaN : Number(v));
  })(values);
  const arr = Float64Array.from(out);
  flatCache.set(values, arr);
  return arr;
}

export const size = (shape) => shape.reduce((a, b) => a * b, 1);

export function strides(shape) {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Flat index -> multi-index. unravel(5, [2, 3]) -> [1, 2] */
export function unravel(i, shape) {
  const idx = new Array(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = i % shape[a];
    i = Math.floor(i / shape[a]);
  }
  return idx;
}

export function ravel(idx, shape) {
  let i = 0;
  for (let a = 0; a < shape.length; a++) i = i * shape[a] + idx[a];
  return i;
}

const groupCache = new WeakMap();

/** The flat statistic index of every input element (Int32Array), or null for layers without statistics. */
export function groupIds(trace) {
  const g = trace.grouping;
  if (!g) return null;
  const hit = groupCache.get(trace);
  if (hit) return hit;
  const shape = trace.shape;
  const n = size(shape);
  const ids = new Int32Array(n);
  const statStrides = strides(g.stat_shape);
  const inStrides = strides(shape);
  for (let a = 0; a < shape.length; a++) {
    const m = g.axis_map[a];
    if (!m) continue;
    const [statAxis, divisor] = m;
    for (let i = 0; i < n; i++) {
      const k = Math.floor(i / inStrides[a]) % shape[a];
      ids[i] += Math.floor(k / divisor) * statStrides[statAxis];
    }
  }
  groupCache.set(trace, ids);
  return ids;
}

export const groupCount = (trace) => (trace.grouping ? size(trace.grouping.stat_shape) : 0);

/** Flat indices of the cells in group g, in memory order. */
export function members(trace, g) {
  const ids = groupIds(trace);
  if (!ids) return [];
  const out = [];
  for (let i = 0; i < ids.length; i++) if (ids[i] === g) out.push(i);
  return out;
}

/** The input's axis names, as the server sends them (trace.axes): BatchNorm2d ["N", "C", "H", "W"],
 *  channels-last ["N", "H", "W", "C"], LayerNorm ["B", "S", "D"]... "d0", "d1"... when a trace has none. */
export function axisNames(trace) {
  const axes = trace.axes;
  if (Array.isArray(axes) && axes.length === trace.shape.length) return axes;
  return trace.shape.map((_, i) => `d${i}`);
}

/** Channels on the last axis of an input with spatial axes: ["N", "H", "W", "C"]. */
export function channelsLast(trace) {
  const names = axisNames(trace);
  return names.length >= 3 && names[names.length - 1] === "C";
}

/** The channel axis (the one named "C"), or null. */
export function channelAxis(trace) {
  const i = axisNames(trace).indexOf("C");
  return i < 0 ? null : i;
}

/** Index i along input axis `axis` as the page shows it: the trace's label for it when the input carried
 *  labels (trace.labels = {"1": ["我", "爱", ...]}, keyed by axis as a string: a pasted header, a sentence's
 *  characters), else the index itself. axisLabel(trace, 1, 0) -> "我"; without labels -> "0". */
export function axisLabel(trace, axis, i) {
  const label = labelList(trace, axis)?.[i];
  return label === undefined || label === null || label === "" ? String(i) : shown(String(label));
}

/** A label as figures may print it: Plotly reads tags and entities in its text, so <, > and & (which a pasted
 *  CSV header may hold) are drawn as look-alikes that form neither: "a<b>" -> "a‹b›", "R&D" -> "R＆D". */
export const shown = (label) => label.replace(/</g, "‹").replace(/>/g, "›").replace(/&/g, "＆");

function labelList(trace, axis) {
  const list = trace?.labels?.[String(axis)];
  return Array.isArray(list) && list.length === trace.shape[axis] ? list : null;
}

/** Whether input axis `axis` carries labels (a list of the axis' length). */
export const hasLabels = (trace, axis) => labelList(trace, axis) !== null;

/** The SESSION.md contract's `axisLabel(axis, i)`, bound to one trace (tensor.js keeps no state: the compare
 *  page draws several traces at once): labeller(trace)(1, 0) -> "我". */
export const labeller = (trace) => (axis, i) => axisLabel(trace, axis, i);

/** A group's label from its statistic index: "C=1", "N=0, G=1"... (G when several channels share a group);
 *  an axis with labels shows its label: "B=0, S=爱". */
export function groupLabel(trace, g) {
  const gr = trace.grouping;
  if (!gr) return "";
  const names = axisNames(trace);
  const statIdx = unravel(g, gr.stat_shape);
  const parts = [];
  gr.axis_map.forEach((m, axis) => {
    if (!m) return;
    const [statAxis, divisor] = m;
    const k = statIdx[statAxis];
    parts[statAxis] = divisor > 1 ? `G=${k}` : `${names[axis]}=${axisLabel(trace, axis, k)}`;
  });
  return parts.filter(Boolean).join(", ") || "all";
}

/** "(0, 1, 2, 3)" for a flat index. */
export const indexText = (i, shape) => `(${unravel(i, shape).join(", ")})`;

/** A cell's index with the labels of the axes that have them: "(0, 爱, 3)"; indexText without labels. */
export const cellLabel = (trace, i) => `(${unravel(i, trace.shape).map((k, a) => axisLabel(trace, a, k)).join(", ")})`;

/** The shape of gamma/beta (and of the running buffers), from trace.param_axes: for each input axis, the
 *  parameter axis it indexes or null. BatchNorm2d on [2, 3, 4, 4]: param_axes [null, 0, null, null] -> [3];
 *  LayerNorm([4, 4]) on the same input: [null, null, 0, 1] -> [4, 4]. null when the layer has no parameters. */
export function paramShape(trace) {
  const pa = trace.param_axes;
  if (!Array.isArray(pa) || pa.length !== trace.shape.length) return null;
  const out = [];
  pa.forEach((p, a) => {
    if (p !== null && p !== undefined) out[p] = trace.shape[a];
  });
  return out.length && !out.includes(undefined) ? out : null;
}

/** Which parameter entry an input cell uses, as a flat index into the parameter array (null without
 *  parameters). paramIndex(BatchNorm2d trace, cell at (0, 2, 1, 1)) -> 2. */
export function paramIndex(trace, cell) {
  const pshape = paramShape(trace);
  if (!pshape || cell === null || cell === undefined || cell < 0 || cell >= size(trace.shape)) return null;
  const idx = unravel(cell, trace.shape);
  const pidx = new Array(pshape.length).fill(0);
  trace.param_axes.forEach((p, a) => {
    if (p !== null && p !== undefined) pidx[p] = idx[a];
  });
  return ravel(pidx, pshape);
}

/** A parameter entry's label from the input axes that index it: "C=1", "H=0, W=2"; the plain index without
 *  parameters. */
export function paramLabel(trace, j) {
  const pshape = paramShape(trace);
  if (!pshape) return String(j);
  const names = axisNames(trace);
  const pidx = unravel(j, pshape);
  const parts = [];
  trace.param_axes.forEach((p, a) => {
    if (p !== null && p !== undefined) parts[p] = `${names[a]}=${axisLabel(trace, a, pidx[p])}`;
  });
  return parts.join(", ");
}

/** Shape of a nested list. shapeOf([[1, 2, 3]]) -> [1, 3] */
export function shapeOf(v) {
  const out = [];
  while (Array.isArray(v)) {
    out.push(v.length);
    v = v[0];
  }
  return out;
}

/** The input cells that feed one parameter entry (the sum in dgamma / dbeta). */
export function paramMembers(trace, j) {
  const n = size(trace.shape);
  const out = [];
  for (let i = 0; i < n; i++) if (paramIndex(trace, i) === j) out.push(i);
  return out;
}

/** A trace's step by id, or undefined. */
export const stepById = (trace, id) => trace.steps.find((s) => s.id === id);
