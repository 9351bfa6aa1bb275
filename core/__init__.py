"""NumPy engine of NormLens: exact step-by-step traces of normalization layers and dropout, maths only (the
words are `normlens.app`'s). A bad argument raises `normlens.ArgumentError` naming it.

    >>> t = normlens.trace("batch_norm", np.arange(8, dtype=np.float32).reshape(4, 2))  # (N, C) = (4, 2)
    >>> t.stats["mean"], [s.id for s in t.steps][:3]
    (array([3., 4.], dtype=float32), ['input', 'grouping', 'mean'])
"""

from __future__ import annotations

import importlib
from typing import Any

from normlens.args import ArgumentError, LayerSpec
from normlens.trace import Grouping, Notice, Step, Trace

# The layer registry: one module per layer family, each exporting SPECS. A new layer is one entry here.
FAMILIES = ("batch_norm", "layer_norm", "rms_norm", "dropout", "min_max")
LAYERS: dict[str, LayerSpec] = {s.name: s for f in FAMILIES for s in importlib.import_module(f"normlens.{f}").SPECS}


def trace(layer: str, x: Any, grad_output: Any = None, **params: Any) -> Trace:
    """Run `layer` on `x` with PyTorch-named arguments and return every step (backward too if grad_output)."""
    if layer not in LAYERS:
        raise ArgumentError("layer", "unknown_layer", known=list(LAYERS), got=repr(layer))
    return LAYERS[layer].run(x, grad_output=grad_output, **params)  # type: ignore[no-any-return]


def specs() -> list[LayerSpec]:
    return list(LAYERS.values())


__all__ = ["LAYERS", "ArgumentError", "Grouping", "LayerSpec", "Notice", "Step", "Trace", "specs", "trace"]
