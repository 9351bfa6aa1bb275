"""The words of NormLens: lesson files (app/lessons/*.toml) rendered with a trace's live numbers.

The engine (`normlens`) returns steps, notices and errors as ids and numbers; this module turns them into
English and Simplified Chinese. `Text` is the one en/zh message type of the app.

    >>> fill("m = ${m}, eps = ${eps:g}", {"m": 16, "eps": 1e-05})
    'm = 16, eps = 1e-05'
    >>> error_text(ArgumentError("eps", "not_number", got="'a'")).en
    "eps must be a number, got 'a'"
"""

from __future__ import annotations

import functools
import pickle
import re
import threading
import tomllib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np

from normlens.app.formulas import to_mathml
from normlens.args import ArgumentError, LayerSpec
from normlens.trace import Notice, Step, Trace

DIR = Path(__file__).resolve().parent / "lessons"
LANGS = ("en", "zh")
PLACEHOLDER = re.compile(r"\$\{(\w+)(?::([^}]*))?\}")
FIELDS = ("title", "text", "formula", "live", "brief")
T = TypeVar("T")
K = TypeVar("K", bytes, tuple[Any, ...])


@dataclass(frozen=True)
class Text:
    """A sentence in English and Simplified Chinese."""

    en: str
    zh: str

    def __getitem__(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def to_dict(self) -> dict[str, str]:
        return {"en": self.en, "zh": self.zh}

    @classmethod
    def of(cls, table: Mapping[str, str]) -> Text:
        return cls(table["en"], table["zh"])


def show(value: Any, spec: str = "") -> str:
    """A value as the words print it: lists as [2, 3], everything else as str() or with its format spec (an
    undefined number, None, as —)."""
    if spec:
        return "—" if value is None else format(value, spec)
    if isinstance(value, list | tuple):
        inner = ", ".join(show(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    return str(value)


def fill(template: str, values: Mapping[str, Any]) -> str:
    """Replace ${name} and ${name:spec}; an unknown name is a KeyError (a lesson-file mistake)."""
    return PLACEHOLDER.sub(lambda m: show(values[m.group(1)], m.group(2) or ""), template)


def placeholders(template: str) -> set[str]:
    return {m.group(1) for m in PLACEHOLDER.finditer(template)}


class Lessons:
    """Every lesson file merged into one tree; a key defined in two files is an error."""

    def __init__(self, folder: Path = DIR) -> None:
        self.tree: dict[str, Any] = {}
        for path in sorted(folder.glob("*.toml")):
            _merge(self.tree, tomllib.loads(path.read_text(encoding="utf-8")), path.name)

    def layer(self, name: str) -> dict[str, Any]:
        return dict(self.tree.get("layers", {}).get(name, {}))

    def step_tables(self, layer: str, step_id: str, variant: str) -> list[dict[str, Any]]:
        """The tables a step's fields come from, most specific first."""
        own = self.layer(layer).get("steps", {}).get(step_id, {})
        shared = self.tree.get("steps", {}).get(step_id, {})
        tables = [own.get(variant, {}), shared.get(variant, {})] if variant else []
        return [t for t in (*tables, own, shared) if t]

    def field(self, layer: str, step_id: str, variant: str, name: str) -> Any:
        return next((t[name] for t in self.step_tables(layer, step_id, variant) if name in t), None)

    def message(self, section: str, code: str) -> dict[str, str]:
        table = self.tree.get(section, {}).get(code)
        if table is None:
            raise KeyError(f"no [{section}.{code}] in the lesson files")
        return dict(table)


def _merge(into: dict[str, Any], new: Mapping[str, Any], source: str, path: str = "") -> None:
    for key, value in new.items():
        where = f"{path}.{key}" if path else key
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, source, where)
        elif key in into:
            raise ValueError(f"{source}: {where} is defined in two lesson files")
        else:
            into[key] = value


@cache
def lessons() -> Lessons:
    return Lessons()


def layer_values(trace: Trace, lang: str) -> dict[str, Any]:
    """What every text of a trace may name: notation, scalar arguments, the layer's terms, its identity."""
    terms = {k: v[lang] for k, v in lessons().layer(trace.layer).get("terms", {}).items()}
    scalars = {k: v for k, v in trace.params.items() if not isinstance(v, dict)}
    base = {"layer": trace.layer, "torch_class": trace.torch_class, "shape": list(trace.shape), "dtype": trace.dtype}
    return {**base, **scalars, **trace.notation, **terms}


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


def notice_text(trace: Trace, notice: Notice) -> Text:
    table = lessons().message("notices", notice.code)
    words = [fill(table[lang], {**layer_values(trace, lang), **notice.values}) for lang in LANGS]
    return Text(*words)


def error_text(error: Exception, layer: str | None = None) -> Text:
    """The catalogue's words for a structured error (an ArgumentError or a paste error), PyTorch's own
    message quoted after them where it has one."""
    code, values = getattr(error, "code", "invalid"), dict(getattr(error, "values", {}))
    values.setdefault("param", getattr(error, "param", ""))
    table = lessons().message(getattr(error, "catalogue", "errors"), code)
    out = []
    for lang in LANGS:
        info = lessons().layer(layer) if layer else {}
        terms = {k: v[lang] for k, v in info.get("terms", {}).items()}
        extra = {"layer": layer or "", "layout": info.get("input_layout", {}).get(lang, ""), **terms}
        words = fill(table[lang], {**extra, **values})
        torch = getattr(error, "torch", None)
        if torch:
            words += fill(lessons().message("errors", "torch_quote")[lang], {"torch": torch})
        out.append(words)
    return Text(*out)


def note_text(code: str, values: Mapping[str, Any]) -> Text:
    """A note on how pasted text was read ([paste_notes.<code>] in paste.toml)."""
    table = lessons().message("paste_notes", code)
    return Text(*(fill(table[lang], values) for lang in LANGS))


def layer_json(spec: LayerSpec) -> dict[str, Any]:
    """A registry entry with its words: title, description, input layout and each argument's description,
    both languages (GET /api/v1/layers and the page's form)."""
    info = lessons().layer(spec.name)
    out = spec.to_dict()
    out |= {k: Text.of(info[k]).to_dict() for k in ("title", "description", "input_layout")}
    for p in out["params"]:
        p["description"] = Text.of(info["params"][p["name"]]).to_dict()
    return out


__all__ = ["ArgumentError", "Lessons", "Text", "layer_json", "error_text", "fill", "lessons", "note_text", "step_words"]
