"""axe-core (tests/e2e/axe_core.py, fetched by `make test`) finds no serious or critical violation on any page,
in English and in Chinese, on a desktop and a phone screen, and in the dark scheme. Each page is checked once
drawn (figures and formulas in the DOM), since most of what a reader meets is made by the page's scripts."""

from __future__ import annotations

import os

import pytest

from normlens.app.examples import EXAMPLES
from normlens.labs import LABS
from tests.e2e import axe_core
from tests.e2e.conftest import new_page

pytestmark = pytest.mark.e2e

PAGES = [
    "/",
    "/explain",
    "/explain?layer=group_norm&shape=2,6,4,4&num_groups=3&seed=1",
    "/compare",
    "/examples",
    "/labs",
    "/explore/batch-size",
    *(e.url for e in EXAMPLES),
    *(f"/labs/{slug}" for slug in LABS),
]
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def axe_script() -> str:
    script = axe_core.script()
    if script is None:
        reason = "axe-core was not fetched: run `python -m tests.e2e.axe_core` (make test does)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return script


def violations(page, script: str) -> list[str]:
    page.add_script_tag(content=script)
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter(v => ["serious", "critical"].includes(v.impact))
            .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length} nodes: ${
                v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ")})`)"""
    )
    return list(found)


# the dark scheme (prefers-color-scheme: dark) changes colours, not layout: its contrast is checked on a desktop
LOOKS = [(1440, 900, "light"), (390, 844, "light"), (1440, 900, "dark")]


@pytest.mark.parametrize("look", LOOKS, ids=["desktop", "phone", "desktop-dark"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_serious_or_critical_violation_on_any_page(browser, server_url, axe_script, lang, look) -> None:
    width, height, scheme = look
    # the page's CSP forbids the injected script; bypass_csp lets axe in (the CSP itself is tested elsewhere)
    viewport = {"width": width, "height": height}
    context, page = new_page(browser, server_url, bypass_csp=True, viewport=viewport, color_scheme=scheme)
    context.add_cookies([{"name": "normlens_lang", "value": lang, "url": server_url}])
    found = {}
    try:
        for path in PAGES:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(300)  # the first figure and formula drawn
            if bad := violations(page, axe_script):
                found[path] = bad
    finally:
        context.close()
    assert not found, "\n".join(f"{path}: {v}" for path, items in found.items() for v in items)
