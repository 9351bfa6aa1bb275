"""The words of the labs: `[labs.<slug>]` of app/lessons/lab_*.toml (format: /work/design SESSION "Lab figure
spec"), filled with one state's knob values and numbers, in English and Chinese.

    >>> words = state_words(LABS["running-stats"], knobs, result)        # knobs canonical, result a LabResult
    >>> words["answer"]["zh"], words["figures"][0]["kind"]
    ('经过 40 个批次后……', 'lines')
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from normlens.app.lessons import LANGS, Text, fill, lessons
from normlens.labs import LabResult, LabSpec
from normlens.trace import Notice

KINDS = ("lines", "bars", "histogram", "scatter", "heatmap")


def table(slug: str) -> dict[str, Any]:
    """The lab's lesson table (KeyError: the lab has no lesson file yet)."""
    return dict(lessons().tree["labs"][slug])


def text(value: Any, values: dict[str, Any] | None = None) -> dict[str, str]:
    """An {en, zh} table, placeholders filled from `values` when given."""
    return {lang: fill(value[lang], values) if values is not None else value[lang] for lang in LANGS}


def fmt(value: Any, spec: str | None) -> str:
    """A number as the numbers table shows it: `spec` (Python format) or .6g for floats, ints and bools as is,
    — for an undefined one (None)."""
    if value is None:
        return "—"
    if isinstance(value, bool | int):
        return str(value) if spec is None else format(value, spec)
    out = format(value, spec or ".6g")
    return (
        out[1:] if out.startswith("-") and not any(c in "123456789" for c in out.split("e")[0]) else out
    )  # no -0.0000


@cache
def knob_words(slug: str) -> dict[str, dict[str, Any]]:
    """Per knob: label, help, step, scale and the words of its choices (enum knobs)."""
    out = {}
    for name, w in table(slug).get("knobs", {}).items():
        entry: dict[str, Any] = {"label": text(w["label"]), "help": text(w["help"]) if "help" in w else None}
        entry |= {"step": w.get("step"), "scale": w.get("scale", "linear")}
        entry["choices_words"] = {value: text(t) for value, t in w.get("choices", {}).items()} or None
        out[name] = entry
    return out


def knob_list(spec: LabSpec) -> list[dict[str, Any]]:
    """The knobs with bounds and words, in the spec's order (GET /api/v1/labs and the page's sliders)."""
    words = knob_words(spec.slug)
    return [k.to_dict() | words[k.name] for k in spec.knobs]


def lab_card(spec: LabSpec) -> dict[str, Any]:
    w = table(spec.slug)
    out: dict[str, Any] = {"slug": spec.slug, "url": f"/labs/{spec.slug}", "title": text(w["title"])}
    out |= {"question": text(w["question"]), "seeds": list(spec.seeds), "examples": list(spec.examples)}
    return out | {"knobs": knob_list(spec)}


def number_rows(slug: str, numbers: dict[str, Any]) -> list[dict[str, Any]]:
    """The numbers table in the lesson file's order: key, label, help, value, text."""
    rows = []
    for key, w in table(slug).get("numbers", {}).items():
        if key in numbers:
            value = numbers[key]
            row = {"key": key, "label": text(w["label"]), "help": text(w["help"]) if "help" in w else None}
            rows.append(row | {"value": value, "text": fmt(value, w.get("format"))})
    return rows


def figure_words(slug: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The figure specs with their texts filled; each gets its `id`."""
    out = []
    for fid, spec in table(slug).get("figures", {}).items():
        fig = copy.deepcopy(spec)
        fig["id"] = fid
        for key in ("title", "caption", "x_title", "y_title", "frame_label"):
            if key in fig:
                fig[key] = text(fig[key], values if key in ("title", "caption") else None)
        if "categories" in fig:
            fig["categories"] = [text(c) for c in fig["categories"]]
        for trace in fig.get("traces", []):
            if "name" in trace:
                trace["name"] = text(trace["name"], values)
        out.append(fig)
    return out


def notice_words(slug: str, notice: Notice) -> dict[str, Any]:
    own = table(slug).get("notices", {}).get(notice.code)
    words = own if own is not None else lessons().message("notices", notice.code)
    message = Text(*(fill(words[lang], dict(notice.values)) for lang in LANGS))
    return {"code": notice.code, "message": message.to_dict(), "torch_error": notice.torch_error}


def state_words(spec: LabSpec, knobs: dict[str, Any], result: LabResult) -> dict[str, Any]:
    """Every text of one state of a lab, both languages."""
    w = table(spec.slug)
    values = {**knobs, **result.numbers}
    out: dict[str, Any] = {"title": text(w["title"]), "question": text(w["question"])}
    out["answer"] = text(w["answer"], values)
    out["note"] = text(w["note"], values) if "note" in w else None
    out["seeds"] = list(w.get("seeds", spec.seeds))
    out["knobs"] = knob_words(spec.slug)
    out["numbers"] = number_rows(spec.slug, result.numbers)
    out["figures"] = figure_words(spec.slug, values)
    return out


def example_labs(example: str) -> list[dict[str, Any]]:
    """The labs that answer the question of gallery card `example` (their LabSpec.examples name it): slug, url and
    title (en/zh), for the card's "open the lab" link. [] for a card no lab names."""
    from normlens.labs import LABS

    found = [spec for spec in LABS.values() if example in spec.examples and spec.slug in lessons().tree.get("labs", {})]
    return [{"slug": s.slug, "url": f"/labs/{s.slug}", "title": text(table(s.slug)["title"])} for s in found]
