// Dropout in training: this mask's live counts (so the words follow the numbers drawn), a "new mask" button (a
// fresh seed in the state), and the mean of y over every mask drawn so far for the same input, which converges to
// x: E[y] = x. "Average 20 more" asks the API for the next seeds' outputs without changing the view.
// The accumulation is pure (MaskMean, tested in tests/js/masks.test.mjs); initMasks wires the DOM.

import * as api from "./api.js";
import { fmt } from "./format.js";
import { flat } from "./tensor.js";

const $ = (id) => document.getElementById(id);
const MANY = 20;

/** Whether a trace is dropout in training with its output shipped whole (what the panel needs). */
export const isTrainingDropout = (trace) => trace.layer === "dropout" && !!trace.params?.training && !!flat(trace.output);

/** What a mask's view depends on besides its seed: a different key starts the mean again. */
export function maskKey(request) {
  const { seed, ...params } = request.params || {};
  return JSON.stringify([request.input, request.shape ?? null, request.dtype, params]);
}

/** The running mean of y over masks (one per seed) and its largest gap to x after each mask. */
export class MaskMean {
  constructor() {
    this.reset(null);
  }
  reset(key) {
    this.key = key;
    this.seeds = new Set();
    this.sum = null;
    this.x = null;
    this.gaps = [];
  }
  /** Add the output `y` of the mask drawn with `seed` (ignored if that seed is in already). */
  add(key, seed, x, y) {
    if (key !== this.key) this.reset(key);
    if (this.seeds.has(seed)) return false;
    this.seeds.add(seed);
    if (!this.sum) {
      this.sum = new Float64Array(y.length);
      this.x = Float64Array.from(x);
    }
    for (let i = 0; i < y.length; i++) this.sum[i] += y[i];
    this.gaps.push(this.gap());
    return true;
  }
  get count() {
    return this.seeds.size;
  }
  mean() {
    return this.sum ? Array.from(this.sum, (s) => s / this.count) : null;
  }
  /** max |mean y - x| over the values: 0 when the mean has reached E[y] = x. */
  gap() {
    const m = this.mean();
    return m ? Math.max(...m.map((v, i) => Math.abs(v - this.x[i]))) : null;
  }
  /** The next seed nobody drew yet after `seed`. */
  nextSeed(seed) {
    let s = seed + 1;
    while (this.seeds.has(s)) s++;
    return s;
  }
}

/** This mask in numbers: {seed, kept, total, percent, expected, meanY, meanX}. */
export function maskCounts(trace) {
  const mask = trace.steps.find((s) => s.id === "mask");
  const y = flat(trace.output);
  const x = flat(trace.steps[0].values);
  const avg = (a) => (a && a.length ? a.reduce((p, q) => p + q, 0) / a.length : null);
  return { ...(mask?.scalars || {}), meanY: avg(y), meanX: avg(x) };
}

function chart(svg, gaps) {
  const NS = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  if (gaps.length < 2) return;
  const top = Math.max(...gaps) || 1;
  const pts = gaps.map((g, i) => `${((i / (gaps.length - 1)) * 200).toFixed(1)},${(38 - (g / top) * 34).toFixed(1)}`);
  const line = document.createElementNS(NS, "polyline");
  line.setAttribute("points", pts.join(" "));
  line.setAttribute("class", "mask-line");
  const base = document.createElementNS(NS, "line");
  for (const [k, v] of Object.entries({ x1: 0, x2: 200, y1: 38, y2: 38, class: "mask-base" })) base.setAttribute(k, v);
  svg.append(base, line);
}

/** ctx: {state(), setSeed(seed), request(state), t} */
export function initMasks(ctx) {
  const acc = new MaskMean();
  let trace = null;
  let busy = false;

  function render() {
    const panel = $("dropout-panel");
    const on = !!trace && isTrainingDropout(trace);
    panel.hidden = !on;
    if (!on) return;
    const c = maskCounts(trace);
    $("mask-counts").textContent = ctx.t("mask.counts", { seed: c.seed, kept: c.kept, total: c.total, percent: fmt(c.percent, 3), expected: fmt(c.expected, 3), mean_y: fmt(c.meanY), mean_x: fmt(c.meanX) });
    $("mask-mean").textContent = acc.count > 1 ? ctx.t("mask.mean", { k: acc.count, gap: fmt(acc.gap(), 3) }) : ctx.t("mask.mean_one");
    chart($("mask-chart"), acc.gaps);
    $("mask-many").disabled = busy;
  }

  async function many() {
    busy = true;
    render();
    const s = ctx.state();
    let seed = s.params.seed ?? 0;
    try {
      for (let i = 0; i < MANY; i++) {
        seed = acc.nextSeed(seed);
        const body = ctx.request({ ...s, params: { ...s.params, seed } });
        const r = await api.trace({ ...body, detail: "full" });
        acc.add(maskKey(body), seed, flat(r.steps[0].values), flat(r.output));
        if (i % 4 === 3) render();
      }
    } catch (err) {
      console.warn(err);
    } finally {
      busy = false;
      render();
    }
  }

  $("mask-new")?.addEventListener("click", () => ctx.setSeed(acc.nextSeed(ctx.state().params.seed ?? 0)));
  $("mask-many")?.addEventListener("click", many);

  return {
    /** A new trace arrived (or the language changed): add its mask, redraw the panel. */
    update(next) {
      trace = next;
      if (isTrainingDropout(next)) {
        const body = ctx.request(ctx.state());
        acc.add(maskKey(body), next.params.seed, flat(next.steps[0].values), flat(next.output));
      }
      if ($("dropout-panel")) render();
    },
  };
}
