"""Dropout (nn.Dropout, nn.Dropout1d/2d/3d, nn.AlphaDropout) with a reproducible mask.

    >>> t = dropout(np.arange(1.0, 7.0).reshape(2, 3), p=0.5, seed=0)
    >>> t.step("mask").values, t.output
    (array([[0., 1., 1.],
           [1., 0., 0.]]), array([[0., 4., 6.],
           [8., 0., 0.]]))

The mask comes from numpy.random.default_rng(seed): the same seed gives the same mask, but never the mask
torch's own generator would draw, so the PyTorch snippet embeds the mask. The "mask" step always has x's shape
(1 = kept, 0 = dropped, in x's dtype) so the frontend draws it like any tensor; for the channel variant the
(N, C) draws are broadcast over the spatial axes and `grouping` says which elements share a draw.
Steps in training: input, mask, dropped, output (alpha variant: input, mask, saturated, output); in
evaluation: input, output. With grad_output: grad_output, dinput. Given the same mask, the output equals
PyTorch's bit for bit (see `apply_mask`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from normlens.checks import ArgumentError, finite_result, grad_output_array, in_range, input_array, resolve
from normlens.snippet import MAX_EMBED, tensor_code
from normlens.spec import LayerSpec, Param
from normlens.trace import Grouping, Step, Text, Trace, Warning_

ALPHA = 1.7580993408473766  # lambda * alpha of SELU; a' = -ALPHA is SELU's value for x -> -inf
VARIANTS = ("element", "channel", "alpha")
CHANNEL_CLASSES = {3: "Dropout1d", 4: "Dropout2d", 5: "Dropout3d"}

SPEC = LayerSpec(
    name="dropout",
    title=Text("Dropout", "Dropout(随机失活)"),
    description=Text(
        "In training, zeroes each value with probability p and multiplies the kept ones by 1/(1-p) "
        "(inverted dropout), so every value keeps its expectation: E[y] = x. The network cannot rely on any "
        "single unit, which reduces overfitting and acts like averaging many thinned networks. At test time "
        "dropout does nothing; the 1/(1-p) during training already kept expectations equal. Placed before "
        "BatchNorm it causes a 'variance shift' between training and test, so put it after.",
        "训练时以概率 p 把每个值置 0,并把保留下来的值乘以 1/(1-p)(inverted dropout),使每个值的期望不变:E[y] "
        "= x。网络不能依赖任何单个神经元,从而减轻过拟合,效果类似对许多子网络做集成。测试时 dropout 什么都不"
        "做;训练时的 1/(1-p) 已经让期望保持一致。放在 BatchNorm 之前会造成训练与测试之间的'方差偏移',所以应"
        "放在其后。",
    ),
    torch_classes=("nn.Dropout", "nn.Dropout1d", "nn.Dropout2d", "nn.Dropout3d", "nn.AlphaDropout"),
    input_ranks=(1, 2, 3, 4, 5),
    input_layout=Text(
        "any shape for element and alpha; (N, C, L), (N, C, H, W), (N, C, D, H, W) for channel",
        "element 与 alpha 接受任意形状;channel 需要 (N, C, L)、(N, C, H, W) 或 (N, C, D, H, W)",
    ),
    params=(
        Param(
            "p",
            "float",
            0.5,
            Text(
                "Probability of dropping a value (not of keeping it). 0 keeps everything; 1 drops everything.",
                "把一个值丢弃(而非保留)的概率。0 全部保留;1 全部丢弃。",
            ),
            minimum=0,
            maximum=1,
        ),
        Param(
            "training",
            "bool",
            True,
            Text(
                "Training mode (model.train()). In evaluation mode (model.eval()) dropout returns its input.",
                "训练模式(model.train())。评估模式(model.eval())下 dropout 原样返回输入。",
            ),
        ),
        Param(
            "seed",
            "int",
            0,
            Text(
                "Seed of numpy.random.default_rng that draws the mask: the same seed gives the same mask. "
                "PyTorch's generator draws different masks, so the snippet embeds this one.",
                "生成掩码的 numpy.random.default_rng 的种子:相同种子得到相同掩码。PyTorch 的随机数生成器会得"
                "到不同的掩码,因此代码片段直接写入这个掩码。",
            ),
            minimum=0,
            maximum=2**32 - 1,
        ),
        Param(
            "variant",
            "enum",
            "element",
            Text(
                "element: nn.Dropout, each value on its own. channel: nn.Dropout1d/2d/3d, a whole feature "
                "map (n, c) is kept or dropped, because neighbouring pixels are correlated and dropping "
                "single ones barely regularizes. alpha: nn.AlphaDropout for SELU networks, dropped values "
                "become SELU's saturation value and an affine map keeps mean 0 and variance 1.",
                "element:nn.Dropout,每个值独立。channel:nn.Dropout1d/2d/3d,整张特征图 (n, c) 一起保留或丢弃,"
                "因为相邻像素高度相关,逐个丢弃几乎起不到正则作用。alpha:用于 SELU 网络的 nn.AlphaDropout,被"
                "丢弃的值变为 SELU 的饱和值,再用仿射变换保持均值 0、方差 1。",
            ),
            choices=VARIANTS,
        ),
    ),
)


def dropout(x: Any, grad_output: Any = None, **params: Any) -> Trace:
    """Trace dropout on x (float32 or float64; the computation runs in x's dtype)."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported by finite_result instead
        return _dropout(x, grad_output, params)


def _dropout(x: Any, grad_output: Any, params: dict[str, Any]) -> Trace:
    x = input_array(x)
    args = resolve(SPEC, params)
    p, training, seed, variant = _args(args)
    _check_rank(x, variant)
    dy = None if grad_output is None else grad_output_array(grad_output, x)
    grouping = None
    if variant == "channel":
        grouping = Grouping(x.shape, x.shape[:2], ((0, 1), (1, 1)) + (None,) * (x.ndim - 2))

    steps = [
        Step(
            "input",
            Text("Input", "输入"),
            Text(
                f"x has {x.size} values; {'training' if training else 'evaluation'} mode with p = {p:g}.",
                f"x 共 {x.size} 个值;{'训练' if training else '评估'}模式,p = {p:g}。",
            ),
            r"\mathbf{x} \in \mathbb{R}^{" + r" \times ".join(map(str, x.shape)) + "}",
            x,
        )
    ]
    warnings: list[Warning_] = []
    keep = None
    if not training:
        y = x.copy()
        steps.append(
            Step(
                "output",
                Text("Output (identity)", "输出(恒等)"),
                Text(
                    "In evaluation mode dropout returns its input unchanged: at test time dropout does "
                    f"nothing; the 1/(1-p) = {_scale_txt(p)} during training already kept expectations "
                    "equal.",
                    "评估模式下 dropout 原样返回输入:测试时 dropout 什么都不做;训练时的 1/(1-p) = "
                    f"{_scale_txt(p)} 已经让期望保持一致。",
                ),
                r"\mathbf{y} = \mathbf{x}",
                y,
            )
        )
    else:
        keep = draw_keep(x.shape, p, seed, variant)
        mask = keep.astype(x.dtype)
        steps.append(_mask_step(mask, keep, p, seed, variant, x.shape))
        y = apply_mask(x, keep, p, alpha=variant == "alpha")
        if variant == "alpha":
            steps += _alpha_steps(x, keep, p, y)
            mean, std = float(x.mean()), float(x.std())
            if x.size > 1 and (abs(mean) > 0.25 or abs(std - 1) > 0.25):
                warnings.append(
                    Warning_(
                        "alpha_input_not_standardized",
                        Text(
                            "AlphaDropout keeps mean 0 and variance 1 only for inputs that have them (SELU "
                            f"outputs); this input has mean {mean:.3g} and std {std:.3g}.",
                            "AlphaDropout 只对均值 0、方差 1 的输入(SELU 的输出)保持均值和方差;此输入的均值"
                            f"为 {mean:.3g},标准差为 {std:.3g}。",
                        ),
                    )
                )
        else:
            dropped = x * mask
            steps += _scaled_steps(dropped, p, y)
        if p == 1:
            warnings.append(
                Warning_(
                    "all_dropped",
                    Text(
                        "p = 1 drops every value: the output is x * 0, all zeros. 1/(1-p) would divide by "
                        "zero, so PyTorch skips the rescaling and returns x * 0, and no gradient reaches "
                        "the input.",
                        "p = 1 会丢弃所有值:输出为 x * 0,全为零。1/(1-p) 会除以零,因此 PyTorch 跳过缩放,直接"
                        "返回 x * 0,输入也得不到任何梯度。",
                    ),
                )
            )
    finite_result("output", y)

    grads: dict[str, np.ndarray | None] | None = None
    if dy is not None:
        dx = dy.copy() if keep is None else apply_mask_grad(dy, keep, p, alpha=variant == "alpha")
        steps += _backward_steps(dy, dx, p, training, variant)
        grads = {"input": finite_result("dinput", dx)}

    return Trace(
        layer="dropout",
        dtype=x.dtype.name,
        shape=x.shape,
        grouping=grouping,
        steps=steps,
        output=y,
        stats=None,
        params={"p": p, "training": training, "seed": seed, "variant": variant},
        param_counts={"learnable": 0, "buffers": 0},
        torch_code=_snippet(x, keep, p, training, seed, variant, dy),
        grads=grads,
        warnings=warnings,
    )


def draw_keep(shape: tuple[int, ...], p: float, seed: int, variant: str) -> np.ndarray:
    """The boolean keep mask, full shape; for the channel variant one draw per (n, c), broadcast."""
    draws = shape[:2] if variant == "channel" else shape
    keep = np.random.default_rng(seed).random(draws) < 1 - p  # P(keep) = 1 - p; p=0 keeps all, p=1 none
    return np.broadcast_to(keep.reshape(draws + (1,) * (len(shape) - len(draws))), shape)


def alpha_coefficients(p: float) -> tuple[float, float]:
    """AlphaDropout's a and b, in PyTorch's operation order (so the float32 rounding matches too)."""
    a = 1.0 / math.sqrt((ALPHA * ALPHA * p + 1) * (1 - p))
    return a, ALPHA * a * p  # b = -a * a' * p


def apply_mask(x: np.ndarray, keep: np.ndarray, p: float, alpha: bool = False) -> np.ndarray:
    """The training output for a given keep mask, bit-identical to PyTorch's kernel given that mask.

    PyTorch returns the input for p = 0 and x * 0 for p = 1 (no 1/(1-p), which would divide by zero);
    otherwise it scales the mask by 1/(1-p) rounded once in x's dtype, then multiplies.
    """
    dt = x.dtype.type
    if p == 0:
        return x.copy()
    if p == 1:
        return x * dt(0)
    if not alpha:
        return x * keep.astype(x.dtype) * (dt(1) / dt(1 - p))
    a, b = alpha_coefficients(p)
    # a * (x*keep + a'*(1-keep)) + b: the dropped value a*a' is rounded once from double, as PyTorch does.
    return np.where(keep, dt(a) * x, dt(-(ALPHA * a))) + dt(b)


def apply_mask_grad(dy: np.ndarray, keep: np.ndarray, p: float, alpha: bool = False) -> np.ndarray:
    """d output / d x applied to dy: the same mask and scale (a for alpha), nothing through dropped values."""
    dt = dy.dtype.type
    if p == 0:
        return dy.copy()
    if p == 1:
        return dy * dt(0)
    scale = dt(alpha_coefficients(p)[0]) if alpha else dt(1) / dt(1 - p)
    return dy * (keep.astype(dy.dtype) * scale)


def _args(args: dict[str, Any]) -> tuple[float, bool, int, str]:
    p = args["p"]
    if isinstance(p, bool) or not isinstance(p, int | float | np.integer | np.floating):
        raise ArgumentError(f"p must be a number between 0 and 1, got {p!r}", f"p 必须是 0 到 1 之间的数，实际为 {p!r}")
    try:
        in_range("p", float(p), 0.0, 1.0)
    except ArgumentError as e:
        raise ArgumentError(
            f"{e} (PyTorch: dropout probability has to be between 0 and 1, but got {p})",
            f"{e.zh}（PyTorch 报错：dropout probability has to be between 0 and 1, but got {p}）",
        ) from None
    training = args["training"]
    if not isinstance(training, bool | np.bool_):
        raise ArgumentError(
            f"training must be true or false, got {training!r}", f"training 必须是 true 或 false，实际为 {training!r}"
        )
    seed = args["seed"]
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed <= 2**32 - 1:
        raise ArgumentError(
            f"seed must be an integer from 0 to {2**32 - 1}, got {seed!r}",
            f"seed 必须是 0 到 {2**32 - 1} 之间的整数，实际为 {seed!r}",
        )
    variant = args["variant"]
    if variant not in VARIANTS:
        raise ArgumentError(
            f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}",
            f"variant 必须是 {', '.join(VARIANTS)} 之一，实际为 {variant!r}",
        )
    return float(p), bool(training), int(seed), str(variant)


def _check_rank(x: np.ndarray, variant: str) -> None:
    if variant == "channel" and x.ndim not in CHANNEL_CLASSES:
        raise ArgumentError(
            "variant 'channel' (nn.Dropout1d/2d/3d) needs input of shape (N, C, L), (N, C, H, W) or (N, C, "
            f"D, H, W), got {list(x.shape)}; use variant 'element' for other shapes",
            "variant 'channel'（nn.Dropout1d/2d/3d）需要形状为 (N, C, L)、(N, C, H, W) 或 (N, C, D, H, W) 的输入，"
            f"实际为 {list(x.shape)}；其他形状请使用 variant 'element'",
        )
    if x.ndim not in SPEC.input_ranks:
        raise ArgumentError(
            f"input must have 1 to 5 axes for dropout, got shape {list(x.shape)}",
            f"dropout 的 input 必须有 1 到 5 个轴，实际形状为 {list(x.shape)}",
        )


def _scale_txt(p: float) -> str:
    return "∞" if p == 1 else f"{1 / (1 - p):.4g}"


def _mask_step(mask: np.ndarray, keep: np.ndarray, p: float, seed: int, variant: str, shape: tuple[int, ...]) -> Step:
    if variant == "channel":
        maps, kept = (
            shape[0] * shape[1],
            int(keep[(slice(None), slice(None)) + (0,) * (len(shape) - 2)].sum()),
        )
        size = math.prod(shape[2:])
        en = (
            f"One Bernoulli(1 - p = {1 - p:g}) draw per (sample, channel) from "
            f"numpy.random.default_rng({seed}), broadcast over the {size} spatial values: {kept} of {maps} "
            "feature maps kept."
        )
        zh = (
            f"由 numpy.random.default_rng({seed}) 为每个 (样本, 通道) 抽取一次 Bernoulli(1 - p = {1 - p:g}),"
            f"广播到 {size} 个空间位置:{maps} 张特征图中保留 {kept} 张。"
        )
        formula = r"m_{n,c} \sim \mathrm{Bernoulli}(" + f"{1 - p:g}" + r"), \quad m_{n,c,\dots} = m_{n,c}"
    else:
        kept = int(keep.sum())
        en = (
            f"Each value is kept with probability 1 - p = {1 - p:g} (numpy.random.default_rng({seed})): "
            f"{kept} of {keep.size} kept ({100 * kept / keep.size:.0f}%, expected {100 * (1 - p):.0f}%)."
        )
        zh = (
            f"每个值以概率 1 - p = {1 - p:g} 被保留(numpy.random.default_rng({seed})):{keep.size} 个中保留 "
            f"{kept} 个({100 * kept / keep.size:.0f}%,期望 {100 * (1 - p):.0f}%)。"
        )
        formula = r"m_i \sim \mathrm{Bernoulli}(1 - p) = \mathrm{Bernoulli}(" + f"{1 - p:g})"
    return Step("mask", Text("Random mask", "随机掩码"), Text(en, zh), formula, mask)


def _scaled_steps(dropped: np.ndarray, p: float, y: np.ndarray) -> list[Step]:
    dropped_step = Step(
        "dropped",
        Text("Drop", "丢弃"),
        Text(
            "Multiply by the mask: dropped values become 0, so the next layer cannot rely on them in this step.",
            "乘以掩码:被丢弃的值变为 0,下一层在这一步无法依赖它们。",
        ),
        r"x_i \, m_i",
        dropped,
    )
    if p == 1:
        out = Step(
            "output",
            Text("Output (no rescaling)", "输出(不缩放)"),
            Text(
                "Everything was dropped and 1/(1-p) would divide by zero, so PyTorch returns x * 0 as it is.",
                "所有值都被丢弃,1/(1-p) 会除以零,因此 PyTorch 直接返回 x * 0。",
            ),
            r"y_i = x_i \cdot 0",
            y,
        )
    else:
        s = _scale_txt(p)
        out = Step(
            "output",
            Text("Rescale by 1/(1-p)", "乘以 1/(1-p)"),
            Text(
                f"Kept values are multiplied by 1/(1-p) = {s}, so E[y] = (1-p) * x * {s} = x: at test time "
                "dropout does nothing, and this rescaling already kept expectations equal (inverted "
                "dropout).",
                f"保留的值乘以 1/(1-p) = {s},于是 E[y] = (1-p) * x * {s} = x:测试时 dropout 什么都不做,训练"
                "时的这次缩放已经让期望保持一致(inverted dropout)。",
            ),
            r"y_i = \frac{x_i \, m_i}{1 - p} = \frac{x_i \, m_i}{" + f"{1 - p:g}" + "}",
            y,
        )
    return [dropped_step, out]


def _alpha_steps(x: np.ndarray, keep: np.ndarray, p: float, y: np.ndarray) -> list[Step]:
    saturated = np.where(keep, x, x.dtype.type(-ALPHA))
    sat = Step(
        "saturated",
        Text("Set dropped values to a'", "被丢弃的值设为 a'"),
        Text(
            f"Dropped values become a' = {-ALPHA:.4f}, the value SELU outputs for very negative inputs, "
            "instead of 0 (0 is not SELU's 'inactive' value, and it would shift the mean).",
            f"被丢弃的值变为 a' = {-ALPHA:.4f},即 SELU 对很负的输入给出的值,而不是 0(0 不是 SELU 的'不激活'"
            "值,还会改变均值)。",
        ),
        r"s_i = x_i \, m_i + a' (1 - m_i), \quad a' = " + f"{-ALPHA:.4f}",
        saturated,
    )
    if p == 1:
        return [
            sat,
            Step(
                "output",
                Text("Output (no rescaling)", "输出(不缩放)"),
                Text(
                    "Everything was dropped and a = ((1-p)(1 + p a'^2))^{-1/2} would be infinite, so "
                    "PyTorch returns x * 0.",
                    "所有值都被丢弃,a = ((1-p)(1 + p a'^2))^{-1/2} 为无穷大,因此 PyTorch 直接返回 x * 0。",
                ),
                r"y_i = x_i \cdot 0",
                y,
            ),
        ]
    a, b = alpha_coefficients(p)
    out = Step(
        "output",
        Text("Affine correction", "仿射校正"),
        Text(
            f"With p = {p:g}: a = {a:.4f} and b = {b:.4f} bring the mean back to 0 and the variance back to "
            "1 for standardized input, so SELU's self-normalization survives dropout.",
            f"p = {p:g} 时 a = {a:.4f}、b = {b:.4f},对标准化的输入把均值恢复为 0、方差恢复为 1,使 SELU 的自"
            "归一化在 dropout 后依然成立。",
        ),
        r"y_i = a \, s_i + b, \quad a = \left((1-p)(1 + p a'^2)\right)^{-1/2} = "
        + f"{a:.4f}"
        + r", \quad b = -a a' p = "
        + f"{b:.4f}",
        y,
    )
    return [sat, out]


def _backward_steps(dy: np.ndarray, dx: np.ndarray, p: float, training: bool, variant: str) -> list[Step]:
    grad = Step(
        "grad_output",
        Text("Upstream gradient", "上游梯度"),
        Text("The gradient of the loss with respect to the output y.", "损失对输出 y 的梯度。"),
        r"\frac{\partial L}{\partial y_i}",
        dy,
        phase="backward",
    )
    if not training:
        en, zh, formula = (
            "The identity passes the gradient through unchanged.",
            "恒等映射把梯度原样传回。",
            r"\frac{\partial L}{\partial x_i} = \frac{\partial L}{\partial y_i}",
        )
    elif p == 1:
        en, zh, formula = (
            "Every value was dropped, so the input gets zero gradient.",
            "所有值都被丢弃,输入的梯度全为零。",
            r"\frac{\partial L}{\partial x_i} = 0",
        )
    elif variant == "alpha":
        a = alpha_coefficients(p)[0]
        en, zh, formula = (
            f"Only kept values get gradient, scaled by a = {a:.4f}; the constants a' and b carry none.",
            f"只有保留的值有梯度,乘以 a = {a:.4f};常数 a' 和 b 不传梯度。",
            r"\frac{\partial L}{\partial x_i} = a \, m_i \frac{\partial L}{\partial y_i}",
        )
    else:
        s = _scale_txt(p)
        en, zh, formula = (
            f"The same mask and scale: kept values pass the gradient times 1/(1-p) = {s}; dropped ones get 0.",
            f"使用同一个掩码和缩放:保留的值把梯度乘以 1/(1-p) = {s} 传回;被丢弃的值梯度为 0。",
            r"\frac{\partial L}{\partial x_i} = \frac{m_i}{1 - p} \frac{\partial L}{\partial y_i}",
        )
    return [
        grad,
        Step("dinput", Text("Gradient of the input", "输入的梯度"), Text(en, zh), formula, dx, phase="backward"),
    ]


def _snippet(
    x: np.ndarray,
    keep: np.ndarray | None,
    p: float,
    training: bool,
    seed: int,
    variant: str,
    dy: np.ndarray | None,
) -> str:
    cls = {"element": "Dropout", "alpha": "AlphaDropout"}.get(variant) or CHANNEL_CLASSES[x.ndim]
    deterministic = keep is None or p in (0.0, 1.0)
    mask = None
    if not deterministic:
        assert keep is not None
        # channel variant: embed the (N, C, 1, ...) draws, not their broadcast copies
        mask = keep[(slice(None), slice(None)) + (slice(0, 1),) * (x.ndim - 2)] if variant == "channel" else keep
        mask = mask.astype(x.dtype)
    big = max(x.size, 0 if mask is None else mask.size) > MAX_EMBED
    lines = ["import math", ""] if variant == "alpha" and not deterministic else []
    lines += ["import numpy as np", "import torch"] if big else ["import torch"]
    lines += [
        "",
        tensor_code("x", x, requires_grad=dy is not None),
        f"p = {p!r}",
        f"layer = torch.nn.{cls}(p)",
    ]
    if not training:
        lines += ["layer.eval()  # evaluation mode: dropout is the identity", "y = layer(x)"]
    elif deterministic:
        what = "returns x itself" if p == 0 else "returns x * 0 (no 1/(1-p): it would divide by zero)"
        lines += [f"y = layer(x)  # training with p = {p:g}: no randomness, PyTorch {what}"]
    else:
        assert mask is not None
        lines += [
            "# y = layer(x) would draw its own mask with torch's generator, which NumPy cannot reproduce.",
            f"# This is the mask NormLens drew with numpy.random.default_rng({seed}) (1 = kept), applied",
            f"# exactly the way {cls} applies its own:",
            tensor_code("mask", mask)
            + ("  # one value per (n, c), broadcast over the spatial axes" if variant == "channel" else ""),
        ]
        if variant == "alpha":
            lines += [
                f"alpha = {ALPHA!r}  # a' = -alpha is SELU's value for very negative inputs",
                "a = 1 / math.sqrt((alpha * alpha * p + 1) * (1 - p))",
                "b = alpha * a * p  # = -a * a' * p",
                "# a * (x * mask + a' * (1 - mask)) + b, in AlphaDropout's order of operations:",
                "y = x * (mask * a) + ((mask - 1) * (alpha * a) + b)",
            ]
        else:
            lines.append("y = x * (mask / (1 - p))  # inverted dropout: kept values times 1/(1-p)")
    if dy is not None:
        lines += [tensor_code("grad_output", dy), "y.backward(grad_output)  # fills x.grad"]
    lines.append("print(y)")
    return "\n".join(lines) + "\n"


LAYERS = {"dropout": (SPEC, dropout)}
