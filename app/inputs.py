"""Turning a request's tensors into NumPy arrays: nested lists, random draws, reshapes, dtype casts.

Everything here is checked cheaply before it is allocated, and every failure is an `InputError` (a ValueError)
whose message says what is wrong and where, e.g. ``values[1] has 2 items but values[0] has 3``:

    >>> nested_array([[1, 2.5], [3, 4]], "values", max_elements=10, max_depth=4).shape
    (2, 2)

A nested list is checked level by level with C-speed `map`/`chain` passes (types, lengths) instead of a Python
loop per number, so a 4M-element tensor converts in about 0.2 s.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any, Literal

import numpy as np

Distribution = Literal["normal", "uniform", "integers"]
FLOAT32_MAX = float(np.finfo(np.float32).max)
_NUMBER = (int, float)
_JSON_NAMES = {bool: "a boolean", str: "a string", type(None): "null", dict: "an object", list: "a list"}


class InputError(ValueError):
    """A tensor the service cannot use; the message names the offending element."""


def _where(name: str, flat_index: int, shape: Sequence[int]) -> str:
    idx = np.unravel_index(flat_index, tuple(shape)) if shape else ()
    return name + "".join(f"[{int(i)}]" for i in idx)


def _items(n: int) -> str:
    return f"{n} item" if n == 1 else f"{n} items"


def nested_array(obj: Any, name: str, max_elements: int, max_depth: int) -> np.ndarray:
    """A rectangular nested list of numbers as a float64 array of its shape.

    Rejects scalars, empty lists, ragged lists, booleans, strings, nulls, non-finite numbers, more than
    `max_elements` numbers and more than `max_depth` axes, before allocating anything beyond the lists.
    """
    if not isinstance(obj, list):
        raise InputError(f"{name} must be a (nested) list of numbers, got {_JSON_NAMES.get(type(obj), 'a number')}")
    shape: list[int] = []
    level: list[Any] = [obj]
    while True:
        types = set(map(type, level))
        if types == {list}:
            lengths = set(map(len, level))
            if len(lengths) > 1:
                first = len(level[0])
                bad = next(i for i, item in enumerate(level) if len(item) != first)
                raise InputError(
                    f"{name} is ragged: {_where(name, bad, shape)} has {_items(len(level[bad]))} but "
                    f"{_where(name, 0, shape)} has {first}; every row must have the same length"
                )
            n = lengths.pop()
            if n == 0:
                raise InputError(f"{name} is empty at {_where(name, 0, shape)}; a tensor needs at least one number")
            shape.append(n)
            if len(shape) > max_depth:
                raise InputError(f"{name} is nested {len(shape)}+ deep; at most {max_depth} axes are allowed")
            count = len(level) * n
            if count > max_elements:
                raise InputError(f"{name} has more than {max_elements:,} numbers (the limit)")
            level = list(chain.from_iterable(level))
            continue
        if types <= {int, float}:
            break
        if list in types and types - {list} <= {int, float}:
            first_is_list = type(level[0]) is list
            bad = next(i for i, item in enumerate(level) if (type(item) is list) != first_is_list)
            kinds = ("a number", "a list") if first_is_list else ("a list", "a number")
            here, start = _where(name, bad, shape), _where(name, 0, shape)
            raise InputError(f"{name} is ragged: {here} is {kinds[0]} but {start} is {kinds[1]}")
        bad = next(i for i, item in enumerate(level) if type(item) not in _NUMBER and type(item) is not list)
        what = type(level[bad])
        described = _JSON_NAMES.get(what, what.__name__)
        raise InputError(f"{name} must hold numbers only; {_where(name, bad, shape)} is {described}")
    try:
        flat = np.fromiter(level, dtype=np.float64, count=len(level))
    except OverflowError:  # a Python int beyond float64's range (only the stdlib JSON fallback yields these)
        bad = next(i for i, v in enumerate(level) if not _fits_float(v))
        raise InputError(f"{name} has a number too large for float64 at {_where(name, bad, shape)}") from None
    finite = np.isfinite(flat)
    if not finite.all():
        bad = int(np.argmin(finite))
        raise InputError(
            f"{name} must hold finite numbers; {_where(name, bad, shape)} is {flat[bad]} "
            "(NaN and infinity cannot be normalized)"
        )
    return flat.reshape(shape)


def _fits_float(v: int | float) -> bool:
    try:
        float(v)
    except OverflowError:
        return False
    return True


def check_numbers(obj: Any, name: str, max_elements: int, max_depth: int) -> Any:
    """`nested_array`'s checks on a list that stays a list (a parameter array such as gamma)."""
    nested_array(obj, name, max_elements, max_depth)
    return obj


def resolve_shape(shape: Sequence[int], size: int, name: str = "shape") -> tuple[int, ...]:
    """numpy's reshape rule with its errors spelled out: one -1 is inferred, the product must equal `size`.

    >>> resolve_shape([2, -1], 6)
    (2, 3)
    """
    if sum(1 for s in shape if s == -1) > 1:
        raise InputError(f"{name} can contain -1 only once, got {list(shape)}")
    bad = [s for s in shape if s == 0 or s < -1]
    if bad:
        raise InputError(f"{name} entries must be positive (or a single -1), got {bad[0]} in {list(shape)}")
    known = int(np.prod([s for s in shape if s != -1], dtype=np.int64)) if shape else 1
    if -1 in shape:
        if size % known:
            raise InputError(f"cannot reshape {size} values into {list(shape)}: {size} is not divisible by {known}")
        return tuple(size // known if s == -1 else s for s in shape)
    if known != size:
        raise InputError(f"cannot reshape {size} values into {list(shape)} ({known} values)")
    return tuple(shape)


def random_values(
    shape: Sequence[int],
    seed: int,
    distribution: Distribution,
    mean: float = 0.0,
    std: float = 1.0,
    low: float = 0.0,
    high: float = 1.0,
) -> np.ndarray:
    """Reproducible float64 draws from `np.random.default_rng(seed)`; "integers" includes `high`.

    The exact recipe is part of the permalink contract: the same request must give the same numbers forever.

    >>> random_values([2], 0, "integers", low=0, high=3).tolist()
    [3.0, 2.0]
    """
    rng = np.random.default_rng(seed)
    if distribution == "normal":
        return rng.standard_normal(tuple(shape)) * std + mean
    if distribution == "uniform":
        return rng.uniform(low, high, tuple(shape))
    return rng.integers(int(low), int(high), size=tuple(shape), endpoint=True).astype(np.float64)


def cast(a: np.ndarray, dtype: str, name: str) -> np.ndarray:
    """The float64 array `a` in `dtype`, refusing values float32 cannot hold (instead of making them inf)."""
    if dtype == "float64":
        return a
    big = np.abs(a) > FLOAT32_MAX
    if big.any():
        bad = int(np.argmax(big.ravel()))
        raise InputError(
            f"{_where(name, bad, a.shape)} = {a.ravel()[bad]:g} is beyond float32's range "
            f"(±{FLOAT32_MAX:.4g}); use dtype float64"
        )
    return a.astype(np.float32)
