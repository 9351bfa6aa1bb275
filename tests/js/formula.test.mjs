import assert from "node:assert/strict";
import { test } from "node:test";

import { Missing, elided, num, substituted } from "../../static/js/formula.js";
import { bnEvalTrace, bnTrace, dropoutTrace, inTrace, lnTrace, minMaxTrace, rmsTrace, summarized, t, wordsFor } from "./fixtures.mjs";

const M = (body) => `<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"><mrow>${body}</mrow></math>`;
const neg = (s) => `<mrow><mo>−</mo><mn>${s}</mn></mrow>`;
const wrapped = (x) => `<mrow><mo>(</mo>${x}<mo>)</mo></mrow>`;
/** The formula as plain text, tags dropped: "μC=1=3+(−1)+0+24=1". */
const text = (mathml) => mathml.replace(/<[^>]+>/g, "");
const idx = (trace, id) => trace.steps.findIndex((s) => s.id === id);
/** Cell 3 = (0, 1, 0, 1) of the BatchNorm fixture: x = −1, channel 1. */
const live = (trace, id, sel = { group: 1, cell: 3 }) => substituted(trace, idx(trace, id), { ...sel, t });

test("num: fmt, a negative number as <mo>−</mo><mn>, in parentheses only when asked", () => {
  assert.equal(num(0.5), "<mn>0.5</mn>");
  assert.equal(num(-0.5), neg("0.5"));
  assert.equal(num(-0.5, true), wrapped(neg("0.5")));
  assert.equal(num(0.5, true), "<mn>0.5</mn>");
});

test("elided: up to five terms in full, else the first three, ⋯ and the last", () => {
  const term = (v) => `<mn>${v}</mn>`;
  assert.equal(elided([1, 2], term), "<mn>1</mn><mo>+</mo><mn>2</mn>");
  assert.equal(elided([1, 2, 3, 4, 5, 6], term), "<mn>1</mn><mo>+</mo><mn>2</mn><mo>+</mo><mn>3</mn><mo>+</mo><mo>⋯</mo><mo>+</mo><mn>6</mn>");
});

test("input: the selected cell's index and value", () => {
  assert.equal(live(bnTrace(), "input"), M(`<msub><mi>x</mi><mrow><mtext>(0, 1, 0, 1)</mtext></mrow></msub><mo>=</mo>${neg("1")}`));
});

test("grouping: the cell's group and the group size", () => {
  assert.equal(
    live(bnTrace(), "grouping"),
    M('<mi>g</mi><mtext>(0, 1, 0, 1)</mtext><mo>=</mo><mtext>C=1</mtext><mo>;</mo><mspace width="1em"></mspace><mi>m</mi><mo>=</mo><mn>4</mn>'),
  );
});

test("mean: the group's values summed (each negative one in parentheses) over m", () => {
  assert.equal(
    live(bnTrace(), "mean"),
    M(
      "<msub><mi>μ</mi><mrow><mtext>C=1</mtext></mrow></msub><mo>=</mo>" +
        `<mfrac><mrow><mn>3</mn><mo>+</mo>${wrapped(neg("1"))}<mo>+</mo><mn>0</mn><mo>+</mo><mn>2</mn></mrow><mrow><mn>4</mn></mrow></mfrac>` +
        "<mo>=</mo><mn>1</mn>",
    ),
  );
  assert.equal(text(live(bnTrace(), "mean", { group: 0, cell: 0 })), "μC=0=1+2+(−1)+64=2");
});

test("centered: x − μ with the group's mean; the second operand in parentheses when negative", () => {
  assert.equal(
    live(bnTrace(), "centered"),
    M(`<msub><mi>x</mi><mrow><mtext>(0, 1, 0, 1)</mtext></mrow></msub><mo>−</mo><mi>μ</mi><mo>=</mo>${neg("1")}<mo>−</mo><mn>1</mn><mo>=</mo>${neg("2")}`),
  );
  assert.equal(text(live(bnEvalTrace(), "centered")), "x(0, 1, 0, 1)−μ=−1−(−1)=0");
});

test("variance: squared centered values over m", () => {
  const sq = (x) => `<msup><mrow><mo>(</mo>${x}<mo>)</mo></mrow><mrow><mn>2</mn></mrow></msup>`;
  assert.equal(
    live(bnTrace(), "variance"),
    M(
      "<msubsup><mi>σ</mi><mrow><mtext>C=1</mtext></mrow><mrow><mn>2</mn></mrow></msubsup><mo>=</mo>" +
        `<mfrac><mrow>${sq("<mn>2</mn>")}<mo>+</mo>${sq(neg("2"))}<mo>+</mo>${sq(neg("1"))}<mo>+</mo>${sq("<mn>1</mn>")}</mrow><mrow><mn>4</mn></mrow></mfrac>` +
        "<mo>=</mo><mn>2.5</mn>",
    ),
  );
});

test("std: √(σ² + ε) with eps from trace.params", () => {
  assert.equal(
    live(bnTrace(), "std"),
    // √(σ² + ε) names the denominator without redefining σ (issue 13)
    M("<msqrt><mrow><msubsup><mi>σ</mi><mrow><mtext>C=1</mtext></mrow><mrow><mn>2</mn></mrow></msubsup><mo>+</mo><mi>ε</mi></mrow></msqrt><mo>=</mo><msqrt><mrow><mn>2.5</mn><mo>+</mo><mn>1e−5</mn></mrow></msqrt><mo>=</mo><mn>1.581</mn>"),
  );
});

test("normalized, scaled and output", () => {
  assert.equal(
    live(bnTrace(), "normalized"),
    M(`<msub><mi>x̂</mi><mrow><mtext>(0, 1, 0, 1)</mtext></mrow></msub><mo>=</mo><mfrac><mrow>${neg("2")}</mrow><mrow><mn>1.581</mn></mrow></mfrac><mo>=</mo>${neg("1.265")}`),
  );
  assert.equal(live(bnTrace(), "scaled"), M(`<mi>γ</mi><mi>x̂</mi><mo>=</mo><mn>0.5</mn><mo>×</mo>${wrapped(neg("1.265"))}<mo>=</mo>${neg("0.6325")}`));
  assert.equal(text(live(bnTrace(), "output")), "y(0, 1, 0, 1)=−0.6325+(−1)=−1.632");
  assert.equal(text(live(bnTrace(), "output", { group: 0, cell: 0 })), "y(0, 0, 0, 0)=−0.7845+0.5=−0.2845");
});

test("running statistics: the update with the factor f, the old buffer and the batch statistic", () => {
  assert.equal(
    live(bnTrace(), "running_mean"),
    M(
      "<msup><mi>μ</mi><mrow><mtext>run</mtext></mrow></msup><mo>←</mo><mo>(</mo><mn>1</mn><mo>−</mo><mn>0.1</mn><mo>)</mo><mo>×</mo>" +
        `${wrapped(neg("1"))}<mo>+</mo><mn>0.1</mn><mo>×</mo><mn>1</mn><mo>=</mo>${neg("0.8")}`,
    ),
  );
  assert.equal(text(live(bnTrace(), "running_var")), "σ2,run←(1−0.1)×2+0.1×43×2.5=2.133");
  assert.equal(text(live(bnTrace(), "running_var", { group: 0, cell: 0 })), "σ2,run←(1−0.1)×1+0.1×43×6.5=1.767");
});

test("InstanceNorm's running buffer (per channel) is read at the cell's channel, not its (n, c) group", () => {
  const tr = inTrace();
  assert.equal(text(live(tr, "running_mean", { group: 3, cell: 9 })), "μ1run=0.3"); // cell (1, 1, 0)
  assert.equal(text(live(tr, "running_mean", { group: 2, cell: 6 })), "μ0run=0");
  assert.equal(text(live(tr, "mean", { group: 3, cell: 9 })), "μN=1, C=1=0+0+33=1");
});

test("evaluation mode with running statistics: the running variant's template", () => {
  assert.equal(live(bnEvalTrace(), "mean"), M(`<msub><mi>μ</mi><mrow><mtext>C=1</mtext></mrow></msub><mo>=</mo><msup><mi>μ</mi><mrow><mtext>run</mtext></mrow></msup><mo>=</mo>${neg("1")}`));
  assert.equal(text(live(bnEvalTrace(), "variance")), "σC=12=σ2,run=2");
});

test("backward: ∂L/∂y, the parameter gradients over the cells that feed the entry, ∂L/∂x̂", () => {
  const tr = bnTrace();
  assert.equal(
    live(tr, "grad_output"),
    M("<mfrac><mrow><mi>∂</mi><mi>L</mi></mrow><mrow><mi>∂</mi><msub><mi>y</mi><mrow><mtext>(0, 1, 0, 1)</mtext></mrow></msub></mrow></mfrac><mo>=</mo><mn>2</mn>"),
  );
  assert.equal(
    live(tr, "dbeta"),
    M(
      "<mfrac><mrow><mi>∂</mi><mi>L</mi></mrow><mrow><mi>∂</mi><msub><mi>β</mi><mrow><mn>1</mn></mrow></msub></mrow></mfrac><mo>=</mo>" +
        `<mn>0.5</mn><mo>+</mo><mn>2</mn><mo>+</mo>${wrapped(neg("2"))}<mo>+</mo><mn>3</mn><mo>=</mo><mn>3.5</mn>`,
    ),
  );
  assert.ok(
    live(tr, "dgamma").includes(
      `<mo>=</mo><mrow><mn>0.5</mn><mo>·</mo><mn>1.265</mn></mrow><mo>+</mo><mrow><mn>2</mn><mo>·</mo>${wrapped(neg("1.265"))}</mrow><mo>+</mo>` +
        `<mrow>${wrapped(neg("2"))}<mo>·</mo>${wrapped(neg("0.6325"))}</mrow><mo>+</mo><mrow><mn>3</mn><mo>·</mo><mn>0.6325</mn></mrow><mo>=</mo><mn>1.265</mn>`,
    ),
  );
  assert.equal(text(live(tr, "dnormalized")), "∂L∂x̂(0, 1, 0, 1)=2×0.5=1");
  assert.equal(text(live(tr, "dvariance")), "∂L∂σC=12=0.125");
  assert.equal(text(live(tr, "dmean")), "∂L∂μC=1=−1.5");
  assert.equal(text(live(tr, "dinput")), "∂L∂x(0, 1, 0, 1)=−0.4");
});

test("a 2-D gamma: the entry is labelled (i,j) and its gradient sums over the batch", () => {
  const tr = lnTrace();
  const sel = { group: 1, cell: 5 }; // (1, 0, 1) -> gamma[0][1]
  assert.equal(text(live(tr, "dbeta", sel)), "∂L∂β(0,1)=2+6=8");
  assert.equal(text(live(tr, "dgamma", sel)), "∂L∂γ(0,1)=2·(−0.5)+6·(−0.5)=−4");
});

test("long sums are elided: three terms, ⋯, the last", () => {
  const n = 12;
  const tr = {
    shape: [n],
    axes: ["D"],
    param_axes: null,
    grouping: { stat_shape: [], axis_map: [null], group_size: n },
    params: {},
    steps: [
      { id: "input", kind: "tensor", values: Array.from({ length: n }, (_, i) => i - 1) },
      { id: "mean", kind: "stat", values: 4.5, live: "\\mu = \\frac{[[sum:input]]}{[[m]]} = [[v]]" },
    ],
  };
  assert.equal(text(substituted(tr, 1, { group: 0, cell: 0 })), "μ=(−1)+0+1+⋯+1012=4.5");
});

test("RMSNorm: squares, mean square, rms, x / rms and γ x̂ (its own normalized and output templates)", () => {
  const tr = rmsTrace();
  const sel = { group: 0, cell: 1 }; // (0, 1): x = −2
  assert.equal(live(tr, "squares", sel), M(`<msubsup><mi>x</mi><mrow><mtext>(0, 1)</mtext></mrow><mrow><mn>2</mn></mrow></msubsup><mo>=</mo><msup><mrow><mo>(</mo>${neg("2")}<mo>)</mo></mrow><mrow><mn>2</mn></mrow></msup><mo>=</mo><mn>4</mn>`));
  assert.equal(text(live(tr, "mean_square", sel)), "msN=0=1+4+43=3");
  assert.equal(text(live(tr, "rms", sel)), "rmsN=0=3+0.25=1.803");
  assert.equal(text(live(tr, "normalized", sel)), "x̂(0, 1)=−21.803=−1.109");
  assert.equal(text(live(tr, "output", sel)), "y(0, 1)=2×(−1.109)=−2.219");
});

test("Dropout: mask with its word, dropped, output and its variants", () => {
  const tr = dropoutTrace();
  assert.equal(live(tr, "mask", { cell: 1 }), M('<msub><mi>m</mi><mrow><mtext>(0, 1)</mtext></mrow></msub><mo>=</mo><mn>0</mn><mspace width="0.2778em"></mspace><mo>(</mo><mtext>fig.dropped</mtext><mo>)</mo>'));
  assert.equal(text(live(tr, "mask", { cell: 0 })), "m(0, 0)=1(fig.kept)");
  assert.equal(text(live(tr, "dropped", { cell: 1 })), "x(0, 1)·m=−2×0=0");
  assert.equal(text(live(tr, "output", { cell: 2 })), "y(0, 2)=31−0.5=6");
  assert.equal(text(live(dropoutTrace("identity"), "output", { cell: 1 })), "y(0, 1)=x(0, 1)=−2");
  assert.equal(text(live(dropoutTrace("all_dropped"), "output", { cell: 1 })), "y(0, 1)=−2·0=0");
  assert.equal(text(live(dropoutTrace("alpha"), "output", { cell: 1 })), "y(0, 1)=0.8×(−1.758)+0.7=−0.7065");
  assert.equal(text(live(dropoutTrace("alpha"), "saturated", { cell: 1 })), "s(0, 1)=−1.758");
  assert.equal(text(live(tr, "grad_output", { cell: 4 })), "∂L∂y(1, 1)=1");
});

test("MinMax: min, max, range, shifted, the output and dshifted, in min_max.toml's notation", () => {
  const tr = minMaxTrace();
  const sel = { group: 1, cell: 4 }; // (1, 1): x = 2
  assert.equal(live(tr, "min", sel), M(`<msubsup><mi>x</mi><mrow><mtext>N=1</mtext></mrow><mrow><mi>min</mi></mrow></msubsup><mo>=</mo>${neg("2")}`));
  assert.equal(text(live(tr, "max", sel)), "xN=1max=2");
  assert.equal(text(live(tr, "range", sel)), "rN=1=xmax−xmin=2−(−2)=4");
  assert.equal(text(live(tr, "shifted", sel)), "x(1, 1)−xmin=2−(−2)=4");
  assert.equal(text(live(tr, "output", sel)), "y(1, 1)=44=1");
  assert.equal(text(live(tr, "dshifted", sel)), "∂L∂(x−xmin)(1, 1)=24=0.5");
  assert.equal(text(live(tr, "dmax", sel)), "∂L∂xN=1max=∂L∂r=−0.25");
});

test("InstanceNorm without momentum (frozen) and m = 1 (single): the buffer is kept", () => {
  const tr = inTrace();
  const s = tr.steps[idx(tr, "running_mean")];
  Object.assign(s, { variant: "frozen", values: [0, 0] }, wordsFor("instance_norm", "running_mean", "frozen"));
  assert.equal(text(live(tr, "running_mean", { group: 3, cell: 9 })), "μ1run←0=0");
  Object.assign(s, { id: "running_var", variant: "single", values: [1, 1] }, wordsFor("instance_norm", "running_var", "single"));
  assert.equal(text(substituted(tr, tr.steps.indexOf(s), { group: 3, cell: 9 })), "σ12,run←1=1");
});

test("summarized arrays: a statistic falls back to its brief template, a tensor step to nothing", () => {
  const tr = summarized(bnTrace());
  assert.equal(live(tr, "mean"), M("<msub><mi>μ</mi><mrow><mtext>C=1</mtext></mrow></msub><mo>=</mo><mn>1</mn>"));
  assert.equal(text(live(tr, "variance")), "σC=12=2.5");
  assert.equal(text(live(tr, "std")), "σC=12+ε=2.5+1e−5=1.581"); // needs only statistics: still live
  assert.equal(text(live(tr, "running_mean")), "μrun←(1−0.1)×(−1)+0.1×1=−0.8");
  assert.equal(live(tr, "normalized"), "");
  assert.equal(text(live(tr, "dbeta")), "∂L∂β1=3.5"); // the parameter gradients keep their value
  assert.equal(text(live(tr, "grouping")), "g(0, 1, 0, 1)=C=1;m=4"); // no array needed
});

test("a missing step, parameter or scalar is Missing too: brief, else nothing", () => {
  const tr = bnTrace();
  delete tr.parameters.gamma;
  assert.equal(live(tr, "scaled"), "");
  const noStd = bnTrace();
  noStd.steps = noStd.steps.filter((s) => s.id !== "std");
  assert.equal(live(noStd, "normalized"), "");
  const noF = bnTrace();
  noF.steps[idx(noF, "running_mean")].scalars = {};
  assert.equal(text(live(noF, "running_mean")), "μC=1run=−0.8");
});

test("no template, or an empty one: nothing; only a brief: the brief", () => {
  const tr = bnTrace();
  tr.steps[2].live = null;
  assert.equal(text(substituted(tr, 2, { group: 1, cell: 3 })), "μC=1=1");
  tr.steps[2].brief = "";
  assert.equal(substituted(tr, 2, { group: 1, cell: 3 }), "");
  assert.equal(substituted(tr, 99, {}), "");
});

test("the cell is moved into the selected group when it lies outside it", () => {
  assert.equal(text(live(bnTrace(), "input", { group: 0, cell: 3 })), "x(0, 0, 0, 0)=1");
  assert.equal(text(live(bnTrace(), "input", { group: 1 })), "x(0, 1, 0, 0)=3");
});

test("scalars: integers exactly, other numbers as fmt, words as text; unknown placeholders stay visible", () => {
  const tr = bnTrace();
  const s = tr.steps[0];
  s.scalars = { big: 1234567, sizes: "4 · 2 · 2", none: null, flag: true, list: [2, 3], neg: -3 };
  s.live = "[[s:big]], [[s:sizes]], [[s:none]], [[s:flag]], [[s:list]], 1 - [[s:neg]], [[arg:eps]], [[nope:x]]";
  assert.equal(
    substituted(tr, 0, { group: 0, cell: 0 }),
    M(`<mn>1234567</mn><mo>,</mo><mtext>4 · 2 · 2</mtext><mo>,</mo><mtext>None</mtext><mo>,</mo><mtext>True</mtext><mo>,</mo><mtext>[2, 3]</mtext><mo>,</mo><mn>1</mn><mo>−</mo>${wrapped(neg("3"))}<mo>,</mo><mn>1e−5</mn><mo>,</mo><mtext>[[nope:x]]</mtext>`),
  );
});

test("word: the i18n word for the cell's value, through t (the key without t)", () => {
  const tr = dropoutTrace();
  const i = idx(tr, "mask");
  assert.ok(substituted(tr, i, { cell: 0, t: (k) => `<${k}>` }).includes("<mtext>&lt;fig.kept&gt;</mtext>"));
  assert.ok(substituted(tr, i, { cell: 1 }).includes("<mtext>fig.dropped</mtext>"));
});

test("the result is the last number after '=' (what the browser test reads)", () => {
  const out = text(live(bnTrace(), "output"));
  assert.equal(Number(out.split("=").at(-1).replace("\u2212", "-")), -1.632);
});

test("Missing is exported for callers that render templates themselves", () => {
  assert.ok(new Missing() instanceof Error);
});
