import assert from "node:assert/strict";
import { test } from "node:test";

import { boxesOf, cubeAxes, setsFigure } from "../../../static/js/figures/sets.js";
import { bnTrace, lnTrace, t } from "../fixtures.mjs";

const view = (extra = {}) => ({ group: 1, cell: 3, width: 900, t, pick: (x) => x?.en ?? x, lang: "en", ...extra });
// the cube titles, "<b>" marking the one drawn bold (by font weight: Plotly's <b> would be an inline style)
const titles = (f) => f.layout.annotations.filter((a) => a.font.size === 13).map((a) => (a.font.weight === "bold" ? `<b>${a.text}</b>` : a.text));

test("cubeAxes: N, the channel axis named C, the rest; the second axis when there is no C", () => {
  const bn = cubeAxes(bnTrace());
  assert.deepEqual([bn.nAxis, bn.cAxis, bn.rest, bn.N, bn.C, bn.R, bn.labels], [0, 1, [2, 3], 2, 2, 2, ["N", "C", "H·W"]]);
  const ln = cubeAxes(lnTrace());
  assert.deepEqual([ln.cAxis, ln.rest, ln.labels], [1, [2], ["B", "S", "D"]]);
  const last = cubeAxes({ shape: [2, 4, 4, 3], axes: ["N", "H", "W", "C"] });
  assert.deepEqual([last.cAxis, last.rest, last.C, last.labels], [3, [1, 2], 3, ["N", "C", "H·W"]]);
  const one = cubeAxes({ shape: [5], axes: ["D"] });
  assert.deepEqual([one.nAxis, one.cAxis, one.R], [null, null, 5]);
});

test("boxesOf merges runs into boxes along C and N", () => {
  const ax = { N: 2, C: 3, R: 2 };
  assert.deepEqual(boxesOf(ax, (n, c) => c === 1), [{ n0: 0, n1: 2, c0: 1, c1: 2, r0: 0, r1: 2 }]);
  assert.deepEqual(boxesOf(ax, (n) => n === 0), [{ n0: 0, n1: 1, c0: 0, c1: 3, r0: 0, r1: 2 }]);
  assert.deepEqual(boxesOf(ax, () => false), []);
});

test("setsFigure (BatchNorm): four layers side by side, this one in bold", () => {
  const f = setsFigure(bnTrace(), 1, view());
  assert.deepEqual(titles(f), ["<b>BatchNorm</b>", "LayerNorm", "InstanceNorm", "GroupNorm (G=1)"]);
  assert.equal(f.meta.boxes, 1); // channel 1 over N and H·W: one box
  assert.deepEqual(f.meta.at, [0, 1, 1]);
});

test("setsFigure: a layer with LayerNorm's sets (RMSNorm) is drawn in LayerNorm's place under its own title", () => {
  const rms = { ...lnTrace(), layer: "rms_norm", torch_class: "nn.RMSNorm" };
  const f = setsFigure(rms, 1, view({ group: 1, cell: 5 }));
  assert.deepEqual(titles(f), ["BatchNorm", "<b>RMSNorm</b>", "InstanceNorm", "GroupNorm (G=1)"]);
});

test("setsFigure: a layer whose sets match none of the four gets its own cube first, titled by its class", () => {
  const all = { ...lnTrace(), layer: "scaler", torch_class: "nn.Scaler", grouping: { stat_shape: [], axis_map: [null, null, null], group_size: 8 } };
  const f = setsFigure(all, 1, view({ group: 0, cell: 0 }));
  assert.deepEqual(titles(f), ["<b>Scaler</b>", "BatchNorm", "LayerNorm", "InstanceNorm", "GroupNorm (G=1)"]);
});

test("setsFigure: a 2-D input shows only its own layer", () => {
  const two = { shape: [2, 3], axes: ["N", "D"], layer: "rms_norm", torch_class: "nn.RMSNorm", grouping: { stat_shape: [2], axis_map: [[0, 1], null], group_size: 3 }, params: {}, steps: [] };
  const f = setsFigure(two, 1, view({ group: 0, cell: 0 }));
  assert.deepEqual(titles(f), ["<b>RMSNorm</b>"]);
});

test("cubeAxes and setsFigure: an unbatched (C, H, W) sample has no N, and only its own layer is drawn", () => {
  const ax = cubeAxes({ shape: [3, 2, 4], axes: ["C", "H", "W"] });
  assert.deepEqual([ax.nAxis, ax.cAxis, ax.rest, ax.N, ax.C, ax.R, ax.labels], [null, 0, [1, 2], 1, 3, 8, ["", "C", "H·W"]]);
  const ids = Array.from({ length: 24 }, (_, i) => Math.floor(i / 8)); // one group per channel
  const tr = { shape: [3, 2, 4], axes: ["C", "H", "W"], layer: "instance_norm", torch_class: "nn.InstanceNorm2d",
    grouping: { stat_shape: [3], axis_map: [[0, 1], null, null], group_size: 8 }, params: {},
    steps: [{ id: "grouping", values: ids }] };
  const f = setsFigure(tr, 1, view({ group: 1, cell: 9 }));
  assert.deepEqual(titles(f), ["<b>InstanceNorm</b>"]);
  assert.equal(f.meta.boxes, 1); // channel 1 over H·W: one box
  assert.deepEqual(f.meta.at, [0, 1, 1]);
});
