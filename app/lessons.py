"""The words of NormLens: lesson files (app/lessons/*.toml) rendered with a trace's live numbers.

The engine (`normlens`) returns steps, notices and errors as ids and numbers; this module turns them into
English and Simplified Chinese. `Text` is the one en/zh message type of the app.

    >>> fill("m = ${m}, eps = ${eps:g}", {"m": 16, "eps": 1e-05})
    'm = 16, eps = 1e-05'
    >>> error_text(ArgumentError("eps", "not_number", got="'a'")).en
    "eps must be a number, got 'a'"
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from normlens.args import ArgumentError, LayerSpec
from normlens.trace import Notice, Trace

DIR = Path(__file__).resolve().parent / "lessons"
LANGS = ("en", "zh")
PLACEHOLDER = re.compile(r"\$\{(\w+)(?:\.\.(\w+))?(?::([^}]*))?\}")  # ${name}, ${name:spec}, ${low..high:spec}


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
    """Replace ${name} and ${name:spec}, and a range ${low..high} with "low–high", or one number when the two
    print alike (4 devices of 8 samples, not of 8–8); an unknown name is a KeyError (a lesson-file mistake).

    >>> fill("${n} of ${lo..hi:.1f}", {"n": 4, "lo": 5, "hi": 11.0}), fill("${lo..hi}", {"lo": 8, "hi": 8})
    ('4 of 5.0–11.0', '8')
    """

    def one(m: re.Match[str]) -> str:
        low = show(values[m.group(1)], m.group(3) or "")
        if m.group(2) is None:
            return low
        high = show(values[m.group(2)], m.group(3) or "")
        return low if low == high else f"{low}–{high}"

    return PLACEHOLDER.sub(one, template)


def placeholders(template: str) -> set[str]:
    return {name for m in PLACEHOLDER.finditer(template) for name in m.group(1, 2) if name is not None}


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


__all__ = ["ArgumentError", "Lessons", "Text", "layer_json", "error_text", "fill", "lessons", "note_text"]
