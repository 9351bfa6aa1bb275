import assert from "node:assert/strict";
import { test } from "node:test";

import * as S from "../../static/js/state.js";

const initial = {
  v: 1,
  layer: "batch_norm",
  params: {},
  input: { random: { shape: [2, 3], seed: 0, distribution: "normal" } },
  shape: null,
  dtype: "float32",
  detail: "auto",
  grad_output: null,
  view: { step: "mean", group: 0, lang: "en" },
  ui: { cell: 0 },
};

test("init copies the state; set notifies only the keys that really changed", () => {
  const s = S.init(initial);
  assert.notEqual(s, initial);
  assert.deepEqual(S.get(), initial);
  const calls = [];
  const off = S.subscribe((cur, changed, prev) => calls.push({ changed, layer: cur.layer, prevLayer: prev.layer }));
  S.set({ layer: "batch_norm", view: { step: "mean", group: 0, lang: "en" } }); // equal values: no call
  assert.equal(calls.length, 0);
  S.set({ layer: "layer_norm", dtype: "float32" });
  assert.deepEqual(calls, [{ changed: ["layer"], layer: "layer_norm", prevLayer: "batch_norm" }]);
  off();
  S.set({ layer: "rms_norm" });
  assert.equal(calls.length, 1);
  assert.equal(S.get().layer, "rms_norm");
});

test("same compares by value", () => {
  assert.ok(S.same({ a: [1, 2] }, { a: [1, 2] }));
  assert.ok(!S.same({ a: [1, 2] }, { a: [2, 1] }));
  assert.ok(S.same(null, null));
  assert.ok(!S.same(null, {}));
  assert.ok(!S.same(1, "1"));
});

test("TRACE_KEYS are the keys that need a new trace", () => {
  assert.deepEqual(S.TRACE_KEYS, ["layer", "params", "input", "shape", "dtype", "detail", "grad_output"]);
});

test("toRequest: the POST /api/v1/trace body; shape only when given", () => {
  assert.deepEqual(S.toRequest(initial), {
    layer: "batch_norm",
    input: initial.input,
    params: {},
    grad_output: null,
    dtype: "float32",
    detail: "auto",
  });
  assert.deepEqual(S.toRequest({ ...initial, shape: [3, 2], grad_output: { fill: 1 } }).shape, [3, 2]);
  assert.equal("shape" in S.toRequest({ ...initial, shape: [] }), false);
});
