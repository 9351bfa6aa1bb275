"""Every page at 320 CSS px wide (the narrowest phones, or a 1280 px window zoomed to 400 %: WCAG's reflow),
in both languages: nothing makes the page scroll sideways and the menu shows every item. Found so: a lab's
folded knobs' line held "Length L (values per channel per sample) 1" on one line, 17 px past the screen's edge,
the menu's last item was cut at "API d", and the explainer's layer picker, squeezed beside its set-up button,
showed "Bat"."""

from __future__ import annotations

import pytest

from normlens.app import train_pages
from tests.app.lab_helpers import SLUGS
from tests.e2e.conftest import new_page

pytestmark = pytest.mark.e2e

WIDTH = 320
PAGES = ["/", "/explain", "/examples", "/examples/bn-worked-example", "/compare", "/labs", "/s/nosuchlink"]
LABS = [f"/labs/{slug}" for slug in [*SLUGS, *train_pages.slugs()]]

# what reaches past the viewport's edges and is not inside something that scrolls or clips it (wholly left of the
# screen is hidden on purpose: Plotly's measuring svg, a skip link)
OUTSIDE = """() => {
  const width = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (!r.width || (r.right <= width + 0.5 && r.left >= -0.5) || r.right <= 0) continue;
    let p = el.parentElement;
    while (p && !/(auto|scroll|hidden|clip)/.test(getComputedStyle(p).overflowX)) p = p.parentElement;
    if (!p) out.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
  }
  return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 5)};
}"""
NAV = "() => { const n = document.querySelector('.topnav'); return n.scrollWidth - n.clientWidth; }"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_fits_a_320_px_screen(browser, server_url, lang) -> None:
    context, page = new_page(browser, server_url, viewport={"width": WIDTH, "height": 640})
    try:
        for path in PAGES + LABS:
            page.goto(f"{path}?lang={lang}")
            if path in LABS:  # the folded knobs' line is written by the page's script
                page.wait_for_selector("body[data-lab-ready='1']", timeout=20_000)
            else:
                page.wait_for_load_state("load")
            found = page.evaluate(OUTSIDE)
            assert found["scroll"] <= WIDTH and not found["out"], (path, found)
            assert page.evaluate(NAV) <= 0, path  # the menu's items all in view, none scrolled away
            if path == "/explain":  # the picker on a row of its own: "BatchNorm" whole
                assert page.evaluate("() => document.querySelector('#layer').clientWidth") >= 200
        errors = [e for e in page.log.errors if "status of 404" not in e]  # the unknown link's page itself
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_compare_table_fits_its_box_at_every_width(browser, server_url, lang) -> None:
    """The selected cell's table, six layers' numbers and formulas: in one line it ran 100-300 px past its box
    (a scroll box, the formulas cut at its edge) from 600 to 980 px; now its formulas take a line of their own
    there, under the numbers and their headings."""
    context, page = new_page(browser, server_url, viewport={"width": 1280, "height": 800})
    try:
        page.goto(f"/compare?lang={lang}")
        page.wait_for_selector("html[data-plotly=ready]", timeout=20_000)
        for width in (360, 600, 679, 680, 800, 900, 979, 980, 1280):
            page.set_viewport_size({"width": width, "height": 800})
            over = page.evaluate(
                "() => { const w = document.querySelector('.table-wrap'); return w.scrollWidth - w.clientWidth; }"
            )
            assert over <= 0, (width, over)
            headings = page.locator(".cmp-table thead th").evaluate_all(
                "(hs) => hs.filter((h) => h.offsetParent).length"
            )
            assert headings == (0 if width < 680 else 5 if width < 980 else 6), (width, headings)  # formula: no column
        assert not page.log.errors, page.log.errors
    finally:
        context.close()
