// The text of the lesson: the heading, the current step's title, explanation and formulas, the step rail, the
// warnings and the PyTorch code. Plain DOM, no Plotly: this is what a reader sees first.

import { layerCounts } from "./counts.js";
import { substituted } from "./formula.js";
import { grouped, shapeText } from "./format.js";

const $ = (id) => document.getElementById(id);

/** The PyTorch class the trace is ("nn.BatchNorm2d", sent by the server), else the layer's title. */
export function torchClass(trace, spec, pick) {
  // a PyTorch module names the lesson ("nn.BatchNorm2d"); a layer PyTorch has no module for, its own title
  const module = trace.torch_class?.startsWith("nn.") ? trace.torch_class : null;
  return module || pick(spec?.title) || trace.torch_class || trace.layer;
}

export function renderLesson(trace, state, ctx) {
  const { t, pick, spec } = ctx;
  const cls = torchClass(trace, spec, pick);
  $("lesson-title").textContent = t("lesson.title", { layer: cls });
  const mode = trace.params && "training" in trace.params ? t(trace.params.training ? "lesson.training" : "lesson.eval") : null;
  const meta = [t("lesson.input_shape", { shape: shapeText(trace.shape) }), trace.dtype];
  if (mode) meta.push(mode);
  if (trace.grouping) meta.push(t("lesson.groups", { k: trace.grouping.stat_shape.reduce((a, b) => a * b, 1), m: trace.grouping.group_size }));
  $("lesson-meta").textContent = meta.join(" · ");
  const counts = layerCounts(trace);
  if (counts) {
    // what the layer keeps, on the first screen; the table with its formulas is further down (#counts)
    const n = (key) => counts.find((r) => r.key === key).n;
    const link = document.createElement("a");
    link.href = "#counts";
    link.className = "meta-counts";
    link.textContent = t("counts.meta", { learnable: grouped(n("learnable")), total: grouped(n("entries")) });
    $("lesson-meta").append(" · ", link);
  }

  const warnings = $("warnings");
  warnings.replaceChildren();
  // each warning folded to one line that opens: the figure stays on the first screen
  for (const w of trace.warnings || []) {
    const box = document.createElement("details");
    box.className = "warning";
    const summary = document.createElement("summary");
    summary.textContent = pick(w.message);
    box.append(summary);
    if (w.torch_error) {
      const code = document.createElement("code");
      code.textContent = w.torch_error;
      box.append(code);
    }
    warnings.append(box);
  }

  const rail = $("step-rail");
  rail.replaceChildren(
    ...trace.steps.map((s, i) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = `rail-step phase-${s.phase}${s.id === ctx.answer ? " is-answer" : ""}`;
      b.dataset.index = String(i);
      const num = document.createElement("span");
      num.className = "rail-num";
      num.textContent = String(i + 1);
      b.append(num, " ", pick(s.title));
      li.append(b);
      return li;
    }),
  );
  $("torch-code").textContent = trace.torch_code || "";
  renderStep(trace, state, ctx);
}

export function renderStep(trace, state, ctx) {
  const { t, pick } = ctx;
  const i = ctx.stepIndex;
  const step = trace.steps[i];
  const card = $("step-card");
  card.dataset.stepId = step.id;
  card.dataset.phase = step.phase;
  const phase = step.phase === "backward" ? t("player.backward") : t("player.forward");
  $("step-count").textContent = `${t("player.step_of", { i: i + 1, n: trace.steps.length })} · ${phase}`;
  $("step-title").textContent = pick(step.title);
  $("step-explanation").textContent = pick(step.explanation);
  const formula = $("step-formula");
  if (step.formula_mathml) formula.innerHTML = step.formula_mathml; // server-made MathML (app/formulas.py)
  else {
    const code = document.createElement("code");
    code.textContent = step.formula;
    formula.replaceChildren(code);
  }
  renderNumbers(trace, state, ctx);
  for (const b of document.querySelectorAll("#step-rail .rail-step")) {
    if (Number(b.dataset.index) === i) b.setAttribute("aria-current", "step");
    else b.removeAttribute("aria-current");
  }
  showCurrent($("step-rail"));
}

/** A rail wider than its box (one scrolling row): bring the current step to the middle, sideways only (never
 *  scrolling the page, as scrollIntoView would). */
export function showCurrent(rail) {
  const cur = rail?.querySelector('[aria-current="step"]');
  if (cur && rail.scrollWidth > rail.clientWidth) {
    const r = rail.getBoundingClientRect();
    const b = cur.getBoundingClientRect();
    rail.scrollLeft += b.left + b.width / 2 - (r.left + r.width / 2);
  }
  railEdges(rail);
}

/** data-more="left right" on the rail: which sides hold more steps (the CSS fades that edge). */
export function railEdges(rail) {
  if (!rail) return;
  const more = [];
  if (rail.scrollLeft > 2) more.push("left");
  if (rail.scrollLeft + rail.clientWidth < rail.scrollWidth - 2) more.push("right");
  rail.dataset.more = more.join(" ");
}

/** Only the substituted numbers (the selected group or cell changed). */
export function renderNumbers(trace, state, ctx) {
  const html = substituted(trace, ctx.stepIndex, { group: state.view.group, cell: state.ui.cell, t: ctx.t });
  const box = $("step-numbers");
  box.innerHTML = html; // MathML built from numbers and escaped labels only (formula.js)
  box.hidden = !html;
}
