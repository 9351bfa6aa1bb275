"""Turning a request's tensors into NumPy arrays: nested lists, random draws, reshapes, dtype casts.

Everything here is checked cheaply before it is allocated, and every failure is an `InputError` (a ValueError)
whose message says what is wrong and where, e.g. ``values[1] has 2 items but values[0] has 3``, in English
(str) and Chinese (`zh`); the words are `[input_errors.<code>]` of app/lessons/requests.toml:

    >>> nested_array([[1, 2.5], [3, 4]], "values", max_elements=10, max_depth=4).shape
    (2, 2)

A nested list is checked level by level with C-speed `map`/`chain` passes (types, lengths) instead of a Python
loop per number, so a 4M-element tensor converts in about 0.2 s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from itertools import chain
from typing import Any, Literal

import numpy as np

from normlens.app.errors import request_words
from normlens.app.lessons import Text

Distribution = Literal["normal", "uniform", "integers"]
FLOAT32_MAX = float(np.finfo(np.float32).max)
_NUMBER = (int, float)
_JSON_NAMES = {bool: "boolean", str: "string", type(None): "null", dict: "object", list: "list"}


class InputError(ValueError):
    """A tensor the service cannot use: `code`, the entry of its words, and the `values` they name (the
    offending element among them).

    >>> e = InputError("minus_one_twice", name="shape", shape=[-1, -1])
    >>> str(e), e.zh
    ('shape can contain -1 only once, got [-1, -1]', 'shape 里只能有一个 -1，实际为 [-1, -1]')
    """

    def __init__(self, code: str, **values: Any) -> None:
        self.code, self.values = code, values
        self.text = request_words(code, "input_errors", **values)
        super().__init__(self.text.en)

    @property
    def zh(self) -> str:
        return self.text.zh

    def __reduce__(self) -> tuple[Any, ...]:  # the code and values survive pickling (worker processes)
        return partial(InputError, **self.values), (self.code,)


def kind_of(value: Any) -> Text:
    """What a JSON value is, in words: "a string", "null", ..."""
    return request_words(_JSON_NAMES.get(type(value), "number"), "json_kinds")


def _where(name: str, flat_index: int, shape: Sequence[int]) -> str:
    idx = np.unravel_index(flat_index, tuple(shape)) if shape else ()
    return name + "".join(f"[{int(i)}]" for i in idx)


def _items(n: int) -> Text:
    return request_words("item" if n == 1 else "items", "json_kinds", count=n)


def nested_array(obj: Any, name: str, max_elements: int, max_depth: int) -> np.ndarray:
    """A rectangular nested list of numbers as a float64 array of its shape.

    Rejects scalars, empty lists, ragged lists, booleans, strings, nulls, non-finite numbers, more than
    `max_elements` numbers and more than `max_depth` axes, before allocating anything beyond the lists.
    """
    if not isinstance(obj, list):
        raise InputError("not_list", name=name, got=kind_of(obj))
    shape: list[int] = []
    level: list[Any] = [obj]
    while True:
        types = set(map(type, level))
        if types == {list}:
            lengths = set(map(len, level))
            if len(lengths) > 1:
                first = len(level[0])
                bad = next(i for i, item in enumerate(level) if len(item) != first)
                here, start, items = _where(name, bad, shape), _where(name, 0, shape), _items(len(level[bad]))
                raise InputError("ragged", name=name, here=here, items=items, start=start, first=first)
            n = lengths.pop()
            if n == 0:
                raise InputError("empty", name=name, where=_where(name, 0, shape))
            shape.append(n)
            if len(shape) > max_depth:
                raise InputError("too_deep", name=name, depth=len(shape), limit=max_depth)
            count = len(level) * n
            if count > max_elements:
                raise InputError("too_many", name=name, limit=max_elements)
            level = list(chain.from_iterable(level))
            continue
        if types <= {int, float}:
            break
        if list in types and types - {list} <= {int, float}:
            first_is_list = type(level[0]) is list
            bad = next(i for i, item in enumerate(level) if (type(item) is list) != first_is_list)
            kinds = [request_words(k, "json_kinds") for k in ("number", "list")]
            here, start = _where(name, bad, shape), _where(name, 0, shape)
            got, want = kinds if first_is_list else kinds[::-1]
            raise InputError("mixed_depth", name=name, here=here, got=got, start=start, want=want)
        bad = next(i for i, item in enumerate(level) if type(item) not in _NUMBER and type(item) is not list)
        raise InputError("not_number", name=name, where=_where(name, bad, shape), got=kind_of(level[bad]))
    try:
        flat = np.fromiter(level, dtype=np.float64, count=len(level))
    except OverflowError:  # a Python int beyond float64's range (only the stdlib JSON fallback yields these)
        bad = next(i for i, v in enumerate(level) if not _fits_float(v))
        raise InputError("too_large", name=name, where=_where(name, bad, shape)) from None
    finite = np.isfinite(flat)
    if not finite.all():
        bad = int(np.argmin(finite))
        raise InputError("not_finite", name=name, where=_where(name, bad, shape), value=str(flat[bad]))
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
        raise InputError("minus_one_twice", name=name, shape=list(shape))
    bad = [s for s in shape if s == 0 or s < -1]
    if bad:
        raise InputError("not_positive", name=name, got=bad[0], shape=list(shape))
    known = math.prod(s for s in shape if s != -1)  # exact: a JSON size may be beyond int64
    if -1 in shape:
        if size % known:
            raise InputError("not_divisible", size=size, shape=list(shape), known=known)
        return tuple(size // known if s == -1 else s for s in shape)
    if known != size:
        raise InputError("reshape", size=size, shape=list(shape), known=known)
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
        raise InputError("beyond_float32", where=_where(name, bad, a.shape), value=f"{a.ravel()[bad]:g}")
    return a.astype(np.float32)
