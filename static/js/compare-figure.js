// One compare panel as Plotly data: the layer's output on the shared color scale (or its groups in colors),
// thin lines between cells of different groups, the selected cell's group outlined, the cell itself marked.
// Pure: a trace and a layout in, {data, layout} out (compare.js calls Plotly).

import { COLORS, DIVERGING, FONT, QUALITATIVE, baseLayout } from "./figures/common.js";
import { fmt } from "./format.js";
import { groupLabel, groupIds, indexText } from "./tensor.js";
import { groupOutline, outputOf, partitionLines, ticks } from "./compare-grid.js";

// trace indices, for restyle on a new selection: the group's outline is drawn twice, a white halo under a line in
// the accent (ink when the cells are colored by group: the accent is one of the group colors)
export const TRACE = { heat: 0, lines: 1, halo: 2, group: 3, cell: 4 };

/** A discrete color scale of the qualitative palette for z = group id mod its length. */
export function groupScale() {
  const n = QUALITATIVE.length;
  return QUALITATIVE.flatMap((c, k) => [
    [k / n, c],
    [(k + 1) / n, c],
  ]);
}

/** Pixel size of a cell so the panel fits `width` and `maxHeight` (between 6 and 34 px), and the figure's height. */
export function cellPixels(layout, width, maxHeight = 400, margin = { l: 44, r: 8, t: 6, b: 34 }) {
  const across = Math.floor((width - margin.l - margin.r) / layout.cols);
  const down = Math.floor((maxHeight - margin.t - margin.b) / layout.rows);
  const cell = Math.max(6, Math.min(34, across, down));
  return { cell, height: cell * layout.rows + margin.t + margin.b, margin };
}

function matrices(trace, layout, opts) {
  const y = outputOf(trace);
  const ids = groupIds(trace);
  const z = Array.from({ length: layout.rows }, () => new Array(layout.cols).fill(null));
  const text = Array.from({ length: layout.rows }, () => new Array(layout.cols).fill(""));
  const x = opts.input;
  const t = opts.t;
  const named = { ...trace, axes: opts.names ?? trace.axes }; // the page's axis names in every panel's labels
  for (let i = 0; i < layout.row.length; i++) {
    const r = layout.row[i];
    const c = layout.col[i];
    z[r][c] = opts.color === "groups" ? (ids ? ids[i] % QUALITATIVE.length : 0) : y ? y[i] : null;
    const where = opts.cellName ? opts.cellName(i) : indexText(i, trace.shape);
    const group = ids ? `<br>${t("compare.hover_group")}: ${groupLabel(named, ids[i])}` : "";
    text[r][c] = `${where}<br>x = ${x ? fmt(x[i]) : "?"}<br>y = ${y ? fmt(y[i]) : "?"}${group}`;
  }
  return { z, text };
}

/** Scatter x/y of the selected cell's centre. */
const cellPoint = (layout, cell) => ({ x: [layout.col[cell]], y: [layout.row[cell]] });

/** The traces that change with the selection (restyle them only, TRACE.halo, .group, .cell): the group outline
 *  (twice) and the cell marker. */
export function selectionUpdate(trace, layout, cell) {
  const g = groupOutline(layout, trace, cell);
  const p = cellPoint(layout, cell);
  return { x: [g.x, g.x, p.x], y: [g.y, g.y, p.y] };
}

/** opts: {range (shared |y| max), color ("values" | "groups"), cell, width, t, names (axis names), tokenLabel,
 *  input (Float64Array of x), cellName(i), maxHeight (px)} */
export function panelFigure(trace, layout, opts) {
  const { z, text } = matrices(trace, layout, opts);
  const groups = opts.color === "groups";
  const heat = {
    type: "heatmap",
    z,
    text,
    hovertemplate: "%{text}<extra></extra>",
    colorscale: groups ? groupScale() : DIVERGING,
    zmin: groups ? 0 : -opts.range,
    zmax: groups ? QUALITATIVE.length : opts.range,
    showscale: false,
    xgap: 1,
    ygap: 1,
    hoverongaps: false,
  };
  const part = partitionLines(layout, groupIds(trace));
  const lines = { type: "scatter", mode: "lines", x: part.x, y: part.y, hoverinfo: "skip", line: { color: COLORS.ink, width: 1.5 }, opacity: 0.55 };
  const sel = selectionUpdate(trace, layout, opts.cell);
  const outlined = (color, width, k) => ({ type: "scatter", mode: "lines", x: sel.x[k], y: sel.y[k], hoverinfo: "skip", line: { color, width } });
  const halo = outlined(COLORS.panel, 6.5, 0);
  const group = outlined(groups ? COLORS.ink : COLORS.accent, 3.5, 1);
  const marker = { symbol: "square-open", size: 12, color: COLORS.ink, line: { width: 2.5, color: COLORS.ink } };
  const cell = { type: "scatter", mode: "markers", x: sel.x[2], y: sel.y[2], hoverinfo: "skip", marker };
  const { cell: px, height, margin } = cellPixels(layout, opts.width, opts.maxHeight);
  // no wider than its cells: a grid held by the height is centred by the page (compare.css), not by empty margins
  // that a print on paper narrower than the screen would shrink with it (static/js/paper.js)
  const width = Math.min(opts.width, px * layout.cols + margin.l + margin.r);
  const tk = ticks(layout, opts.names, opts.tokenLabel);
  const font = { ...FONT, size: 11, color: COLORS.muted };
  const axis = { showgrid: false, zeroline: false, ticks: "", fixedrange: true, tickangle: 0, tickfont: font };
  const titled = (text, standoff) => ({ text, font, standoff });
  return {
    data: [heat, lines, halo, group, cell],
    layout: baseLayout({
      height,
      width,
      margin,
      xaxis: { ...axis, ...tk.cols, title: titled(tk.colTitle, 2), range: [-0.5, layout.cols - 0.5], constrain: "domain" },
      yaxis: { ...axis, ...tk.rows, title: titled(tk.rowTitle, 4), range: [layout.rows - 0.5, -0.5], scaleanchor: "x", constrain: "domain" },
    }),
  };
}
