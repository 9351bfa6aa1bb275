// The tensor view's cells as square scatter markers, so that Plotly.animate can move them (it tweens scatter
// traces, never a heatmap). Between array steps the cells stay put and change colour; on a statistic step each
// group's cells glide to the group's place (the middle of its cells in the mosaic) and merge into one tile that
// shows the statistic; on the next array step they spread back to their own cells, transformed. Every frame
// holds the same points in the same order, whatever the step. Pure: (trace, what is drawn, mosaic) -> a trace.

import { fmt, fmtCell } from "../format.js";
import { cellLabel, flat, groupCount, groupIds, groupLabel, paramIndex, paramLabel, paramShape, size } from "../tensor.js";
import { COLORS, FONT, QUALITATIVE, scaleColor, textOn, veil } from "./common.js";

export const MAX_MARKERS = 1024; // drawn cells; above it the view stays a heatmap and steps jump (SVG markers cost ~3x a heatmap)
const MAX_TILE = 2.4; // cells: the side of a statistic's tile at most...
const MAX_TILE_PX = 44; // ...or this many px, when cells are small
// "No number here" is a space, never "": Plotly drops the text node of an empty text and a transition does not
// bring it back, so a cell would come home from its group's tile without its number.
const BLANK = " ";

/** Where a cell's value goes on a step that is not an array of the input's shape: to its group for a
 *  statistic per group, to its parameter entry for dgamma, dbeta or per-channel buffers, to one place for a
 *  single number. Returns {slot: Int32Array per cell, by: "group" | "param" | "one"}, or null when the step's
 *  values fit none of these (the view then keeps the input in place, for context). */
export function slotsOf(trace, step) {
  const v = flat(step.values);
  if (!v || !v.length) return null;
  const n = size(trace.shape);
  const ids = groupIds(trace);
  const ps = paramShape(trace);
  const byParam = ps && v.length === size(ps);
  if (ids && v.length === groupCount(trace) && !(step.kind === "param" && byParam)) return { slot: ids, by: "group" };
  if (byParam) return { slot: Int32Array.from({ length: n }, (_, i) => paramIndex(trace, i)), by: "param" };
  if (v.length === 1) return { slot: new Int32Array(n), by: "one" };
  return null;
}

/** Each slot's place: the mean (column, row) of its drawn cells. Map slot -> {x, y}. */
export function slotPlaces(m, slot) {
  const acc = new Map();
  m.cellOf.forEach((i, p) => {
    if (i < 0) return;
    const a = acc.get(slot[i]) || { x: 0, y: 0, n: 0 };
    a.x += p % m.cols;
    a.y += Math.floor(p / m.cols);
    a.n += 1;
    acc.set(slot[i], a);
  });
  for (const a of acc.values()) {
    a.x /= a.n;
    a.y /= a.n;
  }
  return acc;
}

/** A tile's side in cells: as large as the closest two places allow (tiles never overlap), at most MAX_TILE
 *  cells or MAX_TILE_PX, whichever is larger (small cells still make a tile one can see), never larger than
 *  the mosaic. */
export function tileSide(places, m, cellPx = 0) {
  const pts = [...places.values()];
  let d = Infinity;
  if (pts.length > 600) d = 1;
  else {
    for (let a = 0; a < pts.length; a++) {
      for (let b = a + 1; b < pts.length; b++) d = Math.min(d, Math.max(Math.abs(pts[a].x - pts[b].x), Math.abs(pts[a].y - pts[b].y)));
    }
  }
  const most = Math.max(MAX_TILE, cellPx > 0 ? MAX_TILE_PX / cellPx : 0);
  return Math.max(0.7, Math.min(most, d * 0.86, m.rows, m.cols));
}

/** Drawing order of the mosaic's positions, the same for every step: the other groups, then the selected
 *  group, then the selected cell on top (its outline travels with it). */
export function drawOrder(trace, m, view) {
  const ids = groupIds(trace);
  const sel = view.group ?? 0;
  const rank = (i) => (i === view.cell ? 2 : !ids || ids[i] === sel ? 1 : 0);
  const pos = [];
  m.cellOf.forEach((i, p) => i >= 0 && pos.push(p));
  return pos.sort((a, b) => rank(m.cellOf[a]) - rank(m.cellOf[b]) || a - b);
}

function baseColor(d, color, values, stat, slots, ids, i) {
  if (d.mode === "groups") return QUALITATIVE[ids[i] % QUALITATIVE.length];
  if (d.mode === "mask") return values[i] === 0 ? COLORS.dropped : COLORS.kept;
  const v = d.mode === "stat" ? stat[slots.slot[i]] : values[i];
  return scaleColor(color.colorscale, color.zmin, color.zmax, v);
}

function cellText(d, values, ids, i) {
  if (d.mode === "groups") return String(ids[i]);
  if (d.mode === "mask") return String(values[i]);
  return fmtCell(values[i]);
}

/** The one member of each slot that carries the statistic's number: the selected cell in its own slot, else
 *  the member nearest the slot's place (its label travels the shortest way). */
function representatives(m, order, slots, places, cell) {
  const rep = new Map();
  const dist = new Map();
  for (const p of order) {
    const i = m.cellOf[p];
    const s = slots.slot[i];
    const at = places.get(s);
    const dd = i === cell ? -1 : Math.hypot((p % m.cols) - at.x, Math.floor(p / m.cols) - at.y);
    if (!rep.has(s) || dd < dist.get(s)) {
      rep.set(s, i);
      dist.set(s, dd);
    }
  }
  return new Set(rep.values());
}

/** What every point of one step shares: the drawing order, the statistic and its tiles, the selection. */
function stepContext(trace, d, m, geo, view) {
  const order = drawOrder(trace, m, view);
  const stat = d.mode === "stat" ? flat(d.step.values) : null;
  const c = { ids: groupIds(trace), order, stat, values: d.mode === "groups" || stat ? null : flat(d.step.values), slots: d.slots };
  c.sel = view.group ?? 0;
  c.home = Math.max(2, geo.cell - geo.gap);
  if (!stat) return c;
  c.places = slotPlaces(m, c.slots.slot);
  c.reps = representatives(m, order, c.slots, c.places, view.cell);
  c.selSlot = view.cell >= 0 && view.cell < c.slots.slot.length ? c.slots.slot[view.cell] : null;
  c.tilePx = Math.max(4, tileSide(c.places, m, geo.cell) * geo.cell - geo.gap);
  c.tileFont = Math.round(Math.max(10, Math.min(16, c.tilePx / 4.2)));
  return c;
}

/** One cell on one step: [x, y, size, text, font size, hover]. */
function place(trace, d, c, m, geo, view, p) {
  const i = m.cellOf[p];
  if (!c.stat) {
    const text = geo.showText ? cellText(d, c.values, c.ids, i) || BLANK : BLANK;
    return [p % m.cols, Math.floor(p / m.cols), c.home, text, geo.fontSize, cellHover(trace, d, c.values, c.ids, i, view)];
  }
  const s = c.slots.slot[i];
  const at = c.places.get(s);
  const rep = c.reps.has(i);
  // one member per tile is the tile; the others hide under it instead of swelling with it
  const text = rep && c.tilePx >= 18 ? fmtCell(c.stat[s]) : BLANK;
  return [at.x, at.y, rep ? c.tilePx : c.home, text, c.tileFont, statHover(trace, d, c.slots, s, c.stat[s], view)];
}

/**
 * The cells trace for one step. d: drawnArray's answer plus `slots` (slotsOf) when d.mode is "stat";
 * color: {colorscale, zmin, zmax}; geo: {cell (px per cell), gap, showText, fontSize}; view: {group, cell, t}.
 */
export function cellsTrace(trace, d, color, m, geo, view) {
  const c = stepContext(trace, d, m, geo, view);
  const keys = ["x", "y", "size", "text", "textSize", "hovertext", "color", "textColor", "customdata", "lineWidth"];
  const out = Object.fromEntries(keys.map((k) => [k, []]));
  for (const p of c.order) {
    const i = m.cellOf[p];
    const bright = c.stat && c.slots.by === "param" ? c.slots.slot[i] === c.selSlot : !c.ids || c.ids[i] === c.sel;
    const base = baseColor(d, color, c.values, c.stat, c.slots, c.ids, i);
    const ink = textOn(base);
    const row = [...place(trace, d, c, m, geo, view, p), bright ? base : veil(base), bright ? ink : veil(ink), i, i === view.cell ? 2.5 : 0];
    keys.forEach((k, j) => out[k].push(row[j]));
  }
  return {
    type: "scatter",
    // the same in every frame (a trace whose mode changes cannot be tweened); no text nodes at all when the
    // cells are too small for numbers: Plotly lays out every text node on its own, 2,000 of them take seconds
    mode: geo.showText ? "markers+text" : "markers",
    name: "tensor",
    x: out.x,
    y: out.y,
    customdata: out.customdata,
    text: out.text,
    hovertext: out.hovertext,
    hovertemplate: "%{hovertext}<extra></extra>",
    textposition: "middle center",
    textfont: { family: FONT.family, size: out.textSize, color: out.textColor },
    marker: { symbol: "square", size: out.size, color: out.color, opacity: 1, line: { color: COLORS.ink, width: out.lineWidth } },
    cliponaxis: false,
  };
}

function cellHover(trace, d, values, ids, i, view) {
  const t = view.t;
  const where = `${d.symbol}${cellLabel(trace, i)}`;
  if (d.mode === "groups") return `${where}<br>${t("fig.group")} ${groupLabel(trace, ids[i])} (#${ids[i]})`;
  const grp = ids ? `<br>${t("fig.group")} ${groupLabel(trace, ids[i])} (#${ids[i]})` : "";
  return `${where} = ${fmt(values[i], 6)}${grp}`;
}

function statHover(trace, d, slots, s, v, view) {
  const label = slots.by === "group" ? `${view.t("fig.group")} ${groupLabel(trace, s)} (#${s})` : slots.by === "param" ? paramLabel(trace, s) : "";
  return `${d.symbol} = ${fmt(v, 6)}${label ? `<br>${label}` : ""}`;
}
