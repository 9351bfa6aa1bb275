// Shared views on the page: keeps the address bar on a permalink to exactly this view (history.replaceState),
// and turns the Share button into a short link copied to the clipboard (on a phone, handed to its share menu).
// The server is the only codec (POST /api/v1/permalink and POST /api/v1/links, app/routes/links.py): the page
// never parses URL state.

import { ApiError, errorMessage, permalink, shortLink } from "./api.js";
import { shareMenu } from "./share_menu.js";
import * as urls from "./urls.js";

const DELAY = 400; // ms after the last change before the URL is brought up to date

/** The ViewState (app/state.py) of the page's state: the trace request plus {step, group, lang}. */
export function viewState(s, toRequest) {
  const { step, group, lang } = s.view;
  return { ...toRequest(s), view: { step: step ?? null, group: group ?? null, lang } };
}

/** ctx: {S: the state module, t: i18n.t} */
export function initPermalink({ S, t }) {
  const button = document.getElementById("share-button");
  const output = document.getElementById("share-url");
  const status = document.getElementById("share-status");
  const note = document.getElementById("example-note");
  // A readable link that could not be opened (/explain?...): its errors and the link stay until the reader
  // changes the view's input or arguments (app/explain_views.py).
  const refused = document.getElementById("query-errors");
  let timer = null;
  let inflight = null;
  let lastBody = null;

  const say = (kind, text) => {
    if (!status) return;
    status.dataset.kind = kind;
    status.textContent = text;
  };

  // <html data-permalink="pending|current">: whether the address bar already holds this view (tests wait on it)
  const mark = (v) => (document.documentElement.dataset.permalink = v);

  // Only a view the page could compute goes into the address bar: while the trace runs, wait for it (the
  // status element's data-kind changes when it is done); after an error, keep the last good permalink.
  const run = document.getElementById("run-status");
  const schedule = () => {
    clearTimeout(timer);
    mark("pending");
    timer = setTimeout(update, DELAY);
  };
  if (run) new MutationObserver(() => run.dataset.kind !== "busy" && schedule()).observe(run, { attributeFilter: ["data-kind"] });

  async function update() {
    if (refused && !refused.hidden) return mark("current"); // the address bar keeps the link to fix
    if (run?.dataset.kind === "busy") return; // the observer schedules again when the trace is done
    if (run?.dataset.kind === "error") return mark("current");
    const body = JSON.stringify(viewState(S.get(), S.toRequest));
    if (body === lastBody) return mark("current");
    inflight?.abort();
    inflight = new AbortController();
    try {
      const r = await permalink(JSON.parse(body), inflight.signal);
      lastBody = body;
      if (r.url) {
        history.replaceState(history.state, "", r.url);
      } else {
        // Too large for a URL: leave no stale permalink in the address bar; Share still works.
        history.replaceState(history.state, "", urls.explain);
        say("info", t("share.too_long"));
      }
      mark("current");
    } catch (err) {
      // An invalid state (the page shows the trace's error): the address bar keeps the last good view.
      if (err.name === "AbortError") return;
      mark("current");
      if (!(err instanceof ApiError)) console.warn(err);
    }
  }

  S.subscribe((s, changed) => {
    const retraced = changed.some((k) => S.TRACE_KEYS.includes(k));
    if (retraced && note) note.hidden = true; // the view is no longer the example's
    if (retraced && refused) refused.hidden = true; // nor the refused link's
    if (retraced || changed.includes("view")) schedule();
  });

  button?.addEventListener("click", async () => {
    button.disabled = true;
    say("busy", t("share.working"));
    try {
      const r = await shortLink(viewState(S.get(), S.toRequest));
      const url = new URL(r.url, location.origin).href;
      output.value = url;
      output.hidden = false;
      const menu = await shareMenu(url); // on a phone, its share menu; closed without sharing: the link stays here
      if (menu) return say("ok", t(menu === "shared" ? "share.shared" : "share.ready", { url }));
      try {
        await navigator.clipboard.writeText(url);
        say("ok", t("share.copied", { url }));
      } catch {
        output.focus();
        output.select();
        say("ok", t("share.ready", { url }));
      }
    } catch (err) {
      say("error", t("share.failed", { message: errorMessage(err, S.get().view.lang) }));
    } finally {
      button.disabled = false;
    }
  });
}
