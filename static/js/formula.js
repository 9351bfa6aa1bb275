// The live numbers of a step, substituted into its formula as MathML, for the selected group and cell:
// "μ = (0.5 + 1.2 + ⋯ + (−0.3)) / 8 = 0.73". The formula is the step's `live` template from the lesson files
// (LaTeX with [[...]] placeholders, rendered by latex.js); this module only knows how to read each placeholder's
// number out of the trace. Every operand and every result is a value from the trace (nothing is recomputed
// here), so what the page prints is what the API returned.

import { fmt } from "./format.js";
import { latexToMathML, mn, mo, mrow, mtext } from "./latex.js";
import { flat, groupCount, groupIds, groupLabel, indexText, members, paramIndex, paramMembers, paramShape, size, stepById, unravel } from "./tensor.js";

/** Thrown by a placeholder whose array is not in the trace (large tensors are summarized: values null). */
export class Missing extends Error {}

const paren = (a) => mrow(mo("("), a, mo(")"));
const sq = (a) => `<msup>${a}${mrow(mn("2"))}</msup>`;

/** A number as the page prints it (fmt); negative ones in parentheses when `wrap` (after an operator). */
export function num(v, wrap = false) {
  const s = fmt(v);
  const n = s.startsWith("\u2212") ? mrow(mo("\u2212"), mn(s.slice(1))) : mn(s);
  return wrap && v < 0 ? paren(n) : n;
}

/** term(v0) + term(v1) + … + term(vn): the first three and the last, the middle elided. */
export function elided(items, term) {
  const n = items.length;
  const show = n <= 5 ? items : [...items.slice(0, 3), null, items[n - 1]];
  return show.map((v, k) => (k ? mo("+") : "") + (v === null ? mo("\u22ef") : term(v))).join("");
}

/** A scalar argument or step scalar: integers exactly, other numbers as fmt, words as text. */
function scalar(v, wrap) {
  if (v === undefined) throw new Missing();
  if (typeof v === "number") {
    if (Number.isInteger(v) && Math.abs(v) < 1e15) {
      const n = v < 0 ? mrow(mo("\u2212"), mn(String(-v))) : mn(String(v));
      return wrap && v < 0 ? paren(n) : n;
    }
    return num(v, wrap);
  }
  if (v === null) return mtext("None");
  if (typeof v === "boolean") return mtext(v ? "True" : "False");
  if (Array.isArray(v)) return mtext(`[${v.join(", ")}]`);
  return mtext(String(v));
}

const need = (a) => {
  if (a === null || a === undefined) throw new Missing();
  return a;
};

/** The array's entry at index i, or Missing when it is not there. */
const entry = (a, i) => {
  if (i === null || i === undefined || i < 0 || i >= a.length) throw new Missing();
  return a[i];
};

/** The selection the numbers are about: the group g (null without grouping), a cell inside it, its parameter
 *  entry; the group's cells are found only when a sum needs them. */
function selection(trace, { group, cell } = {}) {
  const ids = groupIds(trace);
  const g = ids ? group ?? 0 : null;
  let c = cell ?? 0;
  if (ids && ids[c] !== g) c = members(trace, g)[0] ?? 0;
  let cells = null;
  return {
    g,
    cell: c,
    j: paramIndex(trace, c),
    cells: () => (cells ??= g === null ? Array.from({ length: size(trace.shape) }, (_, i) => i) : members(trace, g)),
  };
}

/** Index of the selection in a per-group array: the group; an array with one value per parameter entry
 *  (InstanceNorm's running buffers: per channel, while groups are per sample and channel) uses the entry. */
function groupIndex(trace, a, sel) {
  if (sel.g !== null && a.length === groupCount(trace)) return sel.g;
  const ps = paramShape(trace);
  if (sel.j !== null && ps && a.length === size(ps)) return sel.j;
  return a.length === 1 ? 0 : sel.g;
}

/** A step's value at the selection, by the step's kind: tensor -> the cell, stat -> the group, param -> the
 *  parameter entry, scalar -> its only value. */
function valueOf(trace, step, sel) {
  if (!step) throw new Missing();
  const a = need(flat(step.values));
  if (step.kind === "stat") return entry(a, groupIndex(trace, a, sel));
  if (step.kind === "param") return entry(a, sel.j);
  if (step.kind === "scalar") return entry(a, 0);
  return entry(a, sel.cell);
}

const stepValues = (trace, id) => need(flat(need(stepById(trace, id)).values));

/** The fill callback of latex.js for one step and selection: placeholder -> MathML (see DESIGN.md). */
function filler(trace, step, sel, t) {
  const handlers = {
    at: () => mtext(indexText(sel.cell, trace.shape)),
    g: () => mtext(groupLabel(trace, need(sel.g))),
    m: () => mn(String(trace.grouping?.group_size ?? need(sel.g === null ? null : sel.cells()).length)),
    j: () => {
      const ps = need(paramShape(trace));
      const j = need(sel.j);
      return ps.length > 1 ? mtext(`(${unravel(j, ps).join(",")})`) : mn(String(j));
    },
    v: ([id], { wrap }) => num(valueOf(trace, id === undefined ? step : stepById(trace, id), sel), wrap),
    sum: ([id], { wrap }) => {
      const a = stepValues(trace, id);
      const body = elided(sel.cells(), (i) => num(entry(a, i), true));
      return wrap ? paren(body) : body;
    },
    sumsq: ([id], { wrap }) => {
      const a = stepValues(trace, id);
      const body = elided(sel.cells(), (i) => sq(paren(num(entry(a, i)))));
      return wrap ? paren(body) : body;
    },
    psum: ([id], { wrap }) => {
      const a = stepValues(trace, id);
      const body = elided(paramMembers(trace, need(sel.j)), (i) => num(entry(a, i), true));
      return wrap ? paren(body) : body;
    },
    psumdot: ([id, id2], { wrap }) => {
      const a = stepValues(trace, id);
      const b = stepValues(trace, id2);
      const body = elided(paramMembers(trace, need(sel.j)), (i) => mrow(num(entry(a, i), true), mo("\u00b7"), num(entry(b, i), true)));
      return wrap ? paren(body) : body;
    },
    param: ([name], { wrap }) => num(entry(need(flat(trace.parameters?.[name])), sel.j), wrap),
    buf: ([name], { wrap }) => {
      const a = need(flat(trace.parameters?.[name]));
      return num(entry(a, groupIndex(trace, a, sel)), wrap);
    },
    stat: ([name], { wrap }) => {
      const a = need(flat(trace.stats?.[name]));
      return num(entry(a, groupIndex(trace, a, sel)), wrap);
    },
    arg: ([name], { wrap }) => scalar(trace.params?.[name], wrap),
    s: ([name], { wrap }) => scalar(step.scalars?.[name], wrap),
    word: ([yes, no]) => {
      const key = `fig.${valueOf(trace, step, sel) !== 0 ? yes : no}`;
      return mtext(t ? t(key) : key);
    },
  };
  return (name, args, ctx = {}) => {
    const h = Object.hasOwn(handlers, name) ? handlers[name] : null;
    if (!h) return mtext(`[[${[name, ...args].join(":")}]]`); // a template typo stays visible
    return h(args, ctx);
  };
}

/** MathML for step `stepIndex` with the selected group's and cell's numbers, or "" when the step has no
 *  template. When an array the `live` template needs was summarized, the step's `brief` template is used
 *  instead (a statistic alone), and "" when that cannot be filled either. opts: {group, cell, t (i18n)}. */
export function substituted(trace, stepIndex, opts = {}) {
  const step = trace?.steps?.[stepIndex];
  if (!step) return "";
  const sel = selection(trace, opts);
  const fill = filler(trace, step, sel, opts.t);
  for (const template of [step.live, step.brief]) {
    if (!template) continue;
    try {
      return latexToMathML(template, fill);
    } catch (err) {
      if (!(err instanceof Missing)) throw err;
    }
  }
  return "";
}
