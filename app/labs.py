"""The labs as a service: one strict request model per lab (generated from its knobs, like app/layer_params.py for
layers), the response of one state, and an LRU of those responses run off the event loop.

A lab is a pure function of its canonical knobs, so its JSON bytes are kept by `slug + knobs` (app.trace_cache):
the default state of every lab is computed once per process and the next visitor gets it at once.

    >>> knobs = canonical("running-stats", {"seed": 3})      # validated, defaults filled, the spec's order
    >>> orjson.loads(compute("running-stats", knobs))["numbers"]["full_mean"]
    1.97...
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from typing import Any, ClassVar
from urllib.parse import urlencode

import numpy as np
import orjson
from pydantic import Field, create_model, model_validator

from normlens.app.fields import StrictModel, field_error, knob_annotation, whole
from normlens.app.lab_words import knob_words, lab_card, notice_words, state_words, table
from normlens.app.lessons import error_text
from normlens.app.query_knobs import parse_query
from normlens.app.responses import dumps
from normlens.app.trace_cache import ResponseCache
from normlens.args import ArgumentError, Param
from normlens.labs import LABS, LabSpec

CACHE_BYTES = 16 * 1024 * 1024  # lab responses kept per process
THREADS = 2  # labs computing at once per process (two cores); the rest queue in the executor


class LabKnobs(StrictModel):
    """Base of the generated per-lab models: every knob checked by the lab's own rules (LabSpec.resolve) with
    the catalogue's words in both languages; the fields' bounds are what the JSON schema says."""

    slug: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data  # pydantic says it is not an object
        spec = LABS[cls.slug]
        for name, value in data.items():
            knob = next((k for k in spec.knobs if k.name == name), None)
            try:
                if knob is None:
                    spec.resolve({name: value})  # raises unknown_argument
                else:
                    data = {**data, name: _checked_value(spec, knob, value)}
            except ArgumentError as e:
                words = error_text(e, None)
                type_ = "extra_forbidden" if knob is None else "value_error"
                raise field_error(cls.__name__, (name,), words.en, value, type_, msg_zh=words.zh, code=e.code) from None
        return data


def _checked_value(spec: LabSpec, knob: Param, value: Any) -> Any:
    """One knob by the lab's rules; an integer may come as 2.0 (JSON Schema counts it an integer)."""
    return spec.resolve({knob.name: whole(value) if knob.type == "int" else value})[knob.name]


@cache
def knobs_model(slug: str) -> type[LabKnobs]:
    """The strict request model of a lab: one optional field per knob, its label and help as the description."""
    spec, words = LABS[slug], knob_words(slug)
    fields: dict[str, Any] = {}
    for k in spec.knobs:
        label, help_ = words[k.name]["label"], words[k.name]["help"]
        about = f"{label['en']} / {label['zh']}" + (f". {help_['en']} / {help_['zh']}" if help_ else "")
        fields[k.name] = (knob_annotation(k), Field(k.default, description=about))
    name = "".join(w.title() for w in slug.split("-")) + "Knobs"
    model = create_model(name, __base__=LabKnobs, __doc__=f"Knobs of lab {slug}.", **fields)
    model.slug = slug
    return model


def canonical(slug: str, given: dict[str, Any]) -> dict[str, Any]:
    """The knobs validated, defaults filled, in the spec's order (ArgumentError names a bad one)."""
    return LABS[slug].resolve(given)


def _finite(series: dict[str, Any]) -> dict[str, Any]:
    """Series as arrays or numbers; a lab that made NaN or inf is a bug of the lab (its tests say so)."""
    out = {}
    for key, value in series.items():
        a = np.asarray(value)
        if a.dtype.kind in "fc" and not np.isfinite(a).all():
            raise ValueError(f"series {key} of a lab is not finite")
        out[key] = a if a.ndim else a.item()
    return out


def lab_response(slug: str, knobs: dict[str, Any]) -> dict[str, Any]:
    """The answer of POST /api/v1/labs/{slug} for canonical `knobs` (pure; NumPy arrays left for orjson)."""
    spec = LABS[slug]
    with np.errstate(all="ignore"):
        result = spec.run(**knobs)
    return {
        "slug": slug,
        "knobs": knobs,
        "permalink": permalink(slug, knobs),
        "numbers": result.numbers,
        "series": _finite(result.series),
        "torch_code": result.torch_code,
        "torch_expect": result.torch_expect,
        "warnings": [notice_words(slug, n) for n in result.notices],
        "words": state_words(spec, knobs, result),
    }


def compute(slug: str, knobs: dict[str, Any]) -> bytes:
    return dumps(lab_response(slug, knobs))


def permalink(slug: str, knobs: dict[str, Any]) -> str:
    """/labs/<slug>?knob=value for every knob that is not its default, in the spec's order: one URL per state."""
    spec = LABS[slug]
    changed = {k.name: _query_value(knobs[k.name]) for k in spec.knobs if knobs[k.name] != k.default}
    return f"/labs/{slug}" + (f"?{urlencode(changed)}" if changed else "")


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def from_query(slug: str, query: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Knobs from a page's query string (strings), canonical; a bad or unknown one is left at its default and
    reported as an error item (the page shows it), never a failed page (app.query_knobs, as the training lab)."""
    spec = LABS[slug]
    return parse_query(spec.knobs, spec.resolve, query)


# ---- off the event loop, remembered -------------------------------------------------------------------------


@cache
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(THREADS, thread_name_prefix="lab")


_saved = ResponseCache(CACHE_BYTES)
_running: dict[bytes, Future[bytes]] = {}  # states being computed: a second request for one waits for it
_lock = threading.Lock()


def key_of(slug: str, knobs: dict[str, Any]) -> bytes:
    return dumps([slug, knobs])


def cached(slug: str, knobs: dict[str, Any]) -> bytes:
    """The response bytes of a state, computed in this thread if nobody has them (the page's first render)."""
    key = key_of(slug, knobs)
    with _lock:
        body = _saved.get(key)
    if body is None:
        body = compute(slug, knobs)
        with _lock:
            _saved.put(key, body)
    return body


async def answer(slug: str, knobs: dict[str, Any]) -> bytes:
    """The response bytes of a state: from the cache, or computed in the lab threads (one computation per state
    however many ask at once)."""
    key = key_of(slug, knobs)
    with _lock:
        body = _saved.get(key)
        future = _running.get(key) if body is None else None
        if body is None and future is None:
            future = _running[key] = _executor().submit(cached, slug, knobs)
            future.add_done_callback(lambda _: _forget(key))
    if body is not None:
        return body
    assert future is not None
    return await asyncio.wrap_future(future)


def _forget(key: bytes) -> None:
    with _lock:
        _running.pop(key, None)


def warm() -> None:
    """Every lab's default state computed now, not for the first visitor."""
    for slug, spec in LABS.items():
        if ready(slug):
            cached(slug, spec.defaults())


def index() -> list[dict[str, Any]]:
    """GET /api/v1/labs: every lab that has its words, in the registry's order."""
    return [lab_card(spec) for slug, spec in LABS.items() if ready(slug)]


def ready(slug: str) -> bool:
    """The lab is registered and its lesson file words every knob: a lab whose words are missing or behind its
    code is left off the site (tests/app/test_labs_words.py fails for it) instead of breaking the app."""
    try:
        words = table(slug).get("knobs", {})
    except KeyError:
        return False
    return slug in LABS and all("label" in words.get(k.name, {}) for k in LABS[slug].knobs)


def example_body(slug: str) -> dict[str, Any]:
    """A worked example for /docs: every knob at its default."""
    return LABS[slug].defaults()


# ---- the page -----------------------------------------------------------------------------------------------


def page_view(body: bytes) -> dict[str, Any]:
    """A response as the page template reads it (answer paragraphs split)."""
    lab: dict[str, Any] = orjson.loads(body)
    lab["paragraphs"] = {lang: segments(text) for lang, text in lab["words"]["answer"].items()}
    return lab


def segments(text: str) -> list[list[tuple[str, bool]]]:
    """Paragraphs (split at blank lines) of (text, is_code) parts: `backticks` mark code (static/js/lab_state.js
    does the same in the browser)."""
    paras = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return [[(part, i % 2 == 1) for i, part in enumerate(p.split("`")) if part] for p in paras]


def knob_inputs(slug: str, knobs: dict[str, Any]) -> list[dict[str, Any]]:
    """Per knob, what its control needs: kind (range, select, checkbox), bounds and step of the slider (log10 of
    the value for a log knob), the value and its words."""
    words = knob_words(slug)
    out = []
    for k in LABS[slug].knobs:
        w, value = words[k.name], knobs[k.name]
        item: dict[str, Any] = {"name": k.name, "type": k.type, "value": value, "label": w["label"], "help": w["help"]}
        if k.type == "enum":
            item["kind"], item["choices"] = "select", [(c, (w["choices_words"] or {}).get(c)) for c in k.choices or ()]
        elif k.type == "bool":
            item["kind"] = "checkbox"
        else:
            low, high = float(k.minimum or 0), float(k.maximum or 0)
            log = w["scale"] == "log"
            step = w["step"] or (1 if k.type == "int" else (high - low) / 100)
            if log:
                low, high, step = math.log10(low), math.log10(high), (math.log10(high) - math.log10(low)) / 200
            item |= {"kind": "range", "log": log, "min": low, "max": high, "step": step}
            item["position"] = math.log10(value) if log else value
        out.append(item)
    return out


__all__ = ["answer", "cached", "canonical", "from_query", "index", "knobs_model", "lab_response", "warm"]
