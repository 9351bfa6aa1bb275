// A small LaTeX subset rendered to MathML, with [[name:arg:...]] placeholders filled by the caller. Pure (no DOM):
// the lesson files' `live` templates become the live formula of the page, e.g.
//   latexToMathML("\\mu_{[[g]]} = [[v]]", fill) -> <math ...><mrow><msub><mi>μ</mi><mrow>…</mrow></msub>…</mrow></math>
// Supported: \frac \sqrt \hat (accents) _ ^ \text \mathrm (styles) Greek letters, \cdot \times \leftarrow \cdots
// and other symbols, spaces (\, \; \quad), digits (mn), letters (mi), operators (mo; "-" becomes U+2212).
// Anything else is shown, not thrown: an unknown command renders as <mtext>\name</mtext>. The only exception that
// leaves latexToMathML is one thrown by `fill` (formula.js throws Missing when an array was summarized).

import { tokenize } from "./latex_tokens.js";

export const MATHML_NS = "http://www.w3.org/1998/Math/MathML";

export const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
export const mi = (s, variant) => (variant ? `<mi mathvariant="${variant}">${esc(s)}</mi>` : `<mi>${esc(s)}</mi>`);
export const mo = (s) => `<mo>${esc(s)}</mo>`;
export const mn = (s) => `<mn>${esc(s)}</mn>`;
export const mtext = (s) => `<mtext>${esc(s)}</mtext>`;
export const mrow = (...xs) => `<mrow>${xs.join("")}</mrow>`;
export const mspace = (width) => `<mspace width="${width}"></mspace>`;
export const math = (body) => `<math xmlns="${MATHML_NS}" display="block">${mrow(body)}</math>`;

const GREEK = {
  alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε", zeta: "ζ", eta: "η", theta: "θ",
  vartheta: "ϑ", iota: "ι", kappa: "κ", lambda: "λ", mu: "μ", nu: "ν", xi: "ξ", pi: "π", rho: "ρ", sigma: "σ",
  tau: "τ", upsilon: "υ", phi: "ϕ", varphi: "φ", chi: "χ", psi: "ψ", omega: "ω",
  partial: "∂", nabla: "∇", infty: "∞", ell: "ℓ",
};
const UPRIGHT = { Gamma: "Γ", Delta: "Δ", Theta: "Θ", Lambda: "Λ", Xi: "Ξ", Pi: "Π", Sigma: "Σ", Upsilon: "Υ", Phi: "Φ", Psi: "Ψ", Omega: "Ω" };
const SYMBOLS = {
  cdot: "·", times: "×", div: "÷", pm: "±", mp: "∓", ast: "∗", circ: "∘", odot: "⊙", otimes: "⊗", oplus: "⊕",
  leftarrow: "←", gets: "←", rightarrow: "→", to: "→", Leftarrow: "⇐", Rightarrow: "⇒", mapsto: "↦",
  cdots: "⋯", ldots: "…", dots: "…", vdots: "⋮", approx: "≈", neq: "≠", ne: "≠", le: "≤", leq: "≤", ge: "≥",
  geq: "≥", sim: "∼", equiv: "≡", propto: "∝", in: "∈", sum: "∑", prod: "∏", forall: "∀", exists: "∃",
  cup: "∪", cap: "∩", setminus: "∖", mid: "∣", vert: "|", lvert: "|", rvert: "|", Vert: "‖", langle: "⟨",
  rangle: "⟩", lbrace: "{", rbrace: "}", prime: "′",
};
const FUNCTIONS = new Set(["min", "max", "exp", "log", "ln", "sin", "cos", "tan", "tanh", "sup", "inf", "lim", "det", "arg"]);
const SPACES = { ",": "0.1667em", ":": "0.2222em", ">": "0.2222em", ";": "0.2778em", "!": "-0.1667em", " ": "0.25em", quad: "1em", qquad: "2em" };
const ESCAPED = { "{": "{", "}": "}", _: "_", "%": "%", "&": "&", $: "$", "#": "#", "|": "‖" };
const ACCENTS = { hat: "\u0302", widehat: "\u0302", bar: "\u0304", overline: "\u0304", tilde: "\u0303", widetilde: "\u0303", dot: "\u0307", vec: "\u20d7" };
const ACCENT_MARK = { "\u0302": "^", "\u0304": "¯", "\u0303": "~", "\u0307": "˙", "\u20d7": "→" };
// raw-text commands: their braces hold words, not maths
const TEXTS = { text: null, textrm: null, mbox: null, textit: null, textbf: null };
const STYLES = { mathrm: "normal", operatorname: "normal", mathbf: "bold", mathbb: "double-struck", mathit: "italic", mathcal: "script", mathsf: "sans-serif" };
const IGNORED = new Set(["left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "displaystyle", "textstyle", "limits", "nolimits"]);

// after these (or at the start of a row) a negative number needs no parentheses: "= −0.5", "(−0.5", "x, −1"
const NO_WRAP_AFTER = new Set(["=", "≈", "≠", "<", ">", "≤", "≥", "←", "→", "⇐", "⇒", "↦", "(", "[", "{", "|", "⟨", ",", ";", ":", "∼", "≡", "∈"]);

/** MathML for `template`; `fill(name, args, {wrap})` gives the MathML of each [[name:arg1:arg2]] placeholder
 *  (`wrap`: the placeholder follows an operand or a binary operator, so a negative number should be put in
 *  parentheses). Returns a whole <math display="block"> element. */
export function latexToMathML(template, fill = () => "") {
  return math(new Parser(String(template ?? ""), fill).body());
}

class Parser {
  constructor(src, fill) {
    this.src = src;
    this.fill = fill;
    this.tokens = tokenize(src);
    this.pos = 0;
  }

  peek() {
    return this.tokens[this.pos];
  }

  next() {
    return this.tokens[this.pos++];
  }

  /** The whole template: a sequence, with stray closing braces shown rather than dropped. */
  body() {
    const parts = [];
    for (;;) {
      parts.push(...this.sequence());
      if (!this.peek()) break;
      this.next(); // a "}" without its "{"
      parts.push({ xml: mo("}"), op: "}" });
    }
    return parts.map((a) => a.xml).join("");
  }

  /** Atoms up to a closing brace or the end: [{xml, op?: the operator text of an <mo>, space?: true}]. */
  sequence() {
    const atoms = [];
    while (this.peek() && this.peek().t !== "}") {
      const atom = this.scripted(atoms);
      if (atom) atoms.push(atom);
    }
    return atoms;
  }

  /** One atom and its sub- and superscripts. */
  scripted(before) {
    const t = this.peek()?.t;
    let base = t === "_" || t === "^" ? null : this.atom(before);
    let sub = null;
    let sup = null;
    while (this.peek() && (this.peek().t === "_" || this.peek().t === "^")) {
      const kind = this.next().t;
      const arg = mrow(this.argument());
      if (kind === "_" && sub === null) sub = arg;
      else if (kind === "^" && sup === null) sup = arg;
    }
    if (sub === null && sup === null) return base;
    const b = !base ? mrow() : base.ph ? mrow(base.xml) : base.xml; // a filled placeholder may be several elements
    if (sub !== null && sup !== null) base = { xml: `<msubsup>${b}${sub}${sup}</msubsup>` };
    else if (sub !== null) base = { xml: `<msub>${b}${sub}</msub>` };
    else base = { xml: `<msup>${b}${sup}</msup>` };
    return base;
  }

  /** A braced group's contents or the next single atom (as MathML); empty at the end of input. */
  argument() {
    const tok = this.peek();
    if (!tok || tok.t === "}") return "";
    if (tok.t === "{") {
      this.next();
      const inner = this.sequence();
      if (this.peek()?.t === "}") this.next();
      return inner.map((a) => a.xml).join("");
    }
    if (tok.t === "_" || tok.t === "^") {
      this.next();
      return "";
    }
    const a = this.atom([]);
    return a ? a.xml : "";
  }

  /** The raw source of a braced argument that starts at the next token ("" when there is none). */
  rawArgument() {
    const tok = this.peek();
    if (!tok || tok.t !== "{") return "";
    let depth = 0;
    let i = tok.at;
    let end = this.src.length;
    for (; i < this.src.length; i++) {
      const c = this.src[i];
      if (c === "\\") {
        i += 1;
        continue;
      }
      if (c === "{") depth += 1;
      else if (c === "}" && --depth === 0) {
        end = i;
        break;
      }
    }
    const raw = this.src.slice(tok.at + 1, end);
    while (this.peek() && this.peek().at <= end) this.next(); // skip the tokens the raw text covered
    return raw;
  }

  /** Words with placeholders in them ("\text{(}[[word:a:b]]..."): text pieces as `piece(text)`, placeholders filled. */
  words(raw, piece) {
    const parts = [];
    const re = /\[\[(.*?)\]\]/g;
    let last = 0;
    for (let m = re.exec(raw); m; m = re.exec(raw)) {
      if (m.index > last) parts.push(piece(unescapeText(raw.slice(last, m.index))));
      parts.push(this.placeholder(m[1], false));
      last = m.index + m[0].length;
    }
    if (last < raw.length || !parts.length) parts.push(piece(unescapeText(raw.slice(last))));
    return parts.join("");
  }

  placeholder(raw, wrap) {
    const [name, ...args] = raw.split(":");
    const xml = this.fill(name.trim(), args, { wrap });
    return xml === null || xml === undefined ? "" : String(xml);
  }

  atom(before) {
    const tok = this.next();
    if (!tok) return null;
    switch (tok.t) {
      case "ph":
        return { xml: this.placeholder(tok.raw, needsWrap(before)), ph: true };
      case "{": {
        const inner = this.sequence();
        if (this.peek()?.t === "}") this.next();
        return { xml: mrow(...inner.map((a) => a.xml)) };
      }
      case "num":
        return { xml: mn(tok.s) };
      case "cmd":
        return this.command(tok);
      case "ch":
        return character(tok.s);
      default: // a lone ^ or _ is handled by scripted(); nothing else reaches here
        return null;
    }
  }

  command(tok) {
    const name = tok.name;
    if (name in GREEK) return { xml: mi(GREEK[name]) };
    if (name in UPRIGHT) return { xml: mi(UPRIGHT[name], "normal") };
    if (name in SYMBOLS) return { xml: mo(SYMBOLS[name]), op: SYMBOLS[name] };
    if (name in SPACES) return { xml: mspace(SPACES[name]), space: true };
    if (name in ESCAPED) return { xml: mo(ESCAPED[name]), op: ESCAPED[name] };
    if (FUNCTIONS.has(name)) return { xml: mi(name) };
    if (name === "\\") return { xml: "", space: true };
    if (IGNORED.has(name)) {
      if ((name === "left" || name === "right") && this.peek()?.t === "ch" && this.peek().s === ".") this.next();
      return null;
    }
    if (name === "frac" || name === "dfrac" || name === "tfrac") {
      const a = this.argument();
      const b = this.argument();
      return { xml: `<mfrac>${mrow(a)}${mrow(b)}</mfrac>` };
    }
    if (name === "sqrt") {
      let index = null;
      if (this.peek()?.t === "ch" && this.peek().s === "[") index = this.bracketed();
      const a = this.argument();
      return { xml: index === null ? `<msqrt>${mrow(a)}</msqrt>` : `<mroot>${mrow(a)}${mrow(index)}</mroot>` };
    }
    if (name in ACCENTS) return this.accent(ACCENTS[name]);
    if (name in TEXTS) return { xml: this.words(this.rawArgument(), mtext) };
    if (name in STYLES) {
      const variant = STYLES[name];
      return { xml: this.words(this.rawArgument(), (s) => (s ? mi(s, variant) : "")) };
    }
    return { xml: mtext(`\\${name}`) };
  }

  /** "[...]" after \sqrt: the root's index. */
  bracketed() {
    this.next(); // [
    const atoms = [];
    while (this.peek() && !(this.peek().t === "ch" && this.peek().s === "]") && this.peek().t !== "}") {
      const a = this.scripted(atoms);
      if (a) atoms.push(a);
    }
    if (this.peek()?.t === "ch") this.next(); // ]
    return atoms.map((a) => a.xml).join("");
  }

  /** \hat{x} -> <mi>x̂</mi> (one letter: a combining mark, as the page always showed it); else <mover>. */
  accent(mark) {
    const tok = this.peek();
    let letter = null;
    if (tok?.t === "ch" && /^\p{L}$/u.test(tok.s)) letter = tok.s;
    else if (tok?.t === "{" && this.tokens[this.pos + 1]?.t === "ch" && /^\p{L}$/u.test(this.tokens[this.pos + 1].s) && this.tokens[this.pos + 2]?.t === "}") {
      letter = this.tokens[this.pos + 1].s;
    }
    if (letter !== null) {
      this.pos += tok.t === "{" ? 3 : 1;
      return { xml: mi(letter + mark) };
    }
    const a = this.argument();
    return { xml: `<mover accent="true">${mrow(a)}${mo(ACCENT_MARK[mark])}</mover>` };
  }
}

function character(s) {
  if (/^[A-Za-z]$/.test(s) || /^\p{L}$/u.test(s)) return { xml: mi(s) };
  if (s === "-") return { xml: mo("\u2212"), op: "\u2212" };
  if (s === "'") return { xml: mo("′"), op: "′" };
  if (s === "~") return { xml: mspace("0.25em"), space: true };
  return { xml: mo(s), op: s };
}

/** Does a number placed after `before` (the atoms so far in its row) need parentheses when negative? */
function needsWrap(before) {
  for (let k = before.length - 1; k >= 0; k--) {
    const a = before[k];
    if (a.space) continue;
    return !(a.op !== undefined && NO_WRAP_AFTER.has(a.op));
  }
  return false; // the start of a row: a numerator, a square root, the whole formula
}

const unescapeText = (s) => s.replace(/\\([{}_%&$#\\ ])/g, "$1");
