import assert from "node:assert/strict";
import { test } from "node:test";

import { tensorFigure } from "../../../static/js/figures/heatmap.js";
import { tensorFrames, tensorSig } from "../../../static/js/figures/motion.js";
import { bnTrace, t } from "../fixtures.mjs";

const view = (extra = {}) => ({ group: 1, cell: 3, width: 640, t, pick: (x) => x?.en ?? x, lang: "en", ...extra });
const idx = (trace, id) => trace.steps.findIndex((s) => s.id === id);

function shownAfter(trace, id, v = view()) {
  const tf = tensorFigure(trace, idx(trace, id), v);
  return { sig: tensorSig(trace, tf, v), cells: tf.data[tf.meta.cells] };
}

test("a step transition is two frames: the cells where they were, then where the new step puts them", () => {
  const bn = { ...bnTrace(), __id: 1 };
  const shown = shownAfter(bn, "input");
  const tf = tensorFigure(bn, idx(bn, "mean"), view());
  const frames = tensorFrames(shown, tf, { animate: true, sig: tensorSig(bn, tf, view()) });
  assert.equal(frames.length, 2);
  const [first, second] = frames;
  assert.equal(first.data[1], shown.cells); // drawn first: the colour bar of the new step, the cells as they were
  assert.equal(first.data[2], tf.data[2]);
  assert.deepEqual(second.traces, [0, 1, 2]); // every trace: an animation drops the layer of a type it leaves out
  const before = first.data[1];
  const after = second.data[1];
  const moved = before.x.filter((x, k) => x !== after.x[k] || before.y[k] !== after.y[k]).length;
  assert.equal(moved, before.x.length); // every cell travels to its group's tile
});

test("reduced motion, a first drawing, another selection, a heatmap: one frame (the step jumps)", () => {
  const bn = { ...bnTrace(), __id: 1 };
  const shown = shownAfter(bn, "input");
  const tf = tensorFigure(bn, idx(bn, "mean"), view());
  const sig = tensorSig(bn, tf, view());
  assert.equal(tensorFrames(shown, tf, { animate: true, reduced: true, sig }).length, 1);
  assert.equal(tensorFrames(null, tf, { animate: true, sig }).length, 1);
  assert.equal(tensorFrames(shown, tf, { animate: false, sig }).length, 1);
  const other = tensorFigure(bn, idx(bn, "mean"), view({ group: 0, cell: 0 }));
  assert.equal(tensorFrames(shown, other, { animate: true, sig: tensorSig(bn, other, view({ group: 0, cell: 0 })) }).length, 1);
  const heat = tensorFigure(bn, idx(bn, "mean"), view({ markers: false }));
  assert.equal(tensorFrames(shown, heat, { animate: true, sig }).length, 1);
  const [only] = tensorFrames(shown, tf, { animate: true, reduced: true, sig });
  assert.equal(only.data, tf.data);
});

test("tensorSig: the same drawing across steps, another one for another trace, selection or width", () => {
  const bn = { ...bnTrace(), __id: 1 };
  const a = tensorFigure(bn, 0, view());
  const b = tensorFigure(bn, idx(bn, "std"), view());
  assert.equal(tensorSig(bn, a, view()), tensorSig(bn, b, view()));
  assert.notEqual(tensorSig(bn, a, view()), tensorSig({ ...bn, __id: 2 }, a, view()));
  assert.notEqual(tensorSig(bn, a, view()), tensorSig(bn, a, view({ cell: 2 })));
  assert.notEqual(tensorSig(bn, a, view()), tensorSig(bn, a, view({ width: 390 })));
});
