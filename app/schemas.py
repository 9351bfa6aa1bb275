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
loc ``["params", "eps"]``.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, ClassVar, Literal, get_args

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from normlens.app.inputs import InputError, check_numbers, nested_array, random_values, resolve_shape
from normlens.app.requests import OffLoopValidation
from normlens.app.settings import get_settings

Layer = Literal["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "dropout"]
LAYER_NAMES: tuple[str, ...] = get_args(Layer)
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


def paste_error_parts(error: ValueError) -> tuple[str, dict[str, Any]]:
    """A normlens.paste.PasteError as (message, {line, column, code, msg_zh}) for the API's error items."""
    info = error.to_dict() if hasattr(error, "to_dict") else {"message": str(error)}
    extra = {
        "line": info.get("line"),
        "column": info.get("column"),
        "code": getattr(error, "code", None),
        "msg_zh": getattr(error, "zh", None),
    }
    return str(info["message"]), {k: v for k, v in extra.items() if v is not None}


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RandomDraw(StrictModel):
    """Reproducible random numbers: `np.random.default_rng(seed)` and one distribution."""

    seed: int = Field(0, ge=0, le=2**63 - 1, description="Seed of numpy's default_rng.")
    distribution: Distribution = Field(
        "normal",
        description='"normal" (mean, std), "uniform" (low, high) or "integers" (low..high inclusive).',
    )
    mean: FiniteFloat | None = Field(None, description="normal only; default 0.")
    std: FiniteFloat | None = Field(None, ge=0, description="normal only; default 1.")
    low: FiniteFloat | None = Field(None, description="uniform (default 0) or integers (default -5) only.")
    high: FiniteFloat | None = Field(None, description="uniform (default 1) or integers (default 5) only.")

    _USES: ClassVar[dict[str, dict[str, float]]] = {
        "normal": {"mean": 0.0, "std": 1.0},
        "uniform": {"low": 0.0, "high": 1.0},
        "integers": {"low": -5.0, "high": 5.0},
    }

    @model_validator(mode="after")
    def _fill_defaults(self) -> RandomDraw:
        uses = self._USES[self.distribution]
        for name in ("mean", "std", "low", "high"):
            value = getattr(self, name)
            if name not in uses and value is not None:
                raise field_error(
                    "RandomDraw",
                    (name,),
                    f"{name} does not apply to distribution {self.distribution!r}; it takes {' and '.join(uses)}",
                    value,
                )
            if name in uses and value is None:
                setattr(self, name, uses[name])
        if self.distribution == "integers":
            for name in ("low", "high"):
                value = getattr(self, name)
                if value != int(value) or abs(value) > 2**53:
                    raise field_error(
                        "RandomDraw",
                        (name,),
                        f"{name} must be a whole number for integers, got {value}",
                        value,
                    )
        if "low" in uses:
            low, high = float(self.low), float(self.high)  # type: ignore[arg-type]
            if not low < high:
                raise field_error("RandomDraw", ("high",), f"high must exceed low, got {low}..{high}", high)
            if not np.isfinite(high - low):  # numpy cannot draw from a range wider than float64's
                raise field_error("RandomDraw", ("high",), f"high - low must be finite, got {low}..{high}", high)
        return self

    def draw(self, shape: tuple[int, ...]) -> np.ndarray:
        """The float64 numbers of `shape`; non-finite draws (a huge std) are refused."""
        with np.errstate(over="ignore", invalid="ignore"):
            a = random_values(shape, self.seed, self.distribution, **self._kwargs())
        if not np.isfinite(a).all():
            raise InputError("the random draw overflows float64; use a smaller mean, std, low or high")
        return a

    def _kwargs(self) -> dict[str, float]:
        return {k: float(getattr(self, k)) for k in self._USES[self.distribution]}


class RandomTensor(RandomDraw):
    """A random input tensor: the shape plus the draw."""

    shape: list[Annotated[int, Field(ge=1)]] = Field(
        ..., min_length=1, max_length=32, description="Shape of the tensor, e.g. [2, 3, 4, 4]."
    )

    @field_validator("shape")
    @classmethod
    def _bounded(cls, shape: list[int]) -> list[int]:
        s = get_settings()
        if len(shape) > s.max_depth:
            raise PydanticCustomError("too_many_axes", f"shape has {len(shape)} axes; at most {s.max_depth} allowed")
        count = int(np.prod(shape, dtype=object))  # exact even when it would overflow int64
        if count > s.max_elements:
            raise PydanticCustomError(
                "too_many_elements", f"shape {shape} has {count:,} elements; the limit is {s.max_elements:,}"
            )
        return shape


class TensorInput(StrictModel):
    """The input tensor: exactly one of a nested list, pasted text, or a random draw."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1, "maxProperties": 1})

    values: NestedNumbers | None = Field(
        None, description="The tensor as a nested list of numbers, e.g. [[1, 2], [3, 4]]."
    )
    text: str | None = Field(
        None,
        description="Pasted text: a Python/NumPy/PyTorch literal, CSV or whitespace-separated rows.",
    )
    random: RandomTensor | None = Field(None, description="A reproducible random tensor.")

    _array: np.ndarray | None = PrivateAttr(None)
    _format: str | None = PrivateAttr(None)
    _notes: list[Any] = PrivateAttr(default_factory=list)
    _notes_zh: list[Any] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _exactly_one(self) -> TensorInput:
        given = [k for k in ("values", "text", "random") if getattr(self, k) is not None]
        if len(given) != 1:
            raise PydanticCustomError(
                "input_kind",
                'input must have exactly one of "values", "text" or "random", got '
                + (", ".join(repr(g) for g in given) if given else "none"),
            )
        s = get_settings()
        if self.values is not None:
            try:
                self._array = nested_array(self.values, "values", s.max_elements, s.max_depth)
            except InputError as e:
                raise field_error("TensorInput", ("values",), str(e)) from None
        elif self.text is not None:
            from normlens.paste import parse  # imported late: core pulls in every layer module

            try:
                parsed = parse(self.text, s.max_elements, s.max_depth)
            except ValueError as e:
                message, ctx = paste_error_parts(e)
                raise field_error("TensorInput", ("text",), message, None, "paste_error", **ctx) from None
            self._array = np.asarray(parsed.values, dtype=np.float64).reshape(parsed.shape)
            self._format = parsed.format
            self._notes = list(parsed.notes or [])
            self._notes_zh = list(getattr(parsed, "notes_zh", None) or [])
        return self

    @property
    def parsed_format(self) -> str | None:
        """How pasted text was read (normlens.paste's format name); None for other inputs."""
        return self._format

    @property
    def parsed_notes(self) -> dict[str, list[Any]]:
        """What reading pasted text left out or assumed, in English and Chinese."""
        return {"en": self._notes, "zh": self._notes_zh}

    @property
    def kind(self) -> str:
        return "values" if self.values is not None else "text" if self.text is not None else "random"

    def raw_shape(self) -> tuple[int, ...]:
        if self._array is not None:
            return tuple(self._array.shape)
        assert self.random is not None
        return tuple(self.random.shape)

    def array(self) -> np.ndarray:
        """The tensor as float64 (random tensors are drawn now, not at validation)."""
        if self._array is not None:
            return self._array
        assert self.random is not None
        return self.random.draw(self.raw_shape())


class GradFill(StrictModel):
    """An upstream gradient with every element equal to `fill` (1 gives d(sum(y))/dx)."""

    fill: FiniteFloat


class GradRandom(StrictModel):
    """A random upstream gradient of the input's shape."""

    random: RandomDraw


# --- per-layer parameter models, built from core's LayerSpecs -----------------------------------------------


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
    elif kind == "float_array":
        ann = _array_param(p.name)
    else:  # a new ParamType in normlens.spec must be taught here
        raise TypeError(f"unknown parameter type {kind!r} for {p.name}")
    if kind.endswith("_or_null") or p.default is None:
        ann = ann | None
    return ann


@cache
def params_model(layer: str) -> type[LayerParams]:
    """The strict pydantic model of `layer`'s arguments, generated from its LayerSpec."""
    import normlens

    spec, _ = normlens.LAYERS[layer]
    fields: dict[str, Any] = {
        p.name: (
            _param_annotation(p),
            Field(p.default, description=f"{p.description.en} / {p.description.zh}"),
        )
        for p in spec.params
    }
    name = "".join(w.title() for w in layer.split("_")) + "Params"
    model = create_model(name, __base__=LayerParams, **fields)
    model.layer = layer
    return model


class TraceRequest(StrictModel, OffLoopValidation):
    """One view: which layer, on which tensor, with which arguments, and how much detail to send back."""

    layer: Layer = Field(..., description="Which layer to trace.")
    input: TensorInput
    shape: list[int] | None = Field(
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
        '"summary": summaries only.',
    )

    _shape: tuple[int, ...] = PrivateAttr(())
    _grad: np.ndarray | None = PrivateAttr(None)

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
        raise PydanticCustomError(
            "grad_output_kind",
            'grad_output must be a nested list of numbers, {"fill": number} or {"random": {...}}',
        )

    @model_validator(mode="after")
    def _shapes_agree(self) -> TraceRequest:
        raw = self.input.raw_shape()
        size = int(np.prod(raw))
        try:
            self._shape = raw if self.shape is None else resolve_shape(self.shape, size)
        except InputError as e:
            raise field_error("TraceRequest", ("shape",), f"{e} (the input has shape {list(raw)})") from None
        if len(self._shape) > get_settings().max_depth:
            raise field_error("TraceRequest", ("shape",), f"shape has more than {get_settings().max_depth} axes")
        if isinstance(self.grad_output, list):
            s = get_settings()
            try:
                g = nested_array(self.grad_output, "grad_output", s.max_elements, s.max_depth)
            except InputError as e:
                raise field_error("TraceRequest", ("grad_output",), str(e)) from None
            if g.shape != self._shape:
                raise field_error(
                    "TraceRequest",
                    ("grad_output",),
                    f"grad_output must have the input's shape {list(self._shape)}, got {list(g.shape)}",
                )
            self._grad = g
        return self

    def input_shape(self) -> tuple[int, ...]:
        """The shape the layer sees (after `shape`)."""
        return self._shape

    def input_array(self) -> np.ndarray:
        """The input as float64, reshaped."""
        return self.input.array().reshape(self._shape)

    def grad_array(self) -> np.ndarray | None:
        """The upstream gradient as float64 of the input's shape, or None."""
        g = self.grad_output
        if g is None:
            return None
        if isinstance(g, GradFill):
            return np.full(self._shape, g.fill, dtype=np.float64)
        if isinstance(g, GradRandom):
            return g.random.draw(self._shape)
        assert self._grad is not None
        return self._grad


class ParseRequest(StrictModel):
    text: str = Field(..., description="The pasted text.")


# --- response models: documentation only (responses are serialized by orjson, never validated) ------------


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
    title: TextOut
    explanation: TextOut
    formula: str = Field(..., description="LaTeX")
    formula_mathml: str = Field("", description="The formula as MathML (app/formulas.py), for browsers.")
    shape: list[int] | None
    values: Any = Field(None, description="The array as nested lists, or null when only the summary is sent.")
    summary: SummaryOut | None


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
    dtype: DType
    shape: list[int]
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
    request: dict[str, Any] = Field(..., description="The request as understood (tensors omitted).")


class ParseResponse(BaseModel):
    format: str = Field(..., description='"json", "numpy", "torch", "rows" or "blocks".')
    shape: list[int]
    dtype: str | None = Field(..., description="The dtype named in the text, if any.")
    values: Any = Field(None, description="Nested lists when small enough, else null.")
    notes: list[str] = Field(..., description="What was ignored or assumed, in English.")
    notes_zh: list[str] = Field(..., description="The same notes in Chinese.")


class ParamOut(BaseModel):
    name: str
    type: str
    default: Any
    description: TextOut
    minimum: float | None
    maximum: float | None
    exclusive_minimum: bool
    exclusive_maximum: bool
    choices: list[str] | None
    length: str | None


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


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str
    line: int | None = Field(None, description="Pasted text errors: 1-based line.")
    column: int | None = Field(None, description="Pasted text errors: 1-based column.")
    code: str | None = Field(None, description='Pasted text errors: a stable code ("ragged", "not_number", ...).')
    msg_zh: str | None = Field(
        None, description="Pasted text errors and the layers' argument errors: the message in Chinese."
    )


class ErrorResponse(BaseModel):
    detail: list[ErrorItem] | str
