// The compare page's pure logic: state and query string, the shared grid, partitions and outlines, coincidences,
// each cell's numbers, and the panel figure. Traces are small hand-made ones in the API's shape.

import assert from "node:assert/strict";
import { test } from "node:test";

import * as F from "../../static/js/compare-figure.js";
import * as G from "../../static/js/compare-grid.js";
import * as S from "../../static/js/compare-state.js";
import * as V from "../../static/js/compare-view.js";

// ---- hand-made traces of a (2, 3, 2) tensor -----------------------------------------------------------------------

const X = [
  [
    [1, 2],
    [3, 4],
    [5, 6],
  ],
  [
    [0, 2],
    [4, 4],
    [1, 9],
  ],
];
const flatX = X.flat(2);
const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
const std = (a) => Math.sqrt(mean(a.map((v) => (v - mean(a)) ** 2)) + 1e-5);
const nest = (a) => [0, 1].map((n) => [0, 1, 2].map((c) => [0, 1].map((l) => a[n * 6 + c * 2 + l])));

/** A trace whose statistic of cell i is group(i), as the API sends it (normalized output, mean and std steps). */
function fake(layer, statShape, axisMap, group) {
  const groups = statShape.reduce((a, b) => a * b, 1);
  const members = Array.from({ length: groups }, (_, g) => flatX.filter((_, i) => group(i) === g));
  const mu = members.map(mean);
  const sd = members.map(std);
  const y = flatX.map((v, i) => (v - mu[group(i)]) / sd[group(i)]);
  return {
    layer,
    shape: [2, 3, 2],
    axes: ["N", "C", "L"],
    grouping: { stat_shape: statShape, axis_map: axisMap, reduce_axes: [], group_size: 12 / groups },
    params: {},
    torch_class: "nn.X",
    steps: [
      { id: "input", kind: "tensor", phase: "forward", values: X },
      { id: "mean", kind: "stat", phase: "forward", values: mu },
      { id: "std", kind: "stat", phase: "forward", values: sd },
      { id: "normalized", kind: "tensor", phase: "forward", values: nest(y), live: null },
    ],
    output: nest(y),
  };
}

const bn = fake("batch_norm", [3], [null, [0, 1], null], (i) => Math.floor(i / 2) % 3);
const ln = fake("layer_norm", [2], [[0, 1], null, null], (i) => Math.floor(i / 6));
const gn1 = fake("group_norm", [2, 1], [[0, 1], [1, 3], null], (i) => Math.floor(i / 6));
const inorm = fake("instance_norm", [2, 3], [[0, 1], [1, 1], null], (i) => Math.floor(i / 2));
const gn3 = fake("group_norm", [2, 3], [[0, 1], [1, 1], null], (i) => Math.floor(i / 2));

// ---- state ---------------------------------------------------------------------------------------------------------

test("divisors and GroupNorm's default G", () => {
  assert.deepEqual(S.divisors(6), [1, 2, 3, 6]);
  assert.deepEqual(S.divisors(7), [1, 7]);
  assert.equal(S.defaultG(6), 3);
  assert.equal(S.defaultG(7), 1);
  assert.equal(S.defaultG(1), 1);
  assert.equal(S.currentG({ G: 2 }, 6), 2);
  assert.equal(S.currentG({ G: 4 }, 6), 3); // 4 does not divide 6: the default
  assert.equal(S.currentG({ G: null }, 12), 6);
});

test("request params follow the toggles, as app/compare_page.py request_params", () => {
  assert.deepEqual(S.requestParams({ G: null, eval: [], tokens: false }, [2, 6, 4]), {});
  assert.deepEqual(S.requestParams({ G: 2, eval: ["batch_norm", "nope"], tokens: false }, [2, 6, 4]), {
    group_norm: { num_groups: 2 },
    batch_norm: { training: false },
  });
  const tokens = S.requestParams({ G: null, eval: ["batch_norm"], tokens: true }, [2, 5, 4]);
  assert.deepEqual(tokens.batch_norm, { training: false, layout: "channels_last" });
  assert.deepEqual(tokens.layer_norm, { normalized_shape: [4] });
  assert.deepEqual(tokens.rms_norm, { normalized_shape: [4] });
  assert.deepEqual(tokens.min_max, { dim: [0, 1] });
  assert.deepEqual(S.requestParams({ tokens: true, eval: [] }, [2, 3, 4, 4]), {}); // (B, S, D) needs 3 axes
  assert.equal(S.tokensOn({ tokens: true }, [2, 5, 4]), true);
  assert.equal(S.tokensOn({ tokens: true }, [2, 5]), false);
  const body = S.requestBody({ dtype: "float64", G: 1, eval: [] }, { random: { shape: [2, 4] } }, [2, 4]);
  assert.deepEqual(body, { input: { random: { shape: [2, 4] } }, dtype: "float64", params: { group_norm: { num_groups: 1 } } });
});

test("the query string is readable and leaves defaults out", () => {
  const base = { source: { random: { ...S.DEFAULT_RANDOM } }, dtype: "float32", G: null, tokens: false, eval: [], cell: 0, color: "values", show: "batch_norm" };
  assert.equal(S.toQuery(base), "");
  const q = S.toQuery({ ...base, source: { random: { shape: [2, 4, 3, 3], seed: 7, distribution: "uniform" } }, G: 2, tokens: true, eval: ["batch_norm", "instance_norm"], cell: 5, color: "groups", show: "group_norm", lang: "zh" });
  assert.equal(q, "shape=2,4,3,3&seed=7&dist=uniform&G=2&tokens=1&eval=batch_norm,instance_norm&cell=5&color=groups&show=group_norm&lang=zh");
  assert.equal(S.toQuery({ ...base, source: { t: "1.q1Yq_-" } }), "t=1.q1Yq_-&dtype=float32");
  assert.equal(S.toQuery({ ...base, source: { s: "k3v7q2x9ab" }, dtype: "float64" }), "s=k3v7q2x9ab&dtype=float64");
  assert.equal(S.toQuery({ ...base, source: { example: "bn-worked-example" } }), "example=bn-worked-example&dtype=float32");
  assert.equal(S.toQuery({ ...base, dtype: "float64" }), "dtype=float64");
});

test("a typed shape", () => {
  assert.deepEqual(S.parseShape("2, 6, 4"), [2, 6, 4]);
  assert.deepEqual(S.parseShape("2x6x4"), [2, 6, 4]);
  assert.deepEqual(S.parseShape(" 3 "), [3]);
  for (const bad of ["", "2,0", "a", "1,2,3,4,5,6", "-1"]) assert.equal(S.parseShape(bad), null, bad);
});

// ---- the grid ------------------------------------------------------------------------------------------------------

function placesEveryCellOnce(layout) {
  const seen = new Set();
  for (let i = 0; i < layout.row.length; i++) {
    const key = layout.row[i] * layout.cols + layout.col[i];
    assert.ok(!seen.has(key));
    seen.add(key);
    assert.equal(G.cellAt(layout, layout.row[i], layout.col[i]), i);
  }
  assert.equal(layout.at.filter((v) => v >= 0).length, layout.row.length);
}

test("channel reading: samples (and spatial rows) down, channels (and the last axis) across, gaps between", () => {
  const l3 = G.gridLayout([2, 6, 4]);
  assert.equal(l3.rows, 9); // 2 samples of 4 positions and one gap row
  assert.equal(l3.cols, 6);
  assert.deepEqual([...Array(9).keys()].map((r) => G.cellAt(l3, r, 0)), [0, 1, 2, 3, -1, 24, 25, 26, 27]);
  placesEveryCellOnce(l3);
  const l4 = G.gridLayout([2, 4, 3, 3]);
  assert.deepEqual([l4.rows, l4.cols], [7, 15]);
  placesEveryCellOnce(l4);
  const l5 = G.gridLayout([2, 2, 2, 2, 3]);
  assert.deepEqual([l5.rows, l5.cols], [9, 7]);
  placesEveryCellOnce(l5);
  const l2 = G.gridLayout([4, 3]);
  assert.deepEqual([l2.rows, l2.cols], [4, 3]);
  placesEveryCellOnce(l2);
  const l1 = G.gridLayout([5]);
  assert.deepEqual([l1.rows, l1.cols], [1, 5]);
  assert.equal(G.cellAt(l1, 0, 5), -1);
  assert.equal(G.cellAt(l1, -1, 0), -1);
});

test("token reading: one token per row, features across, sentences apart", () => {
  const l = G.gridLayout([2, 5, 4], true);
  assert.equal(l.tokens, true);
  assert.deepEqual([l.rows, l.cols], [11, 4]);
  assert.equal(G.cellAt(l, 6, 0), 20); // sentence 1, token 0
  placesEveryCellOnce(l);
  assert.equal(G.gridLayout([2, 3, 4, 4], true).tokens, false); // (B, S, D) is 3-D only
  const label = G.tokenLabel([2, 5, 4]);
  assert.equal(label(0, 0), "我");
  assert.equal(label(1, 4), "心");
  assert.equal(G.tokenLabel([3, 5, 4])(2, 1), "2,1");
  assert.equal(G.tokenLabel([2, 3, 4], { 1: ["a", "b", "c"] })(1, 2), "c");
  const tk = G.ticks(l, ["B", "S", "D"], label);
  assert.equal(tk.rows.ticktext.join(""), "我爱吃炸鸡今天很开心");
  assert.deepEqual(tk.rows.tickvals.slice(4, 6), [4, 6]); // the gap row has no label
  assert.deepEqual(tk.cols.ticktext, ["0", "1", "2", "3"]);
  assert.equal(tk.colTitle, "D");
});

test("ticks: one per outer index at the middle of its band, axis names as titles", () => {
  const l = G.gridLayout([2, 4, 3, 3]);
  const tk = G.ticks(l, ["N", "C", "H", "W"]);
  assert.deepEqual(tk.rows.tickvals, [1, 5]);
  assert.deepEqual(tk.cols.tickvals, [1, 5, 9, 13]);
  assert.equal(tk.rowTitle, "N · H");
  assert.equal(tk.colTitle, "C · W");
  const many = G.ticks(G.gridLayout([2, 40]), ["N", "C"]);
  assert.ok(many.cols.tickvals.length <= 14);
});

test("partition lines separate cells of different groups only", () => {
  const l = G.gridLayout([2, 3, 2]); // rows: n0 l0, n0 l1, gap, n1 l0, n1 l1; cols: c
  const segs = (p) => p.x.filter((v) => v === null).length;
  const bnIds = Int32Array.from(flatX.map((_, i) => Math.floor(i / 2) % 3));
  const lnIds = Int32Array.from(flatX.map((_, i) => Math.floor(i / 6)));
  assert.equal(segs(G.partitionLines(l, bnIds)), 8); // 2 vertical borders in each of 4 rows
  assert.equal(segs(G.partitionLines(l, lnIds)), 0); // samples are apart already: no line needed
  assert.equal(segs(G.partitionLines(l, null)), 0);
});

test("a group's outline is its perimeter, gaps and edges included", () => {
  const l = G.gridLayout([2, 3, 2]);
  const sides = (o) => o.x.filter((v) => v === null).length;
  assert.equal(sides(G.groupOutline(l, bn, 0)), 2 * (2 + 2 * 2)); // channel 0: two 2x1 columns apart
  assert.equal(sides(G.groupOutline(l, ln, 0)), 3 * 2 + 2 * 2); // sample 0: one 2x3 block
  assert.equal(sides(G.groupOutline(l, { ...ln, grouping: null }, 0)), 2 * (3 * 2 + 2 * 2)); // everything
  assert.equal(sides(G.outline(l, (i) => i === 3)), 4);
});

test("coincidences: GroupNorm with G = 1 is LayerNorm, with G = C InstanceNorm", () => {
  assert.deepEqual(G.coincidences({ batch_norm: bn, layer_norm: ln, group_norm: gn1 }), {
    batch_norm: [],
    layer_norm: ["group_norm"],
    group_norm: ["layer_norm"],
  });
  const c = G.coincidences({ instance_norm: inorm, group_norm: gn3, layer_norm: ln });
  assert.deepEqual(c.group_norm, ["instance_norm"]);
  assert.deepEqual(c.layer_norm, []);
  assert.equal(G.sameNumbers(Float64Array.of(1, 2), Float64Array.of(1, 2 + 1e-7)), true);
  assert.equal(G.sameNumbers(Float64Array.of(1, 2), Float64Array.of(1, 2 + 1e-5)), false);
  assert.equal(G.sameNumbers(Float64Array.of(1), Float64Array.of(1, 2)), false);
  assert.equal(G.sameNumbers(null, Float64Array.of(1)), false);
});

test("one color scale for every panel: the largest |y| of all", () => {
  const m = G.sharedRange({ batch_norm: bn, layer_norm: ln });
  const all = [...G.outputOf(bn), ...G.outputOf(ln)].map(Math.abs);
  assert.equal(m, Math.max(...all));
  assert.equal(G.sharedRange({}), 1e-12);
  const noOutput = { ...inorm, output: null };
  assert.deepEqual(Array.from(G.outputOf(noOutput)), Array.from(G.outputOf(inorm))); // the last tensor step
});

test("a cell's numbers: its group, x, centre, spread, y and the formula's step", () => {
  const n = G.cellNumbers(bn, 3); // (0, 1, 1): channel 1
  assert.equal(n.group, 1);
  assert.equal(n.x, 4);
  assert.equal(n.center.id, "mean");
  assert.equal(n.center.value, mean([3, 4, 4, 4]));
  assert.equal(n.spread.id, "std");
  assert.ok(Math.abs(n.y - (4 - n.center.value) / n.spread.value) < 1e-12);
  assert.equal(n.formulaStep, 3);
  assert.equal(n.groups, 3);
  assert.equal(n.groupSize, 4);
});

// ---- the figure ----------------------------------------------------------------------------------------------------

test("a panel: output on the shared scale, partition, the selected group and cell", () => {
  const l = G.gridLayout([2, 3, 2]);
  const fig = F.panelFigure(bn, l, { range: 2.5, color: "values", cell: 3, width: 300, t: (k) => k, names: ["N", "C", "L"], input: Float64Array.from(flatX) });
  assert.equal(fig.data.length, 5);
  assert.equal(fig.data[F.TRACE.group].line.color, "#d9480f"); // the accent; ink when colored by group
  const heat = fig.data[F.TRACE.heat];
  assert.equal(heat.z.length, 5);
  assert.equal(heat.z[2][0], null); // the gap row
  assert.equal(heat.zmin, -2.5);
  assert.equal(heat.zmax, 2.5);
  assert.match(heat.text[0][1], /x = 3/);
  assert.deepEqual(fig.data[F.TRACE.cell].x, [1]);
  assert.deepEqual(fig.data[F.TRACE.cell].y, [1]);
  assert.ok(fig.layout.height > 0 && fig.layout.width <= 300);
  // a grid held by the height is no wider than its cells and margins: the page centres it, paper does not shrink it
  const tall = F.panelFigure(bn, l, { range: 2.5, color: "values", cell: 3, width: 740, maxHeight: 200, t: (k) => k, names: ["N", "C", "L"] });
  const { cell, margin } = F.cellPixels(l, 740, 200);
  assert.equal(tall.layout.width, cell * l.cols + margin.l + margin.r);
  assert.ok(tall.layout.width < 300 && tall.layout.height <= 200);
  const groups = F.panelFigure(bn, l, { range: 2.5, color: "groups", cell: 0, width: 300, t: (k) => k, names: ["N", "C", "L"] });
  assert.equal(groups.data[0].z[0][2], 2); // channel 2's color
  assert.equal(groups.data[F.TRACE.group].line.color, "#1d2330");
  assert.deepEqual(groups.data[F.TRACE.halo].x, groups.data[F.TRACE.group].x);
  assert.equal(F.groupScale().length, 16);
  const upd = F.selectionUpdate(ln, l, 7);
  assert.equal(upd.x.length, 3);
  assert.deepEqual(upd.y[2], [4]); // (1, 0, 1): sample 1 starts below the gap row
});

test("cell size: within 6 and 34 px, fits the width and the height", () => {
  const l = G.gridLayout([2, 6, 4]);
  const a = F.cellPixels(l, 400, 240);
  assert.ok(a.cell >= 6 && a.cell <= 34);
  assert.ok(a.cell * l.cols <= 400 - a.margin.l - a.margin.r);
  assert.ok(a.height <= 240);
  assert.equal(F.cellPixels(G.gridLayout([1, 2]), 2000, 2000).cell, 34);
  assert.equal(F.cellPixels(G.gridLayout([1, 500]), 300, 300).cell, 6);
});

// ---- words -------------------------------------------------------------------------------------------------------

const ctx = {
  lang: "zh",
  t: (k) => k,
  titles: { layer_norm: { en: "LayerNorm", zh: "层归一化（LN）" } },
  words: {
    "shares.batch_norm": { en: "${k} groups of ${m}", zh: "${k} 组，每组 ${m} 个" },
    "shares_tokens.batch_norm": { en: "tokens: ${k} of ${m}", zh: "词元：${k} 组 ${m} 个" },
    "shares.group_norm": { en: "G = ${G}: ${k} groups", zh: "G = ${G}：${k} 组" },
    g_is_layer_norm: { en: "= LayerNorm", zh: "= LayerNorm" },
    g_is_instance_norm: { en: "G = C = ${C}", zh: "G = C = ${C}" },
    g_between: { en: "${Cg} per group", zh: "每组 ${Cg} 个" },
  },
};

test("lesson words filled with live numbers", () => {
  assert.equal(V.fill("m = ${m}, n = ${n:,}", { m: 4, n: 5 }), "m = 4, n = 5");
  assert.equal(V.fill("${missing}", {}), "${missing}");
  assert.equal(V.word(ctx, "shares.batch_norm", { k: 3, m: 4 }), "3 组，每组 4 个");
  assert.equal(V.word({ ...ctx, lang: "en" }, "shares.batch_norm", { k: 3, m: 4 }), "3 groups of 4");
  assert.equal(V.word(ctx, "nope"), "nope");
  assert.equal(V.sharesText(ctx, "batch_norm", bn, false), "3 组，每组 4 个");
  assert.equal(V.sharesText(ctx, "batch_norm", bn, true), "词元：3 组 4 个");
  assert.equal(V.sharesText(ctx, "group_norm", { ...gn1, params: { num_groups: 1 } }, false), "G = 1：2 组");
  assert.equal(V.sharesText(ctx, "batch_norm", { ...bn, grouping: null }, false), "");
  assert.equal(V.gNote(ctx, 1, 6), "= LayerNorm");
  assert.equal(V.gNote(ctx, 6, 6), "G = C = 6");
  assert.equal(V.gNote(ctx, 2, 6), "每组 3 个");
  assert.equal(V.gNote(ctx, 1, 1), "G = C = 1");
});

test("the arrow keys step over gaps and stop at the edges", () => {
  const l = G.gridLayout([2, 3, 2]); // rows: n0 l0, n0 l1, gap, n1 l0, n1 l1
  assert.equal(G.stepCell(l, 1, 1, 0), 6); // (0, 0, 1) down: over the gap to (1, 0, 0)
  assert.equal(G.stepCell(l, 6, -1, 0), 1);
  assert.equal(G.stepCell(l, 0, -1, 0), 0); // the top edge
  assert.equal(G.stepCell(l, 0, 0, 1), 2); // the next channel
  assert.equal(G.stepCell(l, 4, 0, 1), 4); // the right edge
});
