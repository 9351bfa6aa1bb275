"""Every registered lab's words are complete in English and Chinese and its figure specs fit its series
(the format is the design notes' "Lab figure spec"; app/lab_words.py reads it)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from normlens.app import labs
from normlens.app.lab_words import KINDS, state_words, table
from normlens.app.lessons import placeholders
from normlens.labs import LABS
from tests.app.lab_helpers import SLUGS

CJK = re.compile(r"[\u4e00-\u9fff]")
BOTH = ("en", "zh")


def both(text: object, where: str) -> None:
    assert isinstance(text, dict) and set(text) >= set(BOTH), where
    assert text["en"].strip() and text["zh"].strip(), where


@pytest.fixture(scope="module", params=SLUGS)
def lab(request: pytest.FixtureRequest) -> tuple[str, dict, object]:
    slug = request.param
    spec = LABS[slug]
    knobs = spec.defaults()
    return slug, table(slug), spec.run(**knobs)


def test_every_registered_module_has_its_words() -> None:
    missing = [slug for slug in LABS if not labs.ready(slug)]
    assert not missing, f"labs without (complete) words in app/lessons/lab_*.toml, left off the site: {missing}"


def test_lab_texts(lab: tuple) -> None:
    slug, w, _ = lab
    for key in ("title", "question", "answer"):
        both(w[key], f"{slug}.{key}")
        assert CJK.search(w[key]["zh"]), f"{slug}.{key}.zh is not Chinese"
    if "note" in w:
        both(w["note"], f"{slug}.note")
    if "seeds" in w:
        assert list(w["seeds"]) == list(LABS[slug].seeds)
    for key in ("answer", "note"):
        if key in w:  # the same placeholders in both languages
            assert placeholders(w[key]["en"]) == placeholders(w[key]["zh"]), (slug, key)


def test_every_knob_and_choice_is_worded(lab: tuple) -> None:
    slug, w, _ = lab
    for k in LABS[slug].knobs:
        words = w.get("knobs", {}).get(k.name)
        assert words is not None, f"{slug}: knob {k.name} has no words"
        both(words["label"], f"{slug}.knobs.{k.name}.label")
        if "help" in words:
            both(words["help"], f"{slug}.knobs.{k.name}.help")
        for choice in k.choices or ():
            both(words.get("choices", {}).get(choice), f"{slug}.knobs.{k.name}.choices.{choice}")
        if words.get("scale") == "log":
            assert k.minimum is not None and k.minimum > 0, f"{slug}.{k.name}: a log slider needs minimum > 0"
    extra = set(w.get("knobs", {})) - {k.name for k in LABS[slug].knobs}
    assert not extra, f"{slug}: words for knobs it does not have: {extra}"


def test_every_number_is_worded(lab: tuple) -> None:
    slug, w, result = lab
    worded = w.get("numbers", {})
    assert set(result.numbers) <= set(worded), f"{slug}: numbers without a label: {set(result.numbers) - set(worded)}"
    assert set(worded) <= set(result.numbers), (
        f"{slug}: labels of numbers it never returns: {set(worded) - set(result.numbers)}"
    )
    for key, words in worded.items():
        both(words["label"], f"{slug}.numbers.{key}")
        format(result.numbers[key], words.get("format", ""))  # a format that fits the value


def test_words_fill_with_every_placeholder(lab: tuple) -> None:
    slug, _, result = lab
    words = state_words(LABS[slug], LABS[slug].defaults(), result)  # a missing name raises KeyError
    assert "${" not in str(words["answer"]) + str([f.get("title") for f in words["figures"]])


def _shape(value: object) -> tuple[int, ...]:
    return np.shape(value)


def check_trace(slug: str, fig: dict, trace: dict, series: dict) -> int | None:
    """The trace's series exist and fit its kind; returns its frame count (framed traces)."""
    where = f"{slug}.figures.{fig['id']}"
    kind = fig["kind"]
    key = {"histogram": "values", "heatmap": "z"}.get(kind, "y")
    assert key in trace, f"{where}: a {kind} trace needs `{key}`"
    assert trace[key] in series, f"{where}: no series {trace[key]!r}"
    for extra in ("x",) + (("y",) if kind == "heatmap" else ()):
        if extra in trace:
            assert trace[extra] in series, f"{where}: no series {trace[extra]!r}"
    if kind != "heatmap":
        both(trace.get("name"), f"{where}.traces.name")
    if trace.get("color") is not None:
        assert 0 <= trace["color"] <= 7, where
    assert trace.get("dash", "solid") in ("solid", "dot", "dash"), where
    assert trace.get("mode", "lines") in ("lines", "markers", "lines+markers"), where
    shape = _shape(series[trace[key]])
    framed = fig.get("play") == "frames" and not trace.get("static")
    if kind == "heatmap":
        assert len(shape) == 2 + framed, f"{where}: z must be 2-D (3-D when framed)"
    if kind == "bars" and "categories" in fig:
        assert shape[-1] == len(fig["categories"]), f"{where}: {len(fig['categories'])} categories, {shape[-1]} bars"
    x_key = trace.get("x") or fig.get("x")
    if kind in ("lines", "scatter") and x_key and shape:
        x = _shape(series[x_key])
        assert shape[-1] == x[-1], f"{where}: {trace[key]} has {shape[-1]} points, {x_key} has {x[-1]}"
    return shape[0] if framed else None


def test_figures_fit_the_series(lab: tuple) -> None:
    slug, w, result = lab
    assert w.get("figures"), f"{slug} has no figures"
    series = labs._finite(result.series)  # also: every series is finite
    for fid, fig in w["figures"].items():
        fig = {**fig, "id": fid}
        where = f"{slug}.figures.{fid}"
        assert re.fullmatch(r"[a-z0-9_]+", fid), where
        assert fig["kind"] in KINDS, where
        for key in ("title", "x_title", "y_title"):
            both(fig.get(key), f"{where}.{key}")
        assert fig.get("play") in (None, "frames", "reveal"), where
        if "frame_label" in fig:  # optional: the page shows "3 / 40" without it
            both(fig["frame_label"], f"{where}.frame_label")
        if fig.get("x"):
            assert fig["x"] in series, f"{where}: no series {fig['x']!r}"
        assert fig.get("traces"), f"{where} has no traces"
        frames = {check_trace(slug, fig, t, series) for t in fig["traces"]} - {None}
        assert len(frames) <= 1, f"{where}: framed traces differ in frame count {frames}"
        if fig.get("play") == "frames":
            assert frames, f"{where}: play = frames but no framed trace"


def test_figure_texts_have_the_same_placeholders(lab: tuple) -> None:
    slug, w, _ = lab
    for fid, fig in w.get("figures", {}).items():
        texts = [fig.get(k) for k in ("title", "caption", "frame_label")] + [
            t.get("name") for t in fig.get("traces", [])
        ]
        for text in filter(None, texts):
            assert placeholders(text["en"]) == placeholders(text["zh"]), (slug, fid, text)


def test_gallery_cards_named_by_labs_exist_and_link_back() -> None:
    from normlens.app.examples import BY_SLUG
    from normlens.app.lab_words import example_labs

    for slug in SLUGS:
        for card in LABS[slug].examples:
            assert card in BY_SLUG, f"{slug}: no gallery card {card!r} in app/lessons/examples.toml"
            assert slug in [lab["slug"] for lab in example_labs(card)]
    assert example_labs("no-such-card") == []
