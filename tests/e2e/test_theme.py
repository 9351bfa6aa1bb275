"""The dark scheme in Chromium (static/js/theme.js, the stylesheet's prefers-color-scheme block): a reader whose
system is dark gets dark pages and dark figures from the first paint, and a system that switches while a page is
open (at sunset, say) switches the page and its figures together, keeping what the reader was looking at."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import new_page, shot, wait_ready, wait_until

pytestmark = pytest.mark.e2e

BG = {"light": "rgb(251, 250, 248)", "dark": "rgb(17, 20, 24)"}
# what Plotly drew: the mean channel of the figure's first tick label (light text on a dark page)
TICK = """(id) => {
  const text = document.querySelector(`#${id} .xtick text, #${id} .ytick text`);
  const rgb = getComputedStyle(text).fill.match(/\\d+/g).slice(0, 3).map(Number);
  return (rgb[0] + rgb[1] + rgb[2]) / 3 > 128 ? "dark" : "light";
}"""
# each page, what says it is drawn, and one of its figures
PAGES = [
    ("/explain", "() => document.documentElement.dataset.plotly === 'ready'", "plot-story"),
    ("/compare", "() => document.querySelector('#cmp-plot-batch_norm .main-svg')", "cmp-plot-batch_norm"),
    ("/labs/precision", "() => document.body.dataset.labReady === '1'", "plot-errors"),
    ("/labs/train-bn", "() => document.body.dataset.labReady === '1' && !document.body.dataset.training", "plot-loss"),
]


def look(page, plot: str) -> dict:
    """The page's background and the scheme the figure was drawn for."""
    return {"bg": page.evaluate("getComputedStyle(document.body).backgroundColor"), "ink": page.evaluate(TICK, plot)}


def wait_drawn_for(page, plot: str, scheme: str) -> None:
    """Until the figure shows tick labels drawn for `scheme` (a figure can still be on its way)."""
    ticks = f"document.querySelector('#{plot} .xtick text, #{plot} .ytick text')"
    wait_until(page, f"() => {ticks} && ({TICK})('{plot}') === '{scheme}'")


@pytest.mark.parametrize(("path", "ready", "plot"), PAGES, ids=[p[0] for p in PAGES])
def test_the_figures_follow_the_system_scheme_at_load_and_when_it_switches(browser, server_url, path, ready, plot):
    context, page = new_page(browser, server_url, viewport={"width": 1440, "height": 900}, color_scheme="dark")
    try:
        page.goto(f"{path}?lang=en")
        wait_until(page, ready, 90)
        wait_drawn_for(page, plot, "dark")
        assert look(page, plot) == {"bg": BG["dark"], "ink": "dark"}
        shot(page, f"dark{path.replace('/', '-')}")
        page.emulate_media(color_scheme="light")
        wait_drawn_for(page, plot, "light")
        assert look(page, plot) == {"bg": BG["light"], "ink": "light"}
        page.emulate_media(color_scheme="dark")
        wait_drawn_for(page, plot, "dark")
        assert page.log.errors == []  # type: ignore[attr-defined]
    finally:
        context.close()


def test_a_switch_keeps_the_step_and_the_selection(browser, server_url):
    context, page = new_page(browser, server_url, viewport={"width": 1440, "height": 900}, color_scheme="light")
    try:
        page.goto("/explain?lang=en")
        wait_ready(page)
        page.click(".rail-step >> nth=3")
        wait_until(page, "() => document.getElementById('plot-story').dataset.step === 'centered'")
        page.emulate_media(color_scheme="dark")
        wait_drawn_for(page, "plot-story", "dark")
        assert page.evaluate("document.getElementById('plot-story').dataset.step") == "centered"
        assert page.locator(".rail-step[aria-current='step']").inner_text().endswith("Centered: x − μ")
        # the other groups' cells (two thirds of them) fade into the dark panel, not toward white; the tensor view
        # redraws once the step's own transition is over (its draws queue)
        median = """() => {
          const colors = document.getElementById('plot-tensor').data.find(d => d.name === 'tensor').marker.color;
          const means = colors.map(c => c.slice(4, -1).split(',').reduce((a, v) => a + Number(v), 0) / 3);
          return means.sort((a, b) => a - b)[Math.floor(means.length / 2)];
        }"""
        wait_until(page, f"() => ({median})() < 100")
    finally:
        context.close()


@pytest.mark.parametrize(("scheme", "panel"), [("light", "rgb(255, 255, 255)"), ("dark", "rgb(26, 30, 36)")])
def test_an_exported_figure_carries_the_panel_it_was_seen_on(browser, server_url, scheme, panel):
    """PNG and SVG export drew the figure on a transparent paper: in the dark scheme, light text on nothing,
    which vanished on a white slide. Each export now fills the panel's colour behind the figure."""
    context, page = new_page(browser, server_url, viewport={"width": 1440, "height": 900}, color_scheme=scheme)
    try:
        page.goto("/explain?lang=en")
        wait_ready(page)
        with page.expect_download() as svg:
            page.click('[data-download="svg"][data-plot="plot-story"]')
        assert svg.value.suggested_filename == "normlens-batch_norm-input-story.svg"
        text = Path(svg.value.path()).read_text(encoding="utf-8")
        assert f"fill: {panel}; fill-opacity: 1" in text
        with page.expect_download() as png:
            page.click('[data-download="png"][data-plot="plot-tensor"]')
        data = Path(png.value.path()).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000
        assert page.log.errors == []  # type: ignore[attr-defined]
    finally:
        context.close()
