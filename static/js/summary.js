// The summary of an array the page received whole. The service summarizes only the arrays it does not send
// (app/tracejson.py): for the others the page computes the same summary here. The histogram is made with the
// same float64 operations as app/summary.py's `counts`, so its edges and counts are identical; the mean and
// std agree to rounding. tests/app/test_summary.py checks this against the server on every layer's trace.

import { flat } from "./tensor.js";

export const BINS = 32;

/**
 * {count, min, max, mean, std, histogram: {edges, counts, sampled}} of nested `values`, as app/summary.py
 * makes it: `dtype` "float32" reads each value as the float32 it was (JSON prints its shortest form). A value
 * JSON could not carry (null: NaN or an infinity) counts, but takes no part in the rest.
 */
export function summarize(values, dtype) {
  const all = flat(values);
  const xs = [];
  for (const v of all) if (Number.isFinite(v)) xs.push(dtype === "float32" ? Math.fround(v) : v);
  if (!xs.length) return { count: all.length, min: null, max: null, mean: null, std: null, histogram: null };
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of xs) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return { count: all.length, min: lo, max: hi, ...moments(xs, lo, hi), histogram: histogram(xs, lo, hi) };
}

/** Fill in the summary of every step whose array came whole (the service sends none for it). */
export function completeSummaries(trace) {
  for (const step of trace.steps || []) {
    if (step.summary == null && step.values != null) step.summary = summarize(step.values, trace.dtype);
  }
  return trace;
}

/**
 * Mean and population std: of the values divided by a power of two near their magnitude (exact), as
 * deviations from the minimum in units of the range, so that no square overflows or underflows.
 */
function moments(xs, lo, hi) {
  const magnitude = Math.max(Math.abs(lo), Math.abs(hi));
  const p = magnitude > 0 ? 2 ** Math.floor(Math.log2(magnitude)) : 1;
  const a = lo / p;
  const width = hi > lo ? hi / p - a : 1;
  let sum = 0;
  for (const x of xs) sum += x / p - a;
  const shift = sum / xs.length;
  let squares = 0;
  for (const x of xs) {
    const u = (x / p - a - shift) / width;
    squares += u * u;
  }
  return { mean: (a + shift) * p, std: width * Math.sqrt(squares / xs.length) * p };
}

/** 32 equal bins over [lo, hi], the last one closed; a constant array's range is one wide, around its value. */
function histogram(xs, lo, hi) {
  const counts = new Array(BINS).fill(0);
  if (hi > lo) {
    const h = Number.isFinite(hi - lo) ? 1 : 0.5; // a range beyond float64's: bin the halves (exact scaling)
    const base = lo * h;
    const span = hi * h - base;
    const scale = BINS / span;
    for (const x of xs) {
      const w = x * h - base;
      const k = Math.trunc(Number.isFinite(scale) ? w * scale : (w / span) * BINS); // a subnormal range
      counts[Math.min(k, BINS - 1)] += 1;
    }
  } else {
    counts[BINS / 2] = xs.length;
    lo -= 0.5;
    hi += 0.5;
  }
  return { edges: edges(lo, hi), counts, sampled: xs.length };
}

/** np.linspace(lo, hi, BINS + 1), operation for operation; beyond float64's range a weighted mean instead. */
function edges(lo, hi) {
  const out = new Array(BINS + 1);
  if (!Number.isFinite(hi - lo)) {
    for (let k = 0; k <= BINS; k++) out[k] = lo * (1 - k / BINS) + hi * (k / BINS);
    return out;
  }
  const delta = hi - lo;
  const step = delta / BINS;
  for (let k = 0; k < BINS; k++) out[k] = (step === 0 ? (k / BINS) * delta : k * step) + lo;
  out[BINS] = hi;
  return out;
}
