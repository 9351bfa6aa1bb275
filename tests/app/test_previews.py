"""app/previews.py: a link to a lab or a training lab previews with the lab's title and question, in the page's
language; a page with no preview of its own gets the site's, and a shared view keeps its own."""

from __future__ import annotations

import doctest
import html
import re

import pytest
from fastapi.testclient import TestClient

from normlens.app import previews, train_pages
from normlens.app.labs import index
from tests.app.lab_helpers import SLUGS

TAG = re.compile(r'<meta (?:property|name)="((?:og|twitter):\w+|description)" content="([^"]*)">')


def tags(page: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in TAG.findall(page)}


def cards() -> dict[str, dict]:
    labs = {c["slug"]: c for c in index()}
    return labs | {s: train_pages.lesson(s) for s in train_pages.slugs()}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("slug", [*SLUGS, *train_pages.slugs()])
def test_a_lab_link_previews_with_its_title_and_question(client: TestClient, slug: str, lang: str) -> None:
    card, meta = cards()[slug], tags(client.get(f"/labs/{slug}?lang={lang}").text)
    assert meta["og:title"] == f"{card['title'][lang]} · NormLens" and meta["og:type"] == "article"
    question = " ".join(card["question"][lang].split())
    assert meta["og:description"] == previews.shortened(question) == meta["description"]
    assert len(meta["og:description"]) <= previews.LONGEST and question.startswith(meta["og:description"][:40])
    assert meta["og:url"].startswith(f"/labs/{slug}") and meta["og:locale"] == ("zh_CN" if lang == "zh" else "en_US")


@pytest.mark.parametrize("path", ["/", "/explain", "/compare", "/labs", "/examples"])
def test_other_pages_preview_as_the_site(client: TestClient, path: str) -> None:
    meta = tags(client.get(f"{path}?lang=zh").text)
    assert meta["og:title"] == "NormLens" and meta["og:type"] == "website" and "og:url" not in meta
    assert "BatchNorm" in meta["og:description"] and re.search(r"[\u4e00-\u9fff]", meta["og:description"])


def test_an_example_keeps_its_own_preview(client: TestClient) -> None:
    meta = tags(client.get("/examples/bn-worked-example?lang=en").text)
    assert meta["og:title"].startswith("BatchNorm step by step") and meta["og:url"] == "/examples/bn-worked-example"
    assert meta["description"] == meta["og:description"]


def test_a_long_question_is_cut_after_a_word() -> None:
    assert previews.shortened("a  b\n c") == "a b c"
    words = previews.shortened("word " * 100)
    assert len(words) <= previews.LONGEST and words.endswith("word…")
    chinese = previews.shortened("中" * 300)
    assert len(chinese) == previews.LONGEST and chinese.endswith("中…")
    assert doctest.testmod(previews).failed == 0
