// The page's whole view state, in one object. Every change goes through set(), which tells subscribers which
// keys changed; a permalink codec can read and write this one object.
//
// It is a ViewState (app/state.py: the one schema behind permalinks and examples) plus what only the page needs:
// {
//   v: 1, layer: "batch_norm", params: {...PyTorch names, only those that differ from the defaults...},
//   input: {text: "tensor([...])"} | {random: {shape, seed, distribution}} | {values: [...]},
//   shape: null | [...] (optional reshape), dtype: "float32" | "float64", detail: "auto" | "full" | "summary",
//   grad_output: null | {fill: 1} | {random: {seed}},
//   view: {step: "mean" (a step id), group: 0 (flat statistic index), lang: "en" | "zh"},
//   ui: {cell (flat input index), speed, showAll, tab: "text" | "random", text, random: {shape, seed, distribution},
//        fillText}  -- not part of a permalink
// }

/** Keys whose change needs a new trace from the API; the others only change the view. */
export const TRACE_KEYS = ["layer", "params", "input", "shape", "dtype", "detail", "grad_output"];

let current = null;
const listeners = new Set();

export function init(initial) {
  current = structuredClone(initial);
  return current;
}

export const get = () => current;

/** Merge `patch` into the state and notify subscribers with the list of keys that really changed. */
export function set(patch) {
  const prev = current;
  const next = { ...current, ...patch };
  const changed = Object.keys(patch).filter((k) => !same(prev[k], next[k]));
  if (!changed.length) return;
  current = next;
  for (const fn of listeners) fn(current, changed, prev);
}

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function same(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The POST /api/v1/trace body for a state. */
export function toRequest(s) {
  const body = { layer: s.layer, input: s.input, params: s.params, grad_output: s.grad_output ?? null, dtype: s.dtype, detail: s.detail };
  if (s.shape && s.shape.length) body.shape = s.shape;
  if (s.labels && Object.keys(s.labels).length) body.labels = s.labels;
  return body;
}
