// Shared look of every figure: palette, fonts, a base layout. Figures are data: these are plain objects.

import { byScheme } from "../theme.js";

const LIGHT = {
  ink: "#1d2330",
  muted: "#5b6474",
  faint: "#d5d9df",
  grid: "#eceef1",
  zero: "#c9ced6",
  paper: "#fbfaf8",
  panel: "#ffffff",
  accent: "#d9480f", // the selected group
  accentSoft: "#f6b08f",
  blue: "#2f6db5", // everything else
  blueSoft: "#9dbbe0",
  kept: "#2f6db5",
  dropped: "#c9ced6",
};
// At night the same roles on the dark panels (static/css/normlens.css's dark block): light ink, soft colours
// darker than the strong ones, not lighter, so the selected group still stands out.
const DARK_COLORS = {
  ink: "#e4e7ec",
  muted: "#a0a9b6",
  faint: "#3a414c",
  grid: "#2a3038",
  zero: "#4a525e",
  paper: "#1a1e24",
  panel: "#1a1e24",
  accent: "#f0713a",
  accentSoft: "#8c4a2e",
  blue: "#6fa3e3",
  blueSoft: "#3b5b80",
  kept: "#6fa3e3",
  dropped: "#4a525e",
};
export const COLORS = byScheme(LIGHT, DARK_COLORS);
/** The ink of text on a light colour, in either scheme (`textOn`). */
const INK_ON_LIGHT = LIGHT.ink;

// Diverging blue - paper - red around 0, gentle at the ends so printed numbers stay legible; at night around
// the dark panel, brighter at the ends.
export const DIVERGING = byScheme(
  [
    [0, "#2b5c8a"],
    [0.25, "#86abd3"],
    [0.5, "#f4f3ef"],
    [0.75, "#e7a283"],
    [1, "#b2401c"],
  ],
  [
    [0, "#5b9be0"],
    [0.25, "#35587e"],
    [0.5, "#262a31"],
    [0.75, "#8a4529"],
    [1, "#f27b45"],
  ],
);
// Non-negative arrays (squares, masks).
export const SEQUENTIAL = byScheme(
  [
    [0, "#f4f3ef"],
    [0.5, "#8fb0d6"],
    [1, "#1f3a5f"],
  ],
  [
    [0, "#262a31"],
    [0.5, "#3d6a9e"],
    [1, "#a9cbf2"],
  ],
);
// Group colours for the grouping step: distinct, calm, colour-blind friendly (Okabe-Ito based).
export const QUALITATIVE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#7a7a2e", "#8a6bbf"];

const FAMILY =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';
export const FONT = byScheme({ family: FAMILY, size: 12, color: LIGHT.ink }, { family: FAMILY, size: 12, color: DARK_COLORS.ink });
/** Axis titles and ticks. */
export const AXIS_FONT = byScheme({ size: 11, color: LIGHT.muted }, { size: 11, color: DARK_COLORS.muted });

export function baseLayout(extra = {}) {
  return {
    font: FONT,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    margin: { l: 48, r: 16, t: 16, b: 40 },
    showlegend: false,
    hoverlabel: { bgcolor: COLORS.panel, bordercolor: COLORS.faint, font: { ...FONT, size: 12 } },
    dragmode: false,
    ...extra,
  };
}

/** Lines of at most `width` characters (CJK text, without spaces, is cut by characters). */
export function wrap(text, width = 44) {
  const cjk = /[\u3000-\u9fff]/.test(text);
  if (cjk) return text.match(new RegExp(`.{1,${Math.round(width / 2)}}`, "gu")).join("<br>");
  const lines = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join("<br>");
}

/** An empty figure that says why it is empty (e.g. a tensor too large to draw cell by cell). */
export function messageFigure(text, height = 220) {
  text = wrap(text);
  return {
    data: [],
    layout: baseLayout({
      height,
      xaxis: { visible: false },
      yaxis: { visible: false },
      annotations: [
        { text, x: 0.5, y: 0.5, xref: "paper", yref: "paper", showarrow: false, font: { ...FONT, size: 14, color: COLORS.muted } },
      ],
    }),
    frames: [],
  };
}

/** Visible window of at most `max` groups that contains `selected`: [start, end). */
export function groupWindow(count, selected, max) {
  if (count <= max) return [0, count];
  const start = Math.min(Math.max(0, selected - Math.floor(max / 2)), count - max);
  return [start, start + max];
}

/** Deterministic jitter in [-1, 1] from an integer (a hash, so points keep their place across frames). */
export function jitter(i) {
  let h = (i + 1) * 2654435761;
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 2246822507) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  return (h / 4294967295) * 2 - 1;
}

/** Tick positions for `n` categories, at most `max` labels, and no more than fit side by side in `width` px.
 *  A long label of several parts ("B=我爱吃炸鸡, S=我") is stacked, one part a line, instead of slanted. */
export function sparseTicks(labels, max = 12, width = 0) {
  const stacked = labels.map((l) => (l.length > 9 ? l.split(", ").join("<br>") : l));
  const widest = Math.max(1, ...stacked.flatMap((l) => l.split("<br>").map(textWidth)));
  if (width > 0) max = Math.min(max, Math.max(2, Math.floor(width / (widest * 6.5 + 14))));
  const n = labels.length;
  const every = Math.max(1, Math.ceil(n / max));
  const vals = [];
  const text = [];
  for (let i = 0; i < n; i += every) {
    vals.push(i);
    text.push(stacked[i]);
  }
  return { tickvals: vals, ticktext: text, tickangle: 0 };
}

/** Lines of the tallest tick label (sparseTicks stacks long ones): the room an axis needs below it. */
export const tickLines = (ticks) => Math.max(1, ...ticks.ticktext.map((t) => String(t).split("<br>").length));

/** A label's width in Latin characters: a CJK character counts two. */
const textWidth = (s) => [...s].reduce((w, ch) => w + (/[\u2e80-\u9fff\uff00-\uffef]/.test(ch) ? 2 : 1), 0);

const rgbOf = (c) => {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c);
  if (m) return [1, 2, 3].map((k) => parseInt(m[k], 16));
  const r = /rgba?\(([^)]+)\)/.exec(c);
  return r ? r[1].split(",").slice(0, 3).map(Number) : [0, 0, 0];
};
const rgbText = (v) => `rgb(${v.map((x) => Math.round(x)).join(",")})`;

/** The colour of `v` on a Plotly colorscale [[0, "#hex"], ...] spanning [lo, hi], as "rgb(r,g,b)": the marker
 *  colours of the tensor figure, which Plotly.animate cannot take from a colorscale frame by frame. */
export function scaleColor(scale, lo, hi, v) {
  if (!Number.isFinite(v)) return COLORS.faint;
  const t = hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0.5;
  let k = 1;
  while (k < scale.length - 1 && scale[k][0] < t) k++;
  const [t0, c0] = scale[k - 1];
  const [t1, c1] = scale[k];
  const f = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
  const a = rgbOf(c0);
  const b = rgbOf(c1);
  return rgbText(a.map((x, i) => x + (b[i] - x) * f));
}

/** `color` seen through a veil of `over` with opacity `alpha` (an opaque result: stacked markers stay faint). */
export function veil(color, alpha = 0.74, over = COLORS.paper) {
  const a = rgbOf(color);
  const b = rgbOf(over);
  return rgbText(a.map((x, i) => x * (1 - alpha) + b[i] * alpha));
}

/** Ink or white, whichever reads better on `color`. */
export function textOn(color) {
  const [r, g, b] = rgbOf(color);
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? INK_ON_LIGHT : "#ffffff";
}
