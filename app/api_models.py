"""The response models of the JSON API: documentation for OpenAPI only (responses are serialized by orjson,
never validated against these).

    >>> sorted(StepOut.model_fields)[:3]
    ['brief', 'explanation', 'formula']
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from normlens.app.fields import DType, Layer


class TextOut(BaseModel):
    en: str
    zh: str


class TextListOut(BaseModel):
    en: list[str]
    zh: list[str]


class HistogramOut(BaseModel):
    edges: list[float]
    counts: list[int]
    sampled: int


class SummaryOut(BaseModel):
    count: int
    min: float | None
    max: float | None
    mean: float | None
    std: float | None
    histogram: HistogramOut | None


class StepOut(BaseModel):
    id: str = Field(..., examples=["mean"])
    phase: Literal["forward", "backward"]
    kind: Literal["tensor", "stat", "param", "scalar"]
    variant: str = Field("", description='Which wording of the step applies, e.g. "running" in eval mode.')
    scalars: dict[str, Any] = Field(default_factory=dict, description="The numbers the step's words use.")
    title: TextOut
    explanation: TextOut
    formula: str = Field(..., description="LaTeX")
    live: str | None = Field(None, description="The formula with [[placeholders]] the page fills for a cell.")
    brief: str | None = Field(None, description="A shorter live formula for arrays that were summarized.")
    formula_mathml: str = Field("", description="The formula as MathML (app/formulas.py), for browsers.")
    shape: list[int] | None
    values: Any = Field(None, description="The array as nested lists, or null when only the summary is sent.")
    summary: SummaryOut | None = Field(
        ...,
        description="count, min, max, mean, std and a 32-bin histogram of the array, when its values are not "
        'sent (detail "summary", or beyond the size limit of "auto"); null when they are: an array goes out '
        "either whole or summarized.",
    )


class GroupingOut(BaseModel):
    stat_shape: list[int]
    axis_map: list[list[int] | None]
    reduce_axes: list[int]
    group_size: int


class WarningOut(BaseModel):
    code: str
    message: TextOut
    torch_error: str | None


class TraceResponse(BaseModel):
    """Trace.to_dict(): every step with its arrays, plus what the request resolved to."""

    layer: Layer
    torch_class: str = Field(..., description='The PyTorch module this call is, e.g. "nn.BatchNorm2d".')
    dtype: DType
    shape: list[int]
    axes: list[str] = Field(..., description='The input\'s axis names, e.g. ["N", "C", "H", "W"].')
    param_axes: list[int | None] | None = Field(
        None, description="For each input axis, the axis of gamma/beta it indexes (null: shared along it)."
    )
    reduce_axes: list[int]
    grouping: GroupingOut | None
    params: dict[str, Any] = Field(..., description="Every argument, defaults filled in.")
    steps: list[StepOut]
    output: Any = Field(None, description="Nested lists, or null beyond the detail limit (see the last step).")
    stats: dict[str, Any] | None = Field(None, description='{"mean", "var"} or {"ms"} (RMSNorm); null for Dropout.')
    parameters: dict[str, Any]
    running: dict[str, Any] | None
    grads: dict[str, Any] | None
    param_counts: dict[str, int]
    warnings: list[WarningOut]
    torch_code: str
    input_format: str | None = Field(None, description="How pasted text was read (text input only).")
    input_notes: TextListOut | None = Field(None, description="Notes from reading pasted text (text input only).")
    labels: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Names of positions along input axes, keyed by axis index: the request's own over a pasted "
        'header\'s, e.g. {"1": ["height", "weight"]}; {} when none.',
    )
    request: dict[str, Any] = Field(..., description="The request as understood (tensors omitted).")


class ParseResponse(BaseModel):
    format: str = Field(
        ..., description='"json", "numpy", "torch", "jax", "tensorflow", "rows", "blocks", "table" or "pandas".'
    )
    shape: list[int]
    dtype: str | None = Field(..., description="The dtype named in the text, if any.")
    values: Any = Field(None, description="Nested lists when small enough, else null.")
    notes: list[str] = Field(..., description="What was ignored or assumed, in English.")
    notes_zh: list[str] = Field(..., description="The same notes in Chinese.")
    labels: dict[str, list[str]] = Field(
        default_factory=dict, description='Labels the text gave its axes: a header row labels the last, {"1": [...]}.'
    )


class BoundsOut(BaseModel):
    """What a layer argument and a lab knob share: the bounds, choices and length of their values."""

    minimum: float | None
    maximum: float | None
    exclusive_minimum: bool
    exclusive_maximum: bool
    choices: list[str] | None
    length: str | None


class ParamOut(BoundsOut):
    name: str
    type: str
    default: Any
    description: TextOut


class LayerSpecOut(BaseModel):
    name: Layer
    title: TextOut
    description: TextOut
    torch_classes: list[str]
    input_ranks: list[int]
    input_layout: TextOut
    params: list[ParamOut]


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class ShortLinkOut(BaseModel):
    """POST /api/v1/links: the short link of a state (201 made now, 200 made before: the same id)."""

    id: str = Field(..., description="Made from the state's content; GET /api/v1/links/{id} reads it back.")
    url: str = Field(..., description='The page of the link, e.g. "/s/k3v7q2x9ab".')
    v: int = Field(..., description="Schema version of the stored state.")
    created: bool


class StoredLinkOut(BaseModel):
    """GET /api/v1/links/{id}: the stored state exactly as saved, with the version it was saved in."""

    id: str
    url: str
    v: int
    state: dict[str, Any]


# OpenAPI links of POST /api/v1/links' 201 and 200 answers: the id they return reads the state back. Clients
# and schemathesis' stateful phase follow them (its own guess took the id from a "link_id" field).
READ_BACK: dict[str, Any] = {
    "GetShortLink": {
        "operationRef": "#/paths/~1api~1v1~1links~1{link_id}/get",
        "parameters": {"link_id": "$response.body#/id"},
        "description": "The state behind the new short link.",
    }
}


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str = Field(
        ...,
        description="pydantic's error types for what the schema states (missing, extra_forbidden, "
        "greater_than_equal, ...); value_error, paste_error and too_many_elements for what it cannot (a ragged "
        "tensor, a reshape that does not fit, a rank or length the layer refuses, pasted text that is not a tensor).",
    )
    line: int | None = Field(None, description="Pasted text errors: 1-based line.")
    column: int | None = Field(None, description="Pasted text errors: 1-based column.")
    code: str | None = Field(None, description='Pasted text errors: a stable code ("ragged", "not_number", ...).')
    msg_zh: str = Field(..., description="The message in Chinese (msg is in English).")


class ErrorResponse(BaseModel):
    detail: list[ErrorItem] | str
