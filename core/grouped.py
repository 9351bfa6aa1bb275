"""The engine of BatchNorm, LayerNorm, GroupNorm, InstanceNorm and RMSNorm (no centering): normalize x over a
grouping, forward and backward, every reduction (P, K, Q) -> (K,) in `Grouping.stat_view`.

    >>> g = Grouping((4, 2), (2,), (None, (0, 1)))  # (N, C) = (4, 2), one statistic per channel
    >>> normalize(np.arange(8.0).reshape(4, 2), Plan(g, (4, 2, 1), (2,), ("N", "C"), (None, 0)), Call(1e-5)).stats
    {'mean': array([3., 4.]), 'var': array([5., 5.])}
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from normlens.args import ArgumentError, finite_result
from normlens.trace import Grouping, Notice, Step, Trace

Array = npt.NDArray[Any]
Grads = dict[str, Array | None]  # {"input", "gamma", "beta"}


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


@dataclass(frozen=True)
class Call:
    """What one call normalizes with: gamma, beta (None: absent), the running (mean, var) in evaluation."""

    eps: float
    gamma: Array | None = None
    beta: Array | None = None
    fixed: tuple[Array, Array] | None = None
    tracked: bool = False  # the variance also feeds a running update


@dataclass
class Result:
    plan: Plan
    call: Call
    forward: list[Step]
    backward: list[Step]
    output: Array
    stats: dict[str, Array]  # {"mean", "var"} or {"ms"}, of the grouping's stat_shape
    grads: Grads | None = None


def group_sum(a: Array, b: Array | None = None) -> npt.NDArray[np.float64]:
    """Sum over P and Q of a (or a * b) in float64, (P, K, Q) -> (K,): a BLAS dot per contiguous row."""
    if a.shape[2] > 1:
        inner = np.vecdot(a, np.ones(a.shape[2], a.dtype) if b is None else b)  # (P, K, Q) -> (P, K)
    else:
        inner = a[:, :, 0] if b is None else a[:, :, 0] * b[:, :, 0]  # (P, K, 1) -> (P, K)
    return np.asarray(inner.sum(axis=0, dtype=np.float64))


def col(v: Array) -> Array:
    """A (K,) vector as (1, K, 1), to broadcast against a (P, K, Q) view."""
    return v.reshape(1, -1, 1)


def freeze(*arrays: Array | None) -> None:
    """Make the arrays (and those they view) read-only: a trace is a record."""
    for a in arrays:
        while isinstance(a, np.ndarray):
            a.flags.writeable = False
            a = a.base


def _settle_constant_groups(x3: Array, mean: Array, var: Array, m: int) -> bool:
    """A float sum of m equal values can round, leaving x - mean a tiny nonzero: make a constant group's mean
    exactly its value and its variance 0 (in place). True when a group changed."""
    suspect = var.astype(np.float64) <= (m * np.finfo(x3.dtype).eps * np.abs(mean.astype(np.float64))) ** 2
    if not suspect.any():
        return False
    lo, hi = x3.min(axis=(0, 2)), x3.max(axis=(0, 2))  # (P, K, Q) -> (K,)
    const = suspect & (lo == hi)
    if not const.any() or (np.all(mean[const] == lo[const]) and np.all(var[const] == 0)):
        return False
    mean[const], var[const] = lo[const], 0
    return True


def _statistics(x3: Array, plan: Plan, fixed: tuple[Array, Array] | None) -> tuple[Array, Array, Array]:
    """(mean, var, centered3): two passes, never E[x^2] - E[x]^2 (it cancels in float32). Without centering
    the 'variance' is the mean of squares and 'centered' is x itself."""
    m, dtype = plan.grouping.group_size, x3.dtype
    if not plan.center:
        ms = (group_sum(x3, x3) / m).astype(dtype)
        return np.zeros_like(ms), ms, x3
    if fixed is not None:
        mean, var = (np.array(a, dtype=dtype).reshape(-1) for a in fixed)
        return mean, var, x3 - col(mean)
    mean = (group_sum(x3) / m).astype(dtype)
    centered3 = x3 - col(mean)
    var = (group_sum(centered3, centered3) / m).astype(dtype)
    if _settle_constant_groups(x3, mean, var, m):
        centered3 = x3 - col(mean)
    return mean, var, centered3


def normalize(x: Array, plan: Plan, call: Call, dy: Array | None = None) -> Result:
    """Normalize x over `plan`'s grouping with `call`'s statistics, then gamma and beta; backward given dy."""
    dtype, shape, gamma, beta = x.dtype, x.shape, call.gamma, call.beta
    x = np.ascontiguousarray(x)
    mean, var, centered3 = _statistics(x.reshape(plan.grouping.stat_view), plan, call.fixed)
    finite_result("variance" if plan.center else "x^2", var)  # RMSNorm: mean(x^2) overflowed
    std = np.sqrt(var + dtype.type(call.eps))  # (K,): one square root per group
    if not np.all(std > 0):
        raise ArgumentError("eps", "zero_variance" if plan.center else "zero_mean_square", dtype=dtype.name)
    r = (1 / std).astype(dtype)
    x_hat = (centered3 * col(r)).reshape(shape)
    # gamma = 1 and beta = 0 (a fresh layer) change nothing: share the array instead of copying it
    scaled = x_hat if gamma is None or np.all(gamma == 1) else _affine(x_hat, plan, gamma, np.multiply)
    out = scaled if beta is None or np.all(beta == 0) else _affine(scaled, plan, beta, np.add)
    _check_overflow(out, x_hat, call, plan.grouping.group_size)
    mean, var, std = (a.reshape(plan.grouping.stat_shape) for a in (mean, var, std))
    a = {"mean": mean, "variance": var, "std": std, "normalized": x_hat, "scaled": scaled, "output": out}
    if plan.center:  # without centering, centered3 is x itself
        a["centered"] = centered3.reshape(shape)
    freeze(*a.values())
    a["input"] = x.view()  # the input step's own read-only view: the caller's array stays writable
    a["input"].flags.writeable = False
    stats = {"mean": mean, "var": var} if plan.center else {"ms": var}
    res = Result(plan, call, _forward_steps(plan, call, a), [], out, stats)
    if dy is not None:
        res.backward, res.grads = backward(dy, plan, call, x_hat, centered3, r)
    return res


def _affine(a: Array, plan: Plan, v: Array, op: np.ufunc) -> Array:
    return np.asarray(op(a.reshape(plan.param_view), col(v.reshape(-1)))).reshape(a.shape)


def _forward_steps(plan: Plan, call: Call, a: dict[str, Array]) -> list[Step]:
    """input, grouping, the statistics and x_hat, then gamma and beta (`a` holds the arrays by step id)."""
    ids, m = plan.grouping.group_ids(), plan.grouping.group_size
    freeze(ids)
    km = {"K": math.prod(plan.grouping.stat_shape), "m": m}
    kms = km | plan.scalars
    steps = [Step("input", a["input"], scalars=kms), Step("grouping", ids, variant=plan.variant, scalars=dict(kms))]
    if not plan.center:
        squares = finite_result("x^2", np.square(a["input"]))
        freeze(squares)
        steps += [Step("squares", squares), Step("mean_square", a["variance"], "stat", scalars=dict(km))]
        steps += [Step("rms", a["std"], "stat", scalars={"eps": call.eps}), Step("normalized", a["normalized"])]
    else:
        run = "running" if call.fixed is not None else ""
        tracked = run or ("tracked" if call.tracked else "")
        steps += [
            Step("mean", a["mean"], "stat", variant=run, scalars=dict(km)),
            Step("centered", a["centered"], variant=run),
            Step("variance", a["variance"], "stat", variant=tracked, scalars={"m": m}),
            Step("std", a["std"], "stat", scalars={"eps": call.eps}),
            Step("normalized", a["normalized"], variant=run),
        ]
    if call.gamma is not None:
        same, shape = "identity" if a["scaled"] is a["normalized"] else "", {"param_shape": list(plan.param_shape)}
        steps.append(Step("scaled" if plan.center else "output", a["scaled"], variant=same, scalars=shape))
    if call.beta is not None:
        steps.append(Step("output", a["output"], variant="identity" if a["output"] is a["scaled"] else ""))
    return steps


def backward(dy: Array, plan: Plan, call: Call, x_hat: Array, centered: Array, r: Array) -> tuple[list[Step], Grads]:
    """The chain rule back through output, x_hat, variance and mean, each step beside its forward twin: with
    batch statistics dx = r * (g - mean(g) - x_hat * mean(g * x_hat)), g = dy * gamma, as three paths."""
    dtype, m, gamma = x_hat.dtype, plan.grouping.group_size, call.gamma
    pv, sv = plan.param_view, plan.grouping.stat_view
    dy = np.ascontiguousarray(dy, dtype=dtype)
    steps, g, dbeta, dgamma = [Step("grad_output", dy, phase="backward")], dy, None, None
    if call.beta is not None:
        dbeta = group_sum(dy.reshape(pv)).astype(dtype).reshape(plan.param_shape)  # (P, K, Q) -> (K,)
        steps.append(Step("dbeta", dbeta, "param", "backward"))
    if gamma is not None:
        dgamma = group_sum(dy.reshape(pv), x_hat.reshape(pv)).astype(dtype).reshape(plan.param_shape)
        g = dy if np.all(gamma == 1) else _affine(dy, plan, gamma, np.multiply)
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
    for name, a in (("gamma gradient", dgamma), ("beta gradient", dbeta)):
        if a is not None:
            finite_result(name, a)
    running = "" if call.fixed is None else "running"
    steps.append(Step("dinput", dx, phase="backward", variant=running, scalars={"m": m}))
    freeze(*(s.values for s in steps))
    return steps, {"input": dx, "gamma": dgamma, "beta": dbeta}


def _check_overflow(out: Array, x_hat: Array, call: Call, m: int) -> None:
    """float32 overflows where float64 would not: batch statistics bound |x_hat| <= sqrt(m), else look at all."""
    if call.fixed is not None:
        finite_result("x_hat", x_hat)
    g = 1.0 if call.gamma is None else float(np.abs(call.gamma).max())
    b = 0.0 if call.beta is None else float(np.abs(call.beta).max())
    if call.fixed is not None or g * (np.sqrt(m) + 1) + b >= np.finfo(out.dtype).max / 4:
        finite_result("output", out)


def trace(layer: str, res: Result, **fields: Any) -> Trace:
    """A normalization layer's Trace: what every such layer fills the same way, then its own `fields` (params,
    torch_class, torch_code; parameters, running and notices where it has its own)."""
    plan, c = res.plan, res.call
    p = fields.setdefault("parameters", {"gamma": c.gamma, "beta": c.beta} if plan.center else {"gamma": c.gamma})
    learnable = sum(p[k].size for k in ("gamma", "beta") if p.get(k) is not None)
    rm, rv = p.get("running_mean"), p.get("running_var")
    buffers = 0 if rm is None or rv is None else rm.size + rv.size + 1  # and num_batches_tracked
    one = [Notice("one_value_per_group")] if plan.grouping.group_size == 1 else []  # x_hat = 0 there
    common: dict[str, Any] = {"layer": layer, "dtype": res.output.dtype.name, "shape": res.output.shape}
    common |= {"axes": plan.axes, "grouping": plan.grouping, "steps": res.forward + res.backward, "stats": res.stats}
    common |= {"param_counts": {"learnable": learnable, "buffers": buffers}, "param_axes": plan.param_axes}
    return Trace(**common, output=res.output, notation=plan.notation, grads=res.grads, **{"notices": one, **fields})


def notation(names: tuple[str, ...], stat: str, over: str, param: str, param_over: str) -> dict[str, str]:
    """The subscripts every formula of a trace shares; BatchNorm2d: ("N", "C", "H", "W"), "c", "n,h,w", "c", "n,h,w"."""

    def sub(s: str) -> str:
        return f"_{{{s}}}" if s else ""

    def listed(axes: str) -> str:  # "n,h,w" -> "(N, H, W)"
        return "(" + ", ".join(n for n in names if n.lower() in axes.split(",")) + ")"

    low = [n.lower() for n in names]
    out = {"names": ", ".join(names), "dims": " \\times ".join(names), "idx": ",".join(low), "e": sub("".join(low))}
    out |= {"s": sub(stat), "p": sub(param), "over": over, "param_over": param_over, "axes": listed(over)}
    return out | {"param_axes_text": listed(param_over)}
