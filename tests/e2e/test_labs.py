"""Every registered lab in Chromium: it opens with its figures drawn, a knob change moves the figures
(Plotly.animate, or Plotly.react when a size knob changes the shapes) and updates the URL, that URL opens the
same state, a figure plays its frames, Chinese switches every text, and nothing logs an error.

One page is shared by every check of the module (Plotly is parsed once per context)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from tests.app.lab_helpers import SLUGS
from tests.e2e.conftest import new_page, shot, wait_until

pytestmark = pytest.mark.e2e

SPY = """() => {
  if (window.__labSpy) return;
  window.__labSpy = {animate: 0, react: 0};
  for (const name of ["animate", "react"]) {
    const original = window.Plotly[name];
    window.Plotly[name] = (...args) => { window.__labSpy[name] += 1; return original.apply(window.Plotly, args); };
  }
}"""


@pytest.fixture(scope="module")
def page(browser, server_url):
    context, page = new_page(browser, server_url, viewport={"width": 1280, "height": 900}, locale="en-US")
    yield page
    assert not page.log.errors, page.log.errors
    assert all(u.startswith(server_url) or u.startswith("data:") for u in page.log.requests)
    context.close()


def open_lab(page, path: str) -> dict:
    page.goto(path)
    page.wait_for_selector("body[data-lab-ready='1']", timeout=20_000)
    data = json.loads(page.text_content("#lab-data"))
    for fig in data["words"]["figures"]:
        page.wait_for_selector(f"#plot-{fig['id']} .main-svg", timeout=10_000)
    page.evaluate(SPY)
    return data


def a_knob(data: dict) -> tuple[str, float]:
    """A float knob if the lab has one (its figures keep their shapes), else an int one: a value != default."""
    bounds = BOUNDS[data["slug"]]
    numeric = [n for n, v in data["knobs"].items() if isinstance(v, int | float) and not isinstance(v, bool)]
    floats = [n for n in numeric if isinstance(data["knobs"][n], float)]
    name = (floats or [n for n in numeric if n != "seed"])[0]
    low, high, now = bounds[name]["minimum"], bounds[name]["maximum"], data["knobs"][name]
    is_float = isinstance(now, float)
    value = round(low + (high - low) * 0.37, 3) if is_float else int(low + (high - low) // 3)
    return name, (high if value == now else value)


BOUNDS: dict[str, dict[str, dict]] = {}


@pytest.fixture(scope="module", autouse=True)
def bounds(page, server_url):
    page.goto("/labs")
    cards = page.evaluate("async () => (await fetch('/api/v1/labs')).json()")
    for card in cards:
        BOUNDS[card["slug"]] = {k["name"]: {"minimum": k["minimum"], "maximum": k["maximum"]} for k in card["knobs"]}
    for slug in SLUGS:
        assert page.locator(f'a[href="/labs/{slug}"]').count() == 1


@pytest.mark.parametrize("slug", SLUGS)
def test_lab_opens_animates_and_links(page, slug: str) -> None:
    data = open_lab(page, f"/labs/{slug}")
    shot(page, f"lab-{slug}-en")
    name, value = a_knob(data)
    box = page.locator(f"#knob-{name}-value")
    box.fill(str(value))
    box.dispatch_event("change")
    wait_until(page, f"location.search.includes('{name}=')")
    moved = wait_until(page, "window.__labSpy.animate + window.__labSpy.react")
    assert moved
    if isinstance(data["knobs"][name], float):
        assert page.evaluate("window.__labSpy.animate") >= 1  # the figures tween to the new numbers
    url = page.evaluate("location.pathname + location.search")
    assert urlsplit(url).path == f"/labs/{slug}"
    assert page.get_attribute("#lab-permalink", "href") == url
    shown = "".join(page.text_content("#lab-numbers").split())
    # the permalink opens the same state
    again = open_lab(page, url)
    assert again["knobs"][name] == pytest.approx(value)
    assert page.input_value(f"#knob-{name}-value") in (str(value), str(again["knobs"][name]))
    assert "".join(page.text_content("#lab-numbers").split()) == shown


@pytest.mark.parametrize("slug", SLUGS)
def test_lab_plays_and_speaks_chinese(page, slug: str) -> None:
    data = open_lab(page, f"/labs/{slug}")
    playing = [f for f in data["words"]["figures"] if f.get("play")]
    if playing:
        fid = playing[0]["id"]
        label = page.locator(f"[data-frame-label='{fid}']")
        last = label.text_content()
        page.click(f"[data-play='{fid}']")
        wait_until(
            page,
            "([sel, last]) => document.querySelector(sel).textContent !== last",
            arg=[f"[data-frame-label='{fid}']", last],
        )
        page.click(f"[data-play='{fid}']")  # pause
    page.click(".lang-btn[data-lang='zh']")
    wait_until(page, "document.documentElement.lang === 'zh-CN'")
    assert page.locator("h1 .i18n-zh").is_visible() and not page.locator("h1 .i18n-en").is_visible()
    fig = data["words"]["figures"][0]
    wait_until(
        page,
        "([id, text]) => document.querySelector('#plot-' + id).textContent.includes(text)",
        arg=[fig["id"], fig["x_title"]["zh"]],
    )
    shot(page, f"lab-{slug}-zh")
    page.click(".lang-btn[data-lang='en']")
    wait_until(page, "document.documentElement.lang === 'en'")


def test_bad_knob_is_shown_in_both_languages(page) -> None:
    open_lab(page, "/labs/running-stats")
    box = page.locator("#knob-batches-value")
    box.fill("100000")
    box.dispatch_event("change")
    wait_until(page, "document.querySelectorAll('#lab-errors .lab-error').length > 0")
    text = page.text_content("#lab-errors")
    assert "batches" in text and "必须" in text  # en and zh spans; CSS shows the page's language
    assert page.locator("#lab-errors .i18n-en").first.is_visible()
    # the browser logs the refused request itself; nothing else may have logged
    page.log.errors[:] = [e for e in page.log.errors if "422" not in e]


@pytest.mark.parametrize("seed", [0, 7])
def test_the_batch_size_explorer_shows_bn_spread_shrinking_and_groupnorm_still(page, seed: int) -> None:
    """Issue 9: as the batch grows from 2 to 64, one sample's BatchNorm output moves less when its batch-mates
    are redrawn; GroupNorm's and LayerNorm's do not move at all. Read from the figure the reader sees."""
    data = open_lab(page, f"/explore/batch-size?seed={seed}&redraws=32")
    assert data["slug"] == "batch-size"
    traces = page.evaluate(
        "() => document.getElementById('plot-spread').data.map(t => ({x: Array.from(t.x), y: Array.from(t.y)}))"
    )
    by_key = dict(
        zip(
            [t["y"] for t in next(f for f in data["words"]["figures"] if f["id"] == "spread")["traces"]],
            traces,
            strict=True,
        )
    )
    bn, gn, ln = by_key["bn_spread"], by_key["gn_spread"], by_key["ln_spread"]
    assert bn["x"] == [2, 4, 8, 16, 32, 64]
    assert bn["y"][0] > 2 * bn["y"][-1] > 0  # at 64 the sample moves less than half as much as at 2
    steps = zip(bn["y"], bn["y"][1:], strict=False)
    assert sum(b < a for a, b in steps) >= len(bn["y"]) - 2  # shrinking, step after step
    assert gn["y"] == [0] * len(gn["y"]) and ln["y"] == [0] * len(ln["y"])  # exactly 0: no batch-mates involved


SUMMARY = "() => document.querySelector('.knobs-summary').textContent"
SHARE_MENU = "window.__shared = []; navigator.share = async (data) => { window.__shared.push(data); };"


@pytest.mark.parametrize("path", ["/labs/batch-size?batch=16", "/labs/train-bn?lr=0.1"])
def test_on_a_phone_a_states_link_opens_the_share_menu(browser, server_url, path) -> None:
    """The "Link to this state" on a touch screen hands the state's link to the system's share menu (a chat, a note)
    instead of reloading the page it is on; the link is the page's own permalink."""
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    context, page = new_page(browser, server_url, **phone)
    try:
        context.add_init_script(SHARE_MENU)
        page.goto(path)
        page.wait_for_selector("body[data-lab-ready='1']", timeout=20_000)
        page.evaluate("() => { window.__stayed = true; }")  # gone if the tap reloads the page
        href = page.get_attribute("#lab-permalink", "href")
        page.tap("#lab-permalink")
        (given,) = wait_until(page, "() => window.__shared.length && window.__shared")
        assert given["url"] == f"{server_url}{href}" and given["url"].startswith(f"{server_url}{path.split('?')[0]}?")
        assert page.evaluate("() => window.__stayed === true")
        assert not page.log.errors
    finally:
        context.close()


def test_on_a_phone_the_knobs_fold_under_a_line_of_their_values(browser, server_url) -> None:
    """The first figure follows the question on the first screen; the line names every knob's value, follows a
    change, Reset and a switch of language; a tap opens the knobs. A desktop shows the knobs and no line."""
    context, page = new_page(browser, server_url, viewport={"width": 390, "height": 844})
    try:
        open_lab(page, "/labs/dropout-bn-variance-shift?lang=en&p=0.3")
        assert page.is_hidden("#knob-p") and page.is_visible(".knobs-toggle")
        assert page.evaluate(SUMMARY).startswith("Dropout probability p 0.3 · Features 8 · ")
        assert page.locator(".lab-figure").first.bounding_box()["y"] < 844  # a figure on the first screen
        page.click(".knobs-toggle")
        assert page.is_visible("#knob-p") and page.get_attribute(".knobs-toggle", "aria-expanded") == "true"
        page.fill("#knob-p-value", "0.7")
        page.press("#knob-p-value", "Enter")
        wait_until(page, f"() => ({SUMMARY})().startsWith('Dropout probability p 0.7 ')")
        page.click(".lang-btn[data-lang=zh]")
        wait_until(page, f"() => ({SUMMARY})().startsWith('Dropout 概率 p 0.7 · 特征数 8')")
        page.click("#lab-reset")
        wait_until(page, f"() => ({SUMMARY})().startsWith('Dropout 概率 p 0.5 ')")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        page.set_viewport_size({"width": 1280, "height": 900})
        assert page.is_hidden(".knobs-toggle") and page.is_visible("#knob-p")
        assert not page.log.errors
    finally:
        context.close()
