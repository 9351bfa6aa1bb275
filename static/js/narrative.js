// The text of the lesson: the heading, the current step's title, explanation and formulas, the step rail, the
// warnings and the PyTorch code. Plain DOM, no Plotly: this is what a reader sees first.

import { substituted } from "./formula.js";
import { shapeText } from "./format.js";

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

  const warnings = $("warnings");
  warnings.replaceChildren();
  for (const w of trace.warnings || []) {
    const p = document.createElement("p");
    p.className = "warning";
    p.textContent = pick(w.message);
    if (w.torch_error) {
      const code = document.createElement("code");
      code.textContent = w.torch_error;
      p.append(" ", code);
    }
    warnings.append(p);
  }

  const rail = $("step-rail");
  rail.replaceChildren(
    ...trace.steps.map((s, i) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = `rail-step phase-${s.phase}`;
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
}

/** Only the substituted numbers (the selected group or cell changed). */
export function renderNumbers(trace, state, ctx) {
  const html = substituted(trace, ctx.stepIndex, { group: state.view.group, cell: state.ui.cell, t: ctx.t });
  const box = $("step-numbers");
  box.innerHTML = html; // MathML built from numbers and escaped labels only (formula.js)
  box.hidden = !html;
}
