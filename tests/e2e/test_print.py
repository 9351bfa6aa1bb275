"""Paper (static/css/print.css, static/js/paper.js): a page printed or saved as a PDF from Chromium, as a teacher's
handout or a student's notes. What the page looks like while Chromium lays it out for print is recorded from
inside it (a style change fires while the print layout is in place) during `page.pdf`, a real print.

Found so: printed from a dark-scheme system, the page's text was light on white paper (backgrounds do not print);
a figure drawn in an 800 px wide window ran past the paper's edge; the menu, the players, sliders and copy buttons took
paper; the numbers table and the PyTorch program were cut at their scroll boxes' edges."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import new_page, wait_ready, wait_until

pytestmark = pytest.mark.e2e

# Records, while the page is laid out for print, each figure's width against its box, the text's colour and what
# is shown. matchMedia("print") fires once the print layout is in place; paper.js's listener ran first (the
# page's own, registered before this one), so its scaling is in what the record sees.
RECORD = """(selectors) => {
  window.__printed = [];
  matchMedia("print").addEventListener("change", (e) => {
    if (!e.matches) return;
    const figures = [...document.querySelectorAll(".js-plotly-plot")].map((gd) => {
      const drawn = gd.querySelector(".svg-container");
      return {id: gd.id, box: gd.getBoundingClientRect().right, right: drawn.getBoundingClientRect().right,
              zoom: drawn.style.zoom};
    });
    const shown = Object.fromEntries(selectors.map((s) => [s, [...document.querySelectorAll(s)].some(
      (el) => getComputedStyle(el).display !== "none" && el.getClientRects().length > 0)]));
    const code = document.querySelector(".code-block");
    window.__printed.push({
      width: document.documentElement.clientWidth, figures, shown,
      ink: getComputedStyle(document.body).color, title: getComputedStyle(document.querySelector("h1, h2")).color,
      code: code && code.scrollWidth <= code.clientWidth + 1,
    });
  });
}"""
GONE = [".topnav", ".lang-switch", ".setup", ".stage-controls", ".figure-tools", "#copy-code", ".lab-actions",
        ".lab-play", ".lab-copy-row"]  # fmt: skip
KEPT = [".lesson-head", ".figures", ".numbers", ".code", ".lab-question", ".knobs-summary", ".lab-figures"]


def light(rgb: str) -> bool:
    """A text colour is dark enough for white paper (the light scheme's inks, not the dark scheme's)."""
    r, g, b = (int(v) for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
    return (r + g + b) / 3 < 110


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["/explain", "/labs/batch-size"])
def test_a_printed_page_keeps_its_words_and_figures_on_the_paper(browser, server_url, path, scheme) -> None:
    context, page = new_page(browser, server_url, viewport={"width": 800, "height": 900}, color_scheme=scheme)
    try:
        page.goto(f"{path}?lang=en")
        if path == "/explain":
            wait_ready(page)
        else:
            page.wait_for_selector("body[data-lab-ready='1']", timeout=20_000)
        page.evaluate(RECORD, GONE + KEPT)
        page.pdf(format="A4", margin={"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"})
        (seen,) = page.evaluate("window.__printed")
        assert seen["width"] < 800  # A4 less its margins: the print layout, not the screen's 800 px
        assert light(seen["ink"]) and light(seen["title"]), seen  # dark ink on paper, from either scheme
        assert not [s for s in GONE if seen["shown"][s]], seen["shown"]
        assert all(seen["shown"][s] for s in KEPT if page.locator(s).count()), seen["shown"]
        assert seen["figures"], "no figure printed"
        for f in seen["figures"]:
            assert f["right"] <= f["box"] + 1, f  # within its box, so on the paper
        if path == "/explain":  # its figures keep the size they were drawn at (a lab's follow their box)
            assert all(f["zoom"] for f in seen["figures"]), seen["figures"]  # drawn 800 px wide: scaled to fit
            assert seen["code"], "the program runs past its box"
        # back on the screen: the figures as they were drawn
        wait_until(page, "() => [...document.querySelectorAll('.svg-container')].every((d) => !d.style.zoom)")
        assert not page.log.errors, page.log.errors
    finally:
        context.close()


@pytest.mark.parametrize("width", [800, 1440])
def test_the_compare_page_prints_all_six_panels_each_figure_within_its_panel(browser, server_url, width) -> None:
    """A window under 900 px shows one panel at a time; paper is narrower still, and showed only the chosen one
    (its figure, drawn 740 px wide around a grid held by the height, shrunk to a third on paper). Printed from a
    tablet or a desktop: six panels, every figure within its panel and none scaled below 0.9 of its size."""
    context, page = new_page(browser, server_url, viewport={"width": width, "height": 900})
    try:
        page.goto("/compare?lang=en")
        page.wait_for_selector("html[data-plotly='ready']", timeout=20_000)
        page.evaluate(RECORD, [".cmp-panel", ".cmp-switch", ".cmp-table"])
        page.pdf(format="A4", margin={"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"})
        (seen,) = page.evaluate("window.__printed")
        assert seen["shown"][".cmp-table"] and not seen["shown"][".cmp-switch"], seen["shown"]
        panels = [f for f in seen["figures"] if f["id"].startswith("cmp-plot-")]
        assert len(panels) == 6, seen["figures"]
        for f in panels:
            assert 0 < f["right"] <= f["box"] + 1 and (not f["zoom"] or float(f["zoom"]) >= 0.9), f  # laid out, whole
        assert not page.log.errors, page.log.errors
    finally:
        context.close()
