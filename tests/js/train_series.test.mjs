// The training pages' series from streamed lines (static/js/train_series.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { namedKeys, pageSeries, penaltyPull, quarterBound, runSeries, sweepPoints } from "../../static/js/train_series.js";

const start = { type: "start", modules: ["Linear", "Sigmoid", "Linear", "Sigmoid", "Linear"], weights: ["0.weight", "2.weight", "4.weight"], steps: 20 };
const log = (step, g) => ({
  type: "log",
  step,
  loss: 1 / step,
  accuracy: step / 20,
  zeros: step,
  grad_norms: { "0.weight": g, "2.weight": 2 * g, "4.weight": 4 * g },
  weight_norms: { "0.weight": 3, "2.weight": 4, "4.weight": 0 },
  layers: start.modules.map((_, i) => ({ q: [i, i + 0.1, i + 0.2, i + 0.3, i + 0.4] })),
});
const summary = { type: "summary", torch_expect: { "w:0.weight": [0.5, -0.25, 0] }, optimizer_state: { values: 6, gradient_values: 3 } };

test("a run's series follow its lines", () => {
  const s = runSeries("a", { start, logs: [log(10, 1), log(20, 0.5)], summary });
  assert.deepEqual(s["loss.a"], [0.1, 0.05]);
  assert.deepEqual(s["step.a"], [10, 20]);
  assert.deepEqual(s["gfirst.a"], [1, 0.5]);
  assert.deepEqual(s["gnorm0.a"], [1, 2, 4]); // per Linear layer at the first log, input side first
  assert.deepEqual(s["wnorm.a"], [5, 5]);
  assert.deepEqual(s["pre_q2.a"], [2.2, 2.2]); // the output of module 2 (the Linear before the last Sigmoid)
  assert.deepEqual(s["w0.a"], [0.5, -0.25, 0]);
});

test("a run that has not started has empty series, so every figure can draw", () => {
  const s = runSeries("b", undefined);
  for (const value of Object.values(s)) assert.deepEqual(value, []);
});

test("the page's series: the longest step axis, layers, the quarter bound and the optimizer state", () => {
  const runs = [{ id: "a" }, { id: "b" }];
  const s = pageSeries(runs, { a: { start, logs: [log(10, 1), log(20, 1)], summary }, b: { start, logs: [log(10, 1)] } });
  assert.deepEqual(s.step, [10, 20]);
  assert.deepEqual(s.layer, [1, 2, 3]);
  assert.deepEqual(s["bound.a"], [0.5, 2, null]); // 0.25 per layer back from the last hidden one (2), none at the classifier
  assert.deepEqual(s.state_values, [6, 0]);
  assert.deepEqual(s.gradient_values, [3, 0]);
});

test("quarterBound and penaltyPull", () => {
  assert.deepEqual(quarterBound([1]), []);
  assert.deepEqual(quarterBound([9, 9, 16, 1]), [1, 4, 16, null]); // none at the classifier
  const p = penaltyPull({ "w0.l1": [0.2, -0.1, 0], "w0.l2": [0.1] }, 0.01);
  assert.equal(p.grid.length, 101);
  assert.equal(p.grid[0], -0.2);
  assert.deepEqual(p.pull_l1, [0.01, -0.01, 0]);
  assert.deepEqual(p.pull_l2, [0.002]);
});

test("namedKeys and sweepPoints", () => {
  const figures = [{ x: "step", traces: [{ y: "loss.a" }, { values: "w0.b" }] }];
  assert.deepEqual(namedKeys(figures).sort(), ["loss.a", "step", "w0.b"]);
  const items = [{ key: "a:1", x: 1 }, { key: "a:2", x: 2 }];
  assert.deepEqual(sweepPoints(items, { "a:1": { logs: [{ loss: 3 }, { loss: 2 }] } }, "loss"), [{ key: "a:1", x: 1, y: 2 }]);
});
