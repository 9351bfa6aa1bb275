// The input editor: pasted text with live feedback (format and shape, or the error's line and column, from
// POST /api/v1/parse, debounced), a reproducible random tensor, an optional reshape, and the run options
// (dtype, backward pass with an upstream gradient of ones or random).

import * as api from "./api.js";
import { grouped, parseIntList, shapeText } from "./format.js";
import { statusLine } from "./status_line.js";

const $ = (id) => document.getElementById(id);
const PARSE_DELAY = 250;
const RESHAPE_DELAY = 900; // ms of no typing before a reshape applies ("2, 3" is on its way to "2, 3, 4")

/** ctx: {state(), set(patch), t, lang()} */
export function initEditor(ctx) {
  const text = $("input-text");
  const feedback = $("input-feedback");
  let timer = null;
  let inflight = null;

  const feedbackLine = statusLine(feedback);
  const show = (kind, words) => {
    feedbackLine.say(kind, words);
    text.setAttribute("aria-invalid", String(kind === "error"));
  };

  // the format and shape, then how the text was read where it was not read as written (the parser's notes, in
  // both languages: "ignored requires_grad=True", "read the value given to x")
  const describe = (r) => {
    const fmtName = ctx.t(`input.format_${r.format}`);
    const n = r.shape.reduce((a, b) => a * b, 1);
    const line = ctx.t("input.parsed", { format: fmtName, shape: shapeText(r.shape), n: grouped(n) });
    const notes = (ctx.lang() === "zh" ? r.notes_zh : r.notes) ?? [];
    return [line, ...(r.dtype ? [r.dtype] : []), ...notes].join(" · ");
  };

  async function check() {
    const value = text.value;
    const ui = { ...ctx.state().ui, text: value };
    if (!value.trim()) {
      show("info", () => ctx.t("input.empty"));
      ctx.set({ ui });
      return;
    }
    inflight?.abort();
    inflight = new AbortController();
    show("busy", () => ctx.t("input.reading"));
    try {
      const r = await api.parse(value, inflight.signal);
      show("ok", () => describe(r));
      const dtype = api.namedDtype(r);
      if (dtype) $("dtype").value = dtype;
      ctx.set({ ui, input: { text: value }, labels: null, ...ctx.fit(r.shape), ...(dtype && { dtype }) });
    } catch (err) {
      if (err.name === "AbortError") return;
      show("error", () => pasteError(err, ctx));
      ctx.set({ ui });
    }
  }

  text.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(check, PARSE_DELAY);
  });

  // tabs: paste / random (roving tabindex, arrows move between them)
  const tabs = [...document.querySelectorAll('.tabs [role="tab"]')];
  const selectTab = (mode, focus) => {
    for (const tab of tabs) {
      const on = tab.dataset.mode === mode;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      $(tab.getAttribute("aria-controls")).hidden = !on;
      if (on && focus) tab.focus();
    }
  };
  for (const tab of tabs) {
    tab.addEventListener("click", () => activate(tab.dataset.mode));
    tab.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
      e.preventDefault();
      const i = tabs.indexOf(tab);
      const next = tabs[(i + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      activate(next.dataset.mode, true);
    });
  }
  function activate(mode, focus) {
    selectTab(mode, focus);
    const s = ctx.state();
    if (mode === (s.input.random ? "random" : "text")) return ctx.set({ ui: { ...s.ui, tab: mode } });
    if (mode === "random") ctx.set({ ui: { ...s.ui, tab: mode }, input: { random: { ...s.ui.random } }, labels: null });
    else if (s.ui.text && s.ui.text.trim()) {
      ctx.set({ ui: { ...s.ui, tab: mode } });
      check();
    } else ctx.set({ ui: { ...s.ui, tab: mode, fillText: true } });
  }

  // random tensor
  const readRandom = () => {
    const shape = parseIntList($("rand-shape").value);
    if (!shape || !shape.length || shape.some((d) => d < 1)) throw new Error("shape");
    return { shape, seed: Math.max(0, Math.floor(Number($("rand-seed").value) || 0)), distribution: $("rand-dist").value };
  };
  const generate = () => {
    let random;
    try {
      random = readRandom();
    } catch {
      $("rand-shape").setAttribute("aria-invalid", "true");
      return;
    }
    $("rand-shape").removeAttribute("aria-invalid");
    const s = ctx.state();
    ctx.set({ ui: { ...s.ui, random }, input: { random }, labels: null, ...ctx.fit(random.shape) });
  };
  $("rand-go").addEventListener("click", generate);
  $("rand-reseed").addEventListener("click", () => {
    $("rand-seed").value = String((Number($("rand-seed").value) || 0) + 1);
    generate();
  });
  for (const id of ["rand-seed", "rand-dist"]) $(id).addEventListener("change", generate);
  $("rand-shape").addEventListener("keydown", (e) => e.key === "Enter" && generate());

  // reshape: applied on Enter or leaving the field, or after a pause in typing; until then it says it waits
  const reshape = $("reshape");
  const reshapeStatus = $("reshape-status");
  let reshapeTimer = null;
  const reshapeLine = statusLine(reshapeStatus);
  const reshapeSay = (kind, words) => reshapeLine.say(kind, words);
  const applyReshape = () => {
    clearTimeout(reshapeTimer);
    let shape;
    try {
      shape = parseIntList(reshape.value);
    } catch {
      reshape.setAttribute("aria-invalid", "true");
      reshapeSay("error", () => ctx.t("input.reshape_invalid"));
      return;
    }
    reshape.removeAttribute("aria-invalid");
    const same = JSON.stringify(shape ?? null) === JSON.stringify(ctx.state().shape ?? null);
    reshapeSay(same ? "" : "busy", same ? "" : () => ctx.t("input.reshape_applying"));
    ctx.set({ shape, labels: null }); // axis labels belong to the shape they were given with
  };
  reshape.addEventListener("input", () => {
    clearTimeout(reshapeTimer);
    reshapeSay("pending", () => ctx.t("input.reshape_pending"));
    reshapeTimer = setTimeout(applyReshape, RESHAPE_DELAY);
  });
  reshape.addEventListener("change", applyReshape);
  reshape.addEventListener("keydown", (e) => e.key === "Enter" && applyReshape());

  // options
  $("dtype").addEventListener("change", (e) => ctx.set({ dtype: e.target.value }));
  const gradFromControls = () => {
    if (!$("backward").checked) return null;
    const kind = document.querySelector('input[name="grad-kind"]:checked')?.value || "fill";
    const seed = Math.max(0, Math.floor(Number($("grad-seed").value) || 0));
    return kind === "random" ? { random: { seed } } : { fill: 1 };
  };
  const onGrad = () => {
    $("grad-options").disabled = !$("backward").checked;
    ctx.set({ grad_output: gradFromControls() });
  };
  $("backward").addEventListener("change", onGrad);
  for (const r of document.querySelectorAll('input[name="grad-kind"]')) r.addEventListener("change", onGrad);
  $("grad-seed").addEventListener("change", onGrad);

  return {
    check,
    /** Fill the textarea with the current input (after a random draw) so it can be edited. */
    fill(values) {
      text.value = values;
      const s = ctx.state();
      ctx.set({ ui: { ...s.ui, text: values, fillText: false } });
      check();
    },
    /** The trace ran (ok) or refused the reshape (`words`: as `show` takes them). */
    reshapeDone(words) {
      if (words) {
        reshape.setAttribute("aria-invalid", "true");
        reshapeSay("error", words);
      } else if (reshapeStatus.dataset.kind === "busy") reshapeSay("", "");
    },
    /** Point at a pasted-text error reported by the trace endpoint (`words`: as `show` takes them). */
    showError(words) {
      selectTab("text");
      show("error", words);
    },
    /** The page's language changed: word the feedback again (the parser's errors come in both languages). */
    relabel() {
      feedbackLine.relabel();
      reshapeLine.relabel();
    },
    sync() {
      const s = ctx.state();
      selectTab(s.input.random ? "random" : "text");
      if (s.ui.random) {
        $("rand-shape").value = s.ui.random.shape.join(", ");
        $("rand-seed").value = String(s.ui.random.seed);
        $("rand-dist").value = s.ui.random.distribution;
      }
      reshape.value = s.shape ? s.shape.join(", ") : "";
      $("dtype").value = s.dtype;
      $("backward").checked = !!s.grad_output;
      $("grad-options").disabled = !s.grad_output;
      if (s.grad_output?.random) {
        $("grad-random").checked = true;
        $("grad-seed").value = String(s.grad_output.random.seed ?? 0);
      } else if (s.grad_output) $("grad-ones").checked = true;
    },
    describeInitial(trace) {
      if (trace.input_format && text.value.trim()) {
        const r = { format: trace.input_format, shape: trace.request?.input?.shape || trace.shape };
        show("ok", () => describe(r));
      }
    },
  };
}

function pasteError(err, ctx) {
  const items = Array.isArray(err?.body?.detail) ? err.body.detail : [];
  const e = items[0];
  const msg = api.itemMessage(e, ctx.lang()); // the parser words its errors in both languages
  if (e && e.line) return ctx.t("input.error_at", { line: e.line, column: e.column ?? 1, message: msg });
  return msg || api.errorMessage(err, ctx.lang());
}

