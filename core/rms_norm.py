"""RMSNorm (nn.RMSNorm): divide by the root mean square over the last axes; no mean, no bias.

    >>> t = rms_norm(np.array([[3.0, 4.0]]), normalized_shape=[2], eps=0.0)
    >>> t.stats["ms"], t.output
    (array([12.5]), array([[0.84852814, 1.13137085]]))

For x of shape (N, L, D) and normalized_shape=[D] there is one statistic per (n, l): ms has shape (N, L) and
gamma has shape (D,). Steps: input, grouping, squares, mean_square, rms, normalized, output (only with
elementwise_affine; otherwise normalized is the last step). With grad_output: grad_output, dgamma, dnormalized
(both only with elementwise_affine, since without gamma dnormalized equals grad_output), dinput.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from normlens.checks import ArgumentError, finite_result, grad_output_array, input_array, resolve, vector
from normlens.layer_norm import NORMALIZED_SHAPE
from normlens.snippet import MAX_EMBED, tensor_code
from normlens.spec import LayerSpec, Param
from normlens.trace import Grouping, Step, Text, Trace, Warning_

SPEC = LayerSpec(
    name="rms_norm",
    title=Text("RMSNorm", "RMSNorm(均方根归一化)"),
    description=Text(
        "Scales each group of values (the last len(normalized_shape) axes, e.g. one token's hidden vector) "
        "to root mean square 1, then multiplies by a learned gain gamma. Unlike LayerNorm it does not "
        "subtract the mean and has no bias. LLMs (T5, LLaMA, Mistral, Qwen) use it because re-centering "
        "turned out not to matter for training stability while re-scaling does: one reduction instead of "
        "two and no beta make it cheaper, and results match LayerNorm. It works per sample, so it does not "
        "depend on the batch, and behaves the same in training and evaluation.",
        "把每组数值(最后 len(normalized_shape) 个维度,例如一个 token 的隐藏向量)缩放到均方根为 1,再乘以可学"
        "习的增益 gamma。与 LayerNorm 不同,它不减均值,也没有偏置。LLM(T5、LLaMA、Mistral、Qwen)采用它,是因为"
        "对训练稳定性起作用的是重新缩放而不是重新居中:少一次归约、没有 beta,计算更省,效果与 LayerNorm 相当。"
        "它按单个样本计算,不依赖 batch,训练和推理时行为相同。",
    ),
    torch_classes=("nn.RMSNorm",),
    input_ranks=(1, 2, 3, 4, 5),
    input_layout=Text(
        "(*, *normalized_shape), e.g. (N, L, D) with normalized_shape=[D]",
        "(*, *normalized_shape),例如 (N, L, D) 且 normalized_shape=[D]",
    ),
    params=(
        NORMALIZED_SHAPE,
        Param(
            "eps",
            "float_or_null",
            None,
            Text(
                "Added to mean(x^2) before the square root so an all-zero group does not divide by zero. "
                "null (the PyTorch default) means the machine epsilon of the input's dtype: 1.19e-07 for "
                "float32, 2.22e-16 for float64.",
                "开方前加到 mean(x^2) 上,避免全零的组除以零。null(PyTorch 默认值)表示输入 dtype 的机器精度"
                ":float32 为 1.19e-07,float64 为 2.22e-16。",
            ),
            minimum=0,
        ),
        Param(
            "elementwise_affine",
            "bool",
            True,
            Text(
                "Multiply by a learnable gain gamma of shape normalized_shape (initialized to ones). "
                "RMSNorm has no bias.",
                "乘以形状为 normalized_shape 的可学习增益 gamma(初始化为 1)。RMSNorm 没有偏置。",
            ),
        ),
        Param(
            "gamma",
            "float_array",
            None,
            Text(
                "The gain (the module's weight), one value per normalized element; null means ones.",
                "增益(模块的 weight),每个被归一化的元素一个值;null 表示全 1。",
            ),
            length="prod(normalized_shape)",
        ),
    ),
)


def rms_norm(x: Any, grad_output: Any = None, **params: Any) -> Trace:
    """Trace nn.RMSNorm on x (float32 or float64; the computation runs in x's dtype)."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported by finite_result instead
        return _rms_norm(x, grad_output, params)


def _rms_norm(x: Any, grad_output: Any, params: dict[str, Any]) -> Trace:
    x = input_array(x)
    args = resolve(SPEC, params)
    if x.ndim not in SPEC.input_ranks:
        raise ArgumentError(
            f"input must have 1 to 5 axes for rms_norm, got shape {list(x.shape)}",
            f"rms_norm 的 input 必须有 1 到 5 个轴，实际形状为 {list(x.shape)}",
        )
    shape = _normalized_shape(args["normalized_shape"], x)
    k = len(shape)
    eps = _eps(args["eps"], x.dtype)
    affine = args["elementwise_affine"]
    if not isinstance(affine, bool | np.bool_):
        raise ArgumentError(
            f"elementwise_affine must be true or false, got {affine!r}",
            f"elementwise_affine 必须是 true 或 false，实际为 {affine!r}",
        )
    affine = bool(affine)
    gamma = None
    if affine:
        per = "normalized element"
        gamma = (
            np.ones(shape, x.dtype) if args["gamma"] is None else vector("gamma", args["gamma"], shape, x.dtype, per)
        )
    elif args["gamma"] is not None:
        raise ArgumentError(
            "gamma was given but elementwise_affine is false; set elementwise_affine=true or drop gamma",
            "给出了 gamma，但 elementwise_affine 为 false；请设置 elementwise_affine=true 或去掉 gamma",
        )
    dy = None if grad_output is None else grad_output_array(grad_output, x)

    axes = tuple(range(x.ndim - k, x.ndim))
    lead = x.shape[: x.ndim - k]
    grouping = Grouping(x.shape, lead, tuple((a, 1) for a in range(x.ndim - k)) + (None,) * k)
    m = grouping.group_size
    groups = math.prod(lead)
    dt = x.dtype.type

    squares = finite_result("x^2", x * x)
    ms = squares.mean(axis=axes)  # (*lead, *shape) -> lead
    rms = np.sqrt(ms + dt(eps))
    if not (rms > 0).all():
        raise ArgumentError(
            f"a group whose mean(x^2) is 0 in {x.dtype.name} (all zeros, or squares that underflow) divides "
            "by zero with eps=0 (PyTorch returns NaN); set eps > 0 or null",
            f"有一组在 {x.dtype.name} 下的 mean(x^2) 为 0（全是 0，或平方后下溢），eps=0 时会除以 0"
            "（PyTorch 会返回 NaN）；请设置 eps > 0 或 null",
        )
    keep = (slice(None),) * (x.ndim - k) + (None,) * k  # lead -> (*lead, 1, ..., 1), broadcast over the group
    r = dt(1) / rms
    normalized = x * r[keep]
    y = normalized * gamma if affine else normalized
    finite_result("output", y)

    ns = "[" + ", ".join(map(str, shape)) + "]"
    eps_txt = f"{eps:.3g}" + (" (finfo eps)" if args["eps"] is None else "")
    steps = [
        Step(
            "input",
            Text("Input", "输入"),
            Text(
                f"x has shape {list(x.shape)}; RMSNorm works on its last {k} axes {ns}, so each of the "
                f"{groups} groups of {m} values is scaled on its own.",
                f"x 的形状为 {list(x.shape)};RMSNorm 作用在最后 {k} 个维度 {ns} 上,{groups} 个组各含 {m} 个"
                "值,各自独立缩放。",
            ),
            r"\mathbf{x} \in \mathbb{R}^{" + r" \times ".join(map(str, x.shape)) + "}",
            x,
        ),
        Step(
            "grouping",
            Text("Groups", "分组"),
            Text(
                f"Elements with the same color share one RMS: {groups} groups (one per index of the leading "
                f"axes {list(lead)}), {m} values each. Nothing is shared across the batch.",
                f"颜色相同的元素共用一个 RMS:共 {groups} 组(前导维度 {list(lead)} 的每个下标一组),每组 {m} "
                "个值。不跨 batch 共享。",
            ),
            r"\mathcal{G}_i = \{x_{i,j} : j = 1, \dots, " + str(m) + r"\}",
            grouping.group_ids(),
        ),
        Step(
            "squares",
            Text("Squares", "平方"),
            Text(
                "Square every value. No mean is subtracted first: RMSNorm measures the size of the vector "
                "around zero, not its spread around the mean.",
                "对每个值求平方。事先不减均值:RMSNorm 衡量的是向量相对 0 的大小,而不是相对均值的离散程度。",
            ),
            r"x_{i,j}^2",
            squares,
        ),
        Step(
            "mean_square",
            Text("Mean square", "均方"),
            Text(
                f"Average the {m} squares of each group: {groups} values, from {float(ms.min()):.4g} to "
                f"{float(ms.max()):.4g}.",
                f"对每组的 {m} 个平方取平均:共 {groups} 个值,范围 {float(ms.min()):.4g} 到 {float(ms.max()):.4g}。",
            ),
            r"\mathrm{ms}_i = \frac{1}{" + str(m) + r"} \sum_{j=1}^{" + str(m) + r"} x_{i,j}^2",
            ms,
            kind="stat",
        ),
        Step(
            "rms",
            Text("Root mean square", "均方根"),
            Text(
                f"Add eps = {eps_txt} and take the square root. This is the typical size of a value in the group.",
                f"加上 eps = {eps_txt} 后开方,得到组内数值的典型大小。",
            ),
            r"\mathrm{rms}_i = \sqrt{\mathrm{ms}_i + \epsilon}",
            rms,
            kind="stat",
        ),
        Step(
            "normalized",
            Text("Normalized", "归一化"),
            Text(
                "Divide every value by its group's RMS: each group now has root mean square 1 (up to eps), "
                "but its mean is not 0, unlike LayerNorm.",
                "每个值除以所在组的 RMS:每组的均方根变为 1(eps 造成的偏差除外),但均值不为 0,这一点与 LayerNorm 不同。",
            ),
            r"\hat{x}_{i,j} = \frac{x_{i,j}}{\mathrm{rms}_i}",
            normalized,
        ),
    ]
    if affine:
        assert gamma is not None
        steps.append(
            Step(
                "output",
                Text("Scale by gamma", "乘以 gamma"),
                Text(
                    f"Multiply by the learned gain gamma of shape {ns} ({gamma.size} parameters), element "
                    "by element within each group. There is no beta.",
                    f"在每组内逐元素乘以形状为 {ns} 的可学习增益 gamma(共 {gamma.size} 个参数)。没有 beta。",
                ),
                r"y_{i,j} = \gamma_j \, \hat{x}_{i,j}",
                y,
            )
        )

    grads = None
    if dy is not None:
        steps.append(
            Step(
                "grad_output",
                Text("Upstream gradient", "上游梯度"),
                Text("The gradient of the loss with respect to the output y.", "损失对输出 y 的梯度。"),
                r"\frac{\partial L}{\partial y_{i,j}}",
                dy,
                phase="backward",
            )
        )
        g = dy
        dgamma = None
        if affine:
            dgamma = (dy * normalized).sum(axis=tuple(range(x.ndim - k)))  # (*lead, *shape) -> shape
            g = dy * gamma
            steps += [
                Step(
                    "dgamma",
                    Text("Gradient of gamma", "gamma 的梯度"),
                    Text(
                        f"Each gain collects dy times the normalized value over all {groups} groups.",
                        f"每个增益把 {groups} 个组中的 dy 乘以归一化值累加起来。",
                    ),
                    r"\frac{\partial L}{\partial \gamma_j} = \sum_i \frac{\partial L}{\partial y_{i,j}} "
                    r"\hat{x}_{i,j}",
                    finite_result("dgamma", dgamma),
                    kind="param",
                    phase="backward",
                ),
                Step(
                    "dnormalized",
                    Text("Gradient of the normalized values", "归一化值的梯度"),
                    Text("Multiply the upstream gradient by gamma.", "上游梯度乘以 gamma。"),
                    r"g_{i,j} = \frac{\partial L}{\partial \hat{x}_{i,j}} = \frac{\partial L}{\partial "
                    r"y_{i,j}} \gamma_j",
                    g,
                    phase="backward",
                ),
            ]
        # d(x r)/dx with r = (mean(x^2) + eps)^(-1/2): the second term is the RMS's own dependence on x.
        mgx = (g * x).mean(axis=axes)  # (*lead, *shape) -> lead
        dx = finite_result("dinput", r[keep] * g - x * (r * r * r * mgx)[keep])
        steps.append(
            Step(
                "dinput",
                Text("Gradient of the input", "输入的梯度"),
                Text(
                    "Two paths: through the division (r times g) and through the RMS itself, which every "
                    f"value in the group changes; the second term averages g*x over the {m} values.",
                    f"两条路径:经过除法(r 乘 g),以及经过 RMS 本身(组内每个值都会改变它);第二项对 {m} 个值的 "
                    "g*x 取平均。",
                ),
                r"\frac{\partial L}{\partial x_{i,j}} = r_i g_{i,j} - x_{i,j} r_i^3 \frac{1}{"
                + str(m)
                + r"} \sum_{k} g_{i,k} x_{i,k}, \quad r_i = \frac{1}{\mathrm{rms}_i}",
                dx,
                phase="backward",
            )
        )
        grads = {"input": dx, "gamma": dgamma}

    warnings = []
    small = int((ms < eps).sum())
    if small:
        warnings.append(
            Warning_(
                "eps_dominates",
                Text(
                    f"In {small} of {groups} groups mean(x^2) is below eps = {eps:.3g}, so eps dominates "
                    "and those groups are not scaled to RMS 1.",
                    f"{groups} 个组中有 {small} 个的 mean(x^2) 小于 eps = {eps:.3g},eps 占主导,这些组不会被"
                    "缩放到均方根 1。",
                ),
            )
        )
    if m == 1:
        warnings.append(
            Warning_(
                "single_value_groups",
                Text(
                    "Each group holds one value, so RMSNorm maps x to about sign(x) * gamma: all magnitude is lost.",
                    "每组只有一个值,RMSNorm 把 x 变成约 sign(x) * gamma:数值大小信息全部丢失。",
                ),
            )
        )

    return Trace(
        layer="rms_norm",
        dtype=x.dtype.name,
        shape=x.shape,
        grouping=grouping,
        steps=steps,
        output=y,
        stats={"ms": ms},
        params={"normalized_shape": list(shape), "eps": eps, "elementwise_affine": affine},
        param_counts={"learnable": math.prod(shape) if affine else 0, "buffers": 0},
        torch_code=_snippet(x, shape, args["eps"], gamma, dy),
        parameters={"gamma": gamma},
        grads=grads,
        warnings=warnings,
    )


def _normalized_shape(value: Any, x: np.ndarray) -> tuple[int, ...]:
    if value is None:
        return (x.shape[-1],)
    items = [value] if isinstance(value, int | np.integer) else value
    if not isinstance(items, list | tuple) or not all(
        isinstance(d, int | np.integer) and not isinstance(d, bool) and d > 0 for d in items
    ):
        raise ArgumentError(
            f"normalized_shape must be a list of positive integers such as [4], got {value!r}",
            f"normalized_shape 必须是正整数列表，例如 [4]，实际为 {value!r}",
        )
    shape = tuple(int(d) for d in items)
    if not shape:
        raise ArgumentError(
            "normalized_shape must name at least one axis, e.g. [" + str(x.shape[-1]) + "] (PyTorch: Expected "
            "normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got "
            "normalized_shape = [])",
            "normalized_shape 至少要指定一个轴，例如 [" + str(x.shape[-1]) + "]（PyTorch 报错：Expected "
            "normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got "
            "normalized_shape = []）",
        )
    ns = ", ".join(map(str, shape))
    if len(shape) > x.ndim:
        raise ArgumentError(
            f"normalized_shape [{ns}] names {len(shape)} axes but the input has only {x.ndim}; use "
            f"{list(x.shape)} or fewer trailing axes (PyTorch: Input tensor must have at least {len(shape)} "
            f"dimensions, but got {x.ndim})",
            f"normalized_shape [{ns}] 指定了 {len(shape)} 个轴，但 input 只有 {x.ndim} 个；请用 {list(x.shape)} "
            f"或更少的末尾轴（PyTorch 报错：Input tensor must have at least {len(shape)} dimensions, "
            f"but got {x.ndim}）",
        )
    if x.shape[x.ndim - len(shape) :] != shape:
        raise ArgumentError(
            f"normalized_shape [{ns}] must equal the input's last {len(shape)} axes; use "
            f"{list(x.shape[-len(shape) :])} for input shape {list(x.shape)} (PyTorch: Given "
            f"normalized_shape=[{ns}], expected input with shape [*{ns}], but got input of "
            f"size{list(x.shape)})",
            f"normalized_shape [{ns}] 必须等于 input 的最后 {len(shape)} 个轴；input 形状为 {list(x.shape)} 时请用 "
            f"{list(x.shape[-len(shape) :])}（PyTorch 报错：Given normalized_shape=[{ns}], expected input with shape "
            f"[*{ns}], but got input of size{list(x.shape)}）",
        )
    return shape


def _eps(value: Any, dtype: np.dtype) -> float:
    if value is None:  # PyTorch: finfo of the computation type (float32 for float32 input)
        return float(np.finfo(dtype).eps)
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ArgumentError(
            f"eps must be a number >= 0 or null, got {value!r}", f"eps 必须是 >= 0 的数或 null，实际为 {value!r}"
        )
    eps = float(value)
    if not (np.isfinite(eps) and eps >= 0):
        raise ArgumentError(
            f"eps must be a finite number >= 0 (or null for PyTorch's default), got {eps}",
            f"eps 必须是 >= 0 的有限数（或 null，即 PyTorch 的默认值），实际为 {eps}",
        )
    return eps


def _snippet(x: np.ndarray, shape: tuple[int, ...], eps: Any, gamma: np.ndarray | None, dy: np.ndarray | None) -> str:
    dt = "torch.float64" if x.dtype == np.float64 else "torch.float32"
    big = max(x.size, 0 if gamma is None else gamma.size) > MAX_EMBED
    eps_arg = "None" if eps is None else repr(float(eps))
    eps_note = f"  # None: finfo({x.dtype.name}).eps = {float(np.finfo(x.dtype).eps)!r}" if eps is None else ""
    lines = ["import numpy as np", "import torch"] if big else ["import torch"]
    lines += [
        "",
        tensor_code("x", x, requires_grad=dy is not None),
        f"layer = torch.nn.RMSNorm({list(shape)}, eps={eps_arg}, elementwise_affine={gamma is not None}, "
        f"dtype={dt}){eps_note}",
    ]
    if gamma is not None:
        lines += [tensor_code("weight", gamma), "with torch.no_grad():", "    layer.weight.copy_(weight)"]
    lines.append("y = layer(x)")
    if dy is not None:
        lines += [
            tensor_code("grad_output", dy),
            "y.backward(grad_output)  # fills x.grad" + (" and layer.weight.grad" if gamma is not None else ""),
        ]
    lines.append("print(y)")
    return "\n".join(lines) + "\n"


LAYERS = {"rms_norm": (SPEC, rms_norm)}
