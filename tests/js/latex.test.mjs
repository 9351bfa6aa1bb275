import assert from "node:assert/strict";
import { test } from "node:test";

import { latexToMathML } from "../../static/js/latex.js";

const M = (body) => `<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"><mrow>${body}</mrow></math>`;
const render = (src, fill) => latexToMathML(src, fill);
/** A fill that shows what it was asked: <X>name|arg1|arg2|wrap</X>. */
const probe = (name, args, ctx) => `<X>${[name, ...args, ctx.wrap].join("|")}</X>`;

test("a subscript and a number, as a whole <math> element", () => {
  assert.equal(render("x_{1} = 2"), M("<msub><mi>x</mi><mrow><mn>1</mn></mrow></msub><mo>=</mo><mn>2</mn>"));
});

test("letters are one <mi> each, digits one <mn> with their decimals, minus is U+2212", () => {
  assert.equal(render("ab - 1.25"), M("<mi>a</mi><mi>b</mi><mo>\u2212</mo><mn>1.25</mn>"));
});

test("\\frac, \\sqrt and \\sqrt[n]", () => {
  assert.equal(render("\\frac{a}{2}"), M("<mfrac><mrow><mi>a</mi></mrow><mrow><mn>2</mn></mrow></mfrac>"));
  assert.equal(render("\\sqrt{a + 1}"), M("<msqrt><mrow><mi>a</mi><mo>+</mo><mn>1</mn></mrow></msqrt>"));
  assert.equal(render("\\sqrt[3]{a}"), M("<mroot><mrow><mi>a</mi></mrow><mrow><mn>3</mn></mrow></mroot>"));
  assert.equal(render("\\frac12"), M("<mfrac><mrow><mn>12</mn></mrow><mrow></mrow></mfrac>"));
});

test("sub- and superscripts together make <msubsup>, in either order", () => {
  const both = "<msubsup><mi>σ</mi><mrow><mi>c</mi></mrow><mrow><mn>2</mn></mrow></msubsup>";
  assert.equal(render("\\sigma^{2}_{c}"), M(both));
  assert.equal(render("\\sigma_{c}^{2}"), M(both));
  assert.equal(render("x^2"), M("<msup><mi>x</mi><mrow><mn>2</mn></mrow></msup>"));
});

test("\\hat on one letter is a combining mark (as the page always showed x̂); on more, an <mover>", () => {
  assert.equal(render("\\hat{x}"), M("<mi>x\u0302</mi>"));
  assert.equal(render("\\hat x"), M("<mi>x\u0302</mi>"));
  assert.equal(render("\\hat{xy}"), M('<mover accent="true"><mrow><mi>x</mi><mi>y</mi></mrow><mo>^</mo></mover>'));
});

test("Greek letters, operators and spaces", () => {
  assert.equal(render("\\mu \\sigma \\gamma \\beta \\epsilon \\partial"), M("<mi>μ</mi><mi>σ</mi><mi>γ</mi><mi>β</mi><mi>ε</mi><mi>∂</mi>"));
  assert.equal(render("\\cdot\\times\\leftarrow\\cdots"), M("<mo>·</mo><mo>×</mo><mo>←</mo><mo>⋯</mo>"));
  assert.equal(render("a\\,b\\quad c"), M('<mi>a</mi><mspace width="0.1667em"></mspace><mi>b</mi><mspace width="1em"></mspace><mi>c</mi>'));
  assert.equal(render("( , ; / = )"), M("<mo>(</mo><mo>,</mo><mo>;</mo><mo>/</mo><mo>=</mo><mo>)</mo>"));
  assert.equal(render("\\Sigma"), M('<mi mathvariant="normal">Σ</mi>'));
});

test("\\text keeps its words (escapes undone, markup escaped); \\mathrm is upright", () => {
  assert.equal(render("\\text{running\\_mean}"), M("<mtext>running_mean</mtext>"));
  assert.equal(render('\\text{a<b & "c"}'), M("<mtext>a&lt;b &amp; &quot;c&quot;</mtext>"));
  assert.equal(render("\\mu^{\\text{run}}"), M("<msup><mi>μ</mi><mrow><mtext>run</mtext></mrow></msup>"));
  assert.equal(render("\\mathrm{ms}_{1}"), M('<msub><mi mathvariant="normal">ms</mi><mrow><mn>1</mn></mrow></msub>'));
  assert.equal(render("\\text{a {b} c}"), M("<mtext>a {b} c</mtext>"));
});

test("operators that are markup characters are escaped", () => {
  assert.equal(render("a < b > c & d"), M("<mi>a</mi><mo>&lt;</mo><mi>b</mi><mo>&gt;</mo><mi>c</mi><mo>&amp;</mo><mi>d</mi>"));
});

test("an unknown command renders as text, and so do stray braces", () => {
  assert.equal(render("\\foo{x}"), M("<mtext>\\foo</mtext><mrow><mi>x</mi></mrow>"));
  assert.equal(render("a}"), M("<mi>a</mi><mo>}</mo>"));
});

test("placeholders: name and arguments reach fill; its MathML goes in unchanged", () => {
  assert.equal(render("[[v:centered]]", probe), M("<X>v|centered|false</X>"));
  assert.equal(render("[[psumdot:grad_output:normalized]]", probe), M("<X>psumdot|grad_output|normalized|false</X>"));
  assert.equal(render("\\mu_{[[g]]}", () => "<mtext>C=1</mtext>"), M("<msub><mi>μ</mi><mrow><mtext>C=1</mtext></mrow></msub>"));
});

test("wrap: true after an operator or an operand, false at the start, after = ( , and inside a fraction", () => {
  const flags = (src) => [...render(src, probe).matchAll(/\|(true|false)<\/X>/g)].map((m) => m[1] === "true");
  assert.deepEqual(flags("[[a]] - [[b]] = [[c]]"), [false, true, false]);
  assert.deepEqual(flags("([[a]]) \\times [[b]] \\cdot [[c]] + [[d]]"), [false, true, true, true]);
  assert.deepEqual(flags("\\frac{[[a]]}{[[b]]} , [[c]] ; [[d]]"), [false, false, false, false]);
  assert.deepEqual(flags("2 [[a]]"), [true]); // an implicit product
  assert.deepEqual(flags("= \\, [[a]]"), [false]); // spaces do not count
  assert.deepEqual(flags("x \\leftarrow [[a]]"), [false]);
});

test("a placeholder used as a script base is wrapped in one <mrow>", () => {
  const fill = () => "<mo>−</mo><mn>2</mn>";
  assert.equal(render("[[v]]^{2}", fill), M("<msup><mrow><mo>−</mo><mn>2</mn></mrow><mrow><mn>2</mn></mrow></msup>"));
});

test("placeholders inside \\text are filled too", () => {
  assert.equal(render("\\text{(}[[w]]\\text{ kept)}", () => "<mtext>W</mtext>"), M("<mtext>(</mtext><mtext>W</mtext><mtext> kept)</mtext>"));
  assert.equal(render("\\text{a [[w]] b}", () => "<mtext>W</mtext>"), M("<mtext>a </mtext><mtext>W</mtext><mtext> b</mtext>"));
});

test("fill returning null or undefined leaves nothing", () => {
  assert.equal(render("a[[x]]b", () => null), M("<mi>a</mi><mi>b</mi>"));
});

test("an exception from fill (formula.js's Missing) leaves latexToMathML", () => {
  class Missing extends Error {}
  assert.throws(() => render("x = [[v]]", () => {
    throw new Missing();
  }), Missing);
});

test("odd input never throws and always gives balanced markup", () => {
  const odd = ["", null, undefined, 42, "\\", "{", "}", "{{", "}}", "^", "_", "x^", "x_", "^^_", "\\frac", "\\frac{", "\\sqrt[", "\\sqrt[2",
    "[[", "[[a", "]]", "[[]]", "\\text", "\\text{", "\\text{a", "\\hat", "\\hat{", "\\left(", "\\right.", "a'", "~", "\\\\", "\\{\\}",
    "é ß 中", "\u0000", "$x$", "%", "#&", "\\mathrm{", "x_{[[g]]", "\\frac{[[a]]", "\\sqrt[[[a]]]{b}"];
  for (const src of odd) {
    const out = render(src, probe);
    assert.ok(out.startsWith("<math ") && out.endsWith("</math>"), String(src));
    const opens = [...out.matchAll(/<(m\w+)[ >]/g)].map((m) => m[1]).filter((n) => n !== "mspace");
    const closes = [...out.matchAll(/<\/(m\w+)>/g)].map((m) => m[1]).filter((n) => n !== "mspace");
    assert.deepEqual(opens.sort(), closes.sort(), String(src));
  }
});

test("an unclosed [[ is shown as brackets", () => {
  assert.equal(render("[[a"), M("<mo>[</mo><mo>[</mo><mi>a</mi>"));
});
