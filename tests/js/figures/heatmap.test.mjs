import assert from "node:assert/strict";
import { test } from "node:test";

import { drawnArray, mosaic, plan, tensorFigure } from "../../../static/js/figures/heatmap.js";
import { COLORS } from "../../../static/js/figures/common.js";
import { bnTrace, dropoutTrace, lnTrace, summarized, t } from "../fixtures.mjs";

const view = (extra = {}) => ({ group: 1, cell: 3, width: 640, t, pick: (x) => x?.en ?? x, lang: "en", ...extra });
const idx = (trace, id) => trace.steps.findIndex((s) => s.id === id);

test("plan: which axes make the grid and each map", () => {
  assert.deepEqual(plan([5], false), { gr: [], gc: [], mr: [], mc: [0], wrap: false });
  assert.deepEqual(plan([2, 3], false), { gr: [], gc: [], mr: [0], mc: [1], wrap: false });
  assert.deepEqual(plan([2, 3, 4], false), { gr: [], gc: [0], mr: [1], mc: [2], wrap: true });
  assert.deepEqual(plan([2, 3, 4, 4], false), { gr: [0], gc: [1], mr: [2], mc: [3] });
  assert.deepEqual(plan([2, 4, 4, 3], true), { gr: [0], gc: [3], mr: [1], mc: [2] });
});

test("mosaic: N x C maps of H x W with one gap between maps, labelled with the trace's axis names", () => {
  const m = mosaic(bnTrace()); // [2, 2, 1, 2]
  assert.equal(m.rows, 3);
  assert.equal(m.cols, 5);
  assert.deepEqual(Array.from(m.cellOf), [0, 1, -1, 2, 3, -1, -1, -1, -1, -1, 4, 5, -1, 6, 7]);
  assert.deepEqual(m.maps.map((x) => x.label), ["N=0, C=0", "N=0, C=1", "N=1, C=0", "N=1, C=1"]);
  assert.equal(m.truncated, false);
});

test("mosaic of channels-last input: channels are the grid columns", () => {
  const tr = { shape: [1, 1, 2, 3], axes: ["N", "H", "W", "C"], grouping: null, steps: [] };
  const m = mosaic(tr);
  assert.deepEqual(m.plan, { gr: [0], gc: [3], mr: [1], mc: [2] });
  assert.deepEqual(m.maps.map((x) => x.label), ["N=0, C=0", "N=0, C=1", "N=0, C=2"]);
  assert.deepEqual(Array.from(m.cellOf).slice(0, 3), [0, 3, -1]); // map C=0 row H=0: W=0, W=1
});

test("drawnArray: groups for the grouping step, the mask, the step's own values, a statistic, else the input", () => {
  const bn = bnTrace();
  assert.equal(drawnArray(bn, bn.steps[idx(bn, "grouping")]).mode, "groups");
  assert.equal(drawnArray(bn, bn.steps[idx(bn, "normalized")]).mode, "values");
  const stat = drawnArray(bn, bn.steps[idx(bn, "mean")]);
  assert.deepEqual([stat.mode, stat.step.id, stat.slots.by, Array.from(stat.slots.slot)], ["stat", "mean", "group", [0, 0, 1, 1, 0, 0, 1, 1]]);
  assert.equal(drawnArray(bn, bn.steps[idx(bn, "dgamma")]).slots.by, "param");
  const dr = dropoutTrace();
  assert.equal(drawnArray(dr, dr.steps[idx(dr, "mask")]).mode, "mask");
  // a step whose values fit neither the groups nor the parameters: the input, for context
  const odd = { ...bn, steps: [...bn.steps, { ...bn.steps[2], id: "odd", values: [1, 2, 3] }] };
  const ctx = drawnArray(odd, odd.steps.at(-1));
  assert.deepEqual([ctx.mode, ctx.step.id, ctx.context], ["values", "input", true]);
});

test("tensorFigure (heatmap, for large mosaics): values per cell, the other groups dimmed, group and cell outlined", () => {
  const bn = bnTrace();
  const f = tensorFigure(bn, idx(bn, "centered"), view({ markers: false }));
  const [heat, dim] = f.data;
  assert.deepEqual(heat.z[0], [-1, 0, null, 2, -2]);
  assert.deepEqual(heat.z[2], [-3, 4, null, -1, 1]);
  assert.deepEqual(heat.customdata[0], [0, 1, -1, 2, 3]);
  assert.equal(heat.text[0][3], "2");
  assert.equal(heat.hovertext[0][0], "x−μ(0, 0, 0, 0) = −1<br>fig.group C=0 (#0)");
  assert.equal(heat.zmin, -4);
  assert.equal(heat.zmax, 4);
  assert.deepEqual(dim.z[0], [1, 1, null, null, null]); // group 1 (channel 1) is not dimmed
  const outlines = f.layout.shapes.filter((s) => s.line.color === COLORS.accent);
  assert.deepEqual(outlines.map((s) => [s.x0, s.x1, s.y0, s.y1]), [[2.5, 4.5, -0.5, 0.5], [2.5, 4.5, 1.5, 2.5]]);
  const cell = f.layout.shapes.find((s) => s.line.color === COLORS.ink);
  assert.deepEqual([cell.x0, cell.y0], [3.5, -0.5]); // cell 3 at row 0, column 4
  assert.deepEqual(f.meta, { cellOf: f.meta.cellOf, cols: 5, rows: 3, truncated: false, mode: "values", context: false, drawnStep: "centered", cells: null, by: null });
  assert.deepEqual(f.layout.annotations.map((a) => a.text), ["N=0", "N=1", "C=0", "C=1"]);
  // a heatmap cannot gather cells: a statistic step shows the input for context
  const mean = tensorFigure(bn, idx(bn, "mean"), view({ markers: false }));
  assert.deepEqual([mean.meta.mode, mean.meta.context, mean.meta.drawnStep], ["values", true, "input"]);
});

test("tensorFigure (markers): pale slots, the cells as square markers, a colour bar of their own", () => {
  const bn = bnTrace();
  const f = tensorFigure(bn, idx(bn, "centered"), view());
  assert.deepEqual(f.data.map((d) => [d.type, d.name]), [["scatter", "slots"], ["scatter", "tensor"], ["scatter", "scale"]]);
  assert.equal(f.meta.cells, 1);
  const cells = f.data[1];
  assert.equal(cells.marker.symbol, "square");
  // drawing order: group 0, then group 1 (selected), then the selected cell 3 on top
  assert.deepEqual(cells.customdata, [0, 1, 4, 5, 2, 6, 7, 3]);
  assert.deepEqual(cells.x, [0, 1, 0, 1, 3, 3, 4, 4]);
  assert.deepEqual(cells.y, [0, 0, 2, 2, 0, 2, 2, 0]);
  assert.deepEqual(cells.text, ["−1", "0", "−3", "4", "2", "−1", "1", "−2"]);
  assert.equal(cells.hovertext[0], "x−μ(0, 0, 0, 0) = −1<br>fig.group C=0 (#0)");
  assert.deepEqual(cells.marker.line.width, [0, 0, 0, 0, 0, 0, 0, 2.5]); // the selected cell's outline moves with it
  assert.equal(new Set(cells.marker.size).size, 1); // every cell one cell wide
  assert.equal(f.data[2].marker.showscale, true);
  assert.deepEqual([f.data[2].marker.cmin, f.data[2].marker.cmax], [-4, 4]);
  // the slots: one closed square per drawn cell, in one path
  assert.equal(f.data[0].x.filter((v) => v === null).length, 8);
  // no heatmap: Plotly.animate drops the layer of a trace type it cannot tween
  assert.ok(f.data.every((d) => d.type === "scatter"));
  assert.ok(!f.layout.shapes.some((s) => s.line.color === COLORS.ink)); // the cell outline is the marker's
});

test("tensorFigure (markers): the grouping step colours cells by group", () => {
  const bn = bnTrace();
  const f = tensorFigure(bn, idx(bn, "grouping"), view());
  const cells = f.data[1];
  assert.deepEqual(cells.text, ["0", "0", "0", "0", "1", "1", "1", "1"]);
  assert.equal(cells.hovertext[4], "g(0, 1, 0, 0)<br>fig.group C=1 (#1)");
  assert.equal(f.meta.mode, "groups");
  assert.equal(f.data.length, 2); // no colour bar
});

test("tensorFigure: a 2-D input labels its axes with the trace's names", () => {
  const dr = dropoutTrace();
  const f = tensorFigure(dr, 0, view({ group: null, cell: 0 }));
  assert.equal(f.layout.xaxis.title.text, "D");
  assert.equal(f.layout.yaxis.title.text, "N");
  assert.deepEqual(f.data.map((d) => d.name), ["slots", "tensor", "scale"]);
  assert.equal(new Set(f.data[1].marker.color).size > 1, true);
});

test("tensorFigure: the input's axis labels become tick text, map labels, row labels and hover", () => {
  const dr = dropoutTrace(); // [N, D]
  const labelled = { ...dr, labels: { 1: ["height", "weight", "kg"] } }; // a CSV header on the feature axis
  const f = tensorFigure(labelled, 0, view({ group: null, cell: 1 }));
  const names = labelled.labels[1];
  assert.deepEqual(f.layout.xaxis.ticktext, names);
  assert.deepEqual(f.layout.yaxis.ticktext, ["0", "1"]);
  assert.ok(f.data[1].hovertext.some((h) => h.startsWith(`x(0, ${names[1]}) =`)));
  // a sentence (B, S, D) with its characters on S: maps per sample, a label beside each row
  const ln = { ...lnTrace(), labels: { 1: ["我", "爱"] } };
  const g = tensorFigure(ln, 0, view({ group: 0, cell: 0 }));
  const texts = g.layout.annotations.map((a) => a.text);
  assert.deepEqual(texts.slice(0, 2), ["B=0", "B=1"]);
  assert.ok(texts.includes("我") && texts.includes("爱"));
  assert.ok(g.layout.margin.l > tensorFigure(lnTrace(), 0, view({ group: 0, cell: 0 })).layout.margin.l);
  // labels on the grid axis: "N=…" map labels read them too
  const bn = { ...bnTrace(), labels: { 0: ["cat", "dog"] } };
  assert.deepEqual(tensorFigure(bn, 0, view()).layout.annotations.map((a) => a.text).slice(0, 2), ["N=cat", "N=dog"]);
});

test("tensorFigure: summarized arrays give a message instead of a heatmap", () => {
  const tr = summarized(bnTrace());
  const f = tensorFigure(tr, 3, view());
  assert.equal(f.meta, null);
  assert.deepEqual(f.data, []);
  assert.equal(f.layout.annotations[0].text, 'fig.too_big{"n":"8"}');
});

test("tensorFigure: a 3-D input wraps its maps, labelled by the first axis", () => {
  const ln = lnTrace();
  const f = tensorFigure(ln, 0, view({ group: 0, cell: 0 }));
  assert.deepEqual(f.layout.annotations.map((a) => a.text), ["B=0", "B=1"]);
});

test("a colour bar never narrower than 1e-300: Plotly finds no ticks for values a few subnormals apart", () => {
  const tiny = (values) => {
    const tr = bnTrace();
    tr.steps[0] = { ...tr.steps[0], values };
    const f = tensorFigure(tr, 0, view());
    const scale = f.data.find((d) => d.name === "scale").marker;
    return [scale.cmin, scale.cmax];
  };
  assert.deepEqual(tiny([0, 5e-324, 5e-324, 0, 0, 0, 0, 0]), [0, 1e-300]);
  assert.deepEqual(tiny([0, -5e-324, 5e-324, 0, 0, 0, 0, 0]), [-1e-300, 1e-300]);
  assert.deepEqual(tiny([0, 0, 0, 0, 0, 0, 0, 0]), [0, 1]);
  assert.deepEqual(tiny([0, 2e-300, 0, 0, 0, 0, 0, 0]), [0, 2e-300]); // wide enough: the data's own range
});
