"""The home and examples pages (static/js/home.js): the language the address names stays, whatever the browser's;
without one, the remembered or the browser's choice applies."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import new_page, wait_until


@pytest.mark.parametrize("path", ["/?lang=zh", "/examples?lang=zh"])
def test_a_link_in_chinese_opens_in_chinese_in_an_english_browser(browser, server_url, path) -> None:
    context, page = new_page(browser, server_url, locale="en-US", viewport={"width": 390, "height": 844})
    try:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("() => document.documentElement.lang") == "zh-CN"
        assert page.evaluate("() => navigator.language") == "en-US"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in page.text_content("h1"))
        assert not page.log.errors
    finally:
        context.close()


def test_without_lang_in_the_address_the_browsers_language_applies(browser, server_url) -> None:
    context, page = new_page(browser, server_url, locale="zh-CN", extra_http_headers={"Accept-Language": "en"})
    try:
        page.goto("/")  # the server answers in English (Accept-Language), the page switches to the browser's
        wait_until(page, "() => document.documentElement.lang === 'zh-CN'")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in page.text_content("h1"))
        assert not page.log.errors
    finally:
        context.close()


@pytest.mark.parametrize("width, rows", [(390, 2), (1440, 1)])
def test_the_four_cubes_stand_two_by_two_on_a_phone_and_in_a_row_on_a_desktop(browser, server_url, width, rows):
    """On a phone each row shows half of the figure (two cubes), so its labels are read at twice the size."""
    context, page = new_page(browser, server_url, viewport={"width": width, "height": 900})
    try:
        page.goto("/?lang=en")
        shown = page.evaluate(
            """() => [...document.querySelectorAll('.sets img')].map(i => i.getBoundingClientRect())
                 .filter(r => r.width > 0).map(r => [r.top, r.width, r.height])"""
        )
        assert len(shown) == rows
        for _top, w, h in shown:
            assert abs(w / h - (377 / 185 if rows == 2 else 754 / 185)) < 0.02
        assert rows == 1 or shown[1][0] > shown[0][0] + shown[0][2]  # the second half below the first
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        assert not page.log.errors
    finally:
        context.close()
