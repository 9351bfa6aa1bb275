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

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

import numpy as np

from normlens.grouped import Call, Plan

S = TypeVar("S")
Prepare = Callable[[tuple[int, ...], np.dtype[Any], dict[str, Any]], S]
Key = tuple[tuple[str, type, Any], ...]
PLAIN = (bool, int, float, str, type(None))  # argument types that are part of a key as they are
SHORT = 8  # a list of at most this many ints (normalized_shape, dim) is part of a key as a tuple


class Setup(NamedTuple):
    """What a normalization layer's trace computes with, from its arguments alone. Shared by every call with
    the same signature, so nothing in it is ever written: the arrays are read-only, `params` is copied."""

    plan: Plan
    call: Call
    module: str  # the PyTorch module's constructor, snippet.module's text
    buffers: dict[str, Any]  # what snippet.program copies into the module (snippet.changed)
    params: dict[str, Any]  # the resolved arguments as the trace reports them (copy before use)
    more: tuple[Any, ...] = ()  # a layer's own: BatchNorm's running buffers, momentum, ...


def prepared(prepare: Prepare[S], x: np.ndarray, params: Mapping[str, Any]) -> S:
    """prepare(x.shape, x.dtype, params), memoized by (prepare, shape, dtype, arguments) when every argument
    is a plain value or a short list of ints. An argument error is raised on every call (nothing is cached)."""
    key = signature(params)
    if key is None:  # gamma, running_mean or another array: checked anew each time
        return prepare(x.shape, x.dtype, dict(params))
    return _cached(prepare, x.shape, x.dtype, key)  # type: ignore[no-any-return]


def signature(params: Mapping[str, Any]) -> Key | None:
    """The arguments as a hashable key, each with its exact type (True is not 1 and 2.0 is not 2 to the checks);
    None when one is an array, a long list or a value of another type."""
    items = []
    for name, value in params.items():
        kind = type(value)
        if kind in PLAIN:
            items.append((name, kind, value))
        elif kind is list and len(value) <= SHORT and all(type(d) is int for d in value):
            items.append((name, kind, tuple(value)))
        else:
            return None
    return tuple(items)


@lru_cache(maxsize=1024)
def _cached(prepare: Prepare[Any], shape: tuple[int, ...], dtype: np.dtype[Any], key: Key) -> Any:
    return prepare(shape, dtype, {name: list(v) if kind is list else v for name, kind, v in key})
