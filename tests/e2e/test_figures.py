"""The figures move between steps: during a step transition on /explain the tensor view's cells (square markers,
since Plotly.animate cannot tween a heatmap) travel across the screen, frame by frame; with reduced motion the
same step jumps. Positions are read from the DOM on every animation frame (requestAnimationFrame)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import new_page, shot, wait_ready, wait_until

pytestmark = pytest.mark.e2e

# Click a step in the rail and record, on every animation frame for `ms`, the on-screen centre of one cell of
# the tensor view (the cells are the second scatter trace: pale slots, cells, colour bar), from the figure's
# top left corner.
SAMPLE = """async ([id, k, ms]) => {
    const cell = () => {
        const traces = document.querySelectorAll('#plot-tensor .scatterlayer .trace');
        const p = traces[1]?.querySelectorAll('.points path')[k];
        if (!p) return null;
        // on screen, from the figure's corner: the step's text above it may change height with the step
        const r = p.getBoundingClientRect();
        const o = document.getElementById('plot-tensor').getBoundingClientRect();
        const at = (v) => Math.round(v * 10) / 10;
        return [at(r.left + r.width / 2 - o.left), at(r.top + r.height / 2 - o.top)];
    };
    const samples = [cell()];
    const i = window.normlens.trace.steps.findIndex((s) => s.id === id);
    document.querySelector(`.rail-step[data-index='${i}']`).click();
    const t0 = performance.now();
    await new Promise((resolve) => {
        const tick = () => {
            samples.push(cell());
            if (performance.now() - t0 < ms) requestAnimationFrame(tick);
            else resolve();
        };
        requestAnimationFrame(tick);
    });
    return samples;
}"""


CLICK_STEP = """(id) => {
    const i = window.normlens.trace.steps.findIndex((s) => s.id === id);
    document.querySelector(`.rail-step[data-index='${i}']`).click();
}"""
CELLS = "document.querySelectorAll('#plot-tensor .scatterlayer .trace')[1].querySelectorAll('.points path').length"


def at_step(page, step_id: str) -> None:
    page.evaluate(CLICK_STEP, step_id)
    page.wait_for_selector(f'#step-card[data-step-id="{step_id}"]')
    wait_until(page, "document.getElementById('plot-tensor').dataset.moving === ''")
    page.wait_for_timeout(100)


def open_explain(browser, server_url, **context_args):
    viewport = {"width": 1280, "height": 900}
    context, page = new_page(browser, server_url, viewport=viewport, locale="en-US", **context_args)
    page.goto("/explain")
    wait_ready(page)
    page.select_option("#speed", "0.5")  # a 1.4 s transition: frames land inside it even on a busy machine
    return context, page


def test_a_cell_travels_into_its_group_tile_and_back(browser, server_url):
    context, page = open_explain(browser, server_url)
    assert page.get_attribute("#plot-tensor", "data-mode") == "values"
    assert page.evaluate("document.querySelectorAll('#plot-tensor .heatmaplayer image').length") == 0
    n = page.evaluate("window.normlens.trace.steps[0].values.flat(3).length")
    assert page.evaluate(CELLS) == n
    at_step(page, "input")
    for step_id in ("mean", "centered"):
        samples = [s for s in page.evaluate(SAMPLE, [step_id, 0, 2200]) if s]
        start, end = samples[0], samples[-1]
        assert start != end, f"{step_id}: the cell did not move"
        lo, hi = sorted((start[1], end[1]))
        between = [s for s in samples if s not in (start, end) and lo - 1 <= s[1] <= hi + 1]
        assert between, f"{step_id}: the cell jumped from {start} to {end} with no frame in between"
        if step_id == "mean":
            assert page.get_attribute("#plot-tensor", "data-mode") == "stat"
            shot(page, "figures-mean-gathered")
    # back from the tile: the cell is home again, where it was on the input step
    assert samples[-1] == page.evaluate(SAMPLE, ["input", 0, 1800])[-1]
    assert page.log.errors == []
    context.close()


def test_reduced_motion_jumps(browser, server_url):
    context, page = open_explain(browser, server_url, reduced_motion="reduce")
    at_step(page, "input")
    samples = [s for s in page.evaluate(SAMPLE, ["mean", 0, 1500]) if s]
    start, end = samples[0], samples[-1]
    assert start != end  # the cell did go to its group's tile...
    assert set(map(tuple, samples)) == {tuple(start), tuple(end)}  # ...in one jump
    assert page.get_attribute("#plot-tensor", "data-mode") == "stat"
    assert page.log.errors == []
    context.close()
