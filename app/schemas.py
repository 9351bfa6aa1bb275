"""The request and response models of the JSON API. `TraceRequest` is also the shareable state of a view.

    >>> req = TraceRequest.model_validate(
    ...     {"layer": "batch_norm", "input": {"random": {"shape": [2, 3, 4]}}, "params": {"eps": 1e-3}}
    ... )
    >>> req.input_shape(), req.params
    ((2, 3, 4), {'eps': 0.001})

Every model is strict and forbids unknown fields: a boolean never passes as a number, a number never as a
boolean, a string never as either. Tensors are typed loosely for the schema (a JSON array) and checked by
`app.inputs.nested_array`, which is about 50x faster than validating a recursive list type number by number.
`params` are checked against the chosen layer's `normlens.spec.LayerSpec`, so errors name the argument:
loc ``["params", "eps"]``. In the OpenAPI document a TraceRequest (and a ViewState) is one form per layer, a
union on "layer" whose params are that layer's model (app.layer_params), and the input is one of three forms:
the schema documents each layer's arguments and is as strict as these validators.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, cast

import numpy as np
from pydantic import (
    Field,
    GetJsonSchemaHandler,
    PrivateAttr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError

from normlens.app.draws import RandomDraw
from normlens.app.errors import request_words
from normlens.app.fields import (
    Detail,
    DType,
    FiniteFloat,
    Int,
    JsonSchema,
    Layer,
    NestedNumbers,
    StrictModel,
    field_error,
    private,
)
from normlens.app.inputs import InputError, nested_array, resolve_shape
from normlens.app.labels import LABELS_DESCRIPTION, Labels, check_labels, trace_labels
from normlens.app.layer_params import layer_union_schema, params_model
from normlens.app.requests import OffLoopValidation
from normlens.app.settings import get_settings
from normlens.app.tensor_input import PasteText, TensorInput, input_error


def _error(title: str, loc: tuple[str, ...], code: str, type_: str = "value_error", **values: Any) -> ValidationError:
    """A request error at `loc` in the words of [request_errors.<code>] (app/lessons/requests.toml)."""
    words = request_words(code, **values)
    return field_error(title, loc, words.en, None, type_, msg_zh=words.zh)


class GradFill(StrictModel):
    """An upstream gradient with every element equal to `fill` (1 gives d(sum(y))/dx)."""

    fill: FiniteFloat


class GradRandom(StrictModel):
    """A random upstream gradient of the input's shape."""

    random: RandomDraw


def reshape_schema() -> dict[str, Any]:
    """`shape`: positive sizes or -1, at most NORMLENS_MAX_DEPTH of them (one -1 at most: beyond the schema)."""
    size = {"anyOf": [{"type": "integer", "const": -1}, {"type": "integer", "minimum": 1}]}
    return {"type": "array", "items": size, "minItems": 1, "maxItems": get_settings().max_depth}


class TraceRequest(StrictModel, OffLoopValidation):
    """One view: which layer, on which tensor, with which arguments, and how much detail to send back."""

    layer: Layer = Field(..., description="Which layer to trace.")
    input: TensorInput
    shape: Annotated[list[Int], JsonSchema(reshape_schema)] | None = Field(
        None,
        min_length=1,
        max_length=32,
        description="Reshape the input first (numpy's rules, one -1 allowed), e.g. [24] to [2, 3, 2, 2].",
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="The layer's arguments under their PyTorch names (GET /api/v1/layers lists them); "
        "omitted ones take PyTorch's defaults.",
    )
    grad_output: NestedNumbers | GradFill | GradRandom | None = Field(
        None,
        description="Upstream gradient dL/dy of the input's shape (after reshape): a nested list, "
        '{"fill": 1} or {"random": {"seed": 0}}. Adds the backward steps and "grads".',
    )
    dtype: DType = Field("float32", description="Computation dtype, as torch's default float32 or float64.")
    detail: Detail = Field(
        "auto",
        description='"auto": whole arrays up to a size limit, summaries beyond; "full": every array whole; '
        '"summary": summaries only. An array goes out either whole or as its summary, never both.',
    )
    labels: Labels | None = Field(None, description=LABELS_DESCRIPTION)

    _shape: tuple[int, ...] = PrivateAttr(())
    _grad: np.ndarray | None = PrivateAttr(None)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return layer_union_schema(cls, core_schema, handler)

    @field_validator("params")
    @classmethod
    def _layer_params(cls, params: dict[str, Any], info: Any) -> dict[str, Any]:
        layer = info.data.get("layer")
        if layer is None:  # the layer itself was invalid: that error is reported already
            return params
        return params_model(layer).model_validate(params).model_dump(exclude_unset=True)

    @field_validator("grad_output", mode="wrap")
    @classmethod
    def _grad_kind(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if value is None or isinstance(value, list):
            return handler(value)
        if isinstance(value, dict) and "fill" in value:
            return GradFill.model_validate(value)
        if isinstance(value, dict) and "random" in value:
            return GradRandom.model_validate(value)
        words = request_words("grad_output_kind")
        raise PydanticCustomError("grad_output_kind", words.en, {"msg_zh": words.zh})

    @model_validator(mode="after")
    def _shapes_agree(self) -> TraceRequest:
        raw = self.input.raw_shape()
        size = math.prod(raw)
        try:
            self._shape = shape = raw if self.shape is None else resolve_shape(self.shape, size)
        except InputError as e:
            where = request_words("input_has_shape", shape=list(raw))
            raise input_error("TraceRequest", ("shape",), e, where) from None
        s = get_settings()
        if len(shape) > s.max_depth:
            raise _error("TraceRequest", ("shape",), "shape_too_long", "too_many_axes", limit=s.max_depth)
        if isinstance(self.grad_output, list):
            try:
                g = nested_array(self.grad_output, "grad_output", s.max_elements, s.max_depth)
            except InputError as e:
                raise input_error("TraceRequest", ("grad_output",), e) from None
            if g.shape != shape:
                want, got = list(shape), list(g.shape)
                raise _error("TraceRequest", ("grad_output",), "grad_output_shape", want=want, got=got)
            self._grad = g
        check_labels("TraceRequest", self.labels, shape)
        return self

    def input_shape(self) -> tuple[int, ...]:
        """The shape the layer sees (after `shape`)."""
        return cast(tuple[int, ...], private(self)["_shape"])

    def axis_labels(self) -> dict[str, list[str]]:
        """The labels a trace of this request carries: its own over a pasted header's (app.labels.trace_labels)."""
        return trace_labels(self.input.raw_shape(), self.input_shape(), self.input.parsed_labels, self.labels)

    def input_array(self) -> np.ndarray:
        """The input as float64, reshaped."""
        return self.input.array().reshape(self.input_shape())

    def grad_array(self) -> np.ndarray | None:
        """The upstream gradient as float64 of the input's shape, or None."""
        g = self.grad_output
        if g is None:
            return None
        if isinstance(g, GradFill):
            return np.full(self.input_shape(), g.fill, dtype=np.float64)
        if isinstance(g, GradRandom):
            return g.random.draw(self.input_shape())
        assert (grad := private(self)["_grad"]) is not None
        return cast(np.ndarray, grad)


class ParseRequest(StrictModel):
    text: PasteText = Field(..., description="The pasted text; it holds at least one digit.")
