// The page's colour scheme for the figures: light, or dark when the reader's system asks for it, as the
// stylesheet's prefers-color-scheme block does for the page. A system that switches while the page is open (at
// sunset, say) switches the figures too: the colours swap in place and each page redraws (`onSchemeChange`).
// Outside a browser (Node's tests) the scheme is light unless matchMedia says otherwise.

const query = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;
let dark = Boolean(query?.matches);
const swaps = [];
const redraws = [];

/** Whether the page is dark now. */
export const isDark = () => dark;

/** An object (or array) holding `light`'s or `dark`'s entries, by the scheme, swapped in place when it changes:
 *  a module may keep it in a constant. */
export function byScheme(light, darkValue) {
  const live = Array.isArray(light) ? [] : {};
  const fill = () => {
    const from = dark ? darkValue : light;
    if (Array.isArray(live)) live.splice(0, live.length, ...from);
    else Object.assign(live, from);
  };
  fill();
  swaps.push(fill);
  return live;
}

/** `redraw()` after the scheme changed, once the colours have swapped: a page redraws its figures. */
export function onSchemeChange(redraw) {
  redraws.push(redraw);
}

query?.addEventListener?.("change", (e) => {
  dark = e.matches;
  for (const fill of swaps) fill();
  for (const redraw of redraws) redraw();
});
