import assert from "node:assert/strict";
import { test } from "node:test";

import { affineNote, randomAffine, seeded } from "../../static/js/panels.js";

const steps = (...ids) => ids.map((id) => ({ id }));
const norm = (gamma, beta) => ({ layer: "batch_norm", steps: steps("input", "normalized", "scaled", "output"), parameters: { gamma, beta } });

test("affineNote: says when gamma is all ones on the scale step and beta all zeros on the shift", () => {
  assert.deepEqual(affineNote(norm([1, 1, 1], [0, 0, 0]), 2), { key: "affine.gamma_ones", count: 3 });
  assert.deepEqual(affineNote(norm([1, 1, 1], [0, 0, 0]), 3), { key: "affine.beta_zeros", count: 3 });
  assert.deepEqual(affineNote(norm([2, 1, 1], [0, 0.5, 0]), 2), { key: "affine.gamma_set", count: 3 });
  assert.deepEqual(affineNote(norm([2, 1, 1], [0, 0.5, 0]), 3), { key: "affine.beta_set", count: 3 });
  assert.equal(affineNote(norm([1, 1, 1], [0, 0, 0]), 0), null); // other steps: no note
});

test("affineNote: RMSNorm scales on its output step; no affine parameters, no note", () => {
  const rms = { layer: "rms_norm", steps: steps("input", "normalized", "output"), parameters: { gamma: [[1, 1], [1, 1]] } };
  assert.deepEqual(affineNote(rms, 2), { key: "affine.gamma_ones", count: 4 });
  const off = { layer: "batch_norm", steps: steps("input", "normalized", "output"), parameters: {} };
  assert.equal(affineNote(off, 2), null);
});

test("randomAffine: seeded, in range, two decimals, a new seed gives new values", () => {
  const a = randomAffine(6, 1);
  assert.deepEqual(a, randomAffine(6, 1));
  assert.notDeepEqual(a.gamma, randomAffine(6, 2).gamma);
  assert.equal(a.gamma.length, 6);
  assert.equal(a.beta.length, 6);
  for (const g of a.gamma) assert.ok(g >= 0.5 && g <= 2.5 && Math.round(g * 100) === g * 100, String(g));
  for (const b of a.beta) assert.ok(b >= -2 && b <= 2, String(b));
  assert.deepEqual(Object.keys(randomAffine(3, 1, false)), ["gamma"]); // RMSNorm has no beta
});

test("seeded: numbers in [0, 1) that do not repeat early", () => {
  const next = seeded(42);
  const xs = Array.from({ length: 1000 }, next);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.equal(new Set(xs).size, 1000);
  const mean = xs.reduce((p, q) => p + q, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, String(mean));
});
