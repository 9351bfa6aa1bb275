// A "Copy" button beside a block of code (the labs' PyTorch scripts): the code goes to the clipboard where the
// page may write to it, else it is selected for Ctrl+C (plain http); the button says "Copied" for a moment, in
// the page's language.

import * as i18n from "./i18n.js";

export function copyButton(button, code) {
  const word = button.querySelector("[data-i18n]");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(code.textContent);
      i18n.label(word, "lab.copied");
    } catch {
      getSelection().selectAllChildren(code);
    }
    setTimeout(() => i18n.label(word, "lab.copy"), 1500);
  });
}
