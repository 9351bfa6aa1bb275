"""Argument checks shared by the layers. Each raises ArgumentError (a ValueError) whose message names the argument and
the fix, in English (str(e)) and in Chinese (e.zh).

>>> vector("gamma", [1, 2], 3, np.float32)
Traceback (most recent call last):
...
core.checks.ArgumentError: gamma must have 3 values (one per channel), got 2
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from normlens.spec import LayerSpec

DTYPES = ("float32", "float64")
MAX_ELEMENTS = 4_194_304


class ArgumentError(ValueError):
    """A bad argument, worded in English (str(e), unchanged so PyTorch's quoted messages stay exact) and in
    Simplified Chinese (`zh`), which the API passes on as `msg_zh`.

    >>> e = ArgumentError("eps must be positive, got 0.0", "eps 必须为正数，实际为 0.0")
    >>> str(e), e.zh
    ('eps must be positive, got 0.0', 'eps 必须为正数，实际为 0.0')
    """

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.zh = zh


def input_array(x: Any) -> np.ndarray:
    """The user's tensor as a float32/float64 array: finite, non-empty, at most MAX_ELEMENTS values."""
    a = np.asarray(x)
    if a.dtype.name not in DTYPES:
        raise ArgumentError(
            f"input must be float32 or float64, got {a.dtype.name}",
            f"input 必须是 float32 或 float64，实际为 {a.dtype.name}",
        )
    if a.ndim == 0 or a.size == 0:
        raise ArgumentError(
            f"input must be a non-empty tensor with at least one axis, got shape {list(a.shape)}",
            f"input 必须是至少有一个轴的非空张量，实际形状为 {list(a.shape)}",
        )
    if a.size > MAX_ELEMENTS:
        raise ArgumentError(
            f"input has {a.size:,} elements; the limit is {MAX_ELEMENTS:,}",
            f"input 有 {a.size:,} 个元素，上限为 {MAX_ELEMENTS:,}",
        )
    if not np.isfinite(a).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise ArgumentError(
            f"input contains {a[bad]} at index {list(bad)}; only finite numbers can be normalized",
            f"input 在下标 {list(bad)} 处含有 {a[bad]}；只有有限数值才能归一化",
        )
    return a


def resolve(spec: LayerSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults filled in; unknown argument names rejected with the list of known ones."""
    known = {p.name for p in spec.params}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ArgumentError(
            f"{spec.name} has no argument {unknown[0]!r}; its arguments are {', '.join(sorted(known))}",
            f"{spec.name} 没有参数 {unknown[0]!r}；它的参数有 {', '.join(sorted(known))}",
        )
    out = spec.defaults()
    out.update({k: v for k, v in params.items()})
    return out


def in_range(name: str, value: float, lo: float, hi: float) -> float:
    if not (lo <= value <= hi):
        raise ArgumentError(
            f"{name} must be between {lo} and {hi}, got {value}", f"{name} 必须在 {lo} 到 {hi} 之间，实际为 {value}"
        )
    return value


PER_ZH = {"channel": "通道", "normalized element": "被归一化的元素"}  # vector()'s `per`, in Chinese


def vector(
    name: str, value: Any, size: int | Sequence[int], dtype: np.dtype | type, per: str = "channel"
) -> np.ndarray:
    """A parameter array (gamma, beta, running statistics) of exactly `size` values, reshaped to `size`."""
    shape = (size,) if isinstance(size, int) else tuple(size)
    a = np.asarray(value, dtype=np.float64)
    want = math.prod(shape)
    if a.size != want:
        raise ArgumentError(
            f"{name} must have {want} values (one per {per}), got {a.size}",
            f"{name} 必须有 {want} 个值（每个{PER_ZH.get(per, per)}一个），实际有 {a.size} 个",
        )
    if not np.isfinite(a).all():
        raise ArgumentError(f"{name} must contain finite numbers only", f"{name} 只能包含有限数值")
    return a.reshape(shape).astype(dtype)


def finite_result(name: str, a: np.ndarray) -> np.ndarray:
    """Overflow check on a computed array: in float32 large inputs can overflow where float64 would not."""
    if not np.isfinite(a).all():
        hint = " Use dtype float64." if a.dtype == np.float32 else ""
        hint_zh = "请改用 dtype float64。" if hint else ""
        raise ArgumentError(
            f"{name} overflows {a.dtype.name} for this input (the result is not finite).{hint}",
            f"对此输入，{name} 超出了 {a.dtype.name} 的范围（结果不是有限数）。{hint_zh}",
        )
    return a


def grad_output_array(value: Any, x: np.ndarray) -> np.ndarray:
    """The upstream gradient: x's shape, finite, cast to x's dtype (a fresh C-contiguous array)."""
    try:
        g = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ArgumentError(
            "grad_output must be an array of numbers with the input's shape",
            "grad_output 必须是与 input 形状相同的数值数组",
        ) from None
    if g.shape != x.shape:
        raise ArgumentError(
            f"grad_output must have the input's shape {list(x.shape)}, got {list(g.shape)}",
            f"grad_output 的形状必须与 input 相同，即 {list(x.shape)}，实际为 {list(g.shape)}",
        )
    if not np.isfinite(g).all():
        raise ArgumentError("grad_output must contain finite numbers only", "grad_output 只能包含有限数值")
    return finite_result("grad_output", np.array(g, dtype=x.dtype, order="C"))
