// The tokens of latex.js's LaTeX subset: [[...]] placeholders, commands, braces, ^ and _, numbers and single
// characters, each with its offset in the source. Pure (no DOM).

/** Tokens: {t: "ph", raw} placeholders, {t: "cmd", name}, {t: "{"}, {t: "}"}, {t: "^"}, {t: "_"}, {t: "num", s},
 *  {t: "ch", s} (one character). Raw-text command arguments stay in the source: the parser reads them itself. */
export function tokenize(src) {
  const out = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === "[" && src[i + 1] === "[") {
      const end = src.indexOf("]]", i + 2);
      if (end >= 0) {
        out.push({ t: "ph", raw: src.slice(i + 2, end), at: i });
        i = end + 2;
        continue;
      }
    }
    if (c === "\\") {
      const m = /^[A-Za-z]+/.exec(src.slice(i + 1));
      if (m) {
        out.push({ t: "cmd", name: m[0], at: i, end: i + 1 + m[0].length });
        i += 1 + m[0].length;
      } else if (i + 1 < src.length) {
        out.push({ t: "cmd", name: src[i + 1], at: i, end: i + 2 });
        i += 2;
      } else {
        out.push({ t: "ch", s: "\\", at: i });
        i += 1;
      }
      continue;
    }
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(?:\.[0-9]+)?/.exec(src.slice(i));
      out.push({ t: "num", s: m[0], at: i });
      i += m[0].length;
      continue;
    }
    if (c === "{" || c === "}" || c === "^" || c === "_") {
      out.push({ t: c, at: i });
      i += 1;
      continue;
    }
    const cp = src.codePointAt(i);
    const ch = String.fromCodePoint(cp);
    out.push({ t: "ch", s: ch, at: i });
    i += ch.length;
  }
  return out;
}
