"""The types the request and response models share: the layer enum (from the engine's registry), dtypes,
tensors as JSON, and `field_error`, which raises a validation error at a given location.

    >>> "batch_norm" in LAYER_NAMES
    True
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

import normlens

# the layer enum comes from the engine's registry: a new layer needs no change here
LAYER_NAMES: tuple[str, ...] = tuple(normlens.LAYERS)
Layer = Literal[LAYER_NAMES]  # type: ignore[valid-type]
DType = Literal["float32", "float64"]
Detail = Literal["auto", "full", "summary"]
Distribution = Literal["normal", "uniform", "integers"]

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
NESTED_NUMBERS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "items": {"anyOf": [{"type": "number"}, {"type": "array"}]},
    "description": "A (nested) list of numbers: a tensor.",
}
# Checked by app.inputs.nested_array, not by pydantic number by number (50x faster on big tensors).
NestedNumbers = Annotated[list[Any], WithJsonSchema(NESTED_NUMBERS_SCHEMA)]


def field_error(
    title: str,
    loc: tuple[str | int, ...],
    message: str,
    value: Any = None,
    type_: str = "value_error",
    **ctx: Any,
) -> ValidationError:
    """A ValidationError at `loc` (relative to the model raising it); pydantic prefixes the parents' locs."""
    err = PydanticCustomError(type_, message, ctx) if ctx else PydanticCustomError(type_, message)
    return ValidationError.from_exception_data(title, [{"type": err, "loc": loc, "input": value}])


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
