"""The engine of BatchNorm, LayerNorm, GroupNorm, InstanceNorm and RMSNorm (no centering): normalize x over a
grouping, forward and backward, every reduction (P, K, Q) -> (K,) in `Grouping.stat_view`.

    >>> g = Grouping((4, 2), (2,), (None, (0, 1)))  # (N, C) = (4, 2), one statistic per channel
    >>> normalize(np.arange(8.0).reshape(4, 2), Plan(g, (4, 2, 1), (2,), ("N", "C"), (None, 0)), Call(1e-5)).stats
    {'mean': array([3., 4.]), 'var': array([5., 5.])}
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from normlens import args as A
from normlens import ufuncstate
from normlens.args import ArgumentError, finite_result
from normlens.rows import col, group_mean, group_sum, row_bufsize
from normlens.trace import COARSE_RATIO, Grouping, Step

Array = npt.NDArray[Any]
Grads = dict[str, Array | None]  # {"input", "gamma", "beta"}
SCAN_MAX = 65_536  # inputs up to this size are scanned for inf and NaN first, whatever the layer does next
EPS = {"f": float(np.finfo(np.float32).eps), "d": float(np.finfo(np.float64).eps)}  # by dtype.char
MAX = {"f": float(np.finfo(np.float32).max), "d": float(np.finfo(np.float64).max)}


@dataclass(frozen=True)
class Plan:
    """A layer's layout of x: grouping, gamma's view and shape, axis names and gamma axes, subscripts, numbers."""

    grouping: Grouping
    param_view: tuple[int, int, int]
    param_shape: tuple[int, ...]  # (C,) or normalized_shape
    axes: tuple[str, ...]
    param_axes: tuple[int | None, ...]
    notation: dict[str, str] = field(default_factory=dict)
    scalars: dict[str, Any] = field(default_factory=dict)
    center: bool = True  # False: RMSNorm, x / sqrt(mean(x^2) + eps), gamma's step is the output
    variant: str = ""  # of the grouping step: another wording of the same layer's grouping ("unbatched")

    @cached_property  # plans are cached per shape: counted once
    def km(self) -> dict[str, int]:
        """K statistics of m values each, the numbers of the statistics' steps (copied into each step)."""
        return {"K": math.prod(self.grouping.stat_shape), "m": self.grouping.group_size}

    @cached_property
    def kms(self) -> dict[str, Any]:
        """The input's and grouping's numbers: `km` and the layout's `scalars` (copied into each step)."""
        return self.km | self.scalars

    @cached_property
    def bufsize(self) -> int:
        """NumPy's ufunc buffer size for this layout's passes, 0 for its default (8192 values). A pass such as
        x - mean over a (P, K, Q) view broadcasts one value along each row of Q; with rows shorter than the
        buffer NumPy copies that value into a buffer to make longer inner loops, and the pass costs twice as
        long: with Q from 256 up, a buffer no longer than a row (rounded up to 16 values) keeps it from doing
        so (1.5-1.8 times faster on (1, 256, 4096) and (32, 32, 1024) float32, bench/README.md). The buffer
        size changes how NumPy splits a pass, not its numbers."""
        return row_bufsize(self.grouping.stat_view[2])


class Call(NamedTuple):
    """What one call normalizes with: gamma, beta (None: absent), the running (mean, var) in evaluation."""

    eps: float
    gamma: Array | None = None
    beta: Array | None = None
    fixed: tuple[Array, Array] | None = None
    tracked: bool = False  # the variance also feeds a running update
    fresh: tuple[bool, bool] = (False, False)  # gamma, beta not given: PyTorch's initial 1 and 0, nothing to compare


@dataclass
class Result:
    plan: Plan
    call: Call
    forward: list[Step]
    backward: list[Step]
    output: Array
    stats: dict[str, Array]  # {"mean", "var"} or {"ms"}, of the grouping's stat_shape
    grads: Grads | None = None
    spread: float = math.inf  # the smallest std / |mean| of batch statistics if near a limit (`_statistics`)
    eps_near: bool = False  # RMSNorm: some mean square may be below eps (`_scale`)


def freeze(*arrays: Array | None) -> None:
    """Make the arrays (and those they view) read-only: a trace is a record."""
    for a in arrays:
        while isinstance(a, np.ndarray):
            a.setflags(write=False)
            a = a.base


def _settle_constant_groups(x3: Array, mean: Array, var: Array, m: int) -> bool:
    """A float sum of m equal values can round, leaving x - mean a tiny nonzero: make a constant group's mean
    exactly its value and its variance 0 (in place). True when a group changed. A cheap look first at which
    groups could be constant: those whose variance is within the rounding of a sum of m values."""
    mean64, var64 = mean.astype(np.float64), var.astype(np.float64)
    suspect = var64 <= np.square(m * EPS[x3.dtype.char] * np.abs(mean64))
    if not suspect.any():
        return False
    lo, hi = x3.min(axis=(0, 2)), x3.max(axis=(0, 2))  # (P, K, Q) -> (K,)
    const = suspect & (lo == hi) & ((mean != lo) | (var != 0))  # constant groups whose statistics rounded
    mean[const], var[const] = lo[const], 0
    return bool(const.any())


def input_array(x: Any) -> Array:
    """args.input_array, but above SCAN_MAX values its scan for inf and NaN (a pass over x) runs only when a
    group's std is not finite, as every one an inf or NaN enters is; then it names the first bad value as usual."""
    a = np.asarray(x)
    return a if SCAN_MAX < a.size <= A.MAX_ELEMENTS and a.dtype.char in "fd" else A.input_array(a)  # float32, 64


def _statistics(x3: Array, m: int, fixed: tuple[Array, Array] | None) -> tuple[Array, Array, Array, float]:
    """(mean, var, centered3, spread): two passes, never E[x^2] - E[x]^2 (it cancels in float32). An inf or
    NaN in x reaches its group's variance, where the caller looks for it. `spread`, the smallest std / |mean|
    (variance without eps; inf when no group comes near either limit), says at once whether a group can be
    constant or cancel digits: the common case costs two operations on K values, not two checks of a dozen
    (on a large trace each operation on K values costs more than its arithmetic, its code and data read again
    after passes that leave the CPU caches cold)."""
    if fixed is not None:
        mean, var = (np.array(a, dtype=x3.dtype).reshape(-1) for a in fixed)
        return mean, var, x3 - col(mean), math.inf
    mean = group_mean(x3, m)
    centered3 = x3 - mean.reshape(1, -1, 1)  # col(mean), without a Python frame between two passes
    var = group_mean(centered3, m, centered3)
    # sum(mean^2 / var) >= 1 / spread^2: below 1 / limit^2, no group is within the limit of either look (its
    # notice, a constant group), the common case, at the cost of a division and a dot as _scale's check; else
    # the smallest of var / mean^2 itself, a mean of 0 giving inf or 0 / 0 that fmin passes over (args.quiet;
    # not mean**2, which underflows to 0). In x's dtype: an overflow is a large spread indeed, an underflow to
    # 0 or a NaN only costs the exact look.
    limit = max(1.01 / COARSE_RATIO, m * EPS[x3.dtype.char] * 1.01)
    spread = math.inf
    if not float((mean / var).dot(mean)) < limit**-2:  # ndarray.dot: np.dot's dispatcher is a Python frame
        spread = math.sqrt(np.fmin.reduce(var / mean / mean))
    if spread <= m * EPS[x3.dtype.char] * 1.01 and _settle_constant_groups(x3, mean, var, m):
        centered3 = x3 - col(mean)
    return mean, var, centered3, spread


def _scale(x: Array, var: Array, eps: float, center: bool) -> tuple[Array, Array, bool]:
    """(std, r = 1 / std, near), std checked finite and positive in one operation: std . r sums ones unless a
    std is 0 (0 * inf), inf (inf * 0) or NaN, each NaN. Then which: an inf or NaN in x (scanned now if it was
    not), a variance beyond x's dtype, or eps too small to keep a zero variance's std above 0. `near`, RMSNorm
    only: some mean square may be below eps, as r . r = sum 1 / (ms + eps) is above 1 / (2 eps) if one is (a
    dot beside the first: cheaper than a look at the K mean squares after the passes)."""
    std = np.sqrt(var + eps)  # (K,): one square root per group, eps rounded to x's dtype (NEP 50)
    r = 1 / std  # in x's dtype: 1 is a Python scalar; a std of 0 gives inf quietly (args.quiet)
    if math.isfinite(float(std.dot(r))):
        return std, r, not center and float(r.dot(r)) * eps >= 0.49
    A.input_array(x)
    finite_result("variance" if center else "x^2", var)
    raise ArgumentError("eps", "zero_variance" if center else "zero_mean_square", dtype=x.dtype.type.__name__)


def normalize(x: Array, plan: Plan, call: Call, dy: Array | None = None) -> Result:
    """Normalize x over `plan`'s grouping with `call`'s statistics, then gamma and beta; backward given dy.
    Call it under `args.quiet`, as the layer functions run: it divides by statistics that can be 0."""
    token = ufuncstate.set_bufsize(plan.bufsize)  # this thread's (a context variable) alone
    try:
        return _normalize(x, plan, call, dy)
    finally:
        ufuncstate.reset(token)


def _normalize(x: Array, plan: Plan, call: Call, dy: Array | None) -> Result:
    shape, gamma, beta, g = x.shape, call.gamma, call.beta, plan.grouping
    x3 = np.ascontiguousarray(x).reshape(g.stat_view)
    if plan.center:
        if call.fixed is not None:
            A.input_array(x)  # no sum over x here: scan it
        mean, var, base3, spread = _statistics(x3, g.group_size, call.fixed)
        a = {"mean": mean, "centered": base3.reshape(shape)}
    else:  # RMSNorm: the mean of the squares (an overflow to inf shows in it), x itself is normalized
        base3, squares, spread = x3, np.square(x3), math.inf
        var, a = group_mean(squares, g.group_size), {"squares": squares.reshape(shape)}
    std, r, near = _scale(x, var, call.eps, plan.center)
    x_hat = (base3 * r.reshape(1, -1, 1)).reshape(shape)
    ids = g.group_ids()  # the last pass: the bookkeeping that follows runs in one stretch, not around a pass
    # gamma = 1 and beta = 0 (a fresh layer) change nothing: share the array instead of copying it
    scaled = x_hat if gamma is None or call.fresh[0] or (gamma == 1).all() else _affine(x_hat, plan, gamma, np.multiply)
    out = scaled if beta is None or call.fresh[1] or (beta == 0).all() else _affine(scaled, plan, beta, np.add)
    if call.fixed is not None or out is not x_hat:  # else |x_hat| <= sqrt(m): nothing can overflow
        _check_overflow(out, scaled, x_hat, call, g.group_size)
    a |= {"variance": var, "std": std, "grouping": ids, "normalized": x_hat}
    if len(g.stat_shape) > 1:  # the (K,) statistics as (N, G), (B, S), ...
        a |= {k: a[k].reshape(g.stat_shape) for k in ("mean", "variance", "std") if k in a}
    freeze(*a.values(), *(v for v in (scaled, out) if v is not x_hat))  # each array once: most often both are x_hat
    a |= {"scaled": scaled, "output": out}
    a["input"] = x3.reshape(shape)  # the input step's own read-only view: the caller's array stays writable
    a["input"].setflags(write=False)
    stats = {"mean": a["mean"], "var": a["variance"]} if plan.center else {"ms": a["variance"]}
    res = Result(plan, call, _forward_steps(plan, call, a), [], out, stats, spread=spread, eps_near=near)
    if dy is not None:
        res.backward, res.grads = backward(dy, plan, call, (x_hat, base3, r), scaled is x_hat)
    return res


def _affine(a: Array, plan: Plan, v: Array, op: np.ufunc) -> Array:
    return np.asarray(op(a.reshape(plan.param_view), col(v.reshape(-1)))).reshape(a.shape)


def _forward_steps(plan: Plan, call: Call, a: dict[str, Array]) -> list[Step]:
    """input, grouping, the statistics and x_hat, then gamma and beta (`a` holds the arrays by step id)."""
    ids, km, kms, eps = a["grouping"], plan.km, plan.kms, {"eps": call.eps}  # Step's fields in order: cheapest
    steps = [
        Step("input", a["input"], "tensor", "forward", "", {**kms}),
        Step("grouping", ids, "tensor", "forward", plan.variant, {**kms}),
    ]
    if not plan.center:
        steps += [
            Step("squares", a["squares"], "tensor", "forward", "", {}),
            Step("mean_square", a["variance"], "stat", "forward", "", {**km}),
            Step("rms", a["std"], "stat", "forward", "", eps),
            Step("normalized", a["normalized"], "tensor", "forward", "", {}),
        ]
    else:
        run = "running" if call.fixed is not None else ""
        tracked = run or ("tracked" if call.tracked else "")
        steps += [
            Step("mean", a["mean"], "stat", "forward", run, {**km}),
            Step("centered", a["centered"], "tensor", "forward", run, {}),
            Step("variance", a["variance"], "stat", "forward", tracked, {"m": km["m"]}),
            Step("std", a["std"], "stat", "forward", "", eps),
            Step("normalized", a["normalized"], "tensor", "forward", run, {}),
        ]
    if call.gamma is not None:
        same, shape = "identity" if a["scaled"] is a["normalized"] else "", {"param_shape": list(plan.param_shape)}
        steps.append(Step("scaled" if plan.center else "output", a["scaled"], "tensor", "forward", same, shape))
    if call.beta is not None:
        same = "identity" if a["output"] is a["scaled"] else ""
        steps.append(Step("output", a["output"], "tensor", "forward", same, {}))
    return steps


def backward(
    dy: Array, plan: Plan, call: Call, forward: tuple[Array, Array, Array], unit_gamma: bool
) -> tuple[list[Step], Grads]:
    """The chain rule back through output, x_hat, variance and mean, each step beside its forward twin: with
    batch statistics dx = r * (g - mean(g) - x_hat * mean(g * x_hat)), g = dy * gamma, as three paths.
    `forward`: (x_hat, centered, r) of `normalize`; `unit_gamma`: gamma multiplied by nothing but ones."""
    (x_hat, centered, r), dtype, m, gamma = forward, forward[0].dtype, plan.grouping.group_size, call.gamma
    pv, sv = plan.param_view, plan.grouping.stat_view
    dy = np.ascontiguousarray(dy, dtype=dtype)
    steps, g, dbeta, dgamma = [Step("grad_output", dy, phase="backward")], dy, None, None
    if call.beta is not None:
        dbeta = group_sum(dy.reshape(pv)).astype(dtype).reshape(plan.param_shape)  # (P, K, Q) -> (K,)
        steps.append(Step("dbeta", dbeta, "param", "backward"))
    if gamma is not None:
        dgamma = group_sum(dy.reshape(pv), x_hat.reshape(pv)).astype(dtype).reshape(plan.param_shape)
        g = dy if unit_gamma else _affine(dy, plan, gamma, np.multiply)
        steps += [Step("dgamma", dgamma, "param", "backward"), Step("dnormalized", g, phase="backward")]
    g3, c3 = g.reshape(sv), centered.reshape(sv)
    dx3 = g3 * col(r)
    if call.fixed is None:  # batch statistics: the paths through the variance and the mean
        r64, stat_shape = r.astype(np.float64), plan.grouping.stat_shape
        dvar = (-0.5 * r64**3 * group_sum(g3, c3)).astype(dtype)  # (P, K, Q) -> (K,)
        dx3 += c3 * col((2 / m * dvar.astype(np.float64)).astype(dtype))
        if plan.center:
            dmean = (-r64 * group_sum(g3)).astype(dtype)  # (P, K, Q) -> (K,)
            dx3 += col((dmean.astype(np.float64) / m).astype(dtype))
            nogamma = "" if gamma is not None else "nogamma"
            steps.append(Step("dvariance", dvar.reshape(stat_shape), "stat", "backward", nogamma, {"m": m}))
            steps.append(Step("dmean", dmean.reshape(stat_shape), "stat", "backward"))
    dx = finite_result("input gradient", dx3.reshape(x_hat.shape))
    for name, a in [(n, a) for n, a in (("gamma gradient", dgamma), ("beta gradient", dbeta)) if a is not None]:
        finite_result(name, a)
    running = "" if call.fixed is None else "running"
    steps.append(Step("dinput", dx, phase="backward", variant=running, scalars={"m": m}))
    freeze(*(s.values for s in steps))
    return steps, {"input": dx, "gamma": dgamma, "beta": dbeta}


def _check_overflow(out: Array, scaled: Array, x_hat: Array, call: Call, m: int) -> None:
    """float32 overflows where float64 would not: batch statistics bound |x_hat| <= sqrt(m), else look at all."""
    if call.fixed is not None:
        finite_result("x_hat", x_hat)
    g = 1.0 if call.gamma is None or scaled is x_hat else float(np.abs(call.gamma).max())
    b = 0.0 if call.beta is None or out is scaled else float(np.abs(call.beta).max())
    if call.fixed is not None or g * (math.sqrt(m) + 1) + b >= MAX[out.dtype.char] / 4:
        finite_result("output", out)
