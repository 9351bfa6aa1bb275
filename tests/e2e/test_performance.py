"""What a first visit costs in headless Chromium: bytes of the first render (HTML, CSS, our JS) and of Plotly, the
time to first contentful paint and to the first drawn figure. Printed (pytest -s) and saved to
artifacts/bench-page.json; the assertions are budgets with room for a loaded CI machine."""

from __future__ import annotations

import gzip
import json
import urllib.request

import pytest

from tests.e2e.conftest import ROOT, new_page, wait_ready

pytestmark = pytest.mark.e2e


def test_first_render_before_plotly_and_its_bytes(browser, server_url):
    context, page = new_page(browser, server_url, viewport={"width": 1280, "height": 900})
    page.goto("/explain")
    wait_ready(page)
    timing = page.evaluate(
        """() => {
            const fcp = performance.getEntriesByName('first-contentful-paint')[0];
            const fig = performance.getEntriesByName('normlens:first-figure')[0];
            const nav = performance.getEntriesByType('navigation')[0];
            const res = performance.getEntriesByType('resource').map(r => ({
                url: r.name, transfer: r.transferSize, encoded: r.encodedBodySize, decoded: r.decodedBodySize,
                end: r.responseEnd}));
            return {fcp: fcp && fcp.startTime, figure: fig && fig.startTime, dcl: nav.domContentLoadedEventEnd,
                    html: {transfer: nav.transferSize, decoded: nav.decodedBodySize}, resources: res};
        }"""
    )
    context.close()

    def kind(url: str) -> str:
        if "/static-vendor/plotly" in url:
            return "plotly"
        if "/static/css/" in url:
            return "css"
        if "/static/js/" in url:
            return "js"
        return "other"

    sums: dict[str, dict[str, int]] = {}
    for r in timing["resources"]:
        s = sums.setdefault(kind(r["url"]), {"files": 0, "transfer": 0, "decoded": 0})
        s["files"] += 1
        s["transfer"] += r["transfer"]
        s["decoded"] += r["decoded"]
    ours = [r["url"] for r in timing["resources"] if kind(r["url"]) in ("css", "js")]
    gz = len(gzip.compress(urllib.request.urlopen(server_url + "/explain").read(), 6))
    for url in ours:
        gz += len(gzip.compress(urllib.request.urlopen(url).read(), 6))
    first = timing["html"]["decoded"] + sums["css"]["decoded"] + sums["js"]["decoded"]
    report = {
        "first_render_bytes": {
            "html": timing["html"]["decoded"],
            "css": sums["css"],
            "js": sums["js"],
            "total_uncompressed": first,
            "total_if_gzipped": gz,
        },
        "plotly_bytes": sums["plotly"],
        "first_contentful_paint_ms": round(timing["fcp"], 1),
        "first_figure_ms": round(timing["figure"], 1),
        "dom_content_loaded_ms": round(timing["dcl"], 1),
    }
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "bench-page.json").write_text(json.dumps(report, indent=2))
    print(
        f"\nfirst render: HTML {timing['html']['decoded'] / 1024:.1f} KB + CSS {sums['css']['decoded'] / 1024:.1f} KB"
        f" + our JS {sums['js']['decoded'] / 1024:.1f} KB in {sums['js']['files']} modules"
        f" = {first / 1024:.1f} KB ({gz / 1024:.1f} KB gzipped)"
        f"\nPlotly: {sums['plotly']['transfer'] / 1024:.0f} KB over the wire"
        f" ({sums['plotly']['decoded'] / 1024:.0f} KB decoded)"
        f"\nfirst contentful paint {timing['fcp']:.0f} ms; first figure drawn {timing['figure']:.0f} ms"
    )
    assert timing["fcp"] < timing["figure"]  # the text is up before Plotly has drawn anything
    assert sums["plotly"]["transfer"] < 1.6 * 2**20  # served compressed
    assert first < 400 * 1024
    assert timing["fcp"] < 4000
