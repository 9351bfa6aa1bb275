"""Min-max normalization: y = (x - min) / (max - min) over the axes `dim`, each group mapped onto [0, 1].

Gradients of min and max go to the elements equal to them, split among ties as in torch.amin/amax; a constant
group (0 / 0, NaN in PyTorch) gets output and gradient 0, and a notice.

    >>> t = min_max(np.array([[170.0, 60.0], [180.0, 80.0], [160.0, 50.0]]))  # (N, D), dim=0: per feature
    >>> t.stats["min"], t.output[:, 0]
    (array([160.,  50.]), array([0.5, 1. , 0. ]))
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from normlens import args as A
from normlens import grouped, snippet
from normlens.args import Array, Shape
from normlens.grouped import Grads
from normlens.layer_norm import LN_NAMES
from normlens.prepared import prepared
from normlens.trace import Grouping, Notice, Step, Trace, subscripts


def dims_arg(value: Any, ndim: int) -> tuple[int, ...]:
    """dim as sorted axes in [0, ndim): an int or a list, negative counting from the end; [] is every axis
    (torch.amin's rule). Range first, then repeats, in PyTorch's order and words."""
    items = value if isinstance(value, list | tuple) else [value]
    if any(isinstance(d, bool) or not isinstance(d, A.INTS) for d in items):
        raise A.ArgumentError("dim", "not_dim", got=repr(value))
    for d in items:
        if not -ndim <= d < ndim:
            torch = f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})"
            raise A.ArgumentError("dim", "dim_out_of_range", torch, got=int(d), low=-ndim, high=ndim - 1)
    axes = [int(d) % ndim for d in items]
    for i, d in enumerate(axes):
        if d in axes[:i]:
            raise A.ArgumentError("dim", "dim_repeated", f"dim {d} appears multiple times in the list of dims", axis=d)
    return tuple(sorted(axes)) or tuple(range(ndim))


class Setup(NamedTuple):
    """What min_max computes with, from its arguments alone (prepared.py): nothing in it is ever written."""

    dims: Shape  # the reduced axes, sorted
    dim: int | tuple[int, ...]  # as given, a list as a tuple
    grouping: Grouping
    scalars: dict[str, Any]  # the grouping step's numbers (copied into each trace)


@A.quiet
def min_max(x: Any, grad_output: Any = None, **params: Any) -> Trace:
    """Trace (x - x.amin(dim)) / (x.amax(dim) - x.amin(dim)) on x (float32 or float64, computed in x's dtype)."""
    x = grouped.input_array(x)
    dims, dim, grouping, _ = s = prepared(_min_max, x, params)
    dy = None if grad_output is None else A.grad_output_array(grad_output, x)
    lo, hi = (f.reduce(x, axis=dims, keepdims=True) for f in (np.minimum, np.maximum))  # (N, D) -> (1, D), dim=0
    # an inf or NaN in x shows in lo or hi, so in the range, and in its largest value (np.maximum passes NaN on)
    if not math.isfinite(np.maximum.reduce(rng := hi - lo, axis=None)):
        if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
            A.input_array(x)  # the scan grouped.input_array skipped: names the first bad value
        A.finite_result("range", rng)  # else max - min overflowed
    n_const = int(np.count_nonzero(rng == 0)) if np.minimum.reduce(rng, axis=None) == 0 else 0  # with max = min
    r = np.where(rng == 0, rng.dtype.type(1), rng) if n_const else rng  # 1 in a constant group: PyTorch's 0 / 0 is NaN
    shifted = x - lo
    out = shifted / r
    stats = {k: v.reshape(grouping.stat_shape) for k, v in (("min", lo), ("max", hi), ("range", rng))}
    steps = _forward_steps(x, s, {**stats, "shifted": shifted, "output": out}, n_const)
    back, grads = (
        ([], None) if dy is None else _backward(dy, x, (lo, hi, r, rng == 0, shifted), dims, grouping.stat_shape)
    )
    given = list(dim) if isinstance(dim, tuple) else dim
    return Trace(layer="min_max", dtype=x.dtype.type.__name__, shape=x.shape, axes=LN_NAMES[x.ndim], grouping=grouping,
                 steps=steps + back, output=out, stats=stats, params={"dim": given}, torch_class=TORCH_CLASS,
                 param_counts={"learnable": 0, "buffers": 0}, torch_code=_code(x, given, dy), grads=grads,
                 notation={**_notation(LN_NAMES[x.ndim], dims)}, notices=_notices(stats, n_const))  # fmt: skip


def _min_max(shape: Shape, dtype: np.dtype[Any], params: dict[str, Any]) -> Setup:
    a = A.resolve(SPEC, params)
    A.rank("min_max", shape, SPEC.input_ranks)
    dims, ndim = dims_arg(a["dim"], len(shape)), len(shape)
    dim = tuple(int(d) for d in a["dim"]) if isinstance(a["dim"], list | tuple) else int(a["dim"])
    kept = [i for i in range(ndim) if i not in dims]
    axis_map = tuple((kept.index(i), 1) if i in kept else None for i in range(ndim))
    grouping = Grouping(shape, tuple(shape[i] for i in kept) or (1,), axis_map)  # (1,): JSON has no 0-d arrays
    names = LN_NAMES[ndim]
    scalars = {
        "K": math.prod(grouping.stat_shape),
        "m": grouping.group_size,
        "reduced": " · ".join(names[i] for i in dims),
    }
    scalars["sizes"] = " · ".join(str(shape[i]) for i in dims)  # "4 · 2" for dims (0, 1) of (4, 2, 3)
    return Setup(dims, dim, grouping, scalars)


def _forward_steps(x: Array, s: Setup, a: dict[str, Array], n_const: int) -> list[Step]:
    """input, grouping, min, max, range (stat_shape arrays, (D,) for dim=0 on (N, D)), shifted and output."""
    x_in = x.view()  # the input step's own read-only view: the caller's array stays writable
    x_in.flags.writeable = False
    ids = s.grouping.group_ids()
    grouped.freeze(ids, *a.values())
    km = {"K": s.scalars["K"], "m": s.scalars["m"]}
    variant = "constant" if n_const else ""  # some group has max = min
    return [
        Step("input", x_in),
        Step("grouping", ids, variant="all" if len(s.dims) == x.ndim else "", scalars=dict(s.scalars)),
        Step("min", a["min"], "stat", scalars=km),
        Step("max", a["max"], "stat", scalars=dict(km)),
        Step("range", a["range"], "stat", variant=variant, scalars={"constant": n_const}),
        Step("shifted", a["shifted"]),
        Step("output", a["output"], variant=variant, scalars={"constant": n_const}),
    ]


def _notices(stats: dict[str, np.ndarray], n_const: int) -> list[Notice]:
    """max = min in `n_const` groups: name the first such group (its index into the statistics) and its value."""
    if not n_const:
        return []
    const, lo = stats["range"] == 0, stats["min"]
    first = [int(i) for i in np.argwhere(const)[0]]
    values = {"count": n_const, "groups": const.size, "group": first, "value": lo[tuple(first)].item()}
    return [Notice("constant_group", values)]


@lru_cache(maxsize=256)
def _notation(names: tuple[str, ...], dims: tuple[int, ...]) -> dict[str, str]:
    """Subscripts for the formulas: on (N, D) with dim=0, x_{nd}, min_{d}, reduced over n. No parameters."""
    low = [n.lower() for n in names]
    kept = [i for i in range(len(names)) if i not in dims]
    out = subscripts(names, "".join(low[i] for i in kept), ",".join(low[i] for i in dims), "", "")
    out = {k: v for k, v in out.items() if not k.startswith("p")}
    stat_idx = "(" + ",".join(low[i] for i in kept) + ")" if kept else "0"
    return {**out, "kept": "(" + ", ".join(names[i] for i in kept) + ")", "stat_idx": stat_idx}


def _backward(dy: Array, x: Array, ext: tuple[Array, ...], dims: Shape, shape: Shape) -> tuple[list[Step], Grads]:
    """The chain rule through y = shifted / range: the direct path dy / range, then range and min (in shifted
    and in range) and max, whose gradients go to the elements equal to them, divided by how many tie."""
    (lo, hi, r, const, shifted), dt = ext, x.dtype  # keepdims arrays, (1, D) for dim=0 on (N, D)
    dshifted = np.where(const, dt.type(0), dy / r)
    # d range = -sum(dy * shifted) / range^2 (DivBackward); 0 in a constant group, where PyTorch has NaN
    dot = np.sum(dy * shifted, axis=dims, keepdims=True, dtype=np.float64)
    drange = np.where(const, 0, -dot / r.astype(np.float64) ** 2).astype(dt)
    dmin = (-np.sum(dshifted, axis=dims, keepdims=True, dtype=np.float64) - drange).astype(dt) + dt.type(0)  # no -0.0
    at_lo, at_hi = x == lo, x == hi
    n_lo, n_hi = (a.sum(dims, keepdims=True).astype(dt) for a in (at_lo, at_hi))  # tie counts, as in amin's backward
    dx = dshifted + at_hi * (drange / n_hi) + at_lo * (dmin / n_lo)
    A.finite_result("input gradient", dx)  # an infinite d range or d min reaches dx at the max or min
    ties = int(((n_lo > 1) & ~const).sum() + ((n_hi > 1) & ~const).sum())
    steps = [
        Step("grad_output", dy, phase="backward"),
        Step("dshifted", dshifted, phase="backward"),
        Step("drange", drange.reshape(shape), "stat", "backward", scalars={"m": x.size // const.size}),
        Step("dmax", drange.reshape(shape), "stat", "backward"),
        Step("dmin", dmin.reshape(shape), "stat", "backward"),
        Step("dinput", dx, phase="backward", variant="ties" if ties else "", scalars={"ties": ties}),
    ]
    grouped.freeze(*(s.values for s in steps))
    return steps, {"input": dx}


def _code(x: np.ndarray, dim: int | list[int], dy: np.ndarray | None) -> str:
    """The same formula in PyTorch: x, y, y.backward(grad_output), print(y) (snippet.py's contract)."""
    lines = ["import numpy as np", "import torch", "", snippet.tensor_code("x", x, dy is not None), f"dim = {dim!r}"]
    lines.append("y = (x - x.amin(dim, keepdim=True)) / (x.amax(dim, keepdim=True) - x.amin(dim, keepdim=True))")
    if dy is not None:
        lines += [snippet.tensor_code("grad_output", dy), "y.backward(grad_output)"]
    return "\n".join([*lines, "print(y)"]) + "\n"


TORCH_CLASS = "torch.amin/amax"
SPEC = A.LayerSpec(
    name="min_max",
    torch_classes=(TORCH_CLASS,),
    input_ranks=(1, 2, 3, 4, 5),
    params=(A.Param("dim", "int_or_list", 0),),
    run=min_max,
    example={
        # heights (cm) and weights (kg) of four people: each feature squeezed onto [0, 1] over the samples
        "input": {"values": [[170, 60], [180, 80], [160, 50], [175, 70]]},
        "params": {"dim": 0},
        "grad_output": {"fill": 1},
        "dtype": "float64",
    },
)
SPECS = (SPEC,)
