// static/js/theme.js: the figures take the page's scheme. Each test file runs in a process of its own, so the
// system's preference can be set before the modules load (theme.js reads it once).
import { test } from "node:test";
import assert from "node:assert/strict";

// a system in dark, whose change of scheme the tests fire
const system = { listener: null };
globalThis.matchMedia = (query) => ({
  matches: query === "(prefers-color-scheme: dark)",
  addEventListener: (type, f) => type === "change" && (system.listener = f),
});
const { byScheme, isDark, onSchemeChange } = await import("../../static/js/theme.js");
const { AXIS_FONT, COLORS, DIVERGING, FONT, SEQUENTIAL, baseLayout, textOn } = await import("../../static/js/figures/common.js");
const { PALETTE } = await import("../../static/js/lab_figures.js");

/** WCAG's contrast ratio of two "#rrggbb" colours. */
function contrast(a, b) {
  const lum = (hex) => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
    const f = (c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

test("a system that asks for dark gets the dark colours", () => {
  assert.equal(isDark(), true);
  assert.deepEqual(byScheme({ v: "light" }, { v: "dark" }), { v: "dark" });
  assert.equal(baseLayout().font.color, COLORS.ink);
  assert.equal(baseLayout().hoverlabel.bgcolor, COLORS.panel);
});

test("text on the dark panels reads at 4.5:1 or more, as the page's own text", () => {
  for (const name of ["ink", "muted"]) assert.ok(contrast(COLORS[name], COLORS.panel) >= 4.5, name);
  for (const c of PALETTE) assert.ok(contrast(c, COLORS.panel) >= 3, `${c}: a line or bar on the panel`);
});

test("the scales' middle is the panel's dark, their ends the bright colours", () => {
  const mid = DIVERGING[2][1];
  assert.ok(contrast(mid, COLORS.panel) < 1.2, "0 fades into the panel");
  assert.ok(contrast(DIVERGING[0][1], mid) >= 3 && contrast(DIVERGING[4][1], mid) >= 3);
  assert.ok(contrast(SEQUENTIAL[0][1], COLORS.panel) < 1.2 && contrast(SEQUENTIAL[2][1], COLORS.panel) >= 7);
});

test("numbers printed on a cell stay dark on a light cell and white on a dark one, in either scheme", () => {
  assert.equal(textOn("#f27b45"), "#1d2330");
  assert.equal(textOn("#262a31"), "#ffffff");
});

test("a switch of the system's scheme swaps the colours in place and asks the page to redraw", () => {
  const held = { colors: COLORS, scale: DIVERGING, palette: PALETTE, font: FONT }; // as modules keep them
  const dark = { ink: COLORS.ink, mid: DIVERGING[2][1], palette: [...PALETTE], font: FONT.color, axis: AXIS_FONT.color };
  let redrawn = 0;
  onSchemeChange(() => redrawn++);
  system.listener({ matches: false });
  assert.equal(isDark(), false);
  assert.equal(redrawn, 1);
  assert.equal(held.colors.ink, "#1d2330");
  assert.equal(held.scale[2][1], "#f4f3ef");
  assert.equal(held.palette[0], "#2f6db5");
  assert.equal(held.font.color, "#1d2330");
  assert.notEqual(AXIS_FONT.color, dark.axis);
  system.listener({ matches: true });
  assert.deepEqual([COLORS.ink, DIVERGING[2][1], [...PALETTE], FONT.color, AXIS_FONT.color], Object.values(dark));
  assert.equal(redrawn, 2);
});
