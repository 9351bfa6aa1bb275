"""The trace: the ordered steps a layer takes, with every intermediate array.

A layer function returns a `Trace`; `Trace.to_dict()` turns it into the service's JSON response in one call
(arrays stay NumPy arrays: orjson serializes them natively).

    >>> t = trace("layer_norm", np.ones((2, 3), np.float32), normalized_shape=[3])
    >>> [s.id for s in t.steps][:3]
    ['input', 'grouping', 'mean']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from normlens.summary import summarize

Phase = Literal["forward", "backward"]
# What a step's array is indexed by: the input's elements, one value per statistic group,
# the affine parameters' shape, or a plain scalar.
Kind = Literal["tensor", "stat", "param", "scalar"]
Detail = Literal["auto", "full", "summary"]

AUTO_MAX_VALUES = 4096  # detail="auto": arrays up to this many elements are shipped whole


@dataclass(frozen=True)
class Text:
    """A sentence in English and Simplified Chinese."""

    en: str
    zh: str

    def to_dict(self) -> dict[str, str]:
        return {"en": self.en, "zh": self.zh}


@dataclass(frozen=True)
class Grouping:
    """Which input elements share one statistic.

    `stat_shape` is the shape of the statistics (reduced axes dropped). `axis_map[a]` says what input axis `a`
    contributes to a statistic's index: None when the axis is reduced, else `(stat_axis, divisor)`, so that
    `stat_index[stat_axis] = input_index[a] // divisor`. BatchNorm2d on (N, C, H, W) is
    `stat_shape=(C,), axis_map=(None, (0, 1), None, None)`; GroupNorm with G groups is
    `stat_shape=(N, G), axis_map=((0, 1), (1, C // G), None, None)`.
    """

    input_shape: tuple[int, ...]
    stat_shape: tuple[int, ...]
    axis_map: tuple[tuple[int, int] | None, ...]

    @property
    def reduce_axes(self) -> tuple[int, ...]:
        return tuple(a for a, m in enumerate(self.axis_map) if m is None)

    @property
    def group_size(self) -> int:
        """Number of input elements that share one statistic (m in the formulas)."""
        return math.prod(self.input_shape) // max(1, math.prod(self.stat_shape))

    def group_ids(self) -> np.ndarray:
        """The flat statistic index of every input element, as an int32 array of the input's shape."""
        shape = self.input_shape
        ids = np.zeros(shape, dtype=np.int32)
        strides = [math.prod(self.stat_shape[i + 1 :]) for i in range(len(self.stat_shape))]
        for axis, m in enumerate(self.axis_map):
            if m is None:
                continue
            stat_axis, divisor = m
            idx = np.arange(shape[axis], dtype=np.int32) // divisor * strides[stat_axis]
            ids += idx.reshape([-1 if a == axis else 1 for a in range(len(shape))])
        return ids

    def to_dict(self) -> dict[str, Any]:
        return {
            "stat_shape": list(self.stat_shape),
            "axis_map": [None if m is None else list(m) for m in self.axis_map],
            "reduce_axes": list(self.reduce_axes),
            "group_size": self.group_size,
        }


@dataclass(frozen=True)
class Warning_:
    """Something the user should know: PyTorch would raise here, or the numbers lose precision.

    `torch_error` quotes PyTorch's message exactly when PyTorch refuses this input.
    """

    code: str
    message: Text
    torch_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message.to_dict(), "torch_error": self.torch_error}


@dataclass
class Step:
    """One line a teacher would write on the board, with its array."""

    id: str
    title: Text
    explanation: Text
    formula: str  # LaTeX
    values: np.ndarray | None
    kind: Kind = "tensor"
    phase: Phase = "forward"

    def to_dict(self, detail: Detail, max_values: int) -> dict[str, Any]:
        vals = self.values
        shape = None if vals is None else list(vals.shape)
        ship = vals is not None and (detail == "full" or (detail == "auto" and vals.size <= max_values))
        return {
            "id": self.id,
            "phase": self.phase,
            "kind": self.kind,
            "title": self.title.to_dict(),
            "explanation": self.explanation.to_dict(),
            "formula": self.formula,
            "shape": shape,
            "values": vals if ship else None,
            "summary": None if vals is None else summarize(vals),
        }


@dataclass
class Trace:
    """Everything one layer call computed, in the order it was computed."""

    layer: str
    dtype: str
    shape: tuple[int, ...]
    grouping: Grouping | None  # None for element-wise Dropout (no statistics)
    steps: list[Step]
    output: np.ndarray
    stats: dict[str, np.ndarray] | None  # {"mean", "var"} (biased) or {"ms"} for RMSNorm; stat_shape arrays
    params: dict[str, Any]  # the resolved scalar arguments, defaults filled in (arrays appear as steps)
    param_counts: dict[str, int]  # {"learnable", "buffers"}
    torch_code: str
    # the parameter and buffer arrays the call used, before any update: gamma, beta, running_mean, running_var
    parameters: dict[str, np.ndarray | None] = field(default_factory=dict)
    running: dict[str, Any] | None = None  # {"mean", "var", "num_batches_tracked"} after the call
    grads: dict[str, np.ndarray | None] | None = None  # {"input", "gamma", "beta"}
    warnings: list[Warning_] = field(default_factory=list)

    @property
    def reduce_axes(self) -> tuple[int, ...]:
        return () if self.grouping is None else self.grouping.reduce_axes

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)

    def to_dict(self, detail: Detail = "auto", max_values: int = AUTO_MAX_VALUES) -> dict[str, Any]:
        """The JSON response: NumPy arrays are left in place for orjson (OPT_SERIALIZE_NUMPY)."""

        def arr(a: np.ndarray | None) -> np.ndarray | None:
            if a is None:
                return None
            return a if detail == "full" or (detail == "auto" and a.size <= max_values) else None

        running = None
        if self.running is not None:
            running = {k: (arr(v) if isinstance(v, np.ndarray) else v) for k, v in self.running.items()}
        return {
            "layer": self.layer,
            "dtype": self.dtype,
            "shape": list(self.shape),
            "reduce_axes": list(self.reduce_axes),
            "grouping": None if self.grouping is None else self.grouping.to_dict(),
            "params": self.params,
            "steps": [s.to_dict(detail, max_values) for s in self.steps],
            "output": arr(self.output),
            "stats": None if self.stats is None else {k: arr(v) for k, v in self.stats.items()},
            "parameters": {k: arr(v) for k, v in self.parameters.items()},
            "running": running,
            "grads": None if self.grads is None else {k: arr(v) for k, v in self.grads.items()},
            "param_counts": self.param_counts,
            "warnings": [w.to_dict() for w in self.warnings],
            "torch_code": self.torch_code,
        }
