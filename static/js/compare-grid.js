// Where each cell of one tensor sits in a compare panel, which cells share a statistic, and which panels agree.
// One tensor, one layout for every panel: the channel reading puts channels (and the last spatial axis) across
// and samples (and the other spatial axes) down, the GroupNorm paper's picture flattened; the token reading
// (B, S, D) puts one token per row, features across. A gap separates samples (and channels with width).
// Pure: no DOM, no Plotly (compare-figure.js draws, compare.js wires).

import { flat, groupIds, size, stepById, unravel } from "./tensor.js";

// the characters of the notes' two sentences, token labels of a (2, S <= 5, D) tensor read as tokens
export const SENTENCES = ["我爱吃炸鸡", "今天很开心"];

function axesOf(rank, tokens) {
  if (tokens && rank === 3) return { rows: [0, 1], cols: [2] };
  if (rank === 1) return { rows: [], cols: [0] };
  if (rank === 2) return { rows: [0], cols: [1] };
  if (rank === 3) return { rows: [0, 2], cols: [1] };
  return { rows: [0, ...Array.from({ length: rank - 3 }, (_, k) => k + 2)], cols: [1, rank - 1] };
}

function placer(shape, axes) {
  const sizes = axes.map((a) => shape[a]);
  const inner = sizes.slice(1).reduce((a, b) => a * b, 1);
  const gap = axes.length > 1 && inner > 1 && sizes[0] > 1 ? 1 : 0;
  const count = axes.length ? sizes[0] * (inner + gap) - gap : 1;
  const place = (idx) => {
    if (!axes.length) return 0;
    let within = 0;
    for (let k = 1; k < axes.length; k++) within = within * sizes[k] + idx[axes[k]];
    return idx[axes[0]] * (inner + gap) + within;
  };
  return { count, place, inner, gap };
}

/** The display grid of a tensor: rows, cols, each cell's row and col, the cell at each position (-1: a gap),
 *  and tick labels. gridLayout([2, 6, 4]) -> 9 rows (2 samples of 4, one gap), 6 columns (channels). */
export function gridLayout(shape, tokens = false) {
  const axes = axesOf(shape.length, tokens);
  const R = placer(shape, axes.rows);
  const C = placer(shape, axes.cols);
  const n = size(shape);
  const row = new Int32Array(n);
  const col = new Int32Array(n);
  const at = new Int32Array(R.count * C.count).fill(-1);
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    row[i] = R.place(idx);
    col[i] = C.place(idx);
    at[row[i] * C.count + col[i]] = i;
  }
  return { shape, tokens: tokens && shape.length === 3, axes, rows: R.count, cols: C.count, row, col, at, rowInner: R.inner, rowGap: R.gap, colInner: C.inner, colGap: C.gap };
}

export const cellAt = (layout, r, c) => (r < 0 || c < 0 || r >= layout.rows || c >= layout.cols ? -1 : layout.at[r * layout.cols + c]);

/** The cell one step from `cell` in a direction of the display grid (dr, dc), gaps skipped; the same cell at
 *  an edge. For the arrow keys. */
export function stepCell(layout, cell, dr, dc) {
  let r = layout.row[cell] + dr;
  let c = layout.col[cell] + dc;
  while (r >= 0 && c >= 0 && r < layout.rows && c < layout.cols) {
    const i = cellAt(layout, r, c);
    if (i >= 0) return i;
    r += dr;
    c += dc;
  }
  return cell;
}

/** Tick labels: one per outer index at the middle of its band (its index; the axis name is the axis title), or
 *  one per row for tokens. {rows, cols, rowTitle, colTitle} */
export function ticks(layout, names, tokenLabel) {
  const band = (axes, inner, gap) => {
    if (!axes.length) return { tickvals: [], ticktext: [] };
    const a = axes[0];
    const n = layout.shape[a];
    const every = Math.max(1, Math.ceil(n / 12));
    const vals = [];
    const text = [];
    for (let k = 0; k < n; k += every) {
      vals.push(k * (inner + gap) + (inner - 1) / 2);
      text.push(String(k));
    }
    return { tickvals: vals, ticktext: text };
  };
  const title = (axes) => axes.map((a) => names[a]).join(" · ");
  const out = {
    cols: band(layout.axes.cols, layout.colInner, layout.colGap),
    rows: band(layout.axes.rows, layout.rowInner, layout.rowGap),
    colTitle: title(layout.axes.cols),
    rowTitle: title(layout.axes.rows),
  };
  if (layout.tokens && tokenLabel) {
    const [B, S] = layout.shape;
    const vals = [];
    const text = [];
    for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) {
      vals.push(b * (S + layout.rowGap) + s);
      text.push(tokenLabel(b, s));
    }
    if (vals.length <= 40) out.rows = { tickvals: vals, ticktext: text };
  }
  return out;
}

/** Label of token (b, s): a character of the notes' sentences when the tensor is (2, S <= 5, D), else "b,s". */
export function tokenLabel(shape, labels) {
  const [B, S] = shape;
  const own = labels && labels["1"];
  if (Array.isArray(own) && own.length === S) return (b, s) => `${own[s]}`;
  if (B <= SENTENCES.length && S <= 5) return (b, s) => SENTENCES[b][s];
  return (b, s) => `${b},${s}`;
}

/** Line segments (x, y arrays with null breaks) between neighbouring cells of different groups: the partition. */
export function partitionLines(layout, ids) {
  const x = [];
  const y = [];
  if (!ids) return { x, y };
  for (let r = 0; r < layout.rows; r++) {
    for (let c = 0; c < layout.cols; c++) {
      const i = cellAt(layout, r, c);
      if (i < 0) continue;
      const right = cellAt(layout, r, c + 1);
      if (right >= 0 && ids[right] !== ids[i]) x.push(c + 0.5, c + 0.5, null), y.push(r - 0.5, r + 0.5, null);
      const down = cellAt(layout, r + 1, c);
      if (down >= 0 && ids[down] !== ids[i]) x.push(c - 0.5, c + 0.5, null), y.push(r + 0.5, r + 0.5, null);
    }
  }
  return { x, y };
}

/** The outline of the cells for which `inside(i)` holds: every side that faces a cell outside, a gap or the edge. */
export function outline(layout, inside) {
  const x = [];
  const y = [];
  const out = (r, c) => {
    const j = cellAt(layout, r, c);
    return j < 0 || !inside(j);
  };
  for (let r = 0; r < layout.rows; r++) {
    for (let c = 0; c < layout.cols; c++) {
      const i = cellAt(layout, r, c);
      if (i < 0 || !inside(i)) continue;
      if (out(r - 1, c)) x.push(c - 0.5, c + 0.5, null), y.push(r - 0.5, r - 0.5, null);
      if (out(r + 1, c)) x.push(c - 0.5, c + 0.5, null), y.push(r + 0.5, r + 0.5, null);
      if (out(r, c - 1)) x.push(c - 0.5, c - 0.5, null), y.push(r - 0.5, r + 0.5, null);
      if (out(r, c + 1)) x.push(c + 0.5, c + 0.5, null), y.push(r - 0.5, r + 0.5, null);
    }
  }
  return { x, y };
}

/** The outline of the group of `cell` in a trace (every cell when the trace has no grouping). */
export function groupOutline(layout, trace, cell) {
  const ids = groupIds(trace);
  if (!ids) return outline(layout, () => true);
  const g = ids[cell];
  return outline(layout, (i) => ids[i] === g);
}

/** The output array of a trace (the last forward tensor step: InstanceNorm without affine ends at "normalized"). */
export function outputOf(trace) {
  if (trace.output) return flat(trace.output);
  const forward = trace.steps.filter((s) => s.phase === "forward" && s.kind === "tensor");
  return flat(forward[forward.length - 1]?.values);
}

/** Largest |y| over every panel's output: one color scale for all (at least 1e-12). */
export function sharedRange(traces) {
  let m = 1e-12;
  for (const t of Object.values(traces)) {
    const y = outputOf(t);
    if (y) for (const v of y) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  }
  return m;
}

/** Whether two outputs hold the same numbers: |a - b| <= tol * max(1, |a|) everywhere. */
export function sameNumbers(a, b, tol = 1e-6) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(a[i])))) return false;
  return true;
}

/** For each layer, the other layers whose outputs hold the same numbers: {group_norm: ["layer_norm"], ...}. */
export function coincidences(traces, tol = 1e-6) {
  const names = Object.keys(traces);
  const out = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const [a, b] = [names[i], names[j]];
      if (sameNumbers(outputOf(traces[a]), outputOf(traces[b]), tol)) {
        out[a].push(b);
        out[b].push(a);
      }
    }
  }
  return out;
}

const CENTER = ["mean", "min"];
const SPREAD = ["std", "rms", "range"];

/** The numbers of one cell in one panel: its group, x, the centre (mu or min) and spread (sigma, rms or range)
 *  of its group, its output y, and the index of the step whose live formula gives y's normalization. */
export function cellNumbers(trace, cell) {
  const ids = groupIds(trace);
  const g = ids ? ids[cell] : null;
  const stat = (ids_) => {
    for (const id of ids_) {
      const s = stepById(trace, id);
      const a = s && flat(s.values);
      if (a) return { id, value: a.length === 1 ? a[0] : a[g] };
    }
    return null;
  };
  const x = flat(trace.steps[0].values);
  const y = outputOf(trace);
  const formulaId = stepById(trace, "normalized") ? "normalized" : "output";
  return {
    group: g,
    x: x ? x[cell] : null,
    y: y ? y[cell] : null,
    center: stat(CENTER),
    spread: stat(SPREAD),
    formulaStep: trace.steps.findIndex((s) => s.id === formulaId),
    groupSize: trace.grouping ? trace.grouping.group_size : null,
    groups: trace.grouping ? size(trace.grouping.stat_shape) : null,
  };
}
