"""A layer's arguments checked and turned into what its trace computes with, once per signature: the layer's
`prepare(shape, dtype, params)` runs on the first call with these arguments and a tensor of this shape and
dtype, and later calls reuse what it returned. Only the tensor's values are read on every call.

Why: on a large tensor the passes leave the CPU caches cold, and the twenty small steps of checking arguments,
choosing a layout and writing the module's constructor then cost as much as a pass over a tenth of the
tensor; a repeated call (the same request, a slider moved on the same tensor) pays one lookup instead.

    >>> def prepare(shape, dtype, params): return (shape, params["eps"] * 2)
    >>> x = np.zeros((2, 3), np.float32)
    >>> prepared(prepare, x, {"eps": 0.5}), prepared(prepare, x, {"eps": 0.5}) is prepared(prepare, x, {"eps": 0.5})
    (((2, 3), 1.0), True)
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping
from threading import Lock
from typing import Any, NamedTuple, TypeVar

import numpy as np

from normlens.grouped import Call, Plan

S = TypeVar("S")
Prepare = Callable[[tuple[int, ...], np.dtype[Any], dict[str, Any]], S]
Key = tuple[tuple[str, type, Any], ...]
PLAIN = (bool, int, float, str, type(None))  # argument types that are part of a key as they are
SHORT = 8  # a list of at most this many ints (normalized_shape, dim) is part of a key as a tuple
INT = {int}
VALUES = 4096  # a list of numbers or an array of at most this many (gamma, running_mean) is, as its bytes


class Setup(NamedTuple):
    """What a normalization layer's trace computes with, from its arguments alone. Shared by every call with
    the same signature, so nothing in it is ever written: the arrays are read-only, `params` is copied."""

    plan: Plan
    call: Call
    body: str  # the PyTorch program's lines that build and run the module (snippet.module_lines)
    params: dict[str, Any]  # the resolved arguments as the trace reports them (copy before use)
    more: tuple[Any, ...] = ()  # a layer's own: BatchNorm's running buffers, RMSNorm's notices, ...


def prepared(prepare: Prepare[S], x: np.ndarray, params: Mapping[str, Any]) -> S:
    """prepare(x.shape, x.dtype, params), memoized by (prepare, shape, dtype, arguments) when every argument
    has a key (`signature`). An argument error is raised on every call: only results are kept, those holding
    at most ITEM_BYTES of arrays, at most MEMO of them and MEMO_BYTES in all (the oldest go first)."""
    key = signature(params)
    if key is None:  # a long list, a large array: checked anew each time
        return prepare(x.shape, x.dtype, dict(params))
    full = (prepare, x.shape, x.dtype, key)
    if (hit := _memo.get(full)) is not None:
        return hit[0]  # type: ignore[no-any-return]
    out = prepare(x.shape, x.dtype, dict(params))  # the caller's own values: its errors quote them
    if (size := nbytes(out)) <= ITEM_BYTES:  # a default gamma of 4M values is made anew, not kept
        _keep(full, out, size)
    return out


def nbytes(value: Any) -> int:
    """The bytes of the arrays in a prepared result (a NamedTuple of NamedTuples, tuples and arrays)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    return sum(nbytes(v) for v in value) if isinstance(value, tuple) else 0


def _keep(key: tuple[Any, ...], value: Any, size: int) -> None:
    """Remember a result, the oldest out first while there are MEMO entries or MEMO_BYTES of arrays."""
    global _bytes
    with _lock:  # traces run on several threads
        while _memo and (len(_memo) >= MEMO or _bytes + size > MEMO_BYTES):
            _bytes -= _memo.pop(next(iter(_memo)))[1]
        _memo[key] = (value, size)
        _bytes += size


def signature(params: Mapping[str, Any]) -> Key | None:
    """The arguments as a hashable key that tells apart every two argument sets a check or a result could:
    a plain value with its exact type (True is not 1, 2.0 is not 2), a short list of ints as a tuple, another
    list of numbers as the set of its element types and the bytes of its float64 values (-0.0 is not 0.0), an
    array as its dtype, shape and bytes. None when an argument is too large or of another type."""
    items: list[tuple[str, type, Any]] = []
    for name, value in params.items():
        kind = type(value)
        if kind in PLAIN:
            items.append((name, kind, value))
        elif kind is list and len(value) <= SHORT and {*map(type, value)} <= INT:  # no bool: its type is bool
            items.append((name, kind, tuple(value)))
        elif kind is list and len(value) <= VALUES:
            try:  # numbers only: array() refuses strings, None, nested lists, ints beyond float64
                items.append((name, array, (frozenset(map(type, value)), array("d", value).tobytes())))
            except (TypeError, OverflowError):
                return None
        elif kind is np.ndarray and value.size <= VALUES and value.dtype.kind in "biuf":  # not object pointers
            items.append((name, kind, (value.dtype.str, value.shape, value.tobytes())))
        else:
            return None
    return tuple(items)


MEMO, MEMO_BYTES, ITEM_BYTES = 1024, 64 << 20, 1 << 20  # entries, their arrays' bytes, one entry's arrays
_memo: dict[tuple[Any, ...], tuple[Any, int]] = {}  # key -> (result, its arrays' bytes), oldest first
_bytes = 0  # of all entries (an array shared by several entries, as a default gamma, counts for each)
_lock = Lock()
