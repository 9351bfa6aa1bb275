// A line of status text under a control (the paste feedback, the reshape, the run status) that keeps how it is
// worded, so that a switch of language words it again. Pure but for the element it writes to.

/** A line of status text whose words may be a function of the page's language (`say(kind, words)`: a string,
 * or a function that words it now), worded again by `relabel()` when the language changes. */
export function statusLine(el) {
  let wording = null;
  return {
    say(kind, words) {
      wording = typeof words === "function" ? words : null;
      el.textContent = wording ? wording() : words;
      el.dataset.kind = kind;
    },
    relabel() {
      if (wording) el.textContent = wording();
    },
  };
}
