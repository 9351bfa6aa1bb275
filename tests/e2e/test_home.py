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
