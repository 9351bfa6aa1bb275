"""The words of a trace's steps: each step's title, explanation, formula (LaTeX and MathML) and client
templates from the lesson files (app/lessons/*.toml), filled with the step's numbers, and remembered: a request
with new numbers but the same arguments is worded by one lookup.

    >>> import numpy as np, normlens
    >>> tr = normlens.trace("layer_norm", np.arange(6.0).reshape(2, 3))
    >>> step_words(tr, tr.steps[2])["title"].en, step_heads(tr)[2]["id"]
    ('Mean', 'mean')
"""

from __future__ import annotations

import functools
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numpy as np

from normlens.app.formulas import to_mathml
from normlens.app.lessons import LANGS, Text, fill, layer_values, lessons, placeholders
from normlens.trace import Step, Trace

FIELDS = ("title", "text", "formula", "live", "brief")
T = TypeVar("T")
K = TypeVar("K", bytes, tuple[Any, ...])


@functools.lru_cache(maxsize=1024)
def templates(layer: str, step_id: str, variant: str) -> dict[str, Any]:
    """A step's fields (title, text, formula, live, brief), each from the most specific table that has it;
    looked up once per (layer, step, variant): the lesson files do not change while the service runs."""
    tables = lessons().step_tables(layer, step_id, variant)
    return {f: next((t[f] for t in tables if f in t), None) for f in FIELDS}


def words_context(trace: Trace) -> dict[str, dict[str, Any]]:
    """What the words of every step of `trace` may name, per language (`layer_values`), and under "keys" the
    hashable form of each English value, filled as steps ask for them: computed once per trace, not per step."""
    return {**{lang: layer_values(trace, lang) for lang in LANGS}, "keys": {}}


def trace_words(trace: Trace) -> list[dict[str, Any]]:
    """`step_words` of every step of `trace`. Words depend on nothing but what `layer_values` reads (layer,
    class, shape, dtype, scalar arguments, notation) and each step's id, variant and scalars, so a request with
    new numbers and the same arguments is worded by one lookup, not one per step (those were a seventh of
    a small trace's work); a miss words each step, sharing the steps other traces have worded."""
    return _worded(trace).words


def step_heads(trace: Trace) -> list[dict[str, Any]]:
    """Every step of `trace` as the API sends it, but for its array (shape, values, summary): id, phase, kind,
    variant, scalars and the words' "json" fields, from the same lookup as `trace_words`. Shared between
    requests: read-only."""
    return _worded(trace).heads


@dataclass(frozen=True)
class _Worded:
    words: list[dict[str, Any]]
    heads: list[dict[str, Any]]


def _worded(trace: Trace) -> _Worded:
    # The key is what the words and heads depend on, pickled: exact (1, 1.0 and True differ, as they print
    # differently), and made in C, a third of the cost of a tuple of hashable pairs. Equal bytes mean equal
    # values; equal values can pickle differently (dicts in another order, an object shared instead of copied),
    # which is only a miss: the engine builds a trace the same way every time.
    steps = [(s.id, s.phase, s.kind, s.variant, s.scalars) for s in trace.steps]
    key = pickle.dumps((trace.layer, trace.torch_class, trace.shape, trace.dtype, trace.params, trace.notation, steps))

    def make() -> _Worded:
        context = words_context(trace)
        words = [step_words(trace, s, context) for s in trace.steps]
        heads = [
            {"id": s.id, "phase": s.phase, "kind": s.kind, "variant": s.variant, "scalars": s.scalars, **w["json"]}
            for s, w in zip(trace.steps, words, strict=True)
        ]
        return _Worded(words, heads)

    return _remembered(_TRACE_WORDS, key, make)


def step_words(trace: Trace, step: Step, context: Mapping[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """title, explanation (Text), formula (LaTeX), live and brief (client templates) of one step, and "json":
    the same as the API sends them. `context`: the trace's `words_context`, when the caller words every step."""
    context = context or words_context(trace)
    names, scalars, keys = template_names(trace.layer, step.id, step.variant), step.scalars, context["keys"]
    # the words depend only on the values their placeholders name (the rest of `context` is fixed per layer and
    # language), so equal values give equal words: a request with new numbers but the same arguments reuses them
    key = tuple(_hashable(scalars[n]) if n in scalars else _context_key(context, keys, n) for n in names)
    return _remembered(_WORDS, (trace.layer, step.id, step.variant, key), lambda: _word(trace, step, context))


def _context_key(context: Mapping[str, dict[str, Any]], keys: dict[str, Any], name: str) -> Any:
    if name not in keys:
        keys[name] = _hashable(context["en"][name])
    return keys[name]


def _word(trace: Trace, step: Step, context: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    found = templates(trace.layer, step.id, step.variant)
    texts = {}
    for lang in LANGS:
        values = {**context[lang], **step.scalars}
        texts[lang] = [fill(found[f][lang], values) for f in ("title", "text")]
    formula = fill(found["formula"], {**context["en"], **step.scalars}) if found["formula"] else ""
    title, explanation = Text(texts["en"][0], texts["zh"][0]), Text(texts["en"][1], texts["zh"][1])
    live, brief = found["live"], found["brief"]
    # "json": the same fields as the API sends them, built once per cached entry (app.tracejson.step_json)
    shown = {"title": title.to_dict(), "explanation": explanation.to_dict(), "formula": formula}
    shown |= {"formula_mathml": to_mathml(formula), "live": live, "brief": brief}
    return {"title": title, "explanation": explanation, "formula": formula, "live": live, "brief": brief, "json": shown}


WORDS_CACHE_SIZE = 4096  # entries of each LRU: worded steps, worded traces
_WORDS: OrderedDict[tuple[Any, ...], Any] = OrderedDict()  # (layer, step, variant, named values) -> words
_TRACE_WORDS: OrderedDict[bytes, Any] = OrderedDict()  # `_worded`'s key -> each step's words and head
_WORDS_LOCK = threading.Lock()


def _remembered(cache: OrderedDict[K, Any], key: K, make: Callable[[], T]) -> T:
    """A bounded LRU lookup (thread-safe: traces are worded in the threadpool too)."""
    with _WORDS_LOCK:
        if (hit := cache.get(key)) is not None:
            cache.move_to_end(key)
            return cast(T, hit)
    made = make()
    with _WORDS_LOCK:
        cache[key] = made
        if len(cache) > WORDS_CACHE_SIZE:
            cache.popitem(last=False)
    return made


@functools.lru_cache(maxsize=1024)
def template_names(layer: str, step_id: str, variant: str) -> tuple[str, ...]:
    """Every placeholder a step's title, text and formula name, in either language."""
    found = templates(layer, step_id, variant)
    texts = [found[f][lang] for f in ("title", "text") for lang in LANGS] + [found["formula"] or ""]
    return tuple(sorted(set().union(*(placeholders(t) for t in texts))))


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _hashable(value: Any) -> Any:
    if type(value) in _PLAIN:  # the common case, first
        return (type(value).__name__, value)  # 1 and 1.0 and True print differently
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, np.ndarray):
        return _hashable(value.tolist())
    return (type(value).__name__, value)
