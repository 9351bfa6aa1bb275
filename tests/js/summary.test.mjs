import assert from "node:assert/strict";
import { test } from "node:test";

import { BINS, completeSummaries, summarize } from "../../static/js/summary.js";

const nonzero = (counts) => Object.fromEntries(counts.map((c, k) => [k, c]).filter(([, c]) => c));

test("summarize: count, min, max, mean, population std and 32 bins over [min, max], the last one closed", () => {
  const s = summarize([[1, 2], [3, 4]], "float64");
  assert.deepEqual([s.count, s.min, s.max, s.mean], [4, 1, 4, 2.5]);
  assert.ok(Math.abs(s.std - Math.sqrt(1.25)) < 1e-15);
  assert.equal(s.histogram.edges.length, BINS + 1);
  assert.deepEqual([s.histogram.edges[0], s.histogram.edges[1], s.histogram.edges[BINS]], [1, 1 + 3 / 32, 4]);
  assert.deepEqual(nonzero(s.histogram.counts), { 0: 1, 10: 1, 21: 1, 31: 1 }); // (x - 1) * 32 / 3, floored
  assert.equal(s.histogram.sampled, 4);
});

test("summarize: a constant array has std 0 and every value in the middle bin of a unit-wide range", () => {
  const s = summarize([1.5e14, 1.5e14, 1.5e14], "float64");
  assert.deepEqual([s.mean, s.std], [1.5e14, 0]);
  assert.deepEqual(nonzero(s.histogram.counts), { 16: 3 });
  assert.deepEqual([s.histogram.edges[0], s.histogram.edges[BINS]], [1.5e14 - 0.5, 1.5e14 + 0.5]);
});

test("summarize: float32 values are read as the float32 numbers JSON printed in their shortest form", () => {
  const s = summarize([0.1, 0.3], "float32");
  assert.equal(s.min, Math.fround(0.1));
  assert.equal(s.max, Math.fround(0.3));
  assert.equal(summarize([0.1, 0.3], "float64").min, 0.1);
});

test("summarize: null (NaN or an infinity in JSON) counts but takes no part; booleans count as 0 and 1", () => {
  const s = summarize([null, 2, 4], "float64");
  assert.deepEqual([s.count, s.min, s.max, s.mean, s.histogram.sampled], [3, 2, 4, 3, 2]);
  assert.deepEqual(summarize([null, null], "float64"), { count: 2, min: null, max: null, mean: null, std: null, histogram: null });
  const b = summarize([true, false, true, true], "float32");
  assert.deepEqual([b.min, b.max, b.mean], [0, 1, 0.75]);
  assert.deepEqual(nonzero(b.histogram.counts), { 0: 1, 31: 3 });
});

test("summarize: ranges beyond float64's and a subnormal apart are binned, with finite moments", () => {
  const huge = summarize([-1.7e308, 1.7e308, 0], "float64");
  assert.deepEqual(nonzero(huge.histogram.counts), { 0: 1, 16: 1, 31: 1 });
  assert.deepEqual([huge.histogram.edges[0], huge.histogram.edges[16], huge.histogram.edges[BINS]], [-1.7e308, 0, 1.7e308]);
  assert.ok(Math.abs(huge.mean) < 1.7e308 * 1e-15); // 0 to rounding of the range
  assert.ok(Math.abs(huge.std / (1.7e308 * Math.sqrt(2 / 3)) - 1) < 1e-15);
  const tiny = summarize([0, 5e-324, 5e-324, 0], "float64");
  assert.deepEqual(nonzero(tiny.histogram.counts), { 0: 2, 31: 2 });
  assert.deepEqual([tiny.mean, tiny.std], [0, 0]); // 2.5e-324, half the smallest subnormal: rounds to even, 0
  assert.ok(tiny.histogram.edges.every((e, k, all) => k === 0 || e >= all[k - 1]));
});

test("completeSummaries: fills in the summary of each step that came whole, and leaves the server's alone", () => {
  const server = { count: 5000, min: 0, max: 1, mean: 0.5, std: 0.3, histogram: null };
  const trace = {
    dtype: "float64",
    steps: [
      { id: "input", values: [[1, 2], [3, 4]], summary: null },
      { id: "big", values: null, summary: server },
      { id: "none", values: null, summary: null },
    ],
  };
  assert.equal(completeSummaries(trace), trace);
  assert.equal(trace.steps[0].summary.mean, 2.5);
  assert.equal(trace.steps[1].summary, server);
  assert.equal(trace.steps[2].summary, null);
});
