"""The one mechanism behind BatchNorm, LayerNorm, GroupNorm and InstanceNorm: normalize x over a grouping.

A layer only says how it groups x (a `Plan`); `run` computes the statistics, x_hat, the affine map and, given
grad_output, the backward pass, and returns them as the steps a teacher would write on the board.

For BatchNorm1d on x of shape (N, C) = (4, 2) the layer passes

    plan = Plan(Grouping((4, 2), (2,), (None, (0, 1))), stat_view=(4, 2, 1), param_view=(4, 2, 1), ...)

and `run(x, plan, eps=1e-5).stats["mean"]` holds the two channel means.

Every array lives in a canonical 3-D view (P, K, Q) of the C-contiguous input: K indexes the statistics, P and
Q are the reduced axes before and after it, so every reduction is `(P, K, Q) -> (K,)`. BatchNorm2d on (N, C,
H, W) is (N, C, H*W); LayerNorm over D on (B, S, D) is (1, B*S, D); GroupNorm is (1, N*G, C/G*H*W);
InstanceNorm is (1, N*C, H*W); channels-last BatchNorm is (N*H*W, C, 1). gamma and beta use a second view of
the same kind, indexed by the parameters (they differ from the statistics for LN, GN and IN). Reshaping a
contiguous array is free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from normlens import summary
from normlens.checks import ArgumentError, finite_result, vector
from normlens.snippet import tensor_code
from normlens.trace import Grouping, Step, Text

View = tuple[int, int, int]


@dataclass(frozen=True)
class Notation:
    """How formulas and sentences name things for one layer and rank (BatchNorm2d shown)."""

    names: tuple[str, ...]  # the input's axes: ("N", "C", "H", "W")
    elem: str  # subscript of one input element: "nchw"
    stat: str  # subscript of one statistic: "c" ("" when there is a single statistic)
    over: str  # what one statistic sums over: "n,h,w"
    param: str  # subscript of gamma and beta: "c"
    param_over: str  # what dgamma and dbeta sum over: "n,h,w"
    axes: Text  # the reduced axes in words: "(N, H, W)"
    per: Text  # one statistic per what: "channel" / "通道"
    param_axes: Text  # the axes dgamma and dbeta sum over, in words: "(N, H, W)"


@dataclass(frozen=True)
class Plan:
    grouping: Grouping
    stat_view: View  # (P, K, Q): K = number of statistics
    param_view: View  # (P, K, Q): K = number of gamma (and beta) values
    param_shape: tuple[int, ...]  # gamma's own shape: (C,) or normalized_shape
    notation: Notation
    grouping_text: Text  # explanation of the grouping step: which axes, m = ...
    grouping_formula: str  # LaTeX: the statistic an element belongs to, e.g. "g(n,c,h,w) = c"


@dataclass
class Result:
    forward: list[Step]  # input ... output
    backward: list[Step]  # grad_output ... dinput, empty without grad_output
    output: np.ndarray
    stats: dict[str, np.ndarray]  # {"mean", "var"} of the grouping's stat_shape
    grads: dict[str, np.ndarray | None] | None


def _sub(s: str) -> str:
    return f"_{{{s}}}" if s else ""


def _sum(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """sum over P and Q of a (or of a * b), in float64: (P, K, Q) -> (K,).

    Along Q (contiguous) one BLAS dot per row in the array's dtype; the P partial sums are added in
    float64."""
    p, k, q = a.shape
    if q > 1:
        inner = np.vecdot(a, _ones(q, a.dtype) if b is None else b)  # (P, K, Q) -> (P, K)
    else:
        inner = a[:, :, 0] if b is None else a[:, :, 0] * b[:, :, 0]  # (P, K, 1) -> (P, K)
    return inner.sum(axis=0, dtype=np.float64)  # (P, K) -> (K,)


_ONES: dict[tuple[int, np.dtype], np.ndarray] = {}


def _ones(q: int, dtype: np.dtype) -> np.ndarray:
    key = (q, np.dtype(dtype))
    if key not in _ONES:
        if len(_ONES) > 64:
            _ONES.clear()
        _ONES[key] = np.ones(q, dtype=dtype)
    return _ONES[key]


def _col(v: np.ndarray) -> np.ndarray:
    """A (K,) vector as (1, K, 1), to broadcast against a (P, K, Q) view."""
    return v.reshape(1, -1, 1)


def _freeze(*arrays: np.ndarray | None) -> None:
    """Make the arrays (and the arrays they are views of) read-only: a trace is a record, and frozen arrays
    have their summaries cached (core.summary), so an array shared by two steps is summarized once."""
    for a in arrays:
        while isinstance(a, np.ndarray):
            a.flags.writeable = False
            a = a.base


def _settle_constant_groups(x3: np.ndarray, mean: np.ndarray, var: np.ndarray, m: int) -> np.ndarray | None:
    """Make the mean of a constant group exactly its value, so that x - mean is exactly 0 there.

    A float sum of m equal values can round, leaving x - mean a tiny nonzero and x_hat ~1e-6 instead of 0.
    Only groups whose variance is at rounding level are suspects; for those, min == max decides. Fixes mean
    and var in place and returns the mask of constant groups, or None when nothing changes."""
    eps = np.finfo(x3.dtype).eps
    suspect = var.astype(np.float64) <= (m * eps * np.abs(mean.astype(np.float64))) ** 2
    if not suspect.any():
        return None
    lo = x3.min(axis=(0, 2))  # (P, K, Q) -> (K,)
    hi = x3.max(axis=(0, 2))  # (P, K, Q) -> (K,)
    const = suspect & (lo == hi)
    if not const.any() or (np.all(mean[const] == lo[const]) and np.all(var[const] == 0)):
        return None
    mean[const], var[const] = lo[const], 0
    return const


def run(
    x: np.ndarray,
    plan: Plan,
    *,
    eps: float,
    gamma: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    fixed: tuple[np.ndarray, np.ndarray] | None = None,
    grad_output: np.ndarray | None = None,
    unbiased_update: bool = False,
) -> Result:
    """Normalize x over `plan`'s grouping: batch statistics, or the running ones given as `fixed` = (mean,
    var).

    gamma/beta have `plan.param_shape` (None: absent). `unbiased_update` only changes the variance's
    explanation (say that m - 1 belongs to the running update)."""
    dtype = x.dtype
    g_ = plan.grouping
    nt = plan.notation
    m = g_.group_size
    x = np.ascontiguousarray(x)
    x3 = x.reshape(plan.stat_view)
    s, e, p = _sub(nt.stat), _sub(nt.elem), _sub(nt.param)

    # statistics: two passes (mean, then squares of x - mean); never E[x^2] - E[x]^2, which cancels in float32
    sums = None
    if fixed is None:
        s1 = _sum(x3)  # (P, K, Q) -> (K,), float64
        mean = (s1 / m).astype(dtype)
        centered3 = x3 - _col(mean)
        s2 = _sum(centered3, centered3)  # (P, K, Q) -> (K,), float64 sum of (x - mean)^2
        var = (s2 / m).astype(dtype)
        const = _settle_constant_groups(x3, mean, var, m)
        if const is not None:
            s2[const] = 0
            centered3 = x3 - _col(mean)
        sums = (s1, s2)
    else:
        mean, var = (np.array(a, dtype=dtype).reshape(-1) for a in fixed)
        centered3 = x3 - _col(mean)
    finite_result("variance", var)
    std = np.sqrt(var + dtype.type(eps))  # (K,): one square root per group, not per element
    if not np.all(std > 0):
        raise ArgumentError(
            "eps is 0 and a group has zero variance, so x_hat = 0 / 0; use eps > 0 (PyTorch's default is 1e-5)",
            "eps 为 0 且有一组的方差为 0，于是 x_hat = 0 / 0；请使用 eps > 0（PyTorch 的默认值是 1e-5）",
        )
    r = (1 / std).astype(dtype)
    x_hat3 = centered3 * _col(r)

    shape = x.shape
    centered, x_hat = centered3.reshape(shape), x_hat3.reshape(shape)
    affine_gamma = gamma is not None
    # gamma = 1 and beta = 0 (a fresh layer) change nothing: share the array instead of copying it
    if gamma is None or np.all(gamma == 1):
        scaled = x_hat
    else:
        scaled = (x_hat.reshape(plan.param_view) * _col(gamma.reshape(-1))).reshape(shape)
    if beta is None or np.all(beta == 0):
        out = scaled
    else:
        out = (scaled.reshape(plan.param_view) + _col(beta.reshape(-1))).reshape(shape)
    _check_overflow(out, x_hat, fixed is None, m, gamma, beta)

    stat_shape = g_.stat_shape
    mean_s, var_s, std_s = (a.reshape(stat_shape) for a in (mean, var, std))
    # = g_.group_ids() (the flat statistic index of each element), written in one broadcast pass over the view
    ids3 = np.empty(plan.stat_view, dtype=np.int32)
    ids3[...] = _col(np.arange(plan.stat_view[1], dtype=np.int32))
    ids = ids3.reshape(shape)
    summary.remember(ids, _ids_summary(ids, math.prod(stat_shape)))
    x_in = x.view()  # the input step's own read-only view: the caller's array stays writable
    q = plan.stat_view[2]
    if sums is not None and x.size > summary.HISTOGRAM_EXACT_MAX and q >= 8 and q % summary.sample_step(x.size) == 0:
        _remember_summaries(plan, x_in, sums, mean, r, centered, x_hat, scaled, out, gamma, beta)
    x_in.flags.writeable = False
    _freeze(centered, x_hat, scaled, out, mean_s, var_s, std_s)

    names = ", ".join(nt.names)
    dims = " \\times ".join(nt.names)
    K = math.prod(stat_shape)
    used = "running" if fixed is not None else "batch"
    fwd = [
        Step(
            "input",
            Text("Input x", "输入 x"),
            Text(
                f"x has shape ({names}) = {tuple(shape)}, {dtype.name}.",
                f"x 的形状为 ({names}) = {tuple(shape)},类型 {dtype.name}。",
            ),
            f"\\mathbf{{x}} \\in \\mathbb{{R}}^{{{dims}}}",
            x_in,
        ),
        Step(
            "grouping",
            Text("Grouping: which values share a statistic", "分组:哪些数值共用一组统计量"),
            plan.grouping_text,
            plan.grouping_formula,
            ids,
        ),
    ]
    if used == "batch":
        fwd.append(
            Step(
                "mean",
                Text("Mean", "均值"),
                Text(
                    f"Average over {nt.axes.en}, one mean per {nt.per.en}: {K} mean(s), each over m = {m} values.",
                    f"在 {nt.axes.zh} 上求平均,每个{nt.per.zh}一个均值:共 {K} 个,每个由 m = {m} 个数算出。",
                ),
                f"\\mu{s} = \\frac{{1}}{{m}}\\sum_{{{nt.over}}} x{e}",
                mean_s,
                kind="stat",
            )
        )
    else:
        fwd.append(
            Step(
                "mean",
                Text("Mean (running statistics)", "均值(使用滑动统计量)"),
                Text(
                    "Evaluation mode: the running mean accumulated during training is used, one "
                    f"per {nt.per.en}, not this batch's mean, so a sample's output does not depend on the "
                    "rest of its batch.",
                    f"评估模式:使用训练时累积的滑动均值(每个{nt.per.zh}一个),而不是本批数据的均值,因此一个样"
                    "本的输出不依赖同批的其他样本。",
                ),
                f"\\mu{s} = \\mu^{{\\text{{run}}}}{s}",
                mean_s,
                kind="stat",
            )
        )
    fwd.append(
        Step(
            "centered",
            Text("Centered: x − μ", "去均值:x − μ"),
            Text(
                "Subtract its group's mean from every value; each group now averages 0."
                if used == "batch"
                else "Subtract the running mean from every value; the batch need not average 0 afterwards.",
                "每个数减去所在组的均值;每组的平均值变为 0。"
                if used == "batch"
                else "每个数减去对应的滑动均值;减完后本批数据的平均值不一定是 0。",
            ),
            f"x{e} - \\mu{s}",
            centered,
        )
    )
    if used == "batch":
        extra_en = " The unbiased one (÷ (m − 1)) only enters the running-variance update." if unbiased_update else ""
        extra_zh = "无偏方差(÷ (m − 1))只用于更新滑动方差。" if unbiased_update else ""
        fwd.append(
            Step(
                "variance",
                Text("Variance (biased)", "方差(有偏)"),
                Text(
                    f"Mean of the squared centered values, dividing by m = {m}, not m − 1: this biased "
                    f"variance is the one PyTorch normalizes with.{extra_en}",
                    f"去均值后平方再求平均,除以 m = {m} 而不是 m − 1:PyTorch 归一化时用的就是这个有偏方差。{extra_zh}",
                ),
                f"\\sigma^2{s} = \\frac{{1}}{{m}}\\sum_{{{nt.over}}} (x{e} - \\mu{s})^2",
                var_s,
                kind="stat",
            )
        )
    else:
        fwd.append(
            Step(
                "variance",
                Text("Variance (running statistics)", "方差(使用滑动统计量)"),
                Text(
                    "Evaluation mode: the running variance accumulated during training is used instead of "
                    "this batch's variance.",
                    "评估模式:使用训练时累积的滑动方差,而不是本批数据的方差。",
                ),
                f"\\sigma^2{s} = (\\sigma^2)^{{\\text{{run}}}}{s}",
                var_s,
                kind="stat",
            )
        )
    fwd += [
        Step(
            "std",
            Text("Standard deviation with ε", "加 ε 的标准差"),
            Text(
                f"σ = √(σ² + ε) with ε = {eps:g}, one square root per group; ε keeps the division finite "
                "when a group is constant.",
                f"σ = √(σ² + ε),ε = {eps:g},每组只开一次方;当一组数全相等时,ε 保证除法不会除以 0。",
            ),
            f"\\sqrt{{\\sigma^2{s} + \\epsilon}}",
            std_s,
            kind="stat",
        ),
        Step(
            "normalized",
            Text("Normalized x̂", "标准化 x̂"),
            Text(
                "x̂ = (x − μ) / √(σ² + ε): "
                + (
                    "each group now has mean 0 and variance σ²/(σ² + ε) ≈ 1."
                    if used == "batch"
                    else "with running statistics the batch is not forced to mean 0 and variance 1."
                ),
                "x̂ = (x − μ) / √(σ² + ε):"
                + (
                    "每组的均值变为 0,方差变为 σ²/(σ² + ε) ≈ 1。"
                    if used == "batch"
                    else "使用滑动统计量时,本批数据不会被强制变成均值 0、方差 1。"
                ),
            ),
            f"\\hat{{x}}{e} = \\frac{{x{e} - \\mu{s}}}{{\\sqrt{{\\sigma^2{s} + \\epsilon}}}}",
            x_hat,
        ),
    ]
    if affine_gamma:
        ones = scaled is x_hat
        fwd.append(
            Step(
                "scaled",
                Text("Scaled by γ", "乘以 γ"),
                Text(
                    f"Multiply by the learned scale γ (shape {list(plan.param_shape)})"
                    + ("; here γ = 1, its initial value, so nothing changes." if ones else "."),
                    f"乘以可学习的缩放参数 γ(形状 {list(plan.param_shape)})"
                    + (";这里 γ = 1(初始值),数值不变。" if ones else "。"),
                ),
                f"\\gamma{p}\\,\\hat{{x}}{e}",
                scaled,
            )
        )
    if beta is not None:
        zeros = out is scaled
        fwd.append(
            Step(
                "output",
                Text("Output: + β", "输出:加 β"),
                Text(
                    "Add the learned shift β"
                    + (" (here 0, its initial value)" if zeros else "")
                    + ". γ and β let the network undo the normalization where that helps, so it loses no "
                    "expressive power.",
                    "加上可学习的偏移 β"
                    + ("(这里为初始值 0)" if zeros else "")
                    + "。γ 和 β 让网络在需要时可以还原标准化前的分布,模型的表达能力不受损失。",
                ),
                f"y{e} = \\gamma{p}\\,\\hat{{x}}{e} + \\beta{p}",
                out,
            )
        )

    result = Result(fwd, [], out, {"mean": mean_s, "var": var_s}, None)
    if grad_output is not None:
        result.backward, result.grads = _backward(
            grad_output, plan, x_hat, centered, r, gamma, beta, batch_stats=fixed is None, eps=eps
        )
    return result


def _backward(
    dy: np.ndarray,
    plan: Plan,
    x_hat: np.ndarray,
    centered: np.ndarray,
    r: np.ndarray,
    gamma: np.ndarray | None,
    beta: np.ndarray | None,
    *,
    batch_stats: bool,
    eps: float,
) -> tuple[list[Step], dict[str, np.ndarray | None]]:
    """The chain rule back through output, x_hat, variance and mean (each step beside its forward twin)."""
    dtype = x_hat.dtype
    nt = plan.notation
    m = plan.grouping.group_size
    shape = x_hat.shape
    pv, sv = plan.param_view, plan.stat_view
    s, e, p = _sub(nt.stat), _sub(nt.elem), _sub(nt.param)
    dy = np.ascontiguousarray(dy, dtype=dtype)
    dL = "\\frac{\\partial L}{\\partial y" + e + "}"
    dLx = "\\frac{\\partial L}{\\partial \\hat{x}" + e + "}"
    steps = [
        Step(
            "grad_output",
            Text("Gradient from the next layer", "来自下一层的梯度"),
            Text(
                "∂L/∂y: the grad_output you gave, the same shape as x; the backward pass starts here.",
                "∂L/∂y:你给定的 grad_output,形状与 x 相同;反向传播从这里开始。",
            ),
            dL,
            dy,
            phase="backward",
        )
    ]
    dbeta = dgamma = None
    if beta is not None:
        dbeta = _sum(dy.reshape(pv)).astype(dtype).reshape(plan.param_shape)  # (P, K, Q) -> (K,)
        steps.append(
            Step(
                "dbeta",
                Text("Gradient of β", "β 的梯度"),
                Text(
                    "β is added at every position it touches, so its gradient is ∂L/∂y summed "
                    f"over {nt.param_axes.en}.",
                    f"β 加在它作用的每个位置上,所以它的梯度是 ∂L/∂y 在 {nt.param_axes.zh} 上的和。",
                ),
                f"\\frac{{\\partial L}}{{\\partial \\beta{p}}} = \\sum_{{{nt.param_over}}} {dL}",
                dbeta,
                kind="param",
                phase="backward",
            )
        )
    if gamma is not None:
        dgamma = _sum(dy.reshape(pv), x_hat.reshape(pv)).astype(dtype).reshape(plan.param_shape)  # -> (K,)
        steps.append(
            Step(
                "dgamma",
                Text("Gradient of γ", "γ 的梯度"),
                Text(
                    f"γ multiplies x̂, so its gradient is ∂L/∂y · x̂ summed over {nt.param_axes.en}.",
                    f"γ 与 x̂ 相乘,所以它的梯度是 ∂L/∂y · x̂ 在 {nt.param_axes.zh} 上的和。",
                ),
                f"\\frac{{\\partial L}}{{\\partial \\gamma{p}}} = \\sum_{{{nt.param_over}}} {dL}\\,\\hat{{x}}{e}",
                dgamma,
                kind="param",
                phase="backward",
            )
        )
        g = dy if np.all(gamma == 1) else (dy.reshape(pv) * _col(gamma.reshape(-1))).reshape(shape)
        steps.append(
            Step(
                "dnormalized",
                Text("Gradient of x̂", "x̂ 的梯度"),
                Text(
                    "x̂ was multiplied by γ on the way forward, so the gradient reaching x̂ is ∂L/∂y scaled "
                    "by γ: ∂L/∂x̂ = ∂L/∂y · γ.",
                    "前向时 x̂ 乘以了 γ,所以传到 x̂ 的梯度是 ∂L/∂y 乘以 γ:∂L/∂x̂ = ∂L/∂y · γ。",
                ),
                f"{dLx} = {dL}\\,\\gamma{p}",
                g,
                phase="backward",
            )
        )
    else:
        g = dy  # no gamma: dL/dx_hat is grad_output itself
    g3, c3 = g.reshape(sv), centered.reshape(sv)
    if batch_stats:
        r64 = r.astype(np.float64)
        dvar = (-0.5 * r64**3 * _sum(g3, c3)).astype(dtype)  # (P, K, Q) -> (K,)
        dmean = (-r64 * _sum(g3)).astype(dtype)  # (P, K, Q) -> (K,)
        dx3 = g3 * _col(r)
        dx3 += c3 * _col((2 / m * dvar.astype(np.float64)).astype(dtype))
        dx3 += _col((dmean.astype(np.float64) / m).astype(dtype))
        no_g = "" if gamma is not None else " (without γ, ∂L/∂x̂ is grad_output itself)"
        no_g_zh = "" if gamma is not None else "(没有 γ 时,∂L/∂x̂ 就是 grad_output)"
        steps += [
            Step(
                "dvariance",
                Text("Gradient of the variance", "方差的梯度"),
                Text(
                    f"Each group's variance divides all its m = {m} values, so its gradient sums ∂L/∂x̂ · "
                    f"(x − μ) over the group, times −½ (σ² + ε)^(−3/2){no_g}.",
                    f"每组的方差作用于组内全部 m = {m} 个数,所以它的梯度是组内 ∂L/∂x̂ · (x − μ) 之和乘以 −½ "
                    f"(σ² + ε)^(−3/2){no_g_zh}。",
                ),
                f"\\frac{{\\partial L}}{{\\partial \\sigma^2{s}}} = -\\frac{{1}}{{2}}(\\sigma^2{s} + "
                f"\\epsilon)^{{-3/2}}\\sum_{{{nt.over}}} {dLx}\\,(x{e} - \\mu{s})",
                dvar.reshape(plan.grouping.stat_shape),
                kind="stat",
                phase="backward",
            ),
            Step(
                "dmean",
                Text("Gradient of the mean", "均值的梯度"),
                Text(
                    "The mean is subtracted from every value of its group: −Σ ∂L/∂x̂ / √(σ² + ε). Its path "
                    "through the variance adds nothing, because Σ (x − μ) = 0.",
                    "均值从组内每个数中减去:−Σ ∂L/∂x̂ / √(σ² + ε)。它经由方差的那条路径贡献为 0,因为 Σ (x − μ) = 0。",
                ),
                f"\\frac{{\\partial L}}{{\\partial \\mu{s}}} = "
                f"-\\frac{{1}}{{\\sqrt{{\\sigma^2{s} + \\epsilon}}}}\\sum_{{{nt.over}}} {dLx}",
                dmean.reshape(plan.grouping.stat_shape),
                kind="stat",
                phase="backward",
            ),
        ]
        dx_text = Text(
            "Three paths reach x: directly through x̂, through the variance and through the mean. "
            "Equivalently ∂L/∂x = (g − mean(g) − x̂ · mean(g · x̂)) / √(σ² + ε) with g = ∂L/∂x̂, the form "
            "PyTorch uses.",
            "x 通过三条路径影响损失:直接经过 x̂、经过方差、经过均值。等价地 ∂L/∂x = (g − mean(g) − x̂ · "
            "mean(g · x̂)) / √(σ² + ε),其中 g = ∂L/∂x̂,即 PyTorch 的写法。",
        )
        dx_formula = (
            f"\\frac{{\\partial L}}{{\\partial x{e}}} = "
            f"\\frac{{{dLx}}}{{\\sqrt{{\\sigma^2{s} + \\epsilon}}}} + "
            f"\\frac{{2(x{e} - \\mu{s})}}{{m}}\\frac{{\\partial L}}{{\\partial \\sigma^2{s}}} + "
            f"\\frac{{1}}{{m}}\\frac{{\\partial L}}{{\\partial \\mu{s}}}"
        )
    else:
        dx3 = g3 * _col(r)
        dx_text = Text(
            "With running statistics the mean and variance are constants, not functions of x, so only the "
            f"direct path remains: ∂L/∂x = ∂L/∂x̂ / √(running_var + ε), ε = {eps:g}.",
            "使用滑动统计量时,均值和方差是常数,不随 x 变化,因此只剩直接路径:∂L/∂x = ∂L/∂x̂ / √(running_var "
            f"+ ε),ε = {eps:g}。",
        )
        dx_formula = (
            f"\\frac{{\\partial L}}{{\\partial x{e}}} = "
            f"\\frac{{{dLx}}}{{\\sqrt{{(\\sigma^2)^{{\\text{{run}}}}{s} + \\epsilon}}}}"
        )
    dx = dx3.reshape(shape)
    finite_result("input gradient", dx)
    for name, a in (("gamma gradient", dgamma), ("beta gradient", dbeta)):
        if a is not None:
            finite_result(name, a)
    steps.append(Step("dinput", Text("Gradient of the input", "输入的梯度"), dx_text, dx_formula, dx, phase="backward"))
    _freeze(*(s.values for s in steps))
    return steps, {"input": dx, "gamma": dgamma, "beta": dbeta}


def _check_overflow(
    out: np.ndarray,
    x_hat: np.ndarray,
    batch_stats: bool,
    m: int,
    gamma: np.ndarray | None,
    beta: np.ndarray | None,
) -> None:
    """float32 can overflow where float64 would not. With batch statistics |x_hat| <= sqrt(m), which bounds
    the output cheaply; otherwise (running statistics) look at every value."""
    big = np.finfo(out.dtype).max / 4
    if batch_stats:
        g = 1.0 if gamma is None else float(np.abs(gamma).max())
        b = 0.0 if beta is None else float(np.abs(beta).max())
        if g * (np.sqrt(m) + 1) + b < big:
            return
    else:
        finite_result("x_hat", x_hat)
    finite_result("output", out)


def _ids_summary(ids: np.ndarray, k: int) -> dict:
    """The summary of a group-id array, from the fact that each of the k ids 0..k-1 covers the same count m:
    exact, histogram included (every value counted, none sampled)."""
    m = ids.size // k
    return {
        "count": int(ids.size),
        "min": 0.0,
        "max": float(k - 1),
        "mean": (k - 1) / 2,
        "std": float(np.sqrt((k * k - 1) / 12)),
        "histogram": summary.counts(np.arange(k), 0.0, float(k - 1), weight=m),
    }


def _per_group(v: np.ndarray | None, plan: Plan) -> np.ndarray | None:
    """gamma or beta as one value per statistic group, when each group has a single one (BatchNorm: the
    channel's; InstanceNorm: group (n, c) has channel c's), else None (LayerNorm, GroupNorm with C/G > 1)."""
    if v is None:
        return None
    v = v.reshape(-1)
    if plan.param_view == plan.stat_view:
        return v
    (ps, ks, qs), (pp, kp, qp) = plan.stat_view, plan.param_view
    if ps == 1 and qs == qp and ks == pp * kp:
        return np.tile(v, pp)  # (C,) -> (N*C,)
    return None


def _remember_summaries(
    plan: Plan,
    x: np.ndarray,
    sums: tuple[np.ndarray, np.ndarray],
    mean: np.ndarray,
    r: np.ndarray,
    centered: np.ndarray,
    x_hat: np.ndarray,
    scaled: np.ndarray,
    out: np.ndarray,
    gamma: np.ndarray | None,
    beta: np.ndarray | None,
) -> None:
    """Summaries of input, centered, normalized (and scaled, output when gamma, beta are one value per group)
    derived from what the statistics already computed, plus one min and one max pass over x, instead of five
    passes over each array.

    Exact: x - mean, * r, * gamma and + beta are monotonic in x within a group, so each array's min and max
    follow from x's per-group ones by the same float operations; the sampled histogram values are recomputed
    with the same operations, so they are bit-identical; mean and std combine per-group means and squared
    deviations (`summary.from_groups`), equal to a direct pass up to rounding."""
    m, n = plan.grouping.group_size, x.size
    x3 = x.reshape(plan.stat_view)
    lo, hi = x3.min(axis=(0, 2)), x3.max(axis=(0, 2))  # (P, K, Q) -> (K,)
    s1, s2 = sums
    group_mean = s1 / m  # float64
    delta = mean.astype(np.float64) - group_mean  # the mean subtracted minus the group's exact mean
    m2 = np.maximum(s2 - m * delta**2, 0)  # sum of squared deviations from the group's own mean
    # the sample x.flat[::step] as a (P, K, Q / step) view, so that it broadcasts against the statistics
    sample = x3[:, :, :: summary.sample_step(n)]
    summary.remember(x, summary.from_groups(n, lo.min(), hi.max(), group_mean, m2, sample))

    lo, hi, sample = lo - mean, hi - mean, sample - _col(mean)
    summary.remember(centered, summary.from_groups(n, lo.min(), hi.max(), -delta, m2, sample))

    r64 = r.astype(np.float64)
    lo, hi, sample = lo * r, hi * r, sample * _col(r)
    means, m2 = -delta * r64, m2 * r64**2
    summary.remember(x_hat, summary.from_groups(n, lo.min(), hi.max(), means, m2, sample))

    if scaled is not x_hat:
        g = _per_group(gamma, plan)
        if g is None:
            return
        lo, hi = np.minimum(lo * g, hi * g), np.maximum(lo * g, hi * g)  # a negative gamma swaps them
        sample = sample * _col(g)
        g64 = g.astype(np.float64)
        means, m2 = means * g64, m2 * g64**2
        summary.remember(scaled, summary.from_groups(n, lo.min(), hi.max(), means, m2, sample))
    if out is not scaled:
        b = _per_group(beta, plan)
        if b is None:
            return
        lo, hi, sample = lo + b, hi + b, sample + _col(b)
        means = means + b.astype(np.float64)
        summary.remember(out, summary.from_groups(n, lo.min(), hi.max(), means, m2, sample))


def running_update(
    old_mean: np.ndarray,
    old_var: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    m: int,
    factor: float,
    nt: Notation,
    momentum_text: Text,
    batch_axis: bool = False,
) -> tuple[np.ndarray, np.ndarray, list[Step]]:
    """running <- (1 - f) running + f * batch statistic, with the unbiased variance var * m / (m - 1).

    `batch_axis`: the statistics have a leading batch axis (InstanceNorm, (N, C)); as in PyTorch each instance
    updates a copy of the running value and the copies are averaged over the batch. With m = 1 the unbiased
    variance is 0/0: the running variance is then left unchanged (the caller warns)."""
    dtype = old_mean.dtype
    f = dtype.type(factor)
    new_mean = (1 - f) * old_mean + f * mean
    if m > 1:
        unbiased = var * dtype.type(m / (m - 1))
        new_var = (1 - f) * old_var + f * unbiased
    else:
        new_var = np.broadcast_to(old_var, var.shape).astype(dtype)
    if batch_axis:
        new_mean = new_mean.mean(axis=0).astype(dtype)  # (N, C) -> (C,)
        new_var = new_var.mean(axis=0).astype(dtype)  # (N, C) -> (C,)
    _freeze(new_mean, new_var)
    avg = "\\frac{1}{N}\\sum_n " if batch_axis else ""
    avg_en = " averaged over the N samples" if batch_axis else ""
    avg_zh = "(对 N 个样本取平均)" if batch_axis else ""
    p = _sub(nt.param)
    mm = "\\frac{m}{m-1}" if m > 1 else ""
    steps = [
        Step(
            "running_mean",
            Text("Running mean update", "更新滑动均值"),
            Text(
                f"running_mean ← (1 − f)·running_mean + f·μ{avg_en}, {momentum_text.en}. Evaluation mode "
                "uses it instead of batch statistics.",
                f"running_mean ← (1 − f)·running_mean + f·μ{avg_zh},{momentum_text.zh}。评估模式用它代替本批统计量。",
            ),
            f"\\mu^{{\\text{{run}}}}{p} \\leftarrow (1 - f)\\,\\mu^{{\\text{{run}}}}{p} + f\\,{avg}\\mu{_sub(nt.stat)}",
            new_mean,
            kind="stat",
        ),
        Step(
            "running_var",
            Text("Running variance update", "更新滑动方差"),
            Text(
                (
                    f"The running variance uses the unbiased variance σ² · m/(m − 1) with m = {m}{avg_en}, "
                    f"although normalization used the biased one; {momentum_text.en}."
                )
                if m > 1
                else "With m = 1 value per group the unbiased variance σ² · m/(m − 1) is 0/0, so the running "
                "variance is left unchanged (PyTorch refuses this input).",
                (f"滑动方差使用无偏方差 σ² · m/(m − 1),m = {m}{avg_zh},尽管归一化用的是有偏方差;{momentum_text.zh}。")
                if m > 1
                else "每组只有 m = 1 个数时,无偏方差 σ² · m/(m − 1) 是 0/0,因此滑动方差保持不变(PyTorch 会直接报错)。",
            ),
            f"(\\sigma^2)^{{\\text{{run}}}}{p} \\leftarrow (1 - f)\\,(\\sigma^2)^{{\\text{{run}}}}{p} + "
            f"f\\,{avg}{mm}\\sigma^2{_sub(nt.stat)}",
            new_var,
            kind="stat",
        ),
    ]
    return new_mean, new_var, steps


# ---- arguments shared by the four layers: each error names the argument and the fix ----


def flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ArgumentError(
            f"{name} must be true or false, got {value!r}", f"{name} 必须是 true 或 false，实际为 {value!r}"
        )
    return bool(value)


def number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ArgumentError(f"{name} must be a number, got {value!r}", f"{name} 必须是数字，实际为 {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ArgumentError(f"{name} must be a finite number, got {v}", f"{name} 必须是有限数，实际为 {v}")
    return v


def integer(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ArgumentError(
            f"{name} must be a whole number >= {minimum}, got {value!r}",
            f"{name} 必须是 >= {minimum} 的整数，实际为 {value!r}",
        )
    if value < minimum:
        raise ArgumentError(f"{name} must be >= {minimum}, got {value}", f"{name} 必须 >= {minimum}，实际为 {value}")
    return int(value)


def eps_arg(value: Any, torch_message: bool = False) -> float:
    """eps > 0. BatchNorm in training quotes PyTorch's own message; the others explain why 0 is refused
    here."""
    eps = number("eps", value)
    if eps <= 0:
        if torch_message:
            raise ArgumentError(
                f"batch_norm eps must be positive during training, but got {eps}",
                f"训练时 eps 必须为正数，实际为 {eps}（PyTorch 报错：batch_norm eps must be positive during training, "
                f"but got {eps}）",
            )
        raise ArgumentError(
            f"eps must be positive, got {eps}: with eps <= 0 a constant group divides 0 by 0 (PyTorch's "
            "default is 1e-5)",
            f"eps 必须为正数，实际为 {eps}：eps <= 0 时，取值全相同的一组会出现 0 除以 0（PyTorch 的默认值是 1e-5）",
        )
    return eps


def momentum_arg(value: Any) -> float | None:
    if value is None:
        return None
    v = number("momentum", value)
    if not 0 <= v <= 1:
        raise ArgumentError(
            f"momentum must be between 0 and 1 (PyTorch's default 0.1; Keras' 0.99 is PyTorch's 0.01), got {v}",
            f"momentum 必须在 0 到 1 之间（PyTorch 的默认值是 0.1；Keras 的 0.99 相当于 PyTorch 的 0.01），实际为 {v}",
        )
    return v


def param_arg(
    name: str,
    value: Any,
    shape: tuple[int, ...],
    dtype: np.dtype,
    fill: float,
    on: bool,
    switch: str,
    per: str,
) -> np.ndarray | None:
    """gamma, beta or a running statistic: `shape` values when `on` (default: all `fill`), else it must be
    absent."""
    if not on:
        if value is not None:
            raise ArgumentError(
                f"{name} was given but {switch} is false; set {switch}=true or drop {name}",
                f"给出了 {name}，但 {switch} 为 false；请设置 {switch}=true 或去掉 {name}",
            )
        return None
    if value is None:
        return np.full(shape, fill, dtype=dtype)
    try:
        return vector(name, value, shape if len(shape) > 1 else shape[0], dtype, per)
    except (TypeError, ValueError) as err:
        if "must have" in str(err) or "finite" in str(err):
            raise
        raise ArgumentError(
            f"{name} must be a list of numbers, got {value!r}", f"{name} 必须是数字列表，实际为 {value!r}"
        ) from None


# ---- the PyTorch snippet (contract in core/snippet.py) ----


def torch_snippet(
    x: np.ndarray,
    module: str,
    buffers: dict[str, np.ndarray | int | None],
    training: bool,
    dy: np.ndarray | None,
    to_torch: str = "",
    from_torch: str = "",
) -> str:
    """A program that builds `module`, copies the non-default `buffers` in (weight, bias, running_mean, ...),
    runs x through it (`to_torch`/`from_torch`: permutes around the call) and backpropagates dy."""
    lines = [
        "import numpy as np",
        "import torch",
        "from torch import nn",
        "",
        tensor_code("x", x, requires_grad=dy is not None),
        f"layer = {module}",
    ]
    sets = []
    for name, value in buffers.items():
        if value is None:
            continue
        if isinstance(value, int):
            sets.append(f"    layer.{name}.fill_({value})")
        else:
            lines.append(tensor_code(name, value))
            sets.append(f"    layer.{name}.copy_({name})")
    if sets:
        lines += ["with torch.no_grad():", *sets]
    lines.append("layer.train()" if training else "layer.eval()")
    lines.append(f"y = layer(x{to_torch}){from_torch}")
    if dy is not None:
        lines += [tensor_code("grad_output", dy), "y.backward(grad_output)"]
    lines.append("print(y)")
    return "\n".join(lines) + "\n"
