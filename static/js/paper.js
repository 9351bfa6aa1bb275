// Figures on paper: a page printed (or saved as a PDF) at a width other than the screen's keeps each Plotly
// figure at the size it was drawn, so one wider than the paper would be cut at its edge. While the page is laid
// out for print, each such figure is scaled to its box (CSS zoom: no redraw, which would not finish before the
// page is printed); the screen gets its figures back as they were. print.css does the rest.

const FIGURE = ".js-plotly-plot";

/** Scale each figure under `root` wider than its box to the box; `false` undoes it. */
export function fitFigures(root, on) {
  for (const gd of root.querySelectorAll(FIGURE)) {
    const drawn = gd.querySelector(".svg-container");
    if (!drawn) continue;
    drawn.style.zoom = "";
    if (!on) continue;
    const room = gd.clientWidth;
    const width = drawn.offsetWidth;
    if (room > 0 && width > room) drawn.style.zoom = String(room / width);
  }
}

// Chromium lays the page out for print before this fires (beforeprint comes too early: the screen's widths);
// where a browser fires it without the print layout in place, figures print as drawn, as before
const print = typeof matchMedia === "function" ? matchMedia("print") : null;
print?.addEventListener?.("change", (e) => fitFigures(document, e.matches));
