// Normalization sets, drawn like Figure 2 of the Group Normalization paper (Wu & He, 2018): the input as an
// N x C x (spatial) box, and the values that share one mean and variance as a coloured block inside it. The
// current layer is drawn from the trace's own grouping; BatchNorm, LayerNorm, InstanceNorm and GroupNorm beside
// it show what the same cell would share under each. An isometric 2-D drawing (no WebGL). Pure.

import { axisNames, channelAxis, groupIds, unravel } from "../tensor.js";
import { COLORS, FONT, baseLayout } from "./common.js";

const SLANT = 0.55; // depth axis foreshortening
const ANGLE = (35 * Math.PI) / 180;
const FACES = {
  current: { front: "#e8662a", top: "#f4a47a", side: "#b8440f", edge: "#8a3208" },
  other: { front: "#4a7fc0", top: "#8fb3dd", side: "#2f5f96", edge: "#244a75" },
  box: { front: "rgba(47,109,181,0.05)", top: "rgba(47,109,181,0.09)", side: "rgba(47,109,181,0.13)", edge: "#8a94a3" },
};

const project = (x, y, z) => [x + y * SLANT * Math.cos(ANGLE), z + y * SLANT * Math.sin(ANGLE)];
const displayLength = (n) => Math.min(4.2, 1.1 + 0.55 * Math.sqrt(n));

/** The input seen as (N, C, rest): which axis plays each role, their sizes and labels. */
export function cubeAxes(trace) {
  const shape = trace.shape;
  const names = axisNames(trace);
  if (shape.length === 1) return { nAxis: null, cAxis: null, rest: [0], N: 1, C: 1, R: shape[0], labels: ["", "", names[0]] };
  // no channel axis (B, S, D): the second one; channels first (C, H, W) is one unbatched sample, with no N
  const cAxis = names[0] === "C" ? 0 : shape.length === 2 ? 1 : channelAxis(trace) ?? 1;
  const nAxis = cAxis === 0 ? null : 0;
  const rest = shape.map((_, a) => a).filter((a) => a !== nAxis && a !== cAxis);
  const R = rest.reduce((p, a) => p * shape[a], 1);
  const labels = [nAxis === null ? "" : names[0], names[cAxis], rest.map((a) => names[a]).join("·") || "1"];
  return { nAxis, cAxis, rest, N: nAxis === null ? 1 : shape[0], C: shape[cAxis], R, labels };
}

function coords(trace, ax, i) {
  const idx = unravel(i, trace.shape);
  let r = 0;
  for (const a of ax.rest) r = r * trace.shape[a] + idx[a];
  return [ax.nAxis === null ? 0 : idx[ax.nAxis], ax.cAxis === null ? 0 : idx[ax.cAxis], r];
}

/** Boxes [n0, n1) x [c0, c1) x [r0, r1) covering the cells for which member(n, c, r) holds. */
export function boxesOf(ax, member) {
  const runs = []; // per (n, c): runs of r
  for (let n = 0; n < ax.N; n++) {
    for (let c = 0; c < ax.C; c++) {
      let start = -1;
      for (let r = 0; r <= ax.R; r++) {
        const inside = r < ax.R && member(n, c, r);
        if (inside && start < 0) start = r;
        if (!inside && start >= 0) {
          runs.push({ n0: n, n1: n + 1, c0: c, c1: c + 1, r0: start, r1: r });
          start = -1;
        }
      }
    }
  }
  // merge neighbours along C, then along N, when their r-runs are equal
  const merge = (list, key0, key1, other) => {
    const out = [];
    for (const b of list) {
      const prev = out.find((p) => p[key1] === b[key0] && other.every((k) => p[k] === b[k]));
      if (prev) prev[key1] = b[key1];
      else out.push({ ...b });
    }
    return out;
  };
  const byC = merge(runs, "c0", "c1", ["n0", "n1", "r0", "r1"]);
  return merge(byC, "n0", "n1", ["c0", "c1", "r0", "r1"]);
}

function polygon(pts) {
  const xs = [];
  const ys = [];
  for (const p of pts) {
    const [x, y] = project(...p);
    xs.push(x);
    ys.push(y);
  }
  xs.push(xs[0], null);
  ys.push(ys[0], null);
  return [xs, ys];
}

function boxFaces(b, unit, palette, ox, oy, hover) {
  // b in cell units; unit = [ux (C), uy (N), uz (R)]; x = C, y = N (depth), z = R (height)
  const x0 = b.c0 * unit[0];
  const x1 = b.c1 * unit[0];
  const y0 = b.n0 * unit[1];
  const y1 = b.n1 * unit[1];
  const z0 = (unit.R - b.r1) * unit[2];
  const z1 = (unit.R - b.r0) * unit[2];
  const faces = {
    front: [[x0, y0, z0], [x1, y0, z0], [x1, y0, z1], [x0, y0, z1]],
    top: [[x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]],
    side: [[x1, y0, z0], [x1, y1, z0], [x1, y1, z1], [x1, y0, z1]],
  };
  return Object.entries(faces).map(([name, pts]) => {
    const [xs, ys] = polygon(pts);
    return {
      type: "scatter",
      mode: "lines",
      x: xs.map((v) => (v === null ? null : v + ox)),
      y: ys.map((v) => (v === null ? null : v + oy)),
      fill: "toself",
      fillcolor: palette[name],
      line: { color: palette.edge, width: 1 },
      hoverinfo: hover ? "text" : "skip",
      text: hover || undefined,
      hoveron: "fills",
      showlegend: false,
    };
  });
}

function gridLines(ax, unit, ox, oy) {
  const xs = [];
  const ys = [];
  const seg = (a, b) => {
    const [x0, y0] = project(...a);
    const [x1, y1] = project(...b);
    xs.push(x0 + ox, x1 + ox, null);
    ys.push(y0 + oy, y1 + oy, null);
  };
  const X = ax.C * unit[0];
  const Y = ax.N * unit[1];
  const Z = ax.R * unit[2];
  const limit = 24;
  if (ax.C <= limit) {
    for (let c = 1; c < ax.C; c++) {
      seg([c * unit[0], 0, 0], [c * unit[0], 0, Z]); // front
      seg([c * unit[0], 0, Z], [c * unit[0], Y, Z]); // top
    }
  }
  if (ax.N <= limit) {
    for (let n = 1; n < ax.N; n++) {
      seg([0, n * unit[1], Z], [X, n * unit[1], Z]); // top
      seg([X, n * unit[1], 0], [X, n * unit[1], Z]); // side
    }
  }
  if (ax.R <= limit) {
    for (let r = 1; r < ax.R; r++) {
      seg([0, 0, r * unit[2]], [X, 0, r * unit[2]]); // front
      seg([X, 0, r * unit[2]], [X, Y, r * unit[2]]); // side
    }
  }
  return { type: "scatter", mode: "lines", x: xs, y: ys, line: { color: "rgba(90,100,116,0.35)", width: 0.7 }, hoverinfo: "skip", showlegend: false };
}

/** One cube: the whole input box, its cell grid, and the member boxes on top. Returns traces and extent. */
function cube(ax, boxes, palette, ox, oy, hover) {
  const unit = [displayLength(ax.C) / ax.C, displayLength(ax.N) / ax.N, (displayLength(ax.R) * 1.1) / ax.R];
  unit.R = ax.R;
  const whole = { n0: 0, n1: ax.N, c0: 0, c1: ax.C, r0: 0, r1: ax.R };
  const traces = [...boxFaces(whole, unit, FACES.box, ox, oy), gridLines(ax, unit, ox, oy)];
  // back-to-front: far (large n) first, then low to high, left to right
  const sorted = [...boxes].sort((a, b) => b.n0 - a.n0 || a.r1 - b.r1 || a.c0 - b.c0);
  for (const b of sorted) traces.push(...boxFaces(b, unit, palette, ox, oy, hover));
  const X = ax.C * unit[0];
  const Y = ax.N * unit[1];
  const Z = ax.R * unit[2];
  const [wx] = project(X, Y, 0);
  const [, hy] = project(0, Y, Z);
  return { traces, width: wx, height: hy, X, Y, Z };
}

function canonicalMember(kind, ax, cell, groupSize) {
  const [n0, c0] = cell;
  if (kind === "batch_norm") return (n, c) => c === c0;
  if (kind === "layer_norm") return (n) => n === n0;
  if (kind === "instance_norm") return (n, c) => n === n0 && c === c0;
  return (n, c) => n === n0 && Math.floor(c / groupSize) === Math.floor(c0 / groupSize);
}

/** GroupNorm's example grouping when the trace is not GroupNorm: the smallest proper divisor of C. */
function exampleGroupSize(C) {
  for (let d = 2; d < C; d++) if (C % d === 0) return d;
  return C;
}

const TITLES = { batch_norm: "BatchNorm", layer_norm: "LayerNorm", instance_norm: "InstanceNorm", group_norm: "GroupNorm" };
const COMPARED = ["batch_norm", "layer_norm", "instance_norm", "group_norm"];

/** The trace's own title: the comparison's name for it, else its PyTorch class without "nn.". */
const ownTitle = (trace) => TITLES[trace.layer] || String(trace.torch_class || trace.layer).replace(/^nn\./, "");

/** Which of the compared layers shares exactly the trace's statistic sets (RMSNorm: LayerNorm's), or null. */
function sameSetsAs(trace, ax, at, memberCells) {
  if (COMPARED.includes(trace.layer)) return trace.layer;
  return (
    COMPARED.filter((kind) => kind !== "group_norm").find((kind) => {
      const member = canonicalMember(kind, ax, at, null);
      let count = 0;
      for (let n = 0; n < ax.N; n++) {
        for (let c = 0; c < ax.C; c++) {
          for (let r = 0; r < ax.R; r++) {
            if (!member(n, c, r)) continue;
            if (!memberCells.has(`${n},${c},${r}`)) return false;
            count += 1;
          }
        }
      }
      return count === memberCells.size;
    }) ?? null
  );
}

/** view: {group, cell, width, t}. */
export function setsFigure(trace, stepIndex, view) {
  const t = view.t;
  const ax = cubeAxes(trace);
  const ids = groupIds(trace);
  const g = view.group ?? 0;
  let cell = view.cell ?? 0;
  if (ids[cell] !== g) cell = ids.indexOf(g);
  if (cell < 0) cell = 0;
  const at = coords(trace, ax, cell);

  const memberCells = new Set();
  for (let i = 0; i < ids.length; i++) if (ids[i] === g) memberCells.add(coords(trace, ax, i).join(","));
  const current = boxesOf(ax, (n, c, r) => memberCells.has(`${n},${c},${r}`));

  const rank = trace.shape.length;
  const comparable = rank >= 3 && ax.nAxis !== null; // N, C and a spatial axis: all four layers apply
  let selfSlot = comparable ? sameSetsAs(trace, ax, at, memberCells) : trace.layer;
  const slots = comparable ? [...COMPARED] : [trace.layer];
  if (selfSlot === null) slots.unshift((selfSlot = trace.layer)); // a layer none of the four matches: its own cube first
  const narrow = (view.width || 640) < 560;
  const perRow = slots.length === 1 ? 1 : narrow ? 2 : 4;

  const data = [];
  const annotations = [];
  const gap = 1.1;
  let maxW = 0;
  let maxH = 0;
  const cubes = slots.map((kind) => {
    const mine = kind === selfSlot;
    const gs = trace.layer === "group_norm" && kind === "group_norm" ? null : exampleGroupSize(ax.C);
    const boxes = mine ? current : boxesOf(ax, canonicalMember(kind, ax, at, gs));
    return { kind, mine, boxes, gs };
  });
  // measure one cube to lay out the grid (all cubes share the dimensions)
  const probe = cube(ax, [], FACES.other, 0, 0);
  maxW = probe.width;
  maxH = probe.height;
  const cellW = maxW + gap;
  const cellH = maxH + 1.2;
  cubes.forEach((c, k) => {
    const col = k % perRow;
    const row = Math.floor(k / perRow);
    const ox = col * cellW;
    const oy = -row * cellH;
    const size = c.boxes.reduce((s, b) => s + (b.n1 - b.n0) * (b.c1 - b.c0) * (b.r1 - b.r0), 0);
    const hover = `${c.mine ? ownTitle(trace) : TITLES[c.kind]}: ${t("fig.shares", { m: size })}`;
    const drawn = cube(ax, c.boxes, c.mine ? FACES.current : FACES.other, ox, oy, hover);
    data.push(...drawn.traces);
    let title = c.mine ? ownTitle(trace) : TITLES[c.kind];
    if (c.kind === "group_norm") {
      const groups = c.mine ? trace.params?.num_groups : ax.C / c.gs;
      if (groups) title += ` (G=${groups})`;
    }
    annotations.push({
      x: ox + drawn.X / 2,
      y: oy - 0.18,
      yanchor: "top",
      text: title, // bold by font weight: Plotly writes <b> as a style attribute, which our CSP refuses
      showarrow: false,
      font: { ...FONT, size: 13, color: c.mine ? COLORS.accent : COLORS.muted, weight: c.mine ? "bold" : "normal" },
    });
    const small = { ...FONT, size: 10, color: COLORS.muted };
    // axis labels: C along the front bottom edge, N along the depth, spatial up the left edge
    const [nx, ny] = project(drawn.X, drawn.Y / 2, 0);
    if (ax.labels[0]) annotations.push({ x: ox + nx + 0.08, y: oy + ny - 0.02, xanchor: "left", yanchor: "top", text: ax.labels[0], showarrow: false, font: small });
    annotations.push({ x: ox - 0.06, y: oy + drawn.Z / 2, xanchor: "right", text: ax.labels[2], showarrow: false, font: small });
    if (ax.labels[1]) {
      const [cx, cy] = project(drawn.X / 2, drawn.Y, drawn.Z);
      annotations.push({ x: ox + cx, y: oy + cy + 0.04, yanchor: "bottom", text: ax.labels[1], showarrow: false, font: small });
    }
  });
  const rows = Math.ceil(cubes.length / perRow);
  const xr = [-0.5, perRow * cellW - gap + 0.4];
  const yr = [-(rows - 1) * cellH - 0.75, maxH + 0.35];
  const width = view.width || 640;
  const plotW = width - 16;
  const scale = plotW / (xr[1] - xr[0]);
  const height = Math.round(Math.min(560, Math.max(200, (yr[1] - yr[0]) * scale + 16)));
  const layout = baseLayout({
    height,
    margin: { l: 8, r: 8, t: 8, b: 8 },
    xaxis: { visible: false, range: xr, fixedrange: true },
    yaxis: { visible: false, range: yr, fixedrange: true, scaleanchor: "x", scaleratio: 1 },
    annotations,
    hovermode: "closest",
  });
  return { data, layout, frames: [], meta: { slots, cell, boxes: current.length, at } };
}
