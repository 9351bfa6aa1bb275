// The page's colour scheme for the figures: light, or dark when the reader's system asks for it, as the
// stylesheet's prefers-color-scheme block does for the page. Read once, when the modules load (a figure drawn
// in one scheme keeps it until the page is opened again); outside a browser (Node's tests) always light.

export const DARK = typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;

/** `light` or `dark`, by the scheme. */
export const byScheme = (light, dark) => (DARK ? dark : light);
