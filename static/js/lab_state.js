// A lab page's knob controls and texts: read a knob's control, place a value on its slider (log10 for log
// knobs), the query string of a state, and the answer's paragraphs (`backticks` as code). Small and DOM-light.

/** The value a knob's control holds: number (int knobs whole), bool or string. */
export function readKnob(box) {
  const input = box.querySelector("input:not(.knob-number), select");
  const number = box.querySelector(".knob-number");
  const type = input.dataset.type;
  if (type === "bool") return input.checked;
  if (type === "enum") return input.value;
  let v = Number(input.value);
  if (input.dataset.log) v = Number((10 ** v).toPrecision(4));
  if (number && document.activeElement === number && number.value !== "") v = Number(number.value);
  return type === "int" ? Math.round(v) : v;
}

/** Where `value` sits on a range input (log10 of it for a log knob). */
export function sliderPosition(input, value) {
  return input.dataset && input.dataset.log ? Math.log10(value) : value;
}

/** "?momentum=0.1&seed=3" of a permalink ("/labs/running-stats?momentum=0.1&seed=3"), "" if none. */
export function knobQuery(permalink) {
  const i = permalink.indexOf("?");
  return i < 0 ? "" : permalink.slice(i);
}

/** Knobs from a query string, typed by the lab's knob list [{name, type}]; unknown names are kept (the API
 *  answers with an error naming them). */
export function fromQuery(search, knobs) {
  const types = Object.fromEntries(knobs.map((k) => [k.name, k.type]));
  const out = {};
  for (const [name, raw] of new URLSearchParams(search)) {
    if (name === "lang") continue;
    const type = types[name];
    if (type === "bool") out[name] = raw === "true" || raw === "1";
    else if (type === "int" || type === "float") out[name] = raw.trim() !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    else out[name] = raw;
  }
  return out;
}

/** Paragraphs (split at blank lines) of segments: [[{text, code}]]; odd backtick-separated parts are code. */
export function segments(text) {
  return (text || "")
    .split(/\n\s*\n/)
    .filter((p) => p.trim())
    .map((p) => p.split("`").map((part, i) => ({ text: part, code: i % 2 === 1 })).filter((s) => s.text));
}

/** The answer in one language as a <div class="i18n-xx"> of <p>s. */
export function paragraphs(text, lang, htmlLang) {
  const div = document.createElement("div");
  div.className = `i18n-${lang}`;
  div.lang = htmlLang;
  for (const para of segments(text)) {
    const p = document.createElement("p");
    for (const s of para) {
      if (s.code) {
        const c = document.createElement("code");
        c.textContent = s.text;
        p.append(c);
      } else p.append(s.text);
    }
    div.append(p);
  }
  return div;
}
