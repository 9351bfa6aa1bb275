"""The strict pydantic model of each layer's arguments, generated from its registry entry (normlens.LAYERS),
with the lesson files' descriptions: a new layer needs no code here.

    >>> params_model("group_norm").model_validate({"num_groups": 2}).num_groups
    2
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, create_model, model_validator
from pydantic_core import PydanticCustomError

import normlens
from normlens.app.fields import NestedNumbers, StrictModel, field_error
from normlens.app.inputs import InputError, check_numbers
from normlens.app.lessons import lessons
from normlens.app.settings import get_settings


class LayerParams(StrictModel):
    """Base of the generated per-layer models: an unknown name gets the list of known ones."""

    layer: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _known_names(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = sorted(cls.model_fields)
            for name in data:
                if name not in cls.model_fields:
                    raise field_error(
                        cls.__name__,
                        (name,),
                        f"{cls.layer} has no argument {name!r}; its arguments are {', '.join(known)}",
                        data[name],
                    )
        return data


def _array_param(name: str) -> Any:
    def check(value: list[Any]) -> list[Any]:
        s = get_settings()
        try:
            return check_numbers(value, name, s.max_elements, s.max_depth)
        except InputError as e:
            raise PydanticCustomError("value_error", str(e)) from None

    return Annotated[NestedNumbers, AfterValidator(check)]


def _param_annotation(p: Any) -> Any:
    bounds: dict[str, Any] = {}
    if p.minimum is not None:
        bounds["gt" if p.exclusive_minimum else "ge"] = p.minimum
    if p.maximum is not None:
        bounds["lt" if p.exclusive_maximum else "le"] = p.maximum
    kind = p.type
    if kind == "bool":
        ann: Any = bool
    elif kind in ("int", "int_or_null"):
        ann = Annotated[int, Field(**bounds)]
    elif kind in ("float", "float_or_null"):
        ann = Annotated[float, Field(allow_inf_nan=False, **bounds)]
    elif kind == "enum":
        ann = Literal[tuple(p.choices)]
    elif kind == "int_list":
        ann = Annotated[list[Annotated[int, Field(**(bounds or {"ge": 1}))]], Field(min_length=1, max_length=32)]
    elif kind == "int_or_list":
        ann = int | Annotated[list[int], Field(max_length=32)]
    elif kind == "float_array":
        ann = _array_param(p.name)
    else:  # a new ParamType in normlens.args must be taught here
        raise TypeError(f"unknown parameter type {kind!r} for {p.name}")
    if kind.endswith("_or_null") or p.default is None:
        ann = ann | None
    return ann


@cache
def params_model(layer: str) -> type[LayerParams]:
    """The strict pydantic model of `layer`'s arguments, generated from its LayerSpec."""
    spec = normlens.LAYERS[layer]
    words = lessons().layer(layer)["params"]
    fields: dict[str, Any] = {
        p.name: (
            _param_annotation(p),
            Field(p.default, description=f"{words[p.name]['en']} / {words[p.name]['zh']}"),
        )
        for p in spec.params
    }
    name = "".join(w.title() for w in layer.split("_")) + "Params"
    model = create_model(name, __base__=LayerParams, **fields)
    model.layer = layer
    return model
