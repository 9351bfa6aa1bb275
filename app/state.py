"""The shareable state of a view: the one schema behind permalinks, short links, examples and the page.

A `ViewState` is a `TraceRequest` (layer, arguments, tensor, dtype, detail) plus what the reader was looking
at (`view`: the step, the highlighted statistic group, the language), under a schema version `v`:

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

from pydantic import Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from normlens.app.schemas import StrictModel, TraceRequest

SCHEMA_VERSION = 1
Lang = Literal["en", "zh"]


class StateError(ValueError):
    """A state that cannot be used, with the reason in English and Chinese; `code` is machine-readable."""

    def __init__(self, code: str, en: str, zh: str, status: int = 400) -> None:
        super().__init__(en)
        self.code, self.en, self.zh, self.status = code, en, zh, status

    def message(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": {"en": self.en, "zh": self.zh}}


def newer_version_error(version: int) -> StateError:
    return StateError(
        "newer_version",
        f"This link was made by a newer NormLens (state version {version}); this server understands version "
        f"{SCHEMA_VERSION}. Open it on an up-to-date NormLens.",
        f"此链接由更新版本的 NormLens 生成(状态版本 {version});本服务器只支持版本 {SCHEMA_VERSION}。"
        "请在最新的 NormLens 上打开。",
    )


class View(StrictModel):
    """What the reader was looking at: which step, which statistic group, which language."""

    step: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Id of the step shown, e.g. 'mean' (the trace's step ids); null: the first step. "
        "An id the trace does not have falls back to the first step.",
    )
    group: int | None = Field(
        None,
        ge=0,
        le=2**31 - 1,
        description="Flat index of the highlighted statistic group (row-major over the statistics' shape); "
        "null: none. An index beyond the statistics is ignored.",
    )
    lang: Lang = Field("en", description='Language of the page: "en" or "zh".')


class ViewState(TraceRequest):
    """One shareable view: a TraceRequest plus the view, under a schema version."""

    v: Annotated[Literal[1], Field(description="Schema version of the state; this server reads and writes 1.")] = 1
    view: View = Field(default_factory=lambda: View.model_validate({}), description="What the reader was looking at.")

    @model_validator(mode="before")
    @classmethod
    def _version_first(cls, data: Any) -> Any:
        if isinstance(data, dict):
            v = data.get("v", SCHEMA_VERSION)
            if type(v) is int and v > SCHEMA_VERSION:
                err = newer_version_error(v)
                raise PydanticCustomError("newer_version", err.en)
        return data

    def trace_request(self) -> TraceRequest:
        """The TraceRequest part, for POST /api/v1/trace and the tracer (view and version dropped)."""
        return TraceRequest.model_validate(self.model_dump(exclude={"v", "view"}, exclude_unset=True))


def load_state(data: Any) -> ViewState:
    """A ViewState from decoded JSON, checking the version before the schema; errors are `StateError`s."""
    if not isinstance(data, dict):
        raise StateError(
            "invalid_state",
            "The link's state is not a JSON object.",
            "链接中的状态不是 JSON 对象。",
        )
    v = data.get("v", SCHEMA_VERSION)
    if type(v) is not int or v < 1:
        raise StateError(
            "invalid_state",
            f"The link's state has an invalid version {v!r}.",
            f"链接中的状态版本 {v!r} 无效。",
        )
    if v > SCHEMA_VERSION:
        raise newer_version_error(v)
    try:
        return ViewState.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "state"
        more = len(e.errors()) - 1
        tail_en = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        tail_zh = f"(另有 {more} 处问题)" if more else ""
        raise StateError(
            "invalid_state",
            f"The link's state is invalid at {where}: {first['msg']}{tail_en}.",
            f"链接中的状态在 {where} 处无效:{first['msg']}{tail_zh}。",
        ) from None
