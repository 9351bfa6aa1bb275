"""What parse() returns: the values and shape of a pasted tensor, the format it was read as, and notes.

A note is (code, values), e.g. ("ignored", {"name": "requires_grad", "value": "True"}); its words are in
app/lessons/paste.toml, `[paste_notes.<code>]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

Note = tuple[str, dict[str, Any]]


def note(code: str, **values: Any) -> Note:
    """A note on how the text was read: `code` names its words, `values` fill them."""
    return code, values


@dataclass(frozen=True)
class Parsed:
    """A pasted tensor: `values` (float64, of shape `shape`), the format it was read as, what was left out, and
    the `labels` of its axes that the text names: {"1": ["height", "weight"]} (axis index as a string)."""

    format: str  # "json" | "numpy" | "torch" | "jax" | "tensorflow" | "rows" | "blocks" | "table" | "pandas"
    values: np.ndarray
    shape: tuple[int, ...]
    dtype: str | None  # named in the text ("float32", "float64", ...), else None
    notes: list[Note] = field(default_factory=list)
    labels: dict[str, list[str]] = field(default_factory=dict)
