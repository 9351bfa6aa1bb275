"""Building the PyTorch snippet that reproduces a trace's numbers when pasted into Python.

Contract for every layer's snippet: a self-contained program (imports included) that defines `x` (the input),
`layer` (the torch module, where one exists), `y` (the output tensor) and, when the trace has a backward pass,
calls `y.backward(grad_output)` so that `x.grad` and the parameters' `.grad` exist. It ends by printing `y`.

    >>> tensor_code("x", np.array([[1.0, 2.5]], dtype=np.float32))
    'x = torch.tensor([[1.0, 2.5]], dtype=torch.float32)'
"""

from __future__ import annotations

import numpy as np

MAX_EMBED = 4096  # values; larger tensors are loaded from a .npy file the user saves


def literal(a: np.ndarray) -> str:
    """A nested-list literal with the shortest repr of each value that round-trips in a's dtype.

    NumPy's str conversion writes that repr in C (for float32 the same digits as str(np.float32(v))); the
    nesting is the repr of the list of strings with its quotes dropped."""
    return repr(np.asarray(a).astype(str).tolist()).replace("'", "")


def torch_dtype(a: np.ndarray) -> str:
    return "torch.float64" if a.dtype == np.float64 else "torch.float32"


def tensor_code(name: str, a: np.ndarray, requires_grad: bool = False) -> str:
    rg = ", requires_grad=True" if requires_grad else ""
    if a.size > MAX_EMBED:
        grad = ".requires_grad_()" if rg else ""
        return (
            f"{name} = torch.from_numpy(np.load({name + '.npy'!r})).to({torch_dtype(a)}){grad}"
            f"  # shape {list(a.shape)}: too large to embed; np.save('{name}.npy', your_array)"
        )
    return f"{name} = torch.tensor({literal(a)}, dtype={torch_dtype(a)}{rg})"
