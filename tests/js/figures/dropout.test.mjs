import assert from "node:assert/strict";
import { test } from "node:test";

import { dropoutFigure, dropoutSteps } from "../../../static/js/figures/dropout.js";
import { dropoutTrace, t } from "../fixtures.mjs";

const view = (extra = {}) => ({ group: null, cell: 0, width: 640, t, pick: (x) => x?.en ?? x, lang: "en", ...extra });
const idx = (trace, id) => trace.steps.findIndex((s) => s.id === id);

test("dropoutSteps: the phase's tensor steps that have values", () => {
  const tr = dropoutTrace();
  assert.deepEqual(dropoutSteps(tr, "forward").map((i) => tr.steps[i].id), ["input", "mask", "dropped", "output"]);
  assert.deepEqual(dropoutSteps(tr, "backward").map((i) => tr.steps[i].id), ["grad_output"]);
});

test("dropoutFigure: kept and dropped points, x before against y after; the 1/(1 − p) line", () => {
  const tr = dropoutTrace();
  const f = dropoutFigure(tr, idx(tr, "output"), view());
  const [kept, dropped] = f.data;
  assert.deepEqual(kept.x, [1, 3, -4, 0.5]);
  assert.deepEqual(kept.y, [2, 6, -8, 1]);
  assert.deepEqual(dropped.x, [-2, 6]);
  assert.deepEqual(dropped.y.map((v) => v + 0), [0, 0]); // −2 · 0 is −0
  assert.equal(kept.text[0], "(0, 0): 1 → 2");
  assert.deepEqual(f.frames.map((fr) => fr.name), ["input", "mask", "dropped", "output"]);
  assert.deepEqual(f.frames[1].data[1].y, [-2, 6]); // the mask frame: still on y = x
  assert.equal(f.layout.shapes.length, 2);
  assert.equal(f.layout.shapes[1].y1, 12); // x = 6 on y = x / (1 − 0.5)
  assert.equal(f.layout.annotations[0].text, "y = x / (1 − 0.5)");
  assert.deepEqual(f.meta, { kept: 4, dropped: 2 });
});

test("dropoutFigure in evaluation mode: every point stays on y = x, no mask, no legend", () => {
  const tr = dropoutTrace("identity");
  const f = dropoutFigure(tr, idx(tr, "output"), view());
  assert.deepEqual(f.data[0].y, [1, -2, 3, -4, 0.5, 6]);
  assert.deepEqual(f.data[1].x, []);
  assert.equal(f.layout.shapes.length, 1);
  assert.equal(f.layout.showlegend, false);
});
