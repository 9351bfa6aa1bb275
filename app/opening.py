"""The view a page opens with when the address names none: BatchNorm2d on a small pasted tensor, written the
way PyTorch prints it (the form people paste), and tensors given as values written out for the editor.

    >>> torch_print(np.array([[1.0, -0.5], [2.25, 3.0]]))
    'tensor([[ 1.00, -0.50],\\n        [ 2.25,  3.00]])'
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from normlens.app.state import ViewState


def torch_print(a: np.ndarray, decimals: int = 2) -> str:
    """A tensor as PyTorch prints it (the form people paste): aligned columns, one row per line.

    >>> torch_print(np.array([[1.0, -0.5], [2.25, 3.0]]))
    'tensor([[ 1.00, -0.50],\\n        [ 2.25,  3.00]])'
    """
    cells = [f"{v:.{decimals}f}" for v in a.ravel()]
    width = max(len(c) for c in cells)
    cells = [c.rjust(width) for c in cells]

    def block(offset: int, depth: int) -> tuple[str, int]:
        if depth == a.ndim - 1:
            n = a.shape[depth]
            return "[" + ", ".join(cells[offset : offset + n]) + "]", offset + n
        parts = []
        for _ in range(a.shape[depth]):
            text, offset = block(offset, depth + 1)
            parts.append(text)
        sep = "," + "\n" * (a.ndim - 1 - depth) + " " * (8 + depth)
        return "[" + sep.join(parts) + "]", offset

    return "tensor(" + block(0, 0)[0] + ")"


@cache
def default_input_text() -> str:
    """The opening example: BatchNorm2d on (N, C, H, W) = (2, 3, 4, 4), each channel with its own mean and spread,
    so normalizing visibly moves and squeezes every channel."""
    rng = np.random.default_rng(7)
    loc = np.array([2.0, -1.0, 0.5]).reshape(1, 3, 1, 1)
    scale = np.array([1.0, 0.4, 2.0]).reshape(1, 3, 1, 1)
    x = np.round(rng.normal(loc, scale, size=(2, 3, 4, 4)), 2)
    return torch_print(x)


def default_state(lang: str) -> ViewState:
    return ViewState.model_validate(
        {
            "layer": "batch_norm",
            "input": {"text": default_input_text()},
            "view": {"step": "input", "group": 0, "lang": lang},
        }
    )


def values_text(values: Any, limit: int = 4096) -> str:
    """A tensor given as values (examples, API clients), written out for the editor: NumPy's layout, every value
    exact (shortest round-trip digits), so editing it changes nothing that was not edited."""
    if values is None:
        return ""
    a = np.asarray(values, dtype=np.float64)
    if a.size > limit:
        return ""
    return np.array2string(a, separator=", ", threshold=limit + 1, floatmode="unique", max_line_width=88)
