"""Axis labels: names for the positions along an input axis, e.g. the characters of a sentence, or the column
names of a pasted CSV header. Keyed by the axis index as a string, each a list as long as that axis:

    >>> fit_problem({"1": ["height", "weight"]}, (3, 2)) is None
    True
    >>> fit_problem({"1": ["height"]}, (3, 2))[0]
    'length'

A view's state may carry them (`ViewState.labels`); a trace response carries the labels in effect
(`trace_labels`): the state's own, over those a pasted header gave. The page draws them (tensor.js axisLabel).
Their words are `[label_errors.<code>]` of app/lessons/labels.toml.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from normlens.app.errors import request_words
from normlens.app.fields import JsonSchema, field_error

MAX_LABEL_CHARS = 32  # the paste reader cuts header names to the same length (normlens.paste.table.MAX_LABEL)
MAX_LABELS = 4096  # labels over all axes of one state: a permalink stays short

AXIS_KEY = r"^(0|[1-9][0-9]?)$"
Label = Annotated[str, StringConstraints(min_length=1, max_length=MAX_LABEL_CHARS)]
AxisKey = Annotated[str, StringConstraints(pattern=AXIS_KEY)]
LabelList = Annotated[list[Label], Field(min_length=1, max_length=MAX_LABELS)]


def labels_schema() -> dict[str, Any]:
    """The JSON schema of `labels`, as strict as the field's types: no key but an axis index."""
    names = {"type": "string", "minLength": 1, "maxLength": MAX_LABEL_CHARS}
    axis = {"type": "array", "items": names, "minItems": 1, "maxItems": MAX_LABELS}
    return {"type": "object", "patternProperties": {AXIS_KEY: axis}, "additionalProperties": False}


Labels = Annotated[dict[AxisKey, LabelList], JsonSchema(labels_schema)]
LABELS_DESCRIPTION = (
    'Names of the positions along input axes, keyed by the axis index as a string: {"1": ["height", "weight"]} '
    "names the 2 positions of axis 1 (after `shape`). Each list is as long as its axis; at most "
    f"{MAX_LABELS} labels in all, each 1 to {MAX_LABEL_CHARS} characters, no control characters."
)


def fit_problem(labels: Mapping[str, list[str]], shape: tuple[int, ...]) -> tuple[str, str, dict[str, Any]] | None:
    """The first way `labels` do not fit an input of `shape`: (code, axis key, values of its words), else None."""
    total = sum(len(names) for names in labels.values())
    if total > MAX_LABELS:
        return "too_many", next(iter(labels)), {"got": total, "limit": MAX_LABELS}
    for key in sorted(labels, key=int):
        names, axis = labels[key], int(key)
        if axis >= len(shape):
            return "no_axis", key, {"axis": axis, "ndim": len(shape), "last": len(shape) - 1, "shape": list(shape)}
        if len(names) != shape[axis]:
            return "length", key, {"axis": axis, "got": len(names), "want": shape[axis], "shape": list(shape)}
        for i, name in enumerate(names):
            if any(unicodedata.category(c) in ("Cc", "Cs") for c in name):
                return "control", key, {"axis": axis, "index": i}
    return None


def check_labels(title: str, labels: Mapping[str, list[str]] | None, shape: tuple[int, ...]) -> None:
    """Raise a ValidationError at ("labels", axis) of model `title` if `labels` do not fit an input of `shape`,
    in both languages (type value_error: the schema cannot say it)."""
    problem = fit_problem(labels, shape) if labels else None
    if problem is not None:
        code, key, values = problem
        words = request_words(code, "label_errors", **values)
        raise field_error(title, ("labels", key), words.en, None, msg_zh=words.zh)


def moved(pasted: Mapping[str, list[str]], raw: tuple[int, ...], shape: tuple[int, ...]) -> dict[str, list[str]]:
    """A pasted header's labels of the last axis, on the input as the layer sees it (after a reshape): the last
    axis still, if its length is unchanged (row-major order keeps each column's values at the same last index).

    >>> moved({"1": ["a", "b"]}, (3, 2), (1, 3, 2)), moved({"1": ["a", "b"]}, (3, 2), (6,))
    ({'2': ['a', 'b']}, {})
    """
    last = str(len(raw) - 1)
    if last not in pasted or not shape or shape[-1] != raw[-1]:
        return {}
    return {str(len(shape) - 1): list(pasted[last])}


def trace_labels(
    raw: tuple[int, ...],
    shape: tuple[int, ...],
    pasted: Mapping[str, list[str]] | None = None,
    own: Mapping[str, list[str]] | None = None,
) -> dict[str, list[str]]:
    """The labels a trace carries: a state's own (`own`, already checked against `shape`) over those of a pasted
    header (`pasted`, of the `raw` input before the reshape to `shape`); {} when there are none."""
    return {**moved(pasted or {}, raw, shape), **(own or {})}
