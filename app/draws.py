"""Reproducible random tensors: numpy's default_rng(seed) and one distribution, as a request describes them.

>>> RandomTensor.model_validate({"shape": [2, 3], "seed": 1}).draw((2, 3)).shape
(2, 3)
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import numpy as np
from pydantic import Field, GetJsonSchemaHandler, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from normlens.app.errors import request_words
from normlens.app.fields import WHOLE, Distribution, FiniteFloat, StrictModel, draw_schema, field_error
from normlens.app.inputs import InputError, random_values
from normlens.app.lessons import Text
from normlens.app.settings import get_settings


def _refused(loc: str, code: str, value: Any, type_: str = "value_error", **values: Any) -> ValidationError:
    """A draw that cannot be made, at `loc`, in the words of [draw_errors.<code>] (app/lessons/requests.toml)."""
    words = request_words(code, "draw_errors", **values)
    return field_error("RandomDraw", (loc,), words.en, value, type_, msg_zh=words.zh)


_BEYOND = {True: "less_than_equal", False: "greater_than_equal"}  # pydantic's error types for a bound


class RandomDraw(StrictModel):
    """Reproducible random numbers: `np.random.default_rng(seed)` and one distribution."""

    # at most 2**53: every such integer survives JSON as a double (JavaScript's Number, JSON Schema tools)
    seed: Annotated[int, Field(ge=0, le=2**53), WHOLE] = Field(0, description="Seed of numpy's default_rng.")
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

    @model_validator(mode="before")
    @classmethod
    def _exact_bounds(cls, data: Any) -> Any:
        """An integer bound of "integers" beyond 2**53 in size, refused before it becomes a float (which would
        round -(2**53 + 1) into range)."""
        if isinstance(data, dict) and data.get("distribution") == "integers":
            for name in ("low", "high"):
                value = data.get(name)
                if type(value) is int and abs(value) > 2**53:
                    raise _refused(name, "beyond_exact", value, _BEYOND[value > 0], name=name, got=value)
        return data

    @model_validator(mode="after")
    def _fill_defaults(self) -> RandomDraw:
        uses = self._USES[self.distribution]
        for name in ("mean", "std", "low", "high"):
            value = getattr(self, name)
            if name not in uses and value is not None:
                takes = Text(" and ".join(uses), " 和 ".join(uses))
                words = dict(name=name, distribution=self.distribution, takes=takes)
                raise _refused(name, "does_not_apply", value, "extra_forbidden", **words)
            if name in uses and value is None:
                setattr(self, name, uses[name])
        if self.distribution == "integers":
            for name in ("low", "high"):
                value = getattr(self, name)
                if value != int(value):
                    raise _refused(name, "not_whole", value, "multiple_of", name=name, got=value)
                if abs(value) > 2**53:
                    raise _refused(name, "beyond_exact", value, _BEYOND[value > 0], name=name, got=value)
        if "low" in uses:
            low, high = float(self.low), float(self.high)  # type: ignore[arg-type]
            if not low < high:
                raise _refused("high", "not_above", high, low=low, high=high)
            if not np.isfinite(high - low):  # numpy cannot draw from a range wider than float64's
                raise _refused("high", "range_not_finite", high, low=low, high=high)
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        """One form per distribution (app.fields.draw_schema): as strict as `_fill_defaults`."""
        return {"title": cls.__name__, **draw_schema(with_shape="shape" in cls.model_fields)}

    def draw(self, shape: tuple[int, ...]) -> np.ndarray:
        """The float64 numbers of `shape`; non-finite draws (a huge std) are refused."""
        with np.errstate(over="ignore", invalid="ignore"):
            a = random_values(shape, self.seed, self.distribution, **self._kwargs())
        if not np.isfinite(a).all():
            raise InputError("draw_overflow")
        return a

    def _kwargs(self) -> dict[str, float]:
        return {k: float(getattr(self, k)) for k in self._USES[self.distribution]}


class RandomTensor(RandomDraw):
    """A random input tensor: the shape plus the draw."""

    shape: list[Annotated[int, Field(ge=1), WHOLE]] = Field(
        ..., min_length=1, max_length=32, description="Shape of the tensor, e.g. [2, 3, 4, 4]."
    )

    @field_validator("shape")
    @classmethod
    def _bounded(cls, shape: list[int]) -> list[int]:
        s = get_settings()
        if len(shape) > s.max_depth:
            words = request_words("too_many_axes", "draw_errors", count=len(shape), limit=s.max_depth)
            raise PydanticCustomError("too_many_axes", words.en, {"msg_zh": words.zh})
        count = int(np.prod(shape, dtype=object))  # exact even when it would overflow int64
        if count > s.max_elements:
            words = request_words("too_many_elements", "draw_errors", shape=shape, count=count, limit=s.max_elements)
            raise PydanticCustomError("too_many_elements", words.en, {"msg_zh": words.zh})
        return shape
