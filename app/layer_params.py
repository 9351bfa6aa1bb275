"""The strict pydantic model of each layer's arguments, generated from its registry entry (normlens.LAYERS),
with the lesson files' descriptions: a new layer needs no code here.

    >>> params_model("group_norm").model_validate({"num_groups": 2}).num_groups
    2
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import AfterValidator, BaseModel, Field, GetJsonSchemaHandler, TypeAdapter, create_model, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError

import normlens
from normlens.app.fields import Int, NestedNumbers, StrictModel, field_error, int_in
from normlens.app.inputs import InputError, check_numbers
from normlens.app.lessons import LANGS, fill, lessons
from normlens.app.settings import get_settings


class LayerParams(StrictModel):
    """Base of the generated per-layer models: an unknown name gets the list of known ones (its schema says
    additionalProperties: false, so the error's type is pydantic's for that, extra_forbidden)."""

    layer: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _known_names(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in data:
                if name not in cls.model_fields:
                    known = ", ".join(sorted(cls.model_fields))
                    table = lessons().message("errors", "unknown_argument")
                    en, zh = (fill(table[lang], {"layer": cls.layer, "name": name, "known": known}) for lang in LANGS)
                    raise field_error(cls.__name__, (name,), en, data[name], "extra_forbidden", msg_zh=zh)
        return data


def _array_param(name: str) -> Any:
    def check(value: list[Any]) -> list[Any]:
        s = get_settings()
        try:
            return check_numbers(value, name, s.max_elements, s.max_depth)
        except InputError as e:
            raise PydanticCustomError("value_error", str(e), {"msg_zh": e.zh}) from None

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
        ann = int_in(**bounds)
    elif kind in ("float", "float_or_null"):
        ann = Annotated[float, Field(allow_inf_nan=False, **bounds)]
    elif kind == "enum":
        ann = Literal[tuple(p.choices)]
    elif kind == "int_list":
        size = int_in(**(bounds or {"ge": 1}))
        ann = Annotated[list[size], Field(min_length=1, max_length=32)]  # type: ignore[valid-type]
    elif kind == "int_or_list":
        ann = Int | Annotated[list[Int], Field(max_length=32)]
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


# --- the OpenAPI schema: one form of a request per layer ----------------------------------------------------------

_VARIANTS: set[type] = set()


@cache
def layer_variants(base: type[BaseModel]) -> tuple[type[BaseModel], ...]:
    """Per layer, a subclass of `base` (TraceRequest, ViewState) whose `layer` is that one and whose `params`
    are that layer's model: the forms of the schema's union on "layer". Requests are validated by `base`
    itself, against the same params models, so the schema says what the validators hold."""
    out = []
    for name, spec in normlens.LAYERS.items():
        params = params_model(name)
        tag: Any = Literal[name]
        variant = create_model(
            params.__name__.removesuffix("Params") + base.__name__,
            __base__=base,
            __doc__=f"{base.__doc__} Layer {name}: {', '.join(spec.torch_classes)}.",
            layer=(tag, Field(..., description=base.model_fields["layer"].description)),
            params=(params, Field(default_factory=dict, description=base.model_fields["params"].description)),
        )
        _VARIANTS.add(variant)
        out.append(variant)
    return tuple(out)


def layer_union_schema(cls: type[BaseModel], core_schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
    """JSON schema of a request with a layer: a union of the per-layer forms discriminated by "layer" (a form
    itself is an object, as pydantic describes it)."""
    if cls in _VARIANTS:
        return handler(core_schema)
    forms: Any = Union[layer_variants(cls)]  # noqa: UP007
    union: TypeAdapter[Any] = TypeAdapter(Annotated[forms, Field(discriminator="layer")])
    schema = handler(union.core_schema)
    return {"title": cls.__name__, "description": (cls.__doc__ or "").strip(), **schema}
