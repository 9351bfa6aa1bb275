import assert from "node:assert/strict";
import { test } from "node:test";

import { barLabelSize, binEdges, buildFigure, categoryTicks, extent, frameCount, frameText, histogram, padded, revealXs, sameShape } from "../../static/js/lab_figures.js";
import { fromQuery, knobQuery, segments } from "../../static/js/lab_state.js";

const series = {
  batch: [1, 2, 3, 4],
  mean: [0.1, 0.5, 0.8, 1.0],
  full: 0.9,
  stream: [
    [0, 1, 2],
    [1, 2, 3],
    [2, 3, 4],
    [3, 4, 5],
  ],
  all: [0, 1, 2, 3, 4, 5],
  cats: [3, 1.5],
  z: [
    [1, -2],
    [3, 4],
  ],
};
const name = (en, zh = en + "（中）") => ({ en, zh });

const lines = {
  id: "mean",
  kind: "lines",
  title: name("t"),
  x_title: name("batch", "批次"),
  y_title: name("mean"),
  x: "batch",
  play: "reveal",
  frame_label: name("after batch ${frame}", "第 ${frame} 个批次之后"),
  traces: [
    { y: "mean", name: name("PyTorch"), color: 0 },
    { y: "full", name: name("whole"), color: 6, dash: "dot" },
  ],
};

test("lines: a scalar series is a reference line over the x range", () => {
  const fig = buildFigure(lines, series, { lang: "zh" });
  assert.equal(fig.frames, 4);
  assert.deepEqual(fig.data[0].x, [1, 2, 3, 4]);
  assert.deepEqual(fig.data[1].x, [1, 4]);
  assert.deepEqual(fig.data[1].y, [0.9, 0.9]);
  assert.equal(fig.data[1].line.dash, "dot");
  assert.equal(fig.data[0].name, "PyTorch（中）");
  assert.equal(fig.layout.xaxis.title.text, "批次");
  assert.ok(fig.layout.showlegend);
});

test("reveal: frame f shows the points up to the f-th x, axes fixed to all of them", () => {
  const fig = buildFigure(lines, series, { frame: 1 });
  assert.deepEqual(fig.data[0].y, [0.1, 0.5]);
  const last = buildFigure(lines, series, {});
  assert.deepEqual(fig.layout.yaxis.range, last.layout.yaxis.range);
  assert.equal(frameText(lines, 1, "zh", 4), "第 2 个批次之后");
  assert.equal(frameText({}, 1, "en", 4), "2 / 4");
});

test("reveal over traces with their own x", () => {
  const spec = { kind: "lines", play: "reveal", traces: [{ y: "a", x: "xa" }, { y: "b", x: "xb" }] };
  const s = { a: [1, 2, 3], xa: [1, 2, 4], b: [5, 6], xb: [2, 3] };
  assert.deepEqual(revealXs(spec, s), [1, 2, 3, 4]);
  const fig = buildFigure(spec, s, { frame: 1 });
  assert.deepEqual(fig.data[0].x, [1, 2]);
  assert.deepEqual(fig.data[1].x, [2]);
});

test("histogram: shared edges over every frame; densities integrate to 1", () => {
  const spec = { kind: "histogram", bins: 5, play: "frames", traces: [{ values: "stream", name: name("batch") }, { values: "all", static: true, name: name("all") }] };
  const edges = binEdges(spec, series);
  assert.equal(edges.length, 6);
  assert.equal(edges[0], 0);
  assert.equal(edges[5], 5);
  assert.equal(frameCount(spec, series), 4);
  const first = buildFigure(spec, series, { frame: 0 });
  const w = edges[1] - edges[0];
  const total = first.data[0].y.reduce((a, b) => a + b, 0) * w;
  assert.ok(Math.abs(total - 1) < 1e-12);
  const last = buildFigure(spec, series, {});
  assert.ok(sameShape(first.data, last.data));
  assert.deepEqual(first.layout.yaxis.range, last.layout.yaxis.range);
  assert.deepEqual(histogram([0, 0.5, 5, 9], [0, 1, 5], "count"), [2, 1]);
});

test("bars take category words; heatmap is symmetric about 0 for signed data", () => {
  const bars = buildFigure({ kind: "bars", categories: [name("a"), name("b")], traces: [{ y: "cats", name: name("v") }] }, series, { lang: "zh" });
  assert.deepEqual(bars.data[0].x, ["a（中）", "b（中）"]);
  assert.ok(bars.layout.yaxis.range[0] <= 0);
  const heat = buildFigure({ kind: "heatmap", traces: [{ z: "z" }] }, series, {});
  assert.equal(heat.data[0].zmin, -4);
  assert.equal(heat.data[0].zmax, 4);
});

test("scatter defaults to markers; log axes", () => {
  const fig = buildFigure({ kind: "scatter", x_log: true, y_log: true, traces: [{ x: "batch", y: "mean", name: name("s") }] }, series, {});
  assert.equal(fig.data[0].mode, "markers");
  assert.equal(fig.layout.xaxis.type, "log");
  assert.equal(fig.layout.yaxis.type, "log");
});

test("helpers", () => {
  assert.deepEqual(extent([3, NaN, -1, 2]), [-1, 3]);
  assert.deepEqual(padded([2, 2]), [1.5 - 0.06, 2.5 + 0.06]);
  assert.ok(!sameShape([{ type: "bar", x: [1], y: [1] }], [{ type: "bar", x: [1, 2], y: [1, 2] }]));
  assert.equal(knobQuery("/labs/x?a=1&b=2"), "?a=1&b=2");
  assert.equal(knobQuery("/labs/x"), "");
  const knobs = [{ name: "m", type: "float" }, { name: "n", type: "int" }, { name: "on", type: "bool" }, { name: "k", type: "enum" }];
  assert.deepEqual(fromQuery("?m=0.1&n=3&on=true&k=a&lang=zh&z=1", knobs), { m: 0.1, n: 3, on: true, k: "a", z: "1" });
  assert.deepEqual(segments("a `x` b\n\n c"), [[{ text: "a ", code: false }, { text: "x", code: true }, { text: " b", code: false }], [{ text: " c", code: false }]]);
});

test("numbers over bars: one size that fits the narrowest bar, none when that is under 7 px or beyond 12 bars", () => {
  const eight = ["1.54", "1.54", "−0.893", "−0.893", "−1.59", "−1.59", "−0.708", "−0.708"];
  assert.equal(barLabelSize(eight, 1100), 10); // a wide plot: the cap for more than 6 bars
  assert.equal(barLabelSize(eight, 450), 8); // a desktop card: shrunk to fit "−0.893"
  assert.equal(barLabelSize(eight, 340), 0); // a phone: under 7 px, no numbers (the hover shows them)
  assert.equal(barLabelSize(["3", "1.5"], 340), 12);
  assert.equal(barLabelSize(Array(13).fill("1"), 2000), 0);
  assert.equal(barLabelSize([], 640), 0);
  const fig = (width) => buildFigure({ kind: "bars", traces: [{ y: "mean", name: name("m") }, { y: "mean", name: name("n") }] }, series, { width });
  const wide = fig(1100).data;
  assert.deepEqual([wide[0].textposition, wide[0].textfont.size, wide[0].text], ["outside", 10, ["0.1", "0.5", "0.8", "1"]]);
  assert.equal(fig(200).data[0].textposition, "none");
  assert.equal(fig(1100).layout.bargroupgap, 0.12);
});

test("category names under bars break at spaces where they would run together, and the plot makes room", () => {
  const cats = ["PyTorch 0.1", "Keras 0.99", "d2l-zh 0.9", "None", "yours", "whole stream"];
  assert.deepEqual(categoryTicks(cats, 1100), { lines: 1 }); // a wide plot: each fits its share
  const narrow = categoryTicks(cats, 480); // a card of a desktop page: 68 px, 9 characters each
  assert.deepEqual(narrow.tickvals, cats);
  assert.deepEqual(narrow.ticktext, ["PyTorch<br>0.1", "Keras<br>0.99", "d2l-zh<br>0.9", "None", "yours", "whole<br>stream"]);
  assert.equal(narrow.lines, 2);
  assert.equal(categoryTicks(["没有 BN", "全部 BN"], 150).ticktext[0], "没有<br>BN"); // CJK counts wider
  assert.deepEqual(categoryTicks(["averylongname"], 100).ticktext, ["averylongname"]); // no space: left whole
  const spec = { kind: "bars", categories: cats.map((c) => ({ en: c, zh: c })), traces: [{ y: "v", name: { en: "out", zh: "out" } }] };
  const v = { v: [1.05, 2.37, 1.09, 1.02, 1.28, 1.02] };
  const [wide, card] = [1100, 480].map((width) => buildFigure(spec, v, { width }).layout);
  assert.equal(wide.xaxis.ticktext, undefined);
  assert.deepEqual(card.xaxis.ticktext, narrow.ticktext);
  assert.equal(card.margin.b - wide.margin.b, 13); // a second line of names: the axis title moves down
});
