"""Arguments, declared once: each layer's `LayerSpec` drives validation here, the API's schema and the page's
form. A bad argument raises `ArgumentError(param, code, torch, **values)`; words are the app's business.

    >>> param_arg("gamma", [1, 2], (3,), np.dtype(np.float32), 1.0, True, "affine")  # (C,) = (3,)
    Traceback (most recent call last):
    normlens.args.ArgumentError: gamma: bad_length (want=3, got=2)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from normlens import ufuncstate

Array = npt.NDArray[Any]
Shape = tuple[int, ...]
DTYPES = ("float32", "float64")
MAX_ELEMENTS = 4_194_304

# float_or_null: null is PyTorch's default behaviour (momentum=None, RMSNorm eps=None); enum: one of `choices`;
# int_list: normalized_shape; int_or_list: an axis or a list of axes; float_array: gamma, beta, running_mean, ...
ParamType = Literal["bool", "int", "float", "float_or_null", "enum", "int_list", "int_or_list", "float_array"]


class ArgumentError(ValueError):
    """A bad argument: `param` names it ("input", "grad_output", "layer" or a layer argument), `code` says
    what is wrong, `values` hold the numbers of the message, `torch` PyTorch's exact words if it refuses too."""

    def __init__(self, param: str, code: str, torch: str | None = None, **values: Any) -> None:
        self.param, self.code, self.torch, self.values = param, code, torch, values
        shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
        super().__init__(
            f"{param}: {code}" + (f" ({shown})" if shown else "") + (f"; PyTorch: {torch}" if torch else "")
        )


@dataclass(frozen=True)
class Param:
    name: str
    type: ParamType
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False  # True: value must be > minimum
    exclusive_maximum: bool = False
    choices: tuple[str, ...] | None = None
    length: str | None = None  # float_array: what its length must equal, "C" or "prod(normalized_shape)"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"choices": None if self.choices is None else list(self.choices)}


@dataclass(frozen=True)
class LayerSpec:
    """One layer in the registry: its PyTorch modules, ranks, arguments, tracing function and an API example."""

    name: str  # batch_norm | layer_norm | ... ; its words are under this name in the lesson files
    torch_classes: tuple[str, ...]
    input_ranks: tuple[int, ...]
    params: tuple[Param, ...]
    run: Callable[..., Any] = field(compare=False, repr=False)
    example: dict[str, Any] = field(default_factory=dict, compare=False)  # a POST /api/v1/trace body

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)

    def defaults(self) -> dict[str, Any]:
        return dict(self._defaults)

    @cached_property  # resolve() reads them on every trace
    def _defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def to_dict(self) -> dict[str, Any]:
        out = {"name": self.name, "torch_classes": list(self.torch_classes), "input_ranks": list(self.input_ranks)}
        return out | {"params": [p.to_dict() for p in self.params]}


EPS = Param("eps", "float", 1e-5, minimum=0, exclusive_minimum=True)
MOMENTUM = Param("momentum", "float_or_null", 0.1, minimum=0, maximum=1)
TRAINING = Param("training", "bool", True)
NUM_BATCHES = Param("num_batches_tracked", "int", 0, minimum=0)
NORMALIZED_SHAPE = Param("normalized_shape", "int_list", None)
ELEMENTWISE_AFFINE = Param("elementwise_affine", "bool", True)
GAMMA = Param("gamma", "float_array", None, length="prod(normalized_shape)")  # LayerNorm's, RMSNorm's


def affine_params(length: str = "prod(normalized_shape)") -> tuple[Param, Param]:
    return Param("gamma", "float_array", None, length=length), Param("beta", "float_array", None, length=length)


def running_layer_params(on: bool) -> tuple[Param, ...]:
    """BatchNorm's and InstanceNorm's arguments; `on` is the default of affine and track_running_stats."""
    flags = Param("affine", "bool", on), Param("track_running_stats", "bool", on)
    buffers = (Param(name, "float_array", None, length="C") for name in ("running_mean", "running_var"))
    return TRAINING, EPS, MOMENTUM, *flags, *affine_params("C"), *buffers, NUM_BATCHES


# a layer function computes with NumPy's warnings off (finite_result reports overflow; a division by a zero std
# or mean is looked for where it can happen), and so does every caller of grouped.normalize; the state is a
# context variable's, so concurrent traces are safe (ufuncstate.py: np.errstate's, set in one step)
quiet = ufuncstate.quiet


def resolve(spec: LayerSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults filled in; an unknown argument name is refused with the list of known ones."""
    defaults = spec._defaults
    for name in params:
        if name not in defaults:
            raise ArgumentError(name, "unknown_argument", layer=spec.name, name=name, known=sorted(defaults))
    return {**defaults, **params}


def input_array(x: Any) -> np.ndarray:
    """The user's tensor as a float32/float64 array: finite, non-empty, at most MAX_ELEMENTS values."""
    a = np.asarray(x)
    if a.dtype.type.__name__ not in DTYPES:  # dtype.name is Python code in NumPy 2.4 (20 us a call)
        raise ArgumentError("input", "bad_dtype", got=a.dtype.name)
    if a.ndim == 0 or a.size == 0:
        raise ArgumentError("input", "empty", shape=list(a.shape))
    if a.size > MAX_ELEMENTS:
        raise ArgumentError("input", "too_many_elements", count=a.size, limit=MAX_ELEMENTS)
    if not np.isfinite(a).all():
        bad = [int(i) for i in np.argwhere(~np.isfinite(a))[0]]
        raise ArgumentError("input", "not_finite", value=str(a[tuple(bad)]), index=bad)
    return a


def rank(name: str, shape: Shape, ranks: tuple[int, ...], torch: str | None = None) -> None:
    if len(shape) not in ranks:
        raise ArgumentError(
            "input", "bad_rank", torch, layer=name, ndim=len(shape), shape=list(shape), ranks=list(ranks)
        )


def grad_output_array(value: Any, x: np.ndarray) -> np.ndarray:
    """The upstream gradient: x's shape, finite, cast to x's dtype (a fresh C-contiguous array)."""
    try:
        g = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ArgumentError("grad_output", "not_numbers") from None
    if g.shape != x.shape:
        raise ArgumentError("grad_output", "bad_shape", want=list(x.shape), got=list(g.shape))
    cast = np.array(g, dtype=x.dtype, order="C")
    if not np.isfinite(cast).all():  # one pass when all is well: an inf or NaN in g stays one in the cast
        if not np.isfinite(g).all():
            raise ArgumentError("grad_output", "not_finite_array")
        finite_result("grad_output", cast)  # finite, but beyond x's dtype
    return cast


def finite_result(name: str, a: np.ndarray) -> np.ndarray:
    """Overflow check on a computed array: in float32 large inputs can overflow where float64 would not."""
    if not np.isfinite(a).all():
        raise ArgumentError("input", "overflow", what=name, dtype=a.dtype.name)
    return a


# the types an argument may have, as tuples: `int | float` written in a call builds a union at every call
BOOLS = (bool, np.bool_)
INTS = (int, np.integer)
NUMBERS = (int, float, np.integer, np.floating)


def flag(name: str, value: Any) -> bool:
    if not isinstance(value, BOOLS):
        raise ArgumentError(name, "not_bool", got=repr(value))
    return bool(value)


def number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, NUMBERS):
        raise ArgumentError(name, "not_number", got=repr(value))
    if not math.isfinite(v := float(value)):
        raise ArgumentError(name, "not_finite_number", got=v)
    return v + 0.0  # -0.0 is 0.0: one value, one key in the caches of prepared.py and snippet.module, one text


def is_int(value: Any) -> bool:
    return isinstance(value, INTS) and not isinstance(value, bool)


def integer(name: str, value: Any, minimum: int, maximum: int | None = None) -> int:
    if not is_int(value):
        raise ArgumentError(name, "not_integer", got=repr(value), minimum=minimum)
    if value < minimum:
        raise ArgumentError(name, "below_minimum", got=int(value), low=minimum)
    if maximum is not None and value > maximum:
        raise ArgumentError(name, "out_of_range", got=int(value), low=minimum, high=maximum)
    return int(value)


def choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ArgumentError(name, "not_a_choice", got=repr(value), choices=list(choices))
    return str(value)


def eps_arg(value: Any, torch_message: bool = False) -> float:
    """eps > 0. BatchNorm in training quotes PyTorch's own message; the others say why 0 is refused here."""
    eps = number("eps", value)
    if eps <= 0:
        torch = f"batch_norm eps must be positive during training, but got {eps}" if torch_message else None
        raise ArgumentError("eps", "eps_not_positive", torch, got=eps)
    return eps


def momentum_arg(value: Any) -> float | None:
    v = None if value is None else number("momentum", value)
    if v is not None and not 0 <= v <= 1:
        raise ArgumentError("momentum", "momentum_range", got=v)
    return v


def filled(shape: Shape, fill: float, dtype: np.dtype) -> Array:
    """A read-only array of `fill` (a layer's initial parameter, a ones vector): up to 65,536 values one shared
    array per (shape, fill, dtype), larger ones made anew."""
    if math.prod(shape) <= 65_536:
        return _shared(shape, fill, dtype)
    (a := np.full(shape, fill, dtype=dtype)).setflags(write=False)
    return a


@lru_cache(maxsize=32)  # at most 32 * 512 KB
def _shared(shape: Shape, fill: float, dtype: np.dtype) -> Array:
    (a := np.full(shape, fill, dtype=dtype)).setflags(write=False)
    return a


def param_arg(name: str, value: Any, shape: Shape, dtype: np.dtype, fill: float, on: bool, switch: str) -> Array | None:
    """gamma, beta or a running statistic: `shape` values when `on` (default: all `fill`), else absent."""
    if not on:
        if value is not None:
            raise ArgumentError(name, "given_but_off", switch=switch)
        return None
    if value is None:
        return filled(shape, fill, dtype)
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ArgumentError(name, "not_numbers") from None
    if a.size != math.prod(shape):
        raise ArgumentError(name, "bad_length", want=math.prod(shape), got=a.size)
    if not np.isfinite(a).all():
        raise ArgumentError(name, "not_finite_array")
    if name == "running_var" and (a < 0).any():
        raise ArgumentError(name, "negative_variance")
    (out := a.reshape(shape).astype(dtype)).setflags(write=False)  # prepared once, shared by calls (prepared.py)
    return out


def normalized_shape(value: Any, x_shape: Shape, rms: bool = False) -> tuple[int, ...]:
    """LayerNorm's and RMSNorm's trailing axes, None: the last one (PyTorch words RMSNorm's checks apart)."""
    ndim = len(x_shape)
    if value is None:
        return (x_shape[-1],)
    tail = x_shape[ndim - len(value) :] if type(value) is list else None
    if tail is not None and value and tail == tuple(value) and {*map(type, value)} == {int}:
        return tail  # the usual case, x's own trailing sizes (ints, so no bools): nothing else to check
    items = [value] if is_int(value) else value
    if not isinstance(items, list | tuple) or not all(is_int(d) and d > 0 for d in items):
        raise ArgumentError("normalized_shape", "not_shape", got=repr(value))
    shape, k, xs = tuple(int(d) for d in items), len(items), list(x_shape)
    if not shape:
        torch = "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, "
        raise ArgumentError("normalized_shape", "empty_shape", f"{torch}but got normalized_shape = []", last=xs[-1])
    fit = x_shape[max(0, ndim - k) :]
    if fit != shape or k > ndim:
        ns, star = ", ".join(map(str, shape)), "*" if rms else "*, "
        torch = f"Given normalized_shape=[{ns}], expected input with shape [{star}{ns}], but got input of size{xs}"
        if rms and k > ndim:
            torch = f"Input tensor must have at least {k} dimensions, but got {ndim}"
        raise ArgumentError("normalized_shape", "shape_mismatch", torch, want=list(shape), fit=list(fit), shape=xs)
    return shape
