"""One tensor through every normalization layer (POST /api/v1/compare, the /compare page): each layer's trace is
exactly what POST /api/v1/trace returns for that layer, that input and those arguments.

Arguments a request leaves out take defaults that suit one tensor seen by every layer: LayerNorm and RMSNorm
normalize over every axis but the first, GroupNorm uses the largest G < C that divides C (its slider walks the
rest), InstanceNorm picks its module from the rank, BatchNorm and min-max keep PyTorch's defaults.

    >>> defaults((2, 6, 4))
    {'batch_norm': {}, 'layer_norm': {'normalized_shape': [6, 4]}, 'instance_norm': {}, \
'group_norm': {'num_groups': 3}, 'rms_norm': {'normalized_shape': [6, 4]}, 'min_max': {}}

A layer that cannot take the tensor (BatchNorm of a 1-D input, a G that does not divide C) gets an entry in
`errors`, worded as /api/v1/trace words it; the request fails (422) only when the tensor itself is bad, is larger
than MAX_ELEMENTS, or no layer can take it.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, Field, GetJsonSchemaHandler, TypeAdapter, create_model, field_validator
from pydantic.json_schema import JsonSchemaValue

import normlens
from normlens.app.errors import Unprocessable
from normlens.app.fields import DType, StrictModel
from normlens.app.inputs import InputError, cast
from normlens.app.layer_params import params_model
from normlens.app.lessons import LANGS, Text, fill, lessons
from normlens.app.requests import OffLoopValidation
from normlens.app.schemas import TraceRequest
from normlens.app.tensor_input import TensorInput

# the normalization layers, in the page's order (dropout is not one); a layer missing from the registry is skipped
COMPARED: tuple[str, ...] = tuple(
    name
    for name in ("batch_norm", "layer_norm", "instance_norm", "group_norm", "rms_norm", "min_max")
    if name in normlens.LAYERS
)
# Six traces of every step of the tensor: a 65,536-element comparison answers in about a second and 30 MB;
# beyond it a figure of small multiples is unreadable anyway.
MAX_ELEMENTS = 65_536


def largest_divisor_below(c: int) -> int:
    """GroupNorm's default G: the largest divisor of C below C (1 when C is prime or 1).

    >>> largest_divisor_below(6), largest_divisor_below(7), largest_divisor_below(1)
    (3, 1, 1)
    """
    return max((d for d in range(1, c) if c % d == 0), default=1)


def divisors(c: int) -> list[int]:
    """The G GroupNorm accepts for C channels, 1 (LayerNorm's grouping) to C (InstanceNorm's).

    >>> divisors(6)
    [1, 2, 3, 6]
    """
    return [d for d in range(1, c + 1) if c % d == 0]


def defaults(shape: tuple[int, ...]) -> dict[str, dict[str, Any]]:
    """Each layer's arguments for a tensor of `shape` when the request gives none (see the module's doc)."""
    out: dict[str, dict[str, Any]] = {name: {} for name in COMPARED}
    trailing = list(shape[1:]) or list(shape)  # a 1-D tensor is one sample: all of it
    for name in ("layer_norm", "rms_norm"):
        if name in out:
            out[name] = {"normalized_shape": trailing}
    if "group_norm" in out and len(shape) >= 2:
        out["group_norm"] = {"num_groups": largest_divisor_below(shape[1])}
    return out


@cache
def params_form() -> type[BaseModel]:
    """The strict model of `params`: one optional entry per layer, each that layer's own arguments model (the
    same as POST /api/v1/trace's, app.layer_params), so validation and the schema are the trace endpoint's."""
    fields: Any = {
        name: (params_model(name), Field(None, description=f"Arguments of {name}, by their PyTorch names."))
        for name in COMPARED
    }
    return create_model("CompareParams", __base__=StrictModel, **fields)


class ParamsSchema:
    """Annotation: the JSON schema of `params` is params_form()'s, whose layer models are the components that
    POST /api/v1/trace's forms use (validation stays the dict validator below)."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return handler(TypeAdapter(params_form()).core_schema)


class CompareRequest(StrictModel, OffLoopValidation):
    """One tensor for every normalization layer, with optional arguments per layer."""

    input: TensorInput
    dtype: DType = Field("float32", description="Computation dtype, as torch's default float32 or float64.")
    params: Annotated[dict[str, Any], ParamsSchema()] = Field(
        default_factory=dict,
        description="Arguments per layer under the layer's name, each as in POST /api/v1/trace's params, e.g. "
        '{"group_norm": {"num_groups": 2}, "batch_norm": {"training": false}}. Left out: LayerNorm and RMSNorm '
        "over every axis but the first, GroupNorm with the largest G < C that divides C, PyTorch's defaults else.",
    )

    @field_validator("params")
    @classmethod
    def _layer_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        given = params_form().model_validate(params)  # errors at ["params", layer, argument]
        return {name: m.model_dump(exclude_unset=True) for name in COMPARED if (m := getattr(given, name)) is not None}

    def size(self) -> int:
        return math.prod(self.input.raw_shape())

    def layer_request(self, layer: str) -> TraceRequest:
        """The POST /api/v1/trace request of one layer: the same (already read) input, defaults filled in."""
        params = defaults(self.input.raw_shape())[layer] | self.params.get(layer, {})
        return TraceRequest.model_validate({"layer": layer, "input": self.input, "params": params, "dtype": self.dtype})


def words(entry: str, **values: Any) -> Text:
    """`[compare_errors.<entry>]` of app/lessons/compare.toml, in both languages (a Text value in each)."""
    table = lessons().message("compare_errors", entry)
    given = [{k: v[lang] if isinstance(v, Text) else v for k, v in values.items()} for lang in LANGS]
    return Text(*(fill(table[lang], vals) for lang, vals in zip(LANGS, given, strict=True)))


def checked(request: CompareRequest) -> int:
    """The tensor's element count; Unprocessable beyond MAX_ELEMENTS or when it does not fit the dtype."""
    size = request.size()
    if size > MAX_ELEMENTS:
        text = words("too_large", size=size, limit=MAX_ELEMENTS, shape=list(request.input.raw_shape()))
        raise Unprocessable(["body", "input"], text.en, "too_many_elements", msg_zh=text.zh)
    try:  # float32 overflow is the tensor's fault, not one layer's
        cast(request.input.array(), request.dtype, "input")
    except InputError as e:
        raise Unprocessable(["body", "input"], str(e), msg_zh=e.zh) from None
    return size


def compare_response(request: CompareRequest) -> dict[str, Any]:
    """{"traces": {layer: trace}, "errors": {layer: error item}}; Unprocessable when no layer takes the tensor."""
    from normlens.app.routes.api import trace_response

    checked(request)
    traces: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for layer in COMPARED:
        try:
            traces[layer] = trace_response(request.layer_request(layer))
        except Unprocessable as e:  # its loc as this request spells it: ["body", "params", layer, argument]
            loc = e.item["loc"]
            loc = [*loc[:2], layer, *loc[2:]] if loc[1:2] == ["params"] else loc
            errors[layer] = {**e.item, "loc": loc, "layer": layer}
    if not traces:  # e.g. a 6-D tensor: one error, each layer's reason in it
        reasons = [Text(f"{layer}: {e['msg']}", f"{layer}：{e['msg_zh']}") for layer, e in errors.items()]
        text = words("no_layer", reasons=Text("; ".join(r.en for r in reasons), "；".join(r.zh for r in reasons)))
        raise Unprocessable(["body", "input"], text.en, msg_zh=text.zh)
    return {"traces": traces, "errors": errors}
