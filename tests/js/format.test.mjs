import assert from "node:assert/strict";
import { test } from "node:test";

import { exact, fmt, fmtCell, grouped, parseFloatList, parseIntList, shapeText } from "../../static/js/format.js";

test("fmt: 4 significant digits, trailing zeros dropped, U+2212 for minus", () => {
  assert.equal(fmt(0.73126), "0.7313");
  assert.equal(fmt(-0.5), "\u22120.5");
  assert.equal(fmt(2), "2");
  assert.equal(fmt(0), "0");
  assert.equal(fmt(1234.5678), "1235");
  assert.equal(fmt(2.5495, 3), "2.55");
});

test("fmt: exponents for tiny and huge values, every minus sign replaced", () => {
  assert.equal(fmt(1e-5), "1e\u22125");
  assert.equal(fmt(123456), "1.23e5"); // digits - 2 decimals in exponent form
  // from 1,000 to 100,000: never an exponent, and numbers as short as the ones people type shown whole
  assert.equal(fmt(10000.1), "10000.1");
  assert.equal(fmt(-9999.8), "\u22129999.8");
  assert.equal(fmt(10000.025390625), "10000"); // float32's mean of data near 10,000: the integer digits
  assert.equal(fmt(99999.96), "99999.96");
  assert.equal(fmt(12345.678901), "12346");
  assert.equal(fmt(-1.11e-16), "\u22121.11e\u221216");
});

test("fmt: missing and infinite values", () => {
  assert.equal(fmt(null), "–");
  assert.equal(fmt(undefined), "–");
  assert.equal(fmt(NaN), "–");
  assert.equal(fmt(Infinity), "∞");
  assert.equal(fmt(-Infinity), "\u2212∞");
});

test("fmtCell: at most 5 characters", () => {
  assert.equal(fmtCell(-0.0312), "\u22120.03");
  assert.equal(fmtCell(2.6), "2.6");
  // tiny values: fmt at one significant digit, the same number the formula shows at four
  assert.equal(fmtCell(0.001), "0.001");
  assert.equal(fmtCell(0.00123), "0.001");
  assert.equal(fmt(0.00123), "0.00123");
  assert.equal(fmtCell(-0.0041), "\u22120.004");
  assert.equal(fmtCell(1.23e-5), "1e\u22125");
  assert.equal(fmtCell(-1.11e-16), "\u22121e\u221216");
  assert.equal(fmtCell(0), "0");
  assert.equal(fmtCell(42.25), "42.3"); // one decimal from 10 on (toFixed rounds 42.25 up)
  assert.equal(fmtCell(123.4), "123");
  assert.equal(fmtCell(null), "");
});

test("exact and shapeText", () => {
  assert.equal(exact(0.1 + 0.2), "0.30000000000000004");
  assert.equal(exact(null), "");
  assert.equal(shapeText([2, 3, 4]), "2 × 3 × 4");
  assert.equal(shapeText([]), "scalar");
});

test("parseIntList and parseFloatList", () => {
  assert.deepEqual(parseIntList("[2, 3, 4]"), [2, 3, 4]);
  assert.deepEqual(parseIntList("2x3 × 4"), [2, 3, 4]);
  assert.equal(parseIntList("  "), null);
  assert.throws(() => parseIntList("2, 3.5"));
  assert.deepEqual(parseFloatList("0.5, 1, -2"), [0.5, 1, -2]);
  assert.throws(() => parseFloatList("1, x"));
});

test("grouped: thousands separated by commas, without Intl", () => {
  assert.deepEqual([0, 7, 999, 1000, 16384, 4194304, 1234567890].map(grouped), ["0", "7", "999", "1,000", "16,384", "4,194,304", "1,234,567,890"]);
});
