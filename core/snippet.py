"""The PyTorch program that reproduces a trace's numbers: it defines `x`, `layer` (where one exists) and `y`,
calls `y.backward(grad_output)` when the trace has a backward pass, and prints `y`.

    >>> tensor_code("x", np.array([[1.0, 2.5]], dtype=np.float32))  # (1, 2)
    'x = torch.tensor([[1.0, 2.5]], dtype=torch.float32)'
    >>> tensor_code("grad_output", np.ones((2, 3)))
    'grad_output = torch.full((2, 3), 1.0, dtype=torch.float64)'
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]
Buffers = dict[str, Array | int | None]  # what `program` copies into the module, by name

MAX_EMBED = 4096  # values; larger tensors are loaded from a .npy file the user saves


def literal(a: Array) -> str:
    """A nested-list literal with the shortest repr of each value that round-trips in a's dtype (NumPy's str
    conversion, in C), nested as the repr of the list of strings with its quotes dropped."""
    return repr(np.asarray(a).astype(str).tolist()).replace("'", "")


def torch_dtype(a: Array) -> str:
    return "torch.float64" if a.dtype.char == "d" else "torch.float32"


def holds(a: Array, value: Any) -> bool:
    """Every value of `a` is `value` in a's dtype, to the bit (-0.0 is not 0.0). Up to MAX_EMBED values a
    comparison of bytes, a fifth of the cost of (a == value).all() on a small array; beyond, the values' bits
    as unsigned integers, compared in place after a look at the last one (no copy of x: its bytes and their
    repetition were 2.5 passes over 4M values, a quarter of a LayerNorm trace)."""
    one = a.dtype.type(value)
    if a.size <= MAX_EMBED:
        return bool(a.tobytes() == one.tobytes() * a.size)
    bits, want = a.view(f"u{a.itemsize}"), one.view(f"u{a.itemsize}")
    return bool(bits.flat[-1] == want and (bits == want).all())


def constant(a: Array) -> bool:
    """More than one value, all the same to the bit, as a gradient fill gives. The first and last values as
    Python floats first: different (x and its gradients hold no NaN), the array is not constant at once."""
    return a.size > 1 and a.item(0) == a.item(-1) and holds(a, a.flat[0])


def tensor_code(name: str, a: Array, requires_grad: bool = False) -> str:
    rg = ", requires_grad=True" if requires_grad else ""
    if constant(a):  # at any size: no list of equal values to read, no file to save
        return f"{name} = torch.full({tuple(a.shape)}, {a.flat[0]}, dtype={torch_dtype(a)}{rg})"  # str: as literal
    if a.size > MAX_EMBED:
        return _load_line(name, a.shape, torch_dtype(a), requires_grad)
    return f"{name} = torch.tensor({literal(a)}, dtype={torch_dtype(a)}{rg})"


@lru_cache(maxsize=256)  # the same line for every tensor of a shape: built once (see `module`)
def _load_line(name: str, shape: tuple[int, ...], dtype: str, requires_grad: bool) -> str:
    grad = ".requires_grad_()" if requires_grad else ""
    return (
        f"{name} = torch.from_numpy(np.load({name + '.npy'!r})).to({dtype}){grad}"
        f"  # shape {list(shape)}: too large to embed; np.save('{name}.npy', your_array)"
    )


@lru_cache(maxsize=1024)
def module(cls: str, dtype: str, *args: Any, **kwargs: Any) -> str:
    """The module's constructor, `cls(*args, **kwargs, dtype=torch.<dtype>)`, each value written as Python
    writes it (a tuple as a list). Built once per set of arguments: on a large trace, run once after passes
    that leave the CPU caches cold, formatting a float and a list costs as much as a small pass."""

    def text(v: Any) -> str:
        return repr(list(v) if isinstance(v, tuple) else v)

    parts = [*map(text, args), *(f"{k}={text(v)}" for k, v in kwargs.items()), f"dtype=torch.{dtype}"]
    return f"{cls}({', '.join(parts)})"


def module_lines(module: str, buffers: Buffers, train: bool, *perm: str) -> str:
    """The program's lines after x: build `module`, copy the non-None `buffers` in (weight, bias, running_mean,
    ...), set training or evaluation and run x through it (`perm`: the permutes before and after the call).
    They depend on the arguments alone: a layer writes them once per signature (prepared.py)."""
    to, back = perm or ("", "")
    lines, sets = [f"layer = {module}"], []
    for name, value in buffers.items():
        if isinstance(value, int):
            sets.append(f"    layer.{name}.fill_({value})")
        elif value is not None:
            lines.append(tensor_code(name, value))
            sets.append(f"    layer.{name}.copy_({name})")
    if sets:
        lines += ["with torch.no_grad():", *sets]
    return "\n".join([*lines, "layer.train()" if train else "layer.eval()", f"y = layer(x{to}){back}"])


def program(x: Array, body: str, dy: Array | None) -> str:
    """A program that defines x, runs `body` (module_lines), backpropagates dy and prints y."""
    x_line, dy_line = tensor_code("x", x, dy is not None), None if dy is None else tensor_code("grad_output", dy)
    if len(x_line) + len(dy_line or "") > 1000:  # values written out: a new text each time, not worth keeping
        return _program(x_line, body, dy_line)
    return _known_program(x_line, body, dy_line)  # a large or constant tensor's one line per shape


def _program(x_line: str, body: str, dy_line: str | None) -> str:
    lines = ["import numpy as np", "import torch", "from torch import nn", "", x_line, body]
    if dy_line is not None:
        lines += [dy_line, "y.backward(grad_output)"]
    return "\n".join([*lines, "print(y)"]) + "\n"


_known_program = lru_cache(maxsize=256)(_program)  # `body` is the prepared signature's own string


INITIAL = {"weight": 1.0, "bias": 0.0, "running_mean": 0.0, "running_var": 1.0}  # a fresh module's values


def changed(gamma: Array | None = None, beta: Array | None = None, **buffers: Array | None) -> Buffers:
    """weight, bias and running buffers for `program`: those given that differ from the module's initial values."""
    given = {"weight": gamma, "bias": beta, **buffers}
    return {k: v for k, v in given.items() if v is not None and not holds(np.asarray(v), INITIAL[k])}
