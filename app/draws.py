"""Reproducible random tensors: numpy's default_rng(seed) and one distribution, as a request describes them.

>>> RandomTensor.model_validate({"shape": [2, 3], "seed": 1}).draw((2, 3)).shape
(2, 3)
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import numpy as np
from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from normlens.app.fields import Distribution, FiniteFloat, StrictModel, field_error
from normlens.app.inputs import InputError, random_values
from normlens.app.settings import get_settings


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
