import assert from "node:assert/strict";
import { test } from "node:test";

import { MaskMean, isTrainingDropout, maskCounts, maskKey } from "../../static/js/masks.js";

test("MaskMean: the mean over masks, one per seed; a repeated seed is not counted twice", () => {
  const m = new MaskMean();
  const x = [1, 1, 1, 1];
  assert.ok(m.add("k", 0, x, [2, 0, 2, 0]));
  assert.equal(m.gap(), 1);
  assert.ok(!m.add("k", 0, x, [2, 0, 2, 0]));
  assert.ok(m.add("k", 1, x, [0, 2, 2, 0]));
  assert.deepEqual(m.mean(), [1, 1, 2, 0]);
  assert.equal(m.count, 2);
  assert.deepEqual(m.gaps, [1, 1]);
  assert.equal(m.nextSeed(0), 2);
  // another input (key): start again
  m.add("other", 5, [3], [6]);
  assert.equal(m.count, 1);
  assert.deepEqual(m.mean(), [6]);
});

test("MaskMean: with p = 0.5 inverted-dropout outputs, the mean converges to x (E[y] = x)", () => {
  const m = new MaskMean();
  const x = [1, 2, -1, 0.5];
  let state = 7;
  const coin = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) < 0.5;
  for (let seed = 0; seed < 2000; seed++) m.add("k", seed, x, x.map((v) => (coin() ? 2 * v : 0)));
  assert.ok(m.gap() < 0.15, String(m.gap()));
  assert.ok(m.gaps[0] > m.gap());
});

test("maskKey: everything but the seed", () => {
  const a = { input: { values: [1, 2] }, dtype: "float32", params: { p: 0.5, seed: 0 } };
  assert.equal(maskKey(a), maskKey({ ...a, params: { p: 0.5, seed: 9 } }));
  assert.notEqual(maskKey(a), maskKey({ ...a, params: { p: 0.3, seed: 0 } }));
  assert.notEqual(maskKey(a), maskKey({ ...a, input: { values: [1, 3] } }));
});

test("maskCounts and isTrainingDropout: the numbers the panel says", () => {
  const trace = {
    layer: "dropout",
    params: { training: true, seed: 0, p: 0.5 },
    steps: [{ id: "input", values: [1, 1, 1, 1] }, { id: "mask", values: [1, 0, 0, 0], scalars: { kept: 1, total: 4, percent: 25, expected: 50, seed: 0 } }],
    output: [2, 0, 0, 0],
  };
  assert.ok(isTrainingDropout(trace));
  const c = maskCounts(trace);
  assert.equal(c.kept, 1);
  assert.equal(c.meanY, 0.5);
  assert.equal(c.meanX, 1);
  assert.ok(!isTrainingDropout({ ...trace, params: { training: false } }));
  assert.ok(!isTrainingDropout({ ...trace, layer: "batch_norm" }));
});
