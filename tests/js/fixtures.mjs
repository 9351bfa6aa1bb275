// Small hand-made traces in the API's shape (steps with kind, values, live/brief templates; axes, param_axes,
// grouping), and the live templates as the lesson files hold them. Numbers are chosen so that the expected
// results can be checked by hand in the tests.

import { lessonTemplates } from "./lesson_templates.mjs";

/** Flat list -> nested list of `shape` (row-major). */
export function nest(flat, shape) {
  if (shape.length === 0) return flat[0];
  if (shape.length === 1) return flat.slice(0, shape[0]);
  const inner = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0] }, (_, i) => nest(flat.slice(i * inner, (i + 1) * inner), shape.slice(1)));
}

// The live/brief templates of the lesson files, as the server sends them with each step.
export const TEMPLATES = lessonTemplates();

/** A step's live and brief as the server's lookup gives them: layers.L.steps.id.variant, steps.id.variant,
 *  layers.L.steps.id, steps.id; each field from the first table that has it. */
export function wordsFor(layer, id, variant, table = TEMPLATES) {
  const own = table.layers?.[layer]?.steps?.[id];
  const shared = table.steps?.[id];
  const chain = [variant && own?.[variant], variant && shared?.[variant], own, shared].filter(Boolean);
  const field = (f) => {
    for (const t of chain) if (typeof t[f] === "string") return t[f];
    return null;
  };
  return { live: field("live"), brief: field("brief") };
}

function step(layer, id, kind, values, shape, extra = {}) {
  const s = { id, phase: "forward", kind, variant: "", scalars: {}, title: { en: id, zh: id }, shape, values: nest(values, shape), summary: null, ...extra };
  return { ...s, ...wordsFor(layer, id, s.variant) };
}

const bwd = { phase: "backward" };
const sum = (a) => a.reduce((p, q) => p + q, 0);

/**
 * BatchNorm2d, training, on x of shape [2, 2, 1, 2] (N, C, H, W): flat index = 4n + 2c + w.
 * Channel 0 holds x[0, 1, 4, 5] = 1, 2, −1, 6 (mean 2, variance 6.5); channel 1 holds x[2, 3, 6, 7] = 3, −1, 0, 2
 * (mean 1, variance 2.5). gamma = [2, 0.5], beta = [0.5, −1], eps = 1e-5, momentum 0.1.
 */
export function bnTrace() {
  const layer = "batch_norm";
  const shape = [2, 2, 1, 2];
  const x = [1, 2, 3, -1, -1, 6, 0, 2];
  const ch = (i) => Math.floor(i / 2) % 2;
  const eps = 1e-5;
  const mean = [2, 1];
  const variance = [6.5, 2.5];
  const std = variance.map((v) => Math.sqrt(v + eps));
  const gamma = [2, 0.5];
  const beta = [0.5, -1];
  const centered = x.map((v, i) => v - mean[ch(i)]);
  const normalized = centered.map((v, i) => v / std[ch(i)]);
  const scaled = normalized.map((v, i) => gamma[ch(i)] * v);
  const output = scaled.map((v, i) => v + beta[ch(i)]);
  const oldMean = [1, -1];
  const oldVar = [1, 2];
  const f = 0.1;
  const runMean = oldMean.map((v, c) => (1 - f) * v + f * mean[c]);
  const runVar = oldVar.map((v, c) => (1 - f) * v + f * variance[c] * (4 / 3));
  const dy = [1, -1, 0.5, 2, 0, 1, -2, 3];
  const feed = (c) => [0, 1, 2, 3, 4, 5, 6, 7].filter((i) => ch(i) === c);
  const dbeta = [0, 1].map((c) => sum(feed(c).map((i) => dy[i])));
  const dgamma = [0, 1].map((c) => sum(feed(c).map((i) => dy[i] * normalized[i])));
  const dxhat = dy.map((v, i) => v * gamma[ch(i)]);
  return {
    layer,
    dtype: "float64",
    shape,
    axes: ["N", "C", "H", "W"],
    param_axes: [null, 0, null, null],
    torch_class: "nn.BatchNorm2d",
    torch_code: "bn = nn.BatchNorm2d(2)",
    grouping: { stat_shape: [2], axis_map: [null, [0, 1], null, null], reduce_axes: [0, 2, 3], group_size: 4 },
    params: { eps, momentum: f, affine: true, track_running_stats: true, training: true },
    parameters: { gamma, beta, running_mean: oldMean, running_var: oldVar },
    stats: { mean, var: variance },
    steps: [
      step(layer, "input", "tensor", x, shape),
      step(layer, "grouping", "tensor", x.map((_, i) => ch(i)), shape),
      step(layer, "mean", "stat", mean, [2]),
      step(layer, "centered", "tensor", centered, shape),
      step(layer, "variance", "stat", variance, [2]),
      step(layer, "std", "stat", std, [2], { scalars: { eps } }),
      step(layer, "normalized", "tensor", normalized, shape),
      step(layer, "scaled", "tensor", scaled, shape),
      step(layer, "output", "tensor", output, shape),
      step(layer, "running_mean", "stat", runMean, [2], { scalars: { f, m: 4, m_minus_1: 3 } }),
      step(layer, "running_var", "stat", runVar, [2], { scalars: { f, m: 4, m_minus_1: 3 } }),
      step(layer, "grad_output", "tensor", dy, shape, bwd),
      step(layer, "dbeta", "param", dbeta, [2], bwd),
      step(layer, "dgamma", "param", dgamma, [2], bwd),
      step(layer, "dnormalized", "tensor", dxhat, shape, bwd),
      step(layer, "dvariance", "stat", [-0.25, 0.125], [2], bwd),
      step(layer, "dmean", "stat", [0.5, -1.5], [2], bwd),
      step(layer, "dinput", "tensor", [0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8], shape, bwd),
    ],
  };
}

/** The same BatchNorm in evaluation mode with running statistics: mean and variance are the buffers. */
export function bnEvalTrace() {
  const t = bnTrace();
  const keep = ["input", "grouping", "mean", "centered", "variance", "std", "normalized", "scaled", "output"];
  t.params = { ...t.params, training: false };
  t.steps = t.steps.filter((s) => keep.includes(s.id));
  const x = t.steps[0].values.flat(3);
  for (const s of t.steps) {
    if (s.id === "centered") s.values = nest(x.map((v, i) => v - [1, -1][Math.floor(i / 2) % 2]), t.shape);
    if (s.id === "mean" || s.id === "variance") {
      s.variant = "running";
      s.values = s.id === "mean" ? [1, -1] : [1, 2];
      Object.assign(s, wordsFor(t.layer, s.id, "running"));
    }
  }
  return t;
}

/** Large-tensor style: every array of the input's shape summarized (values null); statistics kept. */
export function summarized(trace) {
  const t = structuredClone(trace);
  for (const s of t.steps) if (s.kind === "tensor") s.values = null;
  return t;
}

/**
 * LayerNorm([2, 2]) on x of shape [2, 2, 2] (B, S, D): one group per sample, gamma of shape [2, 2].
 * Sample 0: x = 1, 2, 3, 4 (mean 2.5); sample 1: x = −2, 0, 2, 4 (mean 1).
 */
export function lnTrace() {
  const layer = "layer_norm";
  const shape = [2, 2, 2];
  const x = [1, 2, 3, 4, -2, 0, 2, 4];
  const mean = [2.5, 1];
  const dy = [1, 2, 3, 4, 5, 6, 7, -8];
  const normalized = [-1.5, -0.5, 0.5, 1.5, -1.5, -0.5, 0.5, 1.5];
  const dbeta = [0, 1, 2, 3].map((j) => dy[j] + dy[j + 4]);
  const dgamma = [0, 1, 2, 3].map((j) => dy[j] * normalized[j] + dy[j + 4] * normalized[j + 4]);
  return {
    layer,
    dtype: "float32",
    shape,
    axes: ["B", "S", "D"],
    param_axes: [null, 0, 1],
    torch_class: "nn.LayerNorm",
    torch_code: "ln = nn.LayerNorm([2, 2])",
    grouping: { stat_shape: [2], axis_map: [[0, 1], null, null], reduce_axes: [1, 2], group_size: 4 },
    params: { eps: 1e-5, normalized_shape: [2, 2], elementwise_affine: true },
    parameters: { gamma: [[1, 2], [3, 4]], beta: [[0, 0], [0, 0]] },
    stats: { mean, var: [1.25, 5] },
    steps: [
      step(layer, "input", "tensor", x, shape),
      step(layer, "grouping", "tensor", [0, 0, 0, 0, 1, 1, 1, 1], shape),
      step(layer, "mean", "stat", mean, [2]),
      step(layer, "normalized", "tensor", normalized, shape),
      step(layer, "grad_output", "tensor", dy, shape, bwd),
      step(layer, "dbeta", "param", dbeta, [2, 2], bwd),
      step(layer, "dgamma", "param", dgamma, [2, 2], bwd),
    ],
  };
}

/** InstanceNorm1d with running statistics on [2, 2, 3] (N, C, L): groups per (n, c), buffers per channel. */
export function inTrace() {
  const layer = "instance_norm";
  const shape = [2, 2, 3];
  const x = [1, 2, 3, 4, 5, 6, -1, -2, -3, 0, 0, 3];
  return {
    layer,
    dtype: "float32",
    shape,
    axes: ["N", "C", "L"],
    param_axes: [null, 0, null],
    torch_class: "nn.InstanceNorm1d",
    torch_code: "m = nn.InstanceNorm1d(2, track_running_stats=True)",
    grouping: { stat_shape: [2, 2], axis_map: [[0, 1], [1, 1], null], reduce_axes: [2], group_size: 3 },
    params: { eps: 1e-5, momentum: 0.1, affine: false, track_running_stats: true, training: true },
    parameters: { gamma: null, beta: null, running_mean: [0, 0], running_var: [1, 1] },
    stats: { mean: [[2, 5], [-2, 1]], var: [[2 / 3, 2 / 3], [2 / 3, 2]] },
    steps: [
      step(layer, "input", "tensor", x, shape),
      step(layer, "mean", "stat", [2, 5, -2, 1], [2, 2]),
      step(layer, "running_mean", "stat", [0, 0.3], [2], { variant: "instance", scalars: { f: 0.1, m: 3, m_minus_1: 2 } }),
    ],
  };
}

/** RMSNorm([3]) on [2, 3] (N, D), eps 0.25 (so that the numbers stay round), gamma = [1, 2, −1]. */
export function rmsTrace() {
  const layer = "rms_norm";
  const shape = [2, 3];
  const x = [1, -2, 2, 3, 0, -3];
  const squares = x.map((v) => v * v);
  const ms = [3, 6];
  const rms = [Math.sqrt(3.25), Math.sqrt(6.25)];
  const normalized = x.map((v, i) => v / rms[Math.floor(i / 3)]);
  const gamma = [1, 2, -1];
  const output = normalized.map((v, i) => v * gamma[i % 3]);
  return {
    layer,
    dtype: "float32",
    shape,
    axes: ["N", "D"],
    param_axes: [null, 0],
    torch_class: "nn.RMSNorm",
    torch_code: "m = nn.RMSNorm([3], eps=0.25)",
    grouping: { stat_shape: [2], axis_map: [[0, 1], null], reduce_axes: [1], group_size: 3 },
    params: { eps: 0.25, normalized_shape: [3], elementwise_affine: true },
    parameters: { gamma },
    stats: { ms },
    steps: [
      step(layer, "input", "tensor", x, shape),
      step(layer, "grouping", "tensor", [0, 0, 0, 1, 1, 1], shape),
      step(layer, "squares", "tensor", squares, shape),
      step(layer, "mean_square", "stat", ms, [2]),
      step(layer, "rms", "stat", rms, [2], { scalars: { eps: 0.25 } }),
      step(layer, "normalized", "tensor", normalized, shape),
      step(layer, "output", "tensor", output, shape),
    ],
  };
}

/** Dropout(p=0.5), training, on [2, 3]: mask 1, 0, 1, 1, 1, 0. `variant`: "", "identity", "all_dropped", "alpha". */
export function dropoutTrace(variant = "") {
  const layer = "dropout";
  const shape = [2, 3];
  const x = [1, -2, 3, -4, 0.5, 6];
  const mask = [1, 0, 1, 1, 1, 0];
  const p = variant === "all_dropped" ? 1 : 0.5;
  const steps = [step(layer, "input", "tensor", x, shape)];
  let output;
  let scalars = { p, scale: p < 1 ? 1 / (1 - p) : null };
  if (variant === "identity") output = x;
  else {
    const m = variant === "all_dropped" ? [0, 0, 0, 0, 0, 0] : mask;
    steps.push(step(layer, "mask", "tensor", m, shape));
    if (variant === "alpha") {
      const sat = x.map((v, i) => (m[i] ? v : -1.7581));
      steps.push(step(layer, "saturated", "tensor", sat, shape));
      scalars = { a: 0.8, b: 0.7 };
      output = sat.map((v) => 0.8 * v + 0.7);
    } else {
      const dropped = x.map((v, i) => v * m[i]);
      steps.push(step(layer, "dropped", "tensor", dropped, shape));
      output = variant === "all_dropped" ? dropped : dropped.map((v) => v / (1 - p));
    }
  }
  steps.push(step(layer, "output", "tensor", output, shape, { variant, scalars }));
  steps.push(step(layer, "grad_output", "tensor", [1, 1, 1, 1, 1, 1], shape, bwd));
  return {
    layer,
    dtype: "float32",
    shape,
    axes: ["N", "D"],
    param_axes: null,
    torch_class: variant === "alpha" ? "nn.AlphaDropout" : "nn.Dropout",
    torch_code: "",
    grouping: null,
    params: { p, training: variant !== "identity" },
    parameters: {},
    stats: null,
    steps,
  };
}

/** MinMax scaling per sample on [2, 3] (N, D): y = (x − min) / (max − min). */
export function minMaxTrace() {
  const layer = "min_max";
  const shape = [2, 3];
  const x = [1, 3, 5, -2, 2, 0];
  const mn = [1, -2];
  const mx = [5, 2];
  const range = [4, 4];
  const shifted = x.map((v, i) => v - mn[Math.floor(i / 3)]);
  return {
    layer,
    dtype: "float32",
    shape,
    axes: ["N", "D"],
    param_axes: null,
    torch_class: "MinMax",
    torch_code: "",
    grouping: { stat_shape: [2], axis_map: [[0, 1], null], reduce_axes: [1], group_size: 3 },
    params: {},
    parameters: {},
    stats: { min: mn, max: mx },
    steps: [
      step(layer, "input", "tensor", x, shape),
      step(layer, "min", "stat", mn, [2]),
      step(layer, "max", "stat", mx, [2]),
      step(layer, "range", "stat", range, [2]),
      step(layer, "shifted", "tensor", shifted, shape),
      step(layer, "output", "tensor", shifted.map((v, i) => v / range[Math.floor(i / 3)]), shape),
      step(layer, "grad_output", "tensor", [1, 1, 1, 1, 2, 1], shape, bwd),
      step(layer, "dshifted", "tensor", [0.25, 0.25, 0.25, 0.25, 0.5, 0.25], shape, bwd),
      step(layer, "drange", "stat", [-0.125, -0.25], [2], bwd),
      step(layer, "dmax", "stat", [-0.125, -0.25], [2], bwd),
    ],
  };
}

/** An i18n stand-in: returns "key" or "key{a=1}" so tests see which key and values were asked for. */
export const t = (key, vars) => (vars ? `${key}${JSON.stringify(vars)}` : key);
export const pick = (x) => (x && typeof x === "object" ? x.en : x ?? "");
