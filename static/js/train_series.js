// The training pages' series, built from the streamed lines of each run (start, log..., summary), under the
// keys the lesson file's figures name: "loss.<run>", "accuracy.<run>", "pre_q0.<run>" ... Pure, so node --test
// runs it. A run that has not started yet contributes empty lists, so every figure can draw at any moment.

const ACTIVATIONS = new Set(["ReLU", "Sigmoid", "Tanh"]);
const norm = (xs) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0));

/** A run's own series from its lines so far: result = {start, logs: [...], summary}. */
export function runSeries(id, result) {
  const { start, logs = [], summary } = result || {};
  const out = {};
  const put = (name, values) => (out[`${name}.${id}`] = values);
  put("loss", logs.map((l) => l.loss));
  put("accuracy", logs.map((l) => l.accuracy));
  put("zeros", logs.map((l) => l.zeros));
  put("step", logs.map((l) => l.step));
  const weights = start?.weights || [];
  put("gfirst", logs.map((l) => l.grad_norms[weights[0]] ?? 0));
  put("wnorm", logs.map((l) => norm(weights.map((w) => l.weight_norms[w] ?? 0))));
  put("gnorm0", logs.length ? weights.map((w) => logs[0].grad_norms[w]) : []);
  // the input of the last hidden activation: the output of the module just before it
  const act = start ? start.modules.map((m, i) => (ACTIVATIONS.has(m) ? i : -1)).filter((i) => i > 0).pop() : undefined;
  for (let q = 0; q < 5; q++) put(`pre_q${q}`, act === undefined ? [] : logs.map((l) => l.layers[act - 1].q[q]));
  put("w0", summary && weights.length ? summary.torch_expect[`w:${weights[0]}`] : []);
  return out;
}

/** Every series of a page: each run's, the shared step axis, and the derived ones the lessons draw. */
export function pageSeries(runs, results, page = {}) {
  let series = {};
  for (const r of runs) series = { ...series, ...runSeries(r.id, results[r.id]) };
  const longest = runs.map((r) => series[`step.${r.id}`]).reduce((a, b) => (b.length > a.length ? b : a), []);
  series.step = longest;
  const layers = Math.max(0, ...runs.map((r) => series[`gnorm0.${r.id}`].length));
  series.layer = Array.from({ length: layers }, (_, i) => i + 1);
  for (const r of runs) series[`bound.${r.id}`] = quarterBound(series[`gnorm0.${r.id}`]);
  Object.assign(series, penaltyPull(series, page.strength ?? 0));
  const state = runs.map((r) => results[r.id]?.summary?.optimizer_state);
  series.state_values = state.map((s) => s?.values ?? 0);
  series.gradient_values = state.map((s) => s?.gradient_values ?? 0);
  return series;
}

/** 0.25^n back from the last hidden layer (the classifier is the last entry, no sigmoid after it: null, a gap in
 *  the line): what sigmoid's derivative alone allows when the weights have norm 1. */
export function quarterBound(norms) {
  if (norms.length < 2) return [];
  const last = norms.length - 2;
  return norms.map((_, k) => (k > last ? null : norms[last] * 0.25 ** (last - k)));
}

/** The derivative picture of L1 vs L2: λ·sign(w) and 2λ·w over the weights' range, and each final weight's pull. */
export function penaltyPull(series, strength) {
  const w1 = series["w0.l1"] || [];
  const w2 = series["w0.l2"] || [];
  const m = Math.max(0.05, ...w1.map(Math.abs), ...w2.map(Math.abs));
  const grid = Array.from({ length: 101 }, (_, i) => -m + (2 * m * i) / 100);
  return {
    grid,
    d_l1: grid.map((w) => strength * Math.sign(w)),
    d_l2: grid.map((w) => 2 * strength * w),
    pull_l1: w1.map((w) => strength * Math.sign(w)),
    pull_l2: w2.map((w) => 2 * strength * w),
  };
}

/** Every series key a figure names, so missing ones can be filled with [] before drawing. */
export function namedKeys(figures) {
  const keys = new Set();
  for (const f of figures) {
    if (f.x) keys.add(f.x);
    for (const t of f.traces || []) for (const k of [t.x, t.y, t.values, t.z]) if (k) keys.add(k);
  }
  return [...keys];
}

/** The points of a sweep: for each item with a finished run, its x and its last log's metric. */
export function sweepPoints(items, results, metric) {
  return items
    .filter((it) => results[it.key]?.logs?.length)
    .map((it) => ({ ...it, y: results[it.key].logs.at(-1)[metric] }));
}
