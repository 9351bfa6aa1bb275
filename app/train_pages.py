"""The training lab's pages (/labs/train-bn, /labs/gradient-flow, /labs/l1-vs-l2, /labs/optimizers): each is a
lesson of app/lessons/train.toml (`[train.<slug>]`): the knobs it shows, the runs it trains side by side (the
base configuration, the page's knobs, then the run's own `set`), figures in the lab figure format, and sweeps
started on request. The page streams every run from POST /api/v1/train and draws while the lines arrive.

    >>> runs("l1-vs-l2", values("l1-vs-l2", {}))[1]["body"]["l2"]
    0.002
"""

from __future__ import annotations

import re
from typing import Any

from normlens.app.lessons import lessons
from normlens.args import ArgumentError, Param
from normlens.labs.base import knob_value
from normlens.train.knobs import KNOBS, config

BY_NAME = {k.name: k for k in KNOBS}
TEMPLATE = re.compile(r"^\$\{(\w+)\}$")


def slugs() -> list[str]:
    return list(lessons().tree.get("train", {}))


def cards() -> list[dict[str, Any]]:
    """The /labs index's cards of the training lessons."""
    return [
        {"slug": s, "url": f"/labs/{s}", "title": w["title"], "question": w["question"], "seeds": w.get("seeds", [])}
        for s, w in lessons().tree.get("train", {}).items()
    ]


def lesson(slug: str) -> dict[str, Any]:
    return dict(lessons().tree["train"][slug])


def page_knobs(slug: str) -> list[Param]:
    """The knobs the page shows: training knobs (defaults from the lesson's base) and its extra ones."""
    w = lesson(slug)
    out = []
    for name in w["show"]:
        extra = w.get("extra", {}).get(name)
        if extra is not None:
            out.append(Param(name, "float", extra["default"], minimum=extra["minimum"], maximum=extra["maximum"]))
        else:
            k = BY_NAME[name]
            out.append(Param(k.name, k.type, w["base"].get(name, k.default), k.minimum, k.maximum, choices=k.choices))
    return out


def values(slug: str, given: dict[str, Any]) -> dict[str, Any]:
    """The page's knob values, validated (ArgumentError names a bad one), defaults filled."""
    known = {k.name: k for k in page_knobs(slug)}
    for name in given:
        if name not in known:
            raise ArgumentError(name, "unknown_argument", layer=slug, name=name, known=sorted(known))
    return {name: knob_value(k, given.get(name, k.default)) for name, k in known.items()}


def _filled(value: Any, page: dict[str, Any]) -> Any:
    m = TEMPLATE.match(value) if isinstance(value, str) else None
    return page[m.group(1)] if m else value


def body(base: dict[str, Any], page: dict[str, Any], sets: list[dict[str, Any]]) -> dict[str, Any]:
    """A run's POST body: the base, the page's training knobs, then each `set` (with ${knob} filled)."""
    out = dict(base) | {k: v for k, v in page.items() if k in BY_NAME}
    for s in sets:
        out |= {k: _filled(v, page) for k, v in s.items()}
    config(out)  # a lesson file or a page state that cannot train is refused here, not in the browser
    return out


def runs(slug: str, page: dict[str, Any]) -> list[dict[str, Any]]:
    w = lesson(slug)
    return [
        {"id": r["id"], "name": r["name"], "color": r.get("color"), "body": body(w["base"], page, [r["set"]])}
        for r in w["runs"]
    ]


def sweeps(slug: str, page: dict[str, Any]) -> list[dict[str, Any]]:
    """Each sweep's runs: one per value of its knob, or one per variant (the ablation), per lesson run for a
    knob sweep (so every run's curve over the values is drawn)."""
    w, out = lesson(slug), []
    for sid, s in w.get("sweeps", {}).items():
        items = []
        if "variants" in s:
            for i, v in enumerate(s["variants"]):
                items.append(
                    {
                        "key": str(i),
                        "run": None,
                        "x": i,
                        "name": v["name"],
                        "body": body(w["base"], page, [s["set"], v["set"]]),
                    }
                )
        else:
            for r in w["runs"]:
                for value in s["values"]:
                    items.append(
                        {
                            "key": f"{r['id']}:{value}",
                            "run": r["id"],
                            "x": value,
                            "name": r["name"],
                            "body": body(w["base"], page, [r["set"], s["set"], {s["knob"]: value}]),
                        }
                    )
        spec = {k: s[k] for k in ("title", "button", "metric", "kind", "x_title", "y_title", "x_log") if k in s}
        variants, steps = [v["name"] for v in s.get("variants", [])], items[0]["body"]["steps"]  # one length for all
        out.append(spec | {"id": sid, "items": items, "variants": variants, "steps": steps})
    return out


def figures(slug: str) -> list[dict[str, Any]]:
    """The lesson's figure specs (lab figure format), each with its id."""
    return [{"id": fid, **spec} for fid, spec in lesson(slug).get("figures", {}).items()]


def knob_inputs(slug: str, page: dict[str, Any]) -> list[dict[str, Any]]:
    """Per knob, what templates/partials/knobs.html needs (the lab pages' controls)."""
    words, extra = lessons().tree["train_knobs"], lesson(slug).get("extra", {})
    out = []
    for k in page_knobs(slug):
        w, value = words[k.name], page[k.name]
        item: dict[str, Any] = {
            "name": k.name,
            "type": k.type,
            "value": value,
            "label": w["label"],
            "help": w.get("help"),
        }
        if k.type == "enum":
            item["kind"], item["choices"] = "select", [(c, w.get("choices", {}).get(c)) for c in k.choices or ()]
        elif k.type == "bool":
            item["kind"] = "checkbox"
        else:
            low, high = float(k.minimum or 0), float(k.maximum or 0)
            step = extra.get(k.name, {}).get("step") or (1 if k.type == "int" else (high - low) / 100)
            item |= {"kind": "range", "log": False, "min": k.minimum, "max": k.maximum, "step": step, "position": value}
        out.append(item)
    return out
