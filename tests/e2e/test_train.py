"""The training lab's pages in Chromium: figures grow while the runs stream, Stop stops the server's jobs, a
permalink reopens the same configuration, the page reads in Chinese, and a sweep runs on request and is put
back when the knobs change."""

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
        assert box is not None and box["y"] < 844  # on a phone the knobs fold: a figure on the first screen
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        assert not page.log.errors
    finally:
        context.close()


def status_of(page, selector: str) -> dict:
    script = "(s) => { const e = document.querySelector(s); return {key: e.dataset.i18n, text: e.textContent}; }"
    return page.evaluate(script, selector)


def test_a_sweep_runs_on_request_keeps_its_numbers_across_languages_and_a_knob_change_puts_it_back(
    browser, server_url
) -> None:
    context, page = new_page(browser, server_url, viewport={"width": 1440, "height": 900})
    sweep, plot = "[data-sweep-status=lr]", "#plot-sweep-lr"
    try:
        page.goto("/labs/train-bn?lang=en&steps=200")
        assert page.is_hidden(plot) and page.is_hidden("[data-sweep-progress=lr]")  # no empty frame before a run
        assert status_of(page, sweep)["text"].startswith("14 short trainings of 200 steps each")
        wait_until(page, "() => document.body.dataset.labReady === '1' && !document.body.dataset.training", 90)
        page.click("[data-sweep-run=lr]")
        assert page.is_disabled("[data-sweep-run=lr]")  # one sweep at a time
        wait_until(page, f"() => document.querySelector('{sweep}').dataset.i18n === 'train.sweep_done'", 120)
        lengths = f"() => document.querySelector('{plot}').data.map(d => d.x.length).join()"
        wait_until(page, f"() => ({lengths})() === '7,7'", 5)  # both networks, seven learning rates (next frame)
        assert page.is_enabled("[data-sweep-run=lr]") and page.is_visible(plot)
        page.click(".lang-btn[data-lang=zh]")
        wait_until(page, "() => document.documentElement.lang === 'zh-CN'")
        done = status_of(page, sweep)["text"]
        assert done.startswith("14 次训练，用时 ") and "{" not in done, done  # the same numbers, in Chinese
        runs = page.evaluate("() => [...document.querySelectorAll('[data-status]')].map(e => e.textContent)")
        assert all(r.startswith("完成，用时 ") and "{" not in r for r in runs), runs
        page.select_option("#knob-activation", "relu")  # another question: the sweep's answer no longer holds
        wait_until(page, f"() => document.querySelector('{sweep}').dataset.i18n === 'train.sweep_plan'", 20)
        assert page.is_hidden(plot) and status_of(page, sweep)["text"].startswith("共 14 次短训练，每次 200 步")
        assert not page.log.errors
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/labs/optimizers?lang=zh&steps=50", "/labs/running-stats?lang=zh"])
def test_the_pytorch_script_copies_to_the_clipboard(browser, server_url, path) -> None:
    """On a training page (train.js) and a lab page (lab.js): one button, static/js/copy_button.js."""
    context, page = new_page(browser, server_url, viewport={"width": 390, "height": 844})
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server_url)
        page.goto(path)
        wait_until(page, "() => document.getElementById('lab-code').textContent.includes('import torch')", 90)
        page.click("#lab-torch summary")
        page.click("#lab-copy")
        wait_until(page, "() => document.getElementById('lab-copy').textContent === '已复制'", 5)  # once written
        assert page.evaluate("() => navigator.clipboard.readText()") == page.text_content("#lab-code")
        wait_until(page, "() => document.getElementById('lab-copy').textContent === '复制'", 5)
        assert not page.log.errors
    finally:
        context.close()


def test_stop_stops_a_sweep_too(browser, server_url) -> None:
    context, page = new_page(browser, server_url, viewport={"width": 1440, "height": 900})
    sweep = "[data-sweep-status=ablation]"
    try:
        page.goto("/labs/train-bn?lang=en&steps=100")
        wait_until(page, "() => document.body.dataset.labReady === '1' && !document.body.dataset.training", 90)
        assert page.is_disabled("#train-stop")  # the runs are done: nothing to stop
        page.click("[data-sweep-run=ablation]")  # five LeNet trainings, a few seconds
        assert page.is_enabled("#train-stop")
        wait_until(page, "() => document.querySelector('[data-sweep-progress=ablation]').value >= 1", 60)
        page.click("#train-stop")
        wait_until(page, f"() => document.querySelector('{sweep}').dataset.i18n === 'train.stopped'", 20)
        assert page.is_enabled("[data-sweep-run=ablation]") and page.is_disabled("#train-stop")
        for _ in range(100):
            if jobs(server_url)["running"] == 0:
                break
            page.wait_for_timeout(100)
        assert jobs(server_url)["running"] == 0
        assert page.evaluate("() => document.querySelector('[data-sweep-progress=ablation]').value") < 5
        assert not page.log.errors
    finally:
        context.close()
