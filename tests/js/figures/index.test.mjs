import assert from "node:assert/strict";
import { test } from "node:test";

import { storyFigure } from "../../../static/js/figures/index.js";
import { bnTrace, dropoutTrace, inTrace, summarized, t } from "../fixtures.mjs";

const view = (extra = {}) => ({ group: 1, cell: 3, width: 640, t, pick: (x) => x?.en ?? x, lang: "en", ...extra });
const story = (trace, id, v = view()) => {
  const r = storyFigure(trace, trace.steps.findIndex((s) => s.id === id), v);
  return [r.key, r.caption];
};

test("each kind of step gets its figure", () => {
  const bn = bnTrace();
  assert.deepEqual(story(bn, "grouping"), ["sets", "fig.sets_caption"]);
  assert.deepEqual(story(bn, "mean"), ["stat", "fig.stat_caption"]);
  assert.deepEqual(story(bn, "running_var"), ["running", "fig.running_caption"]);
  assert.deepEqual(story(bn, "dgamma"), ["param", "fig.param_caption"]);
  assert.deepEqual(story(bn, "normalized"), ["strip:forward", "fig.strip_caption"]);
  assert.deepEqual(story(bn, "dinput"), ["strip:backward", "fig.strip_caption"]);
  assert.deepEqual(story(inTrace(), "running_mean", view({ group: 0, cell: 0 })), ["running", "fig.running_caption"]);
});

test("summarized arrays: histograms", () => {
  const tr = summarized(bnTrace());
  assert.deepEqual(story(tr, "normalized"), ["hist", "fig.hist_caption"]);
  assert.deepEqual(story(tr, "mean"), ["stat", "fig.stat_caption"]); // statistics are never summarized here
});

test("a layer without statistics (Dropout) gets the before/after scatter", () => {
  const dr = dropoutTrace();
  const v = view({ group: null, cell: 0 });
  assert.deepEqual(story(dr, "mask", v), ["dropout:forward", "fig.dropout_caption"]);
  assert.deepEqual(story(dr, "grad_output", v), ["dropout:backward", "fig.dropout_caption"]);
  assert.deepEqual(story(summarized(dr), "output", v), ["hist", "fig.hist_caption"]);
});
