import assert from "node:assert/strict";
import { test } from "node:test";

import { MAX_MARKERS, drawOrder, slotPlaces, slotsOf, tileSide } from "../../../static/js/figures/cells.js";
import { tensorFigure } from "../../../static/js/figures/heatmap.js";
import { mosaic } from "../../../static/js/figures/mosaic.js";
import { bnTrace, inTrace, lnTrace, t } from "../fixtures.mjs";

const view = (extra = {}) => ({ group: 1, cell: 3, width: 640, t, pick: (x) => x?.en ?? x, lang: "en", ...extra });
const idx = (trace, id) => trace.steps.findIndex((s) => s.id === id);
const cellsAt = (trace, id, v = view()) => tensorFigure(trace, idx(trace, id), v).data[1];
const places = (tr) => tr.x.map((x, k) => `${x},${tr.y[k]}`);

test("slotsOf: a statistic goes to its group, dgamma to its parameter entry, one number to one place", () => {
  const bn = bnTrace();
  assert.deepEqual(slotsOf(bn, bn.steps[idx(bn, "variance")]).by, "group");
  const ln = lnTrace(); // gamma [2, 2] over (S, D): the two samples' cells at the same (s, d) share an entry
  const dg = slotsOf(ln, ln.steps[idx(ln, "dgamma")]);
  assert.deepEqual([dg.by, Array.from(dg.slot)], ["param", [0, 1, 2, 3, 0, 1, 2, 3]]);
  const inst = inTrace(); // running mean per channel while the groups are per (n, c)
  const run = slotsOf(inst, inst.steps[idx(inst, "running_mean")]);
  assert.deepEqual([run.by, Array.from(run.slot)], ["param", [0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1]]);
  const one = slotsOf(bn, { kind: "scalar", values: 3 });
  assert.deepEqual([one.by, Array.from(one.slot)], ["one", [0, 0, 0, 0, 0, 0, 0, 0]]);
  assert.equal(slotsOf(bn, { kind: "stat", values: [1, 2, 3] }), null);
});

test("slotPlaces and tileSide: the middle of each group's cells, tiles as large as the gap between them", () => {
  const bn = bnTrace(); // mosaic 3 x 5: channel 0 in columns 0-1, channel 1 in columns 3-4, rows 0 and 2
  const m = mosaic(bn);
  const at = slotPlaces(m, slotsOf(bn, bn.steps[idx(bn, "mean")]).slot);
  assert.deepEqual([at.get(0).x, at.get(0).y, at.get(1).x, at.get(1).y], [0.5, 1, 3.5, 1]);
  assert.equal(tileSide(at, m), 2.4); // 3 columns apart: the largest tile
  const one = new Map([[0, { x: 0, y: 0 }]]);
  assert.equal(tileSide(one, { rows: 1, cols: 6 }), 1); // never taller than the mosaic
  assert.equal(tileSide(at, m, 40), 2.4); // 2.4 cells of 40 px
  assert.equal(tileSide(at, m, 10), 3 * 0.86); // 8 px cells: up to 44 px, but no closer than the next tile allows
});

test("a step transition moves every cell: into its group's tile on the mean, back home on centered", () => {
  const bn = bnTrace();
  const input = cellsAt(bn, "input");
  const mean = cellsAt(bn, "mean");
  const centered = cellsAt(bn, "centered");
  assert.deepEqual(mean.customdata, input.customdata); // the same points in the same order in every frame
  assert.deepEqual(centered.customdata, input.customdata);
  places(input).forEach((p, k) => assert.notEqual(p, places(mean)[k]));
  assert.deepEqual(places(centered), places(input));
  // order [0, 1, 4, 5 | 2, 6, 7 | 3]: group 0 gathers at (0.5, 1), group 1 at (3.5, 1)
  assert.deepEqual(mean.x, [0.5, 0.5, 0.5, 0.5, 3.5, 3.5, 3.5, 3.5]);
  assert.deepEqual(mean.y, [1, 1, 1, 1, 1, 1, 1, 1]);
  // one member per tile carries the number (the selected cell for its own group) and the tile's size
  assert.deepEqual(mean.text.map((s) => s.trim()), ["2", "", "", "", "", "", "", "1"]);
  const big = Math.max(...mean.marker.size);
  assert.deepEqual(mean.marker.size.map((s) => s === big), [true, false, false, false, false, false, false, true]);
  assert.ok(big > input.marker.size[0]);
  assert.equal(mean.hovertext[7], "μ = 1<br>fig.group C=1 (#1)");
  // cells dimmed outside the selected group: one colour per tile, paler for group 0
  assert.equal(new Set(mean.marker.color.slice(0, 4)).size, 1);
  assert.notEqual(mean.marker.color[0], centered.marker.color[0]);
  // an empty number is a space: Plotly would drop an empty text node and not bring it back after a transition
  assert.ok(mean.text.every((s) => s.length > 0));
});

test("drawOrder: the same for every step; the selected group, then the selected cell, drawn last", () => {
  const bn = bnTrace();
  const m = mosaic(bn);
  assert.deepEqual(drawOrder(bn, m, view()).map((p) => m.cellOf[p]), [0, 1, 4, 5, 2, 6, 7, 3]);
  assert.deepEqual(drawOrder(bn, m, view({ group: 0, cell: 0 })).map((p) => m.cellOf[p]), [2, 3, 6, 7, 1, 4, 5, 0]);
});

/** The BatchNorm fixture's layout with a bigger random input (one group per channel). */
function bigTrace(shape) {
  const bn = bnTrace();
  const n = shape.reduce((a, b) => a * b, 1);
  const nest = (flat, sh) => (sh.length === 1 ? flat : Array.from({ length: sh[0] }, (_, i) => nest(flat.slice((i * flat.length) / sh[0], ((i + 1) * flat.length) / sh[0]), sh.slice(1))));
  const values = nest(Array.from({ length: n }, (_, i) => Math.sin(i)), shape);
  return { ...bn, shape, steps: [{ ...bn.steps[0], shape, values }], grouping: { ...bn.grouping, stat_shape: [shape[1]] } };
}

test("small cells carry no text nodes at all (Plotly lays each out on its own); large mosaics stay heatmaps", () => {
  const bn = bnTrace();
  assert.equal(tensorFigure(bn, idx(bn, "mean"), view()).data[1].mode, "markers+text");
  const wide = tensorFigure(bigTrace([1, 1, 4, 40]), 0, view({ group: 0, cell: 0 })); // 15 px cells
  assert.deepEqual([wide.data[1].type, wide.data[1].mode], ["scatter", "markers"]);
  assert.ok(MAX_MARKERS >= 512 && MAX_MARKERS <= 2500);
  const f = tensorFigure(bigTrace([1, 2, 24, 24]), 0, view({ group: 0, cell: 0 })); // 1,152 cells
  assert.equal(f.data[0].type, "heatmap");
  assert.equal(f.meta.cells, null);
});
