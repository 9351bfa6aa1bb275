// Number formatting for cells, formulas and tables. Display only: the full value is always kept beside it
// (data-value attributes, hover text), so rounding here never changes what the page claims.

const MINUS = "\u2212";

/** A short, readable rendering: 4 significant digits, trailing zeros dropped, exponent for tiny/huge values.
 *  fmt(0.73126) -> "0.7313", fmt(-0.5) -> "−0.5", fmt(1e-5) -> "1e−5". From 1,000 on, never fewer digits than
 *  the integer part has, and a short number (at most 7 significant digits) as written: fmt(10000.1) is
 *  "10000.1", not "1e4", so x − μ on data near 10,000 reads 10000.1 − 10000 = 0.075. */
export function fmt(v, digits = 4) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : MINUS + "∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  let s;
  if (a >= 1e3 && a < 1e5 && String(a).replace(".", "").replace(/0+$/, "").length <= 7) {
    s = String(v);
  } else if (a >= 1e-3 && a < 1e5) {
    s = v.toPrecision(Math.max(digits, Math.floor(Math.log10(a)) + 1));
    if (s.includes("e")) s = s.replace(/\.?0+e/, "e").replace("e+", "e");
    else if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  } else {
    s = v.toExponential(Math.max(0, digits - 2)).replace(/\.?0+e/, "e").replace("e+", "e");
  }
  return s.replace(/-/g, MINUS); // both signs of "-1.11e-16"
}

/** Compact text for a heatmap cell, about 5 characters: 2 decimals below 10 ("−0.03", "2.6"), fewer above; a
 *  tiny non-zero value is fmt's own rendering at one significant digit ("0.001" where the formula says 0.00123,
 *  "1e−5"), never a "≈0" that the formula beside it contradicts. The hover text and the table carry the full value. */
export function fmtCell(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "";
  const a = Math.abs(v);
  if (v === 0) return "0";
  if (a < 0.005) return fmt(v, 1);
  if (a >= 1e5) return fmt(v, 2);
  const s = v.toFixed(a < 10 ? 2 : a < 100 ? 1 : 0);
  return (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s).replace(/-/g, MINUS);
}

/** The exact value as JavaScript prints a double (shortest round-trip form); used for data-value. */
export const exact = (v) => (v === null || v === undefined ? "" : String(v));

/** 1234567 -> "1,234,567", the grouping of both page languages. (Not toLocaleString: its first call sets up
 * ICU's number formatting, 35-55 ms on the way to the first figure.) */
export const grouped = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** "[2, 3, 4, 4]" -> "2 × 3 × 4 × 4". */
export const shapeText = (shape) => (shape && shape.length ? shape.join(" × ") : "scalar");

/** "1, 2, 3" or "[1,2,3]" -> [1, 2, 3]; null when empty; throws on anything else. */
export function parseIntList(text) {
  const t = String(text || "").replace(/[[\]()]/g, " ").trim();
  if (!t) return null;
  const parts = t.split(/[\s,×x*]+/).filter(Boolean);
  const out = parts.map((p) => Number(p));
  if (out.some((n) => !Number.isInteger(n))) throw new Error(text);
  return out;
}

/** "0.5, 1, -2" -> [0.5, 1, -2]; null when empty; throws on anything else. */
export function parseFloatList(text) {
  const t = String(text || "").replace(/[[\]()]/g, " ").trim();
  if (!t) return null;
  const out = t.split(/[\s,]+/).filter(Boolean).map((p) => Number(p));
  if (out.some((n) => !Number.isFinite(n))) throw new Error(text);
  return out;
}
