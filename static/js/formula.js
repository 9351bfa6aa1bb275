// The live numbers of a step, substituted into its formula as MathML, for the selected group and cell:
// "μ = (0.5 + 1.2 + … + −0.3) / 8 = 0.73". Every operand and every result is a value from the trace (nothing is
// recomputed here), so what the page prints is what the API returned.

import { fmt } from "./format.js";
import { flat, groupLabel, indexText, members, paramIndex, paramMembers, paramShape, stepById, unravel } from "./tensor.js";

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const mi = (s) => `<mi>${esc(s)}</mi>`;
const mo = (s) => `<mo>${esc(s)}</mo>`;
const mtext = (s) => `<mtext>${esc(s)}</mtext>`;
const row = (...xs) => `<mrow>${xs.join("")}</mrow>`;
const frac = (a, b) => `<mfrac>${row(a)}${row(b)}</mfrac>`;
const sqrt = (a) => `<msqrt>${a}</msqrt>`;
const sub = (a, b) => `<msub>${a}${row(b)}</msub>`;
const sup = (a, b) => `<msup>${a}${row(b)}</msup>`;
const paren = (a) => row(mo("("), a, mo(")"));
const mspace = '<mspace width="1em"></mspace>';
const math = (body) => `<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">${row(body)}</math>`;

/** A number; negative ones in parentheses when they follow an operator. */
function num(v, wrap = false) {
  const s = fmt(v);
  const n = s.startsWith("\u2212") ? row(mo("\u2212"), `<mn>${esc(s.slice(1))}</mn>`) : `<mn>${esc(s)}</mn>`;
  return wrap && v < 0 ? paren(n) : n;
}

/** term(v0) + term(v1) + … + term(vn): the first three and the last, the middle elided. */
function sum(values, term = (v) => num(v, true)) {
  const n = values.length;
  const show = n <= 5 ? values : [...values.slice(0, 3), null, values[n - 1]];
  return show.map((v, k) => (k ? mo("+") : "") + (v === null ? mo("\u22ef") : term(v))).join("");
}

const valueAt = (trace, id, i) => {
  const step = stepById(trace, id);
  if (!step) return undefined;
  return need(flat(step.values))[i];
};
const paramAt = (trace, key, j) => {
  const a = flat(trace.parameters?.[key]);
  return a && j !== null && j !== undefined ? a[j] : undefined;
};

const G = (trace, g) => mtext(groupLabel(trace, g));

class Missing extends Error {}

const SYMBOLS = {
  mean: mi("\u03bc"),
  variance: sup(mi("\u03c3"), "<mn>2</mn>"),
  std: mi("\u03c3"),
  mean_square: mtext("ms"),
  rms: mtext("rms"),
  running_mean: sup(mi("\u03bc"), mtext("run")),
  running_var: sup(mi("\u03c3"), row("<mn>2</mn>", mtext(",run"))),
  dvariance: mtext("\u2202L/\u2202\u03c3\u00b2"),
  dmean: mtext("\u2202L/\u2202\u03bc"),
};

/** The flat values of an array the formula needs; a summarized one (large tensors) stops the substitution. */
function need(a) {
  if (a === null || a === undefined) throw new Missing();
  return a;
}

/** MathML for the current step with the selected group's numbers, or "" when nothing applies. For a large
 *  tensor whose arrays were summarized, only the statistic itself is shown. */
export function substituted(trace, stepIndex, opts) {
  try {
    return build(trace, stepIndex, opts);
  } catch (err) {
    if (!(err instanceof Missing)) throw err;
    const step = trace.steps[stepIndex];
    const v = flat(step.values);
    const g = opts.group ?? 0;
    if (!v || step.kind !== "stat" || g >= v.length) return "";
    return math(row(sub(SYMBOLS[step.id] || mtext(step.id), G(trace, g)), mo("="), num(v[g])));
  }
}

function build(trace, stepIndex, { group, cell, t }) {
  const step = trace.steps[stepIndex];
  const id = step.id;
  const v = flat(step.values);
  if (!v) return "";
  const x = need(flat(trace.steps[0].values));
  const g = trace.grouping ? group ?? 0 : null;
  const cells = g === null ? [] : members(trace, g);
  if (g !== null && !cells.includes(cell)) cell = cells[0];
  cell = cell ?? 0;
  const at = mtext(indexText(cell, trace.shape));
  const m = cells.length;
  const result = (val) => row(mo("="), num(val));
  const running = trace.params && trace.params.training === false && trace.params.track_running_stats === true;
  const r = (body) => math(body);
  const dL = (of) => frac(mi("\u2202L"), row(mi("\u2202"), of));

  switch (id) {
    case "input":
      return r(row(sub(mi("x"), at), result(x[cell])));
    case "grouping":
      return r(row(mi("g"), at, mo("="), G(trace, g), mo(";"), mspace, mi("m"), mo("="), `<mn>${m}</mn>`));
    case "mean":
      if (running) return r(row(sub(mi("\u03bc"), G(trace, g)), mo("="), sup(mi("\u03bc"), mtext("run")), result(v[g])));
      return r(row(sub(mi("\u03bc"), G(trace, g)), mo("="), frac(sum(cells.map((i) => x[i])), `<mn>${m}</mn>`), result(v[g])));
    case "centered": {
      const mu = need(flat(stepById(trace, "mean")?.values))[g];
      return r(row(sub(mi("x"), at), mo("\u2212"), mi("\u03bc"), mo("="), num(x[cell]), mo("\u2212"), num(mu, true), result(v[cell])));
    }
    case "variance": {
      if (running) return r(row(sub(sup(mi("\u03c3"), "<mn>2</mn>"), G(trace, g)), mo("="), sup(mi("\u03c3"), row("<mn>2</mn>", mtext(",run"))), result(v[g])));
      const c = need(flat(stepById(trace, "centered")?.values));
      const sq = (val) => sup(paren(num(val)), "<mn>2</mn>");
      return r(row(sub(sup(mi("\u03c3"), "<mn>2</mn>"), G(trace, g)), mo("="), frac(sum(cells.map((i) => c[i]), sq), `<mn>${m}</mn>`), result(v[g])));
    }
    case "std": {
      const s2 = need(flat(stepById(trace, "variance")?.values))[g];
      const eps = trace.params?.eps;
      return r(row(sub(mi("\u03c3"), G(trace, g)), mo("="), sqrt(row(num(s2), mo("+"), num(eps))), result(v[g])));
    }
    case "normalized": {
      if (trace.layer === "rms_norm") {
        const rms = need(flat(stepById(trace, "rms")?.values))[g];
        return r(row(sub(mi("x\u0302"), at), mo("="), frac(num(x[cell]), num(rms)), result(v[cell])));
      }
      const c = valueAt(trace, "centered", cell);
      const sd = need(flat(stepById(trace, "std")?.values))[g];
      return r(row(sub(mi("x\u0302"), at), mo("="), frac(num(c), num(sd)), result(v[cell])));
    }
    case "scaled": {
      const gm = paramAt(trace, "gamma", paramIndex(trace, cell));
      return r(row(mi("\u03b3"), mi("x\u0302"), mo("="), num(gm), mo("\u00d7"), num(valueAt(trace, "normalized", cell), true), result(v[cell])));
    }
    case "output":
      return outputFormula(trace, cell, v, at, result, r);
    case "running_mean":
    case "running_var":
      return runningFormula(trace, id, g, v, m, result, r);
    case "squares":
      return r(row(sup(sub(mi("x"), at), "<mn>2</mn>"), mo("="), sup(paren(num(x[cell])), "<mn>2</mn>"), result(v[cell])));
    case "mean_square": {
      const sqv = need(flat(stepById(trace, "squares")?.values));
      return r(row(sub(mtext("ms"), G(trace, g)), mo("="), frac(sum(cells.map((i) => sqv[i])), `<mn>${m}</mn>`), result(v[g])));
    }
    case "rms": {
      const ms = need(flat(stepById(trace, "mean_square")?.values))[g];
      return r(row(sub(mtext("rms"), G(trace, g)), mo("="), sqrt(row(num(ms), mo("+"), num(trace.params?.eps))), result(v[g])));
    }
    case "mask":
      return r(row(sub(mi("m"), at), result(v[cell]), mtext(` (${t(v[cell] ? "fig.kept" : "fig.dropped")})`)));
    case "dropped":
      return r(row(sub(mi("x"), at), mo("\u00b7"), mi("m"), mo("="), num(x[cell]), mo("\u00d7"), num(valueAt(trace, "mask", cell)), result(v[cell])));
    case "grad_output":
      return r(row(dL(sub(mi("y"), at)), result(v[cell])));
    case "dbeta":
    case "dgamma": {
      const j = paramIndex(trace, cell);
      if (j === null) return "";
      const dy = need(flat(stepById(trace, "grad_output")?.values));
      const xh = need(flat(stepById(trace, "normalized")?.values));
      const feed = paramMembers(trace, j);
      const term = id === "dbeta" ? (i) => num(dy[i], true) : (i) => row(num(dy[i], true), mo("\u00b7"), num(xh[i], true));
      const terms = feed.length <= 5 ? feed.map(term) : [...feed.slice(0, 3).map(term), null, term(feed[feed.length - 1])];
      const body = terms.map((tm, k) => (k ? mo("+") : "") + (tm === null ? mo("\u22ef") : tm)).join("");
      const ps = paramShape(trace) || [v.length];
      const label = ps.length > 1 ? mtext(`(${unravel(j, ps).join(",")})`) : `<mn>${j}</mn>`;
      return r(row(dL(sub(mi(id === "dbeta" ? "\u03b2" : "\u03b3"), label)), mo("="), body, result(v[j])));
    }
    case "dnormalized": {
      const gm = paramAt(trace, "gamma", paramIndex(trace, cell));
      return r(row(dL(sub(mi("x\u0302"), at)), mo("="), num(valueAt(trace, "grad_output", cell)), mo("\u00d7"), num(gm, true), result(v[cell])));
    }
    case "dvariance":
      return r(row(dL(sub(sup(mi("\u03c3"), "<mn>2</mn>"), G(trace, g))), result(v[g])));
    case "dmean":
      return r(row(dL(sub(mi("\u03bc"), G(trace, g))), result(v[g])));
    case "dinput":
      return r(row(dL(sub(mi("x"), at)), result(v[cell])));
    case "saturated":
      return r(row(sub(mi("s"), at), result(v[cell])));
    default:
      return step.kind === "tensor" ? r(row(sub(mi(id), at), result(v[cell]))) : g !== null ? r(row(sub(mi(id), G(trace, g)), result(v[g]))) : "";
  }
}

function outputFormula(trace, cell, v, at, result, r) {
  if (trace.layer === "dropout") {
    const p = Number(trace.params?.p);
    const dropped = valueAt(trace, "dropped", cell);
    if (trace.params?.training === false || dropped === undefined) {
      return r(row(sub(mi("y"), at), mo("="), sub(mi("x"), at), result(v[cell])));
    }
    return r(row(sub(mi("y"), at), mo("="), frac(num(dropped), row(`<mn>1</mn>`, mo("\u2212"), num(p))), result(v[cell])));
  }
  if (trace.layer === "rms_norm") {
    const gm = paramAt(trace, "gamma", paramIndex(trace, cell));
    return r(row(sub(mi("y"), at), mo("="), num(gm), mo("\u00d7"), num(valueAt(trace, "normalized", cell), true), result(v[cell])));
  }
  const j = paramIndex(trace, cell);
  const b = paramAt(trace, "beta", j);
  const scaled = valueAt(trace, "scaled", cell);
  const left = scaled !== undefined ? num(scaled) : num(valueAt(trace, "normalized", cell));
  return r(row(sub(mi("y"), at), mo("="), left, mo("+"), num(b, true), result(v[cell])));
}

function runningFormula(trace, id, g, v, m, result, r) {
  if (trace.layer !== "batch_norm") return r(row(mtext(id), result(v[g])));
  const isVar = id === "running_var";
  const old = flat(trace.parameters?.[isVar ? "running_var" : "running_mean"])?.[g];
  const stat = flat(trace.stats?.[isVar ? "var" : "mean"])?.[g];
  const mom = trace.params?.momentum;
  const f = mom === null || mom === undefined ? 1 / (trace.running?.num_batches_tracked || 1) : mom;
  const target = isVar ? row(frac(`<mn>${m}</mn>`, `<mn>${m - 1}</mn>`), mo("\u00d7"), num(stat)) : num(stat);
  const name = isVar ? sup(mi("\u03c3"), row("<mn>2</mn>", mtext(",run"))) : sup(mi("\u03bc"), mtext("run"));
  return r(
    row(
      name,
      mo("\u2190"),
      paren(row(`<mn>1</mn>`, mo("\u2212"), num(f))),
      mo("\u00d7"),
      num(old, true),
      mo("+"),
      num(f),
      mo("\u00d7"),
      target,
      result(v[g]),
    ),
  );
}
