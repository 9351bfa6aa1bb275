"""Argument checks shared by the layers. Each raises ValueError with a message that names the argument and the fix.

>>> vector("gamma", [1, 2], 3, np.float32)
Traceback (most recent call last):
...
ValueError: gamma must have 3 values (one per channel), got 2
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from core.spec import LayerSpec

DTYPES = ("float32", "float64")
MAX_ELEMENTS = 4_194_304


def input_array(x: Any) -> np.ndarray:
    """The user's tensor as a float32/float64 array: finite, non-empty, at most MAX_ELEMENTS values."""
    a = np.asarray(x)
    if a.dtype.name not in DTYPES:
        raise ValueError(f"input must be float32 or float64, got {a.dtype.name}")
    if a.ndim == 0 or a.size == 0:
        raise ValueError(f"input must be a non-empty tensor with at least one axis, got shape {list(a.shape)}")
    if a.size > MAX_ELEMENTS:
        raise ValueError(f"input has {a.size:,} elements; the limit is {MAX_ELEMENTS:,}")
    if not np.isfinite(a).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise ValueError(f"input contains {a[bad]} at index {list(bad)}; only finite numbers can be normalized")
    return a


def resolve(spec: LayerSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults filled in; unknown argument names rejected with the list of known ones."""
    known = {p.name for p in spec.params}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(f"{spec.name} has no argument {unknown[0]!r}; its arguments are {', '.join(sorted(known))}")
    out = spec.defaults()
    out.update({k: v for k, v in params.items()})
    return out


def in_range(name: str, value: float, lo: float, hi: float) -> float:
    if not (lo <= value <= hi):
        raise ValueError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def vector(
    name: str, value: Any, size: int | Sequence[int], dtype: np.dtype | type, per: str = "channel"
) -> np.ndarray:
    """A parameter array (gamma, beta, running statistics) of exactly `size` values, reshaped to `size`."""
    shape = (size,) if isinstance(size, int) else tuple(size)
    a = np.asarray(value, dtype=np.float64)
    want = math.prod(shape)
    if a.size != want:
        raise ValueError(f"{name} must have {want} values (one per {per}), got {a.size}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} must contain finite numbers only")
    return a.reshape(shape).astype(dtype)


def finite_result(name: str, a: np.ndarray) -> np.ndarray:
    """Overflow check on a computed array: in float32 large inputs can overflow where float64 would not."""
    if not np.isfinite(a).all():
        hint = " Use dtype float64." if a.dtype == np.float32 else ""
        raise ValueError(f"{name} overflows {a.dtype.name} for this input (the result is not finite).{hint}")
    return a


def grad_output_array(value: Any, x: np.ndarray) -> np.ndarray:
    """The upstream gradient: x's shape, finite, cast to x's dtype (a fresh C-contiguous array)."""
    try:
        g = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("grad_output must be an array of numbers with the input's shape") from None
    if g.shape != x.shape:
        raise ValueError(f"grad_output must have the input's shape {list(x.shape)}, got {list(g.shape)}")
    if not np.isfinite(g).all():
        raise ValueError("grad_output must contain finite numbers only")
    return finite_result("grad_output", np.array(g, dtype=x.dtype, order="C"))
