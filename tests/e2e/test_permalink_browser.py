"""Permalinks in the browser: change the tensor, the arguments, the step and the language, copy the address,
open it in a fresh browser context: the same numbers, the same step, the same language. Then Share does too.

The page's CSP forbids eval, so every wait_for_function gets a function, never an expression.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import new_page, shot, wait_ready, wait_until

pytestmark = pytest.mark.e2e

TENSOR = "[[1.5, 2.0, -3.0], [4.0, 0.5, 7.0], [2.0, 2.0, 9.0], [0.0, -1.0, 1.0]]"
PERMALINK = re.compile(r"^http://127\.0\.0\.1:\d+/v/1\.[A-Za-z0-9_-]+$")
VIEW_JS = """() => {
  const n = window.normlens;
  return {
    output: n.trace.output,
    mean: n.trace.stats && n.trace.stats.mean,
    params: n.trace.params,
    shape: n.trace.shape,
    view: n.state.view,
    card: document.getElementById("step-card").dataset.stepId,
    title: document.getElementById("step-title").textContent.trim(),
    lang: document.documentElement.dataset.lang,
  };
}"""


def settled(page) -> None:
    """The page is idle and its address bar holds the permalink of what it shows."""
    page.wait_for_function("() => document.getElementById('run-status').dataset.kind !== 'busy'", timeout=15_000)
    page.wait_for_selector("html[data-permalink=current]", state="attached", timeout=15_000)


@pytest.fixture(scope="module")
def edited(browser, server_url):
    """One page, edited: a pasted tensor, two arguments, three steps on, and Chinese."""
    context, page = new_page(browser, server_url)
    page.goto("/explain")
    wait_ready(page)
    page.fill("#input-text", TENSOR)
    page.wait_for_function("() => window.normlens.trace.shape.join(',') === '4,3'", timeout=15_000)
    page.fill("#p-eps", "0.001")
    page.press("#p-eps", "Tab")
    page.fill("#p-gamma", "2, 0.5, 3")
    page.press("#p-gamma", "Tab")
    page.wait_for_function(
        "() => window.normlens.trace.params.eps === 0.001 && !!window.normlens.state.params.gamma",
        timeout=15_000,
    )
    settled(page)
    for _ in range(3):
        page.click("#btn-next")
    page.click(".lang-btn[data-lang=zh]")
    page.wait_for_selector("html[data-lang=zh]")
    settled(page)
    yield context, page
    context.close()


def test_the_address_bar_follows_the_view(edited):
    _, page = edited
    assert PERMALINK.match(page.url), page.url
    view = page.evaluate(VIEW_JS)
    assert view["shape"] == [4, 3] and view["params"]["eps"] == 0.001
    assert view["view"]["step"] == view["card"] != "input"
    assert page.log.errors == []


def test_a_permalink_opens_the_same_view_in_a_fresh_page(browser, server_url, edited):
    _, page = edited
    before = page.evaluate(VIEW_JS)
    context, fresh = new_page(browser, server_url)  # a new context: no shared storage, English preferred
    try:
        fresh.goto(page.url)
        wait_ready(fresh)
        after = fresh.evaluate(VIEW_JS)
        assert after == before
        assert after["lang"] == "zh" and after["output"] and after["mean"]
        assert fresh.locator("#step-card").get_attribute("data-step-id") == before["view"]["step"]
        shot(fresh, "permalink-reopened")
        assert fresh.log.errors == []
    finally:
        context.close()


def test_share_gives_a_short_link_to_the_same_view(browser, server_url, edited):
    _, page = edited
    before = page.evaluate(VIEW_JS)
    page.click("#share-button")
    page.wait_for_selector("#share-url:not([hidden])")
    short = page.input_value("#share-url")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/s/[a-z2-7]{10}", short), short
    assert short in page.text_content("#share-status")
    context, fresh = new_page(browser, server_url)
    try:
        fresh.goto(short)
        wait_ready(fresh)
        assert fresh.evaluate(VIEW_JS) == before
        assert fresh.log.errors == []
    finally:
        context.close()


# the system's share menu, as a phone has it: it records what it was given, or is closed without sharing
SHARE_MENU = """window.__shared = [];
navigator.share = async (data) => {
  window.__shared.push(data);
  if (window.__closeMenu) throw new DOMException("Share canceled", "AbortError");
};"""


@pytest.mark.parametrize("closed", [False, True])
def test_on_a_phone_share_hands_the_short_link_to_the_share_menu(browser, server_url, closed):
    """A touch screen with a share menu gets the short link in it (a chat, a note, in one tap), not a silent
    copy; a menu closed without sharing leaves the link on the page. A desktop copies (the test above)."""
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    context, page = new_page(browser, server_url, **phone)
    try:
        context.add_init_script(SHARE_MENU + ("window.__closeMenu = true;" if closed else ""))
        page.goto("/explain?lang=zh")
        wait_ready(page)
        page.click("#share-button")
        page.wait_for_selector("#share-url:not([hidden])")
        short = page.input_value("#share-url")
        wait_until(page, "() => document.querySelector('#share-status').dataset.kind === 'ok'")
        (given,) = page.evaluate("window.__shared")
        assert given["url"] == short and re.fullmatch(r"http://127\.0\.0\.1:\d+/s/[a-z2-7]{10}", short)
        assert given["title"] == page.title()
        status = page.text_content("#share-status")
        assert status == (f"短链接：{short}" if closed else f"短链接已分享：{short}")
        assert page.log.errors == []
    finally:
        context.close()


def test_an_example_card_opens_its_example(browser, server_url):
    context, page = new_page(browser, server_url)
    try:
        page.goto("/")
        page.click('a[href="/examples/bn-worked-example"]')
        page.wait_for_url("**/examples/bn-worked-example")
        wait_ready(page)
        assert page.is_visible("#example-note")
        # an example plays once, from the input up to the step it is about, then stops there
        assert page.get_attribute("#btn-play", "aria-pressed") == "true"
        wait_until(
            page,
            "() => window.normlens.state.view.step === 'mean'"
            " && document.getElementById('btn-play').getAttribute('aria-pressed') === 'false'",
            timeout=20,
        )
        view = page.evaluate(VIEW_JS)
        assert view["view"]["step"] == "mean" and view["shape"] == [2, 2, 2, 2]
        assert view["mean"] == [4.5, 1.375]  # channel 1: (1+2+...+8)/8; channel 2: (2+0+1+1+0+3+2+2)/8
        assert page.log.errors == []
    finally:
        context.close()
