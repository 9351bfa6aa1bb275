// The compare page's tensor: a random draw, pasted text (shared through a permalink token, or a short link when too
// long: the server's one codec of shared views) or an example's tensor, and the dtype.

import * as api from "./api.js";
import { parseShape, toQuery } from "./compare-state.js";

const $ = (id) => document.getElementById(id);

/** A pasted tensor's share token: the permalink of a view of it (the one codec), a short link when too long. */
export async function shareToken(text, ctx) {
  const view = { layer: "layer_norm", input: { text }, dtype: ctx.state.dtype, view: { lang: ctx.lang() } };
  const r = await api.permalink(view);
  if (r.token) return { t: r.token };
  const s = await api.shortLink(view);
  return { s: s.id };
}

/** ctx: {state, recompute(input), writeUrl(), lang()} */
export function initInput(ctx) {
  for (const radio of document.querySelectorAll('input[name="cmp-source"]')) {
    radio.addEventListener("change", () => {
      for (const [kind, id] of [["random", "cmp-random"], ["text", "cmp-text-box"], ["example", "cmp-example-box"]]) $(id).hidden = radio.value !== kind;
    });
  }
  $("cmp-draw").addEventListener("click", async () => {
    const shape = parseShape($("cmp-shape").value);
    if (!shape) return $("cmp-shape").setAttribute("aria-invalid", "true");
    $("cmp-shape").removeAttribute("aria-invalid");
    const random = { shape, seed: Math.max(0, Math.floor(Number($("cmp-seed").value) || 0)), distribution: $("cmp-dist").value };
    ctx.state.source = { random };
    Object.assign(ctx.state, { cell: 0, G: null });
    await ctx.recompute({ random });
  });
  $("cmp-run").addEventListener("click", async () => {
    const text = $("cmp-text").value;
    if (!text.trim()) return;
    Object.assign(ctx.state, { cell: 0, G: null });
    if (await ctx.recompute({ text })) {
      $("cmp-text-feedback").textContent = "";
      ctx.state.source = await shareToken(text, ctx).catch(() => ctx.state.source);
      ctx.writeUrl();
    } else $("cmp-text-feedback").textContent = $("cmp-status").textContent;
  });
  const openExample = () =>
    location.assign(`/compare?${toQuery({ ...ctx.state, source: { example: $("cmp-example").value }, dtype: null, G: null, cell: 0, tokens: false, lang: ctx.lang() })}`);
  $("cmp-example").addEventListener("change", openExample);
  $("cmp-example-go").addEventListener("click", openExample);
}
