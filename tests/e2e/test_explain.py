"""The explain page in Chromium: paste, step, switch layer and language, fit a phone, stay on our origin.

The checks of this module share one page (Plotly is parsed once); they run in file order and each leaves the
page at the default BatchNorm example in English.
"""

from __future__ import annotations

import contextlib
import json
import re

import pytest

from normlens.app.examples import EXAMPLES
from tests.e2e.conftest import PASTED, new_page, shot, wait_ready, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def explain(browser, server_url):
    context, page = new_page(browser, server_url, viewport={"width": 1280, "height": 900}, locale="en-US")
    page.goto("/explain")
    wait_ready(page)
    yield page
    context.close()


@contextlib.contextmanager
def own_explain_page(browser, server_url):
    """/explain in English on a page of its own: a test whose requests answer 422 (Chromium logs each as a
    console error) must not run on the shared page."""
    context, page = new_page(browser, server_url, viewport={"width": 1280, "height": 900}, locale="en-US")
    try:
        page.goto("/explain")
        yield page
    finally:
        context.close()


def steps(page) -> list[str]:
    return page.evaluate("window.normlens.trace.steps.map(s => s.id)")


def current(page) -> str:
    return page.get_attribute("#step-card", "data-step-id")


def go_home(page) -> None:
    page.locator("#lesson-title").click()  # focus on the page, not on a field
    page.keyboard.press("Home")
    page.wait_for_selector('#step-card[data-step-id="input"]')


def table_values(page, role: str = "value") -> list[float]:
    return [
        float(v)
        for v in page.locator(f'#numbers-table td[data-role="{role}"]').evaluate_all(
            "cells => cells.map(c => c.dataset.value)"
        )
    ]


def flat(nested) -> list[float]:
    out: list[float] = []

    def walk(v):
        if isinstance(v, list):
            for x in v:
                walk(x)
        else:
            out.append(float(v))

    walk(nested)
    return out


def test_first_view_is_the_default_example(explain):
    page = explain
    assert page.locator("#lesson-title").inner_text() == "nn.BatchNorm2d, step by step"
    assert current(page) == "input"
    assert page.locator("#step-formula math").count() == 1
    assert page.locator("#step-numbers math").count() == 1
    assert page.locator("#plot-tensor .main-svg").count() >= 1
    shot(page, "explain-desktop")


def test_the_clamped_layer_description_opens_from_the_keyboard(explain):
    """The set-up panel shows four lines of the layer's description; hovering showed the rest, a keyboard or
    a tap could not (the paragraph took no focus)."""
    desc = explain.locator("#layer-desc")
    clamped = "e => e.scrollHeight > e.clientHeight + 1"
    assert desc.evaluate(clamped)
    desc.focus()
    assert not desc.evaluate(clamped)
    desc.blur()


def test_a_pasted_tensor_of_another_shape_keeps_only_the_arguments_that_fit_it(browser, server_url):
    """LayerNorm starts on the opening (2, 3, 4, 4) tensor with normalized_shape [3, 4, 4]; a pasted (4, 3) one
    is traced with PyTorch's default (its last axis), not refused for the old argument. (A page of its own: the
    module's page is shared by the tests after this one.)"""
    context, page = new_page(browser, server_url, viewport={"width": 1280, "height": 900}, locale="en-US")
    page.goto("/explain")
    wait_ready(page)
    page.select_option("#layer", "layer_norm")
    wait_until(page, "window.normlens.trace.layer === 'layer_norm'")
    assert page.input_value('[data-param="normalized_shape"]') == "3, 4, 4"
    page.fill("#input-text", "[[1.5, -0.2, 3.1], [0.4, 2.2, -1.0], [2.8, 0.9, 0.3], [-0.6, 1.7, 2.5]]")
    wait_until(page, "window.normlens.trace.shape.join() === '4,3'")
    assert page.evaluate("window.normlens.trace.params.normalized_shape") == [3]
    assert page.input_value('[data-param="normalized_shape"]') == ""
    assert page.locator("#params-form .field-error:not([hidden]), #params-form [aria-invalid=true]").count() == 0
    context.close()


def test_pasted_torch_printout_gives_the_api_numbers(explain):
    page = explain
    page.fill("#input-text", PASTED)
    page.wait_for_selector('#input-feedback[data-kind="ok"]:has-text("2 × 2 × 2 × 3")')
    wait_until(page, "window.normlens.trace.shape.join() === '2,2,2,3'")
    page.locator("#lesson-title").click()
    page.keyboard.press("End")
    last_forward = [s for s in page.evaluate("window.normlens.trace.steps") if s["phase"] == "forward"][-1]["id"]
    # End goes to the last step; the output is the last forward step (running_var follows output in training)
    ids = steps(page)
    for _ in range(len(ids) - 1 - ids.index("output")):
        page.keyboard.press("ArrowLeft")
    page.wait_for_selector('#step-card[data-step-id="output"]')
    assert last_forward in ids
    page.check("#numbers-all")
    shown = table_values(page)

    api = page.request.post(
        "/api/v1/trace",
        data=json.dumps({"layer": "batch_norm", "input": {"text": PASTED}, "dtype": "float32"}),
        headers={"content-type": "application/json"},
    ).json()
    assert shown == flat(api["output"])  # exactly: the page shows the API's numbers, nothing recomputed
    assert table_values(page, "input") == flat(api["steps"][0]["values"])
    # the substituted formula ends with the selected cell's output, rounded for reading
    cell = page.evaluate("window.normlens.state.ui.cell")
    printed = float(page.locator("#step-numbers").text_content().split("=")[-1].replace("\u2212", "-"))
    assert printed == pytest.approx(shown[cell], rel=1e-3, abs=1e-4)
    page.uncheck("#numbers-all")
    shot(page, "explain-pasted-output")


def test_keyboard_steps_through_every_step(explain):
    page = explain
    go_home(page)
    ids = steps(page)
    seen = [current(page)]
    for _ in ids[1:]:
        page.keyboard.press("ArrowRight")
        seen.append(current(page))
    assert seen == ids
    page.keyboard.press("ArrowRight")  # past the end: stays
    assert current(page) == ids[-1]
    page.keyboard.press("ArrowLeft")
    assert current(page) == ids[-2]
    go_home(page)
    page.keyboard.press("Space")
    assert page.get_attribute("#btn-play", "aria-pressed") == "true"
    wait_until(page, "document.querySelector('#step-card').dataset.stepId !== 'input'", timeout=5)
    page.keyboard.press("Space")
    assert page.get_attribute("#btn-play", "aria-pressed") == "false"
    assert current(page) in ids[1:]


def test_steps_animate_between_frames(explain):
    """Centered to normalized: the strip figure moves its points with Plotly.animate, not a redraw."""
    page = explain
    go_home(page)
    page.locator(".rail-step", has_text="Centered").click()
    page.wait_for_selector('#plot-story[data-key="strip:forward"][data-step="centered"]')
    page.wait_for_timeout(300)
    ms = page.evaluate(
        """() => new Promise(resolve => {
            const gd = document.getElementById('plot-story');
            const t0 = performance.now();
            gd.once('plotly_animated', () => resolve(performance.now() - t0));
            setTimeout(() => resolve(-1), 4000);
            [...document.querySelectorAll('.rail-step')].find(b => b.textContent.includes('Standardized')).click();
        })"""
    )
    assert current(page) == "normalized"
    assert ms > 0, "no plotly_animated event: the step was redrawn instead of animated"
    print(f"\nstep transition (Plotly.animate, 650 ms at speed 1) completed in {ms:.0f} ms")


def test_layer_norm_highlights_a_different_group(explain):
    page = explain
    go_home(page)
    bn_cells = page.locator("#numbers-table tbody tr").evaluate_all("rows => rows.map(r => +r.dataset.index)")
    bn_group = page.get_attribute("#plot-tensor", "data-group")
    page.select_option("#layer", "layer_norm")
    wait_until(page, "window.normlens.trace.layer === 'layer_norm'")
    page.wait_for_selector("#lesson-title:has-text('LayerNorm')")
    ln_cells = page.locator("#numbers-table tbody tr").evaluate_all("rows => rows.map(r => +r.dataset.index)")
    assert set(bn_cells) != set(ln_cells)
    # BatchNorm2d: a channel across the batch; LayerNorm([C, H, W]): one whole sample
    shape = page.evaluate("window.normlens.trace.shape")
    assert len(ln_cells) == shape[1] * shape[2] * shape[3]
    assert len(bn_cells) == shape[0] * shape[2] * shape[3]
    page.locator(".rail-step", has_text="Grouping").click()
    page.wait_for_selector('#plot-story[data-key="sets"]')
    shot(page, "explain-layernorm-grouping")
    assert bn_group is not None
    page.select_option("#layer", "batch_norm")
    wait_until(page, "window.normlens.trace.layer === 'batch_norm'")


def test_clicking_a_cell_selects_its_group(explain):
    page = explain
    go_home(page)
    wait_until(page, "window.normlens.trace.layer === 'batch_norm'")
    # the top-right cell of the mosaic is in the last channel; find its pixel position from Plotly's axes
    x, y = page.evaluate(
        """() => {
            const gd = document.getElementById('plot-tensor');
            const fl = gd._fullLayout, box = gd.getBoundingClientRect();
            // the cells: a heatmap's grid, or scatter markers at the cells' centres (figures that tween)
            const tr = gd.data.find(d => d.name === 'tensor') || gd.data[0];
            const px = (x, y) => [
              box.left + fl.xaxis._offset + fl.xaxis.d2p(x), box.top + fl.yaxis._offset + fl.yaxis.d2p(y),
            ];
            if (tr.z) return px(tr.z[0].length - 1, 0);
            const pts = tr.x.map((x, i) => (x === null ? null : px(x, tr.y[i]))).filter(Boolean);
            const right = Math.max(...pts.map(q => q[0]));
            return pts.filter(q => q[0] > right - 1).sort((a, b) => a[1] - b[1])[0];  // top-right on screen
        }"""
    )
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    wait_until(page, "window.normlens.state.view.group !== 0")
    c = page.evaluate("window.normlens.trace.shape[1]")
    assert page.evaluate("window.normlens.state.view.group") == c - 1
    assert f"C={c - 1}" in page.inner_text("#numbers-table caption")


def test_backward_pass_and_dropout(explain):
    page = explain
    page.check("#backward")
    wait_until(page, "window.normlens.trace.steps.some(s => s.phase === 'backward')")
    page.locator(".rail-step", has_text="Gradient of the input").click()
    page.wait_for_selector('#step-card[data-step-id="dinput"]')
    shot(page, "explain-backward")
    page.select_option("#layer", "dropout")
    wait_until(page, "window.normlens.trace.layer === 'dropout'")
    page.locator(".rail-step", has_text=re.compile("Rescale|Output")).first.click()
    page.wait_for_selector('#plot-story[data-key="dropout:forward"]')
    shot(page, "explain-dropout")
    page.uncheck("#backward")
    page.select_option("#layer", "batch_norm")
    wait_until(page, "window.normlens.trace.layer === 'batch_norm' && !window.normlens.trace.grads")


def test_an_example_whose_address_names_chinese_stays_chinese_in_an_english_browser(browser, server_url):
    """A teacher's link /examples/...?lang=zh, opened by a student whose browser is English: the server drew it
    in Chinese and the page's scripts switched it to English."""
    context, page = new_page(browser, server_url, viewport={"width": 1280, "height": 900}, locale="en-US")
    try:
        page.goto("/examples/dropout-train?lang=zh")
        wait_ready(page)
        page.wait_for_timeout(500)  # past the start-up's language check
        assert page.get_attribute("html", "lang") == "zh-CN"
        assert re.search(r"[\u4e00-\u9fff]", page.inner_text("#step-title"))
        assert re.search(r"[\u4e00-\u9fff]", page.inner_text("#fig-story-caption"))
    finally:
        context.close()


def test_chinese_is_remembered(explain):
    page = explain
    title_en = page.inner_text("#step-title")
    before = page.url
    page.click('.lang-btn[data-lang="zh"]')
    page.wait_for_selector('html[lang="zh-CN"]')
    assert page.inner_text("#step-title") != title_en
    assert re.search(r"[\u4e00-\u9fff]", page.inner_text("#step-title"))
    assert page.inner_text("#numbers-heading") == "数值"
    shot(page, "explain-zh")
    wait_until(page, "location.href !== " + json.dumps(before))  # the address bar follows the view (permalink)
    page.reload()
    wait_ready(page)
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert re.search(r"[\u4e00-\u9fff]", page.inner_text("#setup-heading"))
    page.goto("/explain")  # a fresh visit: the choice is remembered
    wait_ready(page)
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.inner_text("#numbers-heading") == "数值"
    page.click('.lang-btn[data-lang="en"]')
    page.wait_for_selector('html[lang="en"]')
    assert page.inner_text("#numbers-heading") == "Numbers"


def test_without_plotly_the_text_is_all_there(browser, server_url):
    """Our modules render the lesson's text and numbers on their own; Plotly only adds the figures."""
    context, page = new_page(browser, server_url, viewport={"width": 1024, "height": 800})
    page.route("**/static-vendor/**", lambda route: route.abort())
    page.goto("/explain")
    page.wait_for_selector("#numbers-table table")
    page.wait_for_selector(".plot-loading:has-text('could not be loaded')")
    assert page.locator("#step-formula math").count() == 1
    assert page.locator("#numbers-table td[data-value]").count() > 0
    page.locator("#lesson-title").click()
    page.keyboard.press("ArrowRight")
    assert current(page) == "grouping"
    assert [e for e in page.log.errors if "pageerror" in e] == []
    context.close()


def test_phone_has_no_horizontal_scroll(browser, server_url):
    context, page = new_page(
        browser, server_url, viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True
    )
    for path in ("/explain", "/"):
        page.goto(path)
        if path == "/explain":
            wait_ready(page)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 375, path
    page.goto("/explain")
    wait_ready(page)
    # nor inside a card: the parameter counts' four columns once cut off the tensors' names (now a card per row)
    fits = "[...document.querySelectorAll('#counts, #numbers-table')].map(e => e.scrollWidth - e.clientWidth)"
    assert page.evaluate(fits) == [0, 0]
    shot(page, "phone-explain", full_page=True)
    page.click("#setup-toggle")
    assert page.locator("#input-text").is_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 375
    shot(page, "phone-setup-open")
    assert page.log.errors == []
    context.close()


def test_autoplay_plays_once(browser, server_url):
    context, page = new_page(browser, server_url, viewport={"width": 1024, "height": 800})
    page.goto("/explain?autoplay=1")
    wait_ready(page)
    assert page.get_attribute("#btn-play", "aria-pressed") == "true"
    wait_until(page, "document.querySelector('#step-card').dataset.stepId !== 'input'", timeout=5)
    context.close()


CASES = [
    {"layer": "batch_norm", "input": {"random": {"shape": [2, 3, 2, 2]}}},
    {"layer": "batch_norm", "input": {"random": {"shape": [3, 2, 2]}}, "params": {"layout": "channels_last"}},
    {"layer": "batch_norm", "input": {"random": {"shape": [2, 2, 2, 3, 2]}}},
    {"layer": "layer_norm", "input": {"random": {"shape": [2, 3, 4]}}},
    {"layer": "layer_norm", "input": {"random": {"shape": [2, 3, 2, 2]}}, "params": {"normalized_shape": [2, 2]}},
    {"layer": "group_norm", "input": {"random": {"shape": [2, 6, 3]}}, "params": {"num_groups": 3}},
    {"layer": "instance_norm", "input": {"random": {"shape": [2, 3, 4]}}},
    {"layer": "rms_norm", "input": {"random": {"shape": [5]}}},
    {"layer": "dropout", "input": {"random": {"shape": [2, 3, 2]}}, "params": {"variant": "channel"}},
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['layer']}-{c['input']['random']['shape']}")
def test_page_modules_agree_with_the_core(explain, case):
    """The page's own index arithmetic against the core: the group of every cell (tensor.js vs the grouping
    step), every cell drawn exactly once in the tensor mosaic, and each substituted formula ending in the
    step's own value."""
    result = explain.evaluate(
        """async (body) => {
            const res = await fetch('/api/v1/trace', {
                method: 'POST', headers: {'content-type': 'application/json'},
                body: JSON.stringify({...body, grad_output: {random: {seed: 3}}})});
            const trace = await res.json();
            const T = await import('/static/js/tensor.js');
            const H = await import('/static/js/figures/heatmap.js');
            const F = await import('/static/js/formula.js');
            const grouping = trace.steps.find(s => s.id === 'grouping');
            const ids = T.groupIds(trace);
            const m = H.mosaic(trace);
            const drawn = Array.from(m.cellOf).filter(i => i >= 0).sort((a, b) => a - b);
            const t = (k) => k;
            const ends = trace.steps.map((s, i) => {
                const ml = F.substituted(trace, i, {group: ids ? ids[1] : null, cell: 1, t});
                if (!ml) return null;
                const text = new DOMParser().parseFromString(ml, 'text/html').body.textContent;
                return [s.id, text.split('=').pop().replace('\u2212', '-')];
            }).filter(Boolean);
            const value = (s) => {
                if (s.id === 'grouping') return trace.grouping.group_size; // "...; m = 8"
                const v = T.flat(s.values);
                if (s.kind === 'tensor') return v[1];
                return s.kind === 'param' ? v[T.paramIndex(trace, 1)] : v[ids ? ids[1] : 1];
            };
            return {
                groupsMatch: grouping
                    ? JSON.stringify(Array.from(ids)) === JSON.stringify(Array.from(T.flat(grouping.values)))
                    : null,
                size: T.size(trace.shape), drawn, truncated: m.truncated,
                ends: ends.map(([id, text]) => [id, parseFloat(text), value(trace.steps.find(s => s.id === id))]),
            };
        }""",
        case,
    )
    if result["groupsMatch"] is not None:
        assert result["groupsMatch"]
    assert result["drawn"] == list(range(result["size"]))
    assert result["ends"], "no formula was substituted"
    for step_id, printed, value in result["ends"]:
        assert printed == pytest.approx(value, rel=1e-3, abs=1e-4), step_id


def test_no_console_errors_and_no_foreign_requests(explain, server_url):
    page = explain
    assert page.log.errors == []
    foreign = [u for u in page.log.requests if not (u.startswith(server_url + "/") or u.startswith(("data:", "blob:")))]
    assert foreign == []


def test_reduced_motion_steps_without_animation(browser, server_url):
    context, page = new_page(browser, server_url, viewport={"width": 1024, "height": 800}, reduced_motion="reduce")
    page.goto("/explain")
    wait_ready(page)
    page.locator(".rail-step", has_text="Centered").click()
    page.wait_for_selector('#plot-story[data-step="centered"]')
    animated = page.evaluate(
        """() => new Promise(resolve => {
            const gd = document.getElementById('plot-story');
            gd.once('plotly_animated', () => resolve(true));
            setTimeout(() => resolve(false), 1500);
            [...document.querySelectorAll('.rail-step')].find(b => b.textContent.includes('Standardized')).click();
        })"""
    )
    assert current(page) == "normalized"
    assert animated is False  # drawn at once
    assert page.log.errors == []
    context.close()


def test_the_paste_feedback_follows_a_switch_of_language(browser, server_url):
    """The line under the pasted text ("Nested list · shape 3 × 4 · 12 values") is worded again in the new
    language, its error too (it stayed in English after a switch to Chinese)."""
    with own_explain_page(browser, server_url) as page:
        feedback = page.locator("#input-feedback")
        page.fill("#input-text", "[[1.5, -0.2, 3.1, 0.7], [0.4, 2.2, -1.0, 1.1], [2.8, 0.9, 0.3, -0.5]]")
        page.wait_for_function("() => document.getElementById('input-feedback').textContent.startsWith('Nested list')")
        assert feedback.text_content() == "Nested list · shape 3 × 4 · 12 values"
        page.click('.lang-btn[data-lang="zh"]')
        page.wait_for_selector('html[lang="zh-CN"]')
        page.wait_for_function("() => document.getElementById('input-feedback').textContent.startsWith('嵌套列表')")
        assert "12 个数" in feedback.text_content()
        page.fill("#input-text", "[[1, 2, 3],\n [4, 5]]")
        page.wait_for_selector('#input-feedback[data-kind="error"]')
        assert feedback.text_content().startswith("第 2 行第")
        page.click('.lang-btn[data-lang="en"]')
        page.wait_for_function(
            "() => document.getElementById('input-feedback').textContent.startsWith('Line 2, column')"
        )
        # how the text was read, where it was not read as written: the parser's notes, in the language of the moment
        page.fill("#input-text", "x = torch.tensor([[1.5, -0.2], [0.4, 2.2]], requires_grad=True);")
        page.wait_for_selector('#input-feedback[data-kind="ok"]:has-text("2 × 2 ·")')
        read = "read the value given to x · ignored the ';' at the end · ignored requires_grad=True"
        assert feedback.text_content() == f"PyTorch tensor · shape 2 × 2 · 4 values · {read}"
        page.click('.lang-btn[data-lang="zh"]')
        wait_until(page, "() => document.getElementById('input-feedback').textContent.includes('已读取赋给 x 的值')")


def test_a_pasted_tensor_that_names_its_dtype_is_computed_in_it(browser, server_url):
    """print(x) of a float64 tensor says dtype=torch.float64: the trace runs in float64, as PyTorch would (it ran
    in the page's float32, silently); a tensor that names no dtype leaves the choice as it was."""
    with own_explain_page(browser, server_url) as page:
        page.fill("#input-text", "tensor([[1.5, -0.2], [0.4, 2.2]], dtype=torch.float64)")
        page.wait_for_selector('#input-feedback[data-kind="ok"]:has-text("2 × 2 ·")')  # not the first view's line
        assert page.locator("#input-feedback").text_content() == "PyTorch tensor · shape 2 × 2 · 4 values · float64"
        assert page.input_value("#dtype") == "float64"
        wait_until(page, "() => document.querySelector('#lesson-meta')?.textContent.includes('float64')")
        page.fill("#input-text", "[[1.5, -0.2], [0.4, 2.2], [1, 2]]")
        page.wait_for_selector('#input-feedback:has-text("3 × 2")')
        assert page.input_value("#dtype") == "float64"


def test_a_reshape_the_server_refuses_is_explained_in_the_language_of_the_moment(browser, server_url):
    """The run status and the reshape's own line say what went wrong, and say it again after a switch of
    language (both stayed in the language they were first written in)."""
    with own_explain_page(browser, server_url) as page:
        page.fill("#reshape", "5, 5")
        page.press("#reshape", "Enter")
        page.wait_for_selector('#run-status[data-kind="error"]')
        assert page.text_content("#run-status") == "Check the input tensor."
        page.wait_for_selector('#reshape-status[data-kind="error"]')
        english = page.text_content("#reshape-status")
        assert "25" in english and not re.search(r"[\u4e00-\u9fff]", english), english
        page.click('.lang-btn[data-lang="zh"]')
        page.wait_for_function("() => document.getElementById('run-status').textContent === '请检查输入张量。'")
        chinese = page.text_content("#reshape-status")
        assert re.search(r"[\u4e00-\u9fff]{2,}", chinese) and "25" in chinese, chinese


def test_a_paste_error_shows_its_line_and_column_as_you_type_in_both_languages(browser, server_url):
    with own_explain_page(browser, server_url) as page:
        feedback = page.locator("#input-feedback")
        page.fill("#input-text", "[[1, 2, 3],\n [4, 5]]")
        page.wait_for_selector('#input-feedback[data-kind="error"]')
        assert re.match(r"Line 2, column \d+: .*(length|values|has)", feedback.text_content())
        page.fill("#input-text", "[[1, 2, 3],\n [4, 5, 6]]")
        page.wait_for_selector('#input-feedback[data-kind="ok"]')
        assert "2 × 3" in feedback.text_content()
        page.click('.lang-btn[data-lang="zh"]')
        page.wait_for_selector('html[lang="zh-CN"]')
        page.fill("#input-text", "[[1, 2, nan]]")
        page.wait_for_selector('#input-feedback[data-kind="error"]')
        text = feedback.text_content()
        assert text.startswith("第 1 行第") and re.search(
            r"[\u4e00-\u9fff]{4,}", re.split("[:：]", text, maxsplit=1)[1]
        ), text


def test_a_trace_error_is_shown_in_chinese_on_the_chinese_page(browser, server_url):
    # its own page: the trace endpoint's 422 is logged as a console error, which the shared page must not see
    context, page = new_page(browser, server_url, viewport={"width": 1280, "height": 900}, locale="en-US")
    try:
        page.goto("/explain")
        messages = page.evaluate(
            """async () => {
                const api = await import('/static/js/api.js');
                const body = {layer: 'group_norm', input: {random: {shape: [2, 4, 3]}}, params: {num_groups: 3}};
                const err = await api.trace(body).then(() => null, (e) => e);
                return {en: api.errorMessage(err, 'en'), zh: api.errorMessage(err, 'zh')};
            }"""
        )
        assert "num_channels (4) must be divisible by num_groups (3)" in messages["en"]
        assert messages["zh"].startswith("params.num_groups: ") and re.search(r"[\u4e00-\u9fff]{4,}", messages["zh"])
    finally:
        context.close()


# --- issue 9: examples that play once and stay, the picture first, readable links, the menu ----------------------

ANSWER_JS = "JSON.parse(document.getElementById('page-config').textContent).answer_step"
STEP_JS = "document.querySelector('#step-card').dataset.stepId"


def figure_top(page) -> dict:
    return page.evaluate(
        """() => Object.fromEntries(['fig-tensor', 'plot-tensor', 'step-title', 'step-formula'].map(id =>
            [id, document.getElementById(id).getBoundingClientRect().top]))"""
    )


def test_an_example_plays_once_to_its_answer_and_stays_there(browser, server_url):
    """bn-batch-of-one used to come back to its answer after 20 s of replaying; now it builds up once."""
    context, page = new_page(browser, server_url, viewport={"width": 1440, "height": 900}, locale="en-US")
    page.goto("/examples/bn-batch-of-one")
    answer = page.evaluate(ANSWER_JS)
    assert page.evaluate(STEP_JS) == "input"  # it opens on its input, not on the answer
    wait_ready(page)
    wait_until(page, f"{STEP_JS} === {json.dumps(answer)}", timeout=12)
    seen = set()
    for _ in range(40):  # 10 s after it arrived
        seen.add(page.evaluate(STEP_JS))
        page.wait_for_timeout(250)
    assert seen == {answer}
    assert page.get_attribute("#btn-play", "aria-pressed") == "false"
    assert page.locator(".rail-step.is-answer").get_attribute("aria-current") == "step"
    # the reader's own step is not taken back
    page.locator("#lesson-title").click()
    page.keyboard.press("Home")
    page.wait_for_timeout(1500)
    assert page.evaluate(STEP_JS) == "input"
    assert page.log.errors == []
    context.close()


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)])
def test_the_figure_is_on_the_first_screen_of_explain_and_every_example(browser, server_url, width, height):
    """The main figure's box starts inside the first screen, with the step's title and formula above it, before
    and after an example has arrived at its answer (reduced motion: it goes there at once)."""
    context, page = new_page(
        browser, server_url, viewport={"width": width, "height": height}, locale="en-US", reduced_motion="reduce"
    )
    for path in ["/explain", *(f"/examples/{e.slug}" for e in EXAMPLES)]:
        page.goto(path)
        wait_ready(page)
        answer = page.evaluate(ANSWER_JS)
        if answer:
            wait_until(page, f"{STEP_JS} === {json.dumps(answer)}", timeout=5)
        tops = figure_top(page)
        assert tops["fig-tensor"] < height and tops["plot-tensor"] < height, (path, tops)
        assert max(tops["step-title"], tops["step-formula"]) < tops["fig-tensor"], path  # above it, same screen
        assert page.evaluate("window.scrollY") == 0, path
        if path.endswith(("bn-worked-example", "dropout-train")):
            shot(page, f"first-screen-{width}-{path.rsplit('/', 1)[1]}")
    assert page.log.errors == []
    context.close()


def test_the_query_link_opens_the_view_it_names(browser, server_url):
    context, page = new_page(browser, server_url, viewport={"width": 1280, "height": 900}, locale="en-US")
    page.goto("/explain?layer=group_norm&shape=2,6,4,4&num_groups=3&seed=1")
    wait_ready(page)
    state = page.evaluate("window.normlens.state")
    trace = page.evaluate("(t => ({layer: t.layer, shape: t.shape, g: t.params.num_groups}))(window.normlens.trace)")
    assert trace == {"layer": "group_norm", "shape": [2, 6, 4, 4], "g": 3}
    assert state["input"]["random"]["seed"] == 1
    assert re.search(r"/v/1\.[A-Za-z0-9_-]+$", page.url), page.url  # the canonical permalink, in the address bar
    assert page.locator("#layer").input_value() == "group_norm"
    page.reload()
    wait_ready(page)
    assert page.evaluate("window.normlens.trace.params.num_groups") == 3
    # a bad one: the same errors as the API, naming the field, in the page's language
    page.goto("/explain?layer=group_norm&shape=2,6,4,4&num_groups=4&lang=zh")
    item = page.locator('#query-errors li[data-field="num_groups"]')
    assert "整除" in item.inner_text()
    assert page.log.errors == []  # the page answers 200 with its errors shown: no console error
    context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_menu_is_on_every_page_in_both_languages(browser, server_url, lang):
    labels = {
        "en": ["Explainer", "Compare", "Examples", "Labs", "API docs"],
        "zh": ["讲解", "对比", "例子", "实验", "API 文档"],
    }
    context, page = new_page(browser, server_url, viewport={"width": 1280, "height": 800}, locale="en-US")
    for path in ["/", "/explain", "/examples", f"/examples/{EXAMPLES[3].slug}"]:
        page.goto(path)
        if lang == "zh":
            page.click('.lang-btn[data-lang="zh"]')
            wait_until(page, "document.documentElement.lang === 'zh-CN'", timeout=5)
        texts = page.locator(".topnav a").all_inner_texts()
        assert [t.strip() for t in texts] == labels[lang], path
        hrefs = page.locator(".topnav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert hrefs == ["/explain", "/compare", "/examples", "/labs", "/docs"]
        page.click('.lang-btn[data-lang="en"]')  # the next page starts in English again
    context.close()


def test_no_horizontal_scroll_at_375_px_on_the_new_pages(browser, server_url):
    phone = {"width": 375, "height": 812}
    context, page = new_page(browser, server_url, viewport=phone, is_mobile=True, has_touch=True)
    paths = ["/examples/dropout-train", "/examples/ln-image-chw", "/explain?layer=group_norm&num_groups=4"]
    for path in ["/examples", *paths]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        if page.locator("#example-note").count():
            page.click("#example-note summary")  # opened, the question and answer wrap too
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 375, path
    shot(page, "phone-query-errors")
    context.close()


def test_dropout_new_mask_counts_and_the_mean_over_masks(browser, server_url):
    context, page = new_page(browser, server_url, viewport={"width": 1280, "height": 900}, locale="en-US")
    page.goto("/examples/dropout-train")
    wait_ready(page)
    first = page.inner_text("#mask-counts")
    kept = int(re.search(r"(\d+) of 16 values kept", first).group(1))
    mask = page.evaluate("window.normlens.trace.steps.find(s => s.id === 'mask').values.flat()")
    assert kept == sum(mask)  # the words follow the mask drawn
    page.click("#mask-new")
    wait_until(page, "window.normlens.trace.params.seed === 1", timeout=5)
    assert page.inner_text("#mask-counts").startswith("Mask seed 1")
    page.click("#mask-many")
    wait_until(page, "/over 22 masks/.test(document.getElementById('mask-mean').textContent)", timeout=20)
    gap = float(re.search(r"distance from x is ([\d.]+)", page.inner_text("#mask-mean")).group(1))
    assert gap < 1
    assert page.evaluate("window.normlens.state.params.seed") == 1  # the view kept its mask
    assert page.log.errors == []
    context.close()


def test_random_gamma_and_beta_on_the_scale_step(browser, server_url):
    context, page = new_page(browser, server_url, viewport={"width": 1280, "height": 900}, locale="en-US")
    page.goto("/explain?layer=batch_norm&shape=4,3&step=scaled")
    wait_ready(page)
    assert page.locator("#step-note").is_visible() and "other values" in page.inner_text("#step-note")
    page.click("#affine-random")
    wait_until(page, "!window.normlens.trace.parameters.gamma.every(v => v === 1)", timeout=5)
    gamma = page.evaluate("window.normlens.state.params.gamma")
    assert len(gamma) == 3 and page.locator("#affine-reset").is_visible()
    assert page.locator("#p-gamma").input_value().replace(" ", "") == ",".join(map(str, gamma)).replace(" ", "")
    page.click("#affine-reset")
    wait_until(page, "window.normlens.trace.parameters.gamma.every(v => v === 1)", timeout=5)
    assert page.locator("#counts-body tr[data-key=entries] td.num").inner_text() == "13"  # 4C + 1
    assert "6 learnable, 13 in state_dict" in page.inner_text("#lesson-meta")  # on the first screen
    assert page.log.errors == []
    context.close()
