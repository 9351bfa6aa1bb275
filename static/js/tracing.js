// Tracing on /explain: a change to what the trace depends on runs POST /api/v1/trace (debounced, the previous
// request aborted), and the run status says how it went; an error points at the argument or the input it names.

import * as api from "./api.js";
import { statusLine } from "./status_line.js";

const DELAY = 150; // ms: a burst of changes (typing, a slider) gives one request

/** ctx: {state(), request(state), t, form, editor, adopt(trace)}; `adopt` receives each new trace. */
export function initTracing(ctx) {
  const status = statusLine(document.getElementById("run-status"));
  const lang = () => ctx.state().view.lang;
  let timer = null;
  let abort = null;

  async function run() {
    abort?.abort();
    abort = new AbortController();
    status.say("busy", () => ctx.t("run.computing"));
    document.body.classList.add("is-computing");
    try {
      ctx.adopt(await api.trace(ctx.request(ctx.state()), abort.signal));
      status.say("ok", "");
      ctx.form.clearErrors();
      ctx.editor.reshapeDone(null);
    } catch (err) {
      if (err.name === "AbortError") return;
      status.say("error", failure(err));
    } finally {
      document.body.classList.remove("is-computing");
    }
  }

  /** Where the error points (an argument, the reshape, the pasted text), and the run status's words for it. */
  function failure(err) {
    const items = Array.isArray(err?.body?.detail) ? err.body.detail : [];
    for (const e of items) {
      const loc = e.loc || [];
      const words = () => api.itemMessage(e, lang()); // in the language of the moment: relabel asks again
      if (loc[1] === "params" && loc[2] && ctx.form.showError(loc[2], words())) {
        return () => ctx.t("run.fix_argument", { name: loc[2] });
      }
      if (loc[1] === "shape") {
        ctx.editor.reshapeDone(words);
        return () => ctx.t("run.fix_input");
      }
      if (loc[1] === "input" && loc[2] === "text") {
        ctx.editor.showError(() =>
          e.line ? ctx.t("input.error_at", { line: e.line, column: e.column ?? 1, message: words() }) : words(),
        );
        return () => ctx.t("run.fix_input");
      }
    }
    return () => api.errorMessage(err, lang());
  }

  return {
    /** Trace again after a pause in the changes. */
    schedule() {
      clearTimeout(timer);
      timer = setTimeout(run, DELAY);
    },
    /** The page's language changed: word the run status again. */
    relabel: () => status.relabel(),
  };
}
