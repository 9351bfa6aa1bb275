// On a narrow screen a lab's knobs fold under one line that names their values ("Dropout p 0.5 · features 8 ·
// ..."), so the figures follow the question on the first screen; a tap opens them. The line follows every
// change of a knob, the page's own settings (Reset, a new state) and a switch of language.

import * as i18n from "./i18n.js";

/** ["label value", ...] of the knobs in `form`, in language `lang` (checkboxes: ✓ or ✗). */
export function knobSummary(form, lang) {
  const parts = [];
  for (const box of form.querySelectorAll("[data-knob]")) {
    const label = box.querySelector(`.knob-label .i18n-${lang}, .knob-check .i18n-${lang}`)?.textContent.trim() ?? "";
    const select = box.querySelector("select");
    const check = box.querySelector("input[type=checkbox]");
    let value = box.querySelector(".knob-number")?.value ?? "";
    if (select) value = select.selectedOptions[0]?.dataset[lang] || select.value;
    if (check) value = check.checked ? "✓" : "✗";
    parts.push(`${label} ${value}`);
  }
  return parts;
}

/** Wire the fold of `form` (its .knobs-toggle, .knobs-summary and .knob-list); returns the summary's update, for
 *  the page to call after it sets knobs itself or switches language. */
export function foldKnobs(form) {
  const toggle = form.querySelector(".knobs-toggle");
  const summary = form.querySelector(".knobs-summary");
  const update = () => {
    const parts = knobSummary(form, i18n.current());
    const items = parts.flatMap((text, i) => {
      // one knob's words and the dot after them on one line (lines break after a dot, never before one), wrapped
      // within only when longer than the line (lab.css)
      const span = document.createElement("span");
      span.textContent = i < parts.length - 1 ? `${text} ·` : text;
      return i ? [" ", span] : [span];
    });
    summary.replaceChildren(...items);
  };
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    form.classList.toggle("is-open", open);
  });
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
  return update;
}
