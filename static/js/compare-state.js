// The compare page's state and its readable query string (app/compare_page.py reads the same names):
//   /compare?shape=2,6,4&seed=0&dist=normal&G=3&tokens=1&eval=batch_norm&cell=5&color=groups&show=group_norm&lang=zh
// A pasted tensor travels as a permalink token (t=...) or a short link id (s=...): the server's one codec.
// Pure functions only: compare.js does the DOM.

import * as urls from "./urls.js";

/** POST /api/v1/compare (from urls.js, which holds every path). */
export const COMPARE_URL = urls.api.compare;

export const LAYERS = ["batch_norm", "layer_norm", "instance_norm", "group_norm", "rms_norm", "min_max"];
export const TRAINABLE = ["batch_norm", "instance_norm"];
export const DEFAULT_RANDOM = { shape: [2, 6, 4], seed: 0, distribution: "normal" };

/** Divisors of C, the G GroupNorm takes: divisors(6) -> [1, 2, 3, 6] */
export function divisors(c) {
  const out = [];
  for (let d = 1; d <= c; d++) if (c % d === 0) out.push(d);
  return out;
}

/** GroupNorm's default G: the largest divisor of C below C (1 for a prime C). defaultG(6) -> 3 */
export const defaultG = (c) => Math.max(1, ...divisors(c).filter((d) => d < c));

/** The G shown for C channels: the state's when it divides C, else the default. */
export const currentG = (state, c) => (state.G && c % state.G === 0 ? state.G : defaultG(c));

/** The (B, S, D) reading exists for 3-D tensors only. */
export const tokensOn = (state, shape) => !!state.tokens && shape.length === 3;

/** POST /api/v1/compare's params for the page's toggles (app/compare_page.py request_params, the same rules). */
export function requestParams(state, shape) {
  const params = {};
  if (state.G !== null && state.G !== undefined) params.group_norm = { num_groups: state.G };
  for (const name of state.eval || []) if (TRAINABLE.includes(name)) params[name] = { training: false };
  if (tokensOn(state, shape)) {
    params.batch_norm = { ...(params.batch_norm || {}), layout: "channels_last" };
    params.layer_norm = { normalized_shape: [shape[2]] };
    params.rms_norm = { normalized_shape: [shape[2]] };
    params.min_max = { dim: [0, 1] };
  }
  return params;
}

/** The request body: the tensor, the dtype and the toggles' params. */
export const requestBody = (state, input, shape) => ({ input, dtype: state.dtype, params: requestParams(state, shape) });

/** The query string of a state (defaults left out, so a plain /compare stays plain). */
export function toQuery(state) {
  const q = [];
  const src = state.source || {};
  if (src.random) {
    const r = src.random;
    const d = DEFAULT_RANDOM;
    if (r.shape.join(",") !== d.shape.join(",")) q.push(["shape", r.shape.join(",")]);
    if ((r.seed ?? 0) !== 0) q.push(["seed", String(r.seed)]);
    if ((r.distribution || "normal") !== "normal") q.push(["dist", r.distribution]);
  } else if (src.example) q.push(["example", src.example]);
  else if (src.t) q.push(["t", src.t]);
  else if (src.s) q.push(["s", src.s]);
  // a linked or example tensor brings its own dtype: the page's choice is written whenever it could differ
  if (state.dtype && (state.dtype !== "float32" || !src.random)) q.push(["dtype", state.dtype]);
  if (state.G) q.push(["G", String(state.G)]);
  if (state.tokens) q.push(["tokens", "1"]);
  if (state.eval && state.eval.length) q.push(["eval", state.eval.join(",")]);
  if (state.cell) q.push(["cell", String(state.cell)]);
  if (state.color && state.color !== "values") q.push(["color", state.color]);
  if (state.show && state.show !== LAYERS[0]) q.push(["show", state.show]);
  if (state.lang) q.push(["lang", state.lang]);
  // readable: commas stay commas; everything else encoded
  return q.map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2C/g, ",")}`).join("&");
}

/** A shape typed by a person: "2, 6, 4" or "2x6x4" -> [2, 6, 4]; null when it is not one. */
export function parseShape(text) {
  const parts = String(text).split(/[\s,x×*]+/).filter(Boolean);
  if (!parts.length || parts.length > 5 || !parts.every((p) => /^\d{1,6}$/.test(p))) return null;
  const shape = parts.map(Number);
  return shape.every((d) => d >= 1) ? shape : null;
}
