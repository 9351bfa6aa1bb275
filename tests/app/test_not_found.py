"""app/not_found.py: a browser at an address with no page gets a page in its language with the nearest address
that exists; a program and the API's paths keep their JSON 404."""

from __future__ import annotations

import doctest
import re

import pytest
from fastapi.testclient import TestClient

from normlens.app import not_found
from normlens.app.examples import EXAMPLES

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}  # as Chromium asks


def suggested(html: str) -> str | None:
    found = re.search(r'class="link-error-suggest">.*?<a href="([^"]+)"', html)
    return found.group(1) if found else None


@pytest.mark.parametrize(
    ("path", "nearest"),
    [
        ("/labs/batchsize", "/labs/batch-size"),
        ("/labs/sync_bn", "/labs/sync-bn"),
        ("/labs/train_bn", "/labs/train-bn"),  # a training lab
        ("/exlpain", "/explain"),
        ("/LABS", "/labs"),
        ("/examples/bn-worked-exampel", "/examples/bn-worked-example"),  # the example route's own refusal
        ("/nothing-like-any-page", None),
        ("/" + "a" * 5000, None),
    ],
)
def test_a_browser_gets_a_page_with_the_nearest_address(client: TestClient, path: str, nearest: str | None) -> None:
    r = client.get(path, headers=HTML, follow_redirects=False)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert 'class="link-error"' in r.text and suggested(r.text) == nearest
    if nearest is not None:
        assert client.get(nearest).status_code == 200  # the suggestion is a page that opens


def test_the_page_names_the_address_in_both_languages_escaped_and_cut(client: TestClient) -> None:
    r = client.get("/labs/%3Cscript%3Ealert(1)%3C%2Fscript%3E", headers=HTML)
    assert r.status_code == 404 and "<script>alert" not in r.text
    assert "There is no page at “/labs/&lt;script&gt;alert(1)&lt;/script&gt;”" in r.text
    assert "「/labs/&lt;script&gt;alert(1)&lt;/script&gt;」没有对应的页面" in r.text
    zh = client.get("/exlpain?lang=zh", headers=HTML).text
    assert '<html lang="zh-CN"' in zh and "最接近的页面：" in zh
    long = client.get("/" + "b" * 300, headers=HTML).text
    assert "/" + "b" * (not_found.SHOWN - 1) + "…" in long and "b" * not_found.SHOWN not in long
    for odd in ("/%ff", "/%ED%A0%80", "/labs/%00"):  # bytes that are not UTF-8, a lone surrogate, a NUL
        assert client.get(odd, headers=HTML).status_code == 404


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/labs/batchsize", {}),  # a program: no text/html in Accept
        ("/labs/batchsize", {"accept": "application/json"}),
        ("/api/v1/nothing", HTML),  # the API's paths answer in JSON whoever asks
        ("/api/v1/links/aaaaaaaaaa", HTML),
        ("/static/js/nothing.js", HTML),
    ],
)
def test_programs_and_the_api_keep_their_json(client: TestClient, path: str, headers: dict[str, str]) -> None:
    r = client.get(path, headers=headers)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
    assert {"msg", "msg_zh"} <= set(r.json()["detail"][0])


def test_every_page_it_knows_opens() -> None:
    pages = not_found.pages()
    assert {"/", "/explain", "/compare", "/examples", "/labs", "/labs/batch-size", "/labs/optimizers"} <= set(pages)
    assert {f"/examples/{e.slug}" for e in EXAMPLES} <= set(pages)


def test_every_listed_page_opens(client: TestClient) -> None:
    for path in not_found.pages():
        assert client.get(path).status_code == 200, path


def test_the_modules_examples_hold() -> None:
    assert doctest.testmod(not_found).failed == 0
