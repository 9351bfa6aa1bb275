"""The page under its strict Content-Security-Policy (no 'unsafe-inline' anywhere): Plotly draws every figure the
page has, from the partial bundle and from the full one, with no violation and no console error, and the base
stylesheet we ship (static/css/plotly.css) holds exactly the rules plotly.js would otherwise inject."""

from __future__ import annotations

import json
import urllib.request

import pytest

from normlens.app import assets
from tests.e2e.conftest import new_page, wait_ready

pytestmark = pytest.mark.e2e

# securitypolicyviolation events, recorded from before the first script runs (init scripts are not subject to CSP)
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__violations.push(`${e.violatedDirective}: ${e.sample || e.blockedURI}`));
"""
TRACE_TYPES = {"scatter", "bar", "heatmap"}  # what the figure builders use (tests/app/test_pages.py checks)
TYPES_DRAWN = "[...document.querySelectorAll('.js-plotly-plot')].flatMap((g) => g._fullData.map((t) => t.type))"
IMAGE_RENDERING = "[...document.querySelectorAll('#plot-tensor image')].map((i) => getComputedStyle(i).imageRendering)"


def bundles() -> list[str]:
    return ["", "?plotly=full"] if assets.partial_installed() else ["?plotly=full"]


def open_page(browser, server_url: str, path: str):
    context, page = new_page(browser, server_url, viewport={"width": 1280, "height": 900}, locale="en-US")
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(path)
    wait_ready(page)
    return context, page


def big_tensor_url(server_url: str) -> str:
    """A permalink to a tensor whose heatmap cells are under 10 px, with no gaps between them: Plotly draws it as
    one pixelated image. (3,840 values: under the 4,096 that are sent whole.)"""
    body = json.dumps({"layer": "batch_norm", "input": {"random": {"shape": [1, 2, 40, 48]}}}).encode()
    request = urllib.request.Request(
        server_url + "/api/v1/permalink", data=body, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request) as r:
        return json.loads(r.read())["url"]


@pytest.mark.parametrize("query", bundles(), ids=lambda q: "full" if q else "partial")
def test_every_figure_draws_under_the_strict_csp(browser, server_url, query):
    context, page = open_page(browser, server_url, "/explain" + query)
    csp = page.evaluate("async () => (await fetch(location.href)).headers.get('content-security-policy')")
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    loaded = page.evaluate("performance.getEntriesByType('resource').map(r => r.name)")
    name = assets.FULL if query else assets.CARTESIAN
    assert any(url.endswith(assets.bundle_url(name)) for url in loaded)
    assert set(page.evaluate("Object.keys(Plotly.PlotSchema.get().traces)")) >= TRACE_TYPES
    # every step of the default example: the heatmap with its colorbar, strips, bars, the sets figure
    n = page.evaluate("window.normlens.trace.steps.length")
    page.locator("#lesson-title").click()
    page.keyboard.press("Home")
    drawn: set[str] = set()
    colorbars = 0
    for _ in range(n):
        page.wait_for_selector("#plot-story .main-svg")
        drawn |= set(page.evaluate(TYPES_DRAWN))
        colorbars = max(colorbars, page.evaluate("document.querySelectorAll('#plot-tensor .colorbar').length"))
        page.keyboard.press("ArrowRight")
    assert colorbars == 1  # its fill rectangles get Plotly's empty style attribute (hashed)
    # a big tensor: the heatmap is one image, kept sharp by Plotly's image-rendering style attribute (hashed);
    # small tensors are square scatter markers (so Plotly.animate moves them), so heatmaps are drawn only here
    page.goto(big_tensor_url(server_url) + query)
    wait_ready(page)
    assert "pixelated" in page.evaluate(IMAGE_RENDERING)
    drawn |= set(page.evaluate(TYPES_DRAWN))
    assert drawn == TRACE_TYPES
    violations = page.evaluate("window.__violations")
    inline_styles = page.evaluate("document.querySelectorAll('style').length")
    context.close()
    assert violations == []
    assert page.log.errors == []
    assert inline_styles == (1 if query else 0)  # the full bundle's maplibre sheet, let through by its hash


def test_values_a_subnormal_apart_draw_with_exponent_ticks_under_the_csp(browser, server_url):
    """Values of 5e-324: the summaries once answered 500, then the tensor figure kept the previous tensor (Plotly
    found no ticks for a colour bar that narrow); now its colour bar spans 1e-300, whose tick labels carry an
    exponent in <sup> (Plotly's font-size:70% style attribute, hashed)."""
    values = [[0, 5e-324], [5e-324, 0]]
    body = json.dumps({"layer": "batch_norm", "input": {"values": values}, "dtype": "float64"}).encode()
    request = urllib.request.Request(
        server_url + "/api/v1/permalink", data=body, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request) as r:
        url = json.loads(r.read())["url"]
    context, page = open_page(browser, server_url, url)
    page.wait_for_selector("#plot-tensor .colorbar")
    drawn = page.evaluate(
        "(() => { const d = document.getElementById('plot-tensor').data; "
        "const cells = d.find((t) => t.name === 'tensor'); const scale = d.find((t) => t.name === 'scale'); "
        "return [cells.x.length, scale.marker.cmax]; })()"
    )
    ticks = page.evaluate("[...document.querySelectorAll('#plot-tensor .colorbar tspan')].map((t) => t.textContent)")
    violations = page.evaluate("window.__violations")
    context.close()
    assert drawn == [4, 1e-300]
    assert any("300" in t for t in ticks), ticks
    assert violations == []
    assert page.log.errors == []


def test_our_plotly_css_is_the_stylesheet_plotly_would_inject(browser, server_url):
    """Without the marker element (and with CSP bypassed), the served bundle injects its rules: they must be the
    rules of static/css/plotly.css, so the page looks the same as with Plotly's own <style>."""
    context, page = new_page(browser, server_url, bypass_csp=True)
    page.goto("/healthz")
    page.add_style_tag(url="/static/css/plotly.css")
    for name in {assets.CARTESIAN if assets.partial_installed() else assets.FULL, assets.FULL}:
        page.evaluate("document.getElementById('plotly.js-style-global')?.remove()")
        page.add_script_tag(url=assets.bundle_url(name))
        injected, ours = page.evaluate(
            """() => {
                const rules = (sheet) => [...sheet.cssRules].map((r) => r.cssText).sort();
                const [ours] = [...document.styleSheets].filter((s) => (s.href || '').includes('/css/plotly.css'));
                return [rules(document.getElementById('plotly.js-style-global').sheet), rules(ours)];
            }"""
        )
        assert len(injected) > 50
        assert ours == injected, name
    context.close()
