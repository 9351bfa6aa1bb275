import assert from "node:assert/strict";
import { test } from "node:test";

import { viewState } from "../../static/js/permalink.js";
import { toRequest } from "../../static/js/state.js";

test("viewState: the trace request plus {step, group, lang}", () => {
  const s = {
    layer: "batch_norm",
    params: { eps: 0.001 },
    input: { text: "tensor([1., 2.])" },
    shape: null,
    dtype: "float32",
    detail: "auto",
    grad_output: null,
    view: { step: "mean", group: undefined, lang: "zh" },
    ui: { cell: 4 },
  };
  assert.deepEqual(viewState(s, toRequest), {
    layer: "batch_norm",
    input: { text: "tensor([1., 2.])" },
    params: { eps: 0.001 },
    grad_output: null,
    dtype: "float32",
    detail: "auto",
    view: { step: "mean", group: null, lang: "zh" },
  });
});
