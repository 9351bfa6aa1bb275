"""The training lab's pages: each lesson of app/lessons/train.toml renders in both languages, every run and
sweep body is a valid training request, every knob and figure has its words, query links reopen a state and
bad query values are named on the page, never a 500."""

from __future__ import annotations

import re

import pytest

from normlens.app import train_pages
from normlens.app.lessons import lessons
from normlens.train.knobs import config

SLUGS = train_pages.slugs()
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_four_lessons_of_the_issue_exist() -> None:
    assert SLUGS == ["train-bn", "gradient-flow", "l1-vs-l2", "optimizers"]


@pytest.mark.parametrize("slug", SLUGS)
def test_every_run_and_sweep_of_a_lesson_can_train(slug) -> None:
    page = train_pages.values(slug, {})
    runs = train_pages.runs(slug, page)
    assert len({r["id"] for r in runs}) == len(runs) >= 2
    for body in [r["body"] for r in runs] + [it["body"] for s in train_pages.sweeps(slug, page) for it in s["items"]]:
        config(body)  # raises ArgumentError for a body the API would refuse
    for s in train_pages.sweeps(slug, page):  # the page announces one length for all of a sweep's trainings
        assert {it["body"]["steps"] for it in s["items"]} == {s["steps"]}


@pytest.mark.parametrize("slug", SLUGS)
def test_every_word_of_a_lesson_is_there_in_both_languages(slug) -> None:
    w, words = train_pages.lesson(slug), lessons().tree["train_knobs"]

    def texts(node):
        if isinstance(node, dict) and set(node) == {"en", "zh"}:
            yield node
        elif isinstance(node, dict):
            for v in node.values():
                yield from texts(v)
        elif isinstance(node, list):
            for v in node:
                yield from texts(v)

    found = list(texts(w))
    assert len(found) > 10
    for t in found:
        assert t["en"] and t["zh"] and not CJK.search(t["en"]), t
    assert CJK.search(w["answer"]["zh"]) and CJK.search(w["question"]["zh"]) and CJK.search(w["title"]["zh"])
    for k in train_pages.page_knobs(slug):
        assert {"en", "zh"} <= set(words[k.name]["label"])
        for choice in k.choices or ():
            assert words[k.name]["choices"][choice]["zh"]


def test_a_figure_names_only_series_the_page_builds() -> None:
    """The keys static/js/train_series.js makes (tests/js/train_series.test.mjs checks its side)."""
    made = {"step", "layer", "grid", "d_l1", "d_l2", "pull_l1", "pull_l2", "state_values", "gradient_values"}
    per_run = {"loss", "accuracy", "zeros", "gfirst", "wnorm", "gnorm0", "w0", "bound"} | {
        f"pre_q{q}" for q in range(5)
    }
    for slug in SLUGS:
        ids = {r["id"] for r in train_pages.lesson(slug)["runs"]}
        for f in train_pages.figures(slug):
            for t in f["traces"]:
                for key in filter(None, (t.get("x"), t.get("y"), t.get("values"), f.get("x"))):
                    name, _, run = key.partition(".")
                    assert key in made or (name in per_run and run in ids), (slug, f["id"], key)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("slug", SLUGS)
def test_each_page_renders_with_its_runs(client, slug, lang) -> None:
    r = client.get(f"/labs/{slug}?lang={lang}")
    assert r.status_code == 200
    html = r.text
    assert train_pages.lesson(slug)["title"][lang] in html
    for run in train_pages.lesson(slug)["runs"]:
        assert f'data-run="{run["id"]}"' in html
    assert 'id="train-config"' in html and "<script>" not in html  # data only, no inline script
    plans = {"en": "{n} short trainings of {steps} steps each", "zh": "共 {n} 次短训练，每次 {steps} 步"}
    for s in train_pages.sweeps(slug, train_pages.values(slug, {})):  # what a sweep will do, before it runs
        assert plans[lang].format(n=len(s["items"]), steps=s["steps"]) in html
        assert f'id="plot-sweep-{s["id"]}" role="img" aria-label="{s["title"][lang]}" hidden' in html


def test_a_query_link_reopens_its_state_and_bad_values_are_named(client) -> None:
    r = client.get("/api/v1/train/lessons/l1-vs-l2?strength=0.01&steps=200&seed=4")
    view = r.json()
    assert view["errors"] == [] and view["values"] == {"strength": 0.01, "lr": 0.1, "steps": 200, "seed": 4}
    assert view["permalink"] == "/labs/l1-vs-l2?strength=0.01&lr=0.1&steps=200&seed=4"
    prox = next(run for run in view["runs"] if run["id"] == "prox")["body"]
    assert prox["l1"] == 0.01 and prox["proximal"] is True and prox["steps"] == 200
    page = client.get(view["permalink"]).text
    assert 'value="0.01"' in page and 'value="200"' in page
    bad = client.get("/labs/l1-vs-l2?strength=9&steps=abc")
    assert bad.status_code == 200 and 'class="lab-error"' in bad.text
    errors = client.get("/api/v1/train/lessons/l1-vs-l2?strength=9&steps=abc").json()["errors"]
    assert {e["loc"][-1] for e in errors} == {"strength", "steps"} and all(e["msg_zh"] for e in errors)


def test_an_unknown_lesson_is_404(client) -> None:
    assert client.get("/api/v1/train/lessons/nope").status_code == 404
