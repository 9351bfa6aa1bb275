"""The types the request and response models share: the layer enum (from the engine's registry), dtypes,
integers, tensors as JSON, the JSON schema of the parts pydantic cannot describe exactly, and `field_error`,
which raises a validation error at a given location.

    >>> "batch_norm" in LAYER_NAMES
    True

The JSON schema (the OpenAPI document) is held to be exactly as strict as the validators wherever JSON Schema
can say it: a schema-valid request is refused only for what JSON Schema cannot express, a rule over several
fields or over the numbers themselves (app.errors.BEYOND_SCHEMA). Two consequences here: an integer may be
written 2.0, as JSON Schema counts it an integer (`Int`), and a tensor's schema is one nesting depth per
form, numbers at the bottom, every level non-empty (`tensor_schema`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

import normlens
from normlens.app.settings import get_settings

# the layer enum comes from the engine's registry: a new layer needs no change here
LAYER_NAMES: tuple[str, ...] = tuple(normlens.LAYERS)
Layer = Literal[LAYER_NAMES]  # type: ignore[valid-type]
DType = Literal["float32", "float64"]
Detail = Literal["auto", "full", "summary"]
Distribution = Literal["normal", "uniform", "integers"]


def whole(value: Any) -> Any:
    """A float with no fractional part as the int it is (JSON Schema's "integer" includes 2.0); anything else
    as it came, for the strict int validator to judge (a bool or 2.5 is still refused).

    >>> whole(2.0), whole(2.5), whole(True)
    (2, 2.5, True)
    """
    return int(value) if type(value) is float and value.is_integer() else value


WHOLE = BeforeValidator(whole)  # last in an Annotated: Annotated[int, Field(ge=1), WHOLE] keeps "minimum": 1
Int = Annotated[int, WHOLE]


def int_in(**bounds: Any) -> Any:
    """`Int` with bounds (Field's ge, le, ...), written so that the JSON schema shows them as minimum, maximum."""
    return Annotated[int, Field(**bounds), WHOLE]


FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


def knob_annotation(k: Any) -> Any:
    """The strict field type of a bool, int, float or enum `normlens.args.Param` (a lab's or the training lab's
    knob), its bounds in the JSON schema."""
    bounds: dict[str, Any] = {}
    if k.minimum is not None:
        bounds["gt" if k.exclusive_minimum else "ge"] = k.minimum
    if k.maximum is not None:
        bounds["lt" if k.exclusive_maximum else "le"] = k.maximum
    if k.type == "bool":
        return bool
    if k.type == "int":
        return int_in(**bounds)
    if k.type == "enum":
        return Literal[tuple(k.choices or ())]
    return Annotated[float, Field(allow_inf_nan=False, **bounds)] if bounds else FiniteFloat


@dataclass(frozen=True)
class JsonSchema:
    """Annotation: the JSON schema `make()` returns, computed when the document is built (it may depend on the
    settings, e.g. the deepest tensor accepted); validation is untouched."""

    make: Callable[[], dict[str, Any]]

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        return self.make()


def tensor_schema(max_depth: int | None = None) -> dict[str, Any]:
    """A tensor as JSON: a list nested 1 to `max_depth` deep, numbers at the bottom, no level empty.

    >>> tensor_schema(2)["anyOf"][1]
    {'type': 'array', 'minItems': 1, 'items': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}}
    """
    depth = get_settings().max_depth if max_depth is None else max_depth
    level: dict[str, Any] = {"type": "number"}
    forms = []
    for _ in range(depth):
        level = {"type": "array", "minItems": 1, "items": level}
        forms.append(copy.deepcopy(level))
    return {
        "anyOf": forms,
        "description": "A tensor as a (nested) list of numbers, e.g. [[1, 2], [3, 4]]. Beyond this schema: the "
        "lists at one depth have one length (a rectangular array), and there are at most NORMLENS_MAX_ELEMENTS "
        "numbers.",
    }


# Checked by app.inputs.nested_array, not by pydantic number by number (50x faster on big tensors).
NestedNumbers = Annotated[list[Any], JsonSchema(tensor_schema)]

# Pasted text: its grammar (app/lessons/paste.toml, normlens.paste) is beyond JSON Schema, but every tensor has a
# number, and every number a digit.
PASTE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": "[0-9]",
    "description": "Pasted text: a Python/NumPy/PyTorch literal, CSV or whitespace-separated rows, e.g. "
    "'[[1, 2], [3, 4]]'. It holds at least one digit; errors carry the line and column.",
}


def draw_schema(with_shape: bool) -> dict[str, Any]:
    """JSON schema of a random draw (app.draws.RandomDraw, RandomTensor when `with_shape`): one form per
    distribution with only the numbers it takes (the others may only be null), as the validator holds it."""
    number: dict[str, Any] = {"type": "number"}
    null: dict[str, Any] = {"type": "null"}
    whole_number = {"type": "number", "multipleOf": 1, "minimum": -(2**53), "maximum": 2**53}
    takes: dict[str, dict[str, dict[str, Any]]] = {
        "normal": {"mean": number, "std": {"type": "number", "minimum": 0}},
        "uniform": {"low": number, "high": number},
        "integers": {"low": whole_number, "high": whole_number},
    }
    seed = {"type": "integer", "minimum": 0, "maximum": 2**53, "default": 0}
    common: dict[str, Any] = {"seed": {**seed, "description": "Seed of numpy's default_rng, 0 to 2**53."}}
    if with_shape:
        common["shape"] = {
            **{"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1},
            "maxItems": get_settings().max_depth,
            "description": "Shape of the tensor, e.g. [2, 3, 4, 4]; at most NORMLENS_MAX_ELEMENTS elements.",
        }
    forms: list[dict[str, Any]] = []
    for name, numbers in takes.items():
        props = {**common, "distribution": {"const": name, "type": "string"}}
        props |= {k: {"anyOf": [numbers[k], null]} if k in numbers else null for k in ("mean", "std", "low", "high")}
        required = ["shape"] * with_shape + ["distribution"] * (name != "normal")  # normal is the default
        title = name.title() + ("Tensor" if with_shape else "Draw")
        forms.append({"title": title, "type": "object", "properties": props, "required": required})
        forms[-1]["additionalProperties"] = False
    return {
        "oneOf": forms,
        "description": "Reproducible random numbers: numpy's default_rng(seed) and one distribution, "
        '"normal" (mean 0, std 1), "uniform" (low 0, high 1) or "integers" (low -5 to high 5 inclusive). '
        "Beyond this schema: low < high, and high - low finite.",
    }


def escaped(text: str) -> str:
    """`text` with each lone surrogate (which no codec can write) as its escape.

    >>> escaped("a\\ud800")
    'a\\\\ud800'
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def private(model: BaseModel) -> dict[str, Any]:
    """A model's private attributes, read straight from their dict: through pydantic's __getattr__ each read
    costs 1.7 us, and a small trace reads them a dozen times (a twentieth of its work)."""
    return cast(dict[str, Any], model.__pydantic_private__)


def field_error(
    title: str,
    loc: tuple[str | int, ...],
    message: str,
    value: Any = None,
    type_: str = "value_error",
    **ctx: Any,
) -> ValidationError:
    """A ValidationError at `loc` (relative to the model raising it); pydantic prefixes the parents' locs.
    A `msg_zh` in `ctx` is the message in Chinese (app.errors lifts it into the error item). A key or message
    made from the request may hold a lone surrogate, which pydantic cannot take: it is escaped."""
    ctx = {k: escaped(v) if isinstance(v, str) else v for k, v in ctx.items()}
    err = PydanticCustomError(type_, escaped(message), ctx) if ctx else PydanticCustomError(type_, escaped(message))
    where = tuple(escaped(p) if isinstance(p, str) else p for p in loc)
    return ValidationError.from_exception_data(title, [{"type": err, "loc": where, "input": value}])


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
