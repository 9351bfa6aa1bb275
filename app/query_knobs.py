"""Knob values from a page's query string (labs, the training lab): each value parsed by its knob's type and
checked by the page's own rules; a bad or unknown one is left at its default and reported as an error item (the
page shows it in both languages), never a failed page.

    >>> parse_query([Param("seed", "int", 0, minimum=0)], lambda g: {"seed": 0} | g, {"seed": "3"})
    ({'seed': 3}, [])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from normlens.app.lessons import error_text
from normlens.args import ArgumentError, Param


def parse_value(k: Param, raw: str) -> Any:
    """A query string's text as the knob's type would take it (anything else is left for the check to word)."""
    if k.type == "enum":
        return raw
    if k.type == "bool":
        return {"true": True, "false": False, "1": True, "0": False}.get(raw.lower(), raw)
    try:
        number = float(raw)
    except ValueError:
        return raw
    return int(number) if k.type == "int" and number.is_integer() and abs(number) < 2**53 else number


def parse_query(
    knobs: Sequence[Param], resolve: Callable[[dict[str, Any]], dict[str, Any]], query: dict[str, str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(values, errors): `resolve(given)` validates and fills defaults (raising ArgumentError)."""
    given: dict[str, Any] = {}
    errors = []
    for k in knobs:
        if k.name not in query:
            continue
        try:
            value = parse_value(k, query[k.name])
            given[k.name] = resolve({k.name: value})[k.name]
        except ArgumentError as e:
            words = error_text(e, None)
            errors.append({"loc": ["query", k.name], "msg": words.en, "msg_zh": words.zh, "code": e.code})
    return resolve(given), errors
