"""The trace: the ordered steps a layer takes, each an id, its array and the numbers its formula uses (the
words live in `normlens.app`'s lesson files, keyed by step id and variant).

    >>> t = normlens.trace("layer_norm", np.ones((2, 3), np.float32), normalized_shape=[3])  # (N, D)
    >>> [s.id for s in t.steps][:3], t.axes, t.grouping.stat_shape
    (['input', 'grouping', 'mean'], ('N', 'D'), (2,))
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from normlens.grouped import Result

COARSE_RATIO = 100.0  # |mean| / std from which float32 loses the digits for 1e-5 relative agreement with PyTorch
Phase = Literal["forward", "backward"]
Kind = Literal["tensor", "stat", "param", "scalar"]  # what a step's array is indexed by: elements, groups, ...


@dataclass(frozen=True)
class Grouping:
    """Which input elements share one statistic: `axis_map[a]` is None when input axis `a` is reduced, else
    (stat_axis, divisor) with stat_index[stat_axis] = input_index[a] // divisor. BatchNorm2d on (N, C, H, W):
    stat_shape=(C,), axis_map=(None, (0, 1), None, None); GroupNorm: (N, G), ((0, 1), (1, C // G), None, None)."""

    input_shape: tuple[int, ...]
    stat_shape: tuple[int, ...]
    axis_map: tuple[tuple[int, int] | None, ...]

    @property
    def reduce_axes(self) -> tuple[int, ...]:
        return tuple(a for a, m in enumerate(self.axis_map) if m is None)

    @cached_property  # plans are cached per shape, and these are read several times per trace
    def group_size(self) -> int:
        """Number of input elements that share one statistic (m in the formulas)."""
        return math.prod(self.input_shape) // max(1, math.prod(self.stat_shape))

    @cached_property
    def stat_view(self) -> tuple[int, int, int]:
        """(P, K, Q) view of the input: K statistics, P = the axes before the first kept one, Q the rest.
        BatchNorm2d: (N, C, H*W); LayerNorm on (B, S, D): (1, B*S, D); GroupNorm: (1, N*G, C/G*H*W)."""
        kept = [a for a, m in enumerate(self.axis_map) if m is not None]
        p, k = math.prod(self.input_shape[: kept[0]] if kept else ()), math.prod(self.stat_shape)
        return p, k, math.prod(self.input_shape) // (p * k)

    @cached_property
    def in_view_order(self) -> bool:
        """The flat statistic index of an element is its K index in `stat_view`: the kept axes are adjacent and
        only the last is divided (every layer's grouping; min-max over inner axes is not)."""
        kept = [(a, m) for a, m in enumerate(self.axis_map) if m is not None]
        return all(a - kept[0][0] == m[0] == i and (m[1] == 1 or i == len(kept) - 1) for i, (a, m) in enumerate(kept))

    def group_ids(self) -> npt.NDArray[np.int32]:
        """The flat statistic index of every input element, as an int32 array of the input's shape."""
        out, (P, K, Q) = np.empty(self.input_shape, dtype=np.int32), self.stat_view
        if self.in_view_order and Q > 1:  # K runs of Q equal ids, P times: fills, nothing read
            out.reshape(P, K, Q)[...] = np.arange(K, dtype=np.int32)[:, None]
            return out
        if self.in_view_order:  # Q = 1 (min-max over leading axes): 0 .. K-1 in the first row, copied to the
            (rows := out.reshape(P, K))[0] = np.arange(K, dtype=np.int32)  # others: each is read a whole number of
            np.copyto(rows[1:], rows[0])  # rows before it is written, which seldom puts the writes just above the
            return out  # reads in the page (4K aliasing, twice as slow), and asks NumPy for no address (below: 5 us)
        ids, rank = np.zeros((1,) * len(self.input_shape), dtype=np.int32), len(self.input_shape)  # kept axes only
        for axis, m in enumerate(self.axis_map):
            if m is not None:  # input index // divisor, times the stride of its statistic axis
                idx = np.arange(self.input_shape[axis], dtype=np.int32) // m[1] * math.prod(self.stat_shape[m[0] + 1 :])
                ids = ids + idx.reshape([-1 if a == axis else 1 for a in range(rank)])
        buf = np.empty(ids.size + 1024, dtype=np.int32)
        o = (out.ctypes.data + 2048 - buf.ctypes.data) % 4096 // 4  # half a page from out's offset: no 4K aliasing
        np.copyto(src := buf[o : o + ids.size].reshape(ids.shape), ids)  # (at the same offset: 2 ms, not 0.1, per 4 MB)
        np.copyto(out, src)  # then one write of the whole array
        return out

    def to_dict(self) -> dict[str, Any]:
        axis_map = [None if m is None else list(m) for m in self.axis_map]
        out = {"stat_shape": list(self.stat_shape), "axis_map": axis_map, "reduce_axes": list(self.reduce_axes)}
        return out | {"group_size": self.group_size}


@dataclass(frozen=True)
class Notice:
    """Something the reader should know: a code for the lesson files' words, their numbers, PyTorch's message."""

    code: str
    values: dict[str, Any] = field(default_factory=dict)
    torch_error: str | None = None


@dataclass(slots=True)  # a trace makes one per step: no __dict__ each
class Step:
    """One line a teacher would write on the board: its id, its array and the numbers its words use. `variant`
    picks another wording of the same step ("running": eval mode's running statistics; "identity": gamma = 1)."""

    id: str
    values: np.ndarray | None
    kind: Kind = "tensor"
    phase: Phase = "forward"
    variant: str = ""
    scalars: dict[str, Any] = field(default_factory=dict)


@dataclass
class Trace:
    """Everything one layer call computed, in the order it was computed."""

    layer: str
    dtype: str
    shape: tuple[int, ...]
    axes: tuple[str, ...]  # the input's axis names, ("N", "C", "H", "W")
    grouping: Grouping | None  # None for element-wise Dropout (no statistics)
    steps: list[Step]
    output: np.ndarray
    stats: dict[str, np.ndarray] | None  # {"mean", "var"} (biased), {"ms"} for RMSNorm; stat_shape arrays
    params: dict[str, Any]  # the resolved scalar arguments, defaults filled in (arrays appear as steps)
    param_counts: dict[str, int]  # {"learnable", "buffers"}
    torch_class: str  # the PyTorch module this call is, "nn.BatchNorm2d"
    torch_code: str
    param_axes: tuple[int | None, ...] | None = None  # per input axis, the gamma axis it indexes (None: shared)
    notation: dict[str, str] = field(default_factory=dict)  # subscripts and axis lists for the formulas
    parameters: dict[str, np.ndarray | None] = field(default_factory=dict)  # gamma, beta, buffers before the call
    running: dict[str, Any] | None = None  # {"mean", "var", "num_batches_tracked"} after the call
    grads: dict[str, np.ndarray | None] | None = None  # {"input", "gamma", "beta"}
    notices: list[Notice] = field(default_factory=list)

    @property
    def reduce_axes(self) -> tuple[int, ...]:
        return () if self.grouping is None else self.grouping.reduce_axes

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)

    def _repr_html_(self) -> str:
        """A table of the steps for Jupyter: id, shape and a few values of each."""
        rows = []
        for s in self.steps:
            shown = shape = ""
            if (v := s.values) is not None:
                shown = np.array2string(v.ravel()[:6], precision=4, separator=", ") + (" …" if v.size > 6 else "")
                shape = "×".join(map(str, v.shape)) or "scalar"
            cells = (s.phase, f"<code>{html.escape(s.id)}</code>", shape, f"<code>{html.escape(shown)}</code>")
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        head = html.escape(f"{self.torch_class} on {list(self.shape)} {self.dtype}")
        titles = "".join(f"<th>{t}</th>" for t in ("phase", "step", "shape", "values"))
        return f"<table><caption>{head}</caption><thead><tr>{titles}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def subscripts(names: tuple[str, ...], stat: str, over: str, param: str, param_over: str) -> dict[str, str]:
    """The subscripts every formula of a trace shares; BatchNorm2d: ("N", "C", "H", "W"), "c", "n,h,w", "c", "n,h,w"."""

    def listed(axes: str) -> str:  # "n,h,w" -> "(N, H, W)"
        return "(" + ", ".join(n for n in names if n.lower() in axes.split(",")) + ")"

    low = [n.lower() for n in names]
    subs = {k: f"_{{{v}}}" if v else "" for k, v in (("e", "".join(low)), ("s", stat), ("p", param))}
    out = {"names": ", ".join(names), "dims": " \\times ".join(names), "idx": ",".join(low), **subs}
    return out | {"over": over, "param_over": param_over, "axes": listed(over), "param_axes_text": listed(param_over)}


def assemble(
    layer: str,
    res: Result,
    params: dict[str, Any],
    cls: str,
    code: str,
    notices: list[Notice] | None = None,
    parameters: dict[str, np.ndarray | None] | None = None,
    running: dict[str, Any] | None = None,
) -> Trace:
    """A normalization layer's Trace from its Result, its reported `params`, PyTorch class and program; a layer
    with running statistics gives its `parameters` (gamma, beta and the buffers) and `running`, a layer with
    notices of its own gives them (they replace the shared ones)."""
    plan, c = res.plan, res.call
    if parameters is None:
        parameters = {"gamma": c.gamma, "beta": c.beta} if plan.center else {"gamma": c.gamma}
    learnable = (0 if c.gamma is None else c.gamma.size) + (0 if c.beta is None else c.beta.size)
    rm, rv = parameters.get("running_mean"), parameters.get("running_var")
    buffers = 0 if rm is None or rv is None else rm.size + rv.size + 1  # and num_batches_tracked
    if notices is None:
        notices = [Notice("one_value_per_group")] if plan.grouping.group_size == 1 else []  # x_hat = 0 there
    if res.spread <= 1.01 / COARSE_RATIO:  # else no group can cancel float32's digits: the common case
        notices += _coarse_float32(res)
    counts, out = {"learnable": learnable, "buffers": buffers}, res.output
    return Trace(
        layer,
        out.dtype.type.__name__,
        out.shape,
        plan.axes,
        plan.grouping,
        res.forward + res.backward,
        out,
        res.stats,
        params,
        counts,
        cls,
        code,
        plan.param_axes,
        {**plan.notation},
        parameters,
        running,
        res.grads,
        notices,
    )  # fmt: skip  (Trace's fields in order: positional is the cheapest call)


def _coarse_float32(res: Result) -> list[Notice]:
    """float32 batch statistics of a group whose mean is far from zero next to its spread: x - mean cancels
    about log10(|mean| / std) of float32's 7 digits, in any float32 implementation (PyTorch's CPU kernels
    compute x * (gamma / std) + (beta - mean * gamma / std), rounding differently from these steps)."""
    if not res.plan.center or res.call.fixed is not None or res.output.dtype != np.float32:
        return []
    mean, var = (res.stats[k].astype(np.float64) for k in ("mean", "var"))
    ratio = np.where(var > 0, np.abs(mean) / (std := np.sqrt(var + res.call.eps)), 0)  # constant: x - mean = 0
    if not (r := float(ratio.max())) >= COARSE_RATIO:
        return []
    k = int(np.argmax(ratio))
    values = {"ratio": r, "group": [int(i) for i in np.unravel_index(k, mean.shape)], "lost": round(math.log10(r))}
    values |= {"mean": float(mean.flat[k]), "std": float(std.flat[k]), "error": r / 2**24}
    return [Notice("coarse_float32", values)]
