// Shared look of every figure: palette, fonts, a base layout. Figures are data: these are plain objects.

export const COLORS = {
  ink: "#1d2330",
  muted: "#5b6474",
  faint: "#d5d9df",
  grid: "#eceef1",
  paper: "#fbfaf8",
  accent: "#d9480f", // the selected group
  accentSoft: "#f6b08f",
  blue: "#2f6db5", // everything else
  blueSoft: "#9dbbe0",
  kept: "#2f6db5",
  dropped: "#c9ced6",
};

// Diverging blue - paper - red around 0, gentle at the ends so printed numbers stay legible.
export const DIVERGING = [
  [0, "#2b5c8a"],
  [0.25, "#86abd3"],
  [0.5, "#f4f3ef"],
  [0.75, "#e7a283"],
  [1, "#b2401c"],
];
// Non-negative arrays (squares, masks).
export const SEQUENTIAL = [
  [0, "#f4f3ef"],
  [0.5, "#8fb0d6"],
  [1, "#1f3a5f"],
];
// Group colours for the grouping step: distinct, calm, colour-blind friendly (Okabe-Ito based).
export const QUALITATIVE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#7a7a2e", "#8a6bbf"];

export const FONT = {
  family:
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif',
  size: 12,
  color: COLORS.ink,
};

export function baseLayout(extra = {}) {
  return {
    font: FONT,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    margin: { l: 48, r: 16, t: 16, b: 40 },
    showlegend: false,
    hoverlabel: { bgcolor: "#ffffff", bordercolor: COLORS.faint, font: { ...FONT, size: 12 } },
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

/** Tick positions for `n` categories, at most `max` labels. */
export function sparseTicks(labels, max = 12) {
  const n = labels.length;
  const every = Math.max(1, Math.ceil(n / max));
  const vals = [];
  const text = [];
  for (let i = 0; i < n; i += every) {
    vals.push(i);
    text.push(labels[i]);
  }
  return { tickvals: vals, ticktext: text };
}
