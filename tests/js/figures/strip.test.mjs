import assert from "node:assert/strict";
import { test } from "node:test";

import { histogramFigure, stripFigure, stripSteps } from "../../../static/js/figures/strip.js";
import { bnTrace, t } from "../fixtures.mjs";

const view = (extra = {}) => ({ group: 1, cell: 3, width: 640, t, pick: (x) => x?.en ?? x, lang: "en", ...extra });
const idx = (trace, id) => trace.steps.findIndex((s) => s.id === id);

test("stripSteps: the phase's arrays of the input's shape, without grouping and mask", () => {
  const bn = bnTrace();
  const ids = (phase) => stripSteps(bn, phase).map((i) => bn.steps[i].id);
  assert.deepEqual(ids("forward"), ["input", "centered", "normalized", "scaled", "output"]);
  assert.deepEqual(ids("backward"), ["grad_output", "dnormalized", "dinput"]);
});

test("stripFigure: one frame per step; the selected group's points apart, with their means", () => {
  const bn = bnTrace();
  const f = stripFigure(bn, idx(bn, "centered"), view());
  assert.deepEqual(f.frames.map((fr) => fr.name), ["input", "centered", "normalized", "scaled", "output"]);
  const [others, mine, whiskers, means, cell] = f.data;
  assert.deepEqual(mine.customdata, [2, 3, 6, 7]);
  assert.deepEqual(mine.y, [2, -2, -1, 1]);
  assert.deepEqual(others.customdata, [0, 1, 4, 5]);
  assert.deepEqual(others.y, [-1, 0, -3, 4]);
  assert.deepEqual(means.y, [0, 0]); // centered: every group averages 0
  assert.deepEqual(means.x, [0, 1]);
  assert.equal(means.text[1], "C=1<br>fig.mean 0 · fig.std 1.581");
  assert.deepEqual(whiskers.y.filter((v) => v !== null).map((v) => Math.round(v * 1000) / 1000), [-2.55, 2.55, -1.581, 1.581]);
  assert.deepEqual(cell.y, [-2]);
  assert.deepEqual(f.layout.xaxis.ticktext, ["C=0", "C=1"]);
  assert.deepEqual(f.meta, { windowStart: 0, groupsShown: 2, groupsTotal: 2, sampled: 8, total: 8 });
});

test("stripFigure: a frame holds the same points for another step (the animation moves them)", () => {
  const bn = bnTrace();
  const f = stripFigure(bn, idx(bn, "input"), view({ group: 0, cell: 0 }));
  const out = f.frames.find((fr) => fr.name === "output");
  assert.deepEqual(out.traces, [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(out.data[1].customdata, [0, 1, 4, 5]);
  assert.equal(out.data[1].y[0], bn.steps[idx(bn, "output")].values[0][0][0][0]);
});

test("histogramFigure: the input's and the step's histograms from their summaries", () => {
  const bn = bnTrace();
  const h = (counts, edges) => ({ count: 8, min: edges[0], max: edges.at(-1), histogram: { counts, edges, sampled: 8 } });
  bn.steps[0].summary = h([3, 5], [-1, 0, 1]);
  bn.steps[6].summary = h([4, 4], [-2, 0, 2]);
  const f = histogramFigure(bn, 6, view());
  assert.equal(f.data.length, 2);
  assert.deepEqual(f.data[0].x, [-0.5, 0.5]);
  assert.deepEqual(f.data[0].y, [3, 5]);
  assert.equal(f.data[0].name, "fig.input");
  assert.deepEqual(f.data[1].x, [-1, 1]);
  assert.deepEqual(f.data[1].width, [2, 2]);
  assert.equal(f.data[1].name, "normalized");
});
