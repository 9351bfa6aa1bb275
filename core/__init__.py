"""NumPy engine of NormLens: exact, step-by-step traces of normalization layers and dropout.

    >>> import numpy as np, core
    >>> t = core.trace("batch_norm", np.arange(8, dtype=np.float32).reshape(4, 2))
    >>> t.stats["mean"]
    array([3., 4.], dtype=float32)

`core` imports nothing from the web stack; `app/` turns its ValueErrors into 4xx responses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from normlens import batch_norm, dropout, layer_norm, rms_norm
from normlens.checks import ArgumentError
from normlens.spec import LayerSpec
from normlens.trace import Grouping, Step, Text, Trace

# name -> (spec, function(x, grad_output=None, **params) -> Trace)
LAYERS: dict[str, tuple[LayerSpec, Callable[..., Trace]]] = {
    **batch_norm.LAYERS,
    **layer_norm.LAYERS,
    **rms_norm.LAYERS,
    **dropout.LAYERS,
}


def trace(layer: str, x: np.ndarray, grad_output: np.ndarray | None = None, **params: Any) -> Trace:
    """Run `layer` on `x` with PyTorch-named arguments and return every step (backward too if grad_output)."""
    if layer not in LAYERS:
        raise ArgumentError(
            f"layer must be one of {', '.join(LAYERS)}, got {layer!r}",
            f"layer 必须是 {', '.join(LAYERS)} 之一，实际为 {layer!r}",
        )
    _, fn = LAYERS[layer]
    return fn(x, grad_output=grad_output, **params)


def specs() -> list[LayerSpec]:
    return [spec for spec, _ in LAYERS.values()]


__all__ = ["LAYERS", "Grouping", "LayerSpec", "Step", "Text", "Trace", "specs", "trace"]
