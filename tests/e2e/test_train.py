"""The training lab's pages in Chromium: figures grow while the runs stream, Stop stops the server's jobs, a
permalink reopens the same configuration, and the page reads in Chinese."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.e2e.conftest import new_page, wait_until

pytestmark = pytest.mark.e2e

POINTS = "() => document.getElementById('plot-loss')?.data?.[1]?.x?.length || 0"


def jobs(server_url: str) -> dict:
    with urllib.request.urlopen(server_url + "/api/v1/train/jobs", timeout=10) as r:
        return json.loads(r.read())


def test_figures_grow_as_the_stream_arrives_and_stop_stops_the_server_jobs(browser, server_url) -> None:
    context, page = new_page(browser, server_url, viewport={"width": 1440, "height": 900})
    try:
        page.goto("/labs/train-bn?steps=3000&lr=0.5")  # long enough to be stopped halfway
        wait_until(page, POINTS, timeout=60)
        first = page.evaluate(POINTS)
        wait_until(page, f"() => ({POINTS})() > {first}", timeout=60)  # more points arrived: it animates
        assert jobs(server_url)["running"] >= 1
        page.click("#train-stop")
        wait_until(page, "() => document.querySelector('[data-status=bn]').dataset.i18n === 'train.stopped'", 20)
        for _ in range(100):
            if jobs(server_url)["running"] == 0:
                break
            page.wait_for_timeout(100)
        assert jobs(server_url)["running"] == 0  # the closed streams stopped the server's runs
        stopped_at = page.evaluate(POINTS)
        page.wait_for_timeout(1500)
        assert page.evaluate(POINTS) == stopped_at < 300
        assert not page.log.errors
        assert all(u.startswith(server_url) or u.startswith("data:") for u in page.log.requests)
    finally:
        context.close()


def test_a_permalink_reopens_the_same_configuration_in_chinese(browser, server_url) -> None:
    context, page = new_page(browser, server_url, viewport={"width": 390, "height": 844})
    try:
        page.goto("/labs/l1-vs-l2?strength=0.01&steps=60&seed=5&lang=zh")
        assert page.input_value("#knob-strength-value") == "0.01"
        assert page.input_value("#knob-steps-value") == "60"
        assert "L1 与 L2" in page.text_content("h1")
        wait_until(page, "() => document.querySelector('[data-status=prox]').dataset.i18n === 'train.done'", 90)
        done = page.text_content("[data-status=prox]")
        assert "完成" in done
        view = page.evaluate("() => JSON.parse(document.getElementById('train-config').textContent).view")
        assert view["permalink"] == "/labs/l1-vs-l2?strength=0.01&lr=0.1&steps=60&seed=5"
        assert next(r for r in view["runs"] if r["id"] == "prox")["body"]["l1"] == 0.01
        box = page.locator("#plot-weights").bounding_box()
        assert box is not None and box["y"] < 844  # on a phone the figures come first
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        assert not page.log.errors
    finally:
        context.close()
