// static/js/paper.js: while the page is laid out for print, a figure wider than its box is scaled to the box, and
// put back as drawn when the screen returns. The print query's listener is the one the page registers.
import { test } from "node:test";
import assert from "node:assert/strict";

const printing = { listener: null };
globalThis.matchMedia = (query) => ({
  matches: false,
  addEventListener: (type, f) => query === "print" && type === "change" && (printing.listener = f),
});
const { fitFigures } = await import("../../static/js/paper.js");

/** A page of Plotly figures: [box width, drawn width] each (a figure not drawn yet has no svg-container). */
function page(sizes) {
  const figures = sizes.map(([room, width]) => {
    const drawn = width === null ? null : { offsetWidth: width, style: { zoom: "" } };
    return { clientWidth: room, querySelector: (s) => (s === ".svg-container" ? drawn : null), drawn };
  });
  return { figures, querySelectorAll: (s) => (s === ".js-plotly-plot" ? figures : []) };
}

test("a figure wider than its box is scaled to it, the others stay as drawn", () => {
  const doc = page([[700, 900], [700, 640], [700, 700], [0, 900], [700, null]]);
  fitFigures(doc, true);
  assert.deepEqual(doc.figures.map((f) => f.drawn?.style.zoom), [String(700 / 900), "", "", "", undefined]);
  fitFigures(doc, false);
  assert.deepEqual(doc.figures.map((f) => f.drawn?.style.zoom), ["", "", "", "", undefined]);
});

test("the page's print query drives it: scaled while printing, as drawn after", () => {
  const doc = page([[600, 800]]);
  globalThis.document = doc;
  try {
    printing.listener({ matches: true });
    assert.equal(doc.figures[0].drawn.style.zoom, "0.75");
    printing.listener({ matches: false });
    assert.equal(doc.figures[0].drawn.style.zoom, "");
  } finally {
    delete globalThis.document;
  }
});
