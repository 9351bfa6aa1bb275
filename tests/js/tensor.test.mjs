import assert from "node:assert/strict";
import { test } from "node:test";

import * as T from "../../static/js/tensor.js";
import { bnTrace, inTrace, lnTrace } from "./fixtures.mjs";

test("flat, size, strides, unravel, ravel, shapeOf", () => {
  assert.deepEqual(Array.from(T.flat([[1, 2], [3, null]])), [1, 2, 3, NaN]);
  assert.deepEqual(Array.from(T.flat(5)), [5]);
  assert.equal(T.flat(null), null);
  const nested = [[1, 2]];
  assert.equal(T.flat(nested), T.flat(nested)); // cached per array
  assert.equal(T.size([2, 3, 4]), 24);
  assert.deepEqual(T.strides([2, 3, 4]), [12, 4, 1]);
  assert.deepEqual(T.unravel(5, [2, 3]), [1, 2]);
  assert.equal(T.ravel([1, 2], [2, 3]), 5);
  assert.deepEqual(T.shapeOf([[1, 2, 3]]), [1, 3]);
  assert.equal(T.indexText(7, [2, 2, 1, 2]), "(1, 1, 0, 1)");
});

test("groupIds and members follow grouping.axis_map", () => {
  const t = bnTrace();
  assert.deepEqual(Array.from(T.groupIds(t)), [0, 0, 1, 1, 0, 0, 1, 1]);
  assert.equal(T.groupCount(t), 2);
  assert.deepEqual(T.members(t, 1), [2, 3, 6, 7]);
  const noGroups = { ...t, grouping: null };
  assert.equal(T.groupIds(noGroups), null);
  assert.deepEqual(T.members(noGroups, 0), []);
});

test("GroupNorm: a divisor makes a G label", () => {
  // (N, C, L) = (2, 4, 1), 2 groups of 2 channels
  const gn = { shape: [2, 4, 1], axes: ["N", "C", "L"], grouping: { stat_shape: [2, 2], axis_map: [[0, 1], [1, 2], null] } };
  assert.deepEqual(Array.from(T.groupIds(gn)), [0, 0, 1, 1, 2, 2, 3, 3]);
  assert.equal(T.groupLabel(gn, 3), "N=1, G=1");
});

test("axis names come from trace.axes; d0, d1... without them", () => {
  assert.deepEqual(T.axisNames(bnTrace()), ["N", "C", "H", "W"]);
  assert.deepEqual(T.axisNames(lnTrace()), ["B", "S", "D"]);
  assert.deepEqual(T.axisNames({ shape: [2, 3] }), ["d0", "d1"]);
  assert.deepEqual(T.axisNames({ shape: [2, 3], axes: ["N"] }), ["d0", "d1"]); // wrong length: not trusted
  assert.equal(T.groupLabel(bnTrace(), 1), "C=1");
  assert.equal(T.groupLabel(lnTrace(), 0), "B=0");
  assert.equal(T.groupLabel({ ...lnTrace(), grouping: null }, 0), "");
});

test("channel axis and channels-last from the axis names", () => {
  assert.equal(T.channelAxis(bnTrace()), 1);
  assert.equal(T.channelsLast(bnTrace()), false);
  const last = { shape: [2, 4, 4, 3], axes: ["N", "H", "W", "C"] };
  assert.equal(T.channelAxis(last), 3);
  assert.equal(T.channelsLast(last), true);
  assert.equal(T.channelAxis(lnTrace()), null);
  assert.equal(T.channelsLast({ shape: [2, 3], axes: ["N", "C"] }), false);
});

test("paramShape, paramIndex and paramLabel from param_axes", () => {
  const bn = bnTrace();
  assert.deepEqual(T.paramShape(bn), [2]);
  assert.equal(T.paramIndex(bn, 3), 1); // (0, 1, 0, 1) -> channel 1
  assert.equal(T.paramIndex(bn, 4), 0);
  assert.equal(T.paramLabel(bn, 1), "C=1");
  const ln = lnTrace();
  assert.deepEqual(T.paramShape(ln), [2, 2]);
  assert.equal(T.paramIndex(ln, 5), 1); // (1, 0, 1) -> gamma[0][1]
  assert.equal(T.paramIndex(ln, 6), 2);
  assert.equal(T.paramLabel(ln, 3), "S=1, D=1");
  assert.deepEqual(T.paramShape(inTrace()), [2]);
});

test("no parameters: paramShape and paramIndex are null", () => {
  const none = { ...bnTrace(), param_axes: null };
  assert.equal(T.paramShape(none), null);
  assert.equal(T.paramIndex(none, 0), null);
  assert.equal(T.paramLabel(none, 4), "4");
  assert.equal(T.paramIndex(bnTrace(), 99), null); // outside the input
  assert.equal(T.paramIndex(bnTrace(), null), null);
});

test("paramMembers: the cells that feed one parameter entry", () => {
  assert.deepEqual(T.paramMembers(bnTrace(), 1), [2, 3, 6, 7]);
  assert.deepEqual(T.paramMembers(lnTrace(), 1), [1, 5]);
  assert.deepEqual(T.paramMembers({ ...bnTrace(), param_axes: null }, 0), []);
});

test("stepById", () => {
  assert.equal(T.stepById(bnTrace(), "std").kind, "stat");
  assert.equal(T.stepById(bnTrace(), "nope"), undefined);
});

test("axisLabel: the input's labels for an axis (a pasted header, a sentence's characters), else the index", () => {
  const ln = { ...lnTrace(), labels: { 1: ["我", "爱"] } }; // (B, S, D) = [2, 2, 2]
  assert.equal(T.axisLabel(ln, 1, 0), "我");
  assert.equal(T.axisLabel(ln, 1, 1), "爱");
  assert.equal(T.axisLabel(ln, 2, 1), "1"); // an axis without labels
  assert.equal(T.axisLabel(lnTrace(), 1, 1), "1"); // a trace without labels
  assert.equal(T.axisLabel({ ...ln, labels: {} }, 1, 0), "0");
  assert.equal(T.axisLabel({ ...ln, labels: { 1: ["only one"] } }, 1, 0), "0"); // a list of the wrong length is ignored
  assert.equal(T.axisLabel({ ...ln, labels: { 1: ["", "x"] } }, 1, 0), "0"); // an empty label shows the index
  assert.equal(T.labeller(ln)(1, 1), "爱"); // the contract's axisLabel(axis, i), bound to a trace
  assert.deepEqual([T.hasLabels(ln, 1), T.hasLabels(ln, 2), T.hasLabels(lnTrace(), 1)], [true, false, false]);
});

test("labels reach group labels, cell labels and parameter labels", () => {
  const ln = { ...lnTrace(), labels: { 0: ["s1", "s2"], 1: ["我", "爱"] } };
  assert.equal(T.groupLabel(ln, 1), "B=s2"); // LayerNorm: one group per sample
  assert.equal(T.cellLabel(ln, 6), "(s2, 爱, 0)");
  assert.equal(T.cellLabel(lnTrace(), 6), T.indexText(6, [2, 2, 2]));
  assert.equal(T.paramLabel(ln, 2), "S=爱, D=0");
  const bn = { ...bnTrace(), labels: { 1: ["red", "green"] } };
  assert.equal(T.groupLabel(bn, 1), "C=green");
});

test("labels are drawn so that Plotly can read no tag or entity in them", async () => {
  const { axisLabel, shown } = await import("../../static/js/tensor.js");
  const trace = { shape: [2, 2], labels: { 1: ["<b>x</b>", "R&amp;D"] } };
  assert.equal(axisLabel(trace, 1, 0), "‹b›x‹/b›");
  assert.equal(axisLabel(trace, 1, 1), "R＆amp;D");
  assert.equal(axisLabel(trace, 0, 1), "1");
  assert.equal(shown("我爱"), "我爱");
});
