"""Declarative descriptions of each layer's arguments: the single source for validation, forms and docs.

Each layer module declares a `SPEC = LayerSpec(...)`; `GET /api/v1/layers` returns `[spec.to_dict() ...]` and the
page builds its forms from it.

    >>> Param("eps", "float", 1e-5, Text("Added to the variance.", "加到方差上。"), minimum=0).to_dict()["default"]
    1e-05
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from normlens.trace import Text

ParamType = Literal[
    "bool",  # true / false
    "int",
    "float",
    "float_or_null",  # a float, or null meaning "PyTorch's default behaviour" (momentum=None, RMSNorm eps=None)
    "int_or_null",  # e.g. seed
    "enum",  # one of `choices`
    "int_list",  # e.g. normalized_shape
    "float_array",  # gamma, beta, running_mean, running_var: a list of numbers of a layer-defined length
]


@dataclass(frozen=True)
class Param:
    name: str
    type: ParamType
    default: Any
    description: Text
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False  # True: value must be > minimum
    exclusive_maximum: bool = False
    choices: tuple[str, ...] | None = None
    length: str | None = None  # float_array: what its length must equal, e.g. "C" or "prod(normalized_shape)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "default": self.default,
            "description": self.description.to_dict(),
            "minimum": self.minimum,
            "maximum": self.maximum,
            "exclusive_minimum": self.exclusive_minimum,
            "exclusive_maximum": self.exclusive_maximum,
            "choices": None if self.choices is None else list(self.choices),
            "length": self.length,
        }


@dataclass(frozen=True)
class LayerSpec:
    name: str  # batch_norm | layer_norm | group_norm | instance_norm | rms_norm | dropout
    title: Text
    description: Text
    torch_classes: tuple[str, ...]  # e.g. ("nn.BatchNorm1d", "nn.BatchNorm2d", "nn.BatchNorm3d")
    input_ranks: tuple[int, ...]  # ranks the layer accepts
    input_layout: Text  # e.g. "(N, C), (N, C, L), (N, C, H, W), (N, C, D, H, W)"
    params: tuple[Param, ...]

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title.to_dict(),
            "description": self.description.to_dict(),
            "torch_classes": list(self.torch_classes),
            "input_ranks": list(self.input_ranks),
            "input_layout": self.input_layout.to_dict(),
            "params": [p.to_dict() for p in self.params],
        }
