import assert from "node:assert/strict";
import { test } from "node:test";

import { paramFigure, paramTick, runningFigure, statFigure } from "../../../static/js/figures/bars.js";
import { COLORS } from "../../../static/js/figures/common.js";
import { bnTrace, inTrace, lnTrace, t } from "../fixtures.mjs";

const view = (extra = {}) => ({ group: 1, cell: 3, width: 640, t, pick: (x) => x?.en ?? x, lang: "en", ...extra });
const idx = (trace, id) => trace.steps.findIndex((s) => s.id === id);

test("statFigure: one bar per group, the selected one in the accent colour, labelled by group", () => {
  const bn = bnTrace();
  const f = statFigure(bn, idx(bn, "variance"), view());
  const [bar] = f.data;
  assert.deepEqual(bar.y, [6.5, 2.5]);
  assert.deepEqual(bar.text, ["6.5", "2.5"]);
  assert.deepEqual(bar.customdata, [0, 1]);
  assert.deepEqual(bar.marker.color, [COLORS.blueSoft, COLORS.accent]);
  assert.deepEqual(bar.hovertext, ["C=0: 6.5", "C=1: 2.5"]);
  assert.deepEqual(f.layout.xaxis.ticktext, ["C=0", "C=1"]);
  assert.equal(f.layout.yaxis.title.text, "variance");
  assert.deepEqual(f.meta, { kind: "groups", start: 0, settle: true });
});

test("statFigure: frames for every statistic of the phase, so the bars grow from one into the next", () => {
  const bn = bnTrace();
  const f = statFigure(bn, idx(bn, "variance"), view());
  assert.deepEqual(f.frames.map((fr) => fr.name), ["mean", "variance", "std"]); // not the running buffers
  const mean = f.frames[0];
  assert.deepEqual(mean.data[0].y, [2, 1]);
  assert.deepEqual(mean.traces, [0]);
  assert.deepEqual(mean.layout.yaxis.range, [0, 2 + 2 * 0.16]); // room for the numbers above the bars
  assert.deepEqual(f.layout.yaxis.range, [0, 6.5 + 6.5 * 0.16]);
  assert.deepEqual(f.enter.data[0].y, [0, 0]); // drawn afresh with motion: the bars rise from zero
  const back = statFigure(bn, idx(bn, "dmean"), view());
  assert.deepEqual(back.frames.map((fr) => fr.name), ["dvariance", "dmean"]);
  assert.ok(back.frames[1].layout.yaxis.range[0] < -1.5);
});

test("paramTick: the parameter's index, or the labels of the input axes that index it", () => {
  const bn = { ...bnTrace(), labels: { 1: ["red", "green"] } };
  assert.deepEqual([paramTick(bn, 0, [2]), paramTick(bn, 1, [2])], ["red", "green"]);
  const ln = { ...lnTrace(), labels: { 1: ["我", "爱"] } };
  assert.deepEqual([0, 1, 2, 3].map((j) => paramTick(ln, j, [2, 2])), ["(我,0)", "(我,1)", "(爱,0)", "(爱,1)"]);
  assert.equal(paramTick(lnTrace(), 3, [2, 2]), "(1,1)");
  assert.deepEqual(paramFigure(bn, idx(bn, "dbeta"), view({ paramIndex: 0 })).layout.xaxis.ticktext, ["red", "green"]);
});

test("paramFigure: one bar per parameter entry, (i,j) labels for a 2-D gamma", () => {
  const ln = lnTrace();
  const f = paramFigure(ln, idx(ln, "dgamma"), view({ paramIndex: 1 }));
  assert.deepEqual(f.layout.xaxis.ticktext, ["(0,0)", "(0,1)", "(1,0)", "(1,1)"]);
  assert.deepEqual(f.data[0].y, [-1.5 + -7.5, -1 + -3, 1.5 + 3.5, 6 + -12]);
  assert.deepEqual(f.data[0].marker.color, [COLORS.blueSoft, COLORS.accent, COLORS.blueSoft, COLORS.blueSoft]);
  const bn = bnTrace();
  assert.deepEqual(paramFigure(bn, idx(bn, "dbeta"), view({ paramIndex: 0 })).layout.xaxis.ticktext, ["0", "1"]);
});

test("runningFigure (BatchNorm): before, the batch statistic and after, per channel = per group", () => {
  const bn = bnTrace();
  const f = runningFigure(bn, idx(bn, "running_mean"), view());
  assert.deepEqual(f.data.map((d) => d.name), ["fig.running_before", "fig.batch_mean", "fig.running_after"]);
  assert.deepEqual(f.data[0].y, [1, -1]);
  assert.deepEqual(f.data[1].y, [2, 1]);
  assert.deepEqual(f.layout.xaxis.ticktext, ["C=0", "C=1"]);
  const v = runningFigure(bn, idx(bn, "running_var"), view());
  assert.deepEqual(v.data.map((d) => d.name), ["fig.running_before", "fig.batch_var", "fig.running_after"]);
});

test("runningFigure (InstanceNorm): per-channel buffers, groups per (n, c): labelled by the parameter axis", () => {
  const tr = inTrace();
  const f = runningFigure(tr, idx(tr, "running_mean"), view({ group: 0, cell: 0 }));
  assert.deepEqual(f.data.map((d) => d.name), ["fig.running_before", "fig.running_after"]); // (N, C) stats do not fit
  assert.deepEqual(f.data[1].y, [0, 0.3]);
  assert.deepEqual(f.layout.xaxis.ticktext, ["C=0", "C=1"]);
});

test("runningFigure without the old buffer falls back to the statistic bars", () => {
  const bn = bnTrace();
  bn.parameters.running_mean = null;
  assert.equal(runningFigure(bn, idx(bn, "running_mean"), view()).meta.kind, "groups");
});
