"""The shareable state of a view: the one schema behind permalinks, short links, examples and the page.

A `ViewState` is a `TraceRequest` (layer, arguments, tensor, dtype, detail) plus what the reader was looking
at (`view`: the step, the highlighted statistic group, the language) and optional names for the positions of
input axes (`labels`, app/labels.py: {"1": ["我", "爱", "吃", "炸", "鸡"]}), under a schema version `v`:

    >>> s = ViewState.model_validate(
    ...     {"layer": "layer_norm", "input": {"random": {"shape": [2, 5, 4]}},
    ...      "view": {"step": "mean", "lang": "zh"}}
    ... )
    >>> s.v, s.input_shape(), s.view.step
    (1, (2, 5, 4), 'mean')

`load_state` is the only way a stored or decoded state becomes a `ViewState`: it checks the version first, so
a link made by a newer NormLens gets a clear message instead of a list of schema errors. When version 2
exists, `load_state` is where a version-1 state is migrated; a saved link keeps the version it was made with.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from normlens.app.errors import chinese
from normlens.app.fields import WHOLE, whole
from normlens.app.lessons import LANGS, Text, fill, lessons
from normlens.app.schemas import StrictModel, TraceRequest

SCHEMA_VERSION = 1
Lang = Literal["en", "zh"]


def words(section: str, entry: str, **values: Any) -> Text:
    """A lesson-file entry filled in both languages; a `Text` value is taken in the language being filled.

    >>> words("errors", "link_broken", reason=Text("it is cut", "它被截断")).zh
    '此链接已损坏：它被截断。请确认链接复制完整。'
    """
    table = lessons().message(section, entry)
    texts = (fill(table[lang], {k: v[lang] if isinstance(v, Text) else v for k, v in values.items()}) for lang in LANGS)
    return Text(*texts)


class StateError(ValueError):
    """A state that cannot be used, with the reason in English and Chinese; `code` is machine-readable.

    The words are the entry `[errors.<entry>]` of the lesson files (app/lessons/links.toml), `entry` defaulting
    to `code`, filled with `values`: `StateError("invalid_state", 400, "state_bad_version", got="'1'")`.
    """

    def __init__(self, code: str, status: int = 400, entry: str | None = None, **values: Any) -> None:
        self.code, self.status, self.entry, self.values = code, status, entry or code, values
        self.text = words("errors", self.entry, **values)
        super().__init__(self.text.en)

    @property
    def en(self) -> str:
        return self.text.en

    @property
    def zh(self) -> str:
        return self.text.zh

    def message(self, lang: str) -> str:
        return self.text[lang]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.text.to_dict()}


def newer_version_error(version: int) -> StateError:
    return StateError("newer_version", version=version, supported=SCHEMA_VERSION)


class View(StrictModel):
    """What the reader was looking at: which step, which statistic group, which language."""

    step: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Id of the step shown, e.g. 'mean' (the trace's step ids); null: the first step. "
        "An id the trace does not have falls back to the first step.",
    )
    group: Annotated[int, Field(ge=0, le=2**31 - 1), WHOLE] | None = Field(
        None,
        description="Flat index of the highlighted statistic group (row-major over the statistics' shape); "
        "null: none. An index beyond the statistics is ignored.",
    )
    lang: Lang = Field("en", description='Language of the page: "en" or "zh".')


def _version(value: Any) -> Any:
    """`v` as JSON Schema's const 1 holds it: 1.0 is 1, true is not (pydantic's Literal[1] takes True == 1)."""
    if type(value) is bool:
        raise PydanticCustomError("literal_error", "Input should be 1", {"expected": "1"})
    return whole(value)


class ViewState(TraceRequest):
    """One shareable view: a TraceRequest plus the view, under a schema version."""

    v: Annotated[Literal[1], BeforeValidator(_version)] = Field(
        1, description="Schema version of the state; this server reads and writes 1."
    )
    view: View = Field(default_factory=lambda: View.model_validate({}), description="What the reader was looking at.")

    @model_validator(mode="before")
    @classmethod
    def _version_first(cls, data: Any) -> Any:
        if isinstance(data, dict):
            v = data.get("v", SCHEMA_VERSION)
            if type(v) is int and v > SCHEMA_VERSION:
                text = newer_version_error(v).text  # msg_zh: lifted into the API's error item
                raise PydanticCustomError("newer_version", text.en, {"msg_zh": text.zh})
        return data

    def trace_request(self) -> TraceRequest:
        """The TraceRequest part, for POST /api/v1/trace and the tracer (view and version dropped)."""
        return TraceRequest.model_validate(self.model_dump(exclude={"v", "view"}, exclude_unset=True))


def load_state(data: Any) -> ViewState:
    """A ViewState from decoded JSON, checking the version before the schema; errors are `StateError`s."""
    if not isinstance(data, dict):
        raise StateError("invalid_state", entry="state_not_object")
    v = data.get("v", SCHEMA_VERSION)
    if type(v) is not int or v < 1:
        raise StateError("invalid_state", entry="state_bad_version", got=repr(v))
    if v > SCHEMA_VERSION:
        raise newer_version_error(v)
    try:
        return ViewState.model_validate(data)
    except ValidationError as e:
        raise schema_error(e) from None


def schema_error(e: ValidationError) -> StateError:
    """The first problem of a state, where it is, and how many more there are, in both languages."""
    first, more = e.errors()[0], len(e.errors()) - 1
    where = ".".join(str(p) for p in first["loc"]) or "state"
    ctx = first.get("ctx") or {}
    msg = Text(first["msg"], ctx.get("msg_zh") or chinese(first["type"], ctx, first["msg"]))
    tail = words("link_parts", "more_problems" if more > 1 else "more_problem", count=more) if more else ""
    return StateError("invalid_state", entry="state_invalid", where=where, msg=msg, more=tail)
